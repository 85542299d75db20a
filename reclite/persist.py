"""Model directories: arrays in ``arrays.npz``, everything else in JSON. Never pickle.

Layout of a model directory::

    params.json    {"format_version", "class", "params": get_params(), "attributes": {...}}
    arrays.npz     every fitted array (CSR matrices as 4 arrays, IdMaps as their ids)
    versions.json  reclite, numpy, scipy, implicit... versions that wrote it

Loading reads ``arrays.npz`` with ``allow_pickle=False`` and rebuilds the model with
``cls(**params)`` where ``cls`` comes from the model registry by name, so loading a
file never imports or runs anything the file names.

Before anything is built, the files are checked against the class:
``params`` must name exactly the constructor's parameters, with values of the types its
signature allows and that pass the model's own data-free checks; every fitted
attribute must match the class's ``_fitted_attributes`` declaration (kind, dtype,
shape, CSR structure). The first mismatch is a :class:`ModelFileError` naming the file
and the parameter or attribute. Saving runs the same checks on what it is about to
write.

This module reads and writes those files and knows no model class: it turns a fitted
model's attributes into arrays and JSON (:func:`encode_attributes`), writes a directory
atomically (:func:`write_model_files`) and reads its parts back (:func:`read_meta`,
:func:`read_arrays`). Looking the class up, checking the files against it and
building the model are the models' own (:mod:`reclite.models._modelfile`).
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from ._fs import atomic_dir, check_dir_target
from .data.dataset import MultiHot
from .data.idmap import IdMap
from .errors import ModelFileError

__all__ = ["FORMAT_VERSION", "PARAMS_FILE", "ARRAYS_FILE", "FileMismatch", "MODEL_DIRECTORY", "is_model_directory",
           "check_model_target", "jsonable", "encode_attributes", "write_model_files", "read_meta", "read_arrays"]

FORMAT_VERSION = 1
PARAMS_FILE = "params.json"
ARRAYS_FILE = "arrays.npz"


class FileMismatch(Exception):
    """What in a model file does not fit its class.

    Attributes
    ----------
    file : {"params.json", "arrays.npz"}
        The file that holds the bad entry.
    subject : {"parameter", "attribute", "entry"}
        Whether a constructor parameter, a fitted attribute, or a whole section of
        ``params.json`` (``params``, ``attributes``) is wrong.
    name : str
        Its name.
    message : str
        The whole explanation, starting with the subject and name.
    """

    def __init__(self, file: str, subject: Literal["parameter", "attribute", "entry"], name: str,
                 detail: str) -> None:
        self.file = file
        self.subject = subject
        self.name = name
        self.message = f"{subject} {name!r} {detail}"
        super().__init__(self.message)


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


def jsonable(value: Any) -> bool:
    """Whether ``json.dumps`` takes ``value``."""
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


def encode_attributes(model: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A fitted model's attributes (names ending in ``_``) as ``params.json`` entries and arrays.

    Arrays, sparse matrices (as CSR), id maps, MultiHots and JSON values; anything else
    is a :class:`~reclite.errors.ModelFileError`. The attribute a class names in
    ``_member_attribute`` (an ensemble's fitted members) is left out: each member is a
    model directory of its own, written by the caller.
    """
    attrs: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    skip = getattr(type(model), "_member_attribute", None)
    for name, value in vars(model).items():
        if not name.endswith("_") or name.startswith("_") or name == skip:
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
        elif jsonable(value):
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


def write_model_files(directory: Any, class_name: str, params: dict[str, Any], attrs: dict[str, Any],
                      arrays: dict[str, np.ndarray], extra: Any = None) -> Path:
    """Write a model directory (``arrays.npz``, ``params.json``, ``versions.json``) atomically.

    An existing ``directory`` is replaced only when it is a reclite model directory
    (see :func:`is_model_directory`); an existing file or any other folder raises
    :class:`~reclite.errors.OutputError` and nothing is changed. If writing fails the
    previous model stays whole. ``extra(tmp)``, when given, writes more into the
    temporary directory before it replaces ``directory`` (an ensemble's member folders).
    """
    directory = Path(directory)
    with atomic_dir(directory, may_replace=is_model_directory, what=MODEL_DIRECTORY) as tmp:
        if extra is not None:
            extra(Path(tmp))
        members: dict[str, Any] = arrays  # typed loosely: numpy's stub reserves the keyword allow_pickle
        np.savez(tmp / "arrays.npz", **members)
        meta = {"format_version": FORMAT_VERSION, "class": class_name, "params": params, "attributes": attrs}
        (tmp / PARAMS_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        (tmp / "versions.json").write_text(json.dumps(_versions(), indent=2) + "\n", encoding="utf-8")
    return directory


def read_meta(directory: Path) -> dict[str, Any]:
    """``params.json`` of a model directory: its four entries, the format version one this reclite reads.

    Raises
    ------
    FileNotFoundError
        ``directory`` does not exist.
    ModelFileError
        Not a model directory, corrupt metadata, or a newer format version.
    """
    if not directory.exists():
        raise FileNotFoundError(f"{directory}: no such model directory (fit one with 'reclite fit')")
    pfile, afile = directory / PARAMS_FILE, directory / ARRAYS_FILE
    if not directory.is_dir() or not pfile.is_file() or not afile.is_file():
        raise ModelFileError(f"{directory}: not a reclite model directory (expected params.json and arrays.npz)")
    meta = _read_meta(pfile)
    version = meta["format_version"]
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{directory}: model format version {version} is newer than this reclite reads "
            f"(version {FORMAT_VERSION}); upgrade reclite")
    return meta


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


def read_arrays(directory: Path) -> dict[str, np.ndarray]:
    """Every array of ``arrays.npz`` (``allow_pickle=False``): an object array is refused by name
    (:class:`FileMismatch`), an unreadable file is a :class:`~reclite.errors.ModelFileError`."""
    afile = directory / ARRAYS_FILE
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
