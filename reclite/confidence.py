r"""Confidence weighting: components of side information combined by a tiny expression language.

Every model takes a ``confidence`` expression and an ``alpha``. On each observed
(user, item) pair the confidence is

.. math:: c_{ui} = 1 + \alpha \, f(u, i)

(Hu, Koren & Volinsky, 2008), where ``f`` is the expression evaluated on that pair.
The matrix has exactly the sparsity of ``Dataset.matrix()``; unobserved pairs stay
absent (zero).

Components
----------
Each component is scaled into [0, 1] before combining:

``binary``
    1.
``value``
    :math:`v_{ui} / \max v`: the interaction value (rating, play count) over the
    largest value in the data.
``log``
    :math:`\log(1 + v_{ui}) / \log(1 + \max v)`.
``pop``
    :math:`\log(1 + n_i) / \log(1 + \max_j n_j)`, with :math:`n_i` the number of
    distinct users of item ``i``.
``genre``
    The user's preference for the item's genres. With
    :math:`s_u(g) = |\{j \in I_u : g \in G_j\}| / |I_u|` (the share of u's
    interactions whose item has genre g),
    :math:`\mathrm{genre}(u, i) = \frac{1}{|G_i|} \sum_{g \in G_i} s_u(g)`,
    and 0 for an item without genres.
``era``
    :math:`\exp((y_i - y_{\max}) / \tau)`, :math:`\tau` = 10 years by default
    (parameter ``tau``); :math:`y_{\max}` is the latest release year among all
    items of the Dataset (the catalogue, not only the items with interactions). An
    item of unknown year gets the weight of the median known year of the catalogue.
``time``
    Recency within the user's history:
    :math:`|\{j \in I_u : t_{uj} \le t_{ui}\}| / |I_u|`, the rank of the
    interaction's time among the user's interactions divided by their number, the
    latest being 1. Ties share the highest rank: interactions with the same
    timestamp get the same value, and a user whose interactions all have one
    timestamp gets 1 everywhere.
``bm25``
    implicit's ``bm25_weight`` applied as implicit's ``BM25Recommender`` applies it,
    to the items x users matrix (items are the documents, users the terms):
    :math:`\frac{v_{ui} (K_1 + 1)}{K_1 L_i + v_{ui}} \,\mathrm{idf}_u`, with
    :math:`\mathrm{idf}_u = \log N - \log(1 + n_u)` (N = number of items, n_u =
    interactions of u) and :math:`L_i = (1 - B) + B \, \ell_i / \bar\ell`
    (:math:`\ell_i` = sum of item i's values, :math:`\bar\ell` its mean over all
    items). Defaults ``K1=100``, ``B=0.8`` as in implicit. Negative weights (only a
    user who has every item has :math:`\mathrm{idf}_u < 0`) are clipped to 0; the
    result is divided by its largest value.
``tfidf``
    implicit's ``tfidf_weight`` in the same orientation:
    :math:`\sqrt{v_{ui}} \,\mathrm{idf}_u`, clipped at 0 and divided by its
    largest value.

``value``, ``log``, ``bm25`` and ``tfidf`` need finite, non-negative values. A
component whose largest raw weight is 0 is 0 everywhere.

Expressions
-----------
Components, non-negative numeric constants, ``+``, ``*`` and parentheses:
``genre+pop``, ``(genre+pop)*era``, ``0.7*genre+0.3*pop``, ``bm25``. ``*`` binds
tighter than ``+``. The expression is **not rescaled**: ``genre+pop`` ranges over
[0, 2], ``0.7*genre+0.3*pop`` over [0, 1]; ``alpha`` scales whatever the expression
gives. As there is no subtraction, ``f >= 0`` and every confidence is at least 1.

Component parameters come as ``params={"era": {"tau": 15}, "bm25": {"K1": 100,
"B": 0.8}}`` (or ``--confidence-param era.tau=15`` on the command line, through
:func:`parse_param_assignments`). Parameters of components that the expression does
not use are checked but otherwise ignored, so one dict can serve several
expressions.

A plain users x items sparse matrix carries no side information: only ``binary``,
``value``, ``log``, ``pop``, ``bm25`` and ``tfidf`` work on it.

Training statistics and other users' rows
-----------------------------------------
:func:`build_confidence` is two steps: :func:`confidence_statistics` learns from
the whole training data what the components need from it (item popularity, item
genres and years, item value sums for BM25, and the largest raw weight of
``value``, ``log``, ``bm25`` and ``tfidf``), and :func:`apply_confidence` weighs
users' rows with those statistics. A model keeps the statistics, so the history of
a user it never saw is weighed exactly as the training rows were: a training user's
history gets their training row back. Everything per user (genre shares, recency
ranks, idf) comes from the row itself; ``time`` needs the rows' timestamps and the
value-based components their values. A row can exceed a training maximum (a larger
play count, a shorter history); its scaled weight is capped at 1.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._typing import VALUE_DTYPE, Float64Array
from .data.dataset import Dataset, user_time_order
from .errors import ConfidenceSpecError, DataError, ParameterError

__all__ = [
    "COMPONENTS",
    "ConfidenceExpression",
    "ConfidenceStatistics",
    "apply_confidence",
    "build_confidence",
    "confidence_statistics",
    "confidence_values",
    "confidence_weights",
    "fit_confidence",
    "describe_components",
    "parse_confidence",
    "parse_param_assignments",
    "check_confidence_params",
]

# ---------------------------------------------------------------------- components


@dataclass(frozen=True)
class _Param:
    default: float
    rule: str  # shown in error messages
    ok: Callable[[float], bool]


@dataclass(frozen=True)
class _Component:
    description: str
    needs: str | None = None  # "genres", "years", "time" or None (values only)
    params: Mapping[str, _Param] | None = None


_POSITIVE = ("a finite number > 0", lambda x: math.isfinite(x) and x > 0)
_UNIT = ("a number in [0, 1]", lambda x: 0.0 <= x <= 1.0)

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


def describe_components() -> dict[str, str]:
    """One line per component, for help texts: ``{"binary": "1 on every ...", ...}``."""
    return {name: c.description for name, c in _COMPONENTS.items()}


def _suggest(word: str, choices: Iterable[str]) -> str:
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
                                      f"{_suggest(str(comp), COMPONENTS)}; known: {', '.join(COMPONENTS)}")
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
                                          f"{_suggest(str(name), spec)}; it takes: {', '.join(spec)}")
            rule = spec[name]
            ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
            if not (ok and rule.ok(float(value))):
                raise ConfidenceSpecError(f"{comp}.{name} must be {rule.rule}, got {value!r}")
            full[comp][name] = float(value)
    return full


def parse_param_assignments(assignments: Iterable[str] | None) -> dict[str, dict[str, float]]:
    """Turn CLI strings such as ``["era.tau=15", "bm25.K1=50"]`` into a params dict.

    Returns ``{"era": {"tau": 15.0}, "bm25": {"K1": 50.0}}`` (only what was given; a
    later assignment of the same parameter wins). The result is validated like
    :func:`check_confidence_params`.

    Raises
    ------
    ConfidenceSpecError
        A string not of the form ``component.param=value``, a value that is not a
        number, or an unknown component / parameter / out-of-range value.
    """
    out: dict[str, dict[str, float]] = {}
    for text in assignments or ():
        m = re.fullmatch(r"\s*([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*=\s*(\S+)\s*", str(text))
        if m is None:
            raise ConfidenceSpecError(f"confidence parameter {text!r} must look like component.param=value, "
                                      "e.g. era.tau=15")
        comp, name, raw = m.groups()
        try:
            value = float(raw)
        except ValueError:
            raise ConfidenceSpecError(f"confidence parameter {text!r}: {raw!r} is not a number") from None
        out.setdefault(comp, {})[name] = value
    check_confidence_params(out)
    return out


def _check_alpha(alpha: Any) -> float:
    ok = isinstance(alpha, (int, float, np.integer, np.floating)) and not isinstance(alpha, bool)
    if ok:
        ok = math.isfinite(float(alpha)) and float(alpha) >= 0
    if not ok:
        raise ConfidenceSpecError(f"alpha must be a finite number >= 0, got {alpha!r}")
    return float(alpha)


# ---------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class _Num:
    value: float
    pos: int


@dataclass(frozen=True)
class _Name:
    name: str
    pos: int


@dataclass(frozen=True)
class _Op:
    op: str  # "+" or "*"
    left: _Node
    right: _Node


_Node = _Num | _Name | _Op

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_]\w*)
  | (?P<op>[+*()])
""", re.VERBOSE)
_MAX_DEPTH = 64


