"""ALS, BPR and LMF through `implicit`, on CPU or GPU: the only module that imports implicit.

Each class is a thin estimator over one of implicit's models. reclite builds the
confidence matrix ``C`` (users x items ``scipy.sparse.csr_matrix``, float32, every
stored entry ``c_ui = 1 + alpha * f_ui`` from the ``confidence`` expression) and hands
exactly that matrix to implicit. implicit's own ``alpha`` is always left at 1.0, so the
weight is applied once, here. What each implicit model then does with the values
(checked in implicit 0.7.3's source):

- **ALS** reads each value as the confidence ``c_ui`` of Hu, Koren & Volinsky
  (2008): its conjugate-gradient and Cholesky solvers add ``(c_ui - 1) y_i y_i^T`` to
  ``Y^T Y + reg I`` and ``c_ui y_i`` to the right-hand side (``implicit/cpu/_als.pyx``,
  ``_least_squares_cg``/``_least_squares``; ``implicit/cpu/als.py`` lines 133-134
  multiply by ``alpha`` only when ``alpha != 1.0``).
- **BPR** ignores the values: an entry only says "user liked item" (the docstring of
  ``implicit.cpu.bpr.BayesianPersonalizedRanking.fit``; confirmed by a fit on binary
  and on weighted data giving bit-identical factors). ``confidence`` therefore has no
  effect on BPR; a non-binary spec warns.
- **LMF** multiplies each positive's gradient term by the value
  (``deriv += c_ui * y_i`` and ``- c_ui * sigmoid(x_u . y_i) * y_i`` in
  ``implicit/cpu/lmf.pyx``, ``lmf_update``); sampled negatives have weight 1.

Devices: ``device="cpu"`` uses ``implicit.cpu``; ``"gpu"`` uses ``implicit.gpu`` (ALS,
BPR) and raises :class:`~reclite.errors.DeviceError` when ``implicit.gpu.HAS_CUDA`` is
false, never falling back silently; ``"auto"`` uses the GPU when implicit can, logs
which device it chose at INFO, and records it in ``device_``. LMF has no GPU version
in implicit. Factors are always stored as plain float32 NumPy arrays.
"""

from __future__ import annotations

import functools
import logging
import sys
import warnings
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from .._typing import INDEX_DTYPE, VALUE_DTYPE, IntArray, RNGInput
from .._validation import check_bool, check_float, check_int, check_option, check_seed, int_seed
from ..data.dataset import Dataset
from ..errors import DeviceError, ParameterError
from ._curves import CurveRecorder, StopTraining, check_curve_args, check_eval_set, shallow_copy
from ._fitted import FittedDecl, array, json_value
from ._foldin import als_solve_users, mean_fold_in
from .base import Recommender

__all__ = ["ALS", "BPR", "LMF", "gpu_available", "gpu_unavailable_reason", "implicit_seed"]

log = logging.getLogger(__name__)

_DEVICES = ("auto", "cpu", "gpu")


# ---------------------------------------------------------------------- devices
def gpu_available() -> bool:
    """Whether implicit can train on a CUDA device here (``implicit.gpu.HAS_CUDA``)."""
    import implicit.gpu

    return bool(implicit.gpu.HAS_CUDA)


def gpu_unavailable_reason() -> str:
    """Why implicit cannot use a GPU here, in a few words (empty when it can).

    implicit sets ``HAS_RMM`` when ``import rmm`` works and ``HAS_CUDA`` only when its
    CUDA extension loads *and* a device answers (``implicit/gpu/__init__.py``).
    """
    import implicit.gpu

    if implicit.gpu.HAS_CUDA:
        return ""
    if not getattr(implicit.gpu, "HAS_RMM", False):
        return "the 'rmm' package is not installed (implicit needs it for its GPU models)"
    return "no CUDA device was found, or this implicit build has no CUDA extension"


