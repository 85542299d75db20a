"""Ensembles: rank voting (:class:`RankVote`), score blending (:class:`ScoreBlend`) and :func:`fuse`.

Rank voting fuses top-N lists. Each member (or each recommendation table) gives every
user a list of ranks 1, 2, ..., ``top_n``; with member weights ``w``:

``rank_sum``
    ``sum(w * rank)``, an item missing from a member's list counting as rank
    ``top_n + 1``; lowest first. The reported score is minus that sum (so scores never
    increase down a list, as for every model).
``borda``
    ``sum(w * (top_n + 1 - rank))`` over the lists holding the item; highest first.
``rrf``
    Reciprocal-rank fusion, ``sum(w / (c + rank))``; highest first.

Only items in at least one member's list are ranked, so a fused list holds at most
the union of the members' lists. Ties break on the item's best single rank (its lowest
rank in any list), then on the item: its index in the model's ``items_`` for
:class:`RankVote`, its raw id in ascending order for :func:`fuse`.

One implementation fuses everything: :func:`fuse_indices` works on item indices;
:class:`RankVote` feeds it its members' ``recommend_indices`` lists, and :func:`fuse` maps
the raw ids of its tables to indices (in sorted raw-id order) and calls it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ._typing import INDEX_DTYPE, VALUE_DTYPE
from ._validation import check_bool, check_float, check_int, check_k, check_option
from .data.dataset import Dataset
from .errors import DataError, DataWarning, ParameterError, ParameterTypeError
from .models._fitted import FittedDecl, json_value
from .models._ranking import batch_size
from .models.base import _MISSING, Recommender

__all__ = ["RankVote", "ScoreBlend", "fuse", "fuse_indices", "METHODS", "NORMALIZATIONS"]

METHODS = ("rank_sum", "borda", "rrf")
#: the members of an ensemble made without any: EASE, ALS and ItemKNN with their default parameters
DEFAULT_MEMBERS = ("ease", "als", "itemknn")
NORMALIZATIONS = ("minmax", "zscore", "rank")


# ---------------------------------------------------------------------- the fusion kernel
def _check_weights(weights: Any, n: int, what: str = "members") -> np.ndarray:
    """Weights as float64 (all 1 when None): ``n`` finite non-negative numbers, one positive."""
    if weights is None:
        return np.ones(n, dtype=np.float64)
    if isinstance(weights, str) or not hasattr(weights, "__len__"):
        raise ParameterTypeError(f"weights must be a list of {n} numbers (one per {what[:-1]}), got "
                                 f"{weights!r}")
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterTypeError(f"weights must be numbers, got {list(weights)!r}") from None
    if w.shape != (n,):
        raise ParameterError(f"weights: {len(w)} given for {n} {what}; give one weight per {what[:-1]}")
    if not np.isfinite(w).all() or (w < 0).any() or not (w > 0).any():
        raise ParameterError(f"weights must be finite and non-negative with at least one above 0, got "
                             f"{w.tolist()}")
    return w


def _check_fusion(method: Any, top_n: Any, c: Any) -> tuple[str, int, float]:
    check_option(method, "method", METHODS)
    top_n = check_int(top_n, "top_n", min_val=1)
    c = check_float(c, "c", min_val=0.0)
    return method, int(top_n), float(c)


def _fuse_entries(rows: np.ndarray, items: np.ndarray, ranks: np.ndarray, weight: np.ndarray,
                  n_rows: int, n_items: int, k: int, method: str, top_n: int, total_weight: float,
                  c: float) -> tuple[np.ndarray, np.ndarray]:
    """Fuse (row, item, rank, weight) entries, at most one per member and (row, item).

    Entries ranked beyond ``top_n`` are ignored. Returns ``(idx, score)`` of shape
    ``(n_rows, k)``: item indices (``-1`` where a row has fewer fused items) and scores
    (higher is better; ``-inf`` in padded slots).
    """
    keep = ranks <= top_n
    rows, items, ranks, weight = rows[keep], items[keep], ranks[keep].astype(np.int64), weight[keep]
    out_idx = np.full((n_rows, k), -1, dtype=INDEX_DTYPE)
    out_score = np.full((n_rows, k), -np.inf, dtype=VALUE_DTYPE)
    if k == 0 or len(rows) == 0:
        return out_idx, out_score
    if method == "rrf":
        part = weight / (c + ranks)
    else:  # both rank_sum and borda sum weight * (top_n + 1 - rank) over the lists holding the item
        part = weight * (top_n + 1 - ranks)
    key = rows.astype(np.int64) * n_items + items.astype(np.int64)
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ukey = key[starts]
    total = np.add.reduceat(part[order], starts)
    best = np.minimum.reduceat(ranks[order], starts)
    if method == "rank_sum":
        # sum(w * rank), a missing item at rank top_n + 1: W * (top_n + 1) - sum over present lists
        score = -(total_weight * (top_n + 1) - total)
    else:
        score = total
    urow, uitem = ukey // n_items, ukey % n_items
    order = np.lexsort((uitem, best, -score, urow))  # by row, best score, best single rank, item
    urow, uitem, score = urow[order], uitem[order], score[order]
    first = np.searchsorted(urow, urow, side="left")
    pos = np.arange(len(urow)) - first
    sel = pos < k
    out_idx[urow[sel], pos[sel]] = uitem[sel]
    out_score[urow[sel], pos[sel]] = score[sel]
    return out_idx, out_score


def fuse_indices(lists: Sequence[np.ndarray], n_items: int, k: int = 10, *, method: str = "rank_sum",
                 top_n: int = 30, weights: Any = None, c: float = 60) -> tuple[np.ndarray, np.ndarray]:
    """Fuse ranked lists of item indices, one ``(n_rows, L)`` array per member.

    Row ``r`` of member ``m`` lists item indices best first (``-1`` pads a short list);
    position ``j`` is rank ``j + 1`` and only the first ``top_n`` count.

    Returns
    -------
    idx : ndarray (n_rows, k) int32, ``-1`` where fewer than ``k`` items were fused
    score : ndarray (n_rows, k) float32, higher is better, ``-inf`` in padded slots
    """
    method, top_n, c = _check_fusion(method, top_n, c)
    k = check_k(k)
    if not lists:
        raise ParameterError("fuse needs at least one list to fuse")
    w = _check_weights(weights, len(lists))
    n_rows = lists[0].shape[0]
    parts_r, parts_i, parts_k, parts_w = [], [], [], []
    for m, arr in enumerate(lists):
        arr = np.asarray(arr)
        if arr.ndim != 2 or arr.shape[0] != n_rows:
            raise ParameterError(f"list {m + 1} has shape {arr.shape}, expected ({n_rows}, any)")
        arr = arr[:, :top_n]
        r, j = np.nonzero(arr >= 0)
        parts_r.append(r)
        parts_i.append(arr[r, j])
        parts_k.append(j + 1)
        parts_w.append(np.full(len(r), w[m]))
    return _fuse_entries(np.concatenate(parts_r), np.concatenate(parts_i), np.concatenate(parts_k),
                         np.concatenate(parts_w), n_rows, n_items, k, method, top_n, float(w.sum()), c)


# ---------------------------------------------------------------------- fuse over tables
def _py(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds (so messages show ``1``, not ``np.int64(1)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _id_kind(col: pd.Series) -> str:
    """``"integer"`` or ``"text"``: the kind of an id column (anything else is refused by the caller)."""
    if col.dtype.kind in "iu":
        return "integer"
    if col.dtype.kind in "OUS" or isinstance(col.dtype, pd.StringDtype):
        if col.map(type).eq(str).all():
            return "text"
    if col.dtype.kind == "f" and col.notna().all() and np.array_equal(col.to_numpy(), np.round(col.to_numpy())):
        return "integer"
    return f"{col.dtype}"


def _table_ranks(df: pd.DataFrame, name: str) -> np.ndarray:
    """Each row's rank in its user's list: the ``rank`` column, or derived from ``score``."""
    if "rank" in df.columns:
        r = df["rank"]
        vals = pd.to_numeric(r, errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(vals) | (vals < 1) | (vals != np.round(vals))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(f"{name}: column 'rank' must hold whole numbers from 1, found {_py(r.iloc[row])!r} "
                            f"in data row {row + 1}")
        return vals.astype(np.int64)
    s = pd.to_numeric(df["score"], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(s)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"{name}: column 'score' must hold numbers, found {_py(df['score'].iloc[row])!r} in "
                        f"data row {row + 1}")
    # highest score first; equal scores keep the table's order
    order = np.lexsort((np.arange(len(s)), -s, df["_u"].to_numpy()))
    ranks = np.empty(len(s), dtype=np.int64)
    u = df["_u"].to_numpy()[order]
    first = np.searchsorted(u, u, side="left")
    ranks[order] = np.arange(len(s)) - first + 1
    return ranks


def fuse(tables: Sequence[pd.DataFrame], method: Literal["rank_sum", "borda", "rrf"] = "rank_sum",
         top_n: int = 30, k: int = 10, weights: Sequence[float] | None = None, c: float = 60, *,
         names: Sequence[str] | None = None) -> pd.DataFrame:
    """Fuse recommendation tables (from any tool) into one top-``k`` list per user.

    Parameters
    ----------
    tables : list of DataFrame
        Each with columns ``user``, ``item`` (raw ids: integers or text, of the same kind
        in every table) and ``rank`` (1 = best) or, without ``rank``, ``score`` (higher is
        better; equal scores keep the table's order). Only each user's ranks up to
        ``top_n`` count.
    method : {"rank_sum", "borda", "rrf"}, default="rank_sum"
        See :mod:`reclite.ensemble`.
    top_n : int, default=30
        List length taken from each table; a missing item counts as rank ``top_n + 1``
        (``rank_sum``).
    k : int, default=10
        Length of the fused lists.
    weights : list of float, optional
        One non-negative weight per table (default: all 1).
    c : float, default=60
        The ``rrf`` constant.
    names : list of str, optional
        What errors call each table (file names); default ``"table 1"``, ``"table 2"``, ...

    Returns
    -------
    DataFrame with columns ``user, item, score, rank``, users in ascending raw-id order.
    Ties break on the best single rank, then the item's raw id (ascending).

    Raises
    ------
    DataError
        A table without ``user``/``item`` or without ``rank`` and ``score``, duplicate
        (user, item) rows, bad ranks or scores, or ids of another kind than the first
        table's; the message names the table.
    """
    how, top_n, c = _check_fusion(method, top_n, c)
    k = check_k(k)
    tables = list(tables)
    if not tables:
        raise ParameterError("fuse needs at least one table")
    if names is None:
        names = [f"table {i + 1}" for i in range(len(tables))]
    names = list(names)
    if len(names) != len(tables):
        raise ParameterError(f"names: {len(names)} given for {len(tables)} tables")
    w = _check_weights(weights, len(tables), "tables")
    kinds: dict[str, tuple[str, str]] = {}
    frames = []
    for df, name in zip(tables, names):
        if not isinstance(df, pd.DataFrame):
            raise ParameterTypeError(f"{name}: expected a DataFrame, got {type(df).__name__}")
        missing = [col for col in ("user", "item") if col not in df.columns]
        if missing:
            raise DataError(f"{name}: no column {', '.join(map(repr, missing))} (columns: "
                            f"{', '.join(map(str, df.columns))}); expected user, item and rank or score")
        if "rank" not in df.columns and "score" not in df.columns:
            raise DataError(f"{name}: neither a 'rank' nor a 'score' column (columns: "
                            f"{', '.join(map(str, df.columns))}); one of them orders each user's list")
        for col in ("user", "item"):
            if df[col].isna().any():
                row = int(np.flatnonzero(df[col].isna().to_numpy())[0])
                raise DataError(f"{name}: column {col!r} is empty in data row {row + 1}")
            kind = _id_kind(df[col])
            if kind not in ("integer", "text"):
                raise DataError(f"{name}: column {col!r} must hold integer or text ids, found dtype {kind}")
            if col in kinds and kinds[col][0] != kind:
                raise DataError(f"{name}: {col} ids are {kind} but {kinds[col][1]} has {kinds[col][0]} ids; "
                                "every table must use the same kind of ids")
            kinds.setdefault(col, (kind, name))
        dup = df.duplicated(["user", "item"])
        if dup.any():
            row = int(np.flatnonzero(dup.to_numpy())[0])
            raise DataError(f"{name}: user {_py(df['user'].iloc[row])!r} lists item {_py(df['item'].iloc[row])!r} more than "
                            f"once (data row {row + 1}); each (user, item) pair may appear once per table")
        frames.append(df)
    def ids(col: str) -> list[np.ndarray]:
        vals = [f[col].to_numpy() for f in frames]
        if kinds[col][0] == "integer":
            return [v.astype(np.int64) for v in vals]
        return [v.astype(object) for v in vals]
    users_all = ids("user")
    items_all = ids("item")
    uniq_u, inv_u = np.unique(np.concatenate(users_all), return_inverse=True)
    uniq_i, inv_i = np.unique(np.concatenate(items_all), return_inverse=True)
    bounds = np.cumsum([0] + [len(f) for f in frames])
    parts_k, parts_w = [], []
    for m, (df, name) in enumerate(zip(frames, names)):
        u = inv_u[bounds[m]:bounds[m + 1]]
        parts_k.append(_table_ranks(df.assign(_u=u) if "rank" not in df.columns else df, name))
        parts_w.append(np.full(len(df), w[m]))
    idx, score = _fuse_entries(inv_u.reshape(-1), inv_i.reshape(-1), np.concatenate(parts_k),
                               np.concatenate(parts_w), len(uniq_u), len(uniq_i), k, how, top_n,
                               float(w.sum()), c)
    valid = idx >= 0
    rows = np.broadcast_to(np.arange(len(uniq_u))[:, None], idx.shape)
    ranks = np.broadcast_to(np.arange(1, idx.shape[1] + 1, dtype=np.int32), idx.shape)
    return pd.DataFrame({"user": uniq_u[rows[valid]], "item": uniq_i[idx[valid]],
                         "score": score[valid], "rank": ranks[valid]})


# ---------------------------------------------------------------------- members
def _registry_name(model: Recommender) -> str:
    from .models import registry

    for name, (_, cls_name, _) in registry.REGISTRY.items():
        if type(model).__name__ == cls_name:
            return name
    raise ParameterError(f"{type(model).__name__} is not a registered reclite model; an ensemble member "
                         "must be one (so the ensemble can be saved)")


def resolve_members(estimators: Any, owner: str) -> list[tuple[str, Recommender]]:
    """``(label, unfitted-or-fitted model)`` for each entry of an ``estimators`` parameter.

    An entry is a model, a ``(label, model)`` pair, a registry name (default
    parameters), or ``(label, registry name)`` / ``(label, registry name, params)``
    (lists work as well as tuples: the JSON form a model file keeps).
    """
    from .models import registry

    if estimators is None or isinstance(estimators, (str, Mapping)) or not hasattr(estimators, "__len__"):
        raise ParameterTypeError(f"{owner}: estimators must be a list of members, e.g. [('ease', EASE()), "
                                 f"('als', ALS())] or ['ease', 'als'], got {estimators!r}")
    if len(estimators) == 0:
        raise ParameterError(f"{owner}: estimators is empty; give at least one member")
    out: list[tuple[str, Recommender]] = []
    for pos, entry in enumerate(estimators):
        where = f"{owner}: estimators[{pos}]"
        if isinstance(entry, Recommender):
            label, model = _registry_name(entry), entry
        elif isinstance(entry, str):
            label = entry
            try:
                model = registry.create(entry)
            except ParameterError as exc:
                raise ParameterError(f"{where}: {exc}") from None
        elif isinstance(entry, (list, tuple)) and len(entry) in (2, 3) and isinstance(entry[0], str):
            label, second = entry[0], entry[1]
            if isinstance(second, Recommender) and len(entry) == 2:
                model = second
            elif isinstance(second, str):
                params = entry[2] if len(entry) == 3 else {}
                if not isinstance(params, Mapping):
                    raise ParameterTypeError(f"{where}: the parameters of {second!r} must be a dict, got "
                                             f"{params!r}")
                try:
                    model = registry.create(second, **params)
                except ParameterError as exc:
                    raise ParameterError(f"{where}: {exc}") from None
            else:
                raise ParameterTypeError(f"{where}: expected (label, model) or (label, registry name[, "
                                         f"params]), got {entry!r}")
        else:
            raise ParameterTypeError(f"{where}: expected a model, a registry name, (label, model) or "
                                     f"(label, registry name, params), got {entry!r}")
        if not isinstance(model, Recommender):  # pragma: no cover - the registry holds Recommenders
            raise ParameterTypeError(f"{where}: {type(model).__name__} is not a reclite Recommender")
        out.append((label, model))
    labels = [label for label, _ in out]
    dups = sorted({lab for lab in labels if labels.count(lab) > 1})
    if dups:
        raise ParameterError(f"{owner}: member label(s) {', '.join(map(repr, dups))} used twice; give each "
                             "member its own label, e.g. [('als1', ALS(...)), ('als2', ALS(...))]")
    return out


def members_as_json(model: Any) -> list[list[Any]]:
    """A fitted ensemble's ``estimators`` as JSON: ``[label, registry name, parameters]`` each."""
    out = []
    for (label, _), member in zip(resolve_members(model.estimators, type(model).__name__), model.estimators_):
        params = member.get_params(deep=False)
        if params.get("random_state") is not None and hasattr(member, "random_seed_"):
            params = {**params, "random_state": int(member.random_seed_)}
        out.append([label, _registry_name(member), params])
    return out


class _Ensemble(Recommender):
    """What RankVote and ScoreBlend share: members, their fit, their files."""

    #: fitted members, saved as sub-folders ``members/0``, ``members/1``, ... of the model directory
    _member_attribute: ClassVar[str] = "estimators_"
    _fitted_attributes: ClassVar[FittedDecl] = {
        "member_labels_": json_value("list"),
    }

    estimators: Any
    weights: Any
    prefit: bool

    def _members(self) -> list[tuple[str, Recommender]]:
        return resolve_members(self.estimators, type(self).__name__)

    # model files (reclite.models._modelfile calls these; it does not import this module)
    def _member_specs(self) -> list[tuple[str, Recommender]]:
        """``(label, model)`` per member as the parameters describe them."""
        return self._members()

    def _file_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """The parameters as ``params.json`` keeps them: members given as models become
        ``[label, registry name, parameters]``."""
        from .persist import jsonable

        if jsonable(params.get("estimators")):
            return params
        return {**params, "estimators": members_as_json(self)}

    def _check_params(self) -> None:
        members = self._members()
        _check_weights(self.weights, len(members))
        check_bool(self.prefit, "prefit", owner=self)
        for label, model in members:
            try:
                model._check_params()
            except ParameterError as exc:  # ParameterTypeError too: the same class, the member named
                raise type(exc)(f"{type(self).__name__}: member {label!r}: {exc}") from None

    def _fit(self, C: sp.csr_matrix, data: Dataset) -> None:
        members = self._members()
        fitted = []
        for label, model in members:
            if self.prefit:
                try:
                    check_is_fitted(model)
                except NotFittedError:
                    raise ParameterError(f"{type(self).__name__}(prefit=True): member {label!r} is not fitted; "
                                         "fit it first or use prefit=False") from None
                for side, ours in (("users_", data.users), ("items_", data.items)):
                    theirs = getattr(model, side)
                    if len(theirs) != len(ours) or not np.array_equal(theirs.ids, ours.ids):
                        raise ParameterError(
                            f"{type(self).__name__}(prefit=True): member {label!r} was fitted on other "
                            f"{side[:-1]} than the data given to fit ({len(theirs):,} vs {len(ours):,}, or "
                            "in another order); fit every member on the same data")
                fitted.append(model)
            else:
                fitted.append(clone(model).fit(data))
        self.member_labels_ = [label for label, _ in members]
        self.estimators_ = fitted

    @property
    def supports_history(self) -> bool:  # type: ignore[override]
        members = getattr(self, "estimators_", None)
        if members is None:
            return True
        return all(m.supports_history for m in members)


# ---------------------------------------------------------------------- RankVote
class RankVote(_Ensemble):
    """Rank-voting ensemble: each member's top ``top_n`` per user, fused by rank.

    Parameters
    ----------
    estimators : list, default=("ease", "als", "itemknn")
        The members: ``(label, model)`` pairs (sklearn's convention), models, registry
        names (``"ease"``: default parameters) or ``(label, registry name, params)``.
    top_n : int, default=30
        How many items each member lists per user.
    method : {"rank_sum", "borda", "rrf"}, default="rank_sum"
        How the lists are fused (see :mod:`reclite.ensemble`).
    weights : list of float, optional
        One non-negative weight per member (default: all 1).
    prefit : bool, default=False
        Use the given members as fitted (they must share the data's users and items);
        otherwise ``fit`` fits a clone of each.
    c : float, default=60
        The ``rrf`` constant.

    Attributes
    ----------
    estimators_ : list of Recommender
        The fitted members (saved in sub-folders ``members/<i>`` of a model directory).
    member_labels_ : list of str

    Notes
    -----
    A fused list holds at most the union of the members' lists: with ``k`` above
    ``top_n`` it may be shorter than ``k``. Scores: minus the weighted rank sum
    (``rank_sum``), the Borda count, or the RRF sum; higher is better.

    Examples
    --------
    >>> import reclite
    >>> vote = reclite.RankVote([("ease", reclite.EASE()), ("knn", reclite.ItemKNN())], top_n=30)
    >>> recs = vote.fit(reclite.demo_dataset()).recommend(k=10)
    """

    def __init__(self, estimators: Any = DEFAULT_MEMBERS, *, top_n: int = 30,
                 method: Literal["rank_sum", "borda", "rrf"] = "rank_sum", weights: list | None = None,
                 prefit: bool = False, c: float = 60.0) -> None:
        self.estimators = estimators
        self.top_n = top_n
        self.method = method
        self.weights = weights
        self.prefit = prefit
        self.c = c

    def _check_params(self) -> None:
        super()._check_params()
        _check_fusion(self.method, self.top_n, self.c)

    def _score(self, user_idx: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError("RankVote fuses lists; it has no dense scores")

    def _fuse_batches(self, n: int, k: int, lists: Callable[[Recommender, int, int], np.ndarray],
                      max_memory: Any) -> tuple[np.ndarray, np.ndarray]:
        """Fuse the members' lists ``lists(member, start, stop)`` a batch of rows at a time."""
        w = _check_weights(self.weights, len(self.estimators_))
        top_n = int(self.top_n)
        out_idx = np.full((n, k), -1, dtype=INDEX_DTYPE)
        out_score = np.full((n, k), -np.inf, dtype=VALUE_DTYPE)
        if k == 0 or n == 0:
            return out_idx, out_score
        bs = batch_size(self.n_items_, max_memory)
        for start in range(0, n, bs):
            stop = min(start + bs, n)
            member_lists = [lists(m, start, stop) for m in self.estimators_]
            out_idx[start:stop], out_score[start:stop] = fuse_indices(
                member_lists, self.n_items_, k, method=self.method, top_n=top_n, weights=w, c=self.c)
        return out_idx, out_score

    def recommend_indices(self, user_idx: Any = None, k: int = 10, *, filter_seen: bool = True,
                          items: Any = None, exclude: Any = None, max_memory: int | str | None = None,
                          show_progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` fused item indices and scores (see :meth:`Recommender.recommend_indices`).

        Each member ranks its top ``top_n`` with the same ``filter_seen``, ``items`` and
        ``exclude``; users are taken a batch at a time (``max_memory``), which does not
        change the result.
        """
        check_is_fitted(self)
        k = check_k(k)
        filter_seen = check_bool(filter_seen, "filter_seen")
        uidx = (np.arange(self.n_users_, dtype=INDEX_DTYPE) if user_idx is None
                else self._check_user_idx(user_idx))
        if exclude is not None and sp.issparse(exclude):
            ex = sp.csr_matrix(exclude)
            if ex.shape != (self.n_users_, self.n_items_):
                raise ParameterError(f"exclude: a matrix of shape {ex.shape}, expected "
                                     f"{(self.n_users_, self.n_items_)}")
            ex_items = None
        else:
            ex, ex_items = None, exclude
        k = min(k, self._n_recommendable(self._candidate_mask(items, ex_items)))

        def lists(member: Recommender, start: int, stop: int) -> np.ndarray:
            return member.recommend_indices(uidx[start:stop], self.top_n, filter_seen=filter_seen, items=items,
                                            exclude=exclude, max_memory=max_memory)[0]

        return self._fuse_batches(len(uidx), k, lists, max_memory)

    def recommend_indices_from_history(self, history: sp.spmatrix, k: int = 10, *, filter_seen: bool = True,
                                       items: Any = None, times: Any = None, max_memory: int | str | None = None,
                                       show_progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Fuse the members' ``recommend_indices_from_history`` lists (see the base class)."""
        check_is_fitted(self)
        k = check_k(k)
        if not sp.issparse(history):
            raise ParameterError(f"history must be a scipy sparse matrix of shape (n, {self.n_items_}), "
                                 f"got {type(history).__name__}")
        H = sp.csr_matrix(history)
        T = None if times is None else sp.csr_matrix(times)
        k = min(k, self._n_recommendable(self._candidate_mask(items, None)))

        def lists(member: Recommender, start: int, stop: int) -> np.ndarray:
            with warnings.catch_warnings():
                if member is not self.estimators_[0]:
                    warnings.simplefilter("ignore", DataWarning)  # the first member already said it
                return member.recommend_indices_from_history(
                    H[start:stop], self.top_n, filter_seen=filter_seen, items=items,
                    times=None if T is None else T[start:stop], max_memory=max_memory)[0]

        return self._fuse_batches(H.shape[0], k, lists, max_memory)

    def recommend_from_history(self, history: Any = _MISSING, k: int = 10, filter_seen: bool = True,
                               candidates: Any = None, *, values: Any = None, times: Any = None,
                               items: Any = _MISSING) -> pd.DataFrame:
        """Fuse the members' ``recommend_from_history`` lists (see the base class)."""
        check_is_fitted(self)
        k = check_k(k)
        rows, item_idx, ranks, wts = [], [], [], []
        w = _check_weights(self.weights, len(self.estimators_))
        for m, member in enumerate(self.estimators_):
            with warnings.catch_warnings():
                if m:
                    warnings.simplefilter("ignore")  # the first member already warned
                recs = member.recommend_from_history(history, self.top_n, filter_seen, candidates,
                                                     values=values, times=times, items=items)
            item_idx.append(self.items_.to_index(recs["item"].to_numpy()))
            ranks.append(recs["rank"].to_numpy())
            rows.append(np.zeros(len(recs), dtype=np.int64))
            wts.append(np.full(len(recs), w[m]))
        cand = None if candidates is None else self.items_.to_index(np.atleast_1d(np.asarray(candidates)))
        k = min(k, self._n_recommendable(self._candidate_mask(cand, None)))
        idx, score = _fuse_entries(np.concatenate(rows), np.concatenate(item_idx), np.concatenate(ranks),
                                   np.concatenate(wts), 1, self.n_items_, k, self.method, int(self.top_n),
                                   float(w.sum()), float(self.c))
        valid = idx[0] >= 0
        return pd.DataFrame({"item": self.items_.to_raw(idx[0][valid]), "score": score[0][valid],
                             "rank": np.arange(1, valid.sum() + 1, dtype=np.int32)})


# ---------------------------------------------------------------------- ScoreBlend
def _normalise(s: np.ndarray, how: str) -> np.ndarray:
    """Per-row normalised scores (float32); non-finite scores count as the row's lowest."""
    s = np.asarray(s, dtype=np.float64)
    finite = np.isfinite(s)
    if not finite.all():
        lo = np.where(finite, s, np.inf).min(axis=1, keepdims=True)
        lo = np.where(np.isfinite(lo), lo, 0.0)
        s = np.where(finite, s, lo)
    if how == "minmax":
        lo, hi = s.min(axis=1, keepdims=True), s.max(axis=1, keepdims=True)
        span = hi - lo
        out = np.divide(s - lo, span, out=np.zeros_like(s), where=span > 0)
    elif how == "zscore":
        mu, sd = s.mean(axis=1, keepdims=True), s.std(axis=1, keepdims=True)
        out = np.divide(s - mu, sd, out=np.zeros_like(s), where=sd > 0)
    else:  # rank: 0 for the lowest score, 1 for the highest (ties: average rank)
        from scipy.stats import rankdata

        n = s.shape[1]
        out = (rankdata(s, axis=1) - 1.0) / max(n - 1, 1)
    return out.astype(VALUE_DTYPE)


class ScoreBlend(_Ensemble):
    """Score blending: a weighted sum of each member's per-user normalised scores over all items.

    Parameters
    ----------
    estimators : list, default=("ease", "als", "itemknn")
        The members, as for :class:`RankVote`.
    weights : list of float, optional
        One non-negative weight per member (default: all 1).
    normalize : {"minmax", "zscore", "rank"}, default="minmax"
        Per user, over all items: ``(s - min) / (max - min)``; ``(s - mean) / std``; or
        the score's rank scaled to [0, 1] (ties: average rank). A constant row gives 0.
    prefit : bool, default=False
        As for :class:`RankVote`.

    Notes
    -----
    ``recommend_from_history`` weighs the history with each member's own confidence;
    a member whose confidence uses ``time`` cannot be served from a history here.
    """

    def __init__(self, estimators: Any = DEFAULT_MEMBERS, *, weights: list | None = None,
                 normalize: Literal["minmax", "zscore", "rank"] = "minmax", prefit: bool = False) -> None:
        self.estimators = estimators
        self.weights = weights
        self.normalize = normalize
        self.prefit = prefit

    def _check_params(self) -> None:
        super()._check_params()
        check_option(self.normalize, "normalize", NORMALIZATIONS, owner=self)

    def _score(self, user_idx: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        w = _check_weights(self.weights, len(self.estimators_))
        known = np.asarray(user_idx) >= 0
        out = np.zeros((len(user_idx), self.n_items_), dtype=VALUE_DTYPE)
        for m, member in enumerate(self.estimators_):
            if w[m] == 0:
                continue
            if known.all():
                mrows = member.seen_[user_idx]
            else:  # histories: ``rows`` hold the raw values (see _weigh_history)
                mrows = member._weigh_history(sp.csr_matrix(rows), None)
            out += np.float32(w[m]) * _normalise(member._score(user_idx, mrows), self.normalize)
        return out

    def _weigh_history(self, H: sp.csr_matrix, times: np.ndarray | None, values_given: bool = True
                       ) -> sp.csr_matrix:
        # the members weigh the history themselves, each with its own confidence (in _score)
        return sp.csr_matrix(H, dtype=VALUE_DTYPE)
