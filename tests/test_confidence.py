"""Confidence components and expressions, checked against hand computations on `tiny`.

The `tiny` fixture (tests/conftest.py):

    user a: w (value 5, t=1), x (3, t=2), y (4, t=3)
    user b: x (1, t=5), z (2, t=4)
    user c: w (4, t=7)
    genres: w {Drama}, x {Drama, Comedy}, y {Comedy}, z {Horror}
    years:  w 1990, x 2000, y 2010, z unknown
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reclite.cli._params import parse_param_assignments

import reclite
from reclite.confidence import (
    COMPONENTS,
    ConfidenceStatistics,
    apply_confidence,
    build_confidence,
    check_confidence_params,
    confidence_statistics,
    confidence_values,
    confidence_weights,
    describe_components,
    parse_confidence,
)
from reclite.errors import ConfidenceSpecError, ParameterError

LOG = math.log
PAIRS = [("a", "w"), ("a", "x"), ("a", "y"), ("b", "x"), ("b", "z"), ("c", "w")]  # CSR order


def values_by_pair(ds, spec, params=None) -> dict[tuple[str, str], float]:
    """f(u, i) keyed by raw (user, item), read back through the CSR structure."""
    f = confidence_values(ds, spec, params)
    C = ds.matrix()
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    users = ds.users.to_raw(rows)
    items = ds.items.to_raw(C.indices)
    return {(str(u), str(i)): float(v) for u, i, v in zip(users, items, f)}


def assert_pairs(ds, spec, expected, params=None):
    got = values_by_pair(ds, spec, params)
    assert set(got) == set(expected)
    for pair, want in expected.items():
        assert got[pair] == pytest.approx(want, rel=1e-12, abs=1e-12), pair


# ---------------------------------------------------------------------- components by hand


def test_binary(tiny):
    assert_pairs(tiny, "binary", dict.fromkeys(PAIRS, 1.0))


def test_value(tiny):
    # largest value 5
    assert_pairs(tiny, "value", {("a", "w"): 5 / 5, ("a", "x"): 3 / 5, ("a", "y"): 4 / 5,
                                 ("b", "x"): 1 / 5, ("b", "z"): 2 / 5, ("c", "w"): 4 / 5})


def test_log(tiny):
    # log1p(v) / log1p(5)
    d = LOG(6)
    assert_pairs(tiny, "log", {("a", "w"): 1.0, ("a", "x"): LOG(4) / d, ("a", "y"): LOG(5) / d,
                               ("b", "x"): LOG(2) / d, ("b", "z"): LOG(3) / d, ("c", "w"): LOG(5) / d})


def test_pop(tiny):
    # distinct users: w 2 (a, c), x 2 (a, b), y 1, z 1; max 2 -> log1p(n) / log1p(2)
    one = LOG(2) / LOG(3)
    assert_pairs(tiny, "pop", {("a", "w"): 1.0, ("a", "x"): 1.0, ("a", "y"): one,
                               ("b", "x"): 1.0, ("b", "z"): one, ("c", "w"): 1.0})


def test_genre(tiny):
    # a: w{D}, x{D,C}, y{C}: s_a(D) = 2/3, s_a(C) = 2/3
    #   genre(a,w) = s_a(D) = 2/3; genre(a,x) = mean(2/3, 2/3) = 2/3; genre(a,y) = s_a(C) = 2/3
    # b: x{D,C}, z{H}: s_b(D) = s_b(C) = s_b(H) = 1/2
    #   genre(b,x) = mean(1/2, 1/2) = 1/2; genre(b,z) = 1/2
    # c: w{D}: s_c(D) = 1 -> genre(c,w) = 1
    assert_pairs(tiny, "genre", {("a", "w"): 2 / 3, ("a", "x"): 2 / 3, ("a", "y"): 2 / 3,
                                 ("b", "x"): 1 / 2, ("b", "z"): 1 / 2, ("c", "w"): 1.0})


def test_genre_uneven_shares(tiny):
    # drop a's interaction with y: a has w{D}, x{D,C}: s_a(D) = 2/2 = 1, s_a(C) = 1/2
    #   genre(a,w) = 1; genre(a,x) = mean(1, 1/2) = 3/4
    keep = ~((tiny.user_idx == tiny.users.to_index(["a"])[0]) & (tiny.item_idx == tiny.items.to_index(["y"])[0]))
    ds = tiny.subset(keep)
    got = values_by_pair(ds, "genre")
    assert got[("a", "w")] == pytest.approx(1.0)
    assert got[("a", "x")] == pytest.approx(3 / 4)


def test_genre_item_without_genres_is_zero(tiny):
    # z loses its only genre -> genre(b,z) = 0; b's shares: s_b(D) = s_b(C) = 1/2 -> genre(b,x) = 1/2
    g = reclite.MultiHot.from_pairs(tiny.items.to_index(["w", "x", "x", "y"]),
                                    np.array(["Drama", "Drama", "Comedy", "Comedy"]), tiny.n_items)
    ds = reclite.Dataset(tiny.user_idx, tiny.item_idx, tiny.values, tiny.times, users=tiny.users,
                         items=tiny.items, genres=g, years=tiny.years)
    got = values_by_pair(ds, "genre")
    assert got[("b", "z")] == 0.0
    assert got[("b", "x")] == pytest.approx(1 / 2)


def test_era(tiny):
    # latest year 2010; z unknown -> median of (1990, 2000, 2010) = 2000; tau = 10
    # w: exp(-20/10), x: exp(-10/10), y: exp(0), z: exp(-10/10)
    assert_pairs(tiny, "era", {("a", "w"): math.exp(-2), ("a", "x"): math.exp(-1), ("a", "y"): 1.0,
                               ("b", "x"): math.exp(-1), ("b", "z"): math.exp(-1), ("c", "w"): math.exp(-2)})


def test_era_tau_param(tiny):
    # tau = 20: w exp(-20/20), x exp(-10/20)
    got = values_by_pair(tiny, "era", {"era": {"tau": 20}})
    assert got[("a", "w")] == pytest.approx(math.exp(-1))
    assert got[("a", "x")] == pytest.approx(math.exp(-0.5))


def test_time(tiny):
    # a: t = 1, 2, 3 -> ranks 1, 2, 3 of 3; b: z t=4 (rank 1), x t=5 (rank 2) of 2; c: one item -> 1
    assert_pairs(tiny, "time", {("a", "w"): 1 / 3, ("a", "x"): 2 / 3, ("a", "y"): 1.0,
                                ("b", "x"): 1.0, ("b", "z"): 1 / 2, ("c", "w"): 1.0})


def test_time_ties_share_the_highest_rank(tiny):
    # a's times become w 1, x 3, y 3: w rank 1; x and y tie for ranks 2-3 -> both 3/3
    times = np.array(tiny.times).copy()
    a = tiny.users.to_index(["a"])[0]
    x = tiny.items.to_index(["x"])[0]
    times[(tiny.user_idx == a) & (tiny.item_idx == x)] = 3
    ds = reclite.Dataset(tiny.user_idx, tiny.item_idx, tiny.values, times, users=tiny.users,
                         items=tiny.items, genres=tiny.genres, years=tiny.years)
    got = values_by_pair(ds, "time")
    assert got[("a", "w")] == pytest.approx(1 / 3)
    assert got[("a", "x")] == 1.0
    assert got[("a", "y")] == 1.0


def test_tfidf(tiny):
    # items x users orientation (as implicit): N = 4 items; idf_u = log(4) - log1p(n_u)
    #   idf_a = log 4 - log 4 = 0; idf_b = log(4/3); idf_c = log 4 - log 2 = log 2
    # raw = sqrt(v) * idf_u: b,x = 1 * log(4/3); b,z = sqrt(2) * log(4/3); c,w = 2 * log 2 (the max)
    top = 2 * LOG(2)
    assert_pairs(tiny, "tfidf", {("a", "w"): 0.0, ("a", "x"): 0.0, ("a", "y"): 0.0,
                                 ("b", "x"): LOG(4 / 3) / top, ("b", "z"): math.sqrt(2) * LOG(4 / 3) / top,
                                 ("c", "w"): 1.0})


def test_bm25(tiny):
    # item value sums: w 5+4 = 9, x 3+1 = 4, y 4, z 2; mean over 4 items = 19/4
    # L_i = 0.2 + 0.8 * sum_i / (19/4); idf as in test_tfidf (a: 0, b: log(4/3), c: log 2)
    # raw = v * 101 / (100 * L_i + v) * idf_u
    def L(s):
        return 0.2 + 0.8 * s / (19 / 4)

    bx = 1 * 101 / (100 * L(4) + 1) * LOG(4 / 3)
    bz = 2 * 101 / (100 * L(2) + 2) * LOG(4 / 3)
    cw = 4 * 101 / (100 * L(9) + 4) * LOG(2)  # the largest: 1.5949 vs 1.0436 and 0.3288
    assert_pairs(tiny, "bm25", {("a", "w"): 0.0, ("a", "x"): 0.0, ("a", "y"): 0.0,
                                ("b", "x"): bx / cw, ("b", "z"): bz / cw, ("c", "w"): 1.0})


def test_bm25_params(tiny):
    # K1 = 1, B = 0: L_i = 1; raw = v * 2 / (1 + v) * idf_u
    #   b,x: 1 * 2/2 * log(4/3); b,z: 2 * 2/3 * log(4/3); c,w: 4 * 2/5 * log 2 (the max)
    got = values_by_pair(tiny, "bm25", {"bm25": {"K1": 1, "B": 0}})
    cw = 8 / 5 * LOG(2)
    assert got[("b", "x")] == pytest.approx(LOG(4 / 3) / cw)
    assert got[("b", "z")] == pytest.approx(4 / 3 * LOG(4 / 3) / cw)


def test_bm25_tfidf_match_implicit(rng):
    from implicit.nearest_neighbours import bm25_weight, tfidf_weight

    X = sp.random(40, 30, density=0.2, format="csr", random_state=np.random.RandomState(1),
                  data_rvs=lambda n: rng.integers(1, 6, n).astype(float))
    X.sort_indices()
    for name, fn in (("bm25", lambda m: bm25_weight(m, K1=100, B=0.8)), ("tfidf", tfidf_weight)):
        ref = sp.csr_matrix(fn(X.T.tocsr()).T)
        ref.sort_indices()
        raw = np.maximum(ref.data, 0)
        np.testing.assert_allclose(confidence_values(X, name), raw / raw.max(), rtol=1e-6, err_msg=name)


# ---------------------------------------------------------------------- expressions


def test_genre_plus_pop(tiny):
    # genre + pop, not rescaled: c,w = 1 + 1 = 2
    one = LOG(2) / LOG(3)
    assert_pairs(tiny, "genre+pop", {("a", "w"): 2 / 3 + 1, ("a", "x"): 2 / 3 + 1, ("a", "y"): 2 / 3 + one,
                                     ("b", "x"): 1 / 2 + 1, ("b", "z"): 1 / 2 + one, ("c", "w"): 2.0})


def test_genre_plus_pop_times_era(tiny):
    one = LOG(2) / LOG(3)
    e1, e2 = math.exp(-1), math.exp(-2)
    assert_pairs(tiny, "(genre + pop) * era", {
        ("a", "w"): (2 / 3 + 1) * e2, ("a", "x"): (2 / 3 + 1) * e1, ("a", "y"): (2 / 3 + one) * 1.0,
        ("b", "x"): (1 / 2 + 1) * e1, ("b", "z"): (1 / 2 + one) * e1, ("c", "w"): 2 * e2})


def test_weighted_sum(tiny):
    one = LOG(2) / LOG(3)
    assert_pairs(tiny, "0.7*genre+0.3*pop", {
        ("a", "w"): 0.7 * 2 / 3 + 0.3, ("a", "x"): 0.7 * 2 / 3 + 0.3, ("a", "y"): 0.7 * 2 / 3 + 0.3 * one,
        ("b", "x"): 0.7 / 2 + 0.3, ("b", "z"): 0.7 / 2 + 0.3 * one, ("c", "w"): 0.7 + 0.3})


def test_precedence_multiplication_binds_tighter(tiny):
    # genre+pop*era: a,w = 2/3 + 1 * exp(-2); with parentheses (genre+pop)*era differs
    got = values_by_pair(tiny, "genre+pop*era")
    assert got[("a", "w")] == pytest.approx(2 / 3 + math.exp(-2))
    got = values_by_pair(tiny, "genre*pop+time")
    # a,y: 2/3 * log2/log3 + 1
    assert got[("a", "y")] == pytest.approx(2 / 3 * LOG(2) / LOG(3) + 1)


def test_constants_only_and_repeated_component(tiny):
    assert_pairs(tiny, "2*(0.5+.25)", dict.fromkeys(PAIRS, 1.5))
    assert_pairs(tiny, "value*value", {p: v * v for p, v in values_by_pair(tiny, "value").items()})


def test_each_component_evaluated_once(tiny):
    calls = []
    expr = parse_confidence("pop*pop+pop")
    out = expr.evaluate(lambda name: calls.append(name) or np.full(3, 2.0))
    assert calls == ["pop"]
    np.testing.assert_array_equal(out, np.full(3, 2.0 * 2.0 + 2.0))


# ---------------------------------------------------------------------- the matrix


def test_build_confidence_alpha_and_layout(tiny):
    C = build_confidence(tiny, "genre+pop", alpha=2.0)
    M = tiny.matrix()
    assert isinstance(C, sp.csr_matrix)
    assert C.dtype == np.float32 and C.shape == M.shape
    assert C.has_sorted_indices
    np.testing.assert_array_equal(C.indptr, M.indptr)
    np.testing.assert_array_equal(C.indices, M.indices)
    f = confidence_values(tiny, "genre+pop")
    np.testing.assert_allclose(C.data, (1 + 2.0 * f).astype(np.float32))
    # c,w: 1 + 2 * (1 + 1) = 5
    assert C[tiny.users.to_index(["c"])[0], tiny.items.to_index(["w"])[0]] == pytest.approx(5.0)


def test_alpha_zero_gives_ones(tiny):
    C = build_confidence(tiny, "(genre+pop)*era", alpha=0)
    np.testing.assert_array_equal(C.data, np.ones(6, dtype=np.float32))


def test_default_is_binary_one_plus_alpha(tiny):
    C = build_confidence(tiny, alpha=3)
    np.testing.assert_array_equal(C.data, np.full(6, 4.0, dtype=np.float32))


def test_does_not_mutate_dataset(tiny):
    before = tiny.matrix()
    arrays = [np.array(a) for a in (tiny.user_idx, tiny.item_idx, tiny.values, tiny.times, tiny.years)]
    genres = tiny.genres.matrix.copy()
    C = build_confidence(tiny, "(genre+pop)*era+time+bm25+tfidf+log", alpha=5)
    C.data[:] = -1  # the result is the caller's own copy
    after = tiny.matrix()
    np.testing.assert_array_equal(after.data, before.data)
    for old, new in zip(arrays, (tiny.user_idx, tiny.item_idx, tiny.values, tiny.times, tiny.years)):
        np.testing.assert_array_equal(old, new)
    assert (tiny.genres.matrix != genres).nnz == 0


def test_sparse_matrix_input_value_components():
    X = sp.csr_matrix(np.array([[5.0, 3.0, 0.0], [0.0, 1.0, 2.0]]))
    C = build_confidence(X, "pop+value", alpha=1.0)
    # pop: item 0 one user, item 1 two users, item 2 one user -> log2/log3, 1, log2/log3
    one = LOG(2) / LOG(3)
    expected = np.array([1 + one + 5 / 5, 1 + 1 + 3 / 5, 1 + 1 + 1 / 5, 1 + one + 2 / 5], dtype=np.float32)
    np.testing.assert_allclose(C.data, expected, rtol=1e-6)
    np.testing.assert_array_equal(C.indices, [0, 1, 1, 2])


def test_works_through_a_model(tiny):
    model = reclite.Popularity(by="confidence", confidence="genre", alpha=1.0).fit(tiny)
    # item sums of 1 + genre: w (1 + 2/3) + (1 + 1), x (1 + 2/3) + (1 + 1/2), y 1 + 2/3, z 1 + 1/2
    w, x = tiny.items.to_index(["w", "x"])
    assert model.scores_[w] == pytest.approx(2 + 2 / 3 + 1, rel=1e-6)
    assert model.scores_[x] == pytest.approx(2 + 2 / 3 + 1 / 2, rel=1e-6)


def test_empty_dataset(tiny):
    ds = tiny.subset(np.zeros(len(tiny), dtype=bool))
    C = build_confidence(ds, "(genre+pop)*era+bm25", alpha=2)
    assert C.nnz == 0 and C.shape == tiny.matrix().shape


# ---------------------------------------------------------------------- parser


@pytest.mark.parametrize("spec, canonical", [
    ("binary", "binary"),
    ("  genre + pop ", "genre+pop"),
    ("(genre+pop)*era", "(genre+pop)*era"),
    ("((genre))", "genre"),
    ("0.7*genre+0.3*pop", "0.7*genre+0.3*pop"),
    ("genre*(pop*era)", "genre*pop*era"),
    ("1e-1*pop", "0.1*pop"),
    ("2.", "2"),
    (".5*time", "0.5*time"),
])
def test_parse_canonical(spec, canonical):
    assert str(parse_confidence(spec)) == canonical


def test_parse_components_in_order():
    assert parse_confidence("(genre+pop)*era+genre").components == ("genre", "pop", "era")
    assert parse_confidence("3").components == ()


def _caret(spec, pos, what):
    return f"malformed confidence expression at position {pos}: {what}\n  {spec}\n  {' ' * pos}^"


@pytest.mark.parametrize("spec, pos, what", [
    ("(genre+)*era", 7, "expected a component name, number or '('"),
    ("genre+", 6, "expected a component name, number or '('"),
    ("*pop", 0, "expected a component name, number or '('"),
    ("()", 1, "expected a component name, number or '('"),
    ("genre pop", 6, "expected '+', '*' or the end of the expression"),
    ("2genre", 1, "expected '+', '*' or the end of the expression"),
    ("1.2.3", 3, "expected '+', '*' or the end of the expression"),
    ("genre)", 5, "unmatched ')'"),
    ("(genre+pop", 10, "missing ')' to close the '(' at position 0"),
    ("(genre pop)", 7, "expected '+', '*' or ')'"),
    ("genre-pop", 5, "unexpected character '-' (components combine with '+' and '*' only)"),
    ("genre/2", 5, "unexpected character '/' (components combine with '+' and '*' only)"),
    ("1e999*pop", 0, "the constant 1e999 is not finite"),
])
def test_malformed_expression_errors(spec, pos, what):
    with pytest.raises(ConfidenceSpecError) as err:
        parse_confidence(spec)
    assert str(err.value) == _caret(spec, pos, what)


def test_malformed_expression_exact_text():
    with pytest.raises(ConfidenceSpecError) as err:
        parse_confidence("(genre+)*era")
    assert str(err.value) == ("malformed confidence expression at position 7: "
                              "expected a component name, number or '('\n"
                              "  (genre+)*era\n"
                              "         ^")


def test_caret_aligns_under_tabs():
    with pytest.raises(ConfidenceSpecError) as err:
        parse_confidence("genre\t+")
    assert str(err.value).splitlines()[1:] == ["  genre +", "         ^"]


def test_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(ConfidenceSpecError, match="nested deeper than 64"):
        parse_confidence("(" * 200 + "pop" + ")" * 200)


def test_unknown_component_lists_known():
    with pytest.raises(ConfidenceSpecError) as err:
        parse_confidence("(genr+pop)*era")
    assert str(err.value) == ("unknown component 'genr' at position 1 in '(genr+pop)*era' (did you mean "
                              "'genre'?); known: binary, value, log, pop, genre, era, time, bm25, tfidf")
    with pytest.raises(ConfidenceSpecError) as err:
        parse_confidence("qqq")
    assert str(err.value) == ("unknown component 'qqq' at position 0 in 'qqq'; "
                              "known: binary, value, log, pop, genre, era, time, bm25, tfidf")


def test_empty_and_non_string_spec():
    with pytest.raises(ConfidenceSpecError) as err:
        parse_confidence("  ")
    assert str(err.value) == ("confidence expression is empty; expected e.g. 'binary' or 'genre+pop' "
                              "(components: binary, value, log, pop, genre, era, time, bm25, tfidf)")
    with pytest.raises(ConfidenceSpecError) as err:
        parse_confidence(None)
    assert str(err.value) == "confidence must be an expression such as 'binary' or 'genre+pop', got None"


# ---------------------------------------------------------------------- data errors


def _no_side(tiny, times=True):
    return reclite.Dataset(tiny.user_idx, tiny.item_idx, tiny.values, tiny.times if times else None,
                           users=tiny.users, items=tiny.items)


@pytest.mark.parametrize("name, text", [
    ("genre", "component 'genre' needs item genres; this dataset has none "
              "(read_movielens and read_movie_competition load genres)"),
    ("era", "component 'era' needs item release years; this dataset has none "
            "(read_movielens and read_movie_competition load years)"),
    ("time", "component 'time' needs interaction timestamps; this dataset has none "
             "(read_movielens and read_movie_competition load them; read_csv takes time=<column>)"),
])
def test_missing_side_information(tiny, name, text):
    with pytest.raises(ConfidenceSpecError) as err:
        build_confidence(_no_side(tiny, times=False), f"pop+{name}")
    assert str(err.value) == text


def test_all_years_unknown_counts_as_none(tiny):
    ds = reclite.Dataset(tiny.user_idx, tiny.item_idx, users=tiny.users, items=tiny.items,
                         years=np.full(tiny.n_items, np.nan))
    with pytest.raises(ConfidenceSpecError, match="component 'era' needs item release years"):
        build_confidence(ds, "era")


def test_plain_matrix_has_no_side_information():
    X = sp.csr_matrix(np.eye(3, dtype=np.float32))
    with pytest.raises(ConfidenceSpecError) as err:
        build_confidence(X, "genre")
    assert str(err.value) == ("component 'genre' needs item genres; a plain sparse matrix has none: pass a "
                              "reclite Dataset (read_movielens and read_movie_competition load genres), "
                              "or use one of binary, value, log, pop, bm25, tfidf")


def test_negative_values_rejected_for_value_components():
    X = sp.csr_matrix(np.array([[1.0, -2.0], [0.0, 3.0]]))
    with pytest.raises(ConfidenceSpecError) as err:
        build_confidence(X, "log")
    assert str(err.value) == ("component 'log' needs finite, non-negative interaction values; "
                              "this data has -2 (use binary or pop instead)")
    assert build_confidence(X, "pop").nnz == 3


def test_wrong_data_type():
    with pytest.raises(TypeError, match="got ndarray"):
        build_confidence(np.eye(2), "binary")


@pytest.mark.parametrize("alpha", [-1, -0.5, float("nan"), float("inf"), "2", True, None])
def test_bad_alpha(tiny, alpha):
    with pytest.raises(ConfidenceSpecError) as err:
        build_confidence(tiny, "binary", alpha=alpha)
    assert str(err.value) == f"alpha must be a finite number >= 0, got {alpha!r}"


# ---------------------------------------------------------------------- parameters


def test_params_defaults_and_overrides():
    assert check_confidence_params(None) == {"era": {"tau": 10.0}, "bm25": {"K1": 100.0, "B": 0.8}}
    assert check_confidence_params({"era": {"tau": 15}, "genre": {}}) == {
        "era": {"tau": 15.0}, "bm25": {"K1": 100.0, "B": 0.8}}


@pytest.mark.parametrize("params, text", [
    ({"era": {"tua": 15}}, "unknown parameter 'tua' for component 'era' (did you mean 'tau'?); it takes: tau"),
    ({"bm25": {"k1": 5}}, "unknown parameter 'k1' for component 'bm25' (did you mean 'K1'?); it takes: K1, B"),
    ({"genre": {"x": 1}}, "component 'genre' takes no parameters; only era (tau) and bm25 (K1, B) do"),
    ({"eras": {"tau": 1}}, "confidence params name an unknown component 'eras' (did you mean 'era'?); "
                           "known: binary, value, log, pop, genre, era, time, bm25, tfidf"),
    ({"era": {"tau": 0}}, "era.tau must be a finite number > 0, got 0"),
    ({"era": {"tau": "15"}}, "era.tau must be a finite number > 0, got '15'"),
    ({"bm25": {"B": 1.5}}, "bm25.B must be a number in [0, 1], got 1.5"),
    ({"bm25": {"K1": float("inf")}}, "bm25.K1 must be a finite number > 0, got inf"),
    ({"era": 15}, "confidence params for 'era' must be a dict such as {'tau': 15}, got int"),
    (["era.tau=15"], "confidence params must be a dict such as {'era': {'tau': 15}}, got list"),
])
def test_param_errors(tiny, params, text):
    with pytest.raises(ConfidenceSpecError) as err:
        build_confidence(tiny, "era", params=params)
    assert str(err.value) == text


def test_params_of_unused_components_are_ignored(tiny):
    a = build_confidence(tiny, "pop", params={"era": {"tau": 3}})
    b = build_confidence(tiny, "pop")
    np.testing.assert_array_equal(a.data, b.data)


def test_parse_param_assignments():
    assert parse_param_assignments(["era.tau=15", "bm25.K1 = 50", "bm25.B=0.5", "era.tau=20"]) == {
        "era": {"tau": 20.0}, "bm25": {"K1": 50.0, "B": 0.5}}
    assert parse_param_assignments([]) == {}
    assert parse_param_assignments(None) == {}


@pytest.mark.parametrize("text, message", [
    ("era.tau", "confidence parameter 'era.tau' must look like component.param=value, e.g. era.tau=15"),
    ("tau=15", "confidence parameter 'tau=15' must look like component.param=value, e.g. era.tau=15"),
    ("era.tau=abc", "confidence parameter 'era.tau=abc': 'abc' is not a number"),
    ("era.tua=1", "unknown parameter 'tua' for component 'era' (did you mean 'tau'?); it takes: tau"),
    ("era.tau=-1", "era.tau must be a finite number > 0, got -1.0"),
])
def test_parse_param_assignments_errors(text, message):
    with pytest.raises(ConfidenceSpecError) as err:
        parse_param_assignments([text])
    assert str(err.value) == message


def test_describe_components():
    d = describe_components()
    assert tuple(d) == COMPONENTS == ("binary", "value", "log", "pop", "genre", "era", "time", "bm25", "tfidf")
    assert all(isinstance(v, str) and v and "\n" not in v for v in d.values())


# ---------------------------------------------------------------------- random data


def genre_reference(ds) -> np.ndarray:
    """genre(u, i) by the definition, with Python loops, in CSR order."""
    C = ds.matrix()
    G = ds.genres.matrix.tocsr()
    out = []
    for u in range(C.shape[0]):
        items = C.indices[C.indptr[u]:C.indptr[u + 1]]
        for i in items:
            gi = set(G.indices[G.indptr[i]:G.indptr[i + 1]].tolist())
            if not gi:
                out.append(0.0)
                continue
            shares = [sum(g in set(G.indices[G.indptr[j]:G.indptr[j + 1]].tolist()) for j in items) / len(items)
                      for g in gi]
            out.append(sum(shares) / len(gi))
    return np.array(out)


def time_reference(ds) -> np.ndarray:
    """time(u, i) = |{j in I_u : t_uj <= t_ui}| / |I_u|, with Python loops, in CSR order."""
    when = {(int(u), int(i)): int(t) for u, i, t in zip(ds.user_idx, ds.item_idx, ds.times)}
    C = ds.matrix()
    out = []
    for u in range(C.shape[0]):
        ts = [when[(u, int(i))] for i in C.indices[C.indptr[u]:C.indptr[u + 1]]]
        out.extend(sum(s <= t for s in ts) / len(ts) for t in ts)
    return np.array(out)


@st.composite
def random_datasets(draw):
    n_users = draw(st.integers(1, 7))
    n_items = draw(st.integers(1, 7))
    cells = draw(st.lists(st.tuples(st.integers(0, n_users - 1), st.integers(0, n_items - 1)),
                          min_size=1, max_size=30, unique=True))
    u, i = np.array(cells).T
    n = len(cells)
    values = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 3.0, 1e4]), min_size=n, max_size=n))
    times = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    n_genres = draw(st.integers(1, 4))
    pairs = draw(st.lists(st.tuples(st.integers(0, n_items - 1), st.integers(0, n_genres - 1)),
                          min_size=1, max_size=15, unique=True))
    gi, gg = np.array(pairs).T
    years = draw(st.lists(st.one_of(st.just(float("nan")), st.integers(1900, 2020).map(float)),
                          min_size=n_items, max_size=n_items))
    if not np.isfinite(years).any():
        years[0] = 2000.0
    genres = reclite.MultiHot.from_pairs(gi, np.array([f"g{g}" for g in gg]), n_items)
    return reclite.Dataset(u, i, values, times, users=reclite.IdMap(np.arange(n_users), "user"),
                           items=reclite.IdMap(np.arange(n_items), "item"), genres=genres, years=years)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_datasets())
def test_every_component_in_unit_interval(ds):
    for name in COMPONENTS:
        f = confidence_values(ds, name)
        assert f.shape == (len(ds),)
        assert np.isfinite(f).all(), name
        assert f.min() >= 0.0 and f.max() <= 1.0 + 1e-12, name
    np.testing.assert_allclose(confidence_values(ds, "genre"), genre_reference(ds), atol=1e-12)
    np.testing.assert_allclose(confidence_values(ds, "time"), time_reference(ds), atol=1e-12)
    C = build_confidence(ds, "(genre+pop)*era+time", alpha=2.5)
    M = ds.matrix()
    np.testing.assert_array_equal(C.indices, M.indices)
    np.testing.assert_array_equal(C.indptr, M.indptr)
    assert C.data.min() >= 1.0 and C.data.max() <= 1.0 + 2.5 * 3.0 + 1e-5


def _csr_times(ds) -> np.ndarray:
    """The Dataset's timestamps in CSR order (by user, then item)."""
    return np.asarray(ds.times)[np.argsort(ds.user_idx.astype(np.int64) * ds.n_items + ds.item_idx)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_datasets(), st.sampled_from(COMPONENTS + ("(genre+pop)*era+time", "0.5*bm25+tfidf*log+value")))
