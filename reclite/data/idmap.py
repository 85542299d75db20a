"""IdMap: raw ids <-> contiguous int32 indices, vectorised both ways."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, cast

import numpy as np
import pandas as pd

from .._typing import INDEX_DTYPE, IntArray
from ..errors import UnknownIdError

__all__ = ["IdMap", "as_id_array", "union_ids"]


def as_id_array(values: object) -> np.ndarray:
    """Raw ids as an int64 array when they are all integers, else a unicode array.

    Only these two kinds are kept, so an IdMap saves into ``.npz`` without pickle. The
    readers use the same rule for the ids they read.
    """
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.to_numpy()
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "b":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        # whole numbers become integers only where a float holds them exactly (|x| <= 2**53)
        if np.all(np.isfinite(arr) & (arr == np.round(arr)) & (np.abs(arr) <= 2.0**53)):
            return arr.astype(np.int64)
        return arr.astype(str)
    if arr.dtype.kind == "U":
        return arr
    # object / pandas strings: integers stay integers, everything else becomes text
    if arr.size and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in arr.tolist()):
        return arr.astype(np.int64)
    return arr.astype(str)


def union_ids(*arrays: np.ndarray | None) -> np.ndarray:
    """Concatenate raw-id arrays; when integer and text ids meet, all become text."""
    arrs = [as_id_array(a) for a in arrays if a is not None and len(a)]
    if not arrs:
        return np.empty(0, dtype=np.int64)
    if len({a.dtype.kind for a in arrs}) > 1:
        arrs = [a.astype(str) for a in arrs]
    return np.concatenate(arrs)


class IdMap:
    """A vocabulary of raw ids; index ``i`` is the position of the id in :attr:`ids`.

    Parameters
    ----------
    ids : array-like
        Distinct raw ids (integers or strings), in index order.
    name : str, default="item"
        What the ids are, used in error messages ("3 unknown item ids ...").

    Examples
    --------
    >>> m = IdMap(["b", "a", "c"], name="item")
    >>> m.to_index(["c", "a"]).tolist()
    [2, 1]
    >>> m.to_raw([0]).tolist()
    ['b']
    """

    __slots__ = ("_ids", "_index", "name")

    def __init__(self, ids: Iterable[object], name: str = "item") -> None:
        arr = as_id_array(list(ids) if not hasattr(ids, "__len__") else ids)
        arr = np.array(arr, copy=True)
        arr.setflags(write=False)
        index = pd.Index(arr)
        if not index.is_unique:
            dup = index[index.duplicated()].unique()[:5].tolist()
            raise ValueError(f"IdMap ids must be distinct; repeated {name} ids: {dup}")
        self._ids = arr
        self._index = index
        self.name = name

    @classmethod
    def from_values(cls, values: object, name: str = "item") -> tuple[IdMap, IntArray]:
        """Build a map of the distinct values (sorted) and return it with their codes."""
        arr = as_id_array(values)
        codes, uniques = pd.factorize(arr, sort=True)
        return cls(np.asarray(uniques), name=name), cast(IntArray, codes.astype(INDEX_DTYPE))

    @property
    def ids(self) -> np.ndarray:
        """The raw ids in index order (read-only)."""
        return self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, raw: object) -> bool:
        return bool((self.to_index([raw], missing="negative") >= 0)[0])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IdMap):
            return NotImplemented
        return self._ids.dtype.kind == other._ids.dtype.kind and np.array_equal(self._ids, other._ids)

    def __hash__(self) -> int:  # pragma: no cover - IdMaps are not used as keys
        return hash((len(self), self.name))

    def __repr__(self) -> str:
        head = ", ".join(map(repr, self._ids[:3].tolist()))
        more = ", ..." if len(self) > 3 else ""
        return f"IdMap({self.name}: {len(self):,} ids [{head}{more}])"

    def to_index(
        self, raw: object, missing: Literal["raise", "negative", "skip"] = "raise"
    ) -> IntArray:
        """Indices of raw ids.

        Parameters
        ----------
        raw : array-like of raw ids
        missing : {"raise", "negative", "skip"}, default="raise"
            Unknown ids raise :class:`~reclite.errors.UnknownIdError` listing a few of
            them, become ``-1``, or are dropped.
        """
        arr = as_id_array(raw)
        idx = None
        if arr.dtype.kind != self._ids.dtype.kind:
            # integer ids asked as strings (from a CSV or the command line) or vice versa
            if self._ids.dtype.kind == "i" and arr.dtype.kind == "U":
                try:
                    arr = arr.astype(np.int64)
                except ValueError:
                    # some strings are not integers: look up the ones that are, one by one
                    # (vectorised), so ['x', '1'] finds '1' and reports only 'x'
                    is_int = pd.Series(arr).str.fullmatch(r"\s*[+-]?\d{1,18}\s*").to_numpy(dtype=bool)
                    idx = np.full(len(arr), -1, dtype=np.intp)
                    if is_int.any():
                        idx[is_int] = self._index.get_indexer(arr[is_int].astype(np.int64))
            elif self._ids.dtype.kind == "U":
                arr = arr.astype(str)
        if idx is None:
            idx = self._index.get_indexer(arr) if len(arr) else np.empty(0, dtype=np.intp)
        out = cast(IntArray, idx.astype(INDEX_DTYPE))
        if missing == "negative":
            return out
        bad = out < 0
        if bad.any():
            if missing == "skip":
                return out[~bad]
            unknown = pd.unique(arr[bad])
            examples = ", ".join(map(repr, unknown[:5].tolist()))
            raise UnknownIdError(
                f"{len(unknown):,} unknown {self.name} id{'s' if len(unknown) != 1 else ''} "
                f"(e.g. {examples}); the map knows {len(self):,} {self.name}s",
                missing=unknown,
            )
        return out

    def to_raw(self, idx: object) -> np.ndarray:
        """Raw ids of indices; an index out of range raises ``IndexError``."""
        idx = np.asarray(idx)
        if idx.size and (idx.min() < 0 or idx.max() >= len(self)):
            raise IndexError(f"{self.name} index out of range [0, {len(self)}): {idx.min()}..{idx.max()}")
        return self._ids[idx]
