"""Sparse and numba helpers shared by the neighbourhood and linear models.

Kernels take raw CSR parts and write into preallocated outputs (STYLE 3.8); their
typed wrappers check dtypes and shapes. Each kernel has a dense NumPy twin in the
tests (``tests/models/test_knn.py``, ``test_ease.py``, ``test_rp3beta.py``).

- :func:`pruned_product` -- the fused sparse product ``A @ B`` with a per-entry
  rescaling, keeping the ``k`` largest entries of each row (item-item similarities
  of ItemKNN and RP3beta), never materialising the full product.
- :func:`gram_upper` -- the upper triangle of ``X^T X`` into a dense array (EASE).
- :func:`mirror_upper` -- copy the upper triangle of a square array onto its lower one.
- :func:`sparse_dot_dense` -- ``A @ B`` for two sparse matrices into a dense array
  (scores of a batch of users against a sparse item-item matrix).
- :func:`row_weights` -- TF-IDF / BM25 weighting of the rows of a sparse matrix.
- :func:`interleave_order` -- GenreTopN's ordering: per-genre popularity lists merged
  by quota, then popularity, then the seen items.
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp
from numba import njit, prange

from .._typing import INDEX_DTYPE, VALUE_DTYPE
from ..topk import _push

__all__ = ["pruned_product", "gram_upper", "mirror_upper", "sparse_dot_dense", "row_weights", "WEIGHTINGS",
           "l2_norms", "interleave_order"]

WEIGHTINGS = (None, "tfidf", "bm25")


def _n_chunks(n_rows: int) -> int:
    return max(1, min(n_rows, 8 * numba.get_num_threads()))


# ---------------------------------------------------------------------- pruned product
@njit(cache=True, nogil=True, parallel=True)
def _pruned_product_kernel(a_indptr, a_indices, a_data, b_indptr, b_indices, b_data,
                           row_scale, col_scale, shrink, exponent, k, skip, n_chunks,
                           out_idx, out_val):
    n_rows = len(a_indptr) - 1
    n_cols = len(col_scale)
    dense_cut = n_cols // 16
    for c in prange(n_chunks):
        acc = np.zeros(n_cols, dtype=np.float64)
        flag = np.zeros(n_cols, dtype=np.bool_)
        touched = np.empty(n_cols, dtype=np.int32)
        all_cols = np.arange(n_cols).astype(np.int32)
        # rows c, c + n_chunks, ...: striding balances popular and rare rows
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
            bi = out_idx[i]
            bv = out_val[i]
            filled = 0
            if m > dense_cut:
                order = all_cols
                n_scan = n_cols
            else:
                order = np.sort(touched[:m])
                n_scan = m
            # visit columns in increasing index: equal values keep the smaller column first
            for t in range(n_scan):
                j = order[t]
                if not flag[j]:
                    continue
                flag[j] = False
                s = acc[j]
                acc[j] = 0.0
                if j == skip[i]:
                    continue
                s = s / (row_scale[i] * col_scale[j] + shrink)
                if exponent != 1.0:
                    if s >= 0:
                        s = s ** exponent
                    else:
                        s = -((-s) ** exponent)
                if s == 0.0:
                    continue
                filled = _push(bv, bi, filled, k, s, j)
            for pos in range(filled, k):
                bi[pos] = -1
                bv[pos] = 0.0


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
    out_idx = np.empty((n, k), dtype=INDEX_DTYPE)
    out_val = np.empty((n, k), dtype=np.float64)
    _pruned_product_kernel(
        a.indptr.astype(np.int64), a.indices.astype(INDEX_DTYPE), a.data.astype(np.float64),
        b.indptr.astype(np.int64), b.indices.astype(INDEX_DTYPE), b.data.astype(np.float64),
        rs, cs, float(shrink), float(exponent), k, skip, _n_chunks(n), out_idx, out_val)
    valid = out_idx >= 0
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(valid.sum(axis=1), out=indptr[1:])
    out = sp.csr_matrix((out_val[valid].astype(VALUE_DTYPE), out_idx[valid], indptr), shape=(n, p))
    out.sort_indices()
    return out


# ---------------------------------------------------------------------- sparse x sparse -> dense
@njit(cache=True, nogil=True, parallel=True)
def _sparse_dot_dense_kernel(a_indptr, a_indices, a_data, b_indptr, b_indices, b_data, out):
    for r in prange(out.shape[0]):
        row = out[r]
        for p in range(a_indptr[r], a_indptr[r + 1]):
            i = a_indices[p]
            w = a_data[p]
            for q in range(b_indptr[i], b_indptr[i + 1]):
                row[b_indices[q]] += w * b_data[q]


@njit(cache=True, nogil=True, parallel=True)
def _sparse_dot_array_kernel(a_indptr, a_indices, a_data, b, out):
    for r in prange(out.shape[0]):
        row = out[r]
        for p in range(a_indptr[r], a_indptr[r + 1]):
            row += a_data[p] * b[a_indices[p]]


def sparse_dot_dense(a: sp.csr_matrix, b: sp.csr_matrix | np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``A @ B`` as a dense float32 array, for sparse ``A`` (n, m) and sparse or dense ``B`` (m, p).

    Each output row is accumulated in place, in parallel over rows: no sparse
    intermediate, which for dense-ish results (a batch of users' scores over all
    items) costs far more than the dense block itself. A dense ``B`` is read in its
    own dtype (float32 or float64); the sums are float32 for sparse ``B``.

    ``out``: a C-contiguous float32 ``(n, p)`` array to write the product into
    (overwritten and returned), e.g. a buffer reused from batch to batch; it is used
    when ``B`` is sparse or float32, and otherwise ignored (a new array is returned).
    """
    a = sp.csr_matrix(a)
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"shapes {a.shape} and {b.shape} do not multiply")
    shape = (a.shape[0], b.shape[1])
    if out is not None and (out.shape != shape or not out.flags.c_contiguous or out.dtype != VALUE_DTYPE
                            or (isinstance(b, np.ndarray) and b.dtype != VALUE_DTYPE)):
        out = None
    if out is not None:
        out.fill(0)
    if isinstance(b, np.ndarray):
        b = np.ascontiguousarray(b)
        out = np.zeros(shape, dtype=b.dtype) if out is None else out
        _sparse_dot_array_kernel(a.indptr.astype(np.int64), a.indices.astype(INDEX_DTYPE),
                                 a.data.astype(b.dtype), b, out)
        return out.astype(VALUE_DTYPE, copy=False)
    b = sp.csr_matrix(b)
    out = np.zeros(shape, dtype=VALUE_DTYPE) if out is None else out
    _sparse_dot_dense_kernel(a.indptr.astype(np.int64), a.indices.astype(INDEX_DTYPE),
                             a.data.astype(VALUE_DTYPE), b.indptr.astype(np.int64),
                             b.indices.astype(INDEX_DTYPE), b.data.astype(VALUE_DTYPE), out)
    return out


