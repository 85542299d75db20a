"""Model files against model classes: saving a model, and loading one only after its files fit.

:mod:`reclite.persist` reads and writes the files and knows no model class; this module
looks the class up in the registry (:mod:`reclite.models.registry`), decides whether
what was read can be a model of that class, and turns it into live values. Every check
raises :class:`~reclite.persist.FileMismatch` naming the file part (``params.json`` or
``arrays.npz``) and the parameter or attribute, with what was expected and what was
found; :func:`load_model` adds the directory and raises
:class:`~reclite.errors.ModelFileError`.

Parameters are checked against the class's constructor: the same names (none unknown,
none missing), JSON values of a type its signature allows, then the model's own
data-free checks (the confidence expression, ``alpha`` and ``confidence_params``, and
``_check_params`` where the model has one). Fitted attributes are checked against the
class's declarations (:mod:`reclite.models._fitted`): kind, dtype, shape, CSR structure,
index ranges.
"""

from __future__ import annotations

import numbers
import reprlib
import types
import typing
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from ..data.dataset import MultiHot
from ..data.idmap import IdMap
from ..errors import ModelFileError, RecliteError
from ..persist import (
    ARRAYS_FILE,
    PARAMS_FILE,
    FileMismatch,
    encode_attributes,
    jsonable,
    read_arrays,
    read_meta,
    write_model_files,
)
from ._fitted import Fitted, applies, declared_attributes, parse_dim

__all__ = ["save_model", "load_model", "param_names", "check_params", "check_param_values",
           "decode_attributes", "array_keys"]


_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60
_short.maxlist = _short.maxdict = 6


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    return {int: "int", float: "float", str: "str", dict: "object", list: "list"}.get(type(value),
                                                                                 type(value).__name__)


# ---------------------------------------------------------------------- parameters
def param_names(cls: type) -> list[str]:
    """The constructor parameters of a model class (what ``get_params`` returns)."""
    return list(cls._get_param_names())  # type: ignore[attr-defined]


def _init_hints(cls: type) -> dict[str, Any]:
    """Type hints of the constructor, evaluated (empty when they cannot be)."""
    try:
        return typing.get_type_hints(cls.__init__)  # type: ignore[misc]
    except Exception:  # noqa: BLE001 - an unevaluable annotation only skips the type check
        return {}


def _type_ok(value: Any, hint: Any) -> bool:
    """Whether a value read from JSON (or decoded from it) can be of type ``hint``."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, arg) for arg in typing.get_args(hint))
    if origin is Literal:
        return any(type(value) is type(arg) and value == arg for arg in typing.get_args(hint))
    if hint is None or hint is type(None):
        return value is None
    if hint is bool:  # 0 and 1 as well: what a command line gives for a flag, and Python's bool() takes
        return isinstance(value, (bool, np.bool_)) or (type(value) is int and value in (0, 1))
    if hint in (int, float, numbers.Integral, numbers.Real, numbers.Number):
        # numbers of either kind: whether an int-only parameter may be 2.0 is the
        # model's own check to make, not a question of JSON types
        return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if hint is str:
        return isinstance(value, str)
    if hint in (dict, Mapping) or origin in (dict, Mapping, typing.Mapping):
        return isinstance(value, Mapping)
    if hint in (list, tuple) or origin in (list, tuple):
        return isinstance(value, (list, tuple))
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True  # a hint this check does not understand: the model's own checks decide


def _literal_types(hint: Any) -> set[str]:
    """JSON types of the choices of the Literals in ``hint`` (a Literal or a union holding some)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_literal_types(arg) for arg in typing.get_args(hint)))
    if origin is Literal:
        return {_json_type(arg) for arg in typing.get_args(hint)}
    return set()


def _describe_hint(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe_hint(arg) for arg in typing.get_args(hint))
    if origin is Literal:
        return " or ".join(repr(arg) for arg in typing.get_args(hint))
    if hint is None or hint is type(None):
        return "null"
    if origin is not None:
        return _describe_hint(origin)
    if hint in (numbers.Integral,):
        return "int"
    if hint in (numbers.Real, numbers.Number):
        return "float"
    if isinstance(hint, type):
        mod = hint.__module__
        return hint.__name__ if mod == "builtins" else f"{mod.split('.')[0]}.{hint.__qualname__}"
    return str(hint)


