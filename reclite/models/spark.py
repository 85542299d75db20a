"""SparkALS: implicit ALS on Apache Spark, with reclite's confidence, interface and metrics.

The only module (with :mod:`reclite.spark_eval`) that imports pyspark, always lazily: the
class can be created, listed, loaded from a model directory and used for local
recommendations without pyspark; fitting and everything ``*_spark`` needs pyspark and a
Java 17+ runtime (``pip install "reclite[spark]"``). Spark does the distributed work:
the fit is ``pyspark.ml.recommendation.ALS(implicitPrefs=True)``; the top-K lists of
:meth:`SparkALS.recommend_spark` and the metrics of :func:`reclite.evaluate_spark` are
computed on the executors.

How the work splits across executors (to size a cluster)
--------------------------------------------------------
- **Fit.** Spark partitions users into ``num_blocks`` user blocks and items into as many
  item blocks. Each half-iteration shuffles every factor vector to the blocks that hold
  one of its interactions (at most ``n_interactions * factors * 4`` bytes per half-step,
  usually much less) and solves one ``factors x factors`` system per user (or item) on
  the executor holding its block; ``Y^T Y`` (``factors^2`` doubles) is reduced to the
  driver and broadcast once per half-step. An executor holds its blocks' interactions
  (about 12 bytes each, in memory and on disk) and factors.
- **Driver.** :meth:`SparkALS.fit_spark` collects only the id arrays (the distinct raw
  user and item ids, in index order). The factors (``(n_users + n_items) * factors * 4``
  bytes) and the training interactions (about 8 bytes each, for seen-item filtering and
  saving) are collected too only when together they fit ``max_memory``; otherwise the
  model stays in Spark (``recommend_spark`` and ``evaluate_spark`` work, the local
  methods say so).
- **Top-K in Spark.** The item factors (``n_items * factors * 4`` bytes) are broadcast
  to every executor; users are ranked where their factors live, in cache-sized blocks,
  by reclite's own kernel (:func:`reclite.topk.topk`), each user's seen items (joined in
  Spark) excluded. Executors need reclite installed (``pip install reclite`` on the
  cluster's Python, or ``--py-files``).
"""

from __future__ import annotations

import copy
import functools
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from .._typing import INDEX_DTYPE, VALUE_DTYPE, RNGInput
from .._validation import check_bool, check_float, check_int, check_k, check_seed, int_seed, parse_memory
from ..data.dataset import Dataset
from ..data.idmap import IdMap
from ..errors import ConfidenceSpecError, ParameterError, ParameterTypeError, RecliteError
from ._fitted import FittedDecl, array, json_value
from ._foldin import als_solve_users
from ._spark_support import (
    _I,
    _RAW_I,
    _RAW_U,
    _U,
    _V,
    RATING_FLOOR,
    SPARK_COMPONENTS,
    SPARK_INSTALL,
    SparkSessionLike,
    _checked_pairs,
    _collect_factors,
    _frame_of_factors,
    _frame_of_map,
    _frame_of_pairs,
    _index_ids,
    _is_dataframe,
    _is_session,
    _merge_repeats,
    _quiet_pyspark,
    _rank_partition,
    _spark_confidence,
    _SparkSide,
    local_spark_session,
    require_spark,
    spark_unavailable_reason,
    write_spark_output,
)
from .base import Recommender
from .factor import _ImplicitModel

__all__ = ["SparkALS", "SPARK_INSTALL", "RATING_FLOOR", "SPARK_COMPONENTS", "SparkSessionLike",
           "spark_unavailable_reason", "require_spark", "local_spark_session", "write_spark_output",
           "check_is_fitted_spark"]