# ---------------------------------------------------------------------- Gram matrix
@njit(cache=True, nogil=True, parallel=True)
def _gram_upper_kernel(t_indptr, t_indices, t_data, x_indptr, x_indices, x_data, n_chunks, out):
    n = out.shape[0]
    for c in prange(n_chunks):
        for i in range(c, n, n_chunks):
            row = out[i]
            for p in range(t_indptr[i], t_indptr[i + 1]):
                u = t_indices[p]
                w = t_data[p]
                lo = x_indptr[u]
                hi = x_indptr[u + 1]
                # the user's items are sorted: start at item i (the upper triangle j >= i)
                q = lo + np.searchsorted(x_indices[lo:hi], i)
                for q2 in range(q, hi):
                    row[x_indices[q2]] += w * x_data[q2]


def gram_upper(X: sp.csr_matrix, dtype: np.dtype | type = np.float64) -> np.ndarray:
    """Upper triangle (``j >= i``) of ``X^T X`` as a dense C-ordered array; zeros below.

    Costs ``sum_u n_u^2 / 2`` multiply-adds for ``n_u`` items per user, in parallel
    over items; the lower triangle is left at zero.
    """
    X = sp.csr_matrix(X)
    if not X.has_sorted_indices:
        X = X.sorted_indices()
    T = sp.csr_matrix(X.T)
    T.sort_indices()
    n = X.shape[1]
    out = np.zeros((n, n), dtype=dtype)
    _gram_upper_kernel(T.indptr.astype(np.int64), T.indices.astype(INDEX_DTYPE), T.data.astype(out.dtype),
                       X.indptr.astype(np.int64), X.indices.astype(INDEX_DTYPE), X.data.astype(out.dtype),
                       _n_chunks(n), out)
    return out