@dataclass(frozen=True)
class ConfidenceExpression:
    """A parsed confidence expression (see :func:`parse_confidence`).

    Attributes
    ----------
    spec : str
        The expression as written.
    components : tuple of str
        The component names it uses, in order of first appearance.
    """

    spec: str
    tree: Any
    components: tuple[str, ...]

    def __str__(self) -> str:
        return _render(self.tree)

    def evaluate(self, component: Callable[[str], Float64Array | float]) -> Float64Array | float:
        """Evaluate with ``component(name)`` giving each component's values (asked once per name)."""
        cache: dict[str, Any] = {}

        def get(name: str) -> Any:
            if name not in cache:
                cache[name] = component(name)
            return cache[name]

        return _evaluate(self.tree, get)


def _render(node: _Node, parent: str = "+") -> str:
    if isinstance(node, _Num):
        return f"{node.value:g}"
    if isinstance(node, _Name):
        return node.name
    text = f"{_render(node.left, node.op)}{node.op}{_render(node.right, node.op)}"
    return f"({text})" if node.op == "+" and parent == "*" else text


def _evaluate(node: _Node, get: Callable[[str], Any]) -> Any:
    if isinstance(node, _Num):
        return node.value
    if isinstance(node, _Name):
        return get(node.name)
    left, right = _evaluate(node.left, get), _evaluate(node.right, get)
    return left + right if node.op == "+" else left * right


