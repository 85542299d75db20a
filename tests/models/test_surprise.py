"""SurpriseRecommender: bulk scores equal surprise's own unclipped predictions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import surprise

import reclite
from reclite.errors import DataError, RecliteError
from reclite.models.surprise import DEFAULT_PARAMS, SurpriseRecommender


@pytest.fixture
def ratings() -> reclite.Dataset:
    """120 users x 150 items (3 never rated: known only from side information), ratings 1-5."""
    rng = np.random.default_rng(0)
    n = 3000
    df = pd.DataFrame({"user": rng.integers(0, 120, n), "item": rng.zipf(1.5, n) % 150,
                       "value": rng.integers(1, 6, n).astype(float)}).drop_duplicates(["user", "item"])
    return reclite.Dataset.from_frame(df, value="value", extra_items=[1000, 1001, 1002])


def _surprise_reference(ds: reclite.Dataset, algorithm: str, params: dict | None, seed: int = 0):
    """The same surprise algorithm fitted directly (raw ids = reclite indices)."""
    frame = pd.DataFrame({"user": ds.user_idx.astype(int), "item": ds.item_idx.astype(int),
                          "rating": ds.values.astype(float)}).sort_values(["user", "item"])
    trainset = surprise.Dataset.load_from_df(frame, surprise.Reader(rating_scale=(1, 5))).build_full_trainset()
    kw = {"verbose": False, **DEFAULT_PARAMS[algorithm], **(params or {})}
    if algorithm in ("SVD", "SVDpp", "NMF"):
        kw["random_state"] = seed
    return getattr(surprise, algorithm)(**kw).fit(trainset)


CASES = [
    ("SVD", None),
    ("SVD", {"biased": False, "n_factors": 5}),
    ("SVDpp", {"n_epochs": 5, "n_factors": 5}),
    ("NMF", None),
    ("NMF", {"biased": True, "n_factors": 4}),
    ("BaselineOnly", None),
    ("KNNBasic", None),
    ("KNNBasic", {"k": 5, "min_k": 2}),
    ("KNNWithMeans", None),
    ("KNNWithMeans", {"k": 5, "min_k": 3, "sim_options": {"user_based": True, "name": "cosine"}}),
    ("KNNWithZScore", None),
    ("KNNBaseline", None),
    ("KNNBaseline", {"sim_options": {"name": "pearson_baseline", "user_based": True}}),
]


@pytest.mark.parametrize("algorithm, params", CASES)
def test_scores_equal_surprise_predict_unclipped(ratings, algorithm, params):
    m = SurpriseRecommender(algorithm=algorithm, params=params, random_state=0, max_candidates=None).fit(ratings)
    ref = _surprise_reference(ratings, algorithm, params)
    rng = np.random.default_rng(1)
    users = rng.integers(0, m.n_users_, 300)
    items = np.concatenate([rng.integers(0, m.n_items_, 297), [m.n_items_ - 3, m.n_items_ - 2, m.n_items_ - 1]])
    expected = np.array([ref.predict(int(u), int(i), clip=False).est for u, i in zip(users, items)])
    got = m.score_indices(np.arange(m.n_users_))[users, items]
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_knn_candidates_are_exact_and_every_other_item_ranks_below(ratings):
    m = SurpriseRecommender(algorithm="KNNBaseline", max_candidates=40).fit(ratings)
    full = SurpriseRecommender(algorithm="KNNBaseline", max_candidates=None).fit(ratings)
    assert len(m.cand_idx_) == 40
    popularity = np.diff(ratings.matrix().tocsc().indptr)
    assert popularity[m.cand_idx_].min() >= np.sort(popularity)[-40]
    s, f = m.score_indices(np.arange(20)), full.score_indices(np.arange(20))
    np.testing.assert_allclose(s[:, m.cand_idx_], f[:, m.cand_idx_])
    rest = np.setdiff1d(np.arange(m.n_items_), m.cand_idx_)
    assert (s[:, rest].max(axis=1) < s[:, m.cand_idx_].min(axis=1)).all()
    # the rest is ordered by the item baseline b_i
    order = rest[np.argsort(-s[0, rest], kind="stable")]
    assert np.all(np.diff(m.item_bias_[order]) <= 1e-12)
    # still eligible: a user asking for more than the candidates gets them
    assert len(m.recommend(m.users_.ids[:1], k=m.n_items_)) > 40


def test_recommend_ranks_unseen_items_by_predicted_rating(ratings):
    m = SurpriseRecommender(algorithm="SVD", random_state=0).fit(ratings)
    ref = _surprise_reference(ratings, "SVD", None)
    user = m.users_.ids[3]
    recs = m.recommend([user], k=5)
    u = int(m.users_.to_index([user])[0])
    seen = set(m.seen_[u].indices)
    unseen = [i for i in range(m.n_items_) if i not in seen]
    est = np.array([ref.predict(u, i, clip=False).est for i in unseen])
    best = np.array(unseen)[np.argsort(-est, kind="stable")[:5]]
    assert recs["item"].tolist() == m.items_.to_raw(best).tolist()


@pytest.mark.parametrize("algorithm", ["SVD", "SVDpp", "NMF", "BaselineOnly", "KNNBaseline", "KNNBasic"])
def test_save_load_round_trip_without_surprise_objects(ratings, tmp_path, algorithm):
    m = SurpriseRecommender(algorithm=algorithm, params={"n_epochs": 3} if algorithm == "SVDpp" else None,
                            random_state=0, max_candidates=60).fit(ratings)
    m.save(tmp_path / "m")
    text = (tmp_path / "m" / "params.json").read_text()
    assert "surprise." not in text
    back = reclite.load_model(tmp_path / "m")
    pd.testing.assert_frame_equal(back.recommend(k=7), m.recommend(k=7))
    pd.testing.assert_frame_equal(back.recommend_from_history([0, 1, 2], k=5),
                                  m.recommend_from_history([0, 1, 2], k=5))


def test_svdpp_from_history_is_its_implicit_feedback_model(ratings):
    m = SurpriseRecommender(algorithm="SVDpp", params={"n_epochs": 5}, random_state=0).fit(ratings)
    hist = m.items_.to_index([0, 1, 2, 5])
    y = m.implicit_factors_[np.sort(hist)].sum(axis=0) / 2.0  # |H| = 4
    expected = m.global_mean_ + m.item_bias_ + m.item_factors_ @ y
    recs = m.recommend_from_history([0, 1, 2, 5], k=5)
    idx = m.items_.to_index(recs["item"].to_numpy())
    np.testing.assert_allclose(recs["score"].to_numpy(), expected[idx], rtol=1e-5)


def test_item_knn_from_history_prefers_similar_items():
    # two taste groups with opposite ratings: similar items are those of the same group
    rng = np.random.default_rng(3)
    rows = []
    for u in range(60):
        g = u % 2
        for i in range(30):
            if rng.random() < 0.5:
                rows.append((u, i, 5.0 if (i % 2) == g else 1.0))
    ds = reclite.Dataset.from_frame(pd.DataFrame(rows, columns=["user", "item", "value"]), value="value")
    m = SurpriseRecommender(algorithm="KNNBaseline", params={"k": 5}).fit(ds)
    recs = m.recommend_from_history([0, 2, 4, 6], k=5)
    assert all(i % 2 == 0 for i in recs["item"]), recs["item"].tolist()


def test_user_based_knn_cannot_recommend_from_history(ratings):
    m = SurpriseRecommender(algorithm="KNNBasic", params={"sim_options": {"user_based": True}}).fit(ratings)
    assert not m.supports_history
    with pytest.raises(RecliteError, match="cannot recommend from a history"):
        m.recommend_from_history([0, 1])


def test_unknown_algorithm_and_bad_params_are_clear(ratings):
    with pytest.raises(ValueError, match="unsupported algorithm 'SlopeOne'; supported: SVD, SVDpp"):
        SurpriseRecommender(algorithm="SlopeOne").fit(ratings)
    with pytest.raises(ValueError, match="bad params for surprise.SVD"):
        SurpriseRecommender(params={"n_factor": 3}).fit(ratings)
    with pytest.raises(ValueError, match="max_candidates must be a positive int or None"):
        SurpriseRecommender(algorithm="KNNBasic", max_candidates=0).fit(ratings)


def test_registry_entries_build_the_two_defaults():
    from reclite.models import registry

    assert registry.create("surprise_svd").algorithm == "SVD"
    assert registry.create("surprise_knn").algorithm == "KNNBaseline"


def test_seed_reproduces_and_params_stay_verbatim(ratings):
    params = {"n_factors": 5, "n_epochs": 5}
    a = SurpriseRecommender(params=params, random_state=4).fit(ratings)
    b = SurpriseRecommender(params=params, random_state=4).fit(ratings)
    np.testing.assert_array_equal(a.item_factors_, b.item_factors_)
    assert a.get_params()["params"] is params and params == {"n_factors": 5, "n_epochs": 5}


def _unary() -> reclite.Dataset:
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"user": rng.integers(0, 30, 300), "item": rng.integers(0, 20, 300)})
    return reclite.Dataset.from_frame(df.drop_duplicates())


def test_pearson_baseline_on_unary_data_is_one_clear_error():
    ds = _unary()
    with pytest.raises(DataError, match=r"^surprise.KNNBaseline could not fit: its 'pearson_baseline' similarity "
                                        r"divides by zero because every one of the [\d,]+ ratings is 1, "):
        SurpriseRecommender(algorithm="KNNBaseline",
                            params={"sim_options": {"name": "pearson_baseline"}}).fit(ds)


def test_default_knn_fits_unary_data():
    ds = _unary()
    m = SurpriseRecommender(algorithm="KNNBaseline").fit(ds)
    assert m.recommend(k=3)["rank"].max() == 3
