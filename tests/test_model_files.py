"""Model files are checked against their class on load: every tampering is one ModelFileError.

For every registry model (and the variants whose fitted attributes differ: other
surprise algorithms, user-based KNN, weighted UserKNN, float32 EASE) a fitted model is
saved once; each test rewrites a copy of its files with one thing wrong and asserts
that loading names the file (``params.json`` or ``arrays.npz``) and the parameter or
attribute. The declarations themselves are held to the models: a model's fitted
attributes are exactly the ones its class declares.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import reclite
from reclite.errors import ModelFileError
from reclite.models import registry
from reclite.models._fitted import Fitted, applies, declared_attributes, parse_dim
from reclite.models._modelfile import array_keys, decode_attributes, param_names
from reclite.persist import encode_attributes as _encode

from ._contract import make_model, planted_dataset

# (id, registry name, extra parameters): every registry model, plus the variants whose
# attributes differ from their entry's default
VARIANTS: list[tuple[str, str, dict[str, Any]]] = [(name, name, {}) for name in registry.names()]
if "surprise_svd" in registry.names():
    VARIANTS += [
        ("surprise_svdpp", "surprise_svd", {"algorithm": "SVDpp", "params": {"n_factors": 4, "n_epochs": 5}}),
        ("surprise_nmf", "surprise_svd", {"algorithm": "NMF"}),
        ("surprise_knn_user", "surprise_knn", {"params": {"sim_options": {"name": "msd", "user_based": True}}}),
    ]
VARIANTS += [("userknn_bm25", "userknn", {"weighting": "bm25"}), ("ease_float32", "ease", {"dtype": "float32"})]
VARIANT_IDS = [v[0] for v in VARIANTS]
REGISTRY_IDS = registry.names()


def _marked(ids: list[str]) -> list[Any]:
    """Parameter ids, the Spark model's marked ``spark`` (it runs in the test run's one Spark session)."""
    return [pytest.param(i, marks=pytest.mark.spark) if i.startswith("spark") else i for i in ids]

# a value each model's own checks refuse (the "n_factors=-1 in a tampered file" case)
BAD_VALUES: dict[str, tuple[str, Any]] = {
    "pop": ("by", "nobody"),
    "genre_rule": ("n_genres", 0),
    "itemknn": ("k_neighbors", 0),
    "userknn": ("k_neighbors", 0),
    "ease": ("l2", -1.0),
    "rp3beta": ("walk_alpha", 0.0),
    "als": ("factors", -1),
    "bpr": ("learning_rate", 0.0),
    "lmf": ("neg_prop", -1),
    "surprise_svd": ("max_candidates", 0),
    "surprise_knn": ("max_candidates", -5),
    "rankvote": ("top_n", 0),
    "blend": ("normalize", "max"),
    "content": ("n_components", 0),
    "content_expand": ("n_expand", -1),
    "spark_als": ("num_blocks", 0),
}


@dataclass
class Saved:
    """A fitted model and the contents of its saved files, to be rewritten tampered."""

    model: Any
    meta: dict[str, Any]
    arrays: dict[str, np.ndarray]
    root: Path
    _count = itertools.count()

    def write(self, meta: dict[str, Any] | None = None, arrays: dict[str, np.ndarray] | None = None) -> Path:
        path = self.root / f"tampered-{next(self._count)}"
        path.mkdir()
        (path / "params.json").write_text(json.dumps(self.meta if meta is None else meta), encoding="utf-8")
        np.savez(path / "arrays.npz", **(self.arrays if arrays is None else arrays))
        return path

    def copies(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return copy.deepcopy(self.meta), dict(self.arrays)

    def chosen(self) -> dict[str, Fitted]:
        """The declarations that apply to this model (as load decides them)."""
        env = dict(self.model.get_params(deep=False))
        for attr, info in self.meta["attributes"].items():
            if info["kind"] == "json":
                env[attr] = info["value"]
        out = {}
        for attr, alts in declared_attributes(type(self.model)).items():
            spec = next((a for a in alts if applies(a, env)), None)
            if spec is not None:
                out[attr] = spec
        return out


#: parameters (besides the ensembles' members and weights) that take a JSON list
LIST_PARAMETERS = {"content": ("blocks",), "content_expand": ("base", "content")}

_SAVED: dict[str, Saved] = {}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("model-files")

    def get(variant: str) -> Saved:
        if variant not in _SAVED:
            _, name, extra = VARIANTS[VARIANT_IDS.index(variant)]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = make_model(name, **extra).fit(planted_dataset())
            path = root / variant
            model.save(path)
            meta = json.loads((path / "params.json").read_text(encoding="utf-8"))
            with np.load(path / "arrays.npz", allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            _SAVED[variant] = Saved(model, meta, arrays, root)
        return _SAVED[variant]

    yield get
    _SAVED.clear()


def refused(path: Path) -> str:
    with pytest.raises(ModelFileError) as info:
        reclite.load_model(path)
    return str(info.value)


def assert_names(message: str, file: str, subject: str, name: str, *phrases: str) -> None:
    """The message starts with the file's path, then names the parameter or attribute."""
    assert f"{os.sep}{file}: {subject} {name!r}" in message, message
    for phrase in phrases:
        assert phrase in message, (phrase, message)


