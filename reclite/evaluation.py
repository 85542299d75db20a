"""Full-ranking evaluation in bounded memory: a model (or a table of lists) against a test set.

Every test user is ranked against every item (their training items excluded, and the
items of any ``exclude=`` Datasets), in cache-sized blocks of users (``max_memory`` is
their upper bound), so no users x items matrix is ever built whole. The top ``max(k)``
items per user are computed once; every cut-off and every
metric comes from those lists in one numba pass (:mod:`reclite.metrics`).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import metrics as _m
from ._typing import INDEX_DTYPE
from ._validation import check_bool, check_cutoffs, check_option, parse_memory
from .data.dataset import Dataset
from .errors import DataError, DataWarning, ParameterError, ParameterTypeError, RecliteError

__all__ = ["evaluate", "evaluate_recommendations", "METRICS", "DEFAULT_METRICS"]

log = logging.getLogger(__name__)

METRICS = _m.METRICS
"""Names accepted in ``metrics=``: the accuracy metrics, then coverage, novelty, popularity."""
DEFAULT_METRICS = _m.METRICS
"""What ``metrics=None`` computes: all of :data:`METRICS`."""


# ---------------------------------------------------------------------- helpers
def _same_map(a: Any, b: Any) -> bool:
    return a is b or a == b


def _check_pair(train: Dataset, test: Dataset) -> None:
    for name, d in (("train", train), ("test", test)):
        if not isinstance(d, Dataset):
            raise ParameterTypeError(f"{name} must be a reclite Dataset, got {type(d).__name__}")
    if not (_same_map(train.users, test.users) and _same_map(train.items, test.items)):
        raise DataError("train and test do not share their user and item maps; make both with "
                        "one of the reclite.split functions (or Dataset.subset) of one Dataset")


def _test_rows(test: Dataset) -> tuple[np.ndarray, sp.csr_matrix]:
    """Users with at least one test item, and their test rows (aligned)."""
    T = test.matrix(copy=False)  # read only: its rows are taken below
    users = np.flatnonzero(np.diff(T.indptr)).astype(INDEX_DTYPE)
    return users, T[users]


def _summary(
    acc: dict[str, np.ndarray], beyond: dict[str, Any], names: list[str], ks: list[int], n_users: int,
) -> pd.DataFrame:
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nanmean of an all-NaN column -> NaN
        for kk in ks:
            row: dict[str, Any] = {"k": kk, "n_users": n_users}
            for m in names:
                lab = _m.label(m, kk)
                v = acc[lab] if lab in acc else beyond[lab]
                row[m] = float(v) if np.ndim(v) == 0 else (float(np.nanmean(v)) if len(v) else float("nan"))
            rows.append(row)
    return pd.DataFrame(rows, columns=["k", "n_users", *names])


def _per_user_frame(
    raw_users: np.ndarray, n_test: np.ndarray, acc: dict[str, np.ndarray], beyond: dict[str, Any],
    names: list[str], ks: list[int],
) -> pd.DataFrame:
    cols: dict[str, Any] = {"user": raw_users, "n_test": n_test}
    for kk in ks:
        for m in names:
            if m == "coverage":
                continue  # a catalogue-level number, not per user
            lab = _m.label(m, kk)
            cols[lab] = acc[lab] if lab in acc else beyond[lab]
    return pd.DataFrame(cols)


def _score_lists(
    topk: np.ndarray, T: sp.csr_matrix, train: Dataset | None, names: list[str], ks: list[int],
    n_items: int,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    acc_names = [m for m in names if m in _m.ACCURACY_METRICS]
    acc = _m.ranking_metrics(topk, T, ks, acc_names) if acc_names else {}
    beyond: dict[str, Any] = {}
    if "coverage" in names:
        for kk in ks:
            beyond[_m.label("coverage", kk)] = _m.coverage(topk, n_items, kk)
    rest = [m for m in names if m in ("novelty", "popularity")]
    if rest:
        beyond.update(_m.beyond_accuracy_metrics(topk, train, ks, rest))
    return acc, beyond


def _results(
    topk: np.ndarray, users: np.ndarray, T: sp.csr_matrix, test: Dataset, train: Dataset | None,
    names: list[str], ks: list[int], n_items: int, per_user: bool,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Metrics of the lists of ``users`` (rows of ``T``): the summary, and per user if asked."""
    acc, beyond = _score_lists(topk, T, train, names, ks, n_items=n_items)
    summary = _summary(acc, beyond, names, ks, len(users))
    if not per_user:
        return summary
    n_test = np.diff(T.indptr).astype(np.int64)
    return summary, _per_user_frame(test.users.to_raw(users), n_test, acc, beyond, names, ks)