def _resolve_device(device: str, model: str, has_gpu_impl: bool = True) -> str:
    check_option(device, "device", _DEVICES, owner=model)
    if device == "cpu":
        return "cpu"
    if device == "gpu":
        if not has_gpu_impl:
            raise DeviceError(f"{model} has no GPU implementation in implicit; use device='cpu' (or 'auto')")
        if not gpu_available():
            raise DeviceError(
                f"{model}: device='gpu' was requested but implicit cannot use a GPU here: "
                f"{gpu_unavailable_reason()}. Fix: on a machine with an NVIDIA GPU run "
                "pip install \"reclite[gpu]\" (rmm and a CUDA build of implicit), or use device='cpu'.")
        return "gpu"
    use_gpu = has_gpu_impl and gpu_available()
    chosen = "gpu" if use_gpu else "cpu"
    if use_gpu:
        why = "implicit found a CUDA device"
    elif not has_gpu_impl:
        why = f"implicit has no GPU {model}"
    else:
        why = gpu_unavailable_reason()
    log.info("%s: device='auto' -> fitting on %s (%s)", model, chosen.upper(), why)
    return chosen


implicit_seed = int_seed
"""The int seed handed to implicit: :func:`reclite._validation.int_seed` (an int passes
through unchanged, so ``ALS(random_state=s)`` reproduces implicit's
``AlternatingLeastSquares(random_state=s)``)."""


@functools.lru_cache(maxsize=1)
def _blas_controller() -> Any:
    """One threadpoolctl controller per process (finding the libraries costs ~5 ms).

    Built after implicit's CPU modules are imported, so the BLAS that implicit calls
    (through scipy) is among the libraries it controls. ``controller.limit(limits=1,
    user_api="blas")`` is what ``threadpool_limits(1, "blas")`` does, minus the scan.
    """
    import implicit.cpu.als  # noqa: F401  (loads scipy's BLAS before the scan)
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _to_numpy(factors: Any) -> np.ndarray:
    """Factors as a C-contiguous float32 ndarray (GPU ``implicit.gpu.Matrix`` included)."""
    if hasattr(factors, "to_numpy"):
        factors = factors.to_numpy()
    return np.ascontiguousarray(np.asarray(factors), dtype=VALUE_DTYPE)


