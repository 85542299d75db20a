"""Metrics against brute-force references, hand-worked cases, and implicit's evaluation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from reclite import metrics as M
from reclite.errors import ParameterError, ParameterTypeError

from ._reference import beyond_accuracy_reference, ranking_metrics_reference

LOG2_3 = math.log2(3)  # discount of rank 2 is 1/log2(3)


def csr(rows, n_items):
    """A test matrix from lists of item indices per user."""
    dense = np.zeros((len(rows), n_items), dtype=np.float32)
    for u, items in enumerate(rows):
        dense[u, items] = 1.0
    return sp.csr_matrix(dense)


# ---------------------------------------------------------------------- hand-worked
def test_ndcg_perfect():
    # test {4, 2}; the list puts both on top -> DCG = IDCG
    assert M.ndcg(np.array([[4, 2, 0]]), csr([[2, 4]], 5)).tolist() == [1.0]


def test_ndcg_no_match():
    assert M.ndcg(np.array([[0, 1, 3]]), csr([[2, 4]], 5)).tolist() == [0.0]


def test_ndcg_hit_at_rank_two():
    # one test item at rank 2: DCG = 1/log2(3); IDCG (min(3, 1) = 1 item) = 1/log2(2) = 1
    assert M.ndcg(np.array([[0, 2, 3]]), csr([[2]], 5))[0] == pytest.approx(1 / LOG2_3)


def test_ndcg_ideal_dcg_is_cut_at_k():
    # 4 test items, k=2, hits at ranks 1 and 2 -> perfect even though 2 test items are missed
    assert M.ndcg(np.array([[0, 1]]), csr([[0, 1, 2, 3]], 5))[0] == pytest.approx(1.0)


def test_recall_no_match():
    assert M.recall(np.array([[0, 1, 3]]), csr([[2, 4]], 5)).tolist() == [0.0]


def test_recall_and_calibrated_recall_differ_when_more_test_items_than_k():
    # test {0,1,2,3}, top-2 [0, 9]: hits = 1
    # recall = 1/4; calibrated = 1/min(2, 4) = 1/2; precision = 1/2
    top, test = np.array([[0, 9]]), csr([[0, 1, 2, 3]], 10)
    assert M.recall(top, test)[0] == pytest.approx(0.25)
    assert M.calibrated_recall(top, test)[0] == pytest.approx(0.5)
    assert M.precision(top, test)[0] == pytest.approx(0.5)


def test_all_hits():
    # every listed item is a test item: recall 3/3, precision 3/3, AP = (1/1+2/2+3/3)/3 = 1
    top, test = np.array([[2, 0, 1]]), csr([[0, 1, 2]], 4)
    res = M.ranking_metrics(top, test)
    for name in ("recall@3", "calibrated_recall@3", "precision@3", "ndcg@3", "map@3", "mrr@3",
                 "hit_rate@3"):
        assert res[name][0] == pytest.approx(1.0), name


def test_empty_test_set_for_a_user_is_nan_and_left_out_of_means():
    top = np.array([[0, 1], [0, 1]])
    test = csr([[1], []], 3)  # user 1 has no test item
    r = M.recall(top, test)
    assert r[0] == 1.0 and math.isnan(r[1])
    assert np.nanmean(r) == 1.0


def test_fewer_eligible_items_than_k():
    # only 2 items could be listed (padding -1); test {1, 2}; k = 4
    # hits 1 (item 1 at rank 2): precision = 1/4 (empty slots are misses), recall = 1/2,
    # calibrated = 1/min(4, 2) = 1/2, ndcg = (1/log2 3) / (1 + 1/log2 3), map = (1/2)/2
    top, test = np.array([[0, 1, -1, -1]]), csr([[1, 2]], 3)
    res = M.ranking_metrics(top, test, k=4)
    assert res["precision@4"][0] == pytest.approx(0.25)
    assert res["recall@4"][0] == pytest.approx(0.5)
    assert res["calibrated_recall@4"][0] == pytest.approx(0.5)
    assert res["ndcg@4"][0] == pytest.approx((1 / LOG2_3) / (1 + 1 / LOG2_3))
    assert res["map@4"][0] == pytest.approx(0.25)
    assert res["mrr@4"][0] == pytest.approx(0.5)


def test_k_wider_than_lists_counts_missing_slots_as_empty():
    top, test = np.array([[1, 0]]), csr([[1]], 3)
    # one hit out of k = 5 slots
    assert M.precision(top, test, k=5)[0] == pytest.approx(0.2)


def test_map_hand_worked():
    # list [0, 5, 1, 6], test {0, 1, 2}: hits at ranks 1 and 3
    # AP@4 = (1/1 + 2/3) / min(4, 3) = (5/3) / 3 = 5/9
    assert M.map(np.array([[0, 5, 1, 6]]), csr([[0, 1, 2]], 7))[0] == pytest.approx(5 / 9)


def test_mrr_first_hit_only():
    # first hit at rank 3 -> 1/3 (the later hit at rank 4 does not count)
    assert M.mrr(np.array([[5, 6, 0, 1]]), csr([[0, 1]], 7))[0] == pytest.approx(1 / 3)


def test_hit_rate_and_hits():
    top, test = np.array([[5, 0, 1], [5, 6, 4]]), csr([[0, 1], [0]], 7)
    assert M.hit_rate(top, test).tolist() == [1.0, 0.0]
    assert M.hits(top, test).tolist() == [2.0, 0.0]


def test_ties_in_lists_do_not_matter_for_a_set_of_hits():
    # metrics see only the order given; two lists with the same hits at the same ranks agree
    test = csr([[1, 3]], 5)
    a = M.ranking_metrics(np.array([[1, 0, 3]]), test)
    b = M.ranking_metrics(np.array([[1, 2, 3]]), test)
    for key in a:
        assert a[key][0] == pytest.approx(b[key][0])


def test_several_cutoffs_equal_separate_calls(rng):
    top = np.stack([rng.permutation(30)[:12] for _ in range(20)]).astype(np.int32)
    test = sp.random(20, 30, density=0.2, format="csr", random_state=1)
    many = M.ranking_metrics(top, test, k=[3, 12, 5])
    for kk in (3, 5, 12):
        np.testing.assert_array_equal(many[f"ndcg@{kk}"], M.ndcg(top, test, k=kk))
        np.testing.assert_array_equal(many[f"map@{kk}"], M.map(top, test, k=kk))


def test_values_of_test_matrix_are_ignored():
    top = np.array([[0, 1]])
    a = M.recall(top, sp.csr_matrix(np.array([[5.0, 0.0, 2.0]])))
    b = M.recall(top, sp.csr_matrix(np.array([[1.0, 0.0, 1.0]])))
    assert a.tolist() == b.tolist() == [0.5]


def test_coverage_hand_worked():
    # items 0, 1, 3 appear in some list (-1 is not an item): 3 of 5
    assert M.coverage(np.array([[0, 1], [3, -1], [1, 0]]), n_items=5) == pytest.approx(0.6)
    # at k=1 only items 0, 3, 1 -> still 3 of 5; a never-used catalogue item counts in n_items
    assert M.coverage(np.array([[0, 1], [3, -1], [1, 0]]), n_items=5, k=1) == pytest.approx(0.6)


def test_novelty_and_popularity_hand_worked():
    # train: 4 users; item 0 used by 4, item 1 by 1, item 2 by nobody; one user has no rows
    train = csr([[0, 1], [0], [0], [0], []], 3)
    top = np.array([[0, 1], [2, -1], [-1, -1]])
    # user 0: novelty = (-log2(4/4) + -log2(1/4)) / 2 = (0 + 2) / 2 = 1
    #         popularity = (4/4 + 1/4) / 2 = 0.625
    # user 1: item 2 never used -> counted as one user: -log2(1/4) = 2; popularity 0/4 = 0
    # user 2: empty list -> NaN
    nov = M.novelty(top, train)
    pop = M.popularity(top, train)
    assert nov[:2].tolist() == pytest.approx([1.0, 2.0])
    assert pop[:2].tolist() == pytest.approx([0.625, 0.0])
    assert math.isnan(nov[2]) and math.isnan(pop[2])


def test_label():
    assert M.label("ndcg", 10) == "ndcg@10"


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="test has 1 rows but topk has 2"):
        M.recall(np.zeros((2, 3), dtype=np.int32), csr([[0]], 3))
    with pytest.raises(ValueError, match="integer item indices"):
        M.recall(np.zeros((1, 3)), csr([[0]], 3))
    with pytest.raises(ValueError, match="unknown accuracy metric 'ndgc'"):
        M.ranking_metrics(np.zeros((1, 3), dtype=np.int32), csr([[0]], 3), metrics=["ndgc"])
    with pytest.raises(ValueError, match="k must be a positive integer"):
        M.recall(np.zeros((1, 3), dtype=np.int32), csr([[0]], 3), k=0)
    with pytest.raises(ValueError, match="item index 7 but test has 3 items"):
        M.recall(np.array([[7]]), csr([[0]], 3))


# ---------------------------------------------------------------------- references
@st.composite
def lists_and_tests(draw):
    n_users = draw(st.integers(1, 8))
    n_items = draw(st.integers(1, 25))
    width = draw(st.integers(1, 12))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    top = np.full((n_users, width), -1, dtype=np.int32)
    for u in range(n_users):
        n_listed = int(rng.integers(0, min(width, n_items) + 1))
        top[u, :n_listed] = rng.permutation(n_items)[:n_listed]
        if draw(st.booleans()):  # an empty slot in the middle (a list with an unknown item)
            top[u, rng.integers(0, width)] = -1
    density = draw(st.sampled_from([0.0, 0.1, 0.3, 0.8]))
    test = sp.random(n_users, n_items, density=density, format="csr", random_state=seed)
    k = draw(st.integers(1, width + 3))
    return top, test, k


@settings(max_examples=150, deadline=None)
@given(lists_and_tests())
def test_accuracy_metrics_match_reference(case):
    top, test, k = case
    got = M.ranking_metrics(top, test, k=k, metrics=[*M.ACCURACY_METRICS, "hits"])
    ref = ranking_metrics_reference(top, test, k)
    for name, values in ref.items():
        np.testing.assert_allclose(got[f"{name}@{k}"], values, rtol=1e-12, atol=1e-12,
                                   err_msg=f"{name}@{k}\ntopk={top.tolist()}\ntest={test.toarray()}")


@settings(max_examples=100, deadline=None)
@given(lists_and_tests(), st.integers(0, 2**31 - 1))
def test_beyond_accuracy_metrics_match_reference(case, seed):
    top, _, k = case
    n_items = max(1, int(top.max()) + 1)
    train = sp.random(6, n_items, density=0.4, format="csr", random_state=seed)
    got = M.beyond_accuracy_metrics(top, train, k=k)
    ref = beyond_accuracy_reference(top, train, k)
    if train.nnz == 0:
        return  # no training users: novelty is undefined (the reference divides by zero)
    assert got[f"coverage@{k}"] == pytest.approx(ref["coverage"])
    np.testing.assert_allclose(got[f"novelty@{k}"], ref["novelty"], rtol=1e-12)
    np.testing.assert_allclose(got[f"popularity@{k}"], ref["popularity"], rtol=1e-12)


@settings(max_examples=80, deadline=None)
@given(lists_and_tests(), st.sampled_from([10**6, 10**12, 2**62]))
def test_cutoffs_far_beyond_the_lists_match_the_reference(case, huge):
    """A cut-off of 10**12 costs nothing: past the list and the test rows only precision changes."""
    top, test, _ = case
    beyond = top.shape[1] + test.shape[1] + 1  # past every list slot and every test row's length
    ref = ranking_metrics_reference(top, test, beyond)
    got = M.ranking_metrics(top, test, k=[1, huge], metrics=[*M.ACCURACY_METRICS, "hits"])
    for name, values in ref.items():
        want = np.asarray(values, dtype=np.float64)
        if name == "precision":
            want = want * beyond / huge
        np.testing.assert_allclose(got[f"{name}@{huge}"], want, rtol=1e-12, atol=1e-300, err_msg=name)
    train = sp.random(6, test.shape[1], density=0.4, format="csr", random_state=1)
    b_got = M.beyond_accuracy_metrics(top, train, k=huge)
    b_ref = beyond_accuracy_reference(top, train, beyond)
    if train.nnz:
        assert b_got[f"coverage@{huge}"] == pytest.approx(b_ref["coverage"])
        np.testing.assert_allclose(b_got[f"novelty@{huge}"], b_ref["novelty"], rtol=1e-12)


def test_bad_cutoffs_and_arguments_are_parameter_errors():
    top = np.zeros((1, 3), dtype=np.int32)
    t = csr([[0]], 3)
    for bad, error in [(0, ParameterError), (2.5, ParameterTypeError), (True, ParameterTypeError),
                       ([3, -1], ParameterError), ([], ParameterError)]:
        with pytest.raises(error, match="^k must "):
            M.ranking_metrics(top, t, k=bad)
        with pytest.raises(error, match="^k must "):
            M.beyond_accuracy_metrics(top, t, k=bad)
    with pytest.raises(ParameterError, match=r"^recall takes one cut-off k; use ranking_metrics for several, "
                                             r"got k=\[1, 2\]$"):
        M.recall(top, t, k=[1, 2])
    with pytest.raises(ParameterError, match="coverage takes one cut-off k"):
        M.coverage(top, 3, k=[1, 2])
    with pytest.raises(ParameterTypeError, match="^n_items must be an integer >= 0, got 3.0"):
        M.coverage(top, 3.0)
    with pytest.raises(ParameterTypeError, match="^test must be a users x items scipy sparse matrix, got list$"):
        M.recall(top, [[0]])
    with pytest.raises(ParameterTypeError, match="^train must be a Dataset or a sparse matrix, got list$"):
        M.novelty(top, [[0]])
    with pytest.raises(ParameterError, match="^topk must be 2-D"):
        M.recall(np.zeros(3, dtype=np.int32), t)
    assert M.coverage(top, 3, k=10**12) == pytest.approx(1 / 3)
    assert M.novelty(top, t, k=10**12).shape == (1,)


# ---------------------------------------------------------------------- peer: implicit
def test_agrees_with_implicit_ranking_metrics():
    pytest.importorskip("implicit")
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.evaluation import ranking_metrics_at_k
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(7)
    n_users, n_items, k = 120, 80, 10
    X = (rng.random((n_users, n_items)) < 0.15).astype(np.float32)
    hold = (rng.random((n_users, n_items)) < 0.25) & (X > 0)
    train = sp.csr_matrix(np.where(hold, 0, X).astype(np.float32))
    test = sp.csr_matrix(hold.astype(np.float32))
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=8, iterations=3, random_state=0)
        model.fit(train, show_progress=False)
        peer = ranking_metrics_at_k(model, train, test, K=k, show_progress=False)
        users = np.flatnonzero(np.diff(test.indptr)).astype(np.int32)
        ids, _ = model.recommend(users, train[users], N=k)
    T = test[users]
    # each user has about 70 unseen items, far more than k: implicit's lists are never padded
    assert ids.min() >= 0
    nd = M.ndcg(ids, T, k)
    assert np.mean(nd) == pytest.approx(peer["ndcg"], rel=1e-9)
    assert np.mean(M.map(ids, T, k)) == pytest.approx(peer["map"], rel=1e-9)
    # implicit's "precision" is the micro-averaged calibrated recall
    micro = M.hits(ids, T, k).sum() / np.minimum(k, np.diff(T.indptr)).sum()
    assert micro == pytest.approx(peer["precision"], rel=1e-9)
