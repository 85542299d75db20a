"""topk against a brute-force reference, plus the named edge cases of its contract."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import reclite.topk as topk_module
from reclite.errors import ParameterError, ParameterTypeError
from reclite.topk import topk

from ._reference import topk_reference


@pytest.fixture(autouse=True, scope="module", params=["numpy", "numba"])
def engine(request):
    """Every test twice: float32 blocks ranked by the NumPy path, then by the numba kernels
    (a process ranks its first NUMPY_BUDGET scores with NumPy; both follow one contract)."""
    old = topk_module._ENGINE
    topk_module._ENGINE = request.param
    yield request.param
    topk_module._ENGINE = old


def test_topk_simple_order():
    idx, s = topk(np.array([[0.1, 0.9, 0.5, 0.7]]), 3)
    assert idx.tolist() == [[1, 3, 2]]
    np.testing.assert_allclose(s, [[0.9, 0.7, 0.5]], rtol=1e-6)


def test_topk_ties_smaller_index_first():
    idx, _ = topk(np.array([[1.0, 2.0, 2.0, 1.0, 2.0]]), 4)
    assert idx.tolist() == [[1, 2, 4, 0]]


def test_topk_excluded_never_returned_even_when_best():
    ex = sp.csr_matrix(np.array([[1, 1, 0, 0]]))
    idx, s = topk(np.array([[9.0, 8.0, 1.0, 0.0]]), 4, exclude=ex)
    assert idx.tolist() == [[2, 3, -1, -1]]
    assert np.isneginf(s[0, 2:]).all()


def test_topk_user_saw_everything():
    ex = sp.csr_matrix(np.ones((1, 3)))
    idx, _ = topk(np.array([[1.0, 2.0, 3.0]]), 2, exclude=ex)
    assert idx.tolist() == [[-1, -1]]


def test_topk_k_larger_than_items_is_clamped_to_the_catalogue():
    idx, s = topk(np.array([[1.0, 3.0], [2.0, 0.0]]), 5)
    assert idx.tolist() == [[1, 0], [0, 1]]
    assert s.shape == (2, 2)
    # a k far beyond memory costs no more than the catalogue
    idx, _ = topk(np.array([[1.0, 3.0, 2.0]]), 10**11)
    assert idx.tolist() == [[1, 2, 0]]


def test_topk_k_is_clamped_to_the_candidates_and_keeps_padding_for_exclusions():
    scores = np.array([[5.0, 4.0, 3.0, 2.0]])
    idx, _ = topk(scores, 100, candidates=np.array([3, 1]))
    assert idx.tolist() == [[1, 3]]
    # exclusions vary per row, so they pad with -1 rather than narrow the output
    idx, _ = topk(scores, 100, exclude=sp.csr_matrix(np.array([[1, 0, 0, 0]])), candidates=np.array([0, 2]))
    assert idx.tolist() == [[2, -1]]
    idx, s = topk(scores, 3, candidates=np.zeros(4, dtype=bool))
    assert idx.shape == s.shape == (1, 0)


def test_topk_candidates_index_and_mask_agree():
    scores = np.array([[5.0, 4.0, 3.0, 2.0]])
    a, _ = topk(scores, 3, candidates=np.array([3, 1]))
    b, _ = topk(scores, 3, candidates=np.array([False, True, False, True]))
    assert a.tolist() == b.tolist() == [[1, 3]]  # k=3 clamped to the 2 candidates


def test_topk_nan_ranks_last_but_stays_eligible():
    idx, s = topk(np.array([[np.nan, 1.0, -np.inf]]), 3)
    assert idx.tolist() == [[1, 0, 2]]


@pytest.mark.parametrize("k, error", [
    (0, ParameterError), (-1, ParameterError), (2.5, ParameterTypeError), (2.0, ParameterTypeError),
    (True, ParameterTypeError), ("3", ParameterTypeError), (None, ParameterTypeError),
])
def test_topk_rejects_bad_k(k, error):
    with pytest.raises(error, match=r"^k must be a positive integer, got ") as info:
        topk(np.zeros((1, 3)), k)
    assert repr(k) in str(info.value)


def test_topk_takes_numpy_integers():
    idx, _ = topk(np.array([[1.0, 3.0, 2.0]]), np.int64(2))
    assert idx.tolist() == [[1, 2]]


def test_topk_rejects_bad_candidates_and_exclusions():
    with pytest.raises(ParameterError, match=r"candidates: item index out of range \[0, 3\): -1..1"):
        topk(np.zeros((1, 3)), 2, candidates=np.array([-1, 1]))
    with pytest.raises(ParameterError, match=r"candidates: a mask of shape \(2,\), expected \(3,\)"):
        topk(np.zeros((1, 3)), 2, candidates=np.array([True, False]))
    with pytest.raises(ParameterError, match=r"exclude has shape \(1, 2\), expected the scores' \(1, 3\)"):
        topk(np.zeros((1, 3)), 2, exclude=sp.csr_matrix((1, 2)))


@settings(max_examples=60, deadline=None)
@given(n_rows=st.integers(1, 6), n_items=st.integers(1, 30), k=st.integers(1, 12),
       seed=st.integers(0, 10_000), levels=st.integers(2, 50), with_cand=st.booleans())
def test_topk_matches_reference(n_rows, n_items, k, seed, levels, with_cand):
    rng = np.random.default_rng(seed)
    # few distinct levels -> many ties
    scores = rng.integers(0, levels, size=(n_rows, n_items)).astype(np.float32)
    ex = sp.random(n_rows, n_items, density=0.3, format="csr", random_state=seed)
    cand = rng.random(n_items) < 0.7 if with_cand else None
    idx, s = topk(scores, k, exclude=ex, candidates=cand)
    ridx, rs = topk_reference(scores, k, exclude=ex, candidates=cand)
    np.testing.assert_array_equal(idx, ridx)
    np.testing.assert_array_equal(s, rs)


@settings(max_examples=60, deadline=None)
@given(n_items=st.integers(1, 25), k=st.integers(1, 10), seed=st.integers(0, 10_000))
def test_topk_matches_reference_with_nan_and_infinities(n_items, k, seed):
    # the kernel skips items that cannot beat the current k-th score before looking at
    # exclusions: NaN (ranked as -inf) and +-inf must still follow the contract
    rng = np.random.default_rng(seed)
    scores = rng.choice(np.array([np.nan, -np.inf, np.inf, 0.0, 1.0, 2.0], dtype=np.float32),
                        size=(3, n_items))
    ex = sp.random(3, n_items, density=0.4, format="csr", random_state=seed)
    idx, s = topk(scores, k, exclude=ex)
    ridx, rs = topk_reference(scores, k, exclude=ex)
    np.testing.assert_array_equal(idx, ridx)
    np.testing.assert_array_equal(s, rs)


@settings(max_examples=40, deadline=None)
@given(n_rows=st.integers(1, 7), n_items=st.integers(1, 90), k=st.integers(1, 12), seed=st.integers(0, 10_000),
       levels=st.integers(2, 400), with_cand=st.booleans(), with_ex=st.booleans())
def test_topk_into_serial_and_parallel_write_the_reference_into_rows_of_a_larger_output(
        n_rows, n_items, k, seed, levels, with_cand, with_ex):
    # the kernel tests 16 scores at once against the k-th best: rows longer than a chunk,
    # ties (few levels) and NaN must still follow the contract, in either kernel
    from reclite.topk import topk_into

    rng = np.random.default_rng(seed)
    scores = rng.integers(0, levels, size=(n_rows, n_items)).astype(np.float32)
    scores[rng.random(scores.shape) < 0.05] = np.nan
    ex = sp.random(n_rows, n_items, density=0.3, format="csr", random_state=seed) if with_ex else None
    cand = rng.random(n_items) < 0.7 if with_cand else None
    ridx, rs = topk_reference(scores, k, exclude=ex, candidates=cand)
    width = ridx.shape[1]
    if width == 0:
        return
    for parallel in (True, False):
        out_idx = np.full((n_rows + 2, width), 99, dtype=np.int32)
        out_score = np.full((n_rows + 2, width), 99.0, dtype=np.float32)
        topk_into(scores, width, ex, cand, out_idx[1:-1], out_score[1:-1], parallel=parallel)
        np.testing.assert_array_equal(out_idx[1:-1], ridx)
        np.testing.assert_array_equal(out_score[1:-1], rs)
        assert (out_idx[[0, -1]] == 99).all() and (out_score[[0, -1]] == 99.0).all()  # nothing else written


@settings(max_examples=60, deadline=None)
@given(n_items=st.integers(128, 1500), k=st.integers(1, 8), seed=st.integers(0, 10_000),
       levels=st.sampled_from([3, 40, 10_000]), density=st.sampled_from([0.0, 0.05, 0.5, 0.97]),
       special=st.booleans())
def test_topk_bounded_search_matches_reference(n_items, k, seed, levels, density, special):
    # long rows take the bounded search (group maxima give a lower bound of the k-th best):
    # ties at the bound (few levels), excluded group maxima, rows with almost everything
    # excluded (no bound: the row is scanned), NaN and infinities all follow the contract
    from reclite.topk import _n_groups, topk_into

    assert _n_groups(n_items, k) > 0
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, levels, size=(5, n_items)).astype(np.float32)
    if special:
        scores[rng.random(scores.shape) < 0.1] = np.nan
        scores[rng.random(scores.shape) < 0.05] = -np.inf
        scores[rng.random(scores.shape) < 0.01] = np.inf
        scores[4] = -np.inf  # a row of -inf only: no finite bound
    ex = sp.random(5, n_items, density=density, format="csr", random_state=seed) if density else None
    ridx, rs = topk_reference(scores, k, exclude=ex)
    for parallel, writable in [(True, False), (False, False), (True, True), (False, True)]:
        idx = np.empty((5, k), dtype=np.int32)
        s = np.empty((5, k), dtype=np.float32)
        block = scores.copy()
        topk_into(block, k, ex, None, idx, s, parallel=parallel, writable=writable)
        np.testing.assert_array_equal(idx, ridx)
        np.testing.assert_array_equal(s, rs)
        if not writable:  # the caller's scores are left alone unless they are scratch
            np.testing.assert_array_equal(block, scores)
    idx, s = topk(scores.astype(np.float64), k, exclude=ex)  # float64 scores too
    np.testing.assert_array_equal(idx, ridx)


def test_topk_bounded_search_many_ties_at_the_bound():
    # 3,000 items of equal score after a few better ones: the gathered items exceed the
    # small sort and the smaller indices must still win the ties
    scores = np.zeros((2, 3000), dtype=np.float32)
    scores[0, [2999, 1500, 7]] = [3.0, 2.0, 1.0]
    ex = sp.csr_matrix(([1.0, 1.0], ([0, 1], [0, 5])), shape=(2, 3000))
    idx, s = topk(scores, 6, exclude=ex)
    assert idx.tolist() == [[2999, 1500, 7, 1, 2, 3], [0, 1, 2, 3, 4, 6]]
    np.testing.assert_array_equal(s[0], [3, 2, 1, 0, 0, 0])


def test_topk_of_a_read_only_block():
    # a broadcast view (one list for everyone, e.g. popularity) cannot be written to
    row = np.arange(300, dtype=np.float32)
    block = np.broadcast_to(row, (3, 300))
    ex = sp.csr_matrix(([1.0, 1.0], ([0, 2], [299, 5])), shape=(3, 300))
    idx, s = topk(block, 3, exclude=ex)
    assert idx.tolist() == [[298, 297, 296], [299, 298, 297], [299, 298, 297]]
    assert not block.flags.writeable and (row == np.arange(300)).all()
