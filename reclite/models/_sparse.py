"""Sparse products into dense arrays, shared by the neighbourhood and linear models.

Kernels take raw CSR parts and write into preallocated outputs (STYLE 3.8); their
typed wrappers check dtypes and shapes. Each kernel has a dense NumPy twin in the
tests (``tests/models/test_knn.py``, ``test_ease.py``).

- :func:`sparse_dot_dense` -- ``A @ B`` for sparse ``A`` into a dense array (scores of a
  batch of users against a sparse item-item matrix, or EASE's dense weights).
- :func:`gram_upper` -- the upper triangle of ``X^T X`` into a dense array (EASE).
- :func:`mirror_upper` -- copy the upper triangle of a square array onto its lower one.
- :func:`n_chunks` -- how many strided chunks of rows a parallel kernel hands its threads.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._lazy_kernels import LazyKernels
from .._typing import INDEX_DTYPE, VALUE_DTYPE

__all__ = ["sparse_dot_dense", "gram_upper", "mirror_upper", "n_chunks"]

# numba starts when a kernel is first needed (reclite._lazy_kernels): scoring with EASE's
# dense weights is scipy's product, so `reclite recommend` with an EASE model never starts it
_LAZY = LazyKernels(globals())
_kernel = _LAZY.kernel
prange = range  # numba.prange once the kernels are compiled


def n_chunks(n_rows: int) -> int:
    """Chunks of rows (``c, c + n_chunks, ...``) for a ``prange`` kernel: 8 per thread, at most one per row."""
    import numba

    return max(1, min(n_rows, 8 * numba.get_num_threads()))


# ---------------------------------------------------------------------- sparse x sparse -> dense
@_kernel(cache=True, nogil=True, parallel=True)
def _sparse_dot_dense_kernel(a_indptr, a_indices, a_data, b_indptr, b_indices, b_data, b_const, out):
    for r in prange(out.shape[0]):
        row = out[r]
        for p in range(a_indptr[r], a_indptr[r + 1]):
            i = a_indices[p]
            w = a_data[p]
            if b_const:  # every b value the same, folded into a's: nothing to read
                for q in range(b_indptr[i], b_indptr[i + 1]):
                    row[b_indices[q]] += w
            else:
                for q in range(b_indptr[i], b_indptr[i + 1]):
                    row[b_indices[q]] += w * b_data[q]


def sparse_dot_dense(a: sp.csr_matrix, b: sp.csr_matrix | np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``A @ B`` as a dense float32 array, for sparse ``A`` (n, m) and sparse or dense ``B`` (m, p).

    Sparse ``B``: each output row is accumulated in place by a numba kernel, in parallel
    over rows, in float32: no sparse intermediate, which for dense-ish results (a batch
    of users' scores over all items) costs far more than the dense block itself
    (measured: every user of the competition shape, 31,360 x 6,807 items, 4.4M binary
    entries, against 100 neighbours per item in blocks of 616 users, 2 cores: 0.20x the
    time of scipy's ``(A @ B).toarray()``, 3.4 s against 17.3 s, medians of 5). Dense
    ``B``: scipy's ``A @ B``, summed in ``B``'s dtype (float32 or float64) -- a numba
    kernel accumulating rows of ``B`` in parallel measured no faster (EASE's scoring on
    the competition shape, 31,360 users x 6,807 items, 4.4M entries, blocks of 616 users,
    2 cores: 1.03x scipy's time, medians of 5).

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
    if isinstance(b, np.ndarray):
        prod = np.asarray(sp.csr_matrix(a, dtype=b.dtype) @ b)
        if out is None:
            return prod.astype(VALUE_DTYPE, copy=False)
        np.copyto(out, prod)
        return out
    b = sp.csr_matrix(b)
    if out is None:
        out = np.zeros(shape, dtype=VALUE_DTYPE)
    else:
        out.fill(0)
    a_data = a.data.astype(VALUE_DTYPE)
    b_data = b.data.astype(VALUE_DTYPE)
    b_const = bool(b_data.size) and bool(np.all(b_data == b_data[0]))
    if b_const:  # binary data: w * c once per entry of a, the same float32 product as per entry of b
        a_data = a_data * b_data[0]
    # unsigned column indices: the inner loop indexes without a negative-index check
    _LAZY.compile()
    _sparse_dot_dense_kernel(a.indptr.astype(np.int64), a.indices.astype(np.uint32), a_data,
                             b.indptr.astype(np.int64), b.indices.astype(np.uint32), b_data, b_const, out)
    return out


# ---------------------------------------------------------------------- Gram matrix
@_kernel(cache=True, nogil=True, parallel=True)
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
    over items; the lower triangle is left at zero. Measured with :func:`mirror_upper`
    (float32, the competition shape: 31,360 users x 6,807 items, 4.4M binary entries,
    2 cores): 0.32x the time of scipy's ``(X.T @ X).toarray()``, 4.9 s against 15.2 s,
    medians of 5.
    """
    X = sp.csr_matrix(X)
    if not X.has_sorted_indices:
        X = X.sorted_indices()
    T = sp.csr_matrix(X.T)
    T.sort_indices()
    n = X.shape[1]
    out = np.zeros((n, n), dtype=dtype)
    _LAZY.compile()
    _gram_upper_kernel(T.indptr.astype(np.int64), T.indices.astype(INDEX_DTYPE), T.data.astype(out.dtype),
                       X.indptr.astype(np.int64), X.indices.astype(INDEX_DTYPE), X.data.astype(out.dtype),
                       n_chunks(n), out)
    return out


@_kernel(cache=True, nogil=True, parallel=True)
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
    _LAZY.compile()
    _mirror_upper_kernel(a, 64)
