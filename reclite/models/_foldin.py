"""Fold-in: latent vectors for users a factor model never saw, from their history rows alone.

Shared by the factor models of :mod:`reclite.models.factor` (ALS: the exact least-squares
step; BPR, LMF: the mean of the history's item vectors), :mod:`reclite.models.spark`
(SparkALS: the least-squares step with Spark's per-user regularisation) and
:mod:`reclite.models.surprise` (SVD, NMF; SVD++'s implicit term), which score a history
(``recommend_from_history``, strong-generalisation evaluation) through these vectors.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._typing import VALUE_DTYPE

__all__ = ["als_solve_users", "history_sums", "mean_fold_in"]


def history_sums(rows: sp.spmatrix, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the sum of the vectors of its items (float64), and its number of items.

    Only which items a row holds counts, not the stored values: ``(pattern(rows) @
    vectors, nnz per row)``.
    """
    rows = sp.csr_matrix(rows)
    counts = np.diff(rows.indptr)
    pattern = sp.csr_matrix((np.ones(rows.nnz, dtype=np.float64), rows.indices, rows.indptr), shape=rows.shape)
    return np.asarray(pattern @ np.asarray(vectors, dtype=np.float64)), counts


def mean_fold_in(user_latent: np.ndarray, item_latent: np.ndarray, rows: sp.spmatrix) -> np.ndarray:
    """Mean of the history items' latent vectors, rescaled to the median user norm (float32).

    A row without items gets the zero vector; so does a row whose mean is zero.
    """
    total, counts = history_sums(rows, item_latent)
    mean = total / np.maximum(counts, 1)[:, None]
    norms = np.linalg.norm(mean, axis=1)
    user_norms = np.linalg.norm(user_latent, axis=1)
    target = float(np.median(user_norms[user_norms > 0])) if (user_norms > 0).any() else 1.0
    scale = np.divide(target, norms, out=np.zeros_like(norms), where=norms > 0)
    return (mean * scale[:, None]).astype(VALUE_DTYPE)


def als_solve_users(item_factors: np.ndarray, rows: sp.csr_matrix,
                    regularization: float | np.ndarray) -> np.ndarray:
    """User factors that best explain confidence rows, given fixed item factors.

    The exact least-squares step of implicit ALS (implicit's ``recalculate_user``,
    i.e. ``_least_squares`` in ``implicit/cpu/_als.pyx``), in float64 NumPy::

        A_u = Y^T Y + reg_u I + sum_{i in row u} (|c_ui| - 1) y_i y_i^T
        b_u = sum_{i in row u, c_ui > 0} c_ui y_i
        x_u = A_u^{-1} b_u        (0 for an empty row)

    ``regularization`` is one ``reg`` for every row (implicit's ALS), or one value per
    row (Spark's ALS-WR, ``regParam * n_u``: see :class:`reclite.models.spark.SparkALS`).
    """
    Y = np.asarray(item_factors, dtype=np.float64)
    f = Y.shape[1]
    rows = sp.csr_matrix(rows)
    per_row = np.ndim(regularization) > 0
    reg = np.asarray(regularization, dtype=np.float64)
    if per_row and reg.shape != (rows.shape[0],):
        raise ValueError(f"regularization: one value per row ({rows.shape[0]}) expected, got shape {reg.shape}")
    gram = Y.T @ Y
    base = gram + (0.0 if per_row else float(reg)) * np.eye(f)
    out = np.zeros((rows.shape[0], f), dtype=VALUE_DTYPE)
    for r in range(rows.shape[0]):
        s, e = rows.indptr[r], rows.indptr[r + 1]
        if s == e:
            continue
        idx = rows.indices[s:e]
        c = rows.data[s:e].astype(np.float64)
        Yh = Y[idx]
        A = (base + reg[r] * np.eye(f) if per_row else base) + (Yh.T * (np.abs(c) - 1.0)) @ Yh
        b = np.where(c > 0, c, 0.0) @ Yh
        out[r] = np.linalg.solve(A, b)
    return out