class _Parser:
    """Recursive descent over ``expr := term ('+' term)*; term := factor ('*' factor)*;
    factor := NUMBER | NAME | '(' expr ')'``."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.tokens = self._tokenize(spec)
        self.at = 0
        self.depth = 0
        self.names: list[str] = []

    def error(self, pos: int, what: str) -> ConfidenceSpecError:
        shown = re.sub(r"\s", " ", self.spec)
        return ConfidenceSpecError(f"malformed confidence expression at position {pos}: {what}\n"
                                   f"  {shown}\n  {' ' * pos}^")

    def _tokenize(self, spec: str) -> list[tuple[str, str, int]]:
        tokens = []
        pos = 0
        while pos < len(spec):
            m = _TOKEN.match(spec, pos)
            if m is None:
                raise self.error(pos, f"unexpected character {spec[pos]!r} (components combine with "
                                      "'+' and '*' only)")
            kind = m.lastgroup or ""  # every alternative of _TOKEN is a named group
            if kind != "space":
                tokens.append((kind if kind != "op" else m.group(), m.group(), pos))
            pos = m.end()
        tokens.append(("end", "", len(spec)))
        return tokens

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.at]

    def parse(self) -> _Node:
        node = self.expr()
        kind, _, pos = self.peek()
        if kind == ")":
            raise self.error(pos, "unmatched ')'")
        if kind != "end":
            raise self.error(pos, "expected '+', '*' or the end of the expression")
        return node

    def expr(self) -> _Node:
        node = self.term()
        while self.peek()[0] == "+":
            self.at += 1
            node = _Op("+", node, self.term())
        return node

    def term(self) -> _Node:
        node = self.factor()
        while self.peek()[0] == "*":
            self.at += 1
            node = _Op("*", node, self.factor())
        return node

    def factor(self) -> _Node:
        kind, text, pos = self.peek()
        if kind == "num":
            self.at += 1
            value = float(text)
            if not math.isfinite(value):
                raise self.error(pos, f"the constant {text} is not finite")
            return _Num(value, pos)
        if kind == "name":
            self.at += 1
            if text not in _COMPONENTS:
                raise ConfidenceSpecError(
                    f"unknown component {text!r} at position {pos} in {self.spec!r}"
                    f"{_suggest(text, COMPONENTS)}; known: {', '.join(COMPONENTS)}")
            if text not in self.names:
                self.names.append(text)
            return _Name(text, pos)
        if kind == "(":
            self.at += 1
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise self.error(pos, f"parentheses nested deeper than {_MAX_DEPTH}")
            node = self.expr()
            kind2, _, pos2 = self.peek()
            if kind2 == "end":
                raise self.error(pos2, f"missing ')' to close the '(' at position {pos}")
            if kind2 != ")":
                raise self.error(pos2, "expected '+', '*' or ')'")
            self.at += 1
            self.depth -= 1
            return node
        raise self.error(pos, "expected a component name, number or '('")


def parse_confidence(spec: str | ConfidenceExpression) -> ConfidenceExpression:
    """Parse a confidence expression such as ``"(genre+pop)*era"``; no data needed.

    Use it to reject a bad ``--confidence`` before any data is read.

    Raises
    ------
    ConfidenceSpecError
        A malformed expression (the message shows it with a caret under the
        problem) or an unknown component (the message lists the known ones).

    Examples
    --------
    >>> parse_confidence("(genre + pop) * era").components
    ('genre', 'pop', 'era')
    >>> str(parse_confidence("0.7 * genre + 0.3*pop"))
    '0.7*genre+0.3*pop'
    """
    if isinstance(spec, ConfidenceExpression):
        return spec
    if not isinstance(spec, str):
        raise ConfidenceSpecError(f"confidence must be an expression such as 'binary' or 'genre+pop', "
                                  f"got {spec!r}")
    if not spec.strip():
        raise ConfidenceSpecError("confidence expression is empty; expected e.g. 'binary' or 'genre+pop' "
                                  f"(components: {', '.join(COMPONENTS)})")
    parser = _Parser(spec)
    tree = parser.parse()
    return ConfidenceExpression(spec, tree, tuple(parser.names))


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


#: components scaled by their largest raw weight on the training pairs
_SCALED = ("value", "log", "bm25", "tfidf")
#: components that read the interaction values
_READS_VALUES = ("value", "log", "bm25", "tfidf")


def _canonical_genres(ds: Dataset) -> sp.csr_matrix:
    """The items x genres membership as float64 ones, canonical (no zeros, no duplicates, sorted)."""
    if ds.genres is None:
        return sp.csr_matrix((ds.n_items, 0), dtype=np.float64)
    G = sp.csr_matrix(ds.genres.matrix, copy=True)
    G.eliminate_zeros()
    G.sum_duplicates()
    G.sort_indices()
    return sp.csr_matrix((np.ones(G.nnz), G.indices, G.indptr), shape=G.shape)


# ---------------------------------------------------------------------- evaluation


class _Rows:
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
        if name in _SCALED:
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
        return np.log(self.n_items) - np.log1p(self.row_len)

    def _raw_bm25(self) -> Float64Array:
        assert self.stats is not None
        k1, b = self.params["bm25"]["K1"], self.params["bm25"]["B"]
        v = self.checked_values("bm25")
        item_len = self.stats.item_sums
        mean_len = item_len.mean()
        norm = (1.0 - b) + b * (item_len / mean_len if mean_len > 0 else np.zeros_like(item_len))
        denom = k1 * norm[self.items] + v
        raw = np.divide(v * (k1 + 1.0), denom, out=np.zeros_like(v), where=denom > 0)
        return raw * self._idf_users()[self.users]

    def _raw_tfidf(self) -> Float64Array:
        v = self.checked_values("tfidf")
        return np.sqrt(v) * self._idf_users()[self.users]


def _top(raw: Float64Array) -> float:
    """The largest weight after clipping at 0 (0 for no weights)."""
    return float(np.maximum(raw, 0.0).max()) if raw.size else 0.0


def _scale(raw: Float64Array, top: float) -> Float64Array:
    """``max(raw, 0) / top``, capped at 1 (rows other than the training rows may exceed ``top``)."""
    raw = np.maximum(raw, 0.0)
    if not top > 0:
        return np.zeros_like(raw)
    return np.minimum(raw / top, 1.0)


def _require(name: str, ds: Dataset, from_matrix: bool) -> None:
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


def _training_rows(data: Any, expr: ConfidenceExpression,
                   params: dict[str, dict[str, float]]) -> tuple[Dataset, _Rows]:
    """The training data as rows to weigh, every component's side information checked."""
    if isinstance(data, Dataset):
        ds, from_matrix = data, False
    elif sp.issparse(data):
        from .models.base import as_dataset

        ds, from_matrix = as_dataset(data), True
    else:
        raise TypeError("build_confidence expects a reclite Dataset or a users x items scipy sparse matrix, "
                        f"got {type(data).__name__}")
    C = ds.matrix()
    if C.nnz != len(ds):
        raise DataError(f"{ds.name or 'data'}: {len(ds) - C.nnz:,} duplicate (user, item) pairs; "
                        "build the Dataset with Dataset.from_frame, which merges them")
    C.sort_indices()
    for name in expr.components:
        _require(name, ds, from_matrix)
    times = None
    if "time" in expr.components:
        # the Dataset's timestamps in CSR order (it has one row per (user, item) pair)
        order_csr = np.argsort(ds.user_idx.astype(np.int64) * ds.n_items + ds.item_idx)
        times = np.asarray(ds.times)[order_csr]
    return ds, _Rows(C, None, params, times, "this data", " (use binary or pop instead)")