def _check_exclude(exclude: Any) -> list[Dataset]:
    """``exclude=`` as a list of Datasets (empty for None), checked before any work."""
    if exclude is None:
        return []
    if isinstance(exclude, Dataset):
        return [exclude]
    if isinstance(exclude, (str, bytes)) or not isinstance(exclude, Iterable):
        raise ParameterTypeError(f"exclude must be a reclite Dataset or a list of them, got "
                                 f"{type(exclude).__name__}")
    found = list(exclude)
    bad = [d for d in found if not isinstance(d, Dataset)]
    if bad:
        raise ParameterTypeError(f"exclude must be a reclite Dataset or a list of them, got a "
                                 f"{type(bad[0]).__name__} in the list")
    return found


def _excluded_rows(model: Any, excludes: list[Dataset], train: Dataset, test_users: np.ndarray,
                   T: sp.csr_matrix) -> sp.csr_matrix | None:
    """Every user's items in the ``exclude`` Datasets, as a users x items matrix in train's
    index space (raw-id matched; users and items train does not know are ignored)."""
    if not excludes:
        return None
    rows = None
    for d in excludes:
        r = model._interaction_rows(d, train.users.ids)  # one row per train user, model's items
        rows = r if rows is None else rows + r
    rows = sp.csr_matrix(rows)
    rows.data[:] = 1.0
    n_clash = int(T.multiply(rows[test_users]).nnz) if len(test_users) else 0
    if n_clash:
        warnings.warn(f"exclude holds {n_clash:,} of test's (user, item) pairs: those items are never "
                      "ranked, so they count as misses", DataWarning, stacklevel=3)
    return rows


def _fitted(model: Any) -> bool:
    probe = getattr(model, "__sklearn_is_fitted__", None)
    return bool(probe()) if probe is not None else hasattr(model, "seen_")


def _seen_equals(model: Any, train_csr: sp.csr_matrix) -> bool:
    """True when the model's stored training rows hold exactly train's (user, item) pairs."""
    seen = getattr(model, "seen_", None)
    if seen is None or not sp.issparse(seen) or seen.shape != train_csr.shape:
        return False
    seen = sp.csr_matrix(seen)
    if seen.nnz != train_csr.nnz or not seen.has_sorted_indices:
        return False
    return bool(np.array_equal(seen.indptr, train_csr.indptr)
                and np.array_equal(seen.indices, train_csr.indices))


def _candidates(items: Any, train: Dataset, test: Dataset) -> np.ndarray | None:
    """``items=`` of :func:`evaluate` as item indices to rank (None: every item)."""
    if isinstance(items, str):
        if items == "all":
            return None
        if items == "test":
            return np.unique(test.item_idx).astype(INDEX_DTYPE)
        raise ParameterError(f"items must be 'all', 'test' or a list of item ids, got {items!r}")
    if items is None:
        return None
    return train.items.to_index(np.atleast_1d(np.asarray(items)))