def check_params(cls: type, raw: Any) -> dict[str, Any]:
    """The constructor arguments stored in ``params.json``, checked against ``cls``.

    Every key must be one of the constructor's parameters and every parameter must be
    there; each value must be of a type the constructor's signature allows.
    """
    name = cls.__name__
    names = param_names(cls)
    if not isinstance(raw, Mapping):
        raise FileMismatch(PARAMS_FILE, "entry", "params",
                           f"must be an object of {name}'s parameters, found {_json_type(raw)}")
    for key in raw:
        if key not in names:
            raise FileMismatch(PARAMS_FILE, "parameter", str(key),
                               f"is not a parameter of {name} (its parameters: {', '.join(names)})")
    for key in names:
        if key not in raw:
            raise FileMismatch(PARAMS_FILE, "parameter", key,
                               f"is missing (a {name} file lists every one of: {', '.join(names)})")
    params = dict(raw)
    hints = _init_hints(cls)
    for key in names:
        if key in hints and not _type_ok(params[key], hints[key]):
            # a value of the right JSON type that is not one of a Literal's choices is a
            # bad value, not a bad type
            problem = ("is not valid" if _json_type(params[key]) in _literal_types(hints[key])
                       else "has the wrong type")
            raise FileMismatch(PARAMS_FILE, "parameter", key,
                               f"= {_short.repr(params[key])} {problem}: expected "
                               f"{_describe_hint(hints[key])}, found {_json_type(params[key])}")
    return params


def _data_free_checks(model: Any) -> list[tuple[str, Any]]:
    """(parameter, check) for the confidence parameters every model validates in ``fit``."""
    from ..confidence import check_alpha, check_confidence_params, parse_confidence

    checks: list[tuple[str, Any]] = []
    if hasattr(model, "confidence"):
        checks.append(("confidence", lambda: parse_confidence(model.confidence)))
    if hasattr(model, "alpha"):
        checks.append(("alpha", lambda: check_alpha(model.alpha)))
    if hasattr(model, "confidence_params"):
        checks.append(("confidence_params", lambda: check_confidence_params(model.confidence_params)))
    return checks


_CHECK_ERRORS = (ValueError, TypeError, RecliteError)


def _run_own_check(model: Any) -> Exception | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. BPR warns about confidence at every check
        try:
            model._check_params()
        except _CHECK_ERRORS as exc:
            return exc
    return None


def check_param_values(model: Any) -> None:
    """Run the model's own parameter checks that need no data; a failure names the parameter.

    The confidence expression, ``alpha`` and ``confidence_params`` are checked as
    ``fit`` checks them. A model with a ``_check_params()`` method (raising
    ``ValueError``/``TypeError``/``ParameterError`` on a bad value) has it run; when it
    fails, each parameter is tried alone on a default model to name the culprit.
    """
    for pname, check in _data_free_checks(model):
        try:
            check()
        except _CHECK_ERRORS as exc:
            raise FileMismatch(PARAMS_FILE, "parameter", pname,
                               f"= {_short.repr(getattr(model, pname))} is not valid: {exc}") from None
    if not callable(getattr(model, "_check_params", None)):
        return
    failure = _run_own_check(model)
    if failure is None:
        return
    cls = type(model)
    params = model.get_params(deep=False)
    for pname in param_names(cls):
        if _run_own_check(cls(**{pname: params[pname]})) is not None:
            raise FileMismatch(PARAMS_FILE, "parameter", pname,
                               f"= {_short.repr(params[pname])} is not valid: {failure}")
    raise FileMismatch(PARAMS_FILE, "entry", "params", f"holds parameters that do not go together: {failure}")


