"""The checked columns of a :class:`~reclite.data._table.Table` and the Dataset they build.

Which column is which (by name or position, with a hint when a name is nearly right);
ids, values and times checked by the conventions in :mod:`reclite.data`, the earliest
problem across the columns raised at its line; then :func:`build_dataset` makes the
Dataset (side information included) and re-issues its warnings at the caller's line.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

import numpy as np
import pandas as pd

from .._typing import TIME_DTYPE
from ..errors import DataError, ParameterTypeError
from ._table import Column, Problem, Table, first_hit, fmt_value, quote_list, raise_first
from .dataset import Dataset
from .idmap import IdMap, as_id_array, union_ids

#: the folder of the readers: warnings point at the first frame outside it
_DATA_DIR = os.path.dirname(os.path.abspath(__file__))


# --------------------------------------------------------------------------- column checks
def _resolve(table: Table, spec: Column | None, role: str, param: str | None = None) -> int | None:
    """Position of the column named or numbered by ``spec``."""
    if spec is None:
        return None
    param = param or role
    n = len(table.columns)
    if isinstance(spec, (bool, np.bool_)) or not isinstance(spec, (str, int, np.integer)):
        raise ParameterTypeError(f"{param} must be a column name or a 0-based position, got {spec!r}")
    if isinstance(spec, (int, np.integer)):
        if not 0 <= int(spec) < n:
            raise DataError(f"{table.label}: {param}={int(spec)} but the file has {n} columns "
                            f"(positions 0..{n - 1})")
        return int(spec)
    if not table.named:
        raise DataError(
            f"{table.label}: no column {spec!r}: the file has no header line (its first line, "
            f"{table.first_line!r}, is data); pick columns by position ({param}=0, ...) or name "
            f"them with names=[...]")
    if spec in table.columns:
        return table.columns.index(spec)
    return None


def _missing_columns(table: Table, asked: dict[str, Column]) -> DataError:
    missing = [f"{k}={v!r}" for k, v in asked.items()]
    lower = {c.lower(): c for c in table.columns}
    hints = [f"{k}={lower[str(v).lower()]!r}" for k, v in asked.items()
             if isinstance(v, str) and str(v).lower() in lower]
    hint = f" Did you mean {', '.join(hints)}?" if hints else \
        " Pass user=, item= (and value=, time=) naming columns of the file, or 0-based positions."
    what = "no column" if len(asked) == 1 else "no columns"
    return DataError(f"{table.label}: {what} {', '.join(repr(str(v)) for v in asked.values())} "
                     f"(asked for {', '.join(missing)}); the file's columns are "
                     f"{quote_list(table.columns)}.{hint}")


def resolve_all(table: Table, specs: dict[str, Column | None]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    missing: dict[str, Column] = {}
    for role, spec in specs.items():
        pos = _resolve(table, spec, role)
        if spec is not None and pos is None:
            missing[role] = spec
        out[role] = pos
    if missing:
        raise _missing_columns(table, missing)
    used = [(r, p) for r, p in out.items() if p is not None]
    for k, (r1, p1) in enumerate(used):
        for r2, p2 in used[k + 1:]:
            if p1 == p2:
                raise DataError(f"{table.label}: {r1} and {r2} are the same column "
                                f"({table.colname(p1)}); give each its own column")
    return out


def id_problem(table: Table, pos: int, role: str) -> Problem | None:
    s = table.col(pos)
    empty = s.isna().to_numpy(dtype=bool)
    if not pd.api.types.is_numeric_dtype(s.dtype):
        blank = s.astype("str").str.strip().eq("").fillna(False).to_numpy(dtype=bool)
        empty = empty | blank
    hit = first_hit(empty)
    if hit is None:
        return None
    article = "an" if role in ("item", "artist") else "a"
    return Problem(hit[0], f"{table.colname(pos)} is empty; expected {article} {role} id", hit[1])


def raw_ids(table: Table, pos: int) -> np.ndarray:
    """Raw ids of a column: integers when every cell is one, else the text as written.

    pandas reads a column of ``True``/``False`` as booleans and one of ``1.5`` or
    ``12E45`` as floats; such ids are read again as text, so they keep their spelling.
    """
    s = table.col(pos)
    if table.as_text is not None and (pd.api.types.is_bool_dtype(s.dtype) or (
            pd.api.types.is_float_dtype(s.dtype) and not _integral(s.to_numpy(dtype=np.float64)))):
        s = table.as_text(pos)
    return as_id_array(s.to_numpy())


def _integral(vals: np.ndarray) -> bool:
    """Every value a whole number that a float holds exactly (|x| <= 2**53)."""
    return bool(np.all(np.isfinite(vals) & (vals == np.round(vals)) & (np.abs(vals) <= 2.0**53)))


def as_float(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """float64 values and a mask of cells that hold text which is not a number."""
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        vals = s.to_numpy(dtype=np.float64, na_value=np.nan)
        return vals, np.zeros(len(s), dtype=bool)
    num = pd.to_numeric(s, errors="coerce")
    vals = num.to_numpy(dtype=np.float64, na_value=np.nan)
    text = s.notna().to_numpy(dtype=bool)
    # 'nan' written in the file parses to NaN: it is text, not a number we can use
    return vals, np.isnan(vals) & text


def number_problem(table: Table, pos: int, vals: np.ndarray, text_bad: np.ndarray,
                    expected: str, *, allow_empty: bool = False, min_value: float | None = None,
                    max_value: float | None = None) -> Problem | None:
    s = table.col(pos)
    empty = np.isnan(vals) & ~text_bad
    checks: list[tuple[np.ndarray, str]] = [(text_bad, expected)]
    if not allow_empty:
        checks.append((empty, ""))
    checks.append((np.isinf(vals), "a finite number"))
    if min_value is not None:
        checks.append((vals < min_value, f"a number >= {min_value:g}"))
    if max_value is not None:
        checks.append((np.isfinite(vals) & (vals > max_value), f"a number <= {max_value:.4g}"))
    best: Problem | None = None
    for mask, what in checks:
        hit = first_hit(mask)
        if hit is None or (best is not None and hit[0] >= best.row):
            continue
        row, count = hit
        if what == "":
            msg = f"{table.colname(pos)} is empty; expected {expected}"
        else:
            msg = f"{table.colname(pos)} has {fmt_value(s.iloc[row])!r}; expected {what}"
        best = Problem(row, msg, count)
    return best


def _values(table: Table, pos: int) -> tuple[np.ndarray, Problem | None]:
    vals, text_bad = as_float(table.col(pos))
    # values are kept as float32: a larger number would silently become infinity
    return vals, number_problem(table, pos, vals, text_bad, "a number", min_value=0.0,
                                 max_value=float(np.finfo(np.float32).max))


def _times(table: Table, pos: int) -> tuple[np.ndarray, Problem | None]:
    s = table.col(pos)
    vals, text_bad = as_float(s)
    filled = s.notna().to_numpy(dtype=bool)
    first = int(np.argmax(filled)) if filled.any() else 0
    if filled.any() and text_bad[first]:
        # the first value is not a number: the column holds dates
        dt = pd.to_datetime(s.astype("str"), errors="coerce", utc=True, format="ISO8601")
        bad = (dt.isna().to_numpy(dtype=bool)) & filled
        secs = np.zeros(len(s), dtype=TIME_DTYPE)
        ok = ~dt.isna().to_numpy(dtype=bool)
        secs[ok] = ((dt[ok] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)
        problems = []
        hit = first_hit(bad)
        if hit is not None:
            problems.append(Problem(hit[0], f"{table.colname(pos)} has {fmt_value(s.iloc[hit[0]])!r}; "
                                     "expected a date such as 2024-01-31 12:00:00 (as the column's "
                                     "first value)", hit[1]))
        hit = first_hit(~filled)
        if hit is not None:
            problems.append(Problem(hit[0], f"{table.colname(pos)} is empty; expected a date", hit[1]))
        return secs, min(problems, key=lambda p: p.row) if problems else None
    problem = number_problem(table, pos, vals, text_bad, "a number")
    if problem is not None:
        return np.zeros(len(s), dtype=TIME_DTYPE), problem
    if np.abs(vals).max(initial=0.0) >= 2.0**63:
        row = int(np.argmax(np.abs(vals) >= 2.0**63))
        return np.zeros(len(s), dtype=TIME_DTYPE), Problem(
            row, f"{table.colname(pos)} has {fmt_value(s.iloc[row])!r}; expected a number that fits "
            "in 64 bits", 1)
    if pd.api.types.is_integer_dtype(s.dtype):
        return s.to_numpy(dtype=TIME_DTYPE), None
    return np.floor(vals).astype(TIME_DTYPE), None


@dataclass
class Interactions:
    user: np.ndarray
    item: np.ndarray
    value: np.ndarray | None
    time: np.ndarray | None
    label: str


def required(pos: dict[str, int | None], role: str) -> int:
    """The position of a column that :func:`resolve_all` was asked for (so it is there)."""
    p = pos[role]
    if p is None:  # pragma: no cover - resolve_all raised already
        raise DataError(f"no {role} column")
    return p


def checked_interactions(table: Table, pos: dict[str, int | None]) -> Interactions:
    """Checked interaction columns (earliest problem across columns raises)."""
    user, item = required(pos, "user"), required(pos, "item")
    problems: list[Problem | None] = [id_problem(table, user, "user"), id_problem(table, item, "item")]
    value = time = None
    if (vpos := pos.get("value")) is not None:
        value, p = _values(table, vpos)
        problems.append(p)
    if (tpos := pos.get("time")) is not None:
        time, p = _times(table, tpos)
        problems.append(p)
    raise_first(table, problems)
    return Interactions(raw_ids(table, user), raw_ids(table, item), value, time, table.label)


# --------------------------------------------------------------------------- building datasets
def build_dataset(inter: Interactions, name: str, *, extra_items: Sequence[np.ndarray] = (),
           side: Any = None) -> Dataset:
    """Dataset from checked interactions; ``side(items) -> dict`` adds side information."""
    items, _ = IdMap.from_values(union_ids(inter.item, *extra_items), name="item")
    frame = {"user": inter.user, "item": inter.item}
    if inter.value is not None:
        frame["value"] = inter.value
    if inter.time is not None:
        frame["time"] = inter.time
    extra = side(items) if side is not None else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = Dataset.from_frame(pd.DataFrame(frame), "user", "item",
                                "value" if inter.value is not None else None,
                                "time" if inter.time is not None else None,
                                items=items, source=inter.label, name=name, **extra)
    for w in caught:  # re-issued so they point at the caller's line, not inside reclite
        warnings.warn(w.message, w.category, stacklevel=_caller_stacklevel())
    return ds


def _caller_stacklevel() -> int:
    """The ``stacklevel`` of the first frame outside the readers' folder (as seen from the caller).

    The public readers (``read_csv``...) call :func:`build_dataset` through modules of
    this folder; a warning points at the line that called the reader.
    """
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _DATA_DIR:
        frame = frame.f_back
        level += 1
    return level


def per_item(items: IdMap, raw: np.ndarray, values: np.ndarray, fill: Any, dtype: Any) -> np.ndarray:
    """One value per item of ``items``; the first row of an item wins; ``fill`` where absent."""
    out = np.full(len(items), fill, dtype=dtype)
    idx = items.to_index(raw, missing="negative")
    keep = idx >= 0
    idx, values = idx[keep], np.asarray(values)[keep]
    _, first = np.unique(idx, return_index=True)
    out[idx[first]] = values[first]
    return out