def _learn(ds: Dataset, rows: _Rows, expr: ConfidenceExpression) -> ConfidenceStatistics:
    """Statistics of the training rows (``rows`` then weighs with them, reusing its raw weights)."""
    n_items = ds.n_items
    stats = ConfidenceStatistics(
        n_items=n_items,
        item_users=np.bincount(rows.items, minlength=n_items).astype(np.int64),
        item_sums=np.bincount(rows.items, weights=rows.values, minlength=n_items).astype(np.float64),
        maxima={},
        unit_values=bool(np.all(rows.values == 1.0)),
        genres=_canonical_genres(ds),
        years=(np.full(n_items, np.nan) if ds.years is None else np.array(ds.years, dtype=np.float64)),
    )
    rows.stats = stats
    for name in expr.components:  # in the order the expression evaluates them (errors alike)
        if name in _SCALED:
            stats.maxima[name] = _top(rows.raw(name))
    return stats


def confidence_statistics(data: Dataset | sp.spmatrix, spec: str | ConfidenceExpression = "binary",
                          params: Mapping[str, Mapping[str, float]] | None = None) -> ConfidenceStatistics:
    """Learn what the expression ``spec`` needs from the whole training data.

    Parameters and errors as in :func:`build_confidence` (without ``alpha``).
    ``apply_confidence(stats, data.matrix(), spec, alpha, params, times)`` then equals
    ``build_confidence(data, spec, alpha, params)``.
    """
    expr = parse_confidence(spec)
    full = check_confidence_params(params)
    ds, rows = _training_rows(data, expr, full)
    return _learn(ds, rows, expr)


