"""Model directories: arrays in ``arrays.npz``, everything else in JSON. Never pickle.

Layout of a model directory::

    params.json    {"format_version", "class", "params": get_params(), "attributes": {...}}
    arrays.npz     every fitted array (CSR matrices as 4 arrays, IdMaps as their ids)
    versions.json  reclite, numpy, scipy, implicit... versions that wrote it

Loading reads ``arrays.npz`` with ``allow_pickle=False`` and rebuilds the model with
``cls(**params)`` where ``cls`` comes from the model registry by name, so loading a
file never imports or runs anything the file names.

Before anything is built, the files are checked against the class (``_modelfile.py``):
``params`` must name exactly the constructor's parameters, with values of the types its
signature allows and that pass the model's own data-free checks; every fitted
attribute must match the class's ``_fitted_attributes`` declaration (kind, dtype,
shape, CSR structure). The first mismatch is a :class:`ModelFileError` naming the file
and the parameter or attribute. ``save_model`` runs the same checks on what it is about
to write.

Hooks a model class may define: ``_params_to_json(self) -> dict`` (parameters as JSON
values, when ``get_params`` holds something JSON cannot), its twin the classmethod
``_params_from_json(cls, params) -> dict`` (constructor arguments back from them), and
``_after_load(self)`` (rebuild derived state once the attributes are set).
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._fs import atomic_dir, check_dir_target
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


MODEL_DIRECTORY = "a reclite model directory"


def is_model_directory(path: Any) -> bool:
    """True when ``path`` is a folder whose ``params.json`` says it is a reclite model.

    That is: the file parses as a JSON object holding ``"format_version"`` and
    ``"class"``. Only such a folder is ever replaced by :func:`save_model`.
    """
    pfile = Path(path) / "params.json"
    try:
        meta = json.loads(pfile.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "format_version" in meta and "class" in meta


def check_model_target(directory: Any) -> None:
    """Raise :class:`~reclite.errors.OutputError` now if :func:`save_model` would refuse ``directory``.

    For callers that want to fail before a long fit rather than after it. Nothing is
    created or changed.
    """
    check_dir_target(directory, may_replace=is_model_directory, what=MODEL_DIRECTORY)


def save_model(model: Any, directory: Any) -> Path:
    """Write ``model`` to ``directory`` (replaced atomically); returns the path.

    An existing ``directory`` is replaced only when it is a reclite model directory
    (see :func:`is_model_directory`); an existing file or any other folder raises
    :class:`~reclite.errors.OutputError` and nothing is changed. If writing fails the
    previous model stays whole.
    """
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
    _check_encoding(model, params, attrs, arrays, directory)
    directory = Path(directory)
    with atomic_dir(directory, may_replace=is_model_directory, what=MODEL_DIRECTORY) as tmp:
        members: dict[str, Any] = arrays  # typed loosely: numpy's stub reserves the keyword allow_pickle
        np.savez(tmp / "arrays.npz", **members)
        meta = {"format_version": FORMAT_VERSION, "class": cls_name, "params": params, "attributes": attrs}
        (tmp / "params.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        (tmp / "versions.json").write_text(json.dumps(_versions(), indent=2) + "\n", encoding="utf-8")
    return directory


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
    from ._modelfile import FileMismatch, check_param_values, check_params, decode_attributes
    from .models.registry import class_by_name

    directory = Path(directory)
    if not directory.exists():
        raise FileNotFoundError(f"{directory}: no such model directory (fit one with 'reclite fit')")
    pfile, afile = directory / "params.json", directory / "arrays.npz"
    if not directory.is_dir() or not pfile.is_file() or not afile.is_file():
        raise ModelFileError(f"{directory}: not a reclite model directory (expected params.json and arrays.npz)")
    meta = _read_meta(pfile)
    version = meta["format_version"]
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{directory}: model format version {version} is newer than this reclite reads "
            f"(version {FORMAT_VERSION}); upgrade reclite")
    cls_name = meta["class"]
    cls = class_by_name(cls_name) if isinstance(cls_name, str) else None
    if cls is None:
        raise ModelFileError(f"{pfile}: unknown model class {cls_name!r}")
    try:
        params = check_params(cls, meta["params"])
        try:
            model = cls(**params)
        except (ValueError, TypeError) as exc:  # constructors only store; a check there is still named
            raise ModelFileError(f"{pfile}: the parameters do not make a {cls.__name__}: {exc}") from None
        check_param_values(model)
        values = decode_attributes(cls, params, meta["attributes"], _read_arrays(afile))
    except FileMismatch as exc:
        raise ModelFileError(f"{directory / exc.file}: {exc.message}") from None
    for name, value in values.items():
        setattr(model, name, value)
    if hasattr(model, "_after_load"):
        model._after_load()
    return model


def _read_meta(pfile: Path) -> dict[str, Any]:
    """``params.json`` as a dict with its four entries (``format_version`` an int)."""
    try:
        meta = json.loads(pfile.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ModelFileError(f"{pfile}: corrupt model metadata ({exc})") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{pfile}: corrupt model metadata (expected a JSON object, found "
                             f"{type(meta).__name__})")
    for key in ("format_version", "class", "params", "attributes"):
        if key not in meta:
            raise ModelFileError(f"{pfile}: corrupt model metadata (no {key!r} entry)")
    version = meta["format_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(f"{pfile}: corrupt model metadata (format_version {version!r} is not an integer)")
    return meta


def _stored_dtype(npz: Any, key: str) -> np.dtype | None:
    """The dtype in an ``.npz`` member's header, read without loading (or unpickling) it."""
    try:
        with npz.zip.open(f"{key}.npy") as fh:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                return np.lib.format.read_array_header_1_0(fh)[2]
            if version == (2, 0):
                return np.lib.format.read_array_header_2_0(fh)[2]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        pass
    return None


def _read_arrays(afile: Path) -> dict[str, np.ndarray]:
    """Every array of ``arrays.npz`` (``allow_pickle=False``): an object array is refused by name."""
    from ._modelfile import ARRAYS_FILE, FileMismatch

    arrays: dict[str, np.ndarray] = {}
    try:
        npz = np.load(afile, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ValueError("a single array, not an archive of arrays")
        with npz:
            for key in npz.files:
                dtype = _stored_dtype(npz, key)
                if dtype is not None and dtype.hasobject:
                    raise FileMismatch(ARRAYS_FILE, "attribute", key.split(".")[0],
                                       f"has dtype object (pickled Python objects, in {key!r}); a model "
                                       "file holds only numbers and text, and reclite never unpickles")
                arrays[key] = npz[key]
    except FileMismatch:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise ModelFileError(f"{afile}: corrupt array file ({exc})") from None
    return arrays


def _check_encoding(model: Any, params: Any, attrs: dict[str, Any], arrays: dict[str, np.ndarray],
                    directory: Any) -> None:
    """Refuse to write a model file that :func:`load_model` would refuse.

    Parameters of a type the constructor does not allow, or values the model's own
    checks reject (set after ``fit``), are the caller's: :class:`ModelFileError`.
    Fitted attributes that do not match the class's declarations are reclite's own
    bug (a model that stores an attribute it does not declare): ``RuntimeError``.
    """
    from ._modelfile import FileMismatch, check_param_values, check_params, decode_attributes

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
