"""Histories of users a model never saw, read into rows of interaction values.

Two shapes reach a model: a users x items sparse matrix of values
(``recommend_indices_from_history``) and one user's raw item ids with optional values
and timestamps (``recommend_from_history``). Both become a CSR of interaction values
(sorted indices, one entry per item) with the timestamps aligned with its entries;
:meth:`~reclite.models.base.Recommender._weigh_history` then weighs them with the
model's own confidence.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .._typing import VALUE_DTYPE
from ..data.idmap import IdMap
from ..errors import ParameterError

__all__ = ["as_timestamps", "history_matrix", "history_of_ids"]


def as_timestamps(t: Any, name: str) -> np.ndarray:
    """Integer timestamps as int64 (whole floats accepted); a ParameterError otherwise."""
    t = np.asarray(t)
    if t.dtype.kind == "f" and np.isfinite(t).all() and np.array_equal(t, np.round(t)):
        return t.astype(np.int64)
    if t.dtype.kind not in "iu":
        raise ParameterError(f"{name} must be integer timestamps, got dtype {t.dtype}"
                             + (" with non-whole or non-finite values" if t.dtype.kind == "f" else ""))
    return t.astype(np.int64)


def history_matrix(history: Any, times: Any, n_items: int) -> tuple[sp.csr_matrix, np.ndarray | None]:
    """A users x items matrix of interaction values as float32 CSR (repeated entries of a
    (row, item) summed: scipy's convention; sorted indices) and, from ``times`` (a matrix
    of the same shape with a timestamp where ``history`` has an entry; repeated entries:
    the latest counts), the timestamps aligned with its entries (None without ``times``)."""
    if not sp.issparse(history):
        raise ParameterError(f"history must be a scipy sparse matrix of shape (n, {n_items}), "
                             f"got {type(history).__name__}")
    H = sp.csr_matrix(history, dtype=VALUE_DTYPE, copy=True)  # values as a Dataset keeps them
    if H.ndim != 2 or H.shape[1] != n_items:
        raise ParameterError(f"history must have {n_items} columns (one per item), got shape {H.shape}")
    H.sum_duplicates()
    H.sort_indices()
    return H, None if times is None else _times_like(H, times)


def _times_like(H: sp.csr_matrix, times: Any) -> np.ndarray:
    """Timestamps aligned with ``H.data`` from a matrix of the same shape and entries."""
    if not sp.issparse(times):
        raise ParameterError(f"times must be a scipy sparse matrix like history (shape {H.shape}) holding "
                             f"each interaction's timestamp, got {type(times).__name__}")
    T = sp.csr_matrix(times, copy=True)
    if T.shape != H.shape:
        raise ParameterError(f"times must have the shape of history, {H.shape}, got {T.shape}")
    t = as_timestamps(T.data, "times")
    n = max(H.shape[1], 1)
    key = np.repeat(np.arange(T.shape[0], dtype=np.int64), np.diff(T.indptr)) * n + T.indices
    order = np.lexsort((t, key))  # by entry, then time: the last of each entry is its latest
    key, t = key[order], t[order]
    last = np.append(key[1:] != key[:-1], True) if len(key) else np.zeros(0, dtype=bool)
    h_key = np.repeat(np.arange(H.shape[0], dtype=np.int64), np.diff(H.indptr)) * n + H.indices
    if not np.array_equal(key[last], h_key):
        raise ParameterError("times must have an entry exactly where history has one (a timestamp per "
                             "interaction)")
    return t[last]


def history_of_ids(history: Any, values: Any, times: Any, items: IdMap
                   ) -> tuple[sp.csr_matrix, np.ndarray | None, int]:
    """One user's history of raw item ids as a 1 x items row of interaction values.

    ``values`` and ``times`` (optional) are aligned with ``history``. Unknown items are
    dropped; an item given twice counts once, with its latest time (by ``times``, then
    the order given) and that occurrence's value; without ``values`` each item has
    value 1. Returns the row, the timestamps aligned with its entries (None without
    ``times``) and how many history items were unknown.
    """
    raw = np.atleast_1d(np.asarray(history))
    if raw.ndim != 1:
        raise ParameterError(f"history must be a list of item ids, got an array of shape {raw.shape}")
    n = len(raw)
    vals = None
    if values is not None:
        vals = np.atleast_1d(np.asarray(values))
        if vals.shape != (n,):
            raise ParameterError(f"values must hold one value per history item ({n}), got shape {vals.shape}")
        if vals.dtype.kind not in "iuf":
            raise ParameterError(f"values must be numbers (ratings, play counts), got dtype {vals.dtype}")
        vals = vals.astype(VALUE_DTYPE)  # as a Dataset stores them
    tms = None
    if times is not None:
        tms = np.atleast_1d(np.asarray(times))
        if tms.shape != (n,):
            raise ParameterError(f"times must hold one timestamp per history item ({n}), got shape {tms.shape}")
        tms = as_timestamps(tms, "times")
    hist = items.to_index(raw, missing="negative")
    known = np.flatnonzero(hist >= 0)
    # one entry per item: its latest occurrence (by time, then the order given)
    keys = (known,) + (() if tms is None else (tms[known],)) + (hist[known],)
    order = known[np.lexsort(keys)]
    last = np.append(hist[order][1:] != hist[order][:-1], True) if len(order) else np.zeros(0, dtype=bool)
    pick = order[last]
    data = np.ones(len(pick), dtype=VALUE_DTYPE) if vals is None else vals[pick]
    H = sp.csr_matrix((data, hist[pick], np.array([0, len(pick)])), shape=(1, len(items)))
    return H, None if tms is None else tms[pick], n - len(known)
