"""Top-K selection per row of a dense score block: the only place rows are ranked.

Contract (tested in ``tests/test_topk.py`` against a brute-force reference):

- the output width is ``min(k, n_items)`` (``min(k, number of candidates)`` with
  ``candidates``), so a ``k`` larger than the catalogue never allocates more than it;
- each row gets exactly ``min(k, eligible)`` entries, best first;
- an item excluded for that row (e.g. seen in training) is never returned, whatever
  its score; with ``candidates`` only those items are eligible;
- ties are broken by the smaller item index, so runs repeat exactly;
- NaN scores rank as ``-inf`` (the item stays eligible);
- the rest of a row is padded with item ``-1`` and score ``-inf``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit, prange

from ._typing import INDEX_DTYPE, VALUE_DTYPE, FloatArray, IntArray
from ._validation import check_k
from .errors import ParameterError

__all__ = ["topk"]


@njit(cache=True, nogil=True, inline="always")
def _push(bs, bi, filled, k, s, j):
    """Insert ``(s, j)`` into a best-first list of capacity ``k`` holding ``filled`` entries.

    Returns the new count. When the list is full, ``s`` must beat the last score to
    enter; equal scores keep the earlier (smaller) index ahead, so callers that visit
    indices in increasing order get ties broken by the smaller index.
    """
    if filled < k:
        pos = filled
        filled += 1
    elif s > bs[k - 1]:
        pos = k - 1
    else:
        return filled
    while pos > 0 and bs[pos - 1] < s:
        bs[pos] = bs[pos - 1]
        bi[pos] = bi[pos - 1]
        pos -= 1
    bs[pos] = s
    bi[pos] = j
    return filled


@njit(cache=True, nogil=True, parallel=True)
def _topk_kernel(scores, k, ex_indptr, ex_indices, has_ex, cand, has_cand, out_idx, out_score):
    n_rows, n_items = scores.shape
    neg_inf = -np.inf
    for r in prange(n_rows):
        bi = out_idx[r]
        bs = out_score[r]
        filled = 0
        # once the list is full, an item must beat the k-th score to enter: that one
        # comparison rejects almost every item, so exclusions and candidates are only
        # looked up for the few that pass (the exclusion pointer moves forward lazily)
        thresh = neg_inf
        p = 0
        pend = 0
        if has_ex:
            p = ex_indptr[r]
            pend = ex_indptr[r + 1]
        for j in range(n_items):
            s = scores[r, j]
            if filled == k and not (s > thresh):
                continue
            if has_cand and not cand[j]:
                continue
            if has_ex:
                while p < pend and ex_indices[p] < j:
                    p += 1
                if p < pend and ex_indices[p] == j:
                    continue
            if s != s:
                s = neg_inf
            filled = _push(bs, bi, filled, k, s, j)
            if filled == k:
                thresh = bs[k - 1]
        for pos in range(filled, k):
            bi[pos] = -1
            bs[pos] = neg_inf


def topk(
    scores: np.ndarray,
    k: int,
    exclude: sp.csr_matrix | None = None,
    candidates: np.ndarray | None = None,
) -> tuple[IntArray, FloatArray]:
    """Indices and scores of the ``k`` best items of each row.

    Parameters
    ----------
    scores : ndarray of shape (n_rows, n_items)
        Dense scores (converted to float32 when needed).
    k : int
        List length: a positive integer (Python or numpy; a float such as 2.0 or
        a bool raises :class:`~reclite.errors.ParameterTypeError`), clamped to the
        number of items that can be returned (``n_items``, or the number of
        candidates).
    exclude : csr_matrix of shape (n_rows, n_items), optional
        Row ``r``'s stored entries are the items never returned for row ``r``
        (typically the users' seen items). Stored values are ignored.
    candidates : ndarray, optional
        A boolean mask of length ``n_items`` or an array of item indices: only these
        items are eligible.

    Returns
    -------
    idx : ndarray of shape (n_rows, min(k, n_items or candidates)), int32
        Item indices, best first; ``-1`` pads rows with fewer eligible items.
    score : ndarray of the same shape, float32
        Their scores; ``-inf`` in padded slots.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> idx, s = topk(np.array([[0.1, 0.9, 0.5]]), 2, exclude=sp.csr_matrix([[0, 1, 0]]))
    >>> idx.tolist()
    [[2, 0]]
    """
    k = check_k(k)
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ParameterError(f"scores must be 2-D (rows x items), got shape {scores.shape}")
    if scores.dtype not in (np.float32, np.float64):
        scores = scores.astype(VALUE_DTYPE)
    scores = np.ascontiguousarray(scores)
    n_rows, n_items = scores.shape
    if exclude is not None:
        exclude = sp.csr_matrix(exclude)
        if exclude.shape != scores.shape:
            raise ParameterError(f"exclude has shape {exclude.shape}, expected the scores' {scores.shape}")
        if not exclude.has_sorted_indices:
            exclude = exclude.sorted_indices()
        ex_indptr = exclude.indptr.astype(np.int64, copy=False)
        ex_indices = exclude.indices.astype(INDEX_DTYPE, copy=False)
    else:
        ex_indptr = np.zeros(1, dtype=np.int64)
        ex_indices = np.zeros(0, dtype=INDEX_DTYPE)
    if candidates is not None:
        candidates = np.asarray(candidates)
        if candidates.dtype == bool:
            if candidates.shape != (n_items,):
                raise ParameterError(f"candidates: a mask of shape {candidates.shape}, expected ({n_items},)")
            cand = candidates
        else:
            if candidates.dtype.kind not in "iu" and candidates.size:
                raise ParameterError(f"candidates must be item indices or a boolean mask, got dtype "
                                     f"{candidates.dtype}")
            cand = np.zeros(n_items, dtype=bool)
            cidx = candidates.astype(np.int64).reshape(-1)
            if cidx.size and (cidx.min() < 0 or cidx.max() >= n_items):
                raise ParameterError(f"candidates: item index out of range [0, {n_items}): "
                                     f"{int(cidx.min())}..{int(cidx.max())}")
            cand[cidx] = True
        k = min(k, int(np.count_nonzero(cand)))
    else:
        cand = np.zeros(0, dtype=bool)
        k = min(k, n_items)
    if k == 0:  # nothing can be returned (no items or no candidates)
        return np.empty((n_rows, 0), dtype=INDEX_DTYPE), np.empty((n_rows, 0), dtype=VALUE_DTYPE)
    out_idx = np.empty((n_rows, k), dtype=INDEX_DTYPE)
    out_score = np.empty((n_rows, k), dtype=scores.dtype)
    _topk_kernel(scores, k, ex_indptr, ex_indices, exclude is not None, cand,
                 candidates is not None, out_idx, out_score)
    return out_idx, out_score.astype(VALUE_DTYPE, copy=False)