def _checked_rows(rows: Any, times: Any, n_items: int, source: str) -> tuple[sp.csr_matrix, np.ndarray | None]:
    """Rows of values (and timestamps aligned with their stored entries), checked and sorted."""
    if not sp.issparse(rows):
        raise ParameterError(f"{source} must be a scipy sparse matrix of shape (n_users, {n_items}), "
                             f"got {type(rows).__name__}")
    C = sp.csr_matrix(rows, dtype=np.float64, copy=True)
    if C.shape[1] != n_items:
        raise ParameterError(f"{source} must have {n_items} columns (one per item), got shape {C.shape}")
    t = None
    if times is not None:
        t = np.asarray(times)
        if t.shape != (C.nnz,):
            raise ParameterError(f"times must hold one timestamp per stored entry of {source} "
                                 f"({C.nnz:,}), got shape {t.shape}")
        if t.dtype.kind not in "iu":
            raise ParameterError(f"times must be integers (timestamps), got dtype {t.dtype}")
        t = t.astype(np.int64)
    n = C.shape[0]
    r = np.repeat(np.arange(n, dtype=np.int64), np.diff(C.indptr))
    key = r * max(n_items, 1) + C.indices
    if key.size > 1 and (np.diff(key) <= 0).any():
        order = np.argsort(key, kind="stable")
        key = key[order]
        if (np.diff(key) == 0).any():
            dup = int(np.flatnonzero(np.diff(key) == 0)[0])
            raise ParameterError(f"{source}: item {int(key[dup] % max(n_items, 1))} appears twice in row "
                                 f"{int(key[dup] // max(n_items, 1))}; each (row, item) may appear once")
        C = sp.csr_matrix((C.data[order], C.indices[order], C.indptr), shape=C.shape)
        t = None if t is None else t[order]
    C.has_sorted_indices = True
    return C, t


