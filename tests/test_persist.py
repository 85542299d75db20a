"""Model directories: the files, what they hold, and every way loading one can fail."""

from __future__ import annotations

import json
import re
import zipfile

import numpy as np
import pytest

import reclite
from reclite.errors import ModelFileError
from reclite.persist import FORMAT_VERSION

from ._contract import make_model, planted_dataset


@pytest.fixture
def saved(tmp_path):
    model = make_model("ease").fit(planted_dataset())
    model.save(tmp_path / "m")
    return model, tmp_path / "m"


def test_model_directory_holds_npz_and_json_only(saved):
    model, path = saved
    assert sorted(p.name for p in path.iterdir()) == ["arrays.npz", "params.json", "versions.json"]
    meta = json.loads((path / "params.json").read_text())
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["class"] == "EASE"
    assert meta["params"] == model.get_params(deep=False)
    versions = json.loads((path / "versions.json").read_text())
    assert {"reclite", "numpy", "scipy"} <= set(versions)
    with np.load(path / "arrays.npz", allow_pickle=False) as npz:  # no object arrays anywhere
        assert all(npz[key].dtype != object for key in npz.files)
        assert {"weights_", "users_", "items_", "seen_.data", "seen_.indices", "seen_.indptr"} <= set(npz.files)


def test_loaded_model_has_the_same_arrays_and_id_maps(saved):
    model, path = saved
    loaded = reclite.load_model(path)
    np.testing.assert_array_equal(loaded.weights_, model.weights_)
    assert loaded.weights_.dtype == model.weights_.dtype
    assert loaded.users_ == model.users_ and loaded.items_ == model.items_
    assert (loaded.seen_ != model.seen_).nnz == 0
    assert loaded.n_users_ == model.n_users_ and loaded.n_items_ == model.n_items_


@pytest.mark.parametrize("name", ["genre_rule", "itemknn", "userknn", "rp3beta", "pop"])
def test_every_fitted_attribute_survives(tmp_path, name):
    model = make_model(name).fit(planted_dataset())
    model.save(tmp_path / "m")
    loaded = reclite.load_model(tmp_path / "m")
    for key, value in vars(model).items():
        if not key.endswith("_") or key.startswith("_"):
            continue
        other = getattr(loaded, key)
        if hasattr(value, "toarray"):
            np.testing.assert_array_equal(other.toarray(), value.toarray())
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(other, value)
        else:
            assert other == value, key


def test_newer_format_version_names_both_versions(saved):
    _, path = saved
    meta = json.loads((path / "params.json").read_text())
    meta["format_version"] = FORMAT_VERSION + 1
    (path / "params.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match=f"version {FORMAT_VERSION + 1} is newer .*version {FORMAT_VERSION}"):
        reclite.load_model(path)


def test_corrupt_metadata_is_a_clear_error(saved):
    _, path = saved
    (path / "params.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="corrupt model metadata"):
        reclite.load_model(path)


@pytest.mark.parametrize("edit, phrase", [
    (lambda meta: [meta], "expected a JSON object, found list"),
    (lambda meta: {k: v for k, v in meta.items() if k != "attributes"}, "no 'attributes' entry"),
    (lambda meta: {**meta, "format_version": "1"}, "format_version '1' is not an integer"),
])
def test_malformed_metadata_is_a_clear_error(saved, edit, phrase):
    _, path = saved
    meta = json.loads((path / "params.json").read_text())
    (path / "params.json").write_text(json.dumps(edit(meta)))
    with pytest.raises(ModelFileError, match=r"params\.json: corrupt model metadata \(" + re.escape(phrase)):
        reclite.load_model(path)


def test_a_single_array_instead_of_an_archive_is_a_clear_error(saved):
    _, path = saved
    with open(path / "arrays.npz", "wb") as fh:
        np.save(fh, np.zeros(3))
    with pytest.raises(ModelFileError, match=r"arrays\.npz: corrupt array file \(a single array"):
        reclite.load_model(path)


def test_corrupt_arrays_are_a_clear_error(saved):
    _, path = saved
    (path / "arrays.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ModelFileError, match="corrupt array file"):
        reclite.load_model(path)


def test_missing_array_is_a_clear_error(saved):
    _, path = saved
    with np.load(path / "arrays.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files if k != "weights_"}
    np.savez(path / "arrays.npz", **arrays)
    with pytest.raises(ModelFileError, match=r"arrays\.npz: attribute 'weights_' is missing "
                       r"\(expected array float32 \(n_items_, n_items_\)\)"):
        reclite.load_model(path)


def test_unknown_class_is_refused_without_importing_anything(saved):
    _, path = saved
    meta = json.loads((path / "params.json").read_text())
    meta["class"] = "os.system"
    (path / "params.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="unknown model class 'os.system'"):
        reclite.load_model(path)


def test_pickled_object_array_is_refused(saved):
    _, path = saved
    with np.load(path / "arrays.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["weights_"] = np.array([{"evil": 1}], dtype=object)
    np.savez(path / "arrays.npz", **arrays)
    with pytest.raises(ModelFileError, match=r"arrays\.npz: attribute 'weights_' has dtype object"):
        reclite.load_model(path)


def test_missing_directory_and_not_a_model_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such model directory"):
        reclite.load_model(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFileError, match="not a reclite model directory"):
        reclite.load_model(tmp_path / "empty")


def test_load_through_a_class_checks_the_class(saved):
    _, path = saved
    from reclite.models.knn import ItemKNN

    with pytest.raises(reclite.RecliteError, match="holds a EASE, not a ItemKNN"):
        ItemKNN.load(path)


def test_failed_save_keeps_the_previous_model(saved, monkeypatch):
    model, path = saved
    before = (path / "arrays.npz").read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert (path / "arrays.npz").read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["m"]  # no temporary left behind
    assert zipfile.is_zipfile(path / "arrays.npz")