# ---------------------------------------------------------------------- attributes
def array_keys(name: str, spec: Fitted) -> list[str]:
    """The ``arrays.npz`` entries an attribute of this declaration is stored in."""
    if spec.kind in ("array", "idmap"):
        return [name]
    if spec.kind == "csr":
        return [f"{name}.data", f"{name}.indices", f"{name}.indptr"]
    if spec.kind == "multihot":
        return [f"{name}.data", f"{name}.indices", f"{name}.indptr", f"{name}.vocabulary"]
    return []


def _dtype_ok(found: np.dtype, allowed: tuple[str, ...]) -> bool:
    for want in allowed:
        if want == "any":
            return True
        if want == "integer":
            if found.kind in "iu":
                return True
            continue
        if want == "str":
            if found.kind == "U":
                return True
            continue
        exp = np.dtype(want)  # kind + size: a big-endian file's float32 is still float32
        if found.kind == exp.kind and found.itemsize == exp.itemsize:
            return True
    return False


def _json_ok(value: Any, allowed: tuple[str, ...]) -> bool:
    for want in allowed:
        if want == "any":
            return True
        if want == "null" and value is None:
            return True
        if want == "bool" and isinstance(value, bool):
            return True
        if want == "int" and isinstance(value, int) and not isinstance(value, bool):
            return True
        if want == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if want == "str" and isinstance(value, str):
            return True
        if want == "dict" and isinstance(value, dict):
            return True
        if want == "list" and isinstance(value, list):
            return True
    return False