def test_statistics_then_apply_is_build_confidence(ds, spec):
    # build_confidence = learn the training statistics + weigh the training rows with them, bit for bit
    stats = confidence_statistics(ds, spec, {"era": {"tau": 7}})
    C = apply_confidence(stats, ds.matrix(), spec, 2.5, {"era": {"tau": 7}}, times=_csr_times(ds))
    ref = build_confidence(ds, spec, alpha=2.5, params={"era": {"tau": 7}})
    np.testing.assert_array_equal(C.indptr, ref.indptr)
    np.testing.assert_array_equal(C.indices, ref.indices)
    np.testing.assert_array_equal(C.data, ref.data)
    back = ConfidenceStatistics.from_attributes(stats.to_attributes(), stats.item_users)
    np.testing.assert_array_equal(confidence_weights(back, ds.matrix(), spec, {"era": {"tau": 7}},
                                                     times=_csr_times(ds)),
                                  confidence_values(ds, spec, {"era": {"tau": 7}}))


def _new_users(tiny) -> sp.csr_matrix:
    # new user 0: w (value 10, t=5), z (value 2, t=5); new user 1: y (value 4, t=0)
    w, y, z = tiny.items.to_index(["w", "y", "z"])
    return sp.csr_matrix((np.array([10.0, 2.0, 4.0]), (np.array([0, 0, 1]), np.array([w, z, y]))),
                         shape=(2, tiny.n_items))