# ---------------------------------------------------------------------- declarations
def fitted_names(model: Any) -> set[str]:
    return {k for k in vars(model) if k.endswith("_") and not k.startswith("_")}


@pytest.mark.parametrize("variant", _marked(VARIANT_IDS))
def test_fitted_attributes_are_exactly_the_declared_ones(store, variant):
    """Adding a fitted attribute without declaring it (or declaring one never set) fails here."""
    saved = store(variant)
    model = saved.model
    # an ensemble's fitted members are model directories of their own (sub-folders), not declared attributes
    members = {getattr(type(model), "_member_attribute", None)}
    assert fitted_names(model) - members == set(saved.chosen()), \
        "declare every fitted attribute in _fitted_attributes"
    attrs, arrays = _encode(model)
    decoded = decode_attributes(type(model), model.get_params(deep=False), attrs, arrays)
    assert set(decoded) == fitted_names(model) - members
    # the file holds exactly the declared arrays, nothing else
    assert set(saved.arrays) == {k for a, s in saved.chosen().items() for k in array_keys(a, s)}


@pytest.mark.parametrize("name", _marked(REGISTRY_IDS))
def test_declarations_use_known_sizes_and_kinds(name):
    """Shape symbols ending in ``_`` name JSON attributes declared before; dtypes are real."""
    cls = registry.get(name)
    params = set(param_names(cls))
    seen_json: set[str] = set()
    for attr, alts in declared_attributes(cls).items():
        for spec in alts:
            for dim in (spec.shape or ()) + ((spec.index_of,) if spec.index_of else ()):
                sym, _ = parse_dim(dim)
                if sym is not None and sym.endswith("_"):
                    assert sym in seen_json, (attr, sym)
                if sym in params:
                    assert isinstance(cls().get_params()[sym], int), (attr, sym)
            if spec.kind != "json":
                for d in spec.dtype:
                    assert d in ("integer", "str", "any") or np.dtype(d), (attr, d)
        if all(s.kind == "json" for s in alts):
            seen_json.add(attr)


