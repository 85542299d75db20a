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

How (the contract does not depend on it): a long row is searched through a lower bound
of its ``k``-th best score, taken from the maxima of about ``sqrt(k * n_items) / 2``
groups of items (one vectorised pass), so only the few items that reach the bound are
looked at one by one (:func:`_topk_row_bounded`); a short row, a row without such a
bound, or a call with ``candidates`` is scanned in index order, comparing each score
with the current ``k``-th best, a chunk of scores at a time (:func:`_topk_row`). On the
competition shape (6,807 items, k=10) that is 0.36 ns per score on one core against
0.85 ns for the scan (27,000 items: 0.29 against 0.46).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._lazy_kernels import LazyKernels
from ._typing import INDEX_DTYPE, VALUE_DTYPE, FloatArray, IntArray
from ._validation import check_k
from .errors import ParameterError

__all__ = ["topk", "topk_into"]

# ---------------------------------------------------------------------- lazy kernels
# The numba kernels below are compiled (loaded from numba's cache) the first time a block
# needs them, not at import: starting numba's compiler costs about half a second, more
# than ranking a small catalogue with NumPy (see _topk_numpy), so a process that ranks
# little (`reclite recommend` on the demo model) never pays it.
_LAZY = LazyKernels(globals())
_kernel = _LAZY.kernel
prange = range  # numba.prange once the kernels are compiled


@_kernel(cache=True, nogil=True, inline="always")
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


#: scores tested at once while a list is full: a branch-free count of those above the
#: k-th best (vectorised); only a chunk holding one is visited item by item
_CHUNK = 16


@_kernel(cache=True, nogil=True)
def _topk_row(row, k, ex_indices, p, pend, has_ex, cand, has_cand, bi, bs, neg_inf):
    """Fill ``bi``/``bs`` (length ``k``) with the best items of one row of scores, scanning it.

    ``ex_indices[p:pend]`` are the row's excluded items (sorted). Items are visited in
    increasing order, so ``_push`` breaks ties by the smaller index.
    """
    n_items = row.shape[0]
    filled = 0
    thresh = neg_inf
    j = 0
    while j < n_items:
        stop = n_items
        if filled == k:
            # once the list is full, an item must beat the k-th score to enter: that one
            # comparison rejects almost every item, so it is made for a chunk at once and
            # exclusions and candidates are only looked up for the few that pass (the
            # exclusion pointer moves forward lazily)
            stop = min(j + _CHUNK, n_items)
            chunk = row[j:stop]
            above = 0
            for q in range(chunk.shape[0]):
                above += chunk[q] > thresh
            if above == 0:
                j = stop
                continue
        while j < stop:
            s = row[j]
            if filled == k and not (s > thresh):
                j += 1
                continue
            if has_cand and not cand[j]:
                j += 1
                continue
            if has_ex:
                while p < pend and ex_indices[p] < j:
                    p += 1
                if p < pend and ex_indices[p] == j:
                    j += 1
                    continue
            if s != s:
                s = neg_inf
            filled = _push(bs, bi, filled, k, s, j)
            j += 1
            if filled == k:
                thresh = bs[k - 1]
                if stop == n_items:  # just filled: go on a chunk at a time
                    break
    for pos in range(filled, k):
        bi[pos] = -1
        bs[pos] = neg_inf


