"""Recommender: the one estimator interface every model shares.

A model writes two methods; this base class does the rest once:

- ``_fit(C, data)`` learns state from the users x items confidence matrix ``C``
  (``csr_matrix``, float32, built from the ``confidence``/``alpha`` parameters) and
  the training :class:`~reclite.data.dataset.Dataset` (for side information).
- ``_score(user_idx, rows)`` returns dense float32 scores ``(len(user_idx), n_items)``
  for a batch of users. ``rows`` are the users' confidence rows (their history);
  ``user_idx`` is ``-1`` for a user the model never saw (``recommend_from_history``),
  in which case only ``rows`` describe them: their history weighed with the model's
  own confidence and training statistics, so a training user's history gives exactly
  their row of ``seen_``. An empty history never reaches ``_score``: it gets the
  popularity ranking.

Seen-item filtering, candidate restriction, exclusion, raw-id mapping, unknown users,
histories, save and load are done here once; the ranking loop they all go through
(cache-sized blocks within a memory budget, buffers reused from block to block, one
ranking thread per core for models that allow it: ``_score_into``,
``_score_threadsafe``; top-K) is :func:`reclite.models._ranking.rank_blocks`, and
histories are read into rows by :mod:`reclite.models._history`.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._typing import INDEX_DTYPE, VALUE_DTYPE, FloatArray, IntArray
from .._validation import check_bool, check_k, check_option
from ..data.dataset import Dataset
from ..errors import DataError, DataWarning, ParameterError, ParameterTypeError, RecliteError
from ._fitted import FittedDecl, array, csr, idmap, json_value
from ._history import history_matrix, history_of_ids
from ._ranking import candidate_mask, check_indices, n_recommendable, place_rows, popular_lists, rank_blocks

if TYPE_CHECKING:
    from ..confidence import ConfidenceStatistics

__all__ = ["Recommender", "load_model"]

_MISSING: Any = object()  # "not given" for a parameter whose None has a meaning


def as_dataset(data: Dataset | sp.spmatrix | sp.sparray) -> Dataset:
    """A Dataset as given, or one made from a users x items sparse matrix (ids = indices)."""
    if isinstance(data, Dataset):
        return data
    if sp.issparse(data):
        return Dataset.from_matrix(data)
    raise ParameterTypeError(f"fit expects a reclite Dataset or a users x items scipy sparse matrix, "
                             f"got {type(data).__name__}")


class Recommender(BaseEstimator):
    """Base class of every reclite model (an sklearn estimator).

    Subclasses name every parameter in their own ``__init__`` (including
    ``confidence``, ``alpha`` and ``confidence_params``), store them verbatim and
    validate them in ``_check_params`` (through :mod:`reclite._validation`), which
    ``fit`` calls before any work: a parameter that cannot work raises
    :class:`~reclite.errors.ParameterError` (or ``ParameterTypeError``) naming it,
    before the confidence matrix is built and before an earlier fit is forgotten.

    Attributes
    ----------
    n_users_, n_items_ : int
        Shape of the training matrix.
    users_, items_ : IdMap
        Raw ids of the training users and items.
    seen_ : csr_matrix of shape (n_users_, n_items_), float32
        The training confidences. Recommenders need their training data at
        prediction time (to filter seen items and as each user's history), so it is
        kept openly here (the sklearn guide's stated exception).
    item_popularity_ : ndarray of shape (n_items_,), int64
        Distinct training users per item (the fallback for unknown users and empty
        histories; also the ``pop`` confidence component's statistic).
    confidence_stats_ : dict
        JSON part of the confidence expression's training statistics
        (:class:`~reclite.confidence.ConfidenceStatistics`): ``n_items``,
        ``unit_values``, ``maxima`` (the training maximum of each scaled component
        the expression uses), ``n_genres``.
    confidence_item_sums_ : ndarray of shape (n_items_,), float64
        Sum of each item's training values (BM25 length normalisation).
    confidence_years_ : ndarray of shape (n_items_,), float64
        Item release years, NaN when unknown (the ``era`` component).
    confidence_genre_indptr_, confidence_genre_indices_ : ndarray of int64 / int32
        The items x genres membership in CSR form (the ``genre`` component).
    """

    #: the fitted attributes every model has (kind, dtype, shape; see ``models/_fitted.py``);
    #: each subclass declares its own the same way, and model files are checked against them
    _fitted_attributes: ClassVar[FittedDecl] = {
        "n_users_": json_value("int", minimum=0),
        "n_items_": json_value("int", minimum=0),
        "users_": idmap("n_users_"),
        "items_": idmap("n_items_"),
        "item_popularity_": array("int64", "n_items_"),
        "seen_": csr("float32", "n_users_", "n_items_"),
        # what the confidence expression learned from the training data, for histories
        # (reclite.confidence.ConfidenceStatistics)
        "confidence_stats_": json_value("dict"),
        "confidence_item_sums_": array("float64", "n_items_"),
        "confidence_years_": array("float64", "n_items_"),
        "confidence_genre_indptr_": array("int64", "n_items_+1"),
        "confidence_genre_indices_": array("int32", "any"),
    }

    #: How the confidence ``1 + alpha * f`` reaches the model. ``"hkv"``: as it is (Hu,
    #: Koren & Volinsky's confidence, which ALS reads as a weight on the squared error).
    #: ``"unit"``: divided by ``1 + alpha``, so that binary confidence stores exactly 1
    #: at any ``alpha`` and a non-binary expression only changes the relative weights
    #: (each stored value is ``(1 + alpha * f) / (1 + alpha)``, in ``(1/(1+alpha), 1]``).
    #: Models whose parameters are on the scale of the data matrix (EASE's ``l2``, kNN's
    #: ``shrinkage``) use ``"unit"``, so those parameters mean what the literature means.
    confidence_scaling: ClassVar[Literal["hkv", "unit"]] = "hkv"
    #: ``_score(user_idx, rows, out=buf)`` writes the scores of a batch of known users
    #: into ``out`` (float32, C-contiguous, shape ``(len(user_idx), n_items_)``, reused from
    #: batch to batch) and returns it: ranking then allocates one block per ranking thread
    #: instead of one per batch
    _score_into: ClassVar[bool] = False
    #: ``_score`` of known users may run in several threads at once, each on its own batch
    #: and buffer: it does NumPy/BLAS work that releases the GIL and calls no numba-parallel
    #: kernel. Ranking then runs one thread per numba thread, each scoring a block with one
    #: BLAS thread and ranking it at once (serial top-k) while it is in its core's cache;
    #: no block is handed from BLAS's thread pool to numba's, whose idle threads spin and
    #: slow each other (measured: 2-3x the product's time on the competition shape)
    _score_threadsafe: ClassVar[bool] = False
    #: can score a user from a history alone (user_idx == -1 in ``_score``)
    supports_history: bool = True
    #: has item-item similarities (``_similar``)
    supports_similar_items: bool = False

    # ------------------------------------------------------------------ fit
    def fit(self, data: Dataset | sp.spmatrix) -> Recommender:
        """Fit on a Dataset (or a users x items sparse matrix); returns ``self``.

        Any earlier fit is forgotten: a second ``fit`` starts from scratch. Parameters
        are checked first (``_check_params``); a bad one raises
        :class:`~reclite.errors.ParameterError` and leaves the model as it was.
        """
        ds = as_dataset(data)
        self._check_params()
        if len(ds) == 0:
            raise DataError(f"{ds.name or 'data'}: no interactions to fit on")
        for key in [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]:
            delattr(self, key)
        C, stats = self._confidence_matrix(ds)
        self.n_users_ = ds.n_users
        self.n_items_ = ds.n_items
        self.users_ = ds.users
        self.items_ = ds.items
        self.item_popularity_ = stats.item_users  # distinct training users per item
        # what the confidence expression learned from the whole training data, kept so a
        # history is weighed exactly as the training rows were (see recommend_from_history)
        for name, value in stats.to_attributes().items():
            setattr(self, f"confidence_{name}_", value)
        self._fit(C, ds)
        self.seen_ = C  # set last: the model counts as fitted only once _fit succeeded
        return self

    def _confidence_matrix(self, ds: Dataset) -> tuple[sp.csr_matrix, ConfidenceStatistics]:
        """The training confidence matrix and the statistics it was weighed with."""
        spec = getattr(self, "confidence", "binary")
        alpha = getattr(self, "alpha", 1.0)
        params = getattr(self, "confidence_params", None)
        from ..confidence import fit_confidence

        C, stats = fit_confidence(ds, spec, alpha=alpha, params=params)
        C = self._scaled(sp.csr_matrix(C, dtype=VALUE_DTYPE))
        C.sort_indices()
        return C, stats

    def _scaled(self, C: sp.csr_matrix) -> sp.csr_matrix:
        """``C`` as this model receives it (see ``confidence_scaling``); in place."""
        if self.confidence_scaling == "unit":
            # divide by the float32 value binary confidence stores, so binary gives exactly 1
            C.data /= np.float32(1.0 + float(getattr(self, "alpha", 1.0)))
        return C

    def _check_params(self) -> None:
        """Check every model parameter (``confidence``, ``alpha`` and
        ``confidence_params`` are checked when the confidence matrix is built).

        Called by ``fit`` before any work; raises
        :class:`~reclite.errors.ParameterError` naming the parameter, its value and
        what was expected. Subclasses with parameters override it.
        """

    def _fit(self, C: sp.csr_matrix, data: Dataset) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _score(self, user_idx: IntArray, rows: sp.csr_matrix) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _similar(self, item_idx: IntArray) -> np.ndarray:  # pragma: no cover
        raise RecliteError(f"{type(self).__name__} has no item similarities; similar_items is not available")

    # ------------------------------------------------------------------ scoring
    def score_indices(self, user_idx: Any) -> FloatArray:
        """Dense scores ``(len(user_idx), n_items_)`` for known users (no filtering)."""
        check_is_fitted(self)
        uidx = self._check_user_idx(user_idx)
        return np.asarray(self._score(uidx, self.seen_[uidx]), dtype=VALUE_DTYPE)

    def _check_user_idx(self, user_idx: Any) -> IntArray:
        return check_indices(user_idx, self.n_users_, "user_idx")

    def _candidate_mask(self, items: Any, exclude: Any) -> np.ndarray | None:
        """Candidate item indices (or a boolean mask) and excluded item indices as one mask."""
        return candidate_mask(self.n_items_, items, exclude)

    def _n_recommendable(self, cand: np.ndarray | None) -> int:
        """How many items a list can hold: every item, or the candidates left."""
        return n_recommendable(self.n_items_, cand)

    def recommend_indices(
        self,
        user_idx: Any = None,
        k: int = 10,
        *,
        filter_seen: bool = True,
        items: Any = None,
        exclude: Any = None,
        max_memory: int | str | None = None,
        show_progress: bool = False,
    ) -> tuple[IntArray, FloatArray]:
        """Top-``k`` item indices and scores for users given by index.

        Parameters
        ----------
        user_idx : array-like of int, optional
            Users (indices into ``users_``); all users when None.
        k : int, default=10
            List length: a positive integer (a float, a bool or a value below 1
            raises :class:`~reclite.errors.ParameterError` naming ``k``), clamped
            to the number of items that can be recommended (``n_items_``, or the
            candidates left), so a huge ``k`` costs no more than the catalogue.
        filter_seen : bool, default=True
            Never return an item the user has in training.
        items : array-like of int or bool mask, optional
            Candidate items: only these are ranked.
        exclude : array-like of int, or csr_matrix of shape (n_users_, n_items_), optional
            Items never returned: item indices for everyone, or per user as the
            stored entries of a users x items matrix (e.g. the training data when the
            model was fitted on something else).
        max_memory : int or str, optional
            Upper bound on the dense score blocks alive at once (default
            ``DEFAULT_MAX_MEMORY``); blocks are cache-sized (:func:`~reclite.models._ranking.block_size`).
            Results do not depend on it.

        Returns
        -------
        idx : ndarray (n, min(k, n_recommendable)) int32, ``-1`` where fewer items are eligible
        scores : ndarray of the same shape, float32, ``-inf`` in padded slots
        """
        check_is_fitted(self)
        k = check_k(k)
        filter_seen = check_bool(filter_seen, "filter_seen")
        show_progress = check_bool(show_progress, "show_progress")
        uidx = (np.arange(self.n_users_, dtype=INDEX_DTYPE) if user_idx is None
                else self._check_user_idx(user_idx))
        ex_matrix = None
        ex_items = exclude
        if exclude is not None and sp.issparse(exclude):
            ex_matrix = sp.csr_matrix(exclude)
            if ex_matrix.shape != (self.n_users_, self.n_items_):
                raise ParameterError(f"exclude: a matrix of shape {ex_matrix.shape}, expected "
                                     f"{(self.n_users_, self.n_items_)}")
            ex_items = None
        cand = self._candidate_mask(items, ex_items)

        every = user_idx is None  # all users in order: their rows are slices

        def block(start: int, stop: int, out: np.ndarray | None = None) -> tuple[np.ndarray, sp.csr_matrix | None]:
            ub = uidx[start:stop]
            rows = self.seen_[start:stop] if every else self.seen_[ub]
            score: Any = self._score  # models with _score_into take an out= buffer
            scores = score(ub, rows) if out is None else score(ub, rows, out=out)
            excl = rows if filter_seen else None
            if ex_matrix is not None:
                extra = ex_matrix[start:stop] if every else ex_matrix[ub]
                excl = extra if excl is None else (excl + extra)
            return scores, excl

        return rank_blocks(len(uidx), self.n_items_, k, block, cand, max_memory, show_progress,
                           buffered=self._score_into, threaded=self._score_threadsafe, who=type(self).__name__)

    # ------------------------------------------------------------------ raw ids
    def recommend(
        self,
        users: Any = None,
        k: int = 10,
        filter_seen: bool = True,
        items: Any = None,
        exclude: Any = None,
        on_unknown: Literal["raise", "popular"] = "raise",
        max_memory: int | str | None = None,
        show_progress: bool = False,
    ) -> pd.DataFrame:
        """Top-``k`` recommendations in raw ids.

        Parameters
        ----------
        users : array-like of raw user ids, optional
            All training users when None.
        k : int, default=10
            A positive integer, clamped to the number of items that can be
            recommended (see :meth:`recommend_indices`).
        filter_seen : bool, default=True
        items : array-like of raw item ids, optional
            Candidate items; unknown ids raise.
        exclude : array-like of raw item ids, or Dataset, optional
            Items never recommended: raw item ids for everyone (unknown ids are
            ignored), or a Dataset whose interactions are excluded per user, matched
            by raw ids (e.g. the full history when the model was fitted on part of
            it; users and items the model does not know are ignored).
        on_unknown : {"raise", "popular"}, default="raise"
            Users the model never saw raise :class:`~reclite.errors.UnknownIdError`
            naming them, or get the most popular items (with a DataWarning that
            gives their count).

        Returns
        -------
        DataFrame with columns ``user, item, score, rank`` (rank starts at 1); a user
        with fewer than ``k`` eligible items has fewer rows.
        """
        check_is_fitted(self)
        k = check_k(k)
        check_option(on_unknown, "on_unknown", ("raise", "popular"))
        if users is None:
            raw_users = self.users_.ids
            uidx = np.arange(self.n_users_, dtype=INDEX_DTYPE)
        else:
            raw_users = np.atleast_1d(np.asarray(users))
            uidx = self.users_.to_index(raw_users, missing="raise" if on_unknown == "raise" else "negative")
        cand = None if items is None else self.items_.to_index(np.atleast_1d(np.asarray(items)))
        ex_rows = self._interaction_rows(exclude, raw_users) if isinstance(exclude, Dataset) else None
        excl = None if exclude is None or ex_rows is not None else self.items_.to_index(
            np.atleast_1d(np.asarray(exclude)), missing="skip")
        known = uidx >= 0
        k = min(k, self._n_recommendable(self._candidate_mask(cand, excl)))
        idx = np.full((len(uidx), k), -1, dtype=INDEX_DTYPE)
        score = np.full((len(uidx), k), -np.inf, dtype=VALUE_DTYPE)
        if known.any() and k > 0:
            kn = np.flatnonzero(known)  # recommend_indices takes exclusion rows in the model's user space
            ex_known = excl if ex_rows is None else place_rows(ex_rows[kn], uidx[kn], self.n_users_)
            i, s = self.recommend_indices(uidx[kn], k, filter_seen=filter_seen, items=cand,
                                          exclude=ex_known, max_memory=max_memory,
                                          show_progress=show_progress)
            idx[known], score[known] = i, s
        if not known.all() and k > 0:
            n_unknown = int((~known).sum())
            warnings.warn(f"{n_unknown:,} unknown user{'s' if n_unknown != 1 else ''} "
                          "got the most popular items", DataWarning, stacklevel=2)
            unk = np.flatnonzero(~known)  # one list for all of them, or each with their own exclusions
            idx[unk], score[unk] = popular_lists(self.item_popularity_, k, self._candidate_mask(cand, excl),
                                                 None if ex_rows is None else ex_rows[unk], len(unk), max_memory)
        return self._frame(raw_users, idx, score)

    def _interaction_rows(self, data: Dataset, raw_users: np.ndarray) -> sp.csr_matrix:
        """Each requested user's items in ``data``, as rows over the model's items (raw-id matched)."""
        d = data.users.to_index(raw_users, missing="negative")
        has = np.flatnonzero(d >= 0)
        pick = sp.csr_matrix((np.ones(len(has), dtype=VALUE_DTYPE), (has, d[has])),
                             shape=(len(raw_users), data.n_users))
        cols = self.items_.to_index(data.items.ids, missing="negative")
        keep = np.flatnonzero(cols >= 0)
        to_model = sp.csr_matrix((np.ones(len(keep), dtype=VALUE_DTYPE), (keep, cols[keep])),
                                 shape=(data.n_items, self.n_items_))
        M = data.matrix()
        M.data[:] = 1.0
        rows = sp.csr_matrix(pick @ M @ to_model)
        rows.sort_indices()
        return rows

    def _frame(self, raw_users: np.ndarray, idx: np.ndarray, score: np.ndarray) -> pd.DataFrame:
        k = idx.shape[1]
        valid = idx >= 0
        rows = np.repeat(np.arange(len(raw_users)), k).reshape(idx.shape)
        ranks = np.broadcast_to(np.arange(1, k + 1, dtype=np.int32), idx.shape)
        return pd.DataFrame({
            "user": np.asarray(raw_users)[rows[valid]],
            "item": self.items_.to_raw(idx[valid]),
            "score": score[valid],
            "rank": ranks[valid],
        })

    # ------------------------------------------------------------------ histories
    _CONFIDENCE_ATTRIBUTES = ("stats", "item_sums", "years", "genre_indptr", "genre_indices")

    def _confidence_statistics(self) -> ConfidenceStatistics:
        """The confidence statistics learned at fit, rebuilt from the fitted attributes."""
        from ..confidence import ConfidenceStatistics

        attrs = {name: getattr(self, f"confidence_{name}_", None) for name in self._CONFIDENCE_ATTRIBUTES}
        missing = [f"confidence_{name}_" for name, value in attrs.items() if value is None]
        if missing:
            raise RecliteError(f"{type(self).__name__} has no confidence statistics ({', '.join(missing)}): "
                               "it was fitted by an older reclite; fit it again to score histories")
        return ConfidenceStatistics.from_attributes(attrs, self.item_popularity_)

    def _weigh_history(self, H: sp.csr_matrix, times: np.ndarray | None, values_given: bool = True
                       ) -> sp.csr_matrix:
        """Confidence rows of histories: ``H`` holds the interaction values (sorted indices, no
        duplicates), ``times`` their timestamps aligned with ``H.data`` (or None).

        The weights are the model's own confidence, computed with the statistics of
        the training data (``confidence_*_``), so a training user's history gets
        exactly their row of ``seen_``.
        """
        from ..confidence import READS_VALUES, apply_confidence, parse_confidence

        spec = getattr(self, "confidence", "binary")
        expr = parse_confidence(spec)
        stats = self._confidence_statistics()
        if H.nnz:
            name = f"{type(self).__name__}(confidence={spec!r})"
            if "time" in expr.components and times is None:
                raise ParameterError(f"{name} weighs each history item by its recency: pass times, "
                                     "one timestamp per history item")
            reads = [c for c in expr.components if c in READS_VALUES]
            if reads and not values_given and not stats.unit_values:
                warnings.warn(
                    f"{name} weighs each history item by its value ({', '.join(reads)}) and was fitted on "
                    "values other than 1, but no values were given: each history item counts as value 1; "
                    "pass values (one rating or play count per history item)", DataWarning, stacklevel=3)
        W = apply_confidence(stats, H, expr, alpha=getattr(self, "alpha", 1.0),
                             params=getattr(self, "confidence_params", None), times=times,
                             source="the history")
        return self._scaled(sp.csr_matrix(W, dtype=VALUE_DTYPE))

    def _history_rows(self, history: sp.spmatrix, times: Any = None) -> sp.csr_matrix:
        """Confidence rows of users described by a users x items matrix of interaction values
        (and optionally the matrix of their timestamps; see :func:`._history.history_matrix`)."""
        return self._weigh_history(*history_matrix(history, times, self.n_items_))

    def _rank_history(self, H: sp.csr_matrix, k: int, filter_seen: bool, items: Any,
                      max_memory: int | str | None, show_progress: bool) -> tuple[IntArray, FloatArray]:
        """Top-k of confidence rows ``H``; a row without items gets the popularity ranking."""
        cand = self._candidate_mask(items, None)
        pop = self.item_popularity_.astype(VALUE_DTYPE)

        def block(start: int, stop: int) -> tuple[np.ndarray, sp.csr_matrix | None]:
            rows = H[start:stop]
            empty = np.diff(rows.indptr) == 0
            if not empty.any():
                scores = self._score(np.full(stop - start, -1, dtype=INDEX_DTYPE), rows)
            else:  # the popularity ranking for empty rows, the model's scores for the others
                scores = np.empty((stop - start, self.n_items_), dtype=VALUE_DTYPE)
                scores[empty] = pop
                full = np.flatnonzero(~empty)
                if len(full):
                    part = np.asarray(self._score(np.full(len(full), -1, dtype=INDEX_DTYPE), rows[full]))
                    if part.shape != (len(full), self.n_items_):
                        raise RuntimeError(f"{type(self).__name__}._score returned shape {part.shape}, "
                                           f"expected {(len(full), self.n_items_)}")
                    scores[full] = part
            return scores, (rows if filter_seen else None)

        return rank_blocks(H.shape[0], self.n_items_, k, block, cand, max_memory, show_progress,
                           who=type(self).__name__)

    def recommend_indices_from_history(
        self,
        history: sp.spmatrix,
        k: int = 10,
        *,
        filter_seen: bool = True,
        items: Any = None,
        times: Any = None,
        max_memory: int | str | None = None,
        show_progress: bool = False,
    ) -> tuple[IntArray, FloatArray]:
        """Top-``k`` item indices and scores for users the model never saw.

        Each history row is weighed with the model's own confidence, exactly as the
        training rows were (see :meth:`recommend_from_history`).

        Parameters
        ----------
        history : sparse matrix of shape (n, n_items_)
            Row ``r``'s stored entries are the items of new user ``r`` and their
            values are the interaction values (ratings, play counts), as in
            ``Dataset.matrix()``; repeated entries are summed. So
            ``recommend_indices_from_history(train.matrix()[users], times=...)`` gives
            training users their ``recommend_indices(users)`` lists (for every model
            whose scores depend on the user's row only).
        k, filter_seen, items, max_memory, show_progress
            As in :meth:`recommend_indices`; ``filter_seen`` drops each user's history.
        times : sparse matrix of shape (n, n_items_), optional
            Each interaction's timestamp, stored where ``history`` has an entry;
            needed when the confidence uses ``time``.

        Returns
        -------
        idx : ndarray (n, k) int32 ; scores : ndarray (n, k) float32

        Notes
        -----
        A row without items gets the most popular items (distinct training users,
        as :class:`~reclite.models.popularity.Popularity` ranks them; their score is
        that count), with a :class:`~reclite.errors.DataWarning` giving how many rows.
        """
        check_is_fitted(self)
        if not self.supports_history:
            raise RecliteError(f"{type(self).__name__} cannot recommend from a history")
        k = check_k(k)  # clamped to the recommendable items in rank_blocks
        H = self._history_rows(history, times)
        n_empty = int(np.count_nonzero(np.diff(H.indptr) == 0))
        if n_empty:
            warnings.warn(f"{n_empty:,} history row{'s' if n_empty != 1 else ''} without items got the most "
                          "popular items", DataWarning, stacklevel=2)
        return self._rank_history(H, int(k), filter_seen, items, max_memory, show_progress)

    def recommend_from_history(
        self, history: Any = _MISSING, k: int = 10, filter_seen: bool = True, candidates: Any = None, *,
        values: Any = None, times: Any = None, items: Any = _MISSING,
    ) -> pd.DataFrame:
        """Recommend for a user the model never saw, from the raw ids of their items.

        The history is weighed with the model's own confidence expression, using the
        statistics the model learned from its training data (item popularity, genres,
        release years, BM25 lengths and the scale of value-based components): for a
        training user ``u``, ``recommend_from_history(u's items, values=u's values,
        times=u's times)`` gives exactly ``recommend([u])``'s list for every model
        whose scores are a function of the user's row (Popularity, GenreTopN, ItemKNN,
        EASE, RP3beta; UserKNN when ``k_neighbors`` reaches every user, since a training
        user with the same history is a neighbour of the history but not of
        themselves). Models with learned per-user parameters (ALS, BPR, LMF, the
        Surprise models) fold the history in instead (see each class), from the same
        confidence row.

        Parameters
        ----------
        history : array-like of raw item ids
            The user's items. Items the model does not know are ignored (with a
            DataWarning); an item given twice counts once, with its latest time (by
            ``times``, then the order given) and that occurrence's value.
        k : int, default=10
        filter_seen : bool, default=True
            Never return a history item.
        candidates : array-like of raw item ids, optional
            Only these items are ranked.
        values : array-like of float, optional
            The value of each history item (rating, play count), aligned with
            ``history``. Without them each item has value 1, as in a Dataset without
            values; when the confidence reads values (``value``, ``log``, ``bm25``,
            ``tfidf``) and the model was fitted on values other than 1, that warns
            (DataWarning), since the history is then not weighed as the training data was.
        times : array-like of int, optional
            The timestamp of each history item, aligned with ``history``; needed when
            the confidence uses ``time`` (recency cannot be known without them).
        items : array-like, deprecated
            The old name of ``history``; warns with a DeprecationWarning.

        Returns
        -------
        DataFrame with columns ``item, score, rank``.

        Raises
        ------
        ParameterError
            ``values``/``times`` not one per history item or not numbers/integers;
            no ``times`` for a confidence that uses ``time`` (recency cannot be
            reproduced from the items alone); a negative or non-finite value for a
            value-based component.

        Notes
        -----
        An empty history, or one of items the model does not know only, gets the most
        popular items (as :class:`~reclite.models.popularity.Popularity` ranks them),
        with a DataWarning saying so.
        """
        check_is_fitted(self)
        if items is not _MISSING:
            if history is not _MISSING:
                raise ParameterTypeError("recommend_from_history got both history and its deprecated name items; "
                                         "pass history only")
            warnings.warn("recommend_from_history(items=...) is deprecated: the parameter is now called "
                          "history", DeprecationWarning, stacklevel=2)
            history = items
        if history is _MISSING:
            raise ParameterTypeError("recommend_from_history() missing required argument: 'history' (the raw "
                                     "ids of the user's items)")
        if not self.supports_history:
            raise RecliteError(f"{type(self).__name__} cannot recommend from a history")
        k = check_k(k)
        H, tms, n_unknown = history_of_ids(history, values, times, self.items_)
        if n_unknown:
            warnings.warn(f"{n_unknown} history items unknown to the model were ignored", DataWarning, stacklevel=2)
        if H.nnz == 0:
            warnings.warn("the history has no item the model knows: it got the most popular items",
                          DataWarning, stacklevel=2)
        rows = self._weigh_history(H, tms, values_given=values is not None)
        cand = None if candidates is None else self.items_.to_index(np.atleast_1d(np.asarray(candidates)))
        i, s = self._rank_history(rows, int(k), filter_seen, cand, None, False)
        valid = i[0] >= 0
        return pd.DataFrame({"item": self.items_.to_raw(i[0][valid]), "score": s[0][valid],
                             "rank": np.arange(1, valid.sum() + 1, dtype=np.int32)})

    def similar_items(self, items: Any, k: int = 10) -> pd.DataFrame:
        """The ``k`` items most similar to each given item (raw ids), itself excluded.

        ``k`` is a positive integer, clamped to ``n_items_ - 1`` (every other item).
        Returns a DataFrame with columns ``item, similar, score, rank``.
        """
        check_is_fitted(self)
        k = check_k(k, self.n_items_ - 1)
        if not self.supports_similar_items:
            raise RecliteError(f"{type(self).__name__} has no item similarities; similar_items is not available")
        raw = np.atleast_1d(np.asarray(items))
        iidx = self.items_.to_index(raw)
        from ..topk import topk

        sims = np.asarray(self._similar(iidx), dtype=VALUE_DTYPE)
        self_ex = sp.csr_matrix((np.ones(len(iidx), dtype=VALUE_DTYPE), iidx, np.arange(len(iidx) + 1)),
                                shape=(len(iidx), self.n_items_))
        if k == 0:  # a one-item catalogue: nothing else to list
            i, s = np.empty((len(iidx), 0), dtype=INDEX_DTYPE), np.empty((len(iidx), 0), dtype=VALUE_DTYPE)
        else:
            i, s = topk(sims, k, exclude=self_ex)
        frame = self._frame(raw, i, s)
        return frame.rename(columns={"user": "item", "item": "similar"})

    # ------------------------------------------------------------------ files
    def save(self, directory: Any) -> None:
        """Save to a model directory (``arrays.npz`` + JSON; never pickle), atomically."""
        from ._modelfile import save_model

        save_model(self, directory)

    @classmethod
    def load(cls, directory: Any) -> Recommender:
        """Load a model directory written by :meth:`save` (no code is run)."""
        from ._modelfile import load_model as _load

        model = _load(directory)
        if cls is not Recommender and not isinstance(model, cls):
            raise RecliteError(f"{directory} holds a {type(model).__name__}, not a {cls.__name__}")
        return model

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "seen_")


def load_model(directory: Any) -> Recommender:
    """Load any model directory written by ``Recommender.save``."""
    from ._modelfile import load_model as _load

    return _load(directory)
