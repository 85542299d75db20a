"""History scoring: a history is weighed with the model's own confidence, for every registry model.

The reference is the model itself: a training user's history (items, values, times)
must become exactly their row of ``seen_``, the confidence the model was trained
with, and for models that score from that row alone, ``recommend_from_history`` must
give exactly ``recommend(u)``'s list.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import reclite
from reclite.errors import DataWarning, ParameterError
from reclite.models import registry
from tests._contract import make_model

# every component is used by at least one spec; "time" needs times, the value-based ones values
SPECS = ["binary", "log", "genre+pop", "(genre+pop)*era", "bm25", "time", "value+tfidf*time"]

# models whose scores are a function of the user's confidence row (so a training user's
# history must give their own list); the others fold the history in (per-user parameters)
ROW_SCORED = ["pop", "genre_rule", "itemknn", "userknn", "ease", "rp3beta", "content"]
FOLD_IN = ["als", "bpr", "lmf", "surprise_svd", "surprise_knn"]
# ensembles have no confidence of their own: they fuse (rankvote) or blend (blend) their members'
# history lists or scores, each member weighing the history itself (tests/test_ensemble.py); so does
# content_expand with its base and content models (tests/models/test_content.py)
ENSEMBLES = ["rankvote", "blend", "content_expand"]
# fitted by Spark: its fold-in (ALS's least squares with Spark's per-user regularisation) gives a training
# user their own list in tests/spark/test_spark_als.py, in the test run's one Spark session
SPARK = ["spark_als"]

USERS = [0, 3, 17, 58, 101]


def history_models() -> list[str]:
    return [n for n in registry.names() if n in ROW_SCORED + FOLD_IN]


def test_the_lists_cover_every_registry_model():
    assert sorted(ROW_SCORED + FOLD_IN + ENSEMBLES + SPARK) == sorted(registry.names())


@pytest.fixture(scope="module")
def data() -> reclite.Dataset:
    """Ratings 1-5, genres, years (10 % unknown) and coarse times (ties within users)."""
    ds = reclite.synthetic_dataset(120, 80, 2500, random_state=3, unknown_year_share=0.1)
    coarse = ds.times // (90 * 86400)
    return reclite.Dataset(ds.user_idx, ds.item_idx, ds.values, coarse, users=ds.users, items=ds.items,
                           genres=ds.genres, years=ds.years, name="history-test")


def fit(name: str, spec: str, data: reclite.Dataset, **extra):
    kw = {"confidence": spec, "alpha": 2.0, **extra}
    if name == "userknn":
        kw.setdefault("k_neighbors", data.n_users)  # see recommend_from_history: every user a neighbour
    if name == "surprise_knn":
        kw.setdefault("max_candidates", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # BPR: confidence has no effect on its fit
        return make_model(name, **kw).fit(data)


def user_history(data: reclite.Dataset, u: int, seed: int = 0) -> pd.DataFrame:
    """User ``u``'s interactions in raw ids, in a shuffled order (the alignment must not matter)."""
    frame = data.to_frame()
    rows = frame[frame["user"] == data.users.to_raw([u])[0]]
    return rows.sample(frac=1.0, random_state=seed)


