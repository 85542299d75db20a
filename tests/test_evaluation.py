"""evaluate and evaluate_recommendations: lists, exclusion, budgets, cut-offs, tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import reclite
from reclite import metrics as M
from reclite import split
from reclite.errors import DataError, ParameterError, ParameterTypeError, RecliteError, UnknownIdError
from reclite.models.base import Recommender

from ._reference import beyond_accuracy_reference, ranking_metrics_reference


class RandomFactors(Recommender):
    """Scores = user_factors @ item_factors.T from seeded random factors (differs per user)."""

    def __init__(self, *, factors: int = 4, random_state: int = 0) -> None:
        self.factors = factors
        self.random_state = random_state

    def _fit(self, C, data):
        rng = np.random.default_rng(self.random_state)
        self.user_factors_ = rng.standard_normal((C.shape[0], self.factors)).astype(np.float32)
        self.item_factors_ = rng.standard_normal((C.shape[1], self.factors)).astype(np.float32)

    def _score(self, user_idx, rows):
        # a user the model never saw (-1) is scored from the mean of their items' factors
        known = self.user_factors_[np.maximum(user_idx, 0)]
        hist = np.asarray(rows.astype(bool).astype(np.float32) @ self.item_factors_)
        u = np.where((user_idx >= 0)[:, None], known, hist)
        return u @ self.item_factors_.T


@pytest.fixture(scope="module")
def data() -> reclite.Dataset:
    rng = np.random.default_rng(3)
    rows = [(f"u{u}", f"i{i}", int(rng.integers(0, 100)))
            for u in range(80) for i in rng.choice(40, size=int(rng.integers(1, 25)), replace=False)]
    return reclite.Dataset.from_frame(pd.DataFrame(rows, columns=["user", "item", "time"]), time="time")


@pytest.fixture(scope="module")
def parts(data):
    return split.random_holdout(data, 0.3, random_state=0)


def expected_from_lists(top, test_rows, train, k):
    ref = ranking_metrics_reference(top, test_rows, k)
    beyond = beyond_accuracy_reference(top, train.matrix(), k)
    out = {m: float(np.mean(ref[m])) for m in M.ACCURACY_METRICS}
    out["coverage"] = beyond["coverage"]
    out["novelty"] = float(np.nanmean(beyond["novelty"]))
    out["popularity"] = float(np.nanmean(beyond["popularity"]))
    return out


def test_evaluate_matches_brute_force_on_the_models_lists(parts):
    train, test = parts
    model = RandomFactors().fit(train)
    res = reclite.evaluate(model, train, test, k=5)
    T = test.matrix()
    users = np.flatnonzero(np.diff(T.indptr))
    top, _ = model.recommend_indices(users, 5)  # filter_seen: the model was fitted on train
    want = expected_from_lists(top, T[users], train, 5)
    assert res.shape == (1, 2 + len(M.METRICS))
    assert res["k"].tolist() == [5] and res["n_users"].tolist() == [len(users)]
    for name, value in want.items():
        assert res[name].iloc[0] == pytest.approx(value, rel=1e-12), name


def test_evaluate_identical_for_any_memory_budget(parts):
    train, test = parts
    model = RandomFactors(factors=3, random_state=4).fit(train)
    tiny = reclite.evaluate(model, train, test, k=[3, 10], max_memory=1, per_user=True)
    large = reclite.evaluate(model, train, test, k=[3, 10], max_memory="4GB", per_user=True)
    pd.testing.assert_frame_equal(tiny[0], large[0])
    pd.testing.assert_frame_equal(tiny[1], large[1])


def test_evaluate_several_k_equals_one_k_at_a_time(parts):
    train, test = parts
    model = RandomFactors().fit(train)
    both = reclite.evaluate(model, train, test, k=[10, 2])
    assert both["k"].tolist() == [2, 10]
    for row, kk in enumerate([2, 10]):
        one = reclite.evaluate(model, train, test, k=kk)
        pd.testing.assert_series_equal(both.iloc[row], one.iloc[0], check_names=False)


def test_evaluate_per_user_frame(parts):
    train, test = parts
    summary, users = reclite.evaluate(RandomFactors().fit(train), train, test, k=4,
                                      metrics=["ndcg", "coverage", "novelty"], per_user=True)
    assert list(summary.columns) == ["k", "n_users", "ndcg", "coverage", "novelty"]
    assert list(users.columns) == ["user", "n_test", "ndcg@4", "novelty@4"]
    assert len(users) == summary["n_users"].iloc[0]
    assert users["ndcg@4"].mean() == pytest.approx(summary["ndcg"].iloc[0])
    assert (users["n_test"] >= 1).all()
    assert set(users["user"]) <= set(test.users.to_raw(test.user_idx))


def test_evaluate_fits_an_unfitted_model_on_train(parts):
    train, test = parts
    model = reclite.Popularity()
    reclite.evaluate(model, train, test, k=3)
    assert model.seen_.nnz == len(train)
    np.testing.assert_array_equal(model.item_popularity_, np.bincount(train.item_idx, minlength=train.n_items))


def test_evaluate_model_fitted_on_full_data_excludes_train_only(data, parts):
    # fitted on everything, the model's own seen items include the test items; evaluate
    # must exclude exactly train's items, or every hit would be filtered away
    train, test = parts
    full = reclite.Popularity().fit(data)
    res = reclite.evaluate(full, train, test, k=5, metrics=["recall"])
    assert res["recall"].iloc[0] > 0
    T = test.matrix()
    users = np.flatnonzero(np.diff(T.indptr))
    top, _ = full.recommend_indices(users, 5, filter_seen=False, exclude=train.matrix())
    assert res["recall"].iloc[0] == pytest.approx(np.mean(M.recall(top, T[users])))
    Tr = train.matrix()[users]
    assert not any(set(top[r]) & set(Tr.indices[Tr.indptr[r]:Tr.indptr[r + 1]]) for r in range(len(users)))


def test_popularity_planted_answer():
    # items by popularity in train: a (3 users) > b (2) > c (1); u4 holds out b
    df = pd.DataFrame({"user": ["u1", "u2", "u3", "u1", "u2", "u3", "u4", "u4"],
                       "item": ["a", "a", "a", "b", "b", "c", "a", "b"]})
    ds = reclite.Dataset.from_frame(df)
    is_test = (ds.users.to_raw(ds.user_idx) == "u4") & (ds.items.to_raw(ds.item_idx) == "b")
    train, test = ds.subset(~is_test), ds.subset(is_test)
    res = reclite.evaluate(reclite.Popularity(), train, test, k=2)
    # u4 saw a: list [b, c]; b at rank 1 -> ndcg 1, recall 1, precision 1/2, mrr 1
    assert res[["ndcg", "recall", "precision", "mrr"]].iloc[0].tolist() == [1.0, 1.0, 0.5, 1.0]
    # coverage: {b, c} of 3 items
    assert res["coverage"].iloc[0] == pytest.approx(2 / 3)
    # popularity: b in 2 of 4 training users... users with train rows: u1, u2, u3, u4 -> (2/4 + 1/4) / 2
    assert res["popularity"].iloc[0] == pytest.approx(0.375)


def test_evaluate_strong_generalization_fold_in(data):
    s = split.strong_generalization(data, n_test_users=8, test_size=0.3, random_state=1)
    model = RandomFactors().fit(s.train)
    summary, per = reclite.evaluate(model, s.train, s.test, k=5, fold_in=s.fold_in,
                                    metrics=["ndcg", "recall"], per_user=True)
    assert summary["n_users"].iloc[0] == 8
    # the same as ranking each test user from their fold-in items, one at a time
    rows = []
    for raw in per["user"]:
        hist = s.fold_in.items.to_raw(s.fold_in.item_idx[s.fold_in.users.to_raw(s.fold_in.user_idx) == raw])
        recs = model.recommend_from_history(hist, k=5)
        rows.append(pd.DataFrame({"user": raw, "item": recs["item"], "rank": recs["rank"]}))
    again = reclite.evaluate_recommendations(pd.concat(rows), s.test, k=5, metrics=["ndcg", "recall"])
    pd.testing.assert_frame_equal(summary, again)


def test_evaluate_errors(data, parts):
    train, test = parts
    with pytest.raises(RecliteError, match="unknown metric 'ndgc'; known metrics: ndcg, recall"):
        reclite.evaluate(reclite.Popularity(), train, test, metrics=["ndgc"])
    frame = data.to_frame()
    other = reclite.Dataset.from_frame(frame[frame["user"] != "u0"])  # one user fewer: other maps
    with pytest.raises(DataError, match="do not share their user and item maps"):
        reclite.evaluate(reclite.Popularity(), train, other)
    small = reclite.Popularity().fit(sp.csr_matrix(np.ones((2, 2), dtype=np.float32)))
    with pytest.raises(RecliteError, match="not train's 80 x 40"):
        reclite.evaluate(small, train, test)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        reclite.evaluate(reclite.Popularity(), train, test, k=0)


# ---------------------------------------------------------------------- exclude=
@pytest.fixture(scope="module")
def three_way():
    """u1: train {a}, valid {b}, test {c}; training popularity a 5 > b 3 > c 2 > d 1."""
    df = pd.DataFrame({"user": ["u1", "u1", "u1", "u2", "u2", "u2", "u2", "u3", "u3", "u3", "u4", "u4", "u5"],
                       "item": ["a", "b", "c", "a", "b", "c", "d", "a", "b", "c", "a", "b", "a"]})
    ds = reclite.Dataset.from_frame(df)
    raw_u, raw_i = ds.users.to_raw(ds.user_idx), ds.items.to_raw(ds.item_idx)
    valid = (raw_u == "u1") & (raw_i == "b")
    test = (raw_u == "u1") & (raw_i == "c")
    return ds, ds.subset(~valid & ~test), ds.subset(valid), ds.subset(test)


def test_evaluate_exclude_hand_built(three_way):
    ds, train, valid, test = three_way
    # today's rule: only train's a is excluded, so u1's list is [b, c]: c is a hit at rank 2
    res = reclite.evaluate(reclite.Popularity(), train, test, k=[1, 2], metrics=["recall", "ndcg"])
    assert res["recall"].tolist() == [0.0, 1.0]
    assert res["ndcg"].tolist() == pytest.approx([0.0, 1 / np.log2(3)])
    # valid's b excluded too: [c, d], c at rank 1
    res = reclite.evaluate(reclite.Popularity(), train, test, k=[1, 2], metrics=["recall", "ndcg"],
                           exclude=valid)
    assert res["recall"].tolist() == [1.0, 1.0] and res["ndcg"].tolist() == [1.0, 1.0]
    # refitted on train + valid (its own seen items are not train's): train and valid still excluded
    is_test = (ds.users.to_raw(ds.user_idx) == "u1") & (ds.items.to_raw(ds.item_idx) == "c")
    refit = reclite.Popularity().fit(ds.subset(~is_test))
    assert refit.item_popularity_[ds.items.to_index(["b"])[0]] == 4
    res = reclite.evaluate(refit, train, test, k=1, metrics=["recall"], exclude=valid)
    assert res["recall"].tolist() == [1.0]
    res = reclite.evaluate(refit, train, test, k=1, metrics=["recall"])  # without: b is ranked first
    assert res["recall"].tolist() == [0.0]


def test_evaluate_exclude_matches_raw_ids_and_takes_lists(three_way):
    _, train, valid, test = three_way
    want = reclite.evaluate(reclite.Popularity(), train, test, k=2, exclude=valid)
    # other maps: an unknown user and an unknown item are ignored, u1's b is matched by raw id
    other = reclite.Dataset.from_frame(pd.DataFrame({"user": ["zz", "u1", "u9"], "item": ["q", "b", "a"]}))
    assert other.users != train.users
    pd.testing.assert_frame_equal(reclite.evaluate(reclite.Popularity(), train, test, k=2, exclude=other), want)
    empty = valid.subset(np.zeros(len(valid), dtype=bool))
    pd.testing.assert_frame_equal(
        reclite.evaluate(reclite.Popularity(), train, test, k=2, exclude=[empty, other]), want)
    pd.testing.assert_frame_equal(reclite.evaluate(reclite.Popularity(), train, test, k=2, exclude=[]),
                                  reclite.evaluate(reclite.Popularity(), train, test, k=2))


def test_evaluate_exclude_equals_brute_force(data):
    train, valid, test = split.train_valid_test(data, 0.15, 0.15, random_state=2)
    model = RandomFactors(random_state=5).fit(train)
    res = reclite.evaluate(model, train, test, k=[3, 5], exclude=valid)
    T = test.matrix()
    users = np.flatnonzero(np.diff(T.indptr))
    top, _ = model.recommend_indices(users, 5, filter_seen=True, exclude=valid.matrix())
    V = valid.matrix()[users]
    assert not any(set(top[r]) & set(V.indices[V.indptr[r]:V.indptr[r + 1]]) for r in range(len(users)))
    for kk in (3, 5):
        want = expected_from_lists(top[:, :kk], T[users], train, kk)
        row = res[res["k"] == kk].iloc[0]
        for name, value in want.items():
            assert row[name] == pytest.approx(value, rel=1e-12), (kk, name)
    # the lists differ from today's rule's (valid items would take slots)
    plain = reclite.evaluate(model, train, test, k=5)
    assert plain["ndcg"].iloc[0] != res["ndcg"].iloc[1]


def test_evaluate_exclude_overlapping_test_warns(three_way):
    _, train, _, test = three_way
    with pytest.warns(reclite.errors.DataWarning, match="exclude holds 1 of test's"):
        res = reclite.evaluate(reclite.Popularity(), train, test, k=3, metrics=["recall"], exclude=test)
    assert res["recall"].tolist() == [0.0]


def test_evaluate_exclude_errors(data, three_way):
    _, train, valid, test = three_way
    model = reclite.Popularity()
    with pytest.raises(ParameterTypeError, match="^exclude must be a reclite Dataset or a list of them, got str$"):
        reclite.evaluate(model, train, test, exclude="valid.csv")
    with pytest.raises(ParameterTypeError, match="got a DataFrame in the list$"):
        reclite.evaluate(model, train, test, exclude=[valid, valid.to_frame()])
    s = split.strong_generalization(data, n_test_users=4, random_state=0)
    with pytest.raises(ParameterError, match="^exclude cannot be combined with fold_in"):
        reclite.evaluate(model, s.train, s.test, fold_in=s.fold_in, exclude=s.fold_in)
    assert not hasattr(model, "seen_")  # checked before fitting anything


# ---------------------------------------------------------------------- evaluate_recommendations
def test_evaluate_recommendations_equals_evaluate_on_the_same_lists(parts):
    train, test = parts
    model = RandomFactors().fit(train)
    users = test.users.to_raw(np.unique(test.user_idx))
    recs = model.recommend(users, k=6)
    a = reclite.evaluate(model, train, test, k=[3, 6])
    b = reclite.evaluate_recommendations(recs.sample(frac=1.0, random_state=0), test, k=[3, 6],
                                         train=train)
    pd.testing.assert_frame_equal(a, b)
    c = reclite.evaluate_recommendations(recs.drop(columns="rank"), test, k=[3, 6], train=train)
    pd.testing.assert_frame_equal(a, c)


def test_evaluate_recommendations_score_ties_smaller_item_first():
    ds = reclite.Dataset.from_frame(pd.DataFrame({"user": ["a", "a"], "item": [1, 2]}))
    test = ds.subset(np.array([False, True]))  # a's test item: 2
    recs = pd.DataFrame({"user": ["a", "a"], "item": [2, 1], "score": [0.5, 0.5]})
    # tie at 0.5: item 1 (smaller index) ranks first, item 2 second -> mrr 1/2
    res = reclite.evaluate_recommendations(recs, test, k=2, metrics=["mrr"])
    assert res["mrr"].iloc[0] == pytest.approx(0.5)


def test_evaluate_recommendations_missing_users_count_as_empty(parts):
    train, test = parts
    users = test.users.to_raw(np.unique(test.user_idx))
    recs = RandomFactors().fit(train).recommend(users[:10], k=5)
    res = reclite.evaluate_recommendations(recs, test, k=5, metrics=["hit_rate"], per_user=True)
    summary, per = res
    assert summary["n_users"].iloc[0] == len(users)
    assert (per.set_index("user").loc[users[10:], "hit_rate@5"] == 0).all()


def test_evaluate_recommendations_unknown_ids(parts):
    train, test = parts
    recs = pd.DataFrame({"user": ["u1", "u1", "ghost"], "item": ["zz", "i3", "i1"], "rank": [1, 2, 1]})
    with pytest.raises(UnknownIdError, match="1 unknown user id"):
        reclite.evaluate_recommendations(recs, test)
    # "miss": the unknown item keeps rank 1 as a miss, i3 stays at rank 2; ghost is dropped
    _, per = reclite.evaluate_recommendations(recs, test, k=2, metrics=["mrr"], on_unknown="miss",
                                              per_user=True)
    t_items = set(test.items.to_raw(test.item_idx[test.users.to_raw(test.user_idx) == "u1"]))
    want = 0.5 if "i3" in t_items else 0.0
    assert per.set_index("user").loc["u1", "mrr@2"] == pytest.approx(want)


def test_evaluate_recommendations_duplicates_count_once():
    ds = reclite.Dataset.from_frame(pd.DataFrame({"user": ["a", "a", "a"], "item": ["x", "y", "z"]}))
    test = ds.subset(np.array([False, True, True]))  # test {y, z}
    recs = pd.DataFrame({"user": ["a"] * 3, "item": ["y", "y", "z"], "rank": [1, 2, 3]})
    res = reclite.evaluate_recommendations(recs, test, k=2, metrics=["recall"])
    # list [y, z] after dropping the repeat -> both found
    assert res["recall"].iloc[0] == 1.0


def test_evaluate_recommendations_errors(parts):
    _, test = parts
    with pytest.raises(DataError, match="missing column rank or score"):
        reclite.evaluate_recommendations(pd.DataFrame({"user": ["u1"], "item": ["i1"]}), test)
    with pytest.raises(RecliteError, match="novelty need the training split"):
        reclite.evaluate_recommendations(pd.DataFrame({"user": ["u1"], "item": ["i1"], "rank": [1]}),
                                         test, metrics=["novelty"])
    with pytest.raises(DataError, match="row 1: column 'rank' is 'first'"):
        reclite.evaluate_recommendations(pd.DataFrame({"user": ["u1"], "item": ["i1"], "rank": ["first"]}),
                                         test)


# ---------------------------------------------------------------------- cut-offs beyond the catalogue
def test_evaluate_cutoffs_beyond_the_catalogue_are_computed_without_wide_arrays(parts):
    """40 items: k = 10**12 lists every recommendable item; missing slots count as empty."""
    train, test = parts
    model = RandomFactors().fit(train)
    huge = 10**12
    res = reclite.evaluate(model, train, test, k=[5, train.n_items, huge]).set_index("k")
    at_n, at_huge = res.loc[train.n_items], res.loc[huge]
    # the list at n_items already holds every unseen item: every test item is found
    assert at_n["recall"] == pytest.approx(1.0) and at_n["hit_rate"] == pytest.approx(1.0)
    for m in ("recall", "calibrated_recall", "ndcg", "map", "mrr", "hit_rate", "coverage", "novelty",
              "popularity"):
        assert at_huge[m] == pytest.approx(at_n[m], rel=1e-12), m
    # precision keeps its definition, hits / k
    assert at_huge["precision"] == pytest.approx(at_n["precision"] * train.n_items / huge, rel=1e-9)
    # brute force at n_items: the lists themselves
    T = test.matrix()
    users = np.flatnonzero(np.diff(T.indptr))
    top, _ = model.recommend_indices(users, huge)
    assert top.shape == (len(users), train.n_items)
    want = expected_from_lists(top, T[users], train, train.n_items)
    for m in M.ACCURACY_METRICS:
        assert at_n[m] == pytest.approx(want[m], rel=1e-9), m


def test_evaluate_fold_in_with_a_huge_cutoff(data):
    train, fold_in, test = split.strong_generalization(data, 10, 0.3, random_state=1)
    model = RandomFactors().fit(train)
    small = reclite.evaluate(model, train, test, k=train.n_items, fold_in=fold_in).iloc[0]
    huge = reclite.evaluate(model, train, test, k=10**11, fold_in=fold_in).iloc[0]
    assert huge["recall"] == pytest.approx(small["recall"]) and huge["ndcg"] == pytest.approx(small["ndcg"])


def test_evaluate_recommendations_huge_cutoff_uses_the_list_width(parts):
    train, test = parts
    model = RandomFactors().fit(train)
    recs = model.recommend(k=7)
    a = reclite.evaluate_recommendations(recs, test, k=[7, 10**12], train=train).set_index("k")
    assert a.loc[10**12, "recall"] == pytest.approx(a.loc[7, "recall"])
    assert a.loc[10**12, "precision"] == pytest.approx(a.loc[7, "precision"] * 7 / 10**12)


# ---------------------------------------------------------------------- parameter errors
@pytest.mark.parametrize("kwargs, error, message", [
    (dict(k=0), ParameterError, "k must be a positive integer, got 0"),
    (dict(k=2.5), ParameterTypeError, "k must be a positive integer, got 2.5 (float)"),
    (dict(k=[10, -1]), ParameterError, "k must be a positive integer or a list of them, got -1 in [10, -1]"),
    (dict(k=[10, 20.0]), ParameterTypeError, "k must be a positive integer or a list of them, got 20.0 (float)"),
    (dict(k=[]), ParameterError, "k must name at least one cut-off"),
    (dict(metrics=["ndgc"]), ParameterError, "unknown metric 'ndgc'"),
    (dict(metrics=[3]), ParameterTypeError, "metrics must be metric names (strings), got 3"),
    (dict(max_memory="lots"), ParameterError, "max_memory must be a size such as '1GB'"),
    (dict(per_user="yes"), ParameterTypeError, "per_user must be True or False, got 'yes' (str)"),
])
def test_evaluate_parameter_errors(parts, kwargs, error, message):
    train, test = parts
    model = reclite.Popularity()
    with pytest.raises(error) as info:
        reclite.evaluate(model, train, test, **kwargs)
    assert type(info.value) is error and str(info.value).startswith(message), str(info.value)
    assert not hasattr(model, "seen_")  # checked before fitting anything


def test_evaluate_argument_type_errors(parts):
    train, test = parts
    with pytest.raises(ParameterTypeError, match="^test must be a reclite Dataset, got csr_matrix$"):
        reclite.evaluate(reclite.Popularity(), train, test.matrix())
    with pytest.raises(ParameterTypeError, match="^test must be a reclite Dataset, got DataFrame$"):
        reclite.evaluate_recommendations(pd.DataFrame(), test.to_frame())
    with pytest.raises(ParameterTypeError, match="^recs must be a pandas DataFrame"):
        reclite.evaluate_recommendations({"user": [1]}, test)
    with pytest.raises(ParameterError, match="^on_unknown must be one of 'raise', 'miss', got 'drop'$"):
        reclite.evaluate_recommendations(pd.DataFrame(), test, on_unknown="drop")
    with pytest.raises(ParameterError, match="not train's 80 x 40"):
        reclite.evaluate(reclite.Popularity().fit(sp.csr_matrix(np.ones((2, 2), dtype=np.float32))), train, test)


# ---------------------------------------------------------------------- ranking blocks and buffers
class BufferedFactors(RandomFactors):
    """RandomFactors that score into the ranking's reused buffer, from several threads at once.

    Every call's buffer address (``out``'s first byte) and batch size go to ``CALLS``."""

    _score_into = True
    _score_threadsafe = True
    CALLS: list = []
    FAIL_ON_USER: int | None = None

    def _score(self, user_idx, rows, out=None):
        assert out is not None and out.dtype == np.float32 and out.flags.c_contiguous
        if self.FAIL_ON_USER is not None and self.FAIL_ON_USER in user_idx:
            raise RecliteError(f"scoring failed for user {self.FAIL_ON_USER}")
        out[:] = np.nan  # whatever the buffer held before must not leak into the scores
        BufferedFactors.CALLS.append((out.__array_interface__["data"][0], len(user_idx)))
        return np.matmul(self.user_factors_[user_idx], self.item_factors_.T, out=out)


@pytest.fixture
def three_threads(monkeypatch):
    """Rank with three threads whatever the machine has (the threaded path is exercised on one core too)."""
    import numba

    monkeypatch.setattr(numba, "get_num_threads", lambda: 3)
    BufferedFactors.CALLS = []
    yield 3
    BufferedFactors.CALLS = []


@pytest.mark.parametrize("max_memory", [1, 2_000, "1GB"])  # 1 user, 2 users per thread, one block
def test_buffered_threaded_ranking_equals_brute_force_for_any_block_size(parts, three_threads, max_memory):
    from ._reference import topk_reference

    train, test = parts
    plain = RandomFactors(factors=3, random_state=4).fit(train)
    model = BufferedFactors(factors=3, random_state=4).fit(train)
    users = np.flatnonzero(np.diff(test.matrix().indptr))
    scores = plain.user_factors_[users] @ plain.item_factors_.T
    want_idx, want_score = topk_reference(scores, 7, exclude=train.matrix()[users])
    idx, score = model.recommend_indices(users, 7, max_memory=max_memory)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_allclose(score, want_score, rtol=1e-6)
    # evaluate takes the same path and gives the plain model's table exactly
    pd.testing.assert_frame_equal(reclite.evaluate(model, train, test, k=[3, 7], max_memory=max_memory),
                                  reclite.evaluate(plain, train, test, k=[3, 7], max_memory=max_memory))
    # and all users in order (rows taken as slices) with an exclusion matrix on top
    extra = test.matrix()
    a = model.recommend_indices(None, 5, exclude=extra, max_memory=max_memory)
    b = plain.recommend_indices(None, 5, exclude=extra, max_memory="4GB")
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_buffered_ranking_reuses_one_buffer_per_thread(parts, three_threads):
    train, _ = parts
    model = BufferedFactors(factors=3, random_state=4).fit(train)
    model.recommend_indices(None, 5, max_memory=1)  # one user per block: 80 blocks
    sizes = [n for _, n in BufferedFactors.CALLS]
    assert len(sizes) == train.n_users and set(sizes) == {1}
    assert len({addr for addr, _ in BufferedFactors.CALLS}) <= three_threads
    # blocks of 2 users per thread under a 2,000-byte budget (2,000 // (40 items * 8) // 3 threads)
    BufferedFactors.CALLS = []
    model.recommend_indices(None, 5, max_memory=2_000)
    assert max(n for _, n in BufferedFactors.CALLS) == 2
    assert sum(n for _, n in BufferedFactors.CALLS) == train.n_users
    assert len({addr for addr, _ in BufferedFactors.CALLS}) <= three_threads


def test_block_size_is_cache_sized_within_the_budget():
    from reclite.models._ranking import BLOCK_BYTES, batch_size, block_size

    assert block_size(6_807) == BLOCK_BYTES // (6_807 * 4) == 616  # 16 MB of float32 scores
    assert batch_size(6_807, "1GB") == 2**30 // (6_807 * 8) == 19_717  # the budget stays the upper bound
    assert block_size(1_000, 80_000, workers=2) == 5  # the budget's 10 users shared by 2 threads
    assert block_size(10**6, 1, workers=4) == 1  # never zero


def test_an_error_in_a_ranking_thread_is_raised(parts, three_threads):
    train, _ = parts
    model = BufferedFactors(factors=3, random_state=4).fit(train)
    BufferedFactors.FAIL_ON_USER = 5
    try:
        with pytest.raises(RecliteError, match="^scoring failed for user 5$"):
            model.recommend_indices(None, 5, max_memory=1)
    finally:
        BufferedFactors.FAIL_ON_USER = None


def test_concurrent_rankings_give_the_same_lists_and_restore_blas_threads(parts, three_threads):
    # each ranking holds BLAS to one thread while it runs; overlapping rankings from the
    # caller's own threads must neither disturb each other nor leave BLAS at one thread
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import ThreadpoolController

    def blas_threads() -> list:
        return [i["num_threads"] for i in ThreadpoolController().select(user_api="blas").info()]

    train, _ = parts
    model = BufferedFactors(factors=3, random_state=4).fit(train)
    with ThreadpoolController().limit(limits=2, user_api="blas"):
        want = model.recommend_indices(None, 5, max_memory=1)[0]
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(lambda _: model.recommend_indices(None, 5, max_memory=1)[0], range(8)))
        assert set(blas_threads()) == {2}
    for idx in got:
        np.testing.assert_array_equal(idx, want)
