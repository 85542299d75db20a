"""Neighbour kernels: the ``k`` largest entries of each row of a rescaled sparse product.

Kernels take raw CSR parts and write into preallocated outputs (STYLE 3.8); their
typed wrappers check dtypes and shapes. Each kernel has a dense NumPy twin in the
tests (``tests/models/test_knn.py``, ``test_rp3beta.py``).

- :func:`pruned_product` -- the fused sparse product ``A @ B`` with a per-entry
  rescaling, keeping the ``k`` largest entries of each row (item-item similarities
  of RP3beta, a batch of new users against the training users in UserKNN), never
  materialising the full product.
- :func:`pruned_gram` -- the same for a symmetric cosine-like ``X @ X.T`` (item-item
  similarities of ItemKNN, user-user of UserKNN), each pair computed once.
- :func:`thresholded_product` -- the entries of a rescaled product above a per-column
  floor (new users entering training users' neighbour lists in UserKNN).
- :func:`l2_norms` -- the rows' Euclidean norms (the cosine's scale).
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp
from numba import njit, prange

from .._typing import INDEX_DTYPE, VALUE_DTYPE
from ._sparse import n_chunks

__all__ = ["pruned_product", "pruned_gram", "thresholded_product", "l2_norms", "GRAM_LIST_BUDGET"]


# ---------------------------------------------------------------------- best-k candidate lists
# The kernels keep the k best (value, index) pairs of a row. A pair ranks below another
# when its value is smaller, or equal with a larger index: a total order, so the pairs
# kept (and their final order) do not depend on the order they were offered in, and
# ties always go to the smaller index. A row's candidates are appended to a buffer of
# ``cap > k`` slots; when it is full, the k best are selected in linear time and the
# worst of them becomes the row's floor, which later offers must beat. Appending and an
# occasional selection cost far less than a heap's unpredictable sifts.
@njit(cache=True, nogil=True, inline="always")
def _worse(s1, j1, s2, j2):
    return s1 < s2 or (s1 == s2 and j1 > j2)


@njit(cache=True, nogil=True)
def _select_best(bv, bi, n, k):
    """Reorder ``bv[:n], bi[:n]`` (distinct pairs) so that their ``k`` best come first, in any order."""
    lo = 0
    hi = n - 1
    target = k - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        # median of three as the pivot
        a, b, c = lo, mid, hi
        if _worse(bv[a], bi[a], bv[b], bi[b]):
            a, b = b, a
        if _worse(bv[b], bi[b], bv[c], bi[c]):
            b, c = c, b
            if _worse(bv[a], bi[a], bv[b], bi[b]):
                a, b = b, a
        pv = bv[b]
        pj = bi[b]
        i = lo
        j = hi
        while i <= j:
            while _worse(pv, pj, bv[i], bi[i]):  # better than the pivot
                i += 1
            while _worse(bv[j], bi[j], pv, pj):  # worse than the pivot
                j -= 1
            if i <= j:
                tv = bv[i]
                ti = bi[i]
                bv[i] = bv[j]
                bi[i] = bi[j]
                bv[j] = tv
                bi[j] = ti
                i += 1
                j -= 1
        # now [lo, j] are no worse than the pivot, [i, hi] no better, (j, i) equal to it
        if target <= j:
            hi = j
        elif target >= i:
            lo = i
        else:
            break


@njit(cache=True, nogil=True)
def _compact(bv, bi, k):
    """Keep the ``k`` best of a full buffer in its first ``k`` slots; the position of the worst of them."""
    _select_best(bv, bi, len(bv), k)
    w = 0
    for t in range(1, k):
        if _worse(bv[t], bi[t], bv[w], bi[w]):
            w = t
    return w


@njit(cache=True, nogil=True)
def _sort_best(bv, bi, n, k, out_v, out_i):
    """The ``k`` best of ``bv[:n], bi[:n]`` into ``out_v, out_i``, best first, ``-1``/0 padded."""
    m = min(n, k)
    if n > k:
        _select_best(bv, bi, n, k)
    # insertion sort of the m survivors (m = k is small; most are placed near the end)
    for t in range(m):
        s = bv[t]
        j = bi[t]
        pos = t
        while pos > 0 and _worse(out_v[pos - 1], out_i[pos - 1], s, j):
            out_v[pos] = out_v[pos - 1]
            out_i[pos] = out_i[pos - 1]
            pos -= 1
        out_v[pos] = s
        out_i[pos] = j
    for t in range(m, k):
        out_i[t] = -1
        out_v[t] = 0.0


def _buffer_slots(k: int) -> int:
    """Buffer slots per row for ``k`` kept entries: a selection every ``k / 2`` appends."""
    return k + max(k // 2, 8)


def _as_kernel_operand(b: sp.csr_matrix) -> tuple[np.ndarray, bool]:
    """``b``'s values as float64 and whether they are all one value (binary data: the
    kernels then skip reading them)."""
    data = b.data.astype(np.float64)
    return data, bool(data.size) and bool(np.all(data == data[0]))


def _finish(out_idx: np.ndarray, out_val: np.ndarray, exponent: float, shape: tuple[int, int]) -> sp.csr_matrix:
    """Rows of best-first ``(index, value)`` pairs (``-1`` padded) -> csr, ``f(s) = sign(s)|s|^exponent``.

    ``f`` is increasing, so choosing on ``s`` and raising afterwards keeps the same
    entries as raising first; entries that underflow to zero are dropped.
    """
    vals = out_val
    if exponent != 1.0:
        vals = np.sign(out_val) * np.abs(out_val) ** exponent
    valid = (out_idx >= 0) & (vals != 0.0)
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(valid.sum(axis=1), out=indptr[1:])
    out = sp.csr_matrix((vals[valid].astype(VALUE_DTYPE), out_idx[valid], indptr), shape=shape)
    out.sort_indices()
    return out


# ---------------------------------------------------------------------- pruned product
@njit(cache=True, nogil=True, parallel=True)
def _pruned_product_kernel(a_indptr, a_indices, a_data, b_indptr, b_indices, b_data, b_const,
                           row_scale, col_scale, shrink, k, skip, n_chunks, out_idx, out_val):
    n_rows = len(a_indptr) - 1
    n_cols = len(col_scale)
    dense_cut = n_cols // 16
    cap = 4 * k + 16
    for c in prange(n_chunks):
        acc = np.zeros(n_cols, dtype=np.float64)
        flag = np.zeros(n_cols, dtype=np.bool_)
        touched = np.empty(n_cols, dtype=np.uint32)
        bv = np.empty(cap, dtype=np.float64)
        bi = np.empty(cap, dtype=np.int32)
        # rows c, c + n_chunks, ...: striding balances popular and rare rows
        for i in range(c, n_rows, n_chunks):
            est = 0
            for p in range(a_indptr[i], a_indptr[i + 1]):
                est += b_indptr[a_indices[p] + 1] - b_indptr[a_indices[p]]
            # a row touching many columns is accumulated without bookkeeping and scanned whole
            dense = est > dense_cut
            m = 0
            for p in range(a_indptr[i], a_indptr[i + 1]):
                u = a_indices[p]
                w = a_data[p]
                if dense and b_const:
                    for q in range(b_indptr[u], b_indptr[u + 1]):
                        acc[b_indices[q]] += w
                elif dense:
                    for q in range(b_indptr[u], b_indptr[u + 1]):
                        acc[b_indices[q]] += w * b_data[q]
                else:
                    for q in range(b_indptr[u], b_indptr[u + 1]):
                        j = b_indices[q]
                        if not flag[j]:
                            flag[j] = True
                            touched[m] = j
                            m += 1
                        acc[j] += w * b_data[q]
            filled = 0  # row i's candidates in the buffer, which must beat (floor_v, floor_j)
            floor_v = -np.inf
            floor_j = 0
            n_scan = n_cols if dense else m
            rs = row_scale[i]
            for t in range(n_scan):
                j = np.uint32(t) if dense else touched[t]
                flag[j] = False
                a = acc[j]
                if a == 0.0:
                    continue
                acc[j] = 0.0
                if j == skip[i]:
                    continue
                s = a / (rs * col_scale[j] + shrink)
                if s > floor_v or (s == floor_v and j < floor_j):
                    bv[filled] = s
                    bi[filled] = j
                    filled += 1
                    if filled == cap:
                        w = _compact(bv, bi, k)
                        floor_v = bv[w]
                        floor_j = bi[w]
                        filled = k
            _sort_best(bv, bi, filled, k, out_val[i], out_idx[i])


def pruned_product(
    a: sp.csr_matrix,
    b: sp.csr_matrix,
    k: int,
    *,
    row_scale: np.ndarray | None = None,
    col_scale: np.ndarray | None = None,
    shrink: float = 0.0,
    exponent: float = 1.0,
    skip_diag: bool = True,
    skip: np.ndarray | None = None,
) -> sp.csr_matrix:
    """The ``k`` largest entries of each row of a rescaled sparse product.

    Entry ``(i, j)`` of the result is ``f(s_ij)`` with
    ``s_ij = (A @ B)_ij / (row_scale_i * col_scale_j + shrink)`` and
    ``f(s) = sign(s) |s|^exponent``. Per row ``i`` only the ``k`` largest non-zero
    entries are kept (ties: the smaller column first); column ``skip[i]`` is never kept
    (``-1``: none), and with ``skip=None`` the diagonal is skipped when ``skip_diag``.
    The full product is never stored: each row is accumulated in a dense buffer per
    thread and pruned at once (``prange`` over rows).

    Parameters
    ----------
    a : csr_matrix of shape (n, m)
    b : csr_matrix of shape (m, p)
    k : int
        Entries kept per row.
    row_scale : ndarray of shape (n,), optional
        Ones when None.
    col_scale : ndarray of shape (p,), optional
        Ones when None.

    Returns
    -------
    csr_matrix of shape (n, p), float32, sorted indices

    See Also
    --------
    pruned_gram : the same for ``A @ A.T`` with ``row_scale == col_scale``, in half the work.
    """
    n, m = a.shape
    if b.shape[0] != m:
        raise ValueError(f"shapes {a.shape} and {b.shape} do not multiply")
    p = b.shape[1]
    k = max(1, min(int(k), p))
    a = sp.csr_matrix(a)
    b = sp.csr_matrix(b)
    rs = np.ones(n) if row_scale is None else np.ascontiguousarray(row_scale, dtype=np.float64)
    cs = np.ones(p) if col_scale is None else np.ascontiguousarray(col_scale, dtype=np.float64)
    if skip is None:
        skip = np.arange(n, dtype=np.int64) if skip_diag else np.full(n, -1, dtype=np.int64)
    skip = np.asarray(skip, dtype=np.int64)
    if skip.shape != (n,):
        raise ValueError(f"skip has shape {skip.shape}, expected ({n},)")
    a_data = a.data.astype(np.float64)
    b_data, b_const = _as_kernel_operand(b)
    if b_const:  # every b value the same: fold it into a's, so the dense loop reads no b values
        a_data = a_data * b_data[0]
        b_data = np.ones_like(b_data)
    out_idx = np.empty((n, k), dtype=INDEX_DTYPE)
    out_val = np.empty((n, k), dtype=np.float64)
    # unsigned column indices: the hot loops then index without a negative-index check
    _pruned_product_kernel(
        a.indptr.astype(np.int64), a.indices.astype(np.uint32), a_data,
        b.indptr.astype(np.int64), b.indices.astype(np.uint32), b_data, b_const,
        rs, cs, float(shrink), k, skip, n_chunks(n), out_idx, out_val)
    return _finish(out_idx, out_val, float(exponent), (n, p))


# ---------------------------------------------------------------------- thresholded product
@njit(cache=True, nogil=True, parallel=True)
def _thresholded_kernel(a_indptr, a_indices, a_data, b_indptr, b_indices, b_data, row_scale, col_scale, shrink,
                        exponent, floor, n_chunks, fill, out_indptr, out_indices, out_data):
    n_rows = len(a_indptr) - 1
    n_cols = len(col_scale)
    for c in prange(n_chunks):
        acc = np.zeros(n_cols, dtype=np.float64)
        flag = np.zeros(n_cols, dtype=np.bool_)
        touched = np.empty(n_cols, dtype=np.uint32)
        for i in range(c, n_rows, n_chunks):
            m = 0
            for p in range(a_indptr[i], a_indptr[i + 1]):
                u = a_indices[p]
                w = a_data[p]
                for q in range(b_indptr[u], b_indptr[u + 1]):
                    j = b_indices[q]
                    if not flag[j]:
                        flag[j] = True
                        touched[m] = j
                        m += 1
                    acc[j] += w * b_data[q]
            pos = out_indptr[i] if fill else 0
            for t in range(m):
                j = touched[t]
                flag[j] = False
                a = acc[j]
                acc[j] = 0.0
                if a == 0.0:
                    continue
                s = a / (row_scale[i] * col_scale[j] + shrink)
                if exponent != 1.0:
                    s = s ** exponent if s >= 0 else -((-s) ** exponent)
                if s != 0.0 and np.float32(s) > floor[j]:  # as the result stores it
                    if fill:
                        out_indices[pos] = j
                        out_data[pos] = s
                    pos += 1
            if not fill:
                out_indptr[i + 1] = pos


def thresholded_product(
    a: sp.csr_matrix,
    b: sp.csr_matrix,
    floor: np.ndarray,
    *,
    row_scale: np.ndarray | None = None,
    col_scale: np.ndarray | None = None,
    shrink: float = 0.0,
    exponent: float = 1.0,
) -> sp.csr_matrix:
    """The entries of a rescaled sparse product that exceed a per-column floor.

    Entry ``(i, j)`` is ``f(s_ij)``, with ``s_ij`` and ``f`` as in :func:`pruned_product`,
    kept when it is non-zero and its float32 value (as the result stores it) exceeds
    ``floor[j]`` (``-inf``: any non-zero entry); no per-row limit. Two passes (count,
    then fill), in parallel over rows.

    Returns
    -------
    csr_matrix of shape (n, p), float32, sorted indices
    """
    n, m = a.shape
    if b.shape[0] != m:
        raise ValueError(f"shapes {a.shape} and {b.shape} do not multiply")
    p = b.shape[1]
    a = sp.csr_matrix(a)
    b = sp.csr_matrix(b)
    rs = np.ones(n) if row_scale is None else np.ascontiguousarray(row_scale, dtype=np.float64)
    cs = np.ones(p) if col_scale is None else np.ascontiguousarray(col_scale, dtype=np.float64)
    fl = np.ascontiguousarray(floor, dtype=np.float64)
    if fl.shape != (p,):
        raise ValueError(f"floor has shape {fl.shape}, expected ({p},)")
    args = (a.indptr.astype(np.int64), a.indices.astype(np.uint32), a.data.astype(np.float64),
            b.indptr.astype(np.int64), b.indices.astype(np.uint32), b.data.astype(np.float64),
            rs, cs, float(shrink), float(exponent), fl, n_chunks(n))
    indptr = np.zeros(n + 1, dtype=np.int64)
    _thresholded_kernel(*args, False, indptr, np.empty(0, dtype=INDEX_DTYPE), np.empty(0))
    np.cumsum(indptr, out=indptr)
    indices = np.empty(indptr[-1], dtype=INDEX_DTYPE)
    data = np.empty(indptr[-1], dtype=np.float64)
    _thresholded_kernel(*args, True, indptr, indices, data)
    out = sp.csr_matrix((data.astype(VALUE_DTYPE), indices, indptr), shape=(n, p))
    out.sort_indices()
    return out


# ---------------------------------------------------------------------- pruned Gram matrix
GRAM_LIST_BUDGET = 512 * 2**20
"""Bytes that :func:`pruned_gram`'s per-thread candidate buffers may take together."""