class _Decoder:
    """Checks one file's attributes in declaration order and builds their values."""

    def __init__(self, cls: type, params: Mapping[str, Any], attrs: Mapping[str, Any],
                 arrays: Mapping[str, np.ndarray]) -> None:
        self.cls = cls
        self.env: dict[str, Any] = dict(params)
        self.attrs = attrs
        self.arrays = arrays
        self.free: dict[str, tuple[int, str]] = {}  # free size -> (value, attribute that fixed it)

    # -- helpers ----------------------------------------------------------
    def fail(self, file: str, name: str, detail: str) -> FileMismatch:
        return FileMismatch(file, "attribute", name, detail)

    def size(self, attr: str, dim: Any, found: int | None) -> tuple[int | None, str]:
        """The size a declared dimension asks for (None: any), and how to say it."""
        sym, offset = parse_dim(dim)
        if sym is None:
            return offset, str(offset)
        if sym == "any":
            return None, "any"
        if sym in self.env:
            value = self.env[sym]
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                raise FileMismatch(PARAMS_FILE, "parameter" if not sym.endswith("_") else "attribute", sym,
                                   f"= {_short.repr(value)} must be an integer: it is a size of {attr!r}")
            return int(value) + offset, f"{dim}={int(value) + offset}"
        if sym.endswith("_"):  # pragma: no cover - a declaration bug, caught by the test suite
            raise RuntimeError(f"{self.cls.__name__}: the declaration of {attr!r} uses {sym!r}, which is "
                               "neither a parameter nor a JSON attribute declared before it")
        if sym in self.free:
            value, origin = self.free[sym]
            return value + offset, f"{dim}={value + offset} as in {origin!r}"
        if found is not None and found - offset >= 0:
            self.free[sym] = (found - offset, attr)
            return found, str(dim)
        return offset, str(dim)

    def check_shape(self, file: str, attr: str, spec_shape: tuple[Any, ...], found: tuple[int, ...],
                    what: str = "shape") -> None:
        if len(found) != len(spec_shape):
            raise self.fail(file, attr, f"has the wrong {what}: expected {len(spec_shape)} dimension(s) "
                                        f"({', '.join(map(str, spec_shape))}), found {found}")
        expected: list[int | None] = []
        said: list[str] = []
        for dim, got in zip(spec_shape, found):
            want, text = self.size(attr, dim, int(got))
            expected.append(want)
            said.append(text)
        if any(w is not None and w != g for w, g in zip(expected, found)):
            exp = tuple("any" if w is None else w for w in expected)
            raise self.fail(file, attr, f"has the wrong {what}: expected {exp} ({', '.join(said)}), "
                                        f"found {tuple(found)}")

    def get_array(self, attr: str, key: str, spec: Fitted) -> np.ndarray:
        if key not in self.arrays:
            if key == attr:
                raise self.fail(ARRAYS_FILE, attr, f"is missing (expected {spec.describe()})")
            raise self.fail(ARRAYS_FILE, attr, f"is missing its part {key!r} (expected {spec.describe()})")
        return np.asarray(self.arrays[key])

    def check_dtype(self, attr: str, arr: np.ndarray, allowed: tuple[str, ...], key: str | None = None) -> None:
        if not _dtype_ok(arr.dtype, allowed):
            part = f" (part {key!r})" if key and key != attr else ""
            raise self.fail(ARRAYS_FILE, attr, f"has the wrong dtype{part}: expected {' or '.join(allowed)}, "
                                               f"found {arr.dtype}")

    def check_json(self, attr: str, spec: Fitted, info: Mapping[str, Any]) -> Any:
        if "value" not in info:
            raise self.fail(PARAMS_FILE, attr, "has no 'value'")
        value = info["value"]
        if not _json_ok(value, spec.dtype):
            raise self.fail(PARAMS_FILE, attr, f"= {_short.repr(value)} has the wrong type: expected "
                                               f"{' or '.join(spec.dtype)}, found {_json_type(value)}")
        if spec.choices is not None and not any(type(value) is type(c) and value == c for c in spec.choices):
            raise self.fail(PARAMS_FILE, attr, f"= {_short.repr(value)} is not one of "
                                               f"{', '.join(map(repr, spec.choices))}")
        if spec.minimum is not None and isinstance(value, (int, float)) and not value >= spec.minimum:
            raise self.fail(PARAMS_FILE, attr, f"= {_short.repr(value)} is below its minimum {spec.minimum:g}")
        return value

    def info(self, attr: str, spec: Fitted) -> Mapping[str, Any]:
        if attr not in self.attrs:
            raise self.fail(PARAMS_FILE, attr, f"is missing (expected {spec.describe()})")
        info = self.attrs[attr]
        if not isinstance(info, Mapping) or "kind" not in info:
            raise self.fail(PARAMS_FILE, attr, f"must be an object with a 'kind', found {_short.repr(info)}")
        if info["kind"] != spec.kind:
            raise self.fail(PARAMS_FILE, attr, f"has the wrong kind: expected {spec.kind!r}, "
                                               f"found {_short.repr(info['kind'])}")
        return info

    # -- kinds ----------------------------------------------------------------
    def csr_parts(self, attr: str, spec: Fitted, info: Mapping[str, Any]) -> sp.csr_matrix:
        shape = info.get("shape")
        if (not isinstance(shape, list) or len(shape) != 2
                or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)):
            raise self.fail(PARAMS_FILE, attr, f"has a bad shape: expected two non-negative integers, "
                                               f"found {_short.repr(shape)}")
        assert spec.shape is not None
        self.check_shape(PARAMS_FILE, attr, spec.shape, tuple(shape))
        n_rows, n_cols = shape
        data, indices, indptr = (self.get_array(attr, f"{attr}.{p}", spec) for p in ("data", "indices", "indptr"))
        for part, arr in (("data", data), ("indices", indices), ("indptr", indptr)):
            if arr.ndim != 1:
                raise self.fail(ARRAYS_FILE, attr, f"is not a valid CSR matrix: its {part} has shape "
                                                   f"{arr.shape}, expected one dimension")
        self.check_dtype(attr, data, spec.dtype, f"{attr}.data")
        self.check_dtype(attr, indices, ("integer",), f"{attr}.indices")
        self.check_dtype(attr, indptr, ("integer",), f"{attr}.indptr")
        bad = self.csr_problem(indptr, indices, data, n_rows, n_cols)
        if bad:
            raise self.fail(ARRAYS_FILE, attr, f"is not a valid CSR matrix of shape ({n_rows}, {n_cols}): {bad}")
        return sp.csr_matrix((data, indices, indptr), shape=(n_rows, n_cols))

    @staticmethod
    def csr_problem(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, n_rows: int, n_cols: int) -> str:
        if len(indptr) != n_rows + 1:
            return f"indptr has {len(indptr)} entries, expected {n_rows + 1} (rows + 1)"
        if indptr[0] != 0:
            return f"indptr starts at {indptr[0]}, expected 0"
        if (np.diff(indptr) < 0).any():
            row = int(np.flatnonzero(np.diff(indptr) < 0)[0])
            return f"indptr decreases after row {row}"
        if indptr[-1] != len(indices):
            return f"indptr ends at {indptr[-1]} but there are {len(indices)} indices"
        if len(data) != len(indices):
            return f"{len(data)} values but {len(indices)} indices"
        if len(indices) and (indices.min() < 0 or indices.max() >= n_cols):
            return f"column indices span [{indices.min()}, {indices.max()}], outside [0, {n_cols})"
        return ""

    def decode(self, attr: str, spec: Fitted) -> Any:
        info = self.info(attr, spec)
        if spec.kind == "json":
            return self.check_json(attr, spec, info)
        if spec.kind == "csr":
            return self.csr_parts(attr, spec, info)
        if spec.kind == "multihot":
            m = self.csr_parts(attr, spec, info)
            vocab = self.get_array(attr, f"{attr}.vocabulary", spec)
            self.check_dtype(attr, vocab, ("str",), f"{attr}.vocabulary")
            assert spec.shape is not None
            self.check_shape(ARRAYS_FILE, attr, (spec.shape[1],), vocab.shape, what="vocabulary length")
            return MultiHot(m, vocab)
        arr = self.get_array(attr, attr, spec)
        self.check_dtype(attr, arr, spec.dtype)
        if spec.shape is not None:
            self.check_shape(ARRAYS_FILE, attr, spec.shape, arr.shape,
                             what="number of ids" if spec.kind == "idmap" else "shape")
        if spec.index_of is not None and arr.size:
            n, text = self.size(attr, spec.index_of, None)
            lo, hi = int(arr.min()), int(arr.max())
            if n is not None and (lo < 0 or hi >= n):
                raise self.fail(ARRAYS_FILE, attr, f"holds indices in [{lo}, {hi}], outside [0, {n}) ({text})")
        if spec.kind == "idmap":
            name = info.get("name", "item")
            if not isinstance(name, str):
                raise self.fail(PARAMS_FILE, attr, f"has a bad id map name {_short.repr(name)}: expected str")
            try:
                return IdMap(arr, name=name)
            except ValueError as exc:
                raise self.fail(ARRAYS_FILE, attr, f"is not a valid id map: {exc}") from None
        return arr


