"""Behaviour the base class owns, checked on the simplest model (Popularity)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import reclite
from reclite.errors import DataWarning, RecliteError, UnknownIdError
from reclite.models._ranking import batch_size


@pytest.fixture
def shop() -> reclite.Dataset:
    # item popularity: a=3, c=2, b=1, d=1, e=0 users (e known only from side info)
    df = pd.DataFrame({"user": ["u1", "u1", "u2", "u3", "u3", "u3", "u4"],
                       "item": ["a", "b", "a", "a", "c", "d", "c"]})
    return reclite.Dataset.from_frame(df, extra_items=["c", "e"])


def test_batch_size_from_budget():
    assert batch_size(1000, 8000) == 1
    assert batch_size(1000, 80_000) == 10
    assert batch_size(10**6, 1) == 1  # never zero


def test_fit_on_csr_uses_indices_as_ids():
    X = sp.csr_matrix(np.array([[1, 0, 1], [0, 1, 0]], dtype=np.float32))
    m = reclite.Popularity().fit(X)
    recs = m.recommend([1], k=3)
    assert recs["item"].tolist() == [0, 2]  # both once-used; item 1 seen by user 1


def test_recommend_items_restricts_and_exclude_removes(shop):
    m = reclite.Popularity().fit(shop)
    assert m.recommend(["u2"], k=5)["item"].tolist() == ["c", "b", "d", "e"]
    assert m.recommend(["u2"], k=5, items=["d", "e", "b"])["item"].tolist() == ["b", "d", "e"]
    assert m.recommend(["u2"], k=5, exclude=["c", "zz"])["item"].tolist() == ["b", "d", "e"]


def test_recommend_ranks_start_at_one_and_rows_shrink(shop):
    m = reclite.Popularity().fit(shop)
    recs = m.recommend(["u3"], k=5)  # u3 saw a, c, d -> only b, e left
    assert recs["item"].tolist() == ["b", "e"]
    assert recs["rank"].tolist() == [1, 2]


def test_unknown_user_error_names_them(shop):
    m = reclite.Popularity().fit(shop)
    with pytest.raises(UnknownIdError, match=r"1 unknown user id \(e.g. 'ghost'\)"):
        m.recommend(["u1", "ghost"])


def test_unknown_user_popular_warns_with_count(shop):
    m = reclite.Popularity().fit(shop)
    with pytest.warns(DataWarning, match="2 unknown users got the most popular items"):
        recs = m.recommend(["g1", "u1", "g2"], k=2, on_unknown="popular")
    assert recs[recs.user == "g1"]["item"].tolist() == ["a", "c"]
    assert recs[recs.user == "u1"]["item"].tolist() == ["c", "d"]  # u1 saw a, b


def test_exclude_matrix_per_user(shop):
    m = reclite.Popularity().fit(shop)
    ex = sp.csr_matrix(([1.0], ([0], [2])), shape=(m.n_users_, m.n_items_))  # u1 also excludes c
    idx, _ = m.recommend_indices([0, 1], k=2, exclude=ex)
    c = m.items_.to_index(["c"])[0]
    assert c not in idx[0] and c in idx[1]


def test_results_independent_of_max_memory(shop):
    m = reclite.Popularity().fit(shop)
    a = m.recommend_indices(k=3, max_memory=1)
    b = m.recommend_indices(k=3, max_memory="1GB")
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_recommend_from_history_ignores_unknown_items(shop):
    m = reclite.Popularity().fit(shop)
    with pytest.warns(DataWarning, match="1 history items unknown"):
        recs = m.recommend_from_history(["a", "nope"], k=2)
    assert recs["item"].tolist() == ["c", "b"]


def test_similar_items_unsupported_is_clear(shop):
    m = reclite.Popularity().fit(shop)
    with pytest.raises(RecliteError, match="Popularity has no item similarities"):
        m.similar_items(["a"])


def test_second_fit_forgets_the_first(shop):
    m = reclite.Popularity().fit(shop)
    other = reclite.Dataset.from_frame(pd.DataFrame({"user": [1], "item": [7]}))
    m.fit(other)
    assert m.n_items_ == 1 and m.items_.ids.tolist() == [7]


def test_fit_empty_data_is_an_error(shop):
    with pytest.raises(reclite.DataError, match="no interactions"):
        reclite.Popularity().fit(shop.subset(np.zeros(len(shop), dtype=bool)))


@pytest.mark.parametrize("name", ["ease", "itemknn", "rp3beta"])
def test_history_of_a_known_user_gives_their_own_list(name):
    # item-based models score from the history row alone, and with binary confidence a
    # known user's training row equals their history row: both paths must agree
    from reclite.models.registry import create

    ds = reclite.demo_dataset()
    m = create(name).fit(ds)
    users = np.arange(0, ds.n_users, 97)
    a_idx, a_score = m.recommend_indices(users, k=10)
    b_idx, b_score = m.recommend_indices_from_history(m.seen_[users], k=10, max_memory=1)
    np.testing.assert_array_equal(a_idx, b_idx)
    np.testing.assert_allclose(a_score, b_score, rtol=1e-5)


def test_batched_history_equals_one_at_a_time(shop):
    m = reclite.Popularity().fit(shop)
    H = sp.csr_matrix(np.array([[1, 0, 0, 0, 0], [0, 0, 1, 1, 0]], dtype=np.float32))
    idx, _ = m.recommend_indices_from_history(H, k=3)
    for r, items in enumerate([["a"], ["c", "d"]]):
        expected = m.items_.to_index(m.recommend_from_history(items, k=3)["item"].to_numpy())
        assert idx[r][idx[r] >= 0].tolist() == expected.tolist()


def test_history_with_wrong_width_is_an_error(shop):
    m = reclite.Popularity().fit(shop)
    with pytest.raises(ValueError, match="history must have 5 columns"):
        m.recommend_indices_from_history(sp.csr_matrix((1, 3)), k=2)


def test_history_is_weighed_with_the_models_confidence(shop):
    # pop: 1 + alpha * log1p(n_i) / log1p(max n), n from training: a 3, b 1, c 2, d 1, e 0
    m = reclite.Popularity(confidence="pop", alpha=2.0).fit(shop)
    a, c, e = m.items_.to_index(["a", "c", "e"])
    H = sp.csr_matrix((np.array([7.0, 1.0, 1.0]), (np.zeros(3, dtype=int), [e, a, c])), shape=(1, 5))
    rows = m._history_rows(H)
    np.testing.assert_array_equal(rows.indices, np.sort([a, c, e]))
    want = {a: 1 + 2.0, c: 1 + 2 * np.log(3) / np.log(4), e: 1.0}
    np.testing.assert_allclose(rows.data, [want[i] for i in rows.indices], rtol=1e-6)
    # a training user's history is their training row
    u3 = m.users_.to_index(["u3"])[0]
    np.testing.assert_array_equal(m._history_rows(shop.matrix()[[u3]]).data, m.seen_[[u3]].data)


def test_empty_history_gets_the_popular_items(shop):
    m = reclite.Popularity().fit(shop)
    with pytest.warns(DataWarning, match="the history has no item the model knows: it got the most popular"):
        recs = m.recommend_from_history([], k=3)
    assert recs["item"].tolist() == ["a", "c", "b"]  # a 3 users, c 2, b and d 1 (b first: smaller index)
    assert recs["score"].tolist() == [3.0, 2.0, 1.0]
    with pytest.warns(DataWarning, match="1 history row without items got the most popular items"):
        idx, _ = m.recommend_indices_from_history(sp.csr_matrix((2, 5), dtype=np.float32)[[0]], k=2)
    assert m.items_.to_raw(idx[0]).tolist() == ["a", "c"]
