"""scikit-surprise's explicit-rating algorithms behind reclite's top-K interface.

Surprise predicts one rating at a time (``algo.predict(uid, iid)``); ranking every
item for every user that way is far too slow. :class:`SurpriseRecommender` trains the
surprise algorithm as usual, copies what it learned into plain arrays, and scores in
bulk with the same formulas as surprise's ``estimate`` (scores equal surprise's
unclipped ``algo.predict(uid, iid, clip=False).est``). Nothing of surprise is pickled
or kept: a saved model is arrays and JSON, and loading does not need surprise.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from .._typing import INDEX_DTYPE, IntArray, RNGInput
from .._validation import check_bool, check_float, check_int, check_option, check_seed, int_seed
from ..data.dataset import Dataset
from ..errors import DataError, ParameterError, ParameterTypeError, RecliteError
from ._fitted import FittedDecl, array, csr, json_value
from ._foldin import history_sums, mean_fold_in
from .base import Recommender

__all__ = ["SurpriseRecommender", "FACTOR_ALGORITHMS", "KNN_ALGORITHMS", "DEFAULT_PARAMS"]

#: scored exactly from biases and factors: mu + b_u + b_i + q_i . p_u
FACTOR_ALGORITHMS = ("SVD", "SVDpp", "NMF", "BaselineOnly")
#: scored exactly on a bounded candidate set from the similarity matrix
KNN_ALGORITHMS = ("KNNBasic", "KNNWithMeans", "KNNWithZScore", "KNNBaseline")

#: reclite's defaults per algorithm; ``params`` overrides them key by key
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "SVD": {},
    "SVDpp": {},
    "NMF": {},
    "BaselineOnly": {},
    "KNNBasic": {"sim_options": {"name": "msd", "user_based": False}},
    "KNNWithMeans": {"sim_options": {"name": "msd", "user_based": False}},
    "KNNWithZScore": {"sim_options": {"name": "msd", "user_based": False}},
    "KNNBaseline": {"sim_options": {"name": "cosine", "user_based": False}},
}

_SEEDED = ("SVD", "SVDpp", "NMF")

_OWNER = "SurpriseRecommender"
_SEED_LIMIT = 2**32  # surprise seeds numpy's RandomState, which takes seeds below 2**32

_Check = Callable[[Any, str], Any]


def _int(min_val: int) -> _Check:
    return lambda v, name: check_int(v, name, min_val=min_val, owner=_OWNER)


def _num(min_val: float | None = None, open_left: bool = False) -> _Check:
    return lambda v, name: check_float(v, name, min_val=min_val, owner=_OWNER,
                                       include_boundaries="neither" if open_left else "both")


def _num_or_none(v: Any, name: str) -> Any:
    return None if v is None else check_float(v, name, min_val=0.0, owner=_OWNER)


def _bool(v: Any, name: str) -> bool:
    return check_bool(v, name, owner=_OWNER)


def _seed(v: Any, name: str) -> int:
    return check_int(v, name, min_val=0, max_val=_SEED_LIMIT - 1, owner=_OWNER)


def _options(spec: dict[str, _Check], what: str) -> _Check:
    """A dict whose keys are in ``spec``, each value checked by ``spec[key]``."""

    def check(v: Any, name: str) -> dict:
        if not isinstance(v, dict):
            raise ParameterTypeError(f"{_OWNER}: {name} must be a dict of {what}, got {v!r} "
                                     f"({type(v).__name__})")
        for key, value in v.items():
            if key not in spec:
                raise ParameterError(f"{_OWNER}: {name} has no option {key!r}; its options are: "
                                     f"{', '.join(spec)}")
            spec[key](value, f"{name}[{key!r}]")
        return v

    return check


def _sim_name(v: Any, name: str) -> str:
    names = ("cosine", "msd", "pearson", "pearson_baseline")
    if not isinstance(v, str):
        raise ParameterTypeError(f"{_OWNER}: {name} must be one of {', '.join(map(repr, names))}, got {v!r}")
    check_option(v.lower(), name, names, owner=_OWNER)
    return v


_SIM_OPTIONS = _options({"name": _sim_name, "user_based": _bool, "min_support": _int(0),
                         "shrinkage": _num(0.0)}, "similarity options (name, user_based, min_support, shrinkage)")
_BSL_OPTIONS = _options({"method": lambda v, n: check_option(v, n, ("als", "sgd"), owner=_OWNER),
                         "n_epochs": _int(0), "reg_u": _num(0.0), "reg_i": _num(0.0), "reg": _num(0.0),
                         "learning_rate": _num(0.0, open_left=True)},
                        "baseline options (method, n_epochs, reg_u, reg_i, reg, learning_rate)")

_SGD = {f"{p}_{t}": _num_or_none for p in ("lr", "reg") for t in ("bu", "bi", "pu", "qi")}
_KNN = {"k": _int(1), "min_k": _int(1), "sim_options": _SIM_OPTIONS, "bsl_options": _BSL_OPTIONS,
        "verbose": _bool}
#: every keyword each surprise algorithm takes (surprise 1.1), with its check; surprise
#: ignores unknown keywords of KNN models and fails deep inside on bad values, so
#: ``params`` is checked against this table before anything is fitted
PARAM_CHECKS: dict[str, dict[str, _Check]] = {
    "SVD": {"n_factors": _int(1), "n_epochs": _int(0), "biased": _bool, "init_mean": _num(),
            "init_std_dev": _num(0.0), "lr_all": _num(0.0), "reg_all": _num(0.0), **_SGD,
            "random_state": _seed, "verbose": _bool},
    "SVDpp": {"n_factors": _int(1), "n_epochs": _int(0), "init_mean": _num(), "init_std_dev": _num(0.0),
              "lr_all": _num(0.0), "reg_all": _num(0.0), **_SGD, "lr_yj": _num_or_none,
              "reg_yj": _num_or_none, "random_state": _seed, "verbose": _bool, "cache_ratings": _bool},
    "NMF": {"n_factors": _int(1), "n_epochs": _int(0), "biased": _bool, "reg_pu": _num(0.0),
            "reg_qi": _num(0.0), "reg_bu": _num(0.0), "reg_bi": _num(0.0), "lr_bu": _num(0.0),
            "lr_bi": _num(0.0), "init_low": _num(0.0), "init_high": _num(0.0), "random_state": _seed,
            "verbose": _bool},
    "BaselineOnly": {"bsl_options": _BSL_OPTIONS, "verbose": _bool},
    **{name: _KNN for name in KNN_ALGORITHMS},
}


class SurpriseRecommender(Recommender):
    """A scikit-surprise rating model that ranks unseen items by predicted rating.

    Trains ``surprise.<algorithm>(**params)`` on the Dataset's values (the ratings)
    through ``surprise.Dataset.load_from_df`` and ``build_full_trainset``, then ranks
    each user's unseen items by the predicted rating. Useful for users coming from
    Surprise and as an honest explicit-rating baseline.

    Parameters
    ----------
    algorithm : str, default="SVD"
        One of ``FACTOR_ALGORITHMS`` (SVD, SVDpp, NMF, BaselineOnly) or
        ``KNN_ALGORITHMS`` (KNNBasic, KNNWithMeans, KNNWithZScore, KNNBaseline).
    params : dict, optional
        Keyword arguments of the surprise algorithm, e.g. ``{"n_factors": 50,
        "n_epochs": 30}`` or ``{"k": 40, "sim_options": {"name": "cosine"}}``. They
        override reclite's ``DEFAULT_PARAMS`` key by key: KNN models default to
        item-based similarities (``sim_options={"user_based": False, ...}``, with
        ``cosine`` for KNNBaseline -- best of pearson_baseline, msd and cosine for
        top-10 ranking on a MovieLens 100K validation split, and defined on unary
        data where pearson_baseline divides by zero -- and surprise's msd for the
        others), everything else to surprise's own defaults; ``verbose`` defaults to
        False.
    confidence : str, default="binary"
        Only shapes ``seen_`` (the items filtered out) and the history row of
        ``recommend_from_history``: surprise always trains on the raw values.
    alpha : float, default=1.0
    confidence_params : dict, optional
    random_state : int, numpy Generator, SeedSequence or None, default=None
        Seed for SVD, SVDpp and NMF (the other algorithms are deterministic),
        unless ``params`` holds a ``random_state`` (an int), which wins. An int
        (below 2**32, as surprise's RandomState needs) is passed unchanged; a
        Generator, SeedSequence or None becomes an int once, at fit, kept as
        ``random_seed_``. **Saving**: the model file records ``random_state`` as given
        when it is an int or None and as ``random_seed_`` when it was a Generator or
        SeedSequence, so a loaded model refits to the same result.
    max_candidates : int or None, default=2000
        KNN models only: the bounded candidate set. The ``max_candidates`` items with
        the most training users (ties: smaller index) get exact KNN predictions; every
        other item stays eligible with a low score below every candidate's, ordered
        by its baseline ``mu + b_i`` (the row's lowest candidate score, minus 1, minus
        the item's baseline gap to the best baseline). None scores every item exactly.

    Every key of ``params`` is checked at fit, before surprise is imported, against
    the keywords the algorithm takes (:data:`PARAM_CHECKS`): an unknown key or a
    value that cannot work (``{"n_factors": -1}``) raises
    :class:`~reclite.errors.ParameterError` naming it.

    Attributes
    ----------
    kind_ : {"factor", "knn"}
    random_seed_ : int
        The seed given to surprise (see ``random_state``).
    global_mean_ : float
        Mean training rating ``mu``.
    user_bias_, item_bias_ : ndarray of float64
        ``b_u``, ``b_i`` per reclite index (0 where surprise does not know the
        user/item). For KNN models the baseline estimates (what KNNBaseline uses).
    user_known_, item_known_ : ndarray of bool
        Whether surprise's trainset knows the user / item (has a training rating).
    user_factors_, item_factors_ : ndarray of float64 (factor models)
        ``p_u`` and ``q_i``; for SVDpp ``user_factors_`` already holds
        ``p_u + |I_u|^{-1/2} sum_{j in I_u} y_j``, and ``implicit_factors_`` the ``y_j``.
    biased_ : bool (factor models)
    sim_ : ndarray of float64 (KNN models)
        Item-based: similarities of the candidate items (rows, in ``cand_idx_`` order)
        to every item. User-based: the full user x user similarity matrix.
    cand_idx_ : ndarray of int32 (KNN models)
    residuals_ : csr_matrix (KNN models)
        Per training rating, the term that surprise averages over neighbours (see Notes).

    Notes
    -----
    **Factor models**: ``score(u, i) = [biased] mu + b_u + b_i + q_i . p_u``, where a
    user or item surprise does not know contributes zeros -- exactly surprise's
    ``estimate``. Unbiased models (NMF by default) predict ``mu`` for unknown
    users/items, as surprise's ``default_prediction`` does.

    **KNN models** follow surprise's ``estimate``: among the neighbours that rated the
    target, the ``k`` most similar (ties: surprise's order, i.e. ascending index) are
    taken, and of those the positively similar ones are averaged:
    ``score = base(u, i) + s_x * sum sim * e / sum sim`` with

    ========== ================== ============================ ===========
    algorithm  base(u, i)          e for a neighbour's rating   s_x
    ========== ================== ============================ ===========
    Basic      0                   r                            1
    WithMeans  mu_x                r - mu_nb                    1
    WithZScore mu_x                (r - mu_nb) / sigma_nb        sigma_x
    Baseline   mu + b_u + b_i      r - (mu + b_nb + b_y)         1
    ========== ================== ============================ ===========

    With fewer than ``min_k`` such neighbours the average is dropped (KNNBasic, for
    which that is "impossible", predicts ``mu``); unknown users/items get ``mu``
    (KNNBaseline: its baseline).

    **From a history** (``recommend_from_history``): SVDpp uses its implicit part
    ``|H|^{-1/2} sum_{j in H} y_j`` with ``p_u = 0``, ``b_u = 0`` (SVD++'s model of a
    user known only by what they rated); SVD and NMF fold in ``p_u`` as the mean of the
    history items' ``q_j`` scaled to the median training-user norm; BaselineOnly ranks
    by ``mu + b_i``. Item-based KNN scores each candidate by the summed positive
    similarity to its ``k`` most similar history items. User-based KNN cannot score a
    new user (it has no similarities) and raises.

    Examples
    --------
    >>> import reclite
    >>> model = reclite.SurpriseRecommender(algorithm="SVD", params={"n_factors": 10},
    ...                                     random_state=0).fit(reclite.demo_dataset())
    >>> model.recommend(k=3).columns.tolist()
    ['user', 'item', 'score', 'rank']
    """

    # which attributes exist follows from ``algorithm`` (factor or KNN model) and, for KNN,
    # from ``user_based_`` (the side the neighbours are on)
    _fitted_attributes: ClassVar[FittedDecl] = {
        "random_seed_": json_value("int", minimum=0),  # the seed random_state resolved to at fit
        "user_known_": array("bool", "n_users_"),
        "item_known_": array("bool", "n_items_"),
        "global_mean_": json_value("float"),
        "kind_": (json_value("str", choices=("factor",), when={"algorithm": FACTOR_ALGORITHMS}),
                  json_value("str", choices=("knn",), when={"algorithm": KNN_ALGORITHMS})),
        "user_bias_": array("float64", "n_users_"),
        "item_bias_": array("float64", "n_items_"),
        # factor models
        "biased_": json_value("bool", when={"kind_": "factor"}),
        "user_factors_": array("float64", "n_users_", "n_factors", when={"kind_": "factor"}),
        "item_factors_": array("float64", "n_items_", "n_factors", when={"kind_": "factor"}),
        "implicit_factors_": array("float64", "n_items_", "n_factors", when={"algorithm": "SVDpp"}),
        # KNN models
        "user_based_": json_value("bool", when={"kind_": "knn"}),
        "k_": json_value("int", minimum=0, when={"kind_": "knn"}),
        "min_k_": json_value("int", minimum=0, when={"kind_": "knn"}),
        "x_mean_": (array("float64", "n_users_", when={"user_based_": True}),
                    array("float64", "n_items_", when={"user_based_": False})),
        "x_scale_": (array("float64", "n_users_", when={"user_based_": True}),
                     array("float64", "n_items_", when={"user_based_": False})),
        "residuals_": csr("float64", "n_users_", "n_items_", when={"kind_": "knn"}),
        "cand_idx_": array("int32", "n_candidates", index_of="n_items_", when={"kind_": "knn"}),
        "sim_": (array("float64", "n_users_", "n_users_", when={"user_based_": True}),
                 array("float64", "n_candidates", "n_items_", when={"user_based_": False})),
    }

    def __init__(self, *, algorithm: str = "SVD", params: dict | None = None, confidence: str = "binary",
                 alpha: float = 1.0, confidence_params: dict | None = None,
                 random_state: RNGInput = None,
                 max_candidates: int | None = 2000) -> None:
        self.algorithm = algorithm
        self.params = params
        self.confidence = confidence
        self.alpha = alpha
        self.confidence_params = confidence_params
        self.random_state = random_state
        self.max_candidates = max_candidates

    # ------------------------------------------------------------------ fit
    def _check_params(self) -> None:
        known = FACTOR_ALGORITHMS + KNN_ALGORITHMS
        if not isinstance(self.algorithm, str) or self.algorithm not in known:
            raise ParameterError(f"SurpriseRecommender: unsupported algorithm {self.algorithm!r}; "
                                 f"supported: {', '.join(known)}")
        if self.params is not None and not isinstance(self.params, dict):
            raise ParameterTypeError(f"SurpriseRecommender: params must be a dict of {self.algorithm} "
                                     f"arguments, got {type(self.params).__name__}")
        checks = PARAM_CHECKS[self.algorithm]
        for key, value in (self.params or {}).items():
            if key not in checks:
                raise ParameterError(f"SurpriseRecommender: bad params for surprise.{self.algorithm}: unknown "
                                     f"parameter {key!r}; its parameters are: {', '.join(checks)}")
            checks[key](value, f"params[{key!r}]")
        merged = {**DEFAULT_PARAMS[self.algorithm], **(self.params or {})}
        if self.algorithm == "NMF" and merged.get("init_high", 1) < merged.get("init_low", 0):
            raise ParameterError(f"SurpriseRecommender: params['init_high'] must be >= params['init_low'] "
                                 f"({merged.get('init_low', 0)}), got {merged['init_high']}")
        seed = check_seed(self.random_state, owner=self)
        if isinstance(seed, (Integral, np.integer)) and int(seed) >= _SEED_LIMIT:
            raise ParameterError(f"SurpriseRecommender: random_state must be below 2**32 (surprise seeds "
                                 f"numpy's RandomState), got {seed}")
        mc = self.max_candidates
        if mc is not None:
            try:
                check_int(mc, "max_candidates", min_val=1)
            except ParameterError as exc:
                raise type(exc)(f"SurpriseRecommender: max_candidates must be a positive int or None, "
                                f"got {mc!r}") from None

    def _algo_params(self) -> dict[str, Any]:
        """surprise's keywords: reclite's defaults, ``params``, and the seed (sets ``random_seed_``)."""
        merged: dict[str, Any] = {"verbose": False, **DEFAULT_PARAMS[self.algorithm], **(self.params or {})}
        if "random_state" in merged:  # params' own int seed wins
            self.random_seed_ = int(merged["random_state"])
        else:
            self.random_seed_ = merged["random_state"] = int_seed(self.random_state, owner=self)
        if self.algorithm not in _SEEDED:
            merged.pop("random_state", None)
        return merged

    def _fit(self, C: sp.csr_matrix, data: Dataset) -> None:
        merged = self._algo_params()
        u, i, r = _ratings_in_surprise_order(data)
        trainset = _trainset(u, i, r)
        algo = self._train(merged, trainset, r)
        uid, iid = self._keep_known(trainset, C.shape)
        ratings = sp.csr_matrix((r, (u, i)), shape=C.shape)
        ratings.sort_indices()
        if self.algorithm in FACTOR_ALGORITHMS:
            self._keep_factors(algo, uid, iid, ratings)
        else:
            self._keep_neighbours(algo, uid, iid, ratings)

    # fit stages ------------------------------------------------------------
    def _train(self, merged: dict[str, Any], trainset: Any, r: np.ndarray) -> Any:
        """The surprise algorithm (keywords ``merged``) fitted on ``trainset``; a similarity that
        divides by zero is a :class:`~reclite.errors.DataError`."""
        import surprise

        algo = getattr(surprise, self.algorithm)(**merged)  # every keyword was checked in _check_params
        try:
            algo.fit(trainset)
        except ZeroDivisionError:
            lo, hi = float(r.min()), float(r.max())
            sim = dict(getattr(algo, "sim_options", {}) or {}).get("name", "msd")
            why = (f"every one of the {len(r):,} ratings is {lo:g}, so there is nothing to correlate"
                   if lo == hi else "some users or items have ratings that do not vary, or are all 0")
            raise DataError(
                f"surprise.{self.algorithm} could not fit: its {sim!r} similarity divides by zero because "
                f"{why}; surprise's models learn from rating values, so give them rated data, or use "
                "params={'sim_options': {'name': 'msd', 'user_based': False}}") from None
        return algo

    def _keep_known(self, trainset: Any, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Which users and items surprise knows, and the global mean; returns the indices of
        surprise's inner users and items (``uid[inner] = reclite index``)."""
        n_users, n_items = shape
        uid = np.array([trainset.to_raw_uid(k) for k in range(trainset.n_users)], dtype=np.int64)
        iid = np.array([trainset.to_raw_iid(k) for k in range(trainset.n_items)], dtype=np.int64)
        self.user_known_ = np.zeros(n_users, dtype=bool)
        self.user_known_[uid] = True
        self.item_known_ = np.zeros(n_items, dtype=bool)
        self.item_known_[iid] = True
        self.global_mean_ = float(trainset.global_mean)
        return uid, iid

    def _keep_factors(self, algo: Any, uid: np.ndarray, iid: np.ndarray, ratings: sp.csr_matrix) -> None:
        """Biases and factors of SVD, SVD++, NMF and BaselineOnly, by reclite index."""
        n_users, n_items = ratings.shape
        self.kind_ = "factor"
        biased = bool(getattr(algo, "biased", True))
        self.biased_ = biased
        if biased:
            self.user_bias_ = _spread(algo.bu, uid, n_users)
            self.item_bias_ = _spread(algo.bi, iid, n_items)
        else:
            self.user_bias_ = np.zeros(n_users)
            self.item_bias_ = np.zeros(n_items)
        if self.algorithm == "BaselineOnly":
            self.user_factors_ = np.zeros((n_users, 1))
            self.item_factors_ = np.zeros((n_items, 1))
            return
        P = _spread(algo.pu, uid, n_users)
        self.item_factors_ = _spread(algo.qi, iid, n_items)
        if self.algorithm == "SVDpp":
            self.implicit_factors_ = _spread(algo.yj, iid, n_items)
            P = P + self._implicit_part(ratings)
        self.user_factors_ = P

    def _keep_neighbours(self, algo: Any, uid: np.ndarray, iid: np.ndarray, ratings: sp.csr_matrix) -> None:
        """Baselines, residuals, candidate items and similarities of the KNN algorithms."""
        self.kind_ = "knn"
        user_based = bool(algo.sim_options.get("user_based", True))
        self.user_based_ = user_based
        self.k_ = int(algo.k)
        self.min_k_ = int(algo.min_k)
        n_users, n_items = ratings.shape
        if self.algorithm == "KNNBaseline":
            bu, bi = algo.bu, algo.bi
        else:
            bu, bi = algo.compute_baselines()
        self.user_bias_ = _spread(bu, uid, n_users)
        self.item_bias_ = _spread(bi, iid, n_items)
        self.residuals_ = self._residuals(algo, uid if user_based else iid, ratings)
        self.cand_idx_ = self._candidates(ratings)
        self.sim_ = self._similarities(algo, uid, iid)

    def _residuals(self, algo: Any, x_raw: np.ndarray, ratings: sp.csr_matrix) -> sp.csr_matrix:
        """What the neighbours' ratings contribute (surprise's ``r - baseline``, ``r - mean`` or
        ``(r - mean) / sigma``); sets the per-user (or per-item) ``x_mean_``/``x_scale_``."""
        user_based = self.user_based_
        x_size = ratings.shape[0] if user_based else ratings.shape[1]
        coo = ratings.tocoo()
        nb = coo.row if user_based else coo.col  # a rating's neighbour: its x-side user or item
        if self.algorithm in ("KNNWithMeans", "KNNWithZScore"):
            means = _spread(algo.means, x_raw, x_size)
            sigmas = (_spread(algo.sigmas, x_raw, x_size) if self.algorithm == "KNNWithZScore"
                      else np.ones(x_size))
            e = (coo.data - means[nb]) / sigmas[nb]
            self.x_mean_, self.x_scale_ = means, sigmas
        elif self.algorithm == "KNNBaseline":
            e = coo.data - (self.global_mean_ + self.user_bias_[coo.row] + self.item_bias_[coo.col])
            self.x_mean_, self.x_scale_ = np.zeros(x_size), np.ones(x_size)
        else:  # KNNBasic
            e = coo.data.copy()
            self.x_mean_, self.x_scale_ = np.zeros(x_size), np.ones(x_size)
        res = sp.csr_matrix((e, (coo.row, coo.col)), shape=ratings.shape)
        res.sort_indices()
        return res

    def _candidates(self, ratings: sp.csr_matrix) -> np.ndarray:
        """The items scored exactly: all, or the ``max_candidates`` most rated (sorted indices)."""
        n_items = ratings.shape[1]
        popularity = np.diff(ratings.tocsc().indptr)
        ranked = np.lexsort((np.arange(n_items), -popularity)).astype(INDEX_DTYPE)
        if self.max_candidates is not None:
            ranked = ranked[: int(self.max_candidates)]
        return np.sort(ranked).astype(INDEX_DTYPE)

    def _similarities(self, algo: Any, uid: np.ndarray, iid: np.ndarray) -> np.ndarray:
        """surprise's similarity matrix by reclite index: users x users, or candidates x items."""
        n_users, n_items = len(self.user_known_), len(self.item_known_)
        sim = np.asarray(algo.sim, dtype=np.float64)
        if self.user_based_:
            full = np.zeros((n_users, n_users))
            full[np.ix_(uid, uid)] = sim
            return full
        # only the candidates' rows, against every item
        inner = np.full(n_items, -1, dtype=np.int64)
        inner[iid] = np.arange(len(iid))
        ci = inner[self.cand_idx_]
        has = np.flatnonzero(ci >= 0)
        rows = np.zeros((len(self.cand_idx_), n_items))
        rows[np.ix_(has, iid)] = sim[ci[has]]
        return rows

    def _implicit_part(self, rows: sp.csr_matrix) -> np.ndarray:
        """``|I_u|^{-1/2} sum_{j in I_u} y_j`` per row (SVD++'s implicit feedback term)."""
        total, counts = history_sums(rows, self.implicit_factors_)
        return total / np.sqrt(np.maximum(counts, 1.0))[:, None]

    # ------------------------------------------------------------------ scoring
    def _score(self, user_idx: IntArray, rows: sp.csr_matrix) -> np.ndarray:
        user_idx = np.asarray(user_idx)
        if self.kind_ == "factor":
            return self._score_factor(user_idx, sp.csr_matrix(rows))
        return self._score_knn(user_idx, sp.csr_matrix(rows))

    def _score_factor(self, user_idx: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        known = user_idx >= 0
        P = np.zeros((len(user_idx), self.user_factors_.shape[1]))
        bu = np.zeros(len(user_idx))
        P[known] = self.user_factors_[user_idx[known]]
        bu[known] = self.user_bias_[user_idx[known]]
        if (~known).any():
            P[~known] = self._fold_in(rows[np.flatnonzero(~known)])
        scores = P @ self.item_factors_.T
        if self.biased_:
            scores += self.global_mean_ + bu[:, None] + self.item_bias_[None, :]
        else:
            # surprise: an unknown user or item is "impossible" -> the global mean
            uk = np.ones(len(user_idx), dtype=bool)
            uk[known] = self.user_known_[user_idx[known]]
            scores[~uk, :] = self.global_mean_
            scores[:, ~self.item_known_] = self.global_mean_
        return scores

    def _fold_in(self, rows: sp.csr_matrix) -> np.ndarray:
        if self.algorithm == "SVDpp":
            return self._implicit_part(rows)
        if self.algorithm == "BaselineOnly":
            return np.zeros((rows.shape[0], 1))
        return mean_fold_in(self.user_factors_, self.item_factors_, rows).astype(np.float64)

    def _score_knn(self, user_idx: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        n = len(user_idx)
        cand = self.cand_idx_
        mu = self.global_mean_
        out = np.empty((n, self.n_items_))
        cs = np.empty((n, len(cand)))
        known = user_idx >= 0
        if (~known).any():
            if self.user_based_:
                raise RecliteError(
                    f"SurpriseRecommender({self.algorithm}) with user-based similarities cannot score a "
                    "user from a history (no similarities to training users); use sim_options "
                    "{'user_based': False}")
            cs[~known] = self._history_knn(rows[np.flatnonzero(~known)])
        if known.any():
            cs[known] = self._known_knn(user_idx[known])
        out[:, cand] = cs
        if len(cand) < self.n_items_:
            rest = np.ones(self.n_items_, dtype=bool)
            rest[cand] = False
            b = self.item_bias_
            gap = b.max() - b[rest]
            floor = cs.min(axis=1) if len(cand) else np.zeros(n)
            floor = np.where(np.isfinite(floor), floor, mu)
            out[:, rest] = floor[:, None] - 1.0 - gap[None, :]
        return out

    def _known_knn(self, users: np.ndarray) -> np.ndarray:
        """Exact surprise predictions for known-index users on the candidate items."""
        cand = self.cand_idx_
        mu = self.global_mean_
        ub, ib = self.user_bias_, self.item_bias_
        if self.algorithm == "KNNBaseline":
            base = mu + ub[users][:, None] + ib[cand][None, :]
        elif self.algorithm == "KNNBasic":
            base = np.zeros((len(users), len(cand)))
        elif self.user_based_:
            base = np.repeat(self.x_mean_[users][:, None], len(cand), axis=1)
        else:
            base = np.repeat(self.x_mean_[cand][None, :], len(users), axis=0)
        scale = (np.repeat(self.x_scale_[users][:, None], len(cand), axis=1) if self.user_based_
                 else np.repeat(self.x_scale_[cand][None, :], len(users), axis=0))
        agg = np.zeros((len(users), len(cand)))
        ok = np.zeros((len(users), len(cand)), dtype=bool)
        if self.user_based_:
            res = self.residuals_.tocsc()
            for c, item in enumerate(cand):
                s, e = res.indptr[item], res.indptr[item + 1]
                if s == e:
                    continue
                S = self.sim_[users][:, res.indices[s:e]]
                agg[:, c], ok[:, c] = _knn_average(S, res.data[s:e], self.k_, self.min_k_)
        else:
            res = self.residuals_
            for row, u in enumerate(users):
                s, e = res.indptr[u], res.indptr[u + 1]
                if s == e:
                    continue
                S = self.sim_[:, res.indices[s:e]]
                agg[row], ok[row] = _knn_average(S, res.data[s:e], self.k_, self.min_k_)
        scores = base + scale * agg
        if self.algorithm == "KNNBasic":
            scores = np.where(ok, scores, mu)  # too few neighbours: "impossible" -> mu
        if self.algorithm != "KNNBaseline":  # unknown user or item: "impossible" -> mu
            scores[~self.user_known_[users], :] = mu
            scores[:, ~self.item_known_[cand]] = mu
        return scores

    def _history_knn(self, rows: sp.csr_matrix) -> np.ndarray:
        out = np.zeros((rows.shape[0], len(self.cand_idx_)))
        for r in range(rows.shape[0]):
            hist = rows.indices[rows.indptr[r]:rows.indptr[r + 1]]
            if len(hist) == 0:
                continue
            S = self.sim_[:, np.sort(hist)]
            sel = _top_k_mask(S, self.k_) & (S > 0)
            out[r] = (S * sel).sum(axis=1)
        return out

    @property
    def supports_history(self) -> bool:  # type: ignore[override]
        """False only for a fitted user-based KNN model."""
        return not (getattr(self, "kind_", None) == "knn" and getattr(self, "user_based_", False))


def _ratings_in_surprise_order(data: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user, item, rating) sorted by user, then item: surprise's neighbour order is then ascending index."""
    order = np.lexsort((data.item_idx, data.user_idx))
    return (data.user_idx[order].astype(np.int64), data.item_idx[order].astype(np.int64),
            data.values[order].astype(np.float64))


def _trainset(u: np.ndarray, i: np.ndarray, r: np.ndarray) -> Any:
    """surprise's full trainset of the ratings (raw ids = reclite indices; the rating scale
    their range, widened to one unit when every rating is the same)."""
    import pandas as pd
    import surprise

    lo, hi = float(r.min()), float(r.max())
    reader = surprise.Reader(rating_scale=(lo, hi if hi > lo else lo + 1.0))
    frame = pd.DataFrame({"user": u, "item": i, "rating": r})
    return surprise.Dataset.load_from_df(frame, reader).build_full_trainset()


def _spread(values: Any, raw: np.ndarray, size: int) -> np.ndarray:
    """surprise's per-inner-id rows put at their reclite index (``raw``), zeros elsewhere (float64)."""
    values = np.asarray(values, dtype=np.float64)
    out = np.zeros((size,) + values.shape[1:], dtype=np.float64)
    out[raw] = values
    return out


def _top_k_mask(S: np.ndarray, k: int) -> np.ndarray:
    """Per row, the ``k`` largest entries; ties go to the earlier column (heapq.nlargest)."""
    n, m = S.shape
    if m <= k:
        return np.ones_like(S, dtype=bool)
    thr = np.partition(S, m - k, axis=1)[:, m - k][:, None]
    above = S > thr
    need = k - above.sum(axis=1, keepdims=True)
    eq = S == thr
    return above | (eq & (np.cumsum(eq, axis=1) <= need))


def _knn_average(S: np.ndarray, e: np.ndarray, k: int, min_k: int) -> tuple[np.ndarray, np.ndarray]:
    """surprise's neighbour aggregation, per row of similarities ``S`` to the raters.

    Returns ``sum sim * e / sum sim`` over the positively similar among the ``k`` most
    similar (0 where there are fewer than ``min_k`` of them or no positive mass) and
    whether the row had at least ``min_k`` such neighbours.
    """
    sel = _top_k_mask(S, k) & (S > 0)
    w = np.where(sel, S, 0.0)
    sum_sim = w.sum(axis=1)
    actual = sel.sum(axis=1)
    ok = (actual >= min_k) & (sum_sim > 0)
    avg = np.divide(w @ e, sum_sim, out=np.zeros_like(sum_sim), where=ok)
    return avg, ok
