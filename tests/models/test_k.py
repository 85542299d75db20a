"""``k``: a positive integer everywhere, clamped to what can be recommended.

A huge ``k`` gives exactly the rows of ``k = n_items`` (or of the candidate count) and
allocates no more: the returned arrays are never wider than the catalogue.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import reclite
from reclite.errors import ParameterError, ParameterTypeError

BAD_K = [
    (0, ParameterError), (-1, ParameterError), (np.int64(-5), ParameterError),
    (2.5, ParameterTypeError), (2.0, ParameterTypeError), (True, ParameterTypeError),
    (False, ParameterTypeError), ("3", ParameterTypeError), (None, ParameterTypeError),
]
HUGE = [10**6, 10**11, np.int64(2**62)]


@pytest.fixture(scope="module")
def data() -> reclite.Dataset:
    return reclite.synthetic_dataset(50, 30, 400, random_state=1)


@pytest.fixture(scope="module")
def knn(data) -> reclite.ItemKNN:
    return reclite.ItemKNN(k_neighbors=10).fit(data)


def _calls(model: reclite.ItemKNN, data: reclite.Dataset) -> dict:
    users = data.users.ids[:3]
    items = data.items.ids[:4]
    hist = sp.csr_matrix(([1.0, 1.0], ([0, 0], [1, 2])), shape=(1, model.n_items_))
    return {
        "recommend": lambda k: model.recommend(users, k=k),
        "recommend_indices": lambda k: model.recommend_indices([0, 1], k=k),
        "similar_items": lambda k: model.similar_items(items, k=k),
        "recommend_from_history": lambda k: model.recommend_from_history(items[:2], k=k),
        "recommend_indices_from_history": lambda k: model.recommend_indices_from_history(hist, k=k),
    }


@pytest.mark.parametrize("method", ["recommend", "recommend_indices", "similar_items", "recommend_from_history",
                                    "recommend_indices_from_history"])
@pytest.mark.parametrize("k, error", BAD_K)
def test_bad_k_is_one_parameter_error_naming_k(knn, data, method, k, error):
    with pytest.raises(error, match=r"^k must be a positive integer, got ") as info:
        _calls(knn, data)[method](k)
    assert type(info.value) is error
    assert repr(k) in str(info.value)


def test_numpy_integer_k_is_accepted(knn):
    a = knn.recommend_indices([0, 1], k=np.int32(3))[0]
    b = knn.recommend_indices([0, 1], k=3)[0]
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("k", HUGE)
def test_huge_k_returns_the_rows_of_k_equal_n_items(knn, k):
    n = knn.n_items_
    full = knn.recommend(k=n)
    pd.testing.assert_frame_equal(knn.recommend(k=k), full)
    idx, score = knn.recommend_indices(k=k)
    assert idx.shape == score.shape == (knn.n_users_, n)  # not n_users x k
    ref_idx, ref_score = knn.recommend_indices(k=n)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_array_equal(score, ref_score)
    # every unseen item is listed once: the list is the whole catalogue minus the user's history
    seen = np.diff(knn.seen_.indptr)
    assert ((idx >= 0).sum(axis=1) == n - seen).all()


def test_huge_k_for_one_user_works(knn, data):
    """The issue's ``-k 100000000000 --users 1``: a MemoryError before."""
    u = data.users.ids[0]
    recs = knn.recommend([u], k=10**11)
    assert recs.equals(knn.recommend([u], k=knn.n_items_))
    assert len(recs) == knn.n_items_ - knn.seen_[0].nnz


def test_k_is_clamped_to_the_candidates(knn, data):
    cand = data.items.ids[[3, 7, 11, 19]]
    idx, _ = knn.recommend_indices([0, 1, 2], k=10**9, items=data.items.to_index(cand))
    assert idx.shape == (3, 4)
    np.testing.assert_array_equal(idx, knn.recommend_indices([0, 1, 2], k=4, items=data.items.to_index(cand))[0])
    recs = knn.recommend(data.users.ids[:3], k=10**9, items=cand)
    assert recs.equals(knn.recommend(data.users.ids[:3], k=4, items=cand))
    # a boolean mask counts its True entries; excluded items are not recommendable either
    mask = np.zeros(knn.n_items_, dtype=bool)
    mask[[1, 2, 5]] = True
    assert knn.recommend_indices([0], k=50, items=mask)[0].shape == (1, 3)
    assert knn.recommend_indices([0], k=50, items=mask, exclude=[2])[0].shape == (1, 2)
    assert knn.recommend_indices([0], k=50, exclude=np.arange(10))[0].shape == (1, knn.n_items_ - 10)