# ---------------------------------------------------------------------- the model
class SparkALS(Recommender):
    r"""Implicit-feedback ALS (Hu, Koren & Volinsky 2008) fitted by Apache Spark MLlib.

    A :class:`~reclite.models.base.Recommender` over
    ``pyspark.ml.recommendation.ALS(implicitPrefs=True)``: fitted on a reclite
    :class:`~reclite.data.dataset.Dataset` (:meth:`fit`, sent to Spark as a DataFrame of
    indices) or on a Spark DataFrame of raw ids that never has to fit one machine
    (:meth:`fit_spark`). The factors are collected as float32 arrays (when they fit
    ``max_memory``), so ``recommend``, ``recommend_from_history``, ``similar_items``,
    :func:`reclite.evaluate` and save/load work exactly as for
    :class:`~reclite.models.factor.ALS`; :meth:`recommend_spark` and
    :func:`reclite.evaluate_spark` do the same in Spark for catalogues of any size.

    **Confidence mapping.** reclite computes ``f`` from the ``confidence`` expression
    and hands Spark ``rating = alpha * f`` with Spark's own ``alpha`` fixed at 1.0. Spark's
    documentation (*Collaborative Filtering*, "Explicit vs. implicit feedback") says the
    data "are treated as numbers representing the strength in observations of user
    actions" and its source weighs each one by ``c1 = alpha * math.abs(rating)`` with
    ``ls.add(srcFactor, if (rating > 0.0) 1.0 + c1 else 0.0, c1)``
    (``ml/recommendation/ALS.scala``, ``computeFactors``): confidence ``1 + c1 = 1 +
    alpha * f``, exactly reclite's (and :class:`~reclite.models.factor.ALS`'s) ``c_ui``,
    preference 1. A rating of 0 would mean "preference 0" to Spark, so ``alpha * f`` is
    floored at :data:`RATING_FLOOR` (``1e-9``): every stored pair stays a positive.

    **Regularisation.** Spark solves each user's system with ``regularization * n_u``
    on the diagonal (``solver.solve(ls, numExplicits * regParam)``: ALS-WR, Zhou et al.
    2008; ``n_u`` = the user's stored pairs) and each item's with ``regularization *
    n_i``; implicit's ALS adds one constant ``reg`` for everyone. So a value from
    :class:`~reclite.models.factor.ALS` translates to roughly ``reg / n`` for a typical
    interaction count ``n``, with heavy users and popular items shrunk more here and
    light ones less: no exact translation exists, tune it. On MovieLens 100K (32
    factors, 10 iterations, binary confidence, alpha 1) the best values on a validation
    split were ALS 20 and SparkALS 0.2 (``reg / 100``), and the two reached the same
    test ndcg@10 (0.483 and 0.481; ``python benchmarks/bench_spark.py accuracy``).

    Parameters
    ----------
    factors : int, default=64
        Latent dimensions (Spark's ``rank``).
    regularization : float, default=0.2
        Spark's ``regParam`` (scaled per user and item, see above); the default is the
        MovieLens 100K choice above.
    iterations : int, default=15
        Spark's ``maxIter`` (each updates items, then users).
    alpha : float, default=1.0
        Confidence scale: every stored pair weighs ``1 + alpha * f``.
    confidence : str, default="binary"
        Confidence expression (:mod:`reclite.confidence`). :meth:`fit_spark` computes it in
        Spark and supports the components of :data:`SPARK_COMPONENTS` (``binary``,
        ``value``, ``log``, ``pop``) with constants, ``+``, ``*`` and parentheses.
    confidence_params : dict, optional
    num_blocks : int, optional
        User and item blocks (Spark's ``numUserBlocks``/``numItemBlocks``; default:
        Spark's, 10). About 2-3 per executor core on a cluster; 1 on tiny data.
    checkpoint_interval : int, default=10
        Spark's ``checkpointInterval`` (used only when the SparkContext has a checkpoint
        directory; it cuts the lineage of long fits). -1 disables it.
    random_state : int, numpy Generator or None, default=None
        Spark's ``seed``. The same seed and ``num_blocks`` give the same factors.
    max_memory : int or str, default="2GB"
        Driver memory allowed for the collected factors and training pairs (see the
        module docstring); also the score-block budget of local recommendations.
    spark : SparkSession, optional
        The session to use; by default the active one, or a new local one
        (:func:`local_spark_session`: ``local[*]``, UI off, quiet logs). Not saved with
        the model.

    Attributes
    ----------
    user_factors_ : ndarray of shape (n_users_, factors), float32
    item_factors_ : ndarray of shape (n_items_, factors), float32
        Users or items without any interaction have zero vectors.
    random_seed_ : int
        The seed the fit used.

    Notes
    -----
    **From a history** (``recommend_from_history``): the exact least-squares step Spark
    makes for a user, given the item factors (:func:`reclite.models._foldin.als_solve_users`
    with ``regularization * n_u``): a training user's own history gives back their
    factors.
    """

    _fitted_attributes: ClassVar[FittedDecl] = {
        "user_factors_": array("float32", "n_users_", "factors"),
        "item_factors_": array("float32", "n_items_", "factors"),
        "random_seed_": json_value("int", minimum=0),
    }

    supports_similar_items = True
    _score_into = True
    _score_threadsafe = True
    # scoring is ALS's: known users' factors times the item factors, fold-in for the others
    _user_vectors = _ImplicitModel._user_vectors
    _score = _ImplicitModel._score
    _similar = _ImplicitModel._similar

    def __init__(self, *, factors: int = 64, regularization: float = 0.2, iterations: int = 15,
                 alpha: float = 1.0, confidence: str = "binary", confidence_params: dict | None = None,
                 num_blocks: int | None = None, checkpoint_interval: int = 10, random_state: RNGInput = None,
                 max_memory: int | str = "2GB", spark: SparkSessionLike | None = None) -> None:
        self.factors = factors
        self.regularization = regularization
        self.iterations = iterations
        self.alpha = alpha
        self.confidence = confidence
        self.confidence_params = confidence_params
        self.num_blocks = num_blocks
        self.checkpoint_interval = checkpoint_interval
        self.random_state = random_state
        self.max_memory = max_memory
        self.spark = spark

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        check_int(self.factors, "factors", min_val=1, owner=self)
        check_float(self.regularization, "regularization", min_val=0.0, owner=self)
        check_int(self.iterations, "iterations", min_val=1, owner=self)
        check_float(self.alpha, "alpha", min_val=0.0, owner=self)
        if self.num_blocks is not None:
            check_int(self.num_blocks, "num_blocks", min_val=1, owner=self)
        ci = check_int(self.checkpoint_interval, "checkpoint_interval", min_val=-1, owner=self)
        if ci == 0:
            raise ParameterError(f"{type(self).__name__}: checkpoint_interval must be >= 1, or -1 to disable "
                                 "checkpointing; got 0")
        check_seed(self.random_state, owner=self)
        parse_memory(self.max_memory, owner=self)
        if self.spark is not None and not _is_session(self.spark):
            raise ParameterTypeError(f"{type(self).__name__}: spark must be a pyspark SparkSession or None, "
                                     f"got {type(self.spark).__name__}")

    def _forget_spark(self) -> None:
        """Drop what an earlier fit left in Spark (a new fit starts from scratch)."""
        self._prefit: tuple[Any, _SparkSide, int] | None = None
        self._side: _SparkSide | None = None
        self._spark_only: str | None = None

    def _session(self) -> Any:
        return self.spark if self.spark is not None else local_spark_session()

    def _spark_als(self, seed: int) -> Any:
        from pyspark.ml.recommendation import ALS as MLlibALS

        nb = 10 if self.num_blocks is None else int(self.num_blocks)
        return MLlibALS(rank=int(self.factors), maxIter=int(self.iterations), regParam=float(self.regularization),
                        implicitPrefs=True, alpha=1.0, userCol=_U, itemCol=_I, ratingCol="rating",
                        numUserBlocks=nb, numItemBlocks=nb, checkpointInterval=int(self.checkpoint_interval),
                        seed=int(seed), nonnegative=False, coldStartStrategy="nan")

    # ------------------------------------------------------------------ fit
    def fit(self, data: Dataset | sp.spmatrix) -> SparkALS:
        """Fit on a Dataset (or a users x items sparse matrix), in Spark; returns ``self``.

        The confidence matrix is built here (as for every reclite model) and sent to
        Spark as a DataFrame ``(user_idx, item_idx, rating = alpha * f)``.
        """
        self._check_params()
        self._forget_spark()
        super().fit(data)
        return self

    def _fit(self, C: sp.csr_matrix, data: Dataset) -> None:
        if getattr(self, "_prefit", None) is not None:  # fit_spark: already fitted in Spark
            model, side, seed = self._prefit  # type: ignore[misc]
            self._prefit = None
        else:
            require_spark()  # after the parameter and confidence checks, which need no Spark
            session = self._session()
            seed = int_seed(self.random_state, owner=self)
            users = np.repeat(np.arange(C.shape[0], dtype=INDEX_DTYPE), np.diff(C.indptr))
            rating = np.maximum(C.data.astype(np.float64) - 1.0, RATING_FLOOR)  # alpha * f
            frame = _frame_of_pairs(session, users, C.indices, rating).persist()
            model = self._spark_als(seed).fit(frame)
            side = _SparkSide(session, _frame_of_map(session, data.users, _RAW_U, _U),
                              _frame_of_map(session, data.items, _RAW_I, _I), frame.select(_U, _I),
                              model.userFactors, model.itemFactors)
        self.random_seed_ = seed
        self.user_factors_ = _collect_factors(model.userFactors, C.shape[0], int(self.factors))
        self.item_factors_ = _collect_factors(model.itemFactors, C.shape[1], int(self.factors))
        self._side = side
        self._spark_only = None

    def _fold_in(self, rows: sp.csr_matrix) -> np.ndarray:
        rows = sp.csr_matrix(rows)
        return als_solve_users(self.item_factors_, rows, float(self.regularization) * np.diff(rows.indptr))

    def fit_spark(self, df: Any, user: str = "user", item: str = "item", value: str | None = None,
                  time: str | None = None) -> SparkALS:
        """Fit on a Spark DataFrame of raw ids (e.g. ``spark.read.parquet(path)``); returns ``self``.

        The id maps are built in Spark (distinct ids, sorted as :class:`~reclite.IdMap`
        sorts them, numbered with ``zipWithIndex``) and collected only as the id arrays;
        the confidence ``f`` is computed in Spark (components :data:`SPARK_COMPONENTS`).
        A repeated (user, item) pair is merged: with ``time``, keeping the latest row's
        value, as a :class:`~reclite.Dataset` keeps the latest (the largest value among
        rows of the same time); without it, keeping its largest value (Spark has no file
        order to say which came last). The factors and the training pairs are
        collected when they fit ``max_memory`` (then everything local works, with the
        confidence statistics computed by reclite from the collected pairs); otherwise
        the model stays in Spark: :meth:`recommend_spark` and
        :func:`reclite.evaluate_spark` work, and the local methods say why they cannot.

        Parameters
        ----------
        df : pyspark.sql.DataFrame
        user, item : str
            Id columns: integers or strings.
        value : str, optional
            A numeric column (rating, play count); without it every pair has value 1.
        time : str, optional
            A column of numbers (e.g. Unix seconds), timestamps or dates: which of a
            repeated pair's rows is the latest.
        """
        self._check_params()
        require_spark()
        _quiet_pyspark()
        self._forget_spark()
        from pyspark.sql import functions as F

        from ..confidence import check_alpha, check_confidence_params, parse_confidence

        if not _is_dataframe(df):
            raise ParameterTypeError(f"fit_spark expects a pyspark DataFrame, got {type(df).__name__}; "
                                     "for a pandas frame or a file use reclite.Dataset and fit()")
        expr = parse_confidence(self.confidence)
        params = check_confidence_params(self.confidence_params)
        alpha = check_alpha(self.alpha)
        other = [c for c in expr.components if c not in SPARK_COMPONENTS]
        if other:
            raise ConfidenceSpecError(f"{type(self).__name__}.fit_spark: confidence {self.confidence!r} uses "
                                      f"{', '.join(other)}, which fit_spark cannot compute in Spark (it supports "
                                      f"{', '.join(SPARK_COMPONENTS)}); collect the data into a reclite Dataset "
                                      "and call fit() for the others")
        pairs = _checked_pairs(df, user, item, value, needs_values=bool({"value", "log"} & set(expr.components)),
                               time=time)
        session = df.sparkSession
        seed = int_seed(self.random_state, owner=self)
        pairs = _merge_repeats(pairs, has_time=time is not None)
        user_map = _index_ids(pairs, _RAW_U, _U).persist()
        item_map = _index_ids(pairs, _RAW_I, _I).persist()
        data = (pairs.join(user_map, _RAW_U).join(item_map, _RAW_I).select(_U, _I, _V)).persist()
        f, stats = _spark_confidence(data, expr, params)
        rated = data.join(stats, _I) if stats is not None else data
        rated = rated.withColumn("rating", F.greatest(F.lit(alpha) * f, F.lit(RATING_FLOOR)).cast("float"))
        model = self._spark_als(seed).fit(rated.select(_U, _I, "rating"))
        users = IdMap(user_map.orderBy(_U).select(_RAW_U).toPandas()[_RAW_U].to_numpy(), name="user")
        items = IdMap(item_map.orderBy(_I).select(_RAW_I).toPandas()[_RAW_I].to_numpy(), name="item")
        n_pairs = data.count()
        side = _SparkSide(session, user_map, item_map, data.select(_U, _I), model.userFactors, model.itemFactors)
        need = (len(users) + len(items)) * int(self.factors) * 4 + n_pairs * 16
        budget = parse_memory(self.max_memory, owner=self)
        if need <= budget:
            local = data.toPandas()
            ds = Dataset(local[_U].to_numpy(dtype=INDEX_DTYPE), local[_I].to_numpy(dtype=INDEX_DTYPE),
                         None if value is None else local[_V].to_numpy(dtype=VALUE_DTYPE),
                         users=users, items=items, name="spark")
            self._prefit = (model, side, seed)
            Recommender.fit(self, ds)  # the local attributes; _fit takes the Spark fit as it is
            return self
        for key in [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]:
            delattr(self, key)
        self.n_users_, self.n_items_ = len(users), len(items)
        self.users_, self.items_ = users, items
        self.random_seed_ = seed
        self._side = side
        self._spark_only = (f"{type(self).__name__} was fitted in Spark only: its factors and {n_pairs:,} training "
                            f"pairs ({need / 2**20:,.0f} MB) exceed max_memory={self.max_memory!r}, so they stay "
                            "in Spark; use recommend_spark / reclite.evaluate_spark, or refit with a larger "
                            "max_memory")
        return self

    def __sklearn_is_fitted__(self) -> bool:
        if "seen_" in vars(self):
            return True
        if getattr(self, "_spark_only", None):
            raise RecliteError(self._spark_only)
        return False

    # ------------------------------------------------------------------ Spark output
    def _spark_state(self) -> _SparkSide:
        """The model's DataFrames: those of the fit, or made from the local arrays (a loaded model)."""
        side = getattr(self, "_side", None)
        if side is not None:
            return side
        if "seen_" not in vars(self):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet; call fit or fit_spark "
                                 "first, or load a model directory")
        session = self._session()
        C = self.seen_
        users = np.repeat(np.arange(C.shape[0], dtype=INDEX_DTYPE), np.diff(C.indptr))
        self._side = _SparkSide(session, _frame_of_map(session, self.users_, _RAW_U, _U),
                                _frame_of_map(session, self.items_, _RAW_I, _I),
                                _frame_of_pairs(session, users, C.indices),
                                _frame_of_factors(session, self.user_factors_, "id"),
                                _frame_of_factors(session, self.item_factors_, "id"))
        return self._side

    def _item_factors_for_spark(self, side: _SparkSide) -> np.ndarray:
        if "item_factors_" in vars(self):
            return self.item_factors_
        return _collect_factors(side.item_factors, self.n_items_, int(self.factors))

    def rank_spark(self, users: Any = None, exclude: Any = None, k: int = 10,
                   block_bytes: int = 16 * 2**20) -> Any:
        """Top-``k`` item indices per user, ranked in Spark: DataFrame ``(user_idx, item_idx, score, rank)``.

        ``users``: a DataFrame with a column ``user_idx`` (default: every user of the
        model; a user Spark fitted no factors for, one without training interactions,
        is ranked with zero factors, as :meth:`recommend` ranks them); ``exclude``: a DataFrame ``(user_idx, item_idx)`` of pairs never
        returned (default: none). The item factors are broadcast; each partition of users
        is scored and ranked in blocks of ``block_bytes`` of scores by
        :func:`reclite.topk.topk`.
        """
        require_spark()
        from pyspark.sql import functions as F

        k = check_k(k)
        side = self._spark_state()
        Y = self._item_factors_for_spark(side)
        every = side.user_map.select(_U) if users is None else users.select(_U).distinct()
        zeros = F.array_repeat(F.lit(0.0).cast("float"), int(Y.shape[1]))
        ufac = (every.join(side.user_factors.withColumnRenamed("id", _U), _U, "left")
                .withColumn("features", F.coalesce(F.col("features"), zeros)))
        if exclude is not None:
            seen = exclude.groupBy(_U).agg(F.collect_list(_I).alias("exclude"))
            ufac = ufac.join(seen, _U, "left")
        else:
            ufac = ufac.withColumn("exclude", F.lit(None).cast("array<int>"))
        bc = side.session.sparkContext.broadcast(Y)
        fn = functools.partial(_rank_partition, factors=bc, k=int(k), block_bytes=int(block_bytes))
        return ufac.select(_U, "features", "exclude").mapInPandas(
            fn, schema=f"{_U} int, {_I} int, score float, rank int")

    def recommend_spark(self, k: int = 10, filter_seen: bool = True) -> Any:
        """Top-``k`` lists of every user, computed in Spark: DataFrame ``(user, item, score, rank)``.

        Raw ids; ``rank`` 1..k; seen items (the training pairs, kept in Spark) removed
        in Spark, never collected. Same lists as :meth:`recommend` (which ranks with
        the same kernel); a user with fewer than ``k`` unseen items gets them all. The
        DataFrame is lazy: write it (``.write.parquet(path)``) or collect what you need.
        """
        check_is_fitted_spark(self)
        filter_seen = check_bool(filter_seen, "filter_seen")
        side = self._spark_state()
        ranked = self.rank_spark(exclude=side.train if filter_seen else None, k=k)
        return (ranked.join(side.user_map, _U).join(side.item_map, _I)
                .select(_RAW_U, _RAW_I, "score", "rank"))

    def __sklearn_clone__(self) -> SparkALS:
        """``sklearn.base.clone``: every parameter copied, but the session shared (a SparkSession
        cannot be deep-copied, and a clone belongs in the same session)."""
        session = self.spark
        self.spark = None
        try:
            twin = super().__sklearn_clone__()
        finally:
            self.spark = session
        twin.spark = session
        return twin

    # ------------------------------------------------------------------ files
    def save(self, directory: Any) -> None:
        """Save to a model directory (factors in ``arrays.npz``; the ``spark`` session is not saved)."""
        from ._modelfile import save_model

        twin = copy.copy(self)
        twin.spark = None
        save_model(twin, directory)


def check_is_fitted_spark(model: SparkALS) -> None:
    """NotFittedError unless the model was fitted (locally or in Spark only) or loaded."""
    from sklearn.exceptions import NotFittedError

    if not (getattr(model, "_spark_only", None) or "seen_" in vars(model)):
        raise NotFittedError(f"This {type(model).__name__} instance is not fitted yet; call fit or fit_spark first")