@njit(cache=True, nogil=True)
def _transpose_kernel(indptr, indices, data, n_cols, t_indptr, t_indices, t_data, pos):
    """``X.T`` in CSR (rows of ``X`` ascending within each row of ``X.T``) and, for every
    entry ``p`` of ``X``, its position ``pos[p]`` in ``X.T``."""
    for p in range(len(indices)):
        t_indptr[indices[p] + 1] += 1
    for i in range(n_cols):
        t_indptr[i + 1] += t_indptr[i]
    nxt = t_indptr[:-1].copy()
    for u in range(len(indptr) - 1):
        for p in range(indptr[u], indptr[u + 1]):
            i = indices[p]
            q = nxt[i]
            nxt[i] = q + 1
            t_indices[q] = u
            t_data[q] = data[p]
            pos[p] = q


@njit(cache=True, nogil=True, parallel=True)
def _pruned_gram_kernel(x_indptr, x_indices, x_data, t_indptr, t_indices, t_data, t_pos, t_const, scale, shrink,
                        k, n_lists, list_val, list_idx, list_n, out_idx, out_val):
    n = len(x_indptr) - 1
    for c in prange(n_lists):
        acc = np.zeros(n, dtype=np.float64)
        flag = np.zeros(n, dtype=np.bool_)
        touched = np.empty(n, dtype=np.uint32)
        floor_v = np.full(n, -np.inf)  # the worst of each row's k best so far (once it has k)
        floor_j = np.zeros(n, dtype=np.int32)
        lv = list_val[c]
        li = list_idx[c]
        ln = list_n[c]
        cap = lv.shape[1]
        # every n_lists-th row, from the last: each thread owns one set of lists. Row u
        # computes its entries with the rows v > u once and offers each to both rows'
        # lists; the rows v > u went first, so their floors already hold most offers off.
        for u in range(n - 1 - c, -1, -n_lists):
            # column i of X holds the rows v > u after u's own entry, at t_pos[p] + 1
            est = 0
            for p in range(x_indptr[u], x_indptr[u + 1]):
                est += t_indptr[x_indices[p] + 1] - t_pos[p] - 1
            dense = est > (n - u - 1) // 16
            m = 0
            for p in range(x_indptr[u], x_indptr[u + 1]):
                w = x_data[p]
                hi = t_indptr[x_indices[p] + 1]
                if dense and t_const:
                    for q in range(t_pos[p] + 1, hi):
                        acc[t_indices[q]] += w
                elif dense:
                    for q in range(t_pos[p] + 1, hi):
                        acc[t_indices[q]] += w * t_data[q]
                else:
                    for q in range(t_pos[p] + 1, hi):
                        v = t_indices[q]
                        if not flag[v]:
                            flag[v] = True
                            touched[m] = v
                            m += 1
                        acc[v] += w * t_data[q]
            su = scale[u]
            # row u's own list in locals while it is scanned
            fu = ln[u]
            fu_v = floor_v[u]
            fu_j = floor_j[u]
            n_scan = n - u - 1 if dense else m
            for t in range(n_scan):
                v = np.uint32(u + 1 + t) if dense else touched[t]
                flag[v] = False
                a = acc[v]
                if a == 0.0:
                    continue
                acc[v] = 0.0
                s = a / (su * scale[v] + shrink)
                if s > fu_v or (s == fu_v and v < fu_j):  # (s, v) to row u's list
                    lv[u, fu] = s
                    li[u, fu] = v
                    fu += 1
                    if fu == cap:
                        worst = _compact(lv[u], li[u], k)
                        fu_v = lv[u, worst]
                        fu_j = li[u, worst]
                        fu = k
                if s > floor_v[v] or (s == floor_v[v] and u < floor_j[v]):  # (s, u) to row v's list
                    f = ln[v]
                    lv[v, f] = s
                    li[v, f] = u
                    f += 1
                    if f == cap:
                        worst = _compact(lv[v], li[v], k)
                        floor_v[v] = lv[v, worst]
                        floor_j[v] = li[v, worst]
                        f = k
                    ln[v] = f
            ln[u] = fu
            floor_v[u] = fu_v
            floor_j[u] = fu_j
    # each row: its candidates from every thread's lists, the k best, best first
    cap = list_val.shape[2]
    for u in prange(n):
        m = list_n[0, u]
        bv = list_val[0, u]
        bi = list_idx[0, u]
        if n_lists > 1:
            bv = np.empty(n_lists * cap, dtype=np.float64)
            bi = np.empty(n_lists * cap, dtype=np.int32)
            m = 0
            for c in range(n_lists):
                for t in range(list_n[c, u]):
                    bv[m] = list_val[c, u, t]
                    bi[m] = list_idx[c, u, t]
                    m += 1
        _sort_best(bv, bi, m, k, out_val[u], out_idx[u])