def test_new_users_weighed_with_the_training_statistics_by_hand(tiny):
    # training (see test_bm25, test_tfidf): largest value 5, pop n: w 2, x 2, y 1, z 1; item value sums
    # w 9, x 4, y 4, z 2 (mean 19/4); bm25 maximum cw (c,w), tfidf maximum 2 log 2; years as in test_era.
    # The rows' own: genre shares, recency ranks, idf = log 4 - log1p(n_u): user 0 log(4/3), user 1 log 2.
    # A scaled weight above the training maximum is capped at 1.
    def L(s):
        return 0.2 + 0.8 * s / (19 / 4)

    cw = 4 * 101 / (100 * L(9) + 4) * LOG(2)
    one = LOG(2) / LOG(3)
    expected = {  # aligned with (user 0: w, z), (user 1: y)
        "binary": [1, 1, 1],
        "value": [1.0, 2 / 5, 4 / 5],  # 10 / 5 capped
        "log": [1.0, LOG(3) / LOG(6), LOG(5) / LOG(6)],  # log 11 / log 6 capped
        "pop": [1.0, one, one],
        "genre": [1 / 2, 1 / 2, 1.0],  # user 0: w {Drama}, z {Horror}: shares 1/2 each
        "era": [math.exp(-2), math.exp(-1), 1.0],
        "time": [1.0, 1.0, 1.0],  # user 0's two items share t=5
        "bm25": [1.0,  # 10 * 101 / (100 L(9) + 10) * log(4/3) = 1.6002 > cw = 1.5949
                 2 * 101 / (100 * L(2) + 2) * LOG(4 / 3) / cw,
                 1.0],  # 4 * 101 / (100 L(4) + 4) * log 2 = 3.065 > cw
        "tfidf": [math.sqrt(10) * LOG(4 / 3) / (2 * LOG(2)), math.sqrt(2) * LOG(4 / 3) / (2 * LOG(2)), 1.0],
    }
    rows = _new_users(tiny)
    for name, want in expected.items():
        stats = confidence_statistics(tiny, name)
        got = confidence_weights(stats, rows, name, times=np.array([5, 5, 0]))
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=name)
    stats = confidence_statistics(tiny, "(genre+pop)*era")
    C = apply_confidence(stats, rows, "(genre+pop)*era", alpha=2.0)
    np.testing.assert_allclose(C.data, [1 + 2 * (1 / 2 + 1) * math.exp(-2), 1 + 2 * (1 / 2 + one) * math.exp(-1),
                                        1 + 2 * (1 + one)], rtol=1e-6)
    assert C.dtype == np.float32 and C.has_sorted_indices