@njit(cache=True, nogil=True, parallel=True)
def _mirror_upper_kernel(a, block):
    n = a.shape[0]
    n_blocks = (n + block - 1) // block
    for bi in prange(n_blocks):
        i0 = bi * block
        i1 = min(n, i0 + block)
        for bj in range(bi + 1):
            j0 = bj * block
            j1 = min(n, j0 + block)
            for i in range(i0, i1):
                for j in range(j0, min(j1, i)):
                    a[i, j] = a[j, i]


def mirror_upper(a: np.ndarray) -> None:
    """Copy the upper triangle of the square C-ordered ``a`` onto its lower one, in place."""
    if a.ndim != 2 or a.shape[0] != a.shape[1] or not a.flags.c_contiguous:
        raise ValueError("mirror_upper needs a square C-contiguous array")
    _mirror_upper_kernel(a, 64)


# ---------------------------------------------------------------------- weighting
def l2_norms(M: sp.csr_matrix) -> np.ndarray:
    """Euclidean norm of every row (float64)."""
    M = sp.csr_matrix(M)
    return np.sqrt(np.bincount(np.repeat(np.arange(M.shape[0]), np.diff(M.indptr)),
                               weights=np.asarray(M.data, dtype=np.float64) ** 2, minlength=M.shape[0]))


def weighting_stats(M: sp.csr_matrix, weighting: str | None) -> tuple[np.ndarray | None, float]:
    """Per-column inverse document frequency and the mean row sum of ``M``.

    Rows are the "documents" (the vectors compared), columns the "terms":
    ``idf_t = log(n_rows) - log(1 + df_t)`` with ``df_t`` the rows holding term ``t``
    (implicit's ``tfidf_weight``/``bm25_weight``).
    """
    if weighting is None:
        return None, 1.0
    M = sp.csr_matrix(M)
    df = np.bincount(M.indices, minlength=M.shape[1])
    idf = np.log(max(M.shape[0], 1)) - np.log1p(df)
    avg_len = float(np.asarray(M.sum(axis=1)).mean()) if M.shape[0] else 1.0
    return idf, avg_len


def row_weights(M: sp.csr_matrix, weighting: str | None, idf: np.ndarray | None, avg_len: float,
                k1: float = 1.2, b: float = 0.75) -> sp.csr_matrix:
    """Weight the entries of ``M`` (rows are documents, columns terms).

    - None: unchanged;
    - ``"tfidf"``: ``sqrt(m_dt) * idf_t``;
    - ``"bm25"``: ``m_dt (k1 + 1) / (k1 ((1 - b) + b len_d / avg_len) + m_dt) * idf_t`` with
      ``len_d`` the row sum.

    ``idf`` and ``avg_len`` come from :func:`weighting_stats` on the fitted data, so
    new rows (a from-history user) are weighted like the training rows.
    """
    M = sp.csr_matrix(M, dtype=np.float64, copy=True)
    if weighting is None:
        return M
    rows = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))
    if weighting == "tfidf":
        M.data = np.sqrt(M.data) * idf[M.indices]
    elif weighting == "bm25":
        length = np.asarray(M.sum(axis=1)).ravel()
        norm = (1.0 - b) + b * length / (avg_len if avg_len > 0 else 1.0)
        M.data = M.data * (k1 + 1.0) / (k1 * norm[rows] + M.data) * idf[M.indices]
    else:  # pragma: no cover - validated by the models
        raise ValueError(f"unknown weighting {weighting!r}")
    return M


# ---------------------------------------------------------------------- GenreTopN's merge
TIE_TOL = 1e-9
"""Relative difference under which two interleaving times count as a tie."""


