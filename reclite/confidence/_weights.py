"""Training statistics and weights: learn what the expression needs from the training
data once, then weigh any users' rows with it (the training rows, or a new user's history).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._typing import VALUE_DTYPE, Float64Array
from ..data.dataset import Dataset
from ..errors import DataError, ParameterError
from ._components import (
    SCALED,
    ConfidenceStatistics,
    Rows,
    check_alpha,
    check_confidence_params,
    check_side_information,
)
from ._expression import ConfidenceExpression, parse_confidence


def _canonical_genres(ds: Dataset) -> sp.csr_matrix:
    """The items x genres membership as float64 ones, canonical (no zeros, no duplicates, sorted)."""
    if ds.genres is None:
        return sp.csr_matrix((ds.n_items, 0), dtype=np.float64)
    G = sp.csr_matrix(ds.genres.matrix, copy=True)
    G.eliminate_zeros()
    G.sum_duplicates()
    G.sort_indices()
    return sp.csr_matrix((np.ones(G.nnz), G.indices, G.indptr), shape=G.shape)


def _top(raw: Float64Array) -> float:
    """The largest weight after clipping at 0 (0 for no weights)."""
    return float(np.maximum(raw, 0.0).max()) if raw.size else 0.0


def _training_rows(data: Any, expr: ConfidenceExpression,
                   params: dict[str, dict[str, float]]) -> tuple[Dataset, Rows]:
    """The training data as rows to weigh, every component's side information checked."""
    if isinstance(data, Dataset):
        ds, from_matrix = data, False
    elif sp.issparse(data):
        ds, from_matrix = Dataset.from_matrix(data), True
    else:
        raise TypeError("build_confidence expects a reclite Dataset or a users x items scipy sparse matrix, "
                        f"got {type(data).__name__}")
    C = ds.matrix()
    if C.nnz != len(ds):
        raise DataError(f"{ds.name or 'data'}: {len(ds) - C.nnz:,} duplicate (user, item) pairs; "
                        "build the Dataset with Dataset.from_frame, which merges them")
    C.sort_indices()
    for name in expr.components:
        check_side_information(name, ds, from_matrix)
    times = None
    if "time" in expr.components:
        # the Dataset's timestamps in CSR order (it has one row per (user, item) pair)
        order_csr = np.argsort(ds.user_idx.astype(np.int64) * ds.n_items + ds.item_idx)
        times = np.asarray(ds.times)[order_csr]
    return ds, Rows(C, None, params, times, "this data", " (use binary or pop instead)")


def _learn(ds: Dataset, rows: Rows, expr: ConfidenceExpression) -> ConfidenceStatistics:
    """Statistics of the training rows (``rows`` then weighs with them, reusing its raw weights)."""
    n_items = ds.n_items
    stats = ConfidenceStatistics(
        n_items=n_items,
        item_users=np.bincount(rows.items, minlength=n_items).astype(np.int64),
        item_sums=np.bincount(rows.items, weights=rows.values, minlength=n_items).astype(np.float64),
        maxima={},
        unit_values=bool(np.all(rows.values == 1.0)),
        genres=_canonical_genres(ds),
        years=(np.full(n_items, np.nan) if ds.years is None else np.array(ds.years, dtype=np.float64)),
    )
    rows.stats = stats
    for name in expr.components:  # in the order the expression evaluates them (errors alike)
        if name in SCALED:
            stats.maxima[name] = _top(rows.raw(name))
    return stats


def confidence_statistics(data: Dataset | sp.spmatrix, spec: str | ConfidenceExpression = "binary",
                          params: Mapping[str, Mapping[str, float]] | None = None) -> ConfidenceStatistics:
    """Learn what the expression ``spec`` needs from the whole training data.

    Parameters and errors as in :func:`build_confidence` (without ``alpha``).
    ``apply_confidence(stats, data.matrix(), spec, alpha, params, times)`` then equals
    ``build_confidence(data, spec, alpha, params)``.
    """
    expr = parse_confidence(spec)
    full = check_confidence_params(params)
    ds, rows = _training_rows(data, expr, full)
    return _learn(ds, rows, expr)