# ---------------------------------------------------------------------- base
class _ImplicitModel(Recommender):
    """Shared fit/score/similar logic of the three implicit wrappers."""

    _fitted_attributes: ClassVar[FittedDecl] = {
        "device_": json_value("str", choices=("cpu", "gpu")),
        "random_seed_": json_value("int", minimum=0),  # the seed random_state resolved to at fit
        # the validation curve of fit(eval_set=...): one dict per evaluation ([] without eval_set)
        "eval_history_": json_value("list"),
        "best_iteration_": json_value(("int", "null"), minimum=1),
    }

    supports_similar_items = True
    _name = "model"
    _has_gpu = True

    # subclass hooks --------------------------------------------------------
    def _check_params(self) -> None:
        check_int(self.factors, "factors", min_val=1, owner=self)
        check_int(self.iterations, "iterations", min_val=0, owner=self)
        check_float(self.regularization, "regularization", min_val=0.0, owner=self)
        check_int(self.num_threads, "num_threads", min_val=0, owner=self)
        check_float(self.alpha, "alpha", min_val=0.0, owner=self)
        check_seed(self.random_state, owner=self)
        check_option(self.device, "device", _DEVICES, owner=self)
        if self.device == "gpu" and not self._has_gpu:
            raise DeviceError(f"{self._name} has no GPU implementation in implicit; use device='cpu' (or 'auto')")
        check_bool(self.show_progress, "show_progress", owner=self)

    def _make(self, device: str, seed: int) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fold_in(self, rows: sp.csr_matrix) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    # fit -------------------------------------------------------------------
    def fit(self, data: Dataset | sp.spmatrix, eval_set: tuple[Dataset, Dataset] | None = None,
            eval_every: int = 1, eval_metric: str | list[str] = "ndcg@10",
            early_stopping_rounds: int | None = None) -> _ImplicitModel:
        """Fit on a Dataset (or a users x items sparse matrix), optionally recording a
        validation curve; returns ``self``.

        Parameters
        ----------
        data : Dataset or sparse matrix
        eval_set : (Dataset, Dataset), optional
            ``(train, valid)``, parts of one split of ``data``'s Dataset (usually
            ``train`` is ``data``). Every ``eval_every`` iterations the current factors
            are ranked on ``valid`` with :func:`reclite.evaluate` (``train``'s items
            excluded) and one row is added to :attr:`history_`.
        eval_every : int, default=1
            Iterations between evaluations (rows at iterations ``eval_every``,
            ``2 * eval_every``, ...).
        eval_metric : str or list of str, default="ndcg@10"
            ``"name@k"`` labels; every metric named is recorded at every cut-off
            named; the first is the objective of early stopping.
        early_stopping_rounds : int, optional
            Stop after this many evaluations in a row without a better objective, and
            keep the factors of the best evaluated iteration (``best_iteration_``).
            Without it the factors are those of the last iteration.
        """
        if eval_set is None:
            if early_stopping_rounds is not None:
                raise ParameterError(f"{type(self).__name__}: early_stopping_rounds needs eval_set=(train, valid)")
            self._curve_args = None
        else:
            check_curve_args(self, eval_every, early_stopping_rounds, eval_metric)
            self._curve_args = (check_eval_set(eval_set, data, self), int(eval_every), eval_metric,
                                None if early_stopping_rounds is None else int(early_stopping_rounds))
        try:
            super().fit(data)
            return self
        finally:
            del self._curve_args

    @property
    def history_(self) -> pd.DataFrame:
        """The validation curve of the last fit: one row per evaluation, columns
        ``iteration`` (iterations done), ``seconds`` (training seconds so far, evaluation
        excluded), one per metric label (``ndcg@10``) and ``eval_seconds``. Empty when
        the fit had no ``eval_set``. Kept in the model file (as ``eval_history_``)."""
        check_is_fitted(self)
        return pd.DataFrame(self.eval_history_, columns=None if self.eval_history_ else ["iteration", "seconds"])

    def _fit(self, C: sp.csr_matrix, data: Dataset) -> None:
        device = _resolve_device(self.device, self._name, self._has_gpu)
        # the int seed this fit used: saved with the model (a Generator or None is
        # resolved to it once, here), so the fit can be repeated exactly
        self.random_seed_ = seed = implicit_seed(self.random_state, owner=self)
        if not isinstance(C, sp.csr_matrix) or C.dtype != np.float32:  # base.fit guarantees both
            C = sp.csr_matrix(C, dtype=np.float32)
        # implicit's ALS checks the BLAS thread pool when it is *constructed*
        # (implicit/cpu/als.py line 96, check_blas_config) and all three models do
        # their many small dense products per user: BLAS threads stay at 1 throughout.
        curve = getattr(self, "_curve_args", None)
        with _blas_controller().limit(limits=1, user_api="blas"):
            model = self._make(device, seed)  # a fresh model: never a warm start
            recorder = None
            if curve is not None:
                recorder = CurveRecorder(
                    shadow=lambda: shallow_copy(self, seen_=C, device_=device,
                                                user_factors_=_to_numpy(model.user_factors),
                                                item_factors_=_to_numpy(model.item_factors)),
                    factors=lambda: (_to_numpy(model.user_factors), _to_numpy(model.item_factors)),
                    eval_set=curve[0], eval_every=curve[1], eval_metric=curve[2], early_stopping_rounds=curve[3])
            try:
                model.fit(C, show_progress=bool(self.show_progress), callback=recorder)
            except StopTraining:
                log.info("%s: early stopping after %d evaluations without improvement; best iteration %s",
                         self._name, curve[3] if curve else 0, recorder.best_iteration if recorder else None)
        self.user_factors_ = _to_numpy(model.user_factors)
        self.item_factors_ = _to_numpy(model.item_factors)
        self.eval_history_ = [] if recorder is None else recorder.rows
        self.best_iteration_ = None if recorder is None else recorder.best_iteration
        if recorder is not None and recorder.best_factors is not None:  # early stopping: the best
            self.user_factors_, self.item_factors_ = recorder.best_factors
        self.device_ = device

    # scoring ---------------------------------------------------------------
    def _user_vectors(self, user_idx: IntArray, rows: sp.csr_matrix) -> np.ndarray:
        user_idx = np.asarray(user_idx)
        known = user_idx >= 0
        if known.all():
            return self.user_factors_[user_idx]
        out = np.empty((len(user_idx), self.user_factors_.shape[1]), dtype=VALUE_DTYPE)
        out[known] = self.user_factors_[user_idx[known]]
        out[~known] = self._fold_in(sp.csr_matrix(rows)[np.flatnonzero(~known)])
        return out

    # known users' scores are one BLAS product, written into the ranking's reused buffer;
    # several ranking threads may each compute one (see Recommender._score_threadsafe)
    _score_into = True

    @property
    def _score_threadsafe(self) -> bool:  # type: ignore[override]
        """True, except for a model small enough that ranking every user is one short job
        (at most ``reclite.topk.NUMPY_BUDGET`` scores): the threaded ranking sizes its
        workers by numba's thread count, and importing numba for that would cost such a
        job (``reclite recommend`` on the demo data) a third of a second. Results do not
        depend on it."""
        from ..topk import NUMPY_BUDGET

        return "numba" in sys.modules or getattr(self, "n_users_", 0) * getattr(self, "n_items_", 0) > NUMPY_BUDGET

    def _score(self, user_idx: IntArray, rows: sp.csr_matrix, out: np.ndarray | None = None) -> np.ndarray:
        return np.matmul(self._user_vectors(user_idx, rows), self.item_factors_.T, out=out)

    def _similar(self, item_idx: IntArray) -> np.ndarray:
        """Cosine of item factors (as implicit's ``similar_items``; zero vectors score 0)."""
        Y = self.item_factors_
        norms = np.linalg.norm(Y, axis=1)
        norms[norms == 0] = 1.0
        q = Y[np.asarray(item_idx, dtype=INDEX_DTYPE)]
        return (q @ Y.T) / norms[np.asarray(item_idx)][:, None] / norms[None, :]

