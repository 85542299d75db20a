"""topk against a brute-force reference, plus the named edge cases of its contract."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from reclite.errors import ParameterError, ParameterTypeError
from reclite.topk import topk

from ._reference import topk_reference


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