def _checked_rows(rows: Any, times: Any, n_items: int, source: str) -> tuple[sp.csr_matrix, np.ndarray | None]:
    """Rows of values (and timestamps aligned with their stored entries), checked and sorted."""
    if not sp.issparse(rows):
        raise ParameterError(f"{source} must be a scipy sparse matrix of shape (n_users, {n_items}), "
                             f"got {type(rows).__name__}")
    C = sp.csr_matrix(rows, dtype=np.float64, copy=True)
    if C.shape[1] != n_items:
        raise ParameterError(f"{source} must have {n_items} columns (one per item), got shape {C.shape}")
    t = None
    if times is not None:
        t = np.asarray(times)
        if t.shape != (C.nnz,):
            raise ParameterError(f"times must hold one timestamp per stored entry of {source} "
                                 f"({C.nnz:,}), got shape {t.shape}")
        if t.dtype.kind not in "iu":
            raise ParameterError(f"times must be integers (timestamps), got dtype {t.dtype}")
        t = t.astype(np.int64)
    n = C.shape[0]
    r = np.repeat(np.arange(n, dtype=np.int64), np.diff(C.indptr))
    key = r * max(n_items, 1) + C.indices
    if key.size > 1 and (np.diff(key) <= 0).any():
        order = np.argsort(key, kind="stable")
        key = key[order]
        if (np.diff(key) == 0).any():
            dup = int(np.flatnonzero(np.diff(key) == 0)[0])
            raise ParameterError(f"{source}: item {int(key[dup] % max(n_items, 1))} appears twice in row "
                                 f"{int(key[dup] // max(n_items, 1))}; each (row, item) may appear once")
        C = sp.csr_matrix((C.data[order], C.indices[order], C.indptr), shape=C.shape)
        t = None if t is None else t[order]
    C.has_sorted_indices = True
    return C, t


def confidence_weights(stats: ConfidenceStatistics, rows: sp.spmatrix, spec: str | ConfidenceExpression = "binary",
                       params: Mapping[str, Mapping[str, float]] | None = None, times: Any = None,
                       *, source: str = "the rows") -> Float64Array:
    """The expression ``f(u, i)`` on every stored entry of ``rows``, with training statistics.

    Parameters
    ----------
    stats : ConfidenceStatistics
        From :func:`confidence_statistics` on the training data, for the same ``spec``
        and ``params``.
    rows : sparse matrix of shape (n, stats.n_items)
        One row per user, the stored entries their interactions, the values their
        interaction values (ratings, play counts). Each (row, item) at most once.
    spec, params
        As in :func:`build_confidence`.
    times : array-like of int, optional
        A timestamp per stored entry of ``rows`` (in the order of ``csr_matrix(rows).data``);
        needed by the ``time`` component.
    source : str, default="the rows"
        What ``rows`` are, for messages.

    Returns
    -------
    ndarray of float64, aligned with the sorted CSR form of ``rows``.

    Raises
    ------
    ParameterError
        Rows of the wrong width, a repeated (row, item), ``time`` without times, or
        negative or non-finite values for a value-based component
        (:class:`ConfidenceSpecError`).
    """
    expr = parse_confidence(spec)
    full = check_confidence_params(params)
    C, t = _checked_rows(rows, times, stats.n_items, source)
    return np.array(_evaluate_rows(expr, Rows(C, stats, full, t, source, "")))


def apply_confidence(stats: ConfidenceStatistics, rows: sp.spmatrix, spec: str | ConfidenceExpression = "binary",
                     alpha: float = 1.0, params: Mapping[str, Mapping[str, float]] | None = None,
                     times: Any = None, *, source: str = "the rows") -> sp.csr_matrix:
    """Confidence ``1 + alpha * f(u, i)`` of ``rows`` weighed with training statistics.

    The rows may be the training rows (``apply_confidence(confidence_statistics(ds,
    spec), ds.matrix(), spec, ...)`` is ``build_confidence(ds, spec, ...)``) or any
    other users' interactions, such as the history of a user the model never saw:
    every weight that depends on the whole data (popularity, item genres and years,
    BM25 lengths, the scale of value, log, bm25 and tfidf) comes from ``stats``,
    everything that depends on the user (genre shares, recency, idf) from their row.
    Parameters and errors as in :func:`confidence_weights`.

    Returns
    -------
    csr_matrix of shape ``rows.shape``, float32, sorted indices.
    """
    alpha = check_alpha(alpha)
    expr = parse_confidence(spec)
    full = check_confidence_params(params)
    C, t = _checked_rows(rows, times, stats.n_items, source)
    f = _evaluate_rows(expr, Rows(C, stats, full, t, source, ""))
    C.data = (1.0 + alpha * f).astype(VALUE_DTYPE)
    return sp.csr_matrix(C, dtype=VALUE_DTYPE)