# ---------------------------------------------------------------------- ALS
class ALS(_ImplicitModel):
    """Implicit-feedback alternating least squares (Hu, Koren & Volinsky 2008), via implicit.

    Minimises ``sum_ui c_ui (p_ui - x_u . y_i)^2 + reg (|X|^2 + |Y|^2)`` where
    ``p_ui = 1`` for stored entries and ``c_ui`` is reclite's confidence
    ``1 + alpha * f_ui`` (1 for everything unstored), solved with implicit's
    conjugate-gradient ALS (``implicit.cpu.als.AlternatingLeastSquares``, or the CUDA
    version).

    **Confidence mapping.** implicit receives reclite's matrix ``C`` unchanged and
    reads each stored value as ``c_ui`` itself; its ``alpha`` is fixed at 1.0 (it would
    otherwise multiply ``C`` again). So ``ALS(alpha=a, confidence="binary")`` equals
    implicit's ``AlternatingLeastSquares(alpha=1.0)`` fitted on a 0/1 matrix whose ones
    are replaced by ``1 + a`` -- the same fit as implicit's ``alpha=1 + a`` on the 0/1
    matrix.

    Parameters
    ----------
    factors : int, default=64
        Latent dimensions.
    regularization : float, default=50.0
        L2 weight ``reg`` on user and item factors (implicit's default, 0.01, is far
        too weak for top-K accuracy; see Notes). Chosen together with ``alpha``.
    iterations : int, default=15
        ALS sweeps (each solves users, then items).
    alpha : float, default=7.0
        Confidence scale: stored weights are ``1 + alpha * f`` (binary: ``1 + alpha``).
    confidence : str, default="binary"
        Confidence expression (``reclite.confidence``), e.g. ``"genre+pop"``.
    confidence_params : dict, optional
        Parameters of confidence components.
    random_state : int, numpy Generator, SeedSequence or None, default=None
        Seed of the initial factors. An int (>= 0) is passed to implicit unchanged;
        a Generator, SeedSequence or None is turned into an int once, at fit,
        through ``default_rng(random_state).integers`` (drawing from a Generator
        advances it). The int used is kept as ``random_seed_``. **Saving**: the
        model file records ``random_state`` as given when it is an int or None, and
        as the int ``random_seed_`` when it was a Generator or SeedSequence (neither
        is JSON), so a loaded model's ``random_state`` is that int and refitting it on
        the same data repeats the saved fit.
    num_threads : int, default=0
        implicit's threads; 0 uses every core. ALS results do not depend on it.
    device : {"auto", "cpu", "gpu"}, default="auto"
        Where to fit; see the module notes. ``"gpu"`` without CUDA raises DeviceError.
    show_progress : bool, default=False
        Show implicit's progress bar during fit.

    Attributes
    ----------
    user_factors_ : ndarray of shape (n_users_, factors), float32
    item_factors_ : ndarray of shape (n_items_, factors), float32
    device_ : {"cpu", "gpu"}
        Where the model was fitted.
    random_seed_ : int
        The int seed handed to implicit (see ``random_state``).

    Notes
    -----
    Scores are ``user_factors_[u] @ item_factors_.T``. A user given only by a history
    (``recommend_from_history``) gets implicit's ``recalculate_user`` solution, written
    here in NumPy: ``x = (Y^T Y + Y^T (C_u - I) Y + reg I)^{-1} Y^T C_u p_u`` with the
    history's confidence row ``C_u``. ``similar_items`` is the cosine of item factors.
    **Defaults.** 64 factors, ``regularization=50``, ``alpha=7``, 15 iterations: the
    point of ``benchmarks/accuracy_defaults.py``'s grid (factors 64/128 x reg 0.1-200
    x alpha 1-40) with the best worst case over validation splits of MovieLens 100K,
    MovieLens latest-small, Last.fm and a synthetic movie catalogue: at least 97% of
    each dataset's best ndcg@10. ``regularization`` and ``alpha`` work together: the
    good points lie near ``regularization`` = 5 to 7 x (1 + alpha) (alpha 5 / reg 40
    to alpha 40 / reg 200). The earlier default (reg 20, alpha 1), tuned on MovieLens
    100K alone, pulled sparse users' few positives so far towards zero that their
    lists collapsed towards the most popular items: on Last.fm it reached 88% of the
    best validation ndcg@10 with 1.9% of the catalogue in anyone's test top 10 (the
    new default: 3.6%). On MovieLens 100K both give the same ndcg@10. Retune on
    your own data.

    Examples
    --------
    >>> import reclite
    >>> model = reclite.ALS(factors=16, random_state=0, device="cpu").fit(reclite.demo_dataset())
    >>> model.recommend(k=3).columns.tolist()
    ['user', 'item', 'score', 'rank']
    """

    _fitted_attributes: ClassVar[FittedDecl] = {
        "user_factors_": array("float32", "n_users_", "factors"),
        "item_factors_": array("float32", "n_items_", "factors"),
    }

    _name = "ALS"

    def __init__(self, *, factors: int = 64, regularization: float = 50.0, iterations: int = 15,
                 alpha: float = 7.0, confidence: str = "binary", confidence_params: dict | None = None,
                 random_state: RNGInput = None, num_threads: int = 0,
                 device: Literal["auto", "cpu", "gpu"] = "auto", show_progress: bool = False) -> None:
        self.factors = factors
        self.regularization = regularization
        self.iterations = iterations
        self.alpha = alpha
        self.confidence = confidence
        self.confidence_params = confidence_params
        self.random_state = random_state
        self.num_threads = num_threads
        self.device = device
        self.show_progress = show_progress

    def _make(self, device: str, seed: int) -> Any:
        kw = dict(factors=int(self.factors), regularization=float(self.regularization), alpha=1.0,
                  dtype=np.float32, iterations=int(self.iterations), random_state=seed)
        if device == "gpu":
            import implicit.gpu.als

            return implicit.gpu.als.AlternatingLeastSquares(**kw)
        import implicit.cpu.als

        return implicit.cpu.als.AlternatingLeastSquares(num_threads=int(self.num_threads), **kw)

    def _fold_in(self, rows: sp.csr_matrix) -> np.ndarray:
        return als_solve_users(self.item_factors_, rows, float(self.regularization))