def pruned_gram(
    x: sp.csr_matrix,
    k: int,
    *,
    scale: np.ndarray | None = None,
    shrink: float = 0.0,
    exponent: float = 1.0,
) -> sp.csr_matrix:
    """The ``k`` largest off-diagonal entries of each row of a rescaled Gram matrix ``X @ X.T``.

    Entry ``(u, v)`` is ``f(s_uv)`` with ``s_uv = (X X^T)_uv / (scale_u scale_v + shrink)``
    and ``f(s) = sign(s) |s|^exponent``; per row the ``k`` largest non-zero entries are
    kept (ties: the smaller column first), the diagonal never. Equal, entry for entry, to
    ``pruned_product(x, x.T, k, row_scale=scale, col_scale=scale, ...)``, in about half
    the work: ``s_uv = s_vu`` (the same products summed in the same order), so each pair
    is accumulated once (row ``u`` against the rows ``v > u``) and offered to both rows'
    candidate lists. Each thread keeps its own lists for every row (merged at the end;
    ``20 k`` bytes per row and thread), so the threads used are capped by
    ``GRAM_LIST_BUDGET``; where fewer than half the threads fit, the row-by-row
    :func:`pruned_product` is used instead.

    Parameters
    ----------
    x : csr_matrix of shape (n, m)
        One vector per row.
    k : int
        Entries kept per row.
    scale : ndarray of shape (n,), optional
        Ones when None (for the cosine: the rows' norms).

    Returns
    -------
    csr_matrix of shape (n, n), float32, sorted indices, empty diagonal
    """
    x = sp.csr_matrix(x)
    n = x.shape[0]
    k = max(1, min(int(k), n))
    sc = np.ones(n) if scale is None else np.ascontiguousarray(scale, dtype=np.float64)
    if sc.shape != (n,):
        raise ValueError(f"scale has shape {sc.shape}, expected ({n},)")
    cap = _buffer_slots(k)
    threads = numba.get_num_threads()
    n_lists = max(1, min(threads, n, GRAM_LIST_BUDGET // max(1, n * cap * 12)))
    if 2 * n_lists < threads:
        return pruned_product(x, sp.csr_matrix(x.T), k, row_scale=sc, col_scale=sc, shrink=shrink,
                              exponent=exponent, skip_diag=True)
    x_indptr = x.indptr.astype(np.int64)
    x_indices = x.indices.astype(np.uint32)
    x_data = x.data.astype(np.float64)
    t_indptr = np.zeros(x.shape[1] + 1, dtype=np.int64)
    t_indices = np.empty(x.nnz, dtype=np.uint32)
    t_data = np.empty(x.nnz, dtype=np.float64)
    t_pos = np.empty(x.nnz, dtype=np.int64)
    _transpose_kernel(x_indptr, x_indices, x_data, x.shape[1], t_indptr, t_indices, t_data, t_pos)
    t_const = bool(x.nnz) and bool(np.all(x_data == x_data[0]))
    if t_const:  # binary data: fold the one value into x's, so the dense loop reads no values
        x_data = x_data * x_data[0]
        t_data[:] = 1.0
    list_val = np.empty((n_lists, n, cap), dtype=np.float64)
    list_idx = np.empty((n_lists, n, cap), dtype=np.int32)
    list_n = np.zeros((n_lists, n), dtype=np.int64)
    out_idx = np.empty((n, k), dtype=INDEX_DTYPE)
    out_val = np.empty((n, k), dtype=np.float64)
    _pruned_gram_kernel(x_indptr, x_indices, x_data, t_indptr, t_indices, t_data, t_pos, t_const,
                        sc, float(shrink), k, n_lists, list_val, list_idx, list_n, out_idx, out_val)
    del list_val, list_idx
    return _finish(out_idx, out_val, float(exponent), (n, n))


def l2_norms(M: sp.csr_matrix) -> np.ndarray:
    """Euclidean norm of every row (float64)."""
    M = sp.csr_matrix(M)
    return np.sqrt(np.bincount(np.repeat(np.arange(M.shape[0]), np.diff(M.indptr)),
                               weights=np.asarray(M.data, dtype=np.float64) ** 2, minlength=M.shape[0]))