def confidence_weights(stats: ConfidenceStatistics, rows: sp.spmatrix, spec: str | ConfidenceExpression = "binary",
                       params: Mapping[str, Mapping[str, float]] | None = None, times: Any = None,
                       *, source: str = "the rows") -> Float64Array:
    """The expression ``f(u, i)`` on every stored entry of ``rows``, with training statistics.

    Parameters
    ----------
    stats : ConfidenceStatistics
        From :func:`confidence_statistics` on the training data, for the same ``spec``
        and ``params``.
    rows : sparse matrix of shape (n, stats.n_items)
        One row per user, the stored entries their interactions, the values their
        interaction values (ratings, play counts). Each (row, item) at most once.
    spec, params
        As in :func:`build_confidence`.
    times : array-like of int, optional
        A timestamp per stored entry of ``rows`` (in the order of ``csr_matrix(rows).data``);
        needed by the ``time`` component.
    source : str, default="the rows"
        What ``rows`` are, for messages.

    Returns
    -------
    ndarray of float64, aligned with the sorted CSR form of ``rows``.

    Raises
    ------
    ParameterError
        Rows of the wrong width, a repeated (row, item), ``time`` without times, or
        negative or non-finite values for a value-based component
        (:class:`ConfidenceSpecError`).
    """
    expr = parse_confidence(spec)
    full = check_confidence_params(params)
    C, t = _checked_rows(rows, times, stats.n_items, source)
    return np.array(_evaluate_rows(expr, _Rows(C, stats, full, t, source, "")))


def apply_confidence(stats: ConfidenceStatistics, rows: sp.spmatrix, spec: str | ConfidenceExpression = "binary",
                     alpha: float = 1.0, params: Mapping[str, Mapping[str, float]] | None = None,
                     times: Any = None, *, source: str = "the rows") -> sp.csr_matrix:
    """Confidence ``1 + alpha * f(u, i)`` of ``rows`` weighed with training statistics.

    The rows may be the training rows (``apply_confidence(confidence_statistics(ds,
    spec), ds.matrix(), spec, ...)`` is ``build_confidence(ds, spec, ...)``) or any
    other users' interactions, such as the history of a user the model never saw:
    every weight that depends on the whole data (popularity, item genres and years,
    BM25 lengths, the scale of value, log, bm25 and tfidf) comes from ``stats``,
    everything that depends on the user (genre shares, recency, idf) from their row.
    Parameters and errors as in :func:`confidence_weights`.

    Returns
    -------
    csr_matrix of shape ``rows.shape``, float32, sorted indices.
    """
    alpha = _check_alpha(alpha)
    expr = parse_confidence(spec)
    full = check_confidence_params(params)
    C, t = _checked_rows(rows, times, stats.n_items, source)
    f = _evaluate_rows(expr, _Rows(C, stats, full, t, source, ""))
    C.data = (1.0 + alpha * f).astype(VALUE_DTYPE)
    return sp.csr_matrix(C, dtype=VALUE_DTYPE)