# ---------------------------------------------------------------------- BPR
class BPR(_ImplicitModel):
    """Bayesian personalised ranking (Rendle et al. 2009), via implicit.

    SGD on ``-ln sigmoid(x_u . (y_i - y_j))`` over sampled (user, liked item, other
    item) triples (``implicit.cpu.bpr.BayesianPersonalizedRanking`` or the CUDA
    version). implicit adds an item-bias column: ``item_factors_[:, -1]`` is the bias
    and ``user_factors_[:, -1]`` is 1.

    **Confidence mapping.** implicit's BPR uses the matrix only for *which* entries are
    stored: values are ignored (a fit on 0/1 data and on weighted data gives identical
    factors). ``confidence``/``alpha`` therefore only shape ``seen_`` (and a non-binary
    spec warns). Negatives are drawn from the stored entries, i.e. in proportion to
    item popularity.

    Parameters
    ----------
    factors : int, default=64
        Latent dimensions (implicit adds one bias column).
    learning_rate : float, default=0.005
    regularization : float, default=0.001
    iterations : int, default=100
        Epochs; each draws as many triples as there are stored entries. implicit's
        BPR samples negatives in proportion to popularity and keeps pushing popular
        items down: on MovieLens 100K accuracy peaks near ``iterations * learning_rate
        = 0.5`` and falls with more epochs (ndcg@10 on validation 0.215 at 50 epochs,
        0.166 at 100, 0.113 at 300, lr 0.01). At that product the smaller step (lr
        0.005, 100 epochs) was within 2% of the best on all four datasets of
        ``benchmarks/accuracy_defaults.py``; lr 0.01 with 50 epochs (the earlier
        default, half the fit time) was 6% behind on Last.fm.
    verify_negative_samples : bool, default=True
        Skip sampled "negatives" the user actually has.
    alpha, confidence, confidence_params
        As for :class:`ALS` (no effect on the fit, see above).
    random_state : int, numpy Generator or None, default=None
        As for :class:`ALS`. On CPU implicit seeds one generator per thread, so the
        same seed gives the same factors only with the same ``num_threads`` (and, with
        more than one thread, lock-free updates may still differ slightly).
    num_threads : int, default=0
        0 uses every core; use 1 for bit-reproducible fits.
    device : {"auto", "cpu", "gpu"}, default="auto"
    show_progress : bool, default=False

    Attributes
    ----------
    user_factors_ : ndarray of shape (n_users_, factors + 1), float32
    item_factors_ : ndarray of shape (n_items_, factors + 1), float32
    device_ : {"cpu", "gpu"}
    random_seed_ : int
        As for :class:`ALS`.

    Notes
    -----
    **Defaults** (64 factors, lr 0.005, reg 0.001, 100 epochs) are the grid point of
    ``benchmarks/accuracy_defaults.py`` (lr 0.005-0.05 x 50/100 epochs x reg
    0.001/0.01) with the best worst case over validation splits of MovieLens 100K,
    MovieLens latest-small, Last.fm and a synthetic movie catalogue: at least 98% of
    each dataset's best ndcg@10.

    **From a history** (``recommend_from_history``): the user's latent part points
    along the mean of the history items' latent factors, scaled to the median norm of
    the training users' latent factors (so the balance between taste and item bias is
    that of a typical user), and the bias column is 1. Items whose factors resemble the
    history's rank first.
    """

    _fitted_attributes: ClassVar[FittedDecl] = {  # implicit adds the item-bias column
        "user_factors_": array("float32", "n_users_", "factors+1"),
        "item_factors_": array("float32", "n_items_", "factors+1"),
    }

    _name = "BPR"

    def __init__(self, *, factors: int = 64, learning_rate: float = 0.005, regularization: float = 0.001,
                 iterations: int = 100, verify_negative_samples: bool = True, alpha: float = 1.0,
                 confidence: str = "binary", confidence_params: dict | None = None,
                 random_state: RNGInput = None, num_threads: int = 0,
                 device: Literal["auto", "cpu", "gpu"] = "auto", show_progress: bool = False) -> None:
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations
        self.verify_negative_samples = verify_negative_samples
        self.alpha = alpha
        self.confidence = confidence
        self.confidence_params = confidence_params
        self.random_state = random_state
        self.num_threads = num_threads
        self.device = device
        self.show_progress = show_progress

    def _check_params(self) -> None:
        super()._check_params()
        check_float(self.learning_rate, "learning_rate", min_val=0.0, include_boundaries="neither", owner=self)
        check_bool(self.verify_negative_samples, "verify_negative_samples", owner=self)
        if isinstance(self.confidence, str) and self.confidence != "binary":
            warnings.warn(f"BPR ignores confidence values (implicit's BPR only uses which entries exist); "
                          f"confidence={self.confidence!r} does not change the fit", UserWarning,
                          stacklevel=3)

    def _make(self, device: str, seed: int) -> Any:
        kw = dict(factors=int(self.factors), learning_rate=float(self.learning_rate),
                  regularization=float(self.regularization), iterations=int(self.iterations),
                  verify_negative_samples=bool(self.verify_negative_samples), random_state=seed)
        if device == "gpu":
            import implicit.gpu.bpr

            return implicit.gpu.bpr.BayesianPersonalizedRanking(**kw)
        import implicit.cpu.bpr

        return implicit.cpu.bpr.BayesianPersonalizedRanking(dtype=np.float32,
                                                            num_threads=int(self.num_threads), **kw)

    def _fold_in(self, rows: sp.csr_matrix) -> np.ndarray:
        latent = mean_fold_in(self.user_factors_[:, :-1], self.item_factors_[:, :-1], rows)
        return np.hstack([latent, np.ones((latent.shape[0], 1), dtype=VALUE_DTYPE)])