@_kernel(cache=True, nogil=True)
def _topk_row_bounded(row, k, n_groups, group_max, found, bi, bs, neg_inf):
    """The best items of one row found through a lower bound; False when there is none.

    ``row`` holds ``-inf`` at the row's excluded items (they can then never reach the
    bound). Item ``j`` belongs to group ``j % n_groups`` (a power of two). One vectorised
    pass takes each group's maximum (elementwise over the groups, no reduction; NaN
    never wins a comparison, so it counts as ``-inf``). The ``k``-th largest maximum,
    ``t``, is a lower bound of the row's ``k``-th best eligible score (``k`` distinct
    items reach it), so only items ``>= t`` can be in the list: they are gathered from
    the groups whose maximum reaches ``t`` (about ``k`` groups), put in index order and
    pushed as in :func:`_topk_row` (same ties). Without ``k`` groups with a finite
    maximum there is no bound (the caller scans the row).
    """
    n_items = row.shape[0]
    for g in range(n_groups):
        group_max[g] = neg_inf
    full = n_items // n_groups
    for t in range(full):
        seg = row[t * n_groups:(t + 1) * n_groups]
        for g in range(n_groups):
            v = seg[g]
            m = group_max[g]
            group_max[g] = v if v > m else m
    tail = row[full * n_groups:]
    for g in range(tail.shape[0]):
        v = tail[g]
        m = group_max[g]
        group_max[g] = v if v > m else m
    filled = 0
    thresh = neg_inf
    for g in range(n_groups):
        v = group_max[g]
        if filled == k and not (v > thresh):
            continue
        filled = _push(bs, bi, filled, k, v, g)
        if filled == k:
            thresh = bs[k - 1]
    if filled < k or not (thresh > neg_inf):
        return False
    bound = thresh
    n_found = 0
    for g in range(n_groups):
        if group_max[g] >= bound:
            for j in range(g, n_items, n_groups):
                if row[j] >= bound:
                    found[n_found] = j
                    n_found += 1
    if n_found <= 32:  # usually about k: insertion sort
        for a in range(1, n_found):
            x = found[a]
            b = a - 1
            while b >= 0 and found[b] > x:
                found[b + 1] = found[b]
                b -= 1
            found[b + 1] = x
    else:  # many ties at the bound
        found[:n_found] = np.sort(found[:n_found])
    filled = 0
    thresh = bound
    for a in range(n_found):
        j = found[a]
        s = row[j]
        if filled == k and not (s > thresh):
            continue
        filled = _push(bs, bi, filled, k, s, j)
        if filled == k:
            thresh = bs[k - 1]
    for pos in range(filled, k):
        bi[pos] = -1
        bs[pos] = neg_inf
    return True


@_kernel(cache=True, nogil=True)
def _topk_rows(scores, lo, hi, k, n_groups, ex_indptr, ex_indices, has_ex, cand, has_cand, writable, out_idx,
               out_score, neg_inf):
    """Rows ``lo:hi``: through the bound when ``n_groups`` (no candidates), else by scanning.

    For the bound, a row's excluded items are set to ``-inf``: in ``scores`` itself
    when ``writable`` (the caller's block is scratch), else in a copy of the row.
    """
    n_items = scores.shape[1]
    bounded = n_groups > 0 and not has_cand
    group_max = np.empty(max(n_groups, 1), dtype=scores.dtype)
    found = np.empty(n_items if bounded else 1, dtype=np.int32)
    copy = np.empty(n_items if bounded and has_ex and not writable else 0, dtype=scores.dtype)
    for r in range(lo, hi):
        p = ex_indptr[r] if has_ex else 0
        pend = ex_indptr[r + 1] if has_ex else 0
        row = scores[r]
        if bounded:
            if has_ex:
                if not writable:
                    copy[:] = row
                    row = copy
                for q in range(p, pend):
                    row[ex_indices[q]] = neg_inf
            if _topk_row_bounded(row, k, n_groups, group_max, found, out_idx[r], out_score[r], neg_inf):
                continue
        # no bound: scan (exclusions are looked up, so a row set to -inf there is fine)
        _topk_row(row, k, ex_indices, p, pend, has_ex, cand, has_cand, out_idx[r], out_score[r], neg_inf)


_ROWS_PER_TASK = 16