def from_history(model, h: pd.DataFrame, **kw) -> pd.DataFrame:
    return model.recommend_from_history(h["item"].to_numpy(), values=h["value"].to_numpy(),
                                        times=h["time"].to_numpy(), **kw)


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("name", history_models())
def test_a_training_users_history_becomes_their_training_row(data, name, spec, monkeypatch):
    model = fit(name, spec, data)
    seen_rows = []
    original = model._score

    def spy(user_idx, rows):
        seen_rows.append(sp.csr_matrix(rows))
        return original(user_idx, rows)

    monkeypatch.setattr(model, "_score", spy)
    for u in USERS:
        seen_rows.clear()
        from_history(model, user_history(data, u), k=5)
        (row,) = seen_rows
        want = model.seen_[[u]]
        np.testing.assert_array_equal(row.indices, want.indices)
        np.testing.assert_allclose(row.data, want.data, rtol=1e-6, err_msg=f"{name} {spec} user {u}")


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("name", ROW_SCORED)
def test_a_training_users_history_gives_their_own_list(data, name, spec):
    model = fit(name, spec, data)
    for u in USERS:
        want = model.recommend(data.users.to_raw([u]), k=15)
        got = from_history(model, user_history(data, u, seed=u), k=15)
        assert got["item"].tolist() == want["item"].tolist(), (name, spec, u)
        np.testing.assert_allclose(got["score"], want["score"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("spec", ["log", "(genre+pop)*era", "bm25", "value+tfidf*time"])
@pytest.mark.parametrize("name", ROW_SCORED)
def test_history_matrix_of_training_rows_gives_their_lists(data, name, spec):
    # the csr path: stored values are the interaction values, times come as a matrix alike
    model = fit(name, spec, data)
    users = np.array(USERS)
    M = data.matrix()[users]
    T = sp.csr_matrix((data.times, (data.user_idx, data.item_idx)), shape=(data.n_users, data.n_items))[users]
    a_idx, a_score = model.recommend_indices(users, k=12)
    b_idx, b_score = model.recommend_indices_from_history(M, k=12, times=T, max_memory=1)
    np.testing.assert_array_equal(a_idx, b_idx)
    np.testing.assert_allclose(a_score, b_score, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("spec", ["binary", "log", "genre+pop"])
def test_als_folds_in_the_history_with_its_confidence(data, spec):
    # reference: implicit's own recalculate_user on the training confidence row
    import implicit.cpu.als

    model = fit("als", spec, data, factors=8, iterations=5, random_state=0)
    ref = implicit.cpu.als.AlternatingLeastSquares(factors=8, regularization=model.regularization, alpha=1.0)
    ref.user_factors = model.user_factors_.copy()
    ref.item_factors = model.item_factors_.copy()
    for u in USERS[:3]:
        ids, scores = ref.recommend(0, model.seen_[[u]], N=10, recalculate_user=True)
        got = from_history(model, user_history(data, u), k=10)
        assert got["item"].tolist() == model.items_.to_raw(ids).tolist()
        np.testing.assert_allclose(got["score"], scores, rtol=2e-3, atol=1e-4)


# ---------------------------------------------------------------- inputs a history needs


def test_time_confidence_without_times_is_a_parameter_error(data):
    model = fit("itemknn", "genre+time", data)
    h = user_history(data, 0)
    with pytest.raises(ParameterError, match=r"ItemKNN\(confidence='genre\+time'\) weighs each history item by "
                                             r"its recency: pass times"):
        model.recommend_from_history(h["item"].to_numpy(), values=h["value"].to_numpy())
    with pytest.raises(ParameterError, match="pass times"):
        model.recommend_indices_from_history(data.matrix()[[0]])


def test_history_without_values_counts_each_item_as_value_one(data):
    model = fit("ease", "log", data)
    h = user_history(data, 0)
    with pytest.warns(DataWarning, match=r"EASE\(confidence='log'\) weighs each history item by its value "
                                         r"\(log\) and was fitted on values other than 1, but no values were "
                                         "given: each history item counts as value 1"):
        got = model.recommend_from_history(h["item"].to_numpy(), k=10)
    ones = model.recommend_from_history(h["item"].to_numpy(), values=np.ones(len(h)), k=10)
    pd.testing.assert_frame_equal(got, ones)
    # data without values (every value 1): no warning, and a training user gets their own list
    binary = reclite.Dataset(data.user_idx, data.item_idx, None, data.times, users=data.users, items=data.items,
                             genres=data.genres, years=data.years, name=data.name)
    model = fit("ease", "log+bm25", binary)
    want = model.recommend(binary.users.to_raw([0]), k=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        got = model.recommend_from_history(h["item"].to_numpy(), k=10)
    assert got["item"].tolist() == want["item"].tolist()


def test_components_that_need_neither_ignore_values_and_times(data):
    model = fit("itemknn", "(genre+pop)*era", data)
    h = user_history(data, 3)
    a = model.recommend_from_history(h["item"].to_numpy(), k=10)
    b = from_history(model, h, k=10)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("kw, match", [
    ({"values": [1.0, 2.0]}, r"values must hold one value per history item \(3\), got shape \(2,\)"),
    ({"values": ["a", "b", "c"]}, "values must be numbers"),
    ({"times": [1, 2]}, r"times must hold one timestamp per history item \(3\)"),
    ({"times": [1.5, 2.0, 3.0]}, "times must be integer timestamps"),
    ({"times": ["x", "y", "z"]}, "times must be integer timestamps"),
])
def test_misaligned_or_mistyped_values_and_times(data, kw, match):
    model = fit("itemknn", "log+time", data)
    items = data.items.to_raw([0, 1, 2])
    with pytest.raises(ParameterError, match=match):
        model.recommend_from_history(items, **{"values": [1, 2, 3], "times": [1, 2, 3], **kw})


def test_negative_history_value_for_a_value_component(data):
    model = fit("itemknn", "log", data)
    with pytest.raises(ParameterError, match="component 'log' needs finite, non-negative interaction values; "
                                             "the history has -1"):
        model.recommend_from_history(data.items.to_raw([0, 1]), values=[3, -1])


def test_an_item_given_twice_counts_once_with_its_latest_time(data):
    model = fit("itemknn", "log+time", data)
    a, b, c = data.items.to_raw([0, 1, 2])
    twice = model.recommend_from_history([a, b, a, c], values=[5, 2, 1, 4], times=[9, 3, 4, 4], k=10)
    once = model.recommend_from_history([b, a, c], values=[2, 5, 4], times=[3, 9, 4], k=10)
    pd.testing.assert_frame_equal(twice, once)
    # without times the last occurrence counts
    twice = model.recommend_from_history([a, b, a], values=[5, 2, 1], times=[1, 1, 1], k=10)
    once = model.recommend_from_history([b, a], values=[2, 1], times=[1, 1], k=10)
    pd.testing.assert_frame_equal(twice, once)


def test_times_matrix_must_match_the_history(data):
    model = fit("itemknn", "time", data)
    M = data.matrix()[[0, 1]]
    with pytest.raises(ParameterError, match="times must have an entry exactly where history has one"):
        model.recommend_indices_from_history(M, times=sp.csr_matrix(M.shape, dtype=np.int64))
    with pytest.raises(ParameterError, match=r"times must have the shape of history"):
        model.recommend_indices_from_history(M, times=sp.csr_matrix((1, data.n_items), dtype=np.int64))
    with pytest.raises(ParameterError, match="times must be a scipy sparse matrix"):
        model.recommend_indices_from_history(M, times=[1, 2])


# ---------------------------------------------------------------- empty histories


def popular_list(model, k: int) -> list:
    with pytest.warns(DataWarning):
        return model.recommend(["nobody-at-all"], k=k, on_unknown="popular")["item"].tolist()


@pytest.mark.parametrize("name", history_models())
def test_empty_or_unknown_history_gives_the_popular_items(data, name):
    model = fit(name, "binary", data)
    want = popular_list(model, 8)
    order = np.argsort(-model.item_popularity_, kind="stable")[:8]
    assert want == model.items_.to_raw(order).tolist()
    with pytest.warns(DataWarning, match="the history has no item the model knows: it got the most popular"):
        recs = model.recommend_from_history([], k=8)
    assert recs["item"].tolist() == want
    np.testing.assert_array_equal(recs["score"], model.item_popularity_[order].astype(np.float32))
    with pytest.warns(DataWarning) as caught:
        recs = model.recommend_from_history([-5, -6], k=8)
    texts = [str(w.message) for w in caught]
    assert "2 history items unknown to the model were ignored" in texts
    assert "the history has no item the model knows: it got the most popular items" in texts
    assert recs["item"].tolist() == want


@pytest.mark.parametrize("name", ["itemknn", "ease", "als", "genre_rule"])
def test_history_matrix_rows_without_items_get_the_popular_items(data, name):
    model = fit(name, "log", data)
    M = data.matrix()[[0, 1, 2, 3]]
    M = sp.csr_matrix(M.multiply(np.array([[1], [0], [1], [0]])))  # rows 1 and 3 lose every item
    M.eliminate_zeros()
    with pytest.warns(DataWarning, match="2 history rows without items got the most popular items"):
        idx, score = model.recommend_indices_from_history(M, k=6)
    order = np.argsort(-model.item_popularity_, kind="stable")[:6]
    for r in (1, 3):
        np.testing.assert_array_equal(idx[r], order)
        np.testing.assert_array_equal(score[r], model.item_popularity_[order].astype(np.float32))
    alone, _ = model.recommend_indices_from_history(M[[0, 2]], k=6)
    np.testing.assert_array_equal(idx[[0, 2]], alone)


# ---------------------------------------------------------------- parameter name, files


def test_items_keyword_still_works_with_a_deprecation_warning(data):
    model = fit("itemknn", "binary", data)
    items = data.items.to_raw([0, 4, 9])
    with pytest.warns(DeprecationWarning, match="now called history"):
        old = model.recommend_from_history(items=items, k=5)
    pd.testing.assert_frame_equal(old, model.recommend_from_history(history=items, k=5))
    with pytest.raises(TypeError, match="both history and its deprecated name items"):
        model.recommend_from_history(items, items=items)
    with pytest.raises(TypeError, match="missing required argument: 'history'"):
        model.recommend_from_history()


@pytest.mark.parametrize("name", history_models())
def test_saved_model_scores_histories_alike(data, name, tmp_path):
    spec = "(genre+pop)*era+bm25+log*time"  # every statistic: popularity, genres, years, item sums, maxima
    model = fit(name, spec, data)
    model.save(tmp_path / "m")
    back = reclite.load_model(tmp_path / "m")
    for attr in ("confidence_item_sums_", "confidence_years_", "confidence_genre_indptr_",
                 "confidence_genre_indices_"):
        np.testing.assert_array_equal(getattr(back, attr), getattr(model, attr))
    assert back.confidence_stats_ == model.confidence_stats_
    for u in USERS[:3]:
        h = user_history(data, u)
        pd.testing.assert_frame_equal(from_history(back, h, k=10), from_history(model, h, k=10))


def test_strong_generalization_weighs_fold_in_users_with_values_and_times(data):
    # evaluate(fold_in=...) ranks each test user from their fold-in interactions, weighed as
    # the model weighs a history: with their values and times
    from reclite import split

    s = split.strong_generalization(data, n_test_users=10, test_size=0.3, random_state=1)
    model = fit("itemknn", "log*time+genre", s.train)
    summary, per = reclite.evaluate(model, s.train, s.test, k=5, fold_in=s.fold_in, metrics=["ndcg"],
                                    per_user=True)
    frame = s.fold_in.to_frame()
    rows = []
    for raw in per["user"]:
        h = frame[frame["user"] == raw]
        recs = from_history(model, h, k=5)
        rows.append(pd.DataFrame({"user": raw, "item": recs["item"], "rank": recs["rank"]}))
    again = reclite.evaluate_recommendations(pd.concat(rows), s.test, k=5, metrics=["ndcg"])
    pd.testing.assert_frame_equal(summary, again)