# ---------------------------------------------------------------------- LMF
class LMF(_ImplicitModel):
    """Logistic matrix factorisation (Johnson 2014), via implicit (CPU only).

    AdaGrad on the log-likelihood ``sum_ui c_ui x_u.y_i - (1 + c_ui) ln(1 + e^{x_u.y_i})``
    approximated with ``neg_prop`` sampled negatives per positive
    (``implicit.cpu.lmf.LogisticMatrixFactorization``). implicit adds a user bias and
    an item bias column: ``user_factors_[:, -2] = 1``, ``user_factors_[:, -1]`` = user
    bias, ``item_factors_[:, -2]`` = item bias, ``item_factors_[:, -1] = 1``.

    **Confidence mapping.** implicit multiplies each stored entry's positive-gradient
    term by its value, so ``c_ui = 1 + alpha * f_ui`` weights positive ``(u, i)``;
    sampled negatives have weight 1. With ``confidence="binary"`` every positive
    weighs ``1 + alpha``.

    Parameters
    ----------
    factors : int, default=64
    learning_rate : float, default=1.0
        AdaGrad step size.
    regularization : float, default=12.0
        implicit's default, 0.6, gives ndcg@10 0.158 on the MovieLens 100K validation
        split of ``benchmarks/accuracy_factor.py`` at 64 factors. 12 with ``alpha=5``
        is the point of ``benchmarks/accuracy_defaults.py``'s grid (reg 3-24 x
        learning rate 0.25-1 x alpha 1/5/20) with the best worst case over four
        datasets: at least 95% of each one's best validation ndcg@10. The earlier
        default (reg 6, alpha 1) reached 40% of the best on MovieLens latest-small.
    iterations : int, default=30
    neg_prop : int, default=30
        Negative samples per positive. implicit 0.7.3 caps the count per user at
        ``factors + 2`` (``n_items`` in ``lmf_update`` is read from the factor axis), so
        values above ``(factors + 2) / n_items_of_user`` change nothing: with 8 factors,
        ``neg_prop=30`` and ``neg_prop=100`` give identical factors.
    alpha : float, default=5.0
        Confidence scale: every positive weighs ``1 + alpha * f`` (binary: 6).
    confidence, confidence_params, random_state, num_threads, show_progress
        As for :class:`ALS`; results depend on ``num_threads`` (one generator per
        thread).
    device : {"auto", "cpu"}, default="auto"
        implicit has no GPU LMF: ``"gpu"`` raises DeviceError, ``"auto"`` means CPU.

    Attributes
    ----------
    user_factors_ : ndarray of shape (n_users_, factors + 2), float32
    item_factors_ : ndarray of shape (n_items_, factors + 2), float32
    device_ : "cpu"
    random_seed_ : int
        As for :class:`ALS`.

    Notes
    -----
    **From a history**: as for :class:`BPR` -- the latent part is the mean of the
    history items' latent factors scaled to the median training-user norm, the
    item-bias switch is 1 and the user bias 0.
    """

    _fitted_attributes: ClassVar[FittedDecl] = {  # implicit adds the two bias columns
        "user_factors_": array("float32", "n_users_", "factors+2"),
        "item_factors_": array("float32", "n_items_", "factors+2"),
        "device_": json_value("str", choices=("cpu",)),
    }

    _name = "LMF"
    _has_gpu = False

    def __init__(self, *, factors: int = 64, learning_rate: float = 1.0, regularization: float = 12.0,
                 iterations: int = 30, neg_prop: int = 30, alpha: float = 5.0, confidence: str = "binary",
                 confidence_params: dict | None = None, random_state: RNGInput = None,
                 num_threads: int = 0, device: Literal["auto", "cpu", "gpu"] = "auto",
                 show_progress: bool = False) -> None:
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations
        self.neg_prop = neg_prop
        self.alpha = alpha
        self.confidence = confidence
        self.confidence_params = confidence_params
        self.random_state = random_state
        self.num_threads = num_threads
        self.device = device
        self.show_progress = show_progress

    def _check_params(self) -> None:
        super()._check_params()
        check_float(self.learning_rate, "learning_rate", min_val=0.0, include_boundaries="neither", owner=self)
        check_int(self.neg_prop, "neg_prop", min_val=0, owner=self)

    def _make(self, device: str, seed: int) -> Any:
        import implicit.cpu.lmf

        return implicit.cpu.lmf.LogisticMatrixFactorization(
            factors=int(self.factors), learning_rate=float(self.learning_rate),
            regularization=float(self.regularization), dtype=np.float32, iterations=int(self.iterations),
            neg_prop=int(self.neg_prop), num_threads=int(self.num_threads), random_state=seed)

    def _fold_in(self, rows: sp.csr_matrix) -> np.ndarray:
        latent = mean_fold_in(self.user_factors_[:, :-2], self.item_factors_[:, :-2], rows)
        n = latent.shape[0]
        return np.hstack([latent, np.ones((n, 1), dtype=VALUE_DTYPE), np.zeros((n, 1), dtype=VALUE_DTYPE)])