@_kernel(cache=True, nogil=True, parallel=True)
def _topk_kernel(scores, k, n_groups, ex_indptr, ex_indices, has_ex, cand, has_cand, writable, out_idx, out_score,
                 neg_inf):
    """Rows in parallel (numba threads), ``_ROWS_PER_TASK`` at a time."""
    n_rows = scores.shape[0]
    for t in prange((n_rows + _ROWS_PER_TASK - 1) // _ROWS_PER_TASK):
        lo = t * _ROWS_PER_TASK
        _topk_rows(scores, lo, min(lo + _ROWS_PER_TASK, n_rows), k, n_groups, ex_indptr, ex_indices, has_ex, cand,
                   has_cand, writable, out_idx, out_score, neg_inf)


@_kernel(cache=True, nogil=True)
def _topk_kernel_serial(scores, k, n_groups, ex_indptr, ex_indices, has_ex, cand, has_cand, writable, out_idx,
                        out_score, neg_inf):
    """Rows one after the other, in the calling thread (which may be one of several
    ranking threads: the GIL is released)."""
    _topk_rows(scores, 0, scores.shape[0], k, n_groups, ex_indptr, ex_indices, has_ex, cand, has_cand, writable,
               out_idx, out_score, neg_inf)


def _n_groups(n_items: int, k: int) -> int:
    """Groups for the bounded search (a power of two near ``sqrt(k * n_items) / 2``, which
    balances finding the bound against visiting its groups), or 0 where scanning the
    row is as fast: rows shorter than 8 groups, or a ``k`` above half the groups."""
    g = 16
    while 16 * g * g <= k * n_items:
        g *= 2
    return g if n_items >= 8 * g and 2 * k <= g else 0


NUMPY_BUDGET = 1 << 24
"""Scores a process ranks with NumPy (:func:`_topk_numpy`, float32 blocks only) before it
starts the numba kernels: about 16.8 million. NumPy ranks a 2,000 x 1,500 block at about
5x the kernels' time per score (50 against 10 ns on the shared two-core machine, k=10),
so the budget costs about as long as numba's compiler takes to start (0.5-0.8 s there):
a small job (the demo data: 3 million scores) never starts it, a large one pays at most
that much extra."""
_numpy_used = 0
_ENGINE: str | None = None  # tests: "numpy" or "numba" for every float32 block


def _numpy_allowance(n_scores: int) -> bool:
    """Whether this block may be ranked with NumPy (the kernels not started, budget left)."""
    global _numpy_used
    if _LAZY.compiled:
        return False
    with _LAZY.lock:
        if _numpy_used + n_scores > NUMPY_BUDGET:
            return False
        _numpy_used += n_scores
        return True


def _topk_numpy(scores: np.ndarray, k: int, exclude: sp.csr_matrix | None, candidates: np.ndarray | None,
                out_idx: np.ndarray, out_score: np.ndarray) -> None:
    """The kernels' contract in NumPy, for a float32 block (see the module docstring).

    Each item gets one float64 sort key: minus its score (NaN and ``-inf`` become 1e308,
    above every float32 score, so they tie with each other and rank last among eligible
    items), ``+inf`` when it is excluded or not a candidate. ``argpartition`` picks ``k``
    smallest keys per row; a row where more items tie with its ``k``-th key than were
    picked keeps the tied items with the smallest indices instead (rare for real scores).
    The ``k`` are then sorted by key, ties in index order.
    """
    n, m = scores.shape
    key = -scores.astype(np.float64)
    key[~(key < np.inf)] = 1e308  # NaN and -inf scores: eligible, last
    if candidates is not None:
        key[:, ~candidates] = np.inf
    if exclude is not None and exclude.nnz:
        rows = np.repeat(np.arange(n), np.diff(exclude.indptr))
        key[rows, exclude.indices] = np.inf
    cols = np.argpartition(key, k - 1, axis=1)[:, :k]
    kth = np.take_along_axis(key, cols, axis=1).max(axis=1, keepdims=True)
    ties = np.flatnonzero((key <= kth).sum(axis=1) > k)  # items tied at the k-th key were left out
    if len(ties):
        sub, t = key[ties], kth[ties]
        tied = sub == t
        keep = (sub < t) | (tied & (np.cumsum(tied, axis=1) <= k - (sub < t).sum(axis=1, keepdims=True)))
        cols[ties] = np.nonzero(keep)[1].reshape(len(ties), k)
    picked = np.take_along_axis(key, cols, axis=1)
    order = np.lexsort((cols, picked), axis=1)  # by key, ties by index
    cols = np.take_along_axis(cols, order, axis=1).astype(INDEX_DTYPE)
    best = np.take_along_axis(picked, order, axis=1)
    vals = np.take_along_axis(scores, cols, axis=1)
    vals[best >= 1e308] = -np.inf  # NaN scores rank (and are returned) as -inf
    padded = best == np.inf  # excluded or not a candidate (a +inf score has key -inf)
    cols[padded] = -1
    vals[padded] = -np.inf
    out_idx[...] = cols
    out_score[...] = vals


_NO_EXCLUSIONS = (np.zeros(1, dtype=np.int64), np.zeros(0, dtype=INDEX_DTYPE))
_NO_CANDIDATES = np.zeros(0, dtype=bool)


def topk_into(
    scores: np.ndarray,
    k: int,
    exclude: sp.csr_matrix | None,
    candidates: np.ndarray | None,
    out_idx: np.ndarray,
    out_score: np.ndarray,
    *,
    parallel: bool = True,
    writable: bool = False,
) -> None:
    """The kernel of :func:`topk` on one block, written into the caller's arrays.

    For callers that rank many blocks (``reclite.models._ranking.rank_blocks``): nothing is
    checked or clamped here. ``scores`` is a C-contiguous float32/float64 block of
    shape ``(n, n_items)``; ``k >= 1`` is already at most the number of eligible
    items per row; ``exclude`` is a csr_matrix of the block's shape or None;
    ``candidates`` a boolean mask of length ``n_items`` or None; ``out_idx`` (int32)
    and ``out_score`` (scores' dtype) are C-contiguous ``(n, k)`` arrays, e.g. rows
    of a larger output. ``parallel=False`` ranks in the calling thread only.
    ``writable=True``: ``scores`` is scratch and may be overwritten (excluded items are
    set to ``-inf`` in place instead of in a copy of each row).

    A process's first :data:`NUMPY_BUDGET` float32 scores are ranked with NumPy, the rest
    by the numba kernels (started then); both follow the same contract exactly.
    """
    if scores.dtype == np.float32 and (_ENGINE == "numpy" or (_ENGINE is None and _numpy_allowance(scores.size))):
        _topk_numpy(scores, k, exclude, candidates, out_idx, out_score)
        return
    _LAZY.compile()
    if exclude is not None:
        if not exclude.has_sorted_indices:
            exclude = exclude.sorted_indices()
        ex_indptr = exclude.indptr.astype(np.int64, copy=False)
        ex_indices = exclude.indices.astype(INDEX_DTYPE, copy=False)
    else:
        ex_indptr, ex_indices = _NO_EXCLUSIONS
    cand = _NO_CANDIDATES if candidates is None else candidates
    if not scores.flags.writeable:  # e.g. a broadcast view: the kernels take writable arrays only
        scores = scores.copy()
        writable = True
    kernel = _topk_kernel if parallel else _topk_kernel_serial
    kernel(scores, k, _n_groups(scores.shape[1], k), ex_indptr, ex_indices, exclude is not None, cand,
           candidates is not None, writable, out_idx, out_score, scores.dtype.type(-np.inf))


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
    cand = None
    if candidates is not None:
        candidates = np.asarray(candidates)
        if candidates.dtype == bool:
            if candidates.shape != (n_items,):
                raise ParameterError(f"candidates: a mask of shape {candidates.shape}, expected ({n_items},)")
            cand = np.ascontiguousarray(candidates)
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
        k = min(k, n_items)
    if k == 0:  # nothing can be returned (no items or no candidates)
        return np.empty((n_rows, 0), dtype=INDEX_DTYPE), np.empty((n_rows, 0), dtype=VALUE_DTYPE)
    out_idx = np.empty((n_rows, k), dtype=INDEX_DTYPE)
    out_score = np.empty((n_rows, k), dtype=scores.dtype)
    topk_into(scores, k, exclude, cand, out_idx, out_score)
    return out_idx, out_score.astype(VALUE_DTYPE, copy=False)