def _evaluate_rows(expr: ConfidenceExpression, rows: Rows) -> Float64Array:
    f = expr.evaluate(rows.compute)
    return np.broadcast_to(np.asarray(f, dtype=np.float64), (rows.C.nnz,))


def confidence_values(data: Dataset | sp.spmatrix, spec: str = "binary",
                      params: Mapping[str, Mapping[str, float]] | None = None) -> Float64Array:
    """The expression ``f(u, i)`` on every observed pair, before ``1 + alpha * f``.

    Returns a float64 array aligned with ``data.matrix().data`` (CSR order: by user,
    then item). Parameters and errors as in :func:`build_confidence`.
    """
    expr = parse_confidence(spec)
    full = check_confidence_params(params)
    ds, rows = _training_rows(data, expr, full)
    _learn(ds, rows, expr)
    return np.array(_evaluate_rows(expr, rows))


def fit_confidence(data: Dataset | sp.spmatrix, spec: str = "binary", alpha: float = 1.0,
                   params: Mapping[str, Mapping[str, float]] | None = None,
                   ) -> tuple[sp.csr_matrix, ConfidenceStatistics]:
    """:func:`build_confidence` and the :class:`ConfidenceStatistics` it used, in one pass."""
    expr = parse_confidence(spec)
    alpha = check_alpha(alpha)
    full = check_confidence_params(params)
    ds, rows = _training_rows(data, expr, full)
    stats = _learn(ds, rows, expr)
    f = _evaluate_rows(expr, rows)
    C = rows.C
    C.data = (1.0 + alpha * f).astype(VALUE_DTYPE)
    return C, stats


def build_confidence(data: Dataset | sp.spmatrix, spec: str = "binary", alpha: float = 1.0,
                     params: Mapping[str, Mapping[str, float]] | None = None) -> sp.csr_matrix:
    """Users x items confidence matrix ``1 + alpha * f(u, i)`` on the observed pairs.

    Learns the training statistics (:func:`confidence_statistics`) and applies them
    to the data's own rows (:func:`apply_confidence`).

    Parameters
    ----------
    data : Dataset or sparse matrix of shape (n_users, n_items)
        The training data. A plain matrix carries no side information, so only the
        value-based components (binary, value, log, pop, bm25, tfidf) work on it.
    spec : str, default="binary"
        Confidence expression: components (see the module docstring and
        :func:`describe_components`) joined by ``+`` and ``*``, with parentheses and
        non-negative constants, e.g. ``"(genre+pop)*era"``. Not rescaled:
        ``genre+pop`` lies in [0, 2].
    alpha : float, default=1.0
        Scale of the expression; finite and >= 0.
    params : dict, optional
        Component parameters, e.g. ``{"era": {"tau": 15}, "bm25": {"K1": 100, "B": 0.8}}``.

    Returns
    -------
    csr_matrix of shape (n_users, n_items), float32
        Same sparsity as ``data.matrix()``, sorted indices. The data is not changed.

    Raises
    ------
    ConfidenceSpecError
        Malformed expression (shown with a caret), unknown component, unknown or
        out-of-range parameter, missing side information (naming the reader that
        loads it), negative or non-finite values for a value-based component, or an
        alpha that is negative or not finite.

    Examples
    --------
    >>> import reclite
    >>> C = build_confidence(reclite.demo_dataset(), "genre+pop", alpha=2.0)
    >>> bool(C.data.min() >= 1.0 and C.data.max() <= 5.0)
    True
    """
    return fit_confidence(data, spec, alpha, params)[0]