def _check_groups(user_groups: Any) -> list[tuple[str, tuple[int, int | None]]] | None:
    """``user_groups=`` as (label, (lo, hi)) pairs, checked."""
    if user_groups is None:
        return None
    if not isinstance(user_groups, Mapping) or not user_groups:
        raise ParameterTypeError(f"user_groups must be a non-empty dict of label -> (min, max) training "
                                 f"interactions, e.g. {{'<=5': (1, 5), '>5': (6, None)}}, got {user_groups!r}")
    out = []
    for label, rng in user_groups.items():
        ok = (isinstance(rng, (tuple, list)) and len(rng) == 2 and isinstance(rng[0], (int, np.integer))
              and not isinstance(rng[0], bool) and rng[0] >= 0
              and (rng[1] is None or (isinstance(rng[1], (int, np.integer)) and not isinstance(rng[1], bool)
                                      and rng[1] >= rng[0])))
        if not ok:
            raise ParameterError(f"user_groups[{label!r}] must be (min, max) training interactions with "
                                 f"0 <= min <= max (max None: no bound), got {rng!r}")
        out.append((str(label), (int(rng[0]), None if rng[1] is None else int(rng[1]))))
    return out


def _fold_in_lists(
    model: Any, users: np.ndarray, fold_in: Dataset, k: int, max_memory: Any, cand: np.ndarray | None = None,
) -> np.ndarray:
    """Top-k for users the model never saw, each described only by their fold-in items
    (``Recommender.recommend_indices_from_history``, batched within ``max_memory``)."""
    if not getattr(model, "supports_history", False):
        raise RecliteError(f"{type(model).__name__} cannot rank from a history alone, so it cannot "
                           "be evaluated with fold_in (strong generalization)")
    times = None
    if fold_in.has_time:  # for a confidence that weighs items by recency ("time")
        times = sp.csr_matrix((fold_in.times, (fold_in.user_idx, fold_in.item_idx)),
                              shape=(fold_in.n_users, fold_in.n_items))[users]
    idx, _ = model.recommend_indices_from_history(fold_in.matrix()[users], k, times=times, items=cand,
                                                  max_memory=max_memory)
    return idx


