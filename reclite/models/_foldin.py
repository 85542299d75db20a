"""Fold-in: latent vectors for users a factor model never saw, from their history rows alone.

Shared by the factor models of :mod:`reclite.models.factor` (BPR, LMF) and
:mod:`reclite.models.surprise` (SVD, NMF; SVD++'s implicit term), which score a history
(``recommend_from_history``, strong-generalisation evaluation) through these vectors.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._typing import VALUE_DTYPE

__all__ = ["history_sums", "mean_fold_in"]


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
