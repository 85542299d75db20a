"""EASE: the closed-form shallow autoencoder of Steck (2019)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from .._progress import phase
from .._validation import check_float, check_option, format_bytes, parse_memory
from ..data.dataset import Dataset
from ..errors import RecliteError
from ._fitted import FittedDecl, array
from ._sparse import gram_upper, mirror_upper, sparse_dot_dense
from .base import Recommender

__all__ = ["EASE"]


def _potrf_threads(n: int) -> Any:
    """BLAS held to one thread for the Cholesky factorisation of a large matrix when it
    would run two (a context manager; nothing changes otherwise).

    OpenBLAS's threaded ``potrf`` crashes (segmentation fault) with exactly two threads on
    large matrices: measured with scipy's OpenBLAS 0.3.30 and numpy's 0.3.31 on float64
    matrices of 16,000 and 20,000 items (14,500 passed; 1, 3 and 4 threads passed at
    16,000), as reported upstream (OpenBLAS issue 2562). ``potri`` with two threads
    passed at 16,384. Below 8,192 items the factorisation is quick either way.
    """
    from contextlib import nullcontext

    from threadpoolctl import ThreadpoolController

    if n < 8192:
        return nullcontext()
    blas = ThreadpoolController().select(user_api="blas")  # scipy's LAPACK is loaded by now
    if not any(info.get("num_threads") == 2 for info in blas.info()):
        return nullcontext()
    return blas.limit(limits=1)


class EASE(Recommender):
    r"""Embarrassingly Shallow Autoencoder (Steck, WWW 2019), closed form.

    Learns an item-item weight matrix :math:`B` with a zero diagonal that
    reconstructs each user's row from the user's other items:

    .. math::
        \hat B = \arg\min_B \|C - C B\|_F^2 + \lambda \|B\|_F^2
        \quad \text{s.t.} \ \operatorname{diag}(B) = 0,

    whose solution is :math:`P = (C^\top C + \lambda I)^{-1}`,
    :math:`B_{ij} = -P_{ij} / P_{jj}` for :math:`i \ne j`, :math:`B_{ii} = 0`.
    The score of item :math:`j` for user :math:`u` is :math:`(c_u B)_j`.

    The Gram matrix is built from the sparse data (upper triangle only, in parallel
    over items), then inverted through its Cholesky factor with LAPACK ``potrf`` +
    ``potri`` in place: half the floating-point work of a general inverse
    (``numpy.linalg.inv``) and one items x items array in memory.

    Parameters
    ----------
    l2 : float, default=300.0
        The L2 penalty :math:`\lambda` (> 0). Larger values shrink the weights
        towards zero and favour popular items less. The best value grows with the
        data (the Gram matrix counts co-occurrences): on validation splits it was
        100 on Last.fm (1,892 users), 300-500 on MovieLens 100K / latest-small and
        1,000 on a 7,840-user synthetic movie catalogue; 300 is within 3% of the
        best on all four (``benchmarks/accuracy_defaults.py``). Retune on your data.
    dtype : {"float32", "float64"}, default="float32"
        Precision of the Gram matrix, its inverse and the stored weights. ``"float32"``
        halves the memory of fit, of the model file and of recommending, and the fit
        time; its scores agree with ``"float64"``'s to well within 1e-4 relative.
        Measured with ``l2=500`` as each user's largest ``|s32 - s64|`` over their
        largest ``|s64|`` (2,000 users): at most 3.8e-6 on MovieLens 100K (1,682
        items), 7.9e-6 on ``synthetic_dataset(60_000, 10_000, 3_000_000)`` and 5.8e-6
        on ``synthetic_dataset(100_000, 20_000, 6_000_000)``; the top-10 lists were
        identical for every sampled user (99.99% of all 100,000 users at 20,000
        items). On that 20,000-item set a float32 model file is 1.5 GB instead of
        3.0 GB, and loading it and recommending for every user peaks at 1.8 GB
        above the process's start instead of 4.8 GB.
    max_memory : int or str, default="4GB"
        Largest items x items array fit may allocate; with more items than that
        allows, fit raises :class:`~reclite.errors.RecliteError` giving the memory
        it would need (raise the budget, use ``dtype="float32"``, or prune items).
        Fit needs the items x items array once (plus the sparse data); recommending
        needs the weights plus cache-sized score blocks (16 MB per ranking thread).
    confidence : str, default="binary"
        Confidence expression giving :math:`C`.
    alpha : float, default=1.0
        Confidence scale: weights are ``(1 + alpha * f) / (1 + alpha)`` (binary: 1).
    confidence_params : dict, optional
        Parameters of confidence components, e.g. ``{"era": {"tau": 15}}``.

    Notes
    -----
    Fitting reports its three steps (Gram matrix, Cholesky factor, inverse) to the
    progress reporter of :mod:`reclite._progress` when one is installed (the command
    line does); a library call is silent.

    Confidence weights enter as the values of :math:`C` on both sides: an item the
    user is more confident about weighs more in the Gram matrix :math:`C^\top C`
    (its co-occurrences count more) and contributes more to the user's scores
    :math:`c_u B`. Each stored value is :math:`(1 + \alpha f_{ui}) / (1 + \alpha)`, so
    binary confidence stores 1 at any ``alpha`` and ``EASE(l2=lam)`` on binary data is
    Steck's EASE with :math:`\lambda` = ``lam`` (the value papers and RecBole quote); a
    non-binary expression only changes the relative weights, in :math:`(1/(1+\alpha), 1]`.

    Attributes
    ----------
    weights_ : ndarray of shape (n_items, n_items), float32 or float64
        :math:`B`, zero diagonal; row ``i`` holds item ``i``'s weight in every item's
        score (``similar_items`` ranks this row).

    Examples
    --------
    >>> import reclite
    >>> model = reclite.EASE(l2=200.0).fit(reclite.demo_dataset())
    >>> recs = model.recommend(k=5)
    """

    confidence_scaling = "unit"  # binary confidence stores 1 at any alpha (see Recommender)
    _fitted_attributes: ClassVar[FittedDecl] = {
        "weights_": (array("float64", "n_items_", "n_items_", when={"dtype": "float64"}),
                     array("float32", "n_items_", "n_items_", when={"dtype": "float32"})),
    }

    supports_similar_items = True

    def __init__(self, *, l2: float = 300.0, dtype: Literal["float64", "float32"] = "float32",
                 max_memory: int | str = "4GB", confidence: str = "binary", alpha: float = 1.0,
                 confidence_params: dict | None = None) -> None:
        self.l2 = l2
        self.dtype = dtype
        self.max_memory = max_memory
        self.confidence = confidence
        self.alpha = alpha
        self.confidence_params = confidence_params

    def _check_params(self) -> None:
        check_float(self.l2, "l2", min_val=0.0, include_boundaries="neither", owner=self)
        check_option(self.dtype, "dtype", ("float64", "float32"), owner=self)
        parse_memory(self.max_memory, owner=self)

    def _fit(self, C: sp.csr_matrix, data: Dataset) -> None:
        dtype = np.dtype(self.dtype)
        n = C.shape[1]
        need = n * n * dtype.itemsize
        budget = parse_memory(self.max_memory, owner=self)
        if need > budget:
            raise RecliteError(
                f"EASE on {n:,} items needs {format_bytes(need)} for its {n:,} x {n:,} {self.dtype} "
                f"weight matrix, over max_memory={self.max_memory!r}; raise max_memory"
                + (", use dtype='float32'" if dtype == np.float64 else "")
                + " or keep fewer items")
        # each step reports itself (reclite._progress): at 10,000 items each takes seconds
        size = f"{n:,} x {n:,}"
        with phase(f"EASE: Gram matrix {size}"):
            W = gram_upper(C, dtype)
        W[np.diag_indices(n)] += self.l2
        # Cholesky factor and inverse in place: the C-ordered upper triangle is the
        # Fortran-ordered lower one, so LAPACK works on W's memory without a copy
        potrf, potri = lapack.get_lapack_funcs(("potrf", "potri"), (W,))
        with phase(f"EASE: Cholesky factor {size}"), _potrf_threads(n):
            _, info = potrf(W.T, lower=1, overwrite_a=1, clean=0)
        if info != 0:
            raise RecliteError(f"EASE: the Gram matrix is not positive definite (LAPACK potrf info={info}); "
                               "increase l2")
        with phase(f"EASE: inverse {size}"):
            _, info = potri(W.T, lower=1, overwrite_c=1)
            if info != 0:  # pragma: no cover - potrf succeeded, so the factor is invertible
                raise RecliteError(f"EASE: inverting the Cholesky factor failed (LAPACK potri info={info})")
            mirror_upper(W)
            diag = W.diagonal().copy()
            W *= (-1.0 / diag)[None, :]
            W[np.diag_indices(n)] = 0.0
        self.weights_ = W

    _score_into = True  # float32 weights write into the ranking's reused block

    def _score(self, user_idx: np.ndarray, rows: sp.csr_matrix, out: np.ndarray | None = None) -> np.ndarray:
        return sparse_dot_dense(rows, self.weights_, out=out)

    def _similar(self, item_idx: np.ndarray) -> np.ndarray:
        return self.weights_[item_idx]