def test_apply_sorts_rows_and_keeps_times_with_their_entries(tiny):
    stats = confidence_statistics(tiny, "time+value")
    w, x, y = tiny.items.to_index(["w", "x", "y"])
    # one user: y (t=1, value 5), w (t=3, value 5), x (t=2, value 5), given out of item order
    rows = sp.csr_matrix((np.full(3, 5.0), np.array([y, w, x]), np.array([0, 3])), shape=(1, tiny.n_items))
    got = confidence_weights(stats, rows, "time", times=np.array([1, 3, 2]))
    np.testing.assert_allclose(got, [1.0, 2 / 3, 1 / 3])  # sorted: w (latest), x, y (earliest)


def test_apply_errors(tiny):
    stats = confidence_statistics(tiny, "time")
    rows = _new_users(tiny)
    with pytest.raises(ParameterError, match="component 'time' needs a timestamp for each interaction of "
                                             "the rows; none were given"):
        apply_confidence(stats, rows, "time")
    with pytest.raises(ParameterError, match=r"times must hold one timestamp per stored entry of the rows \(3\)"):
        apply_confidence(stats, rows, "time", times=[1, 2])
    with pytest.raises(ParameterError, match="the rows must have 4 columns"):
        apply_confidence(stats, sp.csr_matrix((1, 3)), "binary")
    with pytest.raises(ParameterError, match="must be a scipy sparse matrix"):
        apply_confidence(stats, np.ones((1, 4)), "binary")
    twice = sp.csr_matrix((np.ones(2), np.array([1, 1]), np.array([0, 2])), shape=(1, 4))
    with pytest.raises(ParameterError, match="the rows: item 1 appears twice in row 0"):
        apply_confidence(stats, twice, "binary")
    with pytest.raises(ConfidenceSpecError, match="the history has -1"):
        apply_confidence(confidence_statistics(tiny, "log"), sp.csr_matrix(np.array([[0, -1.0, 0, 0]])),
                         "log", source="the history")


def test_bm25_formula_by_hand_and_a_zero_denominator_weighs_zero():
    from reclite.confidence.weighting import bm25

    # doc 0 has length 0 and b=1, so its norm is 0: an entry with tf 0 there has denominator 0
    tf = np.array([0.0, 1.0, 2.0])
    got = bm25(tf, np.array([0, 0, 1]), np.array([0.0, 3.0]), 1.5, np.array([1.0, 0.5, 2.0]), k1=1.2, b=1.0)
    norm1 = 3.0 / 1.5  # (1 - b) + b len/avg
    expected = [0.0, 1.0 * 2.2 / (1.2 * 0.0 + 1.0) * 0.5, 2.0 * 2.2 / (1.2 * norm1 + 2.0) * 2.0]
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    assert np.isfinite(got).all()
