"""The confidence components: their table and parameters, the training statistics they
take, and their weights on users' rows (one method per component, in :class:`Rows`).

The formulas are in the docstring of :mod:`reclite.confidence`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._typing import Float64Array
from .._validation import Boundaries, check_float
from ..data.dataset import Dataset, user_time_order
from ..errors import ConfidenceSpecError, ParameterError
from .weighting import bm25, idf, tfidf


@dataclass(frozen=True)
class _Param:
    default: float
    rule: str  # shown in error messages
    low: float
    high: float | None
    bounds: Boundaries  # which of low, high are allowed

    def check(self, value: Any, name: str) -> float:
        """``value`` as a float, or a ConfidenceSpecError naming ``name`` and the rule."""
        try:
            return check_float(value, name, min_val=self.low, max_val=self.high, include_boundaries=self.bounds)
        except ParameterError:
            raise ConfidenceSpecError(f"{name} must be {self.rule}, got {value!r}") from None


@dataclass(frozen=True)
class _Component:
    description: str
    needs: str | None = None  # "genres", "years", "time" or None (values only)
    params: Mapping[str, _Param] | None = None


_POSITIVE: tuple[str, float, float | None, Boundaries] = ("a finite number > 0", 0.0, None, "neither")
_UNIT: tuple[str, float, float | None, Boundaries] = ("a number in [0, 1]", 0.0, 1.0, "both")

_COMPONENTS: dict[str, _Component] = {
    "binary": _Component("1 on every observed pair (plain implicit feedback)"),
    "value": _Component("interaction value (rating, play count) / the largest value"),
    "log": _Component("log(1 + value) / log(1 + largest value)"),
    "pop": _Component("item popularity: log(1 + n_i) / log(1 + max n_j), n_i = distinct users of item i"),
    "genre": _Component("the user's share of interactions in the item's genres, averaged over its genres",
                        needs="genres"),
    "era": _Component("release era: exp((year - latest year) / tau), tau = 10; unknown year -> median year",
                      needs="years", params={"tau": _Param(10.0, *_POSITIVE)}),
    "time": _Component("recency in the user's history: rank of the interaction's time / n_u (latest = 1)",
                       needs="time"),
    "bm25": _Component("BM25 weight of the interaction matrix (implicit's bm25_weight, K1=100, B=0.8) / max",
                       params={"K1": _Param(100.0, *_POSITIVE), "B": _Param(0.8, *_UNIT)}),
    "tfidf": _Component("TF-IDF weight of the interaction matrix (implicit's tfidf_weight) / max"),
}

COMPONENTS: tuple[str, ...] = tuple(_COMPONENTS)
"""Names of the confidence components, in documentation order."""

_NEEDS_TEXT = {
    "genres": ("item genres", "read_movielens and read_movie_competition load genres"),
    "years": ("item release years", "read_movielens and read_movie_competition load years"),
    "time": ("interaction timestamps",
             "read_movielens and read_movie_competition load them; read_csv takes time=<column>"),
}
_VALUE_COMPONENTS = tuple(n for n, c in _COMPONENTS.items() if c.needs is None)
#: components scaled by their largest raw weight on the training pairs
SCALED: tuple[str, ...] = ("value", "log", "bm25", "tfidf")
#: components that read the interaction values
READS_VALUES: tuple[str, ...] = ("value", "log", "bm25", "tfidf")


def describe_components() -> dict[str, str]:
    """One line per component, for help texts: ``{"binary": "1 on every ...", ...}``."""
    return {name: c.description for name, c in _COMPONENTS.items()}


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the choice closest to ``word`` (case-insensitive), or ``""``."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean '{lowered[close[0]]}'?)" if close else ""


# ---------------------------------------------------------------------- parameters


def _params_overview() -> str:
    return " and ".join(f"{name} ({', '.join(c.params)})" for name, c in _COMPONENTS.items() if c.params)


def check_confidence_params(params: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, float]]:
    """Validate component parameters; returns every parameter, defaults filled in.

    Parameters
    ----------
    params : dict of str to dict of str to float, optional
        E.g. ``{"era": {"tau": 15}, "bm25": {"K1": 100, "B": 0.8}}``.

    Returns
    -------
    dict
        ``{component: {param: float}}`` for every component that has parameters.

    Raises
    ------
    ConfidenceSpecError
        An unknown component or parameter, or a value out of range.
    """
    full = {name: {p: spec.default for p, spec in c.params.items()}
            for name, c in _COMPONENTS.items() if c.params}
    if params is None:
        return full
    if not isinstance(params, Mapping):
        raise ConfidenceSpecError("confidence params must be a dict such as {'era': {'tau': 15}}, "
                                  f"got {type(params).__name__}")
    for comp, values in params.items():
        if comp not in _COMPONENTS:
            raise ConfidenceSpecError(f"confidence params name an unknown component {comp!r}"
                                      f"{suggest(str(comp), COMPONENTS)}; known: {', '.join(COMPONENTS)}")
        spec = _COMPONENTS[comp].params
        if not isinstance(values, Mapping):
            raise ConfidenceSpecError(f"confidence params for {comp!r} must be a dict such as "
                                      f"{{'tau': 15}}, got {type(values).__name__}")
        if not spec:
            if values:
                raise ConfidenceSpecError(f"component {comp!r} takes no parameters; only "
                                          f"{_params_overview()} do")
            continue
        for name, value in values.items():
            if name not in spec:
                raise ConfidenceSpecError(f"unknown parameter {name!r} for component {comp!r}"
                                          f"{suggest(str(name), spec)}; it takes: {', '.join(spec)}")
            full[comp][name] = spec[name].check(value, f"{comp}.{name}")
    return full


def check_alpha(alpha: Any) -> float:
    """``alpha`` as a float: a finite number >= 0 (a :class:`ConfidenceSpecError` otherwise)."""
    return _Param(1.0, "a finite number >= 0", 0.0, None, "left").check(alpha, "alpha")


def check_side_information(name: str, ds: Dataset, from_matrix: bool) -> None:
    """Raise a :class:`ConfidenceSpecError` when ``ds`` lacks what component ``name`` needs."""
    needs = _COMPONENTS[name].needs
    if needs is None:
        return
    present = {
        "genres": ds.genres is not None and ds.genres.matrix.count_nonzero() > 0,
        "years": ds.years is not None and bool(np.isfinite(ds.years).any()),
        "time": ds.times is not None,
    }[needs]
    if present:
        return
    what, where = _NEEDS_TEXT[needs]
    if from_matrix:
        raise ConfidenceSpecError(
            f"component {name!r} needs {what}; a plain sparse matrix has none: pass a reclite Dataset "
            f"({where}), or use one of {', '.join(_VALUE_COMPONENTS)}")
    raise ConfidenceSpecError(f"component {name!r} needs {what}; this dataset has none ({where})")


# ---------------------------------------------------------------------- training statistics


@dataclass(frozen=True, eq=False)
class ConfidenceStatistics:
    """What the confidence components take from the whole training data.

    :func:`confidence_statistics` learns them once from the training Dataset;
    :func:`apply_confidence` then weighs any users' rows with them: the training
    users' own rows (which is :func:`build_confidence`) or the history of a user the
    model never saw (``Recommender.recommend_from_history``), so both get the same
    weights for the same interactions.

    What each component takes from the training data, and what from the rows it
    weighs (everything not listed here comes from the rows alone):

    ========== ============================================= ==============================
    component  training statistics                           from the rows being weighed
    ========== ============================================= ==============================
    value      largest value (``maxima["value"]``)           the values
    log        largest ``log(1 + v)`` (``maxima["log"]``)    the values
    pop        distinct users per item (``item_users``)      the items
    genre      item genres (``genres``)                      the user's items (shares)
    era        item release years (``years``)                the items
    time       nothing                                       the timestamps (recency ranks)
    bm25       item value sums (``item_sums``), the          the values and the user's
               largest raw weight (``maxima["bm25"]``)       number of items (idf)
    tfidf      the largest raw weight (``maxima["tfidf"]``)  the values, number of items
    ========== ============================================= ==============================

    Rows other than the training rows can exceed a training maximum (a larger play
    count, a shorter history with a larger idf); their scaled weight is capped at 1,
    so every component stays in [0, 1].

    Attributes
    ----------
    n_items : int
        Number of items (columns).
    item_users : ndarray of shape (n_items,), int64
        Distinct training users per item.
    item_sums : ndarray of shape (n_items,), float64
        Sum of each item's training values.
    maxima : dict of str to float
        The largest raw weight over the training pairs, for the components of the
        expression that are scaled by it (value, log, bm25, tfidf).
    unit_values : bool
        Every training value is 1 (data without values): a history without values
        then has value 1 per item, as the training data had.
    genres : csr_matrix of shape (n_items, n_genres), float64
        1.0 where an item has a genre (no genres: no columns).
    years : ndarray of shape (n_items,), float64
        Release years, NaN when unknown (no years: all NaN).
    """

    n_items: int
    item_users: np.ndarray
    item_sums: Float64Array
    maxima: dict[str, float]
    unit_values: bool
    genres: sp.csr_matrix
    years: Float64Array

    def to_attributes(self) -> dict[str, Any]:
        """Everything but ``item_users`` as plain arrays and one JSON dict, for model files.

        Returns ``{"stats": dict, "item_sums": float64 (n_items,), "years": float64
        (n_items,), "genre_indptr": int64 (n_items + 1,), "genre_indices": int32 (nnz,)}``;
        :meth:`from_attributes` rebuilds the statistics from it and ``item_users``.
        """
        return {
            "stats": {"n_items": int(self.n_items), "unit_values": bool(self.unit_values),
                      "maxima": {k: float(v) for k, v in self.maxima.items()},
                      "n_genres": int(self.genres.shape[1])},
            "item_sums": np.asarray(self.item_sums, dtype=np.float64),
            "years": np.asarray(self.years, dtype=np.float64),
            "genre_indptr": self.genres.indptr.astype(np.int64),
            "genre_indices": self.genres.indices.astype(np.int32),
        }

    @classmethod
    def from_attributes(cls, attrs: Mapping[str, Any], item_users: Any) -> ConfidenceStatistics:
        """Inverse of :meth:`to_attributes` (``attrs`` as it returned them)."""
        stats = attrs["stats"]
        n_items = int(stats["n_items"])
        indptr = np.asarray(attrs["genre_indptr"], dtype=np.int64)
        indices = np.asarray(attrs["genre_indices"], dtype=np.int32)
        genres = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(n_items, int(stats["n_genres"])))
        return cls(n_items=n_items, item_users=np.asarray(item_users, dtype=np.int64),
                   item_sums=np.asarray(attrs["item_sums"], dtype=np.float64),
                   maxima={str(k): float(v) for k, v in dict(stats["maxima"]).items()},
                   unit_values=bool(stats["unit_values"]), genres=genres,
                   years=np.asarray(attrs["years"], dtype=np.float64))


# ---------------------------------------------------------------------- weights of rows


class Rows:
    """Rows a confidence expression is evaluated on: arrays aligned with the CSR's nonzeros.

    ``C`` holds the interaction values (sorted indices, no duplicates), ``times`` the
    timestamps aligned with ``C.data`` (or None); ``source`` names the rows in messages.
    """

    def __init__(self, C: sp.csr_matrix, stats: ConfidenceStatistics | None, params: dict[str, dict[str, float]],
                 times: np.ndarray | None, source: str, hint: str) -> None:
        self.C = C
        self.stats = stats
        self.params = params
        self.times = times
        self.source = source
        self.hint = hint
        self.n_users, self.n_items = C.shape
        self.items = C.indices.astype(np.int64)
        self.row_len = np.diff(C.indptr).astype(np.int64)
        self.users = np.repeat(np.arange(self.n_users, dtype=np.int64), self.row_len)
        self.values = C.data.astype(np.float64)
        self._raw: dict[str, Float64Array] = {}

    def checked_values(self, name: str) -> Float64Array:
        v = self.values
        if v.size and not (np.isfinite(v).all() and v.min() >= 0):
            bad = v[~np.isfinite(v) | (v < 0)][0]
            raise ConfidenceSpecError(f"component {name!r} needs finite, non-negative interaction values; "
                                      f"{self.source} has {bad:g}{self.hint}")
        return v

    def compute(self, name: str) -> Float64Array:
        if self.C.nnz == 0:
            return np.zeros(0)
        if name in SCALED:
            assert self.stats is not None
            return _scale(self.raw(name), self.stats.maxima[name])
        return getattr(self, f"_c_{name}")()

    def raw(self, name: str) -> Float64Array:
        """The unscaled weights of a component that is divided by its training maximum."""
        if name not in self._raw:
            self._raw[name] = getattr(self, f"_raw_{name}")()
        return self._raw[name]

    # -- one method per component: float64 array aligned with C.data, within [0, 1]
    def _c_binary(self) -> Float64Array:
        return np.ones(self.C.nnz)

    def _raw_value(self) -> Float64Array:
        return self.checked_values("value")

    def _raw_log(self) -> Float64Array:
        return np.log1p(self.checked_values("log"))

    def _c_pop(self) -> Float64Array:
        assert self.stats is not None
        n = self.stats.item_users
        top = np.log1p(n.max())
        return np.log1p(n)[self.items] / top if top > 0 else np.zeros(self.C.nnz)

    def _c_genre(self) -> Float64Array:
        assert self.stats is not None
        G = self.stats.genres
        n_genres = G.shape[1]
        # S = rownorm(X_bin) @ G: users x genres shares s_u(g), stored sparse
        share = sp.csr_matrix((1.0 / self.row_len[self.users], self.C.indices, self.C.indptr),
                              shape=self.C.shape)
        S = sp.csr_matrix(share @ G)
        S.sum_duplicates()
        S.sort_indices()
        s_keys = np.repeat(np.arange(self.n_users, dtype=np.int64), np.diff(S.indptr)) * n_genres + S.indices
        deg = np.diff(G.indptr)
        out = np.zeros(self.C.nnz)
        chunk = 1 << 21
        for start in range(0, self.C.nnz, chunk):
            it = self.items[start:start + chunk]
            uu = self.users[start:start + chunk]
            c = deg[it]
            total = int(c.sum())
            if total == 0:
                continue
            # one row per (nonzero, genre of its item); look s_u(g) up in S by key u * n_genres + g
            rep = np.repeat(np.arange(len(it)), c)
            offset = np.arange(total) - np.repeat(np.cumsum(c) - c, c)
            g = G.indices[np.repeat(G.indptr[it], c) + offset]
            pos = np.searchsorted(s_keys, uu[rep] * n_genres + g)
            sums = np.bincount(rep, weights=S.data[pos], minlength=len(it))
            np.divide(sums, c, out=out[start:start + chunk], where=c > 0)
        return np.clip(out, 0.0, 1.0)

    def _c_era(self) -> Float64Array:
        assert self.stats is not None
        tau = self.params["era"]["tau"]
        years = self.stats.years
        known = np.isfinite(years)
        latest = years[known].max()
        filled = np.where(known, years, np.median(years[known]))
        return np.exp((filled - latest) / tau)[self.items]

    def _c_time(self) -> Float64Array:
        if self.times is None:
            raise ParameterError(f"component 'time' needs a timestamp for each interaction of {self.source}; "
                                 "none were given")
        t = self.times
        order = user_time_order(self.users, t, self.n_users)  # by (user, time)
        u_s, t_s = self.users[order], t[order]
        new = np.ones(len(order), dtype=bool)
        new[1:] = (u_s[1:] != u_s[:-1]) | (t_s[1:] != t_s[:-1])
        starts = np.flatnonzero(new)
        ends = np.append(starts[1:], len(order))
        group_end = ends[np.cumsum(new) - 1]  # one past the last tie of each interaction
        out = np.empty(len(order))
        out[order] = (group_end - self.C.indptr[u_s]) / self.row_len[u_s]
        return out

    def _idf_users(self) -> Float64Array:
        # implicit: N = rows of the items x users matrix (the catalogue), df = entries per user
        return idf(self.n_items, self.row_len)

    # bm25 and tfidf weigh the items x users matrix (items are the documents, users the terms)
    def _raw_bm25(self) -> Float64Array:
        assert self.stats is not None
        k1, b = self.params["bm25"]["K1"], self.params["bm25"]["B"]
        v = self.checked_values("bm25")
        item_len = self.stats.item_sums
        return bm25(v, self.items, item_len, float(item_len.mean()), self._idf_users()[self.users], k1, b)

    def _raw_tfidf(self) -> Float64Array:
        return tfidf(self.checked_values("tfidf"), self._idf_users()[self.users])


def _scale(raw: Float64Array, top: float) -> Float64Array:
    """``max(raw, 0) / top``, capped at 1 (rows other than the training rows may exceed ``top``)."""
    raw = np.maximum(raw, 0.0)
    if not top > 0:
        return np.zeros_like(raw)
    return np.minimum(raw / top, 1.0)