def decode_attributes(cls: type, params: Mapping[str, Any], attrs: Any,
                      arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Check the stored attributes of a ``cls`` model against its declarations; their values.

    Parameters
    ----------
    cls : type
        The model class (its ``_fitted_attributes`` declarations apply).
    params : dict
        The model's (checked) constructor parameters: declarations refer to them.
    attrs : dict
        ``params.json``'s ``"attributes"``: name -> ``{"kind": ..., ...}``.
    arrays : mapping
        ``arrays.npz``'s arrays by key.

    Returns
    -------
    dict
        Attribute name -> value (arrays, CSR matrices, IdMaps, MultiHots, JSON values),
        in declaration order.

    Raises
    ------
    FileMismatch
        The first entry that does not fit, in this order: the JSON attributes (their
        values decide which declarations apply), attributes missing from or unknown
        to ``params.json``, arrays unknown to the class, then each attribute in
        declaration order (missing array, dtype, shape, structure, index range).
    """
    if not isinstance(attrs, Mapping):
        raise FileMismatch(PARAMS_FILE, "entry", "attributes",
                           f"must be an object of fitted attributes, found {_json_type(attrs)}")
    dec = _Decoder(cls, params, attrs, arrays)
    declared = declared_attributes(cls)
    values: dict[str, Any] = {}
    # 1. JSON attributes first: later declarations may depend on them (``when``, sizes)
    for attr, alts in declared.items():
        if all(a.kind == "json" for a in alts):
            spec = next((a for a in alts if applies(a, dec.env)), None)
            if spec is not None:
                values[attr] = dec.env[attr] = dec.decode(attr, spec)
    chosen = {attr: spec for attr, alts in declared.items()
              if (spec := next((a for a in alts if applies(a, dec.env)), None)) is not None}
    # 2. the set of attributes
    for attr, spec in chosen.items():
        if attr not in attrs:
            raise dec.fail(PARAMS_FILE, attr, f"is missing (expected {spec.describe()})")
    for attr in attrs:
        if attr not in chosen:
            if attr in declared:
                conds = "; ".join(", ".join(f"{k}={v!r}" for k, v in (a.when or {}).items()) for a in declared[attr])
                raise dec.fail(PARAMS_FILE, attr, f"does not belong in this {cls.__name__} model (it is declared only "
                                                  f"where {conds})")
            raise dec.fail(PARAMS_FILE, attr, f"is not a fitted attribute of {cls.__name__} (it declares: "
                                              f"{', '.join(chosen)})")
    expected_keys = {key for attr, spec in chosen.items() for key in array_keys(attr, spec)}
    for key in arrays:
        if key not in expected_keys:
            raise FileMismatch(ARRAYS_FILE, "attribute", key, f"is not stored by a {cls.__name__} model "
                               f"(its arrays: {', '.join(sorted(expected_keys))})")
    # 3. every attribute, in declaration order
    for attr, spec in chosen.items():
        if attr not in values:
            values[attr] = dec.decode(attr, spec)
    return {attr: values[attr] for attr in chosen}


# ---------------------------------------------------------------------- save and load
def save_model(model: Any, directory: Any, *, extra_files: dict[str, str] | None = None) -> Path:
    """Write ``model`` to ``directory`` (replaced atomically); returns the path.

    ``extra_files`` (file name -> text) are written into the directory with the model,
    in the same atomic step (the CLI's ``fit.json``: what the model was fitted on).

    The model's class must be one the registry knows, its parameters JSON values,
    and what is about to be written must pass the checks :func:`load_model` makes.
    Writing is :func:`reclite.persist.write_model_files`: an existing ``directory`` is
    replaced only when it is a reclite model directory, and if writing fails the
    previous model stays whole.
    """
    from sklearn.utils.validation import check_is_fitted

    from .registry import class_name_known

    check_is_fitted(model)
    cls_name = type(model).__name__
    if not class_name_known(cls_name):
        raise ModelFileError(f"{cls_name} is not a registered reclite model and cannot be saved")
    params = model.get_params(deep=False)
    if params.get("random_state") is not None and hasattr(model, "random_seed_"):
        # a Generator or SeedSequence is not JSON: record the int seed the fit used
        params = {**params, "random_state": int(model.random_seed_)}
    member_attr = getattr(type(model), "_member_attribute", None)
    members: list[Any] = []
    if member_attr is not None:  # an ensemble: its members as sub-folders members/0, members/1, ...
        members = list(getattr(model, member_attr))
        params = model._file_params(params)  # members given as models: kept as JSON descriptions
    if not jsonable(params):
        raise ModelFileError(f"{cls_name}: parameters are not JSON-serialisable: {params!r}")
    attrs, arrays = encode_attributes(model)  # without the members
    _check_encoding(model, params, attrs, arrays, directory)

    def write_extra(tmp: Path) -> None:
        for i, member in enumerate(members):
            save_model(member, tmp / MEMBERS_FOLDER / str(i))
        for name, text in (extra_files or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")

    return write_model_files(directory, cls_name, params, attrs, arrays,
                             extra=write_extra if members or extra_files else None)


MEMBERS_FOLDER = "members"


def _load_members(model: Any, directory: Path) -> list[Any]:
    """An ensemble's fitted members from ``directory/members/<i>``, checked against the ensemble."""
    specs = model._member_specs()  # (label, unfitted model) per member, from the parameters
    members = []
    for i, (label, spec) in enumerate(specs):
        sub = directory / MEMBERS_FOLDER / str(i)
        if not sub.is_dir():
            raise ModelFileError(f"{sub}: missing: the folder of member {i} ({label!r}) of this "
                                 f"{type(model).__name__}")
        member = load_model(sub)
        if type(member) is not type(spec):
            raise ModelFileError(f"{sub}: holds a {type(member).__name__}, but member {label!r} in "
                                 f"{directory / PARAMS_FILE} is a {type(spec).__name__}")
        for side in ("users_", "items_"):
            if not np.array_equal(getattr(member, side).ids, getattr(model, side).ids):
                raise ModelFileError(f"{sub}: member {label!r} has other {side[:-1]} ids than the "
                                     f"{type(model).__name__} in {directory}")
        members.append(member)
    extra = sorted(p.name for p in (directory / MEMBERS_FOLDER).iterdir()
                   if p.name not in {str(i) for i in range(len(specs))}) \
        if (directory / MEMBERS_FOLDER).is_dir() else []
    if extra:
        raise ModelFileError(f"{directory / MEMBERS_FOLDER}: holds {', '.join(extra)}, which no member of the "
                             f"{type(model).__name__} names ({len(specs)} members)")
    return members


def _check_encoding(model: Any, params: Any, attrs: dict[str, Any], arrays: dict[str, np.ndarray],
                    directory: Any) -> None:
    """Refuse to write a model file that :func:`load_model` would refuse.

    Parameters of a type the constructor does not allow, or values the model's own
    checks reject (set after ``fit``), are the caller's: :class:`ModelFileError`.
    Fitted attributes that do not match the class's declarations are reclite's own
    bug (a model that stores an attribute it does not declare): ``RuntimeError``.
    """
    cls = type(model)
    try:
        checked = check_params(cls, params)
        check_param_values(model)
    except FileMismatch as exc:
        raise ModelFileError(f"cannot save {cls.__name__} to {directory}: {exc.message}") from None
    try:
        decode_attributes(cls, checked, attrs, arrays)
    except FileMismatch as exc:
        raise RuntimeError(f"{cls.__name__} does not match its own declaration of fitted attributes "
                           f"(a bug in reclite; nothing was written): {exc.message}") from None


def load_model(directory: Any) -> Any:
    """Rebuild a model saved by :func:`save_model`, checking every entry of its files first.

    The class comes from the model registry by name (nothing the file names is
    imported), arrays are read with ``allow_pickle=False``, the parameters are checked
    against the class's constructor and the model's own checks, and every fitted
    attribute against the class's declarations (kind, dtype, shape, CSR structure,
    index ranges).

    Raises
    ------
    FileNotFoundError
        ``directory`` does not exist.
    ModelFileError
        Anything in the files that does not fit: the message names the file
        (``params.json`` or ``arrays.npz``) and the parameter or attribute, with what
        was expected and what was found.
    """
    from .registry import class_by_name

    directory = Path(directory)
    meta = read_meta(directory)
    cls_name = meta["class"]
    cls = class_by_name(cls_name) if isinstance(cls_name, str) else None
    pfile = directory / PARAMS_FILE
    if cls is None:
        raise ModelFileError(f"{pfile}: unknown model class {cls_name!r}")
    try:
        params = check_params(cls, meta["params"])
        try:
            model = cls(**params)
        except (ValueError, TypeError) as exc:  # constructors only store; a check there is still named
            raise ModelFileError(f"{pfile}: the parameters do not make a {cls.__name__}: {exc}") from None
        check_param_values(model)
        values = decode_attributes(cls, params, meta["attributes"], read_arrays(directory))
    except FileMismatch as exc:
        raise ModelFileError(f"{directory / exc.file}: {exc.message}") from None
    for name, value in values.items():
        setattr(model, name, value)
    member_attr = getattr(cls, "_member_attribute", None)
    if member_attr is not None:
        setattr(model, member_attr, _load_members(model, directory))
    return model
