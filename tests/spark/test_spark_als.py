"""SparkALS against reclite's own definitions: confidence, fold-in, top-K lists, metrics, raw-id input.

Every test runs in the test run's one local Spark session (tests/conftest.py: ``local[2]``,
2 shuffle partitions); fits use one block and a few iterations so the module stays short.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import reclite
from reclite.errors import ConfidenceSpecError, DataError, RecliteError
from reclite.models._foldin import als_solve_users
from reclite.models.spark import SparkALS

pytestmark = pytest.mark.spark

FAST = dict(factors=4, iterations=4, num_blocks=1, random_state=0)


@pytest.fixture(scope="module")
def data() -> reclite.Dataset:
    """60 users x 40 items with ratings 1-5."""
    return reclite.synthetic_dataset(60, 40, 600, random_state=3)


@pytest.fixture(scope="module")
def split(data):
    return reclite.split.random_holdout(data, test_size=0.25, random_state=1)


@pytest.fixture(scope="module")
def model(split) -> SparkALS:
    return SparkALS(regularization=0.05, **FAST).fit(split[0])


def _sorted(recs: pd.DataFrame) -> pd.DataFrame:
    out = recs[["user", "item", "score", "rank"]].sort_values(["user", "rank"]).reset_index(drop=True)
    out["user"] = out["user"].astype(str)
    out["item"] = out["item"].astype(str)
    return out


# ---------------------------------------------------------------------- confidence and regularisation
@pytest.mark.parametrize("confidence, alpha", [("binary", 1.0), ("value", 3.0), ("log+pop", 5.0)])
def test_spark_confidence_is_one_plus_alpha_f_and_regularisation_is_per_interaction(data, confidence, alpha):
    """Spark's last half-step solves every user given the item factors; with rating = alpha*f and
    Spark's alpha=1, that solve is reclite's confidence c = 1 + alpha*f (the model's seen_) with
    regularization * n_u on the diagonal: recomputed here in NumPy, it gives Spark's user factors."""
    m = SparkALS(regularization=0.05, confidence=confidence, alpha=alpha, **FAST).fit(data)
    C = m.seen_
    np.testing.assert_allclose(C.data, 1.0 + alpha * reclite.confidence.confidence_values(data, confidence),
                               rtol=1e-6)
    n_u = np.diff(C.indptr)
    ours = als_solve_users(m.item_factors_, C, 0.05 * n_u)
    np.testing.assert_allclose(ours, m.user_factors_, rtol=2e-3, atol=2e-5)
    # a flat regularisation (implicit's) is not what Spark solved
    flat = als_solve_users(m.item_factors_, C, 0.05 * n_u.mean())
    assert not np.allclose(flat, m.user_factors_, rtol=2e-3, atol=2e-5)


def test_a_training_users_history_folds_in_to_their_own_list(model, split):
    train = split[0]
    frame = train.to_frame()
    for u in train.users.ids[[0, 7, 31]]:
        rows = frame[frame["user"] == u]
        got = model.recommend_from_history(rows["item"].to_numpy(), values=rows["value"].to_numpy(), k=5)
        want = model.recommend(users=[u], k=5)
        assert got["item"].tolist() == want["item"].tolist()
        np.testing.assert_allclose(got["score"], want["score"], rtol=1e-3, atol=1e-5)


# ---------------------------------------------------------------------- top-K and metrics in Spark
@pytest.mark.parametrize("filter_seen", [True, False])
def test_recommend_spark_equals_recommend(model, split, filter_seen):
    train = split[0]
    k = 7
    spark_recs = _sorted(model.recommend_spark(k=k, filter_seen=filter_seen).toPandas())
    local = _sorted(model.recommend(k=k, filter_seen=filter_seen))
    pd.testing.assert_frame_equal(spark_recs[["user", "item", "rank"]], local[["user", "item", "rank"]])
    np.testing.assert_allclose(spark_recs["score"], local["score"], rtol=1e-5, atol=1e-6)
    if filter_seen:
        seen = set(zip(train.to_frame()["user"].astype(str), train.to_frame()["item"].astype(str)))
        assert not seen & set(zip(spark_recs["user"], spark_recs["item"]))


def test_recommend_spark_gives_every_unseen_item_when_k_exceeds_them(model, split):
    train = split[0]
    recs = model.recommend_spark(k=train.n_items + 3).toPandas()
    n_seen = pd.Series(np.bincount(train.user_idx, minlength=train.n_users), index=train.users.ids)
    counts = recs.groupby("user").size().reindex(n_seen.index)
    assert (counts == train.n_items - n_seen).all()


def test_evaluate_spark_equals_evaluate(model, split, spark_session):
    train, test = split
    metrics = ["ndcg", "recall", "calibrated_recall", "precision", "map", "mrr", "hit_rate"]
    want = reclite.evaluate(model, train, test, k=[1, 5, 10], metrics=metrics)
    got = reclite.evaluate_spark(model, train, test, k=[1, 5, 10], metrics=metrics)
    assert got["n_users"].tolist() == want["n_users"].tolist()
    np.testing.assert_allclose(got[metrics].to_numpy(), want[metrics].to_numpy(), rtol=0, atol=1e-6)
    # the same from Spark DataFrames of raw ids
    frames = [spark_session.createDataFrame(d.to_frame()[["user", "item"]]) for d in (train, test)]
    again = reclite.evaluate_spark(model, *frames, k=10, metrics=["ndcg", "recall"])
    np.testing.assert_allclose(again[["ndcg", "recall"]].to_numpy(),
                               want.loc[want["k"] == 10, ["ndcg", "recall"]].to_numpy(), atol=1e-6)


def test_users_without_training_interactions_get_the_local_lists_in_spark(data, spark_session):
    """A temporal split leaves some test users with no training interaction: Spark fits them
    no factors, recommend ranks them with zero factors, and recommend_spark and
    evaluate_spark now do the same (before, they got no list in Spark only)."""
    train, test = reclite.split.temporal(data, at=0.7, min_train=0)
    cold = np.setdiff1d(np.arange(train.n_users), train.user_idx)
    assert len(cold) and np.isin(cold, test.user_idx).any()  # the case exists
    m = SparkALS(regularization=0.05, **FAST).fit(train)
    spark_recs = _sorted(m.recommend_spark(k=5).toPandas())
    local = _sorted(m.recommend(k=5))
    pd.testing.assert_frame_equal(spark_recs[["user", "item", "rank"]], local[["user", "item", "rank"]])
    assert set(train.users.to_raw(cold).astype(str)) <= set(spark_recs["user"])
    names = ["ndcg", "recall", "hit_rate", "coverage", "novelty"]
    want = reclite.evaluate(m, train, test, k=[5, 10], metrics=names)
    got = reclite.evaluate_spark(m, train, test, k=[5, 10], metrics=names)
    assert got["n_users"].tolist() == want["n_users"].tolist()
    np.testing.assert_allclose(got[names].to_numpy(), want[names].to_numpy(), rtol=1e-9, atol=1e-6)


def test_evaluate_spark_beyond_accuracy_equals_evaluate(model, split, spark_session):
    """coverage, novelty and popularity, computed in Spark from the persisted lists, equal
    reclite.evaluate's; the default (no metrics=) is every metric, as evaluate's."""
    train, test = split
    names = ["coverage", "novelty", "popularity"]
    want = reclite.evaluate(model, train, test, k=[1, 5, 10, 50], metrics=["recall", *names])
    got = reclite.evaluate_spark(model, train, test, k=[1, 5, 10, 50], metrics=["recall", *names])
    assert list(got.columns) == ["k", "n_users", "recall", *names]
    np.testing.assert_allclose(got[["recall", *names]].to_numpy(), want[["recall", *names]].to_numpy(),
                               rtol=1e-9, atol=1e-6)
    assert got["coverage"].is_monotonic_increasing and (got["novelty"] > 0).all()
    every = reclite.evaluate_spark(model, train, test, k=10)
    assert list(every.columns) == ["k", "n_users", *reclite.evaluation.METRICS]


def test_evaluate_spark_refuses_an_unknown_metric(model, split):
    with pytest.raises(reclite.errors.ParameterError, match="evaluate_spark: .*serendipity"):
        reclite.evaluate_spark(model, *split, metrics=["ndcg", "serendipity"])


# ---------------------------------------------------------------------- fit_spark on raw ids
@pytest.fixture(scope="module")
def parquet_path(data, tmp_path_factory):
    """The data with raw string ids ("u17", "i3") and a rating column, as parquet."""
    frame = data.to_frame()
    frame = pd.DataFrame({"uid": "u" + frame["user"].astype(str), "movie": "i" + frame["item"].astype(str),
                          "rating": frame["value"].astype(np.float64)})
    path = tmp_path_factory.mktemp("spark") / "ratings.parquet"
    frame.to_parquet(path, index=False)
    return path, frame


def test_fit_spark_on_a_parquet_of_raw_string_ids_equals_fit(parquet_path, spark_session):
    path, frame = parquet_path
    df = spark_session.read.parquet(str(path))
    m = SparkALS(regularization=0.05, confidence="value+pop", alpha=2.0, **FAST)
    m.fit_spark(df, user="uid", item="movie", value="rating")
    ds = reclite.Dataset.from_frame(frame, user="uid", item="movie", value="rating")
    ref = SparkALS(regularization=0.05, confidence="value+pop", alpha=2.0, **FAST).fit(ds)
    # the id maps built in Spark are reclite's (sorted raw ids), the confidence computed in Spark is reclite's
    assert m.users_ == ds.users and m.items_ == ds.items
    assert m.users_.ids.dtype.kind == "U"
    np.testing.assert_allclose(m.seen_.toarray(), ref.seen_.toarray(), rtol=1e-6)
    n_u = np.diff(m.seen_.indptr)
    np.testing.assert_allclose(als_solve_users(m.item_factors_, m.seen_, 0.05 * n_u), m.user_factors_,
                               rtol=2e-3, atol=2e-5)
    np.testing.assert_allclose(m.user_factors_, ref.user_factors_, rtol=1e-3, atol=1e-4)
    assert _sorted(m.recommend(k=5))["item"].tolist() == _sorted(ref.recommend(k=5))["item"].tolist()


def test_fit_spark_too_big_for_the_driver_stays_in_spark(parquet_path, spark_session, tmp_path):
    path, frame = parquet_path
    df = spark_session.read.parquet(str(path))
    local = SparkALS(regularization=0.05, **FAST).fit_spark(df, user="uid", item="movie")
    remote = SparkALS(regularization=0.05, max_memory=1000, **FAST).fit_spark(df, user="uid", item="movie")
    assert not hasattr(remote, "user_factors_") and len(remote.users_) == frame["uid"].nunique()
    pd.testing.assert_frame_equal(_sorted(remote.recommend_spark(k=4).toPandas())[["user", "item", "rank"]],
                                  _sorted(local.recommend(k=4))[["user", "item", "rank"]])
    for call in (lambda: remote.recommend(k=3), lambda: remote.save(tmp_path / "m")):
        with pytest.raises(RecliteError, match=r"fitted in Spark only.*max_memory=1000.*recommend_spark"):
            call()
    assert not (tmp_path / "m").exists()


def test_fit_spark_with_time_keeps_a_repeated_pairs_latest_value_as_a_dataset_does(spark_session):
    """(a, x) is rated 5 then 1 later, (b, y) 2 then 4, (c, x) 3 then 1: with time=, the
    latest value, as Dataset.from_frame keeps it; without, the largest. Rows of the same
    latest time (Spark knows no file order, a Dataset keeps the later row): the larger value."""
    frame = pd.DataFrame({"user": ["a", "a", "b", "b", "c", "c", "a", "b", "c"],
                          "item": ["x", "x", "y", "y", "x", "x", "y", "x", "y"],
                          "rating": [5.0, 1.0, 2.0, 4.0, 3.0, 1.0, 2.0, 1.0, 2.0],
                          "ts": [1, 9, 1, 9, 5, 6, 3, 3, 3]})
    df = spark_session.createDataFrame(frame)
    latest = SparkALS(confidence="value", **FAST).fit_spark(df, value="rating", time="ts")
    with pytest.warns(reclite.errors.DataWarning, match="keeping the latest"):
        ds = reclite.Dataset.from_frame(frame, user="user", item="item", value="rating", time="ts")
    ref = SparkALS(confidence="value", **FAST).fit(ds)
    np.testing.assert_allclose(latest.seen_.toarray(), ref.seen_.toarray(), rtol=1e-6)
    u, i = latest.users_.to_index(["a"])[0], latest.items_.to_index(["x"])[0]
    largest = SparkALS(confidence="value", **FAST).fit_spark(df, value="rating")
    assert latest.seen_[u, i] < largest.seen_[u, i]  # a's x: 1 (latest) against 5 (largest)
    tie = spark_session.createDataFrame(frame.assign(ts=frame["ts"].where(frame.index != 5, 5)))  # c's x: 3, 1 at 5
    tied = SparkALS(confidence="value", **FAST).fit_spark(tie, value="rating", time="ts")
    c, x = tied.users_.to_index(["c"])[0], tied.items_.to_index(["x"])[0]
    # seen_ holds 1 + value / max value (alpha 1); the values kept have max 4 (b's y) in both fits
    assert latest.seen_[c, x] == pytest.approx(1 + 1 / 4)  # c's x: 1 at time 6, the latest
    assert tied.seen_[c, x] == pytest.approx(1 + 3 / 4)  # 3 and 1 both at time 5: the larger
    with pytest.raises(DataError, match=r"time column 'user' has type string; expected numbers"):
        SparkALS(**FAST).fit_spark(df, time="user")
    gaps = spark_session.createDataFrame(frame.assign(ts=frame["ts"].astype(float).where(frame["ts"] != 3)))
    with pytest.raises(DataError, match=r"time column 'ts' has 3 missing times"):
        SparkALS(**FAST).fit_spark(gaps, time="ts")


def test_fit_spark_errors_name_the_column_and_what_was_expected(spark_session):
    df = spark_session.createDataFrame(pd.DataFrame({"user": ["a", "b", None], "item": [1, 2, 3],
                                                     "score": [1.0, -2.0, 3.0]}))
    m = SparkALS(**FAST)
    with pytest.raises(DataError, match=r"no item column 'movie' in the DataFrame; its columns: user, item, score"):
        m.fit_spark(df, item="movie")
    with pytest.raises(DataError, match=r"user column 'user' has 1 missing ids"):
        m.fit_spark(df)
    ok = df.where("user is not null")
    with pytest.raises(DataError, match=r"value column 'score' has 1 values that are not finite numbers >= 0"):
        SparkALS(confidence="log", **FAST).fit_spark(ok, value="score")
    with pytest.raises(ConfidenceSpecError, match=r"uses genre, which fit_spark cannot compute in Spark"):
        SparkALS(confidence="genre+pop", **FAST).fit_spark(ok)
    with pytest.raises(reclite.errors.ParameterTypeError, match="expects a pyspark DataFrame"):
        m.fit_spark(pd.DataFrame({"user": [1], "item": [2]}))


def test_a_clone_shares_the_session_and_copies_the_rest(spark_session):
    from sklearn.base import clone

    m = SparkALS(spark=spark_session, confidence_params={"era": {"tau": 5}}, **FAST)
    twin = clone(m)
    assert twin.spark is spark_session and twin.get_params() == m.get_params()
    assert twin.confidence_params is not m.confidence_params


def test_saved_and_loaded_model_ranks_in_spark_alike(model, tmp_path):
    model.save(tmp_path / "m")
    back = reclite.load_model(tmp_path / "m")
    assert back.spark is None and back.get_params()["random_state"] == back.random_seed_ == 0
    pd.testing.assert_frame_equal(_sorted(back.recommend_spark(k=5).toPandas()),
                                  _sorted(model.recommend_spark(k=5).toPandas()))