# ---------------------------------------------------------------------- public
def evaluate(
    model: Any,
    train: Dataset,
    test: Dataset,
    k: int | Iterable[int] = 10,
    metrics: str | Sequence[str] | None = None,
    max_memory: int | str | None = "1GB",
    per_user: bool = False,
    *,
    fold_in: Dataset | None = None,
    exclude: Dataset | Sequence[Dataset] | None = None,
    items: Any = "all",
    user_groups: Mapping[str, Any] | None = None,
    show_progress: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Full-ranking evaluation of a model: every test user against every item.

    Each user with at least one test item gets the top ``max(k)`` items among all
    items except the user's training items and their items in ``exclude`` (scored in
    blocks of users within ``max_memory``; results do not depend on it), and
    every metric is computed from those lists. Summaries average over those users.

    Parameters
    ----------
    model : Recommender
        Fitted on ``train`` when it is not fitted yet. A model fitted on something else
        (but with the same user and item maps, e.g. a refit on the full data) is ranked
        with exactly ``train``'s items excluded rather than its own seen items.
    train, test : Dataset
        A split of one Dataset (same IdMaps), e.g. from :mod:`reclite.split`.
    k : int or list of int, default=10
        Cut-offs (positive integers); the lists are computed once at the largest.
        A cut-off may exceed the number of items: the lists then hold every item a
        user can be recommended (``n_items`` minus their training items), the
        missing slots count as empty and each metric keeps its definition (e.g.
        ``precision@k`` divides by ``k``, ``recall@k`` equals recall at the full
        list), so lists are never wider than the catalogue and no users x k array is
        built.
    metrics : list of str, optional
        Among :data:`METRICS` (default: all of them): ``ndcg``, ``recall``,
        ``calibrated_recall``, ``precision``, ``map``, ``mrr``, ``hit_rate``,
        ``coverage``, ``novelty``, ``popularity``; see :mod:`reclite.metrics` for the
        formulas.
    max_memory : int or str, default="1GB"
        Upper bound on the dense score blocks alive at once: scores plus as much again
        for the model's temporaries, so at most ``max_memory // (n_items * 8)`` users
        (:func:`reclite.models._ranking.batch_size`), shared among the ranking threads.
        Blocks are smaller in practice: 16 MB of scores each
        (:func:`reclite.models._ranking.block_size`), a size that stays in the cache
        between scoring and ranking; factor models rank one block per core at a time,
        into buffers reused from block to block. Sparse copies of train and test
        (about 8 bytes per interaction) and the top-k lists come on top.
    per_user : bool, default=False
        Also return the per-user values.
    fold_in : Dataset, optional
        Strong generalization (:func:`reclite.split.strong_generalization`): the test
        users are new to the model (fitted on ``train``, which does not hold them); each
        is ranked from their ``fold_in`` items alone (needs a model that can rank from
        a history), with those items excluded.
    exclude : Dataset or list of Dataset, optional
        More interactions never to rank, per user, on top of ``train``'s (which are
        always excluded): each user's items in these Datasets, matched by raw user and
        item ids (they need not share train's maps; ids train does not know are
        ignored). For a train/valid/test protocol
        (:func:`reclite.split.train_valid_test`), ``evaluate(model, train, test,
        exclude=valid)`` ranks test with train's and valid's items excluded, as
        RecBole does, whether the model was fitted on train or refitted on train and
        valid. A test pair that is also in ``exclude`` can never be hit (a
        :class:`~reclite.errors.DataWarning` counts them). Not with ``fold_in``.
    items : "all", "test" or array-like of raw item ids, default="all"
        The items ranked: every item; only the items that have a test interaction
        (with :func:`reclite.split.cold_items`: the held-out items, so the metrics say
        how well new items reach the right users, as cold-start papers measure); or
        these items.
    user_groups : dict of str to (int, int or None), optional
        Report by history length: ``{"<=5": (1, 5), ">5": (6, None)}`` gives one
        summary per group of users whose number of training interactions lies in the
        inclusive range (None: no upper bound); the summary then starts with a
        ``group`` column, one row per group and cut-off (a group may be empty:
        ``n_users`` 0, metrics NaN). The per-user frame is not grouped.
    show_progress : bool, default=False

    Returns
    -------
    summary : DataFrame
        One row per cut-off; columns ``k``, ``n_users`` (users evaluated: those with a
        test item) and one per metric (the mean over those users; ``coverage`` is the
        share of the catalogue in anyone's list).
    per_user : DataFrame, only when ``per_user=True``
        Returned as ``(summary, per_user)``: one row per evaluated user, columns
        ``user`` (raw id), ``n_test`` (test items) and one per metric and cut-off,
        labelled ``ndcg@10`` (``coverage`` has no per-user value).

    Examples
    --------
    >>> import reclite
    >>> train, test = reclite.split.random_holdout(reclite.demo_dataset(), 0.2, random_state=0)
    >>> reclite.evaluate(reclite.Popularity(), train, test, k=[10, 20])  # doctest: +SKIP
    >>> train, valid, test = reclite.split.train_valid_test(reclite.demo_dataset(), 0.1, 0.1,
    ...                                                     random_state=0)
    >>> reclite.evaluate(reclite.EASE(), train, test, exclude=valid)  # doctest: +SKIP
    """
    _check_pair(train, test)
    excludes = _check_exclude(exclude)
    if excludes and fold_in is not None:
        raise ParameterError("exclude cannot be combined with fold_in: a fold-in user is ranked from "
                             "their fold_in items alone, which are the ones excluded")
    ks = check_cutoffs(k)
    names = _m.check_metric_names(metrics, DEFAULT_METRICS)
    if fold_in is not None:
        _check_pair(train, fold_in)
    if max_memory is not None:
        parse_memory(max_memory)
    per_user = check_bool(per_user, "per_user")
    show_progress = check_bool(show_progress, "show_progress")
    cand = _candidates(items, train, test)
    groups = _check_groups(user_groups)
    if not _fitted(model):
        log.info("fitting %s on the training split", type(model).__name__)
        model.fit(train)
    n_users_, n_items_ = getattr(model, "n_users_", None), getattr(model, "n_items_", None)
    if (n_users_, n_items_) != (train.n_users, train.n_items) or not (
            _same_map(model.users_, train.users) and _same_map(model.items_, train.items)):
        raise ParameterError(f"the model was fitted on {n_users_} users x {n_items_} items that are not "
                             f"train's {train.n_users} x {train.n_items}; fit it on a split of the same "
                             "Dataset (or leave it unfitted and evaluate fits it on train)")
    users, T = _test_rows(test)
    kmax = ks[-1]  # the model clamps its lists to the items it can recommend
    if len(users) == 0:
        warnings.warn("no user has a test item: nothing to evaluate", RuntimeWarning, stacklevel=2)
        topk = np.empty((0, min(kmax, train.n_items)), dtype=INDEX_DTYPE)
    elif fold_in is not None:
        topk = _fold_in_lists(model, users, fold_in, kmax, max_memory, cand)
    else:
        extra = _excluded_rows(model, excludes, train, users, T)  # None without exclude=
        train_csr = train.matrix(copy=False)  # read only
        if _seen_equals(model, train_csr):  # the model holds exactly train: its own filter
            del train_csr  # not needed while scoring
            topk, _ = model.recommend_indices(users, kmax, filter_seen=True, exclude=extra, items=cand,
                                              max_memory=max_memory, show_progress=show_progress)
        else:
            topk, _ = model.recommend_indices(users, kmax, filter_seen=False, items=cand,
                                              exclude=train_csr if extra is None else train_csr + extra,
                                              max_memory=max_memory, show_progress=show_progress)
    if groups is None:
        return _results(topk, users, T, test, train, names, ks, train.n_items, per_user)
    n_train = np.bincount(train.user_idx, minlength=train.n_users)[users]
    parts = []
    for label, (lo, hi) in groups:
        sel = (n_train >= lo) & (n_train <= (np.inf if hi is None else hi))
        part = _results(topk[sel], users[sel], T[sel], test, train, names, ks, train.n_items, False)
        assert isinstance(part, pd.DataFrame)
        parts.append(part.assign(group=label)[["group", *part.columns]])
    summary = pd.concat(parts, ignore_index=True)
    if not per_user:
        return summary
    return summary, _results(topk, users, T, test, train, names, ks, train.n_items, True)[1]


def evaluate_recommendations(
    recs: pd.DataFrame,
    test: Dataset,
    k: int | Iterable[int] = 10,
    metrics: str | Sequence[str] | None = None,
    *,
    train: Dataset | None = None,
    on_unknown: str = "raise",
    per_user: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Score an existing table of recommendations (e.g. a CSV from any tool) against a test set.

    Parameters
    ----------
    recs : DataFrame
        Columns ``user``, ``item`` (raw ids, as in ``test``) and ``rank`` (1 = best) or
        ``score`` (higher = better). Each user's list is ordered by rank (ascending)
        or score (descending; ties: smaller item index first) and cut at ``max(k)``;
        only the order counts, not the rank values themselves. A repeated (user, item)
        counts once, at its best position.
    test : Dataset
        The held-out interactions (row order and maps of the split).
    k : int or list of int, default=10
        Cut-offs (positive integers); one larger than the longest list counts the
        missing slots as empty, as in :func:`evaluate`.
    metrics : list of str, optional
        Default: the accuracy metrics plus ``coverage``, and ``novelty`` and
        ``popularity`` when ``train`` is given (they need it).
    train : Dataset, optional
        The training split: item popularity for ``novelty`` and ``popularity``.
    on_unknown : {"raise", "miss"}, default="raise"
        Ids in ``recs`` that ``test`` does not know: raise
        :class:`~reclite.errors.UnknownIdError` naming a few, or ``"miss"``: an unknown
        item counts as a miss (it still takes its slot in the list) and rows of unknown
        users are dropped (they have no test items).
    per_user : bool, default=False
        As in :func:`evaluate`.

    Returns
    -------
    DataFrame, or (DataFrame, DataFrame) with ``per_user=True``
        As :func:`evaluate`. Users with test items but no rows in ``recs`` count with
        an empty list (every accuracy metric 0), so a tool that skips users is not
        flattered.
    """
    if not isinstance(test, Dataset):
        raise ParameterTypeError(f"test must be a reclite Dataset, got {type(test).__name__}")
    check_option(on_unknown, "on_unknown", ("raise", "miss"))
    per_user = check_bool(per_user, "per_user")
    if train is not None:
        _check_pair(train, test)
    ks = check_cutoffs(k)
    if metrics is None:
        names = [*_m.ACCURACY_METRICS, "coverage"] + (["novelty", "popularity"] if train is not None else [])
    else:
        names = _m.check_metric_names(metrics, DEFAULT_METRICS)
        need = [m for m in names if m in ("novelty", "popularity")]
        if need and train is None:
            raise ParameterError(f"{', '.join(need)} need the training split: pass train=")
    if not isinstance(recs, pd.DataFrame):
        raise ParameterTypeError(f"recs must be a pandas DataFrame with columns user, item and rank or score, "
                                 f"got {type(recs).__name__}")
    missing = [c for c in ("user", "item") if c not in recs.columns]
    order_col = "rank" if "rank" in recs.columns else ("score" if "score" in recs.columns else None)
    if missing or order_col is None:
        need_cols = missing + ([] if order_col else ["rank or score"])
        raise DataError(f"recommendations: missing column {', '.join(need_cols)}; expected columns "
                        f"user, item and rank or score; got {list(recs.columns)}")
    policy: Literal["raise", "negative"] = "raise" if on_unknown == "raise" else "negative"
    uidx = test.users.to_index(recs["user"].to_numpy(), missing=policy).astype(np.int64)
    iidx = test.items.to_index(recs["item"].to_numpy(), missing=policy).astype(np.int64)
    key = pd.to_numeric(recs[order_col], errors="coerce").to_numpy(dtype=np.float64)
    if np.isnan(key).any():
        bad = int(np.flatnonzero(np.isnan(key))[0])
        raise DataError(f"recommendations: row {bad + 1}: column {order_col!r} is "
                        f"{recs[order_col].iloc[bad]!r}; expected a number")
    if order_col == "score":
        key = -key
    keep = uidx >= 0
    uidx, iidx, key = uidx[keep], iidx[keep], key[keep]
    # order by user, then rank/score, then item index (unknown items, -1, after known ties)
    order = np.lexsort((np.where(iidx < 0, np.iinfo(np.int64).max, iidx), key, uidx))
    uidx, iidx = uidx[order], iidx[order]
    # a repeated (user, item) counts once, at its first (best) position
    known = iidx >= 0
    pair = uidx * max(test.n_items, 1) + np.where(known, iidx, 0)
    _, first = np.unique(np.where(known, pair, -1 - np.arange(len(pair))), return_index=True)
    dedup = np.zeros(len(pair), dtype=bool)
    dedup[first] = True
    uidx, iidx = uidx[dedup], iidx[dedup]  # np.unique's index keeps the sorted order
    counts = np.bincount(uidx, minlength=test.n_users)
    pos = np.arange(len(uidx)) - (np.cumsum(counts) - counts)[uidx]
    users, T = _test_rows(test)
    kmax = ks[-1]
    row_of = np.full(test.n_users, -1, dtype=np.int64)
    row_of[users] = np.arange(len(users))
    r = row_of[uidx]
    sel = (r >= 0) & (pos < kmax)
    # an unknown item keeps its slot as a miss (-1, like an empty slot): later items keep their ranks;
    # the lists are as wide as the longest one, not kmax (missing slots count as empty)
    width = min(kmax, int(pos[sel].max()) + 1 if sel.any() else 1)
    topk = np.full((len(users), width), -1, dtype=INDEX_DTYPE)
    topk[r[sel], pos[sel]] = iidx[sel]
    return _results(topk, users, T, test, train, names, ks, test.n_items, per_user)

