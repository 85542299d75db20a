"""Brute-force NumPy / pure-Python twins of the numba kernels, for the tests only."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def topk_reference(scores, k, exclude=None, candidates=None):
    """Sort every row by (-score, item index) with Python; drop excluded / non-candidates."""
    scores = np.asarray(scores, dtype=np.float32)
    n_rows, n_items = scores.shape
    ex = sp.csr_matrix(exclude) if exclude is not None else None
    if candidates is not None:
        candidates = np.asarray(candidates)
        if candidates.dtype != bool:
            m = np.zeros(n_items, dtype=bool)
            m[candidates] = True
            candidates = m
    out_i = np.full((n_rows, k), -1, dtype=np.int32)
    out_s = np.full((n_rows, k), -np.inf, dtype=np.float32)
    for r in range(n_rows):
        banned = set(ex.indices[ex.indptr[r]:ex.indptr[r + 1]].tolist()) if ex is not None else set()
        elig = [j for j in range(n_items) if j not in banned and (candidates is None or candidates[j])]
        key = [(-(scores[r, j] if not np.isnan(scores[r, j]) else -np.inf), j) for j in elig]
        key.sort()
        for pos, (neg, j) in enumerate(key[:k]):
            out_i[r, pos] = j
            out_s[r, pos] = -neg
    return out_i, out_s
