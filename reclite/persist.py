"""Model directories: arrays in ``arrays.npz``, everything else in JSON. Never pickle.

Layout of a model directory::

    params.json    {"format_version", "class", "params": get_params(), "attributes": {...}}
    arrays.npz     every fitted array (CSR matrices as 4 arrays, IdMaps as their ids)
    versions.json  reclite, numpy, scipy, implicit... versions that wrote it

Loading reads ``arrays.npz`` with ``allow_pickle=False`` and rebuilds the model with
``cls(**params)`` where ``cls`` comes from the model registry by name, so loading a
file never imports or runs anything the file names.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._fs import atomic_dir
from .data.dataset import MultiHot
from .data.idmap import IdMap
from .errors import ModelFileError

__all__ = ["save_model", "load_model", "FORMAT_VERSION"]

FORMAT_VERSION = 1


def _versions() -> dict[str, str]:
    import importlib.metadata as md
    import platform

    out = {"python": platform.python_version()}
    for pkg in ("reclite", "numpy", "scipy", "pandas", "scikit-learn", "numba", "implicit", "scikit-surprise"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


def _encode(model: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    attrs: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    for name, value in vars(model).items():
        if not name.endswith("_") or name.startswith("_"):
            continue
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                value = value.astype(str)
            arrays[name] = value
            attrs[name] = {"kind": "array"}
        elif sp.issparse(value):
            m = sp.csr_matrix(value)
            for part in ("data", "indices", "indptr"):
                arrays[f"{name}.{part}"] = getattr(m, part)
            attrs[name] = {"kind": "csr", "shape": list(m.shape)}
        elif isinstance(value, IdMap):
            arrays[name] = value.ids
            attrs[name] = {"kind": "idmap", "name": value.name}
        elif isinstance(value, MultiHot):
            m = value.matrix
            for part in ("data", "indices", "indptr"):
                arrays[f"{name}.{part}"] = getattr(m, part)
            arrays[f"{name}.vocabulary"] = np.asarray(value.vocabulary).astype(str)
            attrs[name] = {"kind": "multihot", "shape": list(m.shape)}
        elif isinstance(value, (np.integer, np.floating, np.bool_)):
            attrs[name] = {"kind": "json", "value": value.item()}
        elif _jsonable(value):
            attrs[name] = {"kind": "json", "value": value}
        else:
            raise ModelFileError(
                f"cannot save {type(model).__name__}.{name} of type {type(value).__name__}: "
                "model files hold arrays, sparse matrices, id maps and JSON values only")
    return attrs, arrays


def save_model(model: Any, directory: Any) -> Path:
    """Write ``model`` to ``directory`` (replaced atomically); returns the path."""
    from sklearn.utils.validation import check_is_fitted

    from .models.registry import class_name_known

    check_is_fitted(model)
    cls_name = type(model).__name__
    if not class_name_known(cls_name):
        raise ModelFileError(f"{cls_name} is not a registered reclite model and cannot be saved")
    params = model.get_params(deep=False)
    if hasattr(model, "_params_to_json"):
        params = model._params_to_json()
    if params.get("random_state") is not None and hasattr(model, "random_seed_"):
        # a Generator or SeedSequence is not JSON: record the int seed the fit used
        params = {**params, "random_state": int(model.random_seed_)}
    if not _jsonable(params):
        raise ModelFileError(f"{cls_name}: parameters are not JSON-serialisable: {params!r}")
    attrs, arrays = _encode(model)
    directory = Path(directory)
    with atomic_dir(directory) as tmp:
        np.savez(tmp / "arrays.npz", **arrays)
        meta = {"format_version": FORMAT_VERSION, "class": cls_name, "params": params, "attributes": attrs}
        (tmp / "params.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        (tmp / "versions.json").write_text(json.dumps(_versions(), indent=2) + "\n", encoding="utf-8")
    return directory


def load_model(directory: Any) -> Any:
    """Rebuild a model saved by :func:`save_model`."""
    from .models.registry import class_by_name

    directory = Path(directory)
    if not directory.exists():
        raise FileNotFoundError(f"{directory}: no such model directory (fit one with 'reclite fit')")
    pfile, afile = directory / "params.json", directory / "arrays.npz"
    if not directory.is_dir() or not pfile.is_file() or not afile.is_file():
        raise ModelFileError(f"{directory}: not a reclite model directory (expected params.json and arrays.npz)")
    try:
        meta = json.loads(pfile.read_text(encoding="utf-8"))
        version = int(meta["format_version"])
        cls_name, params, attrs = meta["class"], meta["params"], meta["attributes"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{pfile}: corrupt model metadata ({exc})") from None
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{directory}: model format version {version} is newer than this reclite reads "
            f"(version {FORMAT_VERSION}); upgrade reclite")
    cls = class_by_name(cls_name)
    if cls is None:
        raise ModelFileError(f"{pfile}: unknown model class {cls_name!r}")
    if hasattr(cls, "_params_from_json"):
        model = cls._params_from_json(params)
    else:
        model = cls(**params)
    try:
        with np.load(afile, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFileError(f"{afile}: corrupt array file ({exc})") from None
    try:
        for name, info in attrs.items():
            kind = info["kind"]
            if kind == "array":
                value = arrays[name]
            elif kind == "csr":
                value = sp.csr_matrix((arrays[f"{name}.data"], arrays[f"{name}.indices"],
                                       arrays[f"{name}.indptr"]), shape=tuple(info["shape"]))
            elif kind == "idmap":
                value = IdMap(arrays[name], name=info["name"])
            elif kind == "multihot":
                m = sp.csr_matrix((arrays[f"{name}.data"], arrays[f"{name}.indices"],
                                   arrays[f"{name}.indptr"]), shape=tuple(info["shape"]))
                value = MultiHot(m, arrays[f"{name}.vocabulary"])
            elif kind == "json":
                value = info["value"]
            else:
                raise KeyError(kind)
            setattr(model, name, value)
    except KeyError as exc:
        raise ModelFileError(f"{directory}: corrupt model file, missing or unknown entry {exc}") from None
    if hasattr(model, "_after_load"):
        model._after_load()
    return model