def test_saving_an_undeclared_attribute_is_a_bug_and_writes_nothing(store, tmp_path):
    model = copy.deepcopy(store("ease").model)
    model.extra_thing_ = np.zeros(3)
    with pytest.raises(RuntimeError, match=r"bug in reclite.*attribute 'extra_thing_' is not a fitted attribute of EASE"):
        model.save(tmp_path / "m")
    del model.extra_thing_
    del model.weights_
    with pytest.raises(RuntimeError, match=r"bug in reclite.*attribute 'weights_' is missing"):
        model.save(tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_saving_a_parameter_changed_after_fit_to_a_bad_value_is_refused(store, tmp_path):
    model = copy.deepcopy(store("ease").model)
    model.set_params(alpha=-2.0)
    with pytest.raises(ModelFileError, match=r"cannot save EASE to .*parameter 'alpha' = -2\.0 is not valid"):
        model.save(tmp_path / "m")
    model.set_params(alpha=1.0, confidence=["binary"])
    with pytest.raises(ModelFileError, match=r"parameter 'confidence' = \['binary'\] has the wrong type: "
                                             r"expected str, found list"):
        model.save(tmp_path / "m")
    assert not (tmp_path / "m").exists()


# ---------------------------------------------------------------------- round trip
@pytest.mark.parametrize("variant", _marked(VARIANT_IDS))
def test_round_trip_gives_identical_recommendations(store, variant):
    saved = store(variant)
    model = saved.model
    loaded = reclite.load_model(saved.root / variant)
    assert type(loaded) is type(model)
    assert loaded.get_params(deep=False) == model.get_params(deep=False)
    k = model.n_items_
    pd.testing.assert_frame_equal(loaded.recommend(k=k), model.recommend(k=k), check_exact=True)
    pd.testing.assert_frame_equal(loaded.recommend(k=k, filter_seen=False), model.recommend(k=k, filter_seen=False),
                                  check_exact=True)
    if model.supports_history:
        pd.testing.assert_frame_equal(loaded.recommend_from_history(["ia00", "ib03"], k=5),
                                      model.recommend_from_history(["ia00", "ib03"], k=5), check_exact=True)
    if model.supports_similar_items:
        pd.testing.assert_frame_equal(loaded.similar_items(["ia00"], k=5), model.similar_items(["ia00"], k=5),
                                      check_exact=True)


# ---------------------------------------------------------------------- parameters
@pytest.mark.parametrize("name", _marked(REGISTRY_IDS))
def test_unknown_missing_and_mistyped_parameters(store, name):
    saved = store(name)
    meta, _ = saved.copies()
    meta["params"]["n_factorz"] = 8  # an extra key, added by hand
    # every model has alpha but the ensembles (each member weighs the data itself); they have top_n/normalize
    # (ContentExpanded: each of its models weighs the data itself; it has n_expand)
    some = next(p for p in ("alpha", "top_n", "normalize", "n_expand") if p in meta["params"])
    assert_names(refused(saved.write(meta)), "params.json", "parameter", "n_factorz",
                 f"is not a parameter of {type(saved.model).__name__}", some)
    meta, _ = saved.copies()
    del meta["params"][some]
    assert_names(refused(saved.write(meta)), "params.json", "parameter", some, "is missing")
    # a JSON list is of a type no parameter of any model can take, but an ensemble's members and weights
    for pname in meta["params"]:
        meta, _ = saved.copies()
        meta["params"][pname] = [1, 2]
        takes_lists = (getattr(type(saved.model), "_member_attribute", None) and pname in ("estimators", "weights")
                       or pname in LIST_PARAMETERS.get(name, ()))
        assert_names(refused(saved.write(meta)), "params.json", "parameter", pname,
                     *(("= [1, 2] is not valid",) if takes_lists else
                       ("= [1, 2] has the wrong type: expected", "found list")))
    meta, _ = saved.copies()
    meta["params"][some] = "high" if some != "normalize" else 3.0
    assert_names(refused(saved.write(meta)), "params.json", "parameter", some,
                 "wrong type: expected", "found str" if some != "normalize" else "found float")
    meta, _ = saved.copies()
    meta["params"] = ["not", "an", "object"]
    assert_names(refused(saved.write(meta)), "params.json", "entry", "params", "must be an object")


@pytest.mark.parametrize("name", _marked(REGISTRY_IDS))
def test_confidence_parameters_are_checked_as_fit_checks_them(store, name):
    saved = store(name)
    if "alpha" not in saved.meta["params"]:
        pytest.skip(f"{name} has no confidence of its own: each member weighs the data with its own")
    for pname, bad, phrase in [("alpha", -1.0, "alpha must be a finite number >= 0"),
                               ("confidence", "genre+nonsense", "nonsense"),
                               ("confidence_params", {"era": {"tau": -3}}, "era.tau")]:
        meta, _ = saved.copies()
        meta["params"][pname] = bad
        assert_names(refused(saved.write(meta)), "params.json", "parameter", pname, "is not valid", phrase)


@pytest.mark.parametrize("name", _marked(REGISTRY_IDS))
def test_a_value_the_models_own_checks_refuse_names_the_parameter(store, name):
    saved = store(name)
    pname, bad = BAD_VALUES[name]
    meta, _ = saved.copies()
    meta["params"][pname] = bad
    path = saved.write(meta)
    cls = type(saved.model)
    if not hasattr(cls, "_check_params"):
        try:
            reclite.load_model(path)
        except ModelFileError as exc:  # refused by its type (a Literal), before any own check
            assert_names(str(exc), "params.json", "parameter", pname)
            return
        pytest.skip(f"{cls.__name__} checks its parameters only in fit (no _check_params)")
    assert_names(refused(path), "params.json", "parameter", pname, f"= {bad!r} is not valid")


def test_an_int_parameter_tampered_to_a_negative_names_it(store):
    """The issue's example, on ALS's factors."""
    if "als" not in REGISTRY_IDS:
        pytest.skip("ALS is not available")
    saved = store("als")
    meta, _ = saved.copies()
    meta["params"]["factors"] = -1
    assert_names(refused(saved.write(meta)), "params.json", "parameter", "factors",
                 "= -1 is not valid", "factors must be an integer >= 1, got -1")


def test_class_outside_the_registry_is_refused(store):
    saved = store("ease")
    for name in ("Recommender", "IdMap", "reclite.models.ease.EASE", 17):
        meta, _ = saved.copies()
        meta["class"] = name
        with pytest.raises(ModelFileError, match=r"params\.json: unknown model class"):
            reclite.load_model(saved.write(meta))


# ---------------------------------------------------------------------- attributes
def _wrong_dtype(arr: np.ndarray) -> np.ndarray:
    if arr.dtype.kind == "U":
        return arr.astype("S")
    if arr.dtype == np.bool_:
        return arr.astype(np.int8)
    return arr.astype({"f": {4: np.float64, 8: np.float32}, "i": {4: np.int64, 8: np.int32}}[arr.dtype.kind]
                      [arr.dtype.itemsize])


def _wrong_json(value: Any) -> Any:
    return 5 if isinstance(value, str) else "not-this"


def _tampers(attr: str, spec: Fitted, meta: dict[str, Any], arrays: dict[str, np.ndarray], params: set[str]):
    """(what, file, phrase, tamper(meta, arrays)) for one attribute of a saved model."""
    yield "missing from params.json", "params.json", "is missing", lambda m, a: m["attributes"].pop(attr)
    other = "array" if spec.kind != "array" else "csr"
    yield "wrong kind", "params.json", "has the wrong kind", \
        lambda m, a: m["attributes"][attr].update(kind=other)
    if spec.kind == "json":
        value = meta["attributes"][attr]["value"]
        yield "wrong JSON type", "params.json", "has the wrong type", \
            lambda m, a: m["attributes"][attr].update(value=_wrong_json(value))
        yield "no value", "params.json", "has no 'value'", lambda m, a: m["attributes"][attr].pop("value")
        if spec.choices:
            yield "not a choice", "params.json", "is not one of", \
                lambda m, a: m["attributes"][attr].update(value="nonsense")
        return
    if spec.kind in ("array", "idmap"):
        arr = arrays[attr]
        yield "missing array", "arrays.npz", "is missing", lambda m, a: a.pop(attr)
        yield "wrong dtype", "arrays.npz", "has the wrong dtype", \
            lambda m, a: a.update({attr: _wrong_dtype(arr)})
        yield "object dtype", "arrays.npz", "has dtype object", \
            lambda m, a: a.update({attr: np.array([{"x": 1}] * 2, dtype=object)})
        yield "extra dimension", "arrays.npz", "expected", lambda m, a: a.update({attr: arr[..., None]})
        first, _ = parse_dim(spec.shape[0])
        if first in ("n_users_", "n_items_"):  # a size fixed elsewhere: one row short is wrong
            what = "number of ids" if spec.kind == "idmap" else "shape"
            yield "one row short", "arrays.npz", f"has the wrong {what}", lambda m, a: a.update({attr: arr[:-1]})
        if arr.ndim == 2 and parse_dim(spec.shape[1])[0] in {"n_users_", "n_items_", *params}:
            yield "one column short", "arrays.npz", "has the wrong shape", \
                lambda m, a: a.update({attr: arr[:, :-1]})
        if spec.kind == "idmap":
            dup = arr.copy()
            dup[1] = dup[0]
            yield "repeated id", "arrays.npz", "is not a valid id map", lambda m, a: a.update({attr: dup})
            yield "id map name", "params.json", "bad id map name", \
                lambda m, a: m["attributes"][attr].update(name=5)
        if spec.index_of:
            bad = arr.copy()
            bad[0] = meta["attributes"]["n_items_"]["value"]
            yield "index out of range", "arrays.npz", "holds indices in", lambda m, a: a.update({attr: bad})
        return
    # csr / multihot
    data, indices, indptr = (arrays[f"{attr}.{p}"] for p in ("data", "indices", "indptr"))
    rows, cols = meta["attributes"][attr]["shape"]
    reversed_ptr = indptr.copy()
    reversed_ptr[1:-1] = reversed_ptr[1:-1][::-1]
    assert (np.diff(reversed_ptr) < 0).any()
    out_of_range = indices.copy()
    out_of_range[0] = cols
    yield "missing part", "arrays.npz", f"is missing its part '{attr}.indptr'", lambda m, a: a.pop(f"{attr}.indptr")
    yield "indptr not monotone", "arrays.npz", "indptr decreases", \
        lambda m, a: a.update({f"{attr}.indptr": reversed_ptr})
    yield "indptr too short", "arrays.npz", f"indptr has {rows} entries, expected {rows + 1}", \
        lambda m, a: a.update({f"{attr}.indptr": indptr[:-1]})
    yield "index out of range", "arrays.npz", "column indices span", \
        lambda m, a: a.update({f"{attr}.indices": out_of_range})
    yield "data shorter than indices", "arrays.npz", f"{len(data) - 1} values but {len(indices)} indices", \
        lambda m, a: a.update({f"{attr}.data": data[:-1]})
    yield "wrong data dtype", "arrays.npz", f"has the wrong dtype (part '{attr}.data')", \
        lambda m, a: a.update({f"{attr}.data": _wrong_dtype(data)})
    yield "float indices", "arrays.npz", f"has the wrong dtype (part '{attr}.indices')", \
        lambda m, a: a.update({f"{attr}.indices": indices.astype(np.float64)})
    yield "shape not the model's", "params.json", "has the wrong shape", \
        lambda m, a: m["attributes"][attr].update(shape=[rows + 1, cols])
    yield "impossible shape", "params.json", "has a bad shape", \
        lambda m, a: m["attributes"][attr].update(shape=[rows, -1])


@pytest.mark.parametrize("variant", _marked(VARIANT_IDS))
def test_every_tampered_attribute_is_named(store, variant):
    saved = store(variant)
    n = 0
    for attr, spec in saved.chosen().items():
        for what, file, phrase, tamper in _tampers(attr, spec, saved.meta, saved.arrays,
                                                      set(saved.model.get_params(deep=False))):
            meta, arrays = saved.copies()
            tamper(meta, arrays)
            message = refused(saved.write(meta, arrays))
            assert f"{os.sep}{file}: attribute {attr!r}" in message and phrase in message, (what, message)
            n += 1
    assert n >= 6 * 5  # the six shared attributes alone give more


@pytest.mark.parametrize("name", _marked(REGISTRY_IDS))
def test_unknown_attributes_and_arrays_are_refused(store, name):
    saved = store(name)
    meta, arrays = saved.copies()
    meta["attributes"]["bogus_"] = {"kind": "json", "value": 1}
    assert_names(refused(saved.write(meta, arrays)), "params.json", "attribute", "bogus_",
                 "is not a fitted attribute")
    meta, arrays = saved.copies()
    arrays["bogus_"] = np.zeros(3)
    assert_names(refused(saved.write(meta, arrays)), "arrays.npz", "attribute", "bogus_", "is not stored by")
    meta, arrays = saved.copies()
    meta["attributes"] = []
    assert_names(refused(saved.write(meta, arrays)), "params.json", "entry", "attributes", "must be an object")


def test_a_wrong_shape_is_refused_on_load_not_at_recommend_time(store):
    """Before: a 19 x 20 EASE weight matrix loaded, and recommend raised RuntimeError."""
    saved = store("ease")
    meta, arrays = saved.copies()
    arrays["weights_"] = arrays["weights_"][:-1]
    message = refused(saved.write(meta, arrays))
    assert_names(message, "arrays.npz", "attribute", "weights_",
                 "has the wrong shape: expected (20, 20) (n_items_=20, n_items_=20), found (19, 20)")


def test_free_sizes_must_agree_between_arrays(store):
    """surprise's factor count is nobody's parameter: fixed by the first array, then held."""
    if "surprise_svd" not in REGISTRY_IDS:
        pytest.skip("surprise is not available")
    saved = store("surprise_svd")
    meta, arrays = saved.copies()
    arrays["item_factors_"] = arrays["item_factors_"][:, :-1]
    message = refused(saved.write(meta, arrays))
    assert_names(message, "arrays.npz", "attribute", "item_factors_", "n_factors=100 as in 'user_factors_'",
                 "found (20, 99)")


def test_an_attribute_that_belongs_to_another_variant_is_refused(store):
    """kind_ follows from algorithm: a factor model's file cannot claim to be KNN."""
    if "surprise_svd" not in REGISTRY_IDS:
        pytest.skip("surprise is not available")
    saved = store("surprise_svd")
    meta, arrays = saved.copies()
    meta["attributes"]["kind_"]["value"] = "knn"
    assert_names(refused(saved.write(meta, arrays)), "params.json", "attribute", "kind_",
                 "is not one of 'factor'")
    meta, arrays = saved.copies()
    meta["attributes"]["user_based_"] = {"kind": "json", "value": True}
    assert_names(refused(saved.write(meta, arrays)), "params.json", "attribute", "user_based_",
                 "does not belong in this SurpriseRecommender model")