def _evaluate_rows(expr: ConfidenceExpression, rows: _Rows) -> Float64Array:
    f = expr.evaluate(rows.compute)
    return np.broadcast_to(np.asarray(f, dtype=np.float64), (rows.C.nnz,))


def confidence_values(data: Dataset | sp.spmatrix, spec: str = "binary",
                      params: Mapping[str, Mapping[str, float]] | None = None) -> Float64Array:
    """The expression ``f(u, i)`` on every observed pair, before ``1 + alpha * f``.

    Returns a float64 array aligned with ``data.matrix().data`` (CSR order: by user,
    then item). Parameters and errors as in :func:`build_confidence`.
    """
    expr = parse_confidence(spec)
    full = check_confidence_params(params)
    ds, rows = _training_rows(data, expr, full)
    _learn(ds, rows, expr)
    return np.array(_evaluate_rows(expr, rows))


def fit_confidence(data: Dataset | sp.spmatrix, spec: str = "binary", alpha: float = 1.0,
                   params: Mapping[str, Mapping[str, float]] | None = None,
                   ) -> tuple[sp.csr_matrix, ConfidenceStatistics]:
    """:func:`build_confidence` and the :class:`ConfidenceStatistics` it used, in one pass."""
    expr = parse_confidence(spec)
    alpha = _check_alpha(alpha)
    full = check_confidence_params(params)
    ds, rows = _training_rows(data, expr, full)
    stats = _learn(ds, rows, expr)
    f = _evaluate_rows(expr, rows)
    C = rows.C
    C.data = (1.0 + alpha * f).astype(VALUE_DTYPE)
    return C, stats


def build_confidence(data: Dataset | sp.spmatrix, spec: str = "binary", alpha: float = 1.0,
                     params: Mapping[str, Mapping[str, float]] | None = None) -> sp.csr_matrix:
    """Users x items confidence matrix ``1 + alpha * f(u, i)`` on the observed pairs.

    Learns the training statistics (:func:`confidence_statistics`) and applies them
    to the data's own rows (:func:`apply_confidence`).

    Parameters
    ----------
    data : Dataset or sparse matrix of shape (n_users, n_items)
        The training data. A plain matrix carries no side information, so only the
        value-based components (binary, value, log, pop, bm25, tfidf) work on it.
    spec : str, default="binary"
        Confidence expression: components (see the module docstring and
        :func:`describe_components`) joined by ``+`` and ``*``, with parentheses and
        non-negative constants, e.g. ``"(genre+pop)*era"``. Not rescaled:
        ``genre+pop`` lies in [0, 2].
    alpha : float, default=1.0
        Scale of the expression; finite and >= 0.
    params : dict, optional
        Component parameters, e.g. ``{"era": {"tau": 15}, "bm25": {"K1": 100, "B": 0.8}}``.

    Returns
    -------
    csr_matrix of shape (n_users, n_items), float32
        Same sparsity as ``data.matrix()``, sorted indices. The data is not changed.

    Raises
    ------
    ConfidenceSpecError
        Malformed expression (shown with a caret), unknown component, unknown or
        out-of-range parameter, missing side information (naming the reader that
        loads it), negative or non-finite values for a value-based component, or an
        alpha that is negative or not finite.

    Examples
    --------
    >>> import reclite
    >>> C = build_confidence(reclite.demo_dataset(), "genre+pop", alpha=2.0)
    >>> bool(C.data.min() >= 1.0 and C.data.max() <= 5.0)
    True
    """
    return fit_confidence(data, spec, alpha, params)[0]