@njit(cache=True, nogil=True, parallel=True)
def _interleave_kernel(seen_indptr, seen_indices, sel, share, g_indptr, g_pos, pop_order, tie_tol, n_chunks,
                       out):
    n_rows, n_items = out.shape
    n_slots = sel.shape[1]
    for c in prange(n_chunks):
        seen = np.zeros(n_items, dtype=np.bool_)
        done = np.zeros(n_items, dtype=np.bool_)
        ptr = np.zeros(n_slots, dtype=np.int64)
        end = np.zeros(n_slots, dtype=np.int64)
        cnt = np.zeros(n_slots, dtype=np.int64)
        for r in range(c, n_rows, n_chunks):
            for p in range(seen_indptr[r], seen_indptr[r + 1]):
                seen[seen_indices[p]] = True
            for s in range(n_slots):
                g = sel[r, s]
                if g >= 0 and share[r, s] > 0:
                    ptr[s] = g_indptr[g]
                    end[s] = g_indptr[g + 1]
                else:
                    ptr[s] = 0
                    end[s] = 0
                cnt[s] = 0
            pos = 0
            while True:
                best = -1
                best_t = np.inf
                best_pp = n_items
                for s in range(n_slots):
                    # skip seen items (they have no rank) and items already placed
                    # through another genre (they keep their rank in this one)
                    while ptr[s] < end[s]:
                        item = pop_order[g_pos[ptr[s]]]
                        if seen[item]:
                            ptr[s] += 1
                        elif done[item]:
                            ptr[s] += 1
                            cnt[s] += 1
                        else:
                            break
                    if ptr[s] < end[s]:
                        t = (cnt[s] + 1) / share[r, s]
                        pp = g_pos[ptr[s]]
                        # times within a relative TIE_TOL are equal: ties that are exact
                        # in real arithmetic (2 / (1/4) vs 3 / (3/8)) survive rounding
                        if best < 0 or t < best_t * (1.0 - tie_tol) or (
                                t <= best_t * (1.0 + tie_tol) and pp < best_pp):
                            best, best_t, best_pp = s, t, pp
                if best < 0:
                    break
                item = pop_order[best_pp]
                out[r, item] = n_items - pos
                pos += 1
                done[item] = True
                ptr[best] += 1
                cnt[best] += 1
            for p in range(n_items):  # the rest by popularity, the seen items last
                item = pop_order[p]
                if not done[item] and not seen[item]:
                    out[r, item] = n_items - pos
                    pos += 1
            for p in range(n_items):
                item = pop_order[p]
                if seen[item]:
                    out[r, item] = n_items - pos
                    pos += 1
                    seen[item] = False
                done[item] = False


def interleave_order(seen: sp.csr_matrix, sel: np.ndarray, share: np.ndarray, item_labels: sp.csr_matrix,
                     pop_order: np.ndarray) -> np.ndarray:
    """Scores ``n_items - position`` of GenreTopN's ordering, one row per user.

    Row ``r`` merges the popularity-ordered lists of its labels ``sel[r]`` (``-1``:
    none) by time ``rank / share[r, s]`` (rank among the user's unseen items of that
    label; times equal within a relative ``TIE_TOL`` go to the more popular item), then
    the remaining items by popularity, then the user's ``seen`` items by popularity.
    Exact integers as float32.
    """
    n_rows, n_items = seen.shape
    seen = sp.csr_matrix(seen)
    labels_t = sp.csr_matrix(sp.csr_matrix(item_labels)[pop_order].T)  # label -> positions in pop order
    labels_t.sort_indices()
    out = np.empty((n_rows, n_items), dtype=VALUE_DTYPE)
    _interleave_kernel(seen.indptr.astype(np.int64), seen.indices.astype(INDEX_DTYPE),
                       np.ascontiguousarray(sel, dtype=np.int64), np.ascontiguousarray(share, dtype=np.float64),
                       labels_t.indptr.astype(np.int64), labels_t.indices.astype(np.int64),
                       np.ascontiguousarray(pop_order, dtype=np.int64), TIE_TOL, _n_chunks(n_rows), out)
    return out