def test_no_candidates_gives_empty_lists_not_an_error(knn, data):
    idx, score = knn.recommend_indices([0, 1], k=5, items=[])
    assert idx.shape == score.shape == (2, 0)
    recs = knn.recommend(data.users.ids[:2], k=5, items=[])
    assert list(recs.columns) == ["user", "item", "score", "rank"] and len(recs) == 0


def test_unknown_users_with_huge_k_get_every_item_by_popularity(knn, data):
    with pytest.warns(reclite.DataWarning):
        recs = knn.recommend(["nobody"], k=10**10, on_unknown="popular")
    assert len(recs) == knn.n_items_
    assert recs["rank"].tolist() == list(range(1, knn.n_items_ + 1))


def test_similar_items_huge_k_lists_every_other_item(knn, data):
    items = data.items.ids[:3]
    sim = knn.similar_items(items, k=10**11)
    assert sim.groupby("item").size().max() <= knn.n_items_ - 1
    assert sim.equals(knn.similar_items(items, k=knn.n_items_ - 1))
    assert not (sim["item"] == sim["similar"]).any()


def test_history_huge_k_is_clamped(knn):
    hist = sp.csr_matrix(([1.0, 1.0, 1.0], ([0, 0, 1], [1, 2, 3])), shape=(2, knn.n_items_))
    idx, score = knn.recommend_indices_from_history(hist, k=10**11)
    assert idx.shape == score.shape == (2, knn.n_items_)
    np.testing.assert_array_equal(idx, knn.recommend_indices_from_history(hist, k=knn.n_items_)[0])


def test_bad_index_arguments_are_parameter_errors(knn):
    with pytest.raises(ParameterError, match=r"^user_idx: index out of range \[0, 50\): got -1..1$"):
        knn.recommend_indices([-1, 1])
    with pytest.raises(ParameterTypeError, match=r"^user_idx must hold integer indices, got dtype float64$"):
        knn.recommend_indices([0.5])
    with pytest.raises(ParameterError, match=r"^items: index out of range \[0, 30\): got 0..30$"):
        knn.recommend_indices([0], items=[0, 30])
    with pytest.raises(ParameterError, match=r"^items: a boolean mask of shape \(3,\), expected \(30,\)$"):
        knn.recommend_indices([0], items=np.ones(3, dtype=bool))
    with pytest.raises(ParameterError, match=r"^exclude: index out of range"):
        knn.recommend_indices([0], exclude=[-1])
    with pytest.raises(ParameterError, match=r"^exclude: a matrix of shape \(2, 2\), expected \(50, 30\)$"):
        knn.recommend_indices([0], exclude=sp.csr_matrix((2, 2)))
    with pytest.raises(ParameterTypeError, match=r"^filter_seen must be True or False, got 'no' \(str\)$"):
        knn.recommend_indices([0], filter_seen="no")
    with pytest.raises(ParameterError, match=r"^on_unknown must be one of 'raise', 'popular', got 'skip'$"):
        knn.recommend(on_unknown="skip")
    with pytest.raises(ParameterError, match=r"^max_memory must be a size such as '1GB'"):
        knn.recommend_indices([0], max_memory="a lot")


def test_real_data_huge_k_equals_k_1682(ml100k):
    """The issue's reproduction on MovieLens 100K: ``recommend -k 1000000`` on a 1,682-item model."""
    model = reclite.Popularity().fit(ml100k)
    assert model.n_items_ == 1682
    idx, _ = model.recommend_indices(k=1_000_000)
    assert idx.shape == (943, 1682)
    np.testing.assert_array_equal(idx, model.recommend_indices(k=1682)[0])
    users = ml100k.users.ids[:20]
    pd.testing.assert_frame_equal(model.recommend(users, k=1_000_000), model.recommend(users, k=1682))
    assert len(model.recommend(ml100k.users.ids[:1], k=100_000_000_000)) == 1682 - ml100k.matrix()[0].nnz
