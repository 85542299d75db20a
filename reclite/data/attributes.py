"""Item attributes and item vectors from files, and attaching them to a Dataset.

:func:`read_item_attributes` reads any multi-valued categorical item information (tags,
categories, brand, artist...) from a CSV/TSV (or parquet) file or a JSON file;
:func:`read_item_vectors` reads embeddings a user brings (from a text or image encoder).
Both return raw ids with their values (:class:`ItemAttributes`, :class:`ItemVectors`);
:meth:`Dataset.with_item_attributes` and :meth:`Dataset.with_item_vectors` match them to
the Dataset's items by raw id (:mod:`reclite.data._side`).
Every problem is one :class:`~reclite.errors.DataError` naming the file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._typing import VALUE_DTYPE, PathLike
from ..errors import DataError, ParameterError, ParameterTypeError
from ._columns import as_float, id_problem, number_problem, raw_ids
from ._files import check_file, decode, read_all, read_text_lines
from ._side import ItemAttributes, ItemVectors
from ._table import (
    Column,
    Table,
    fmt_value,
    is_parquet,
    quote_list,
    raise_first,
    read_parquet_table,
    read_text_table,
)
from .idmap import as_id_array

__all__ = ["ItemAttributes", "ItemVectors", "read_item_attributes", "read_item_vectors"]

_INT_ID = r"\s*[+-]?\d{1,18}\s*"


def _ids_of_text(keys: Sequence[str]) -> np.ndarray:
    """Raw ids of texts (JSON keys, lines of an id file): integers when every one is one."""
    s = pd.Series(list(keys), dtype=object).astype(str)
    if len(s) and bool(s.str.fullmatch(_INT_ID).all()):
        return s.astype(np.int64).to_numpy()
    return s.to_numpy(dtype=str)


# ---------------------------------------------------------------------- attributes
def read_item_attributes(path: PathLike, item: Column = "item", columns: Sequence[Column] | None = None, *,
                         sep: str | None = None, value_sep: str | None = "|", name: str = "tags",
                         encoding: str | None = None) -> ItemAttributes:
    """Read item attributes from a CSV/TSV (or parquet) file or a JSON file.

    Table files have a header line. Each attribute column gives one attribute named
    after the column; a row holds one item and, in each attribute column, one value or
    several joined by ``value_sep`` (``"Adventure|Comedy"``). An item may have several
    rows (one per (item, value) pair, say): its values add up. Empty cells carry no value.

    A ``.json`` file maps each item id to a list of values (one attribute, named
    ``name``) or to an object ``{attribute: [values]}``; a single string counts as a
    list of one.

    Parameters
    ----------
    path : str or path-like
    item : str or int, default="item"
        The item id column (name or 0-based position); table files only.
    columns : list of str or int, optional
        The attribute columns (JSON: the attributes to keep); default: every other column.
    sep : str, optional
        The column separator; guessed when None.
    value_sep : str or None, default="|"
        The separator of several values inside one cell; None keeps each cell whole.
    name : str, default="tags"
        The attribute's name in a JSON file of item -> list of values.
    encoding : str, optional
        As the other readers (see :mod:`reclite.data`).

    Returns
    -------
    ItemAttributes

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    DataError
        An empty file, a file without rows or values, an unknown column, an empty item
        id, JSON that is not of the forms above: the message names the file.
    """
    p = check_file(path, "item attributes file")
    if value_sep is not None and (not isinstance(value_sep, str) or value_sep == ""):
        raise ParameterError(f"value_sep must be a non-empty string or None, got {value_sep!r}")
    stem = p.name.lower()
    for suffix in (".gz", ".bz2", ".xz", ".lzma"):
        stem = stem.removesuffix(suffix)
    if stem.endswith(".json"):
        return _read_json(p, columns, name, encoding)
    table = _table(p, sep, encoding, "item attributes file",
                   "a header line naming the item column and the attribute columns, then one row per item")
    ipos = _column(table, item, "item")
    if columns is None:
        cpos = [j for j in range(len(table.columns)) if j != ipos]
        if not cpos:
            raise DataError(f"{table.label}: has only the item column {table.columns[ipos]!r}; expected "
                            "attribute columns beside it")
    else:
        if isinstance(columns, (str, int)):
            raise ParameterTypeError(f"columns must be a list of column names or positions, got {columns!r}")
        cpos = [_column(table, c, "columns", listed=list(columns)) for c in columns]
        if ipos in cpos:
            raise ParameterError(f"columns names the item column {table.columns[ipos]!r}; list only the "
                                 "attribute columns")
    raise_first(table, [id_problem(table, ipos, "item")])
    ids = raw_ids(table, ipos)
    values: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for j in cpos:
        cells = table.col(j)
        text = cells.astype(object).where(cells.notna(), "").astype(str)
        parts = text.str.split(value_sep, regex=False) if value_sep is not None else text.map(lambda c: [c])
        exploded = parts.explode().str.strip()
        keep = (exploded != "").to_numpy(dtype=bool)
        rows = exploded.index.to_numpy()[keep]
        values[table.columns[j]] = (ids[rows], exploded.to_numpy(dtype=str)[keep])
    if not any(len(v[1]) for v in values.values()):
        raise DataError(f"{table.label}: no attribute values: every cell of "
                        f"{quote_list([table.columns[j] for j in cpos])} is empty")
    return ItemAttributes(str(p), pd.unique(ids), values)


def _table(p: Path, sep: str | None, encoding: str | None, what: str, expected: str) -> Table:
    """A table file (text or parquet) with a header line and at least one row."""
    if is_parquet(p):
        return read_parquet_table(p)
    text, _ = decode(read_all(p), str(p), encoding)  # small files: checked whole, before parsing
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise DataError(f"{p}: the file is empty; expected {expected}")
    if len(lines) == 1:
        raise DataError(f"{p}: holds only the header line {lines[0].strip()!r}; expected rows after it")
    try:
        return read_text_table(p, sep=sep, header=True, encoding=encoding)
    except DataError as exc:
        if "found only one column" in str(exc):
            raise DataError(f"{p}: found only one column; expected an item column and at least one more "
                            "(pass sep= for an unusual separator)") from None
        raise


def _column(table: Table, spec: Column, param: str, listed: list[Column] | None = None) -> int:
    """The position of a column given by name or 0-based position; a DataError naming the file otherwise."""
    asked = f"{param}={listed!r}" if listed is not None else f"{param}={spec!r}"
    if isinstance(spec, (bool, np.bool_)) or not isinstance(spec, (str, int, np.integer)):
        raise ParameterTypeError(f"{param} must hold column names or 0-based positions, got {spec!r}")
    if isinstance(spec, (int, np.integer)):
        if not 0 <= int(spec) < len(table.columns):
            raise DataError(f"{table.label}: no column at position {int(spec)} (asked for {asked}); the file "
                            f"has {len(table.columns)} columns: {quote_list(table.columns)}")
        return int(spec)
    if spec not in table.columns:
        raise DataError(f"{table.label}: no column {spec!r} (asked for {asked}); the file's columns are "
                        f"{quote_list(table.columns)}")
    return table.columns.index(spec)


def _as_labels(value: Any, label: str, key: str, attr: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                       for v in value):
        return [str(v) for v in value]
    raise DataError(f"{label}: item {key!r}: attribute {attr!r} is {fmt_value(json.dumps(value))}; expected "
                    "a list of values (strings or numbers)")


def _read_json(p: Path, columns: Sequence[Column] | None, name: str, encoding: str | None) -> ItemAttributes:
    label = str(p)
    text, _ = decode(read_all(p), label, encoding)
    if not text.strip():
        raise DataError(f"{label}: the file is empty; expected a JSON object mapping each item id to a list of "
                        "values or to {attribute: [values]}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{label}: line {exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise DataError(f"{label}: expected a JSON object mapping each item id to a list of values or to "
                        f"{{attribute: [values]}}, found a {type(data).__name__}")
    if not data:
        raise DataError(f"{label}: the JSON object is empty; expected item ids mapped to their values")
    items: list[str] = []
    labels: list[str] = []
    attrs: list[str] = []
    for key, value in data.items():  # a reader: one pass over the parsed file
        if isinstance(value, dict):
            for attr, vals in value.items():
                got = _as_labels(vals, label, key, attr)
                items += [key] * len(got)
                labels += got
                attrs += [str(attr)] * len(got)
        else:
            got = _as_labels(value, label, key, name)
            items += [key] * len(got)
            labels += got
            attrs += [name] * len(got)
    if any(not k.strip() for k in data):
        raise DataError(f"{label}: an item id is empty; expected an item id as each key")
    all_ids = _ids_of_text(list(data))
    pair_ids = _ids_of_text(items) if items else np.empty(0, dtype=all_ids.dtype)
    if pair_ids.dtype.kind != all_ids.dtype.kind:
        pair_ids = pair_ids.astype(all_ids.dtype)
    frame = pd.DataFrame({"attr": attrs, "label": labels})
    frame["label"] = frame["label"].str.strip()
    present = list(dict.fromkeys(attrs))
    wanted = present if columns is None else [str(c) for c in columns]
    unknown = [c for c in wanted if c not in present]
    if unknown:
        raise DataError(f"{label}: no attribute {', '.join(map(repr, unknown))} (asked for columns="
                        f"{list(columns or [])!r}); the file's attributes are {quote_list(present)}")
    values = {}
    for attr in wanted:
        sel = (frame["attr"] == attr).to_numpy() & (frame["label"] != "").to_numpy()
        values[attr] = (pair_ids[sel], frame["label"].to_numpy(dtype=str)[sel])
    if not any(len(v[1]) for v in values.values()):
        raise DataError(f"{label}: no attribute values: every item's list is empty")
    return ItemAttributes(label, all_ids, values)


# ---------------------------------------------------------------------- vectors
def read_item_vectors(path: PathLike, ids: Any = None, *, item: Column = "item",
                      columns: Sequence[Column] | None = None, sep: str | None = None,
                      encoding: str | None = None) -> ItemVectors:
    """Read item vectors: a ``.npy`` array plus its item ids, or a table of an item column and numbers.

    Parameters
    ----------
    path : str or path-like
        A ``.npy`` file of shape ``(n, d)``, or a CSV/TSV/parquet file with a header.
    ids : path or array-like, optional
        For a ``.npy`` file (required there): a text file with one item id per line, in
        row order, or the ids themselves.
    item : str or int, default="item"
        Table files: the item id column.
    columns : list of str or int, optional
        Table files: the vector columns (default: every other column).
    sep, encoding : optional
        Table files: as the other readers.

    Raises
    ------
    DataError
        Naming the file: an empty file, rows and ids of different counts, a repeated
        item id, a value that is not a finite number (with its line), an array that is
        not 2-D numbers.
    """
    p = check_file(path, "item vectors file")
    if p.suffix.lower() == ".npy":
        return _read_npy(p, ids)
    if ids is not None:
        raise ParameterError(f"{p}: ids= is only for a .npy file; a table names its item column with item=")
    table = _table(p, sep, encoding, "item vectors file",
                   "a header line naming the item column and the vector columns, then one row per item")
    ipos = _column(table, item, "item")
    if columns is None:
        cpos = [j for j in range(len(table.columns)) if j != ipos]
    else:
        cpos = [_column(table, c, "columns", listed=list(columns)) for c in columns]
    if not cpos:
        raise DataError(f"{table.label}: has only the item column; expected numeric vector columns beside it")
    problems = [id_problem(table, ipos, "item")]
    cols = []
    for j in cpos:
        vals, bad = as_float(table.col(j))
        problems.append(number_problem(table, j, vals, bad, "a number (a vector component)"))
        cols.append(vals)
    raise_first(table, problems)
    return _vectors(table.label, raw_ids(table, ipos), np.column_stack(cols))


def _read_npy(p: Path, ids: Any) -> ItemVectors:
    label = str(p)
    if ids is None:
        raise ParameterError(f"{label}: a .npy file holds no item ids; pass ids= (a text file with one item id "
                             "per line, in row order, or the ids)")
    try:
        arr = np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{label}: not a readable .npy array of numbers: {exc}") from None
    if arr.ndim != 2 or arr.dtype.kind not in "iuf":
        raise DataError(f"{label}: holds a {arr.dtype} array of shape {arr.shape}; expected numbers of shape "
                        "(items, dimensions)")
    if isinstance(ids, (str, os.PathLike)):
        id_label = str(ids)
        raw = _ids_of_text(read_text_lines(ids, "item id file"))
    else:
        id_label = "ids"
        raw = as_id_array(np.atleast_1d(np.asarray(ids)))
    if len(raw) != arr.shape[0]:
        raise DataError(f"{label}: has {arr.shape[0]:,} rows but {id_label} lists {len(raw):,} item ids; "
                        "expected one id per row")
    bad = ~np.isfinite(arr.astype(np.float64)).all(axis=1)
    if bad.any():
        raise DataError(f"{label}: row {int(np.argmax(bad)) + 1} (item {raw[int(np.argmax(bad))].item()!r}) holds a "
                        f"value that is not a finite number ({int(bad.sum()):,} such rows in all)")
    return _vectors(label, raw, arr)


def _vectors(label: str, raw: np.ndarray, arr: np.ndarray) -> ItemVectors:
    if arr.shape[0] == 0:
        raise DataError(f"{label}: no vectors")
    dup = pd.Index(raw).duplicated()
    if dup.any():
        raise DataError(f"{label}: item {raw[int(np.argmax(dup))].item()!r} has more than one vector; expected one "
                        "row per item")
    if np.abs(arr).max() > np.finfo(np.float32).max:
        raise DataError(f"{label}: holds values beyond float32's range; expected numbers within +-3.4e38")
    vectors = np.ascontiguousarray(arr, dtype=VALUE_DTYPE)
    return ItemVectors(label, raw, vectors)
