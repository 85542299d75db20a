"""Ensembles: fuse on hand-worked lists, RankVote against fuse, ScoreBlend against a brute-force blend."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import reclite
from reclite.ensemble import RankVote, ScoreBlend, fuse, fuse_indices
from reclite.errors import DataError, ModelFileError, ParameterError

from ._contract import planted_dataset


def _table(user_items: dict) -> pd.DataFrame:
    """{user: [item at rank 1, item at rank 2, ...]} as a recommendation table."""
    rows = [(u, i, r + 1) for u, items in user_items.items() for r, i in enumerate(items)]
    return pd.DataFrame(rows, columns=["user", "item", "rank"])


A = _table({1: ["a", "b", "c"]})
B = _table({1: ["c", "d", "a"]})


def _lists(df: pd.DataFrame) -> dict:
    return {u: g.sort_values("rank")["item"].tolist() for u, g in df.groupby("user")}


# ---------------------------------------------------------------------- fuse, by hand
def test_rank_sum_by_hand_missing_counts_top_n_plus_one():
    # top_n=3, a missing item is rank 4: a 1+3=4, c 3+1=4, b 2+4=6, d 4+2=6
    # ties: a and c both have best rank 1 -> item order a, c; b and d best rank 2 -> b, d
    out = fuse([A, B], method="rank_sum", top_n=3, k=4)
    assert out["item"].tolist() == ["a", "c", "b", "d"]
    assert out["score"].tolist() == [-4, -4, -6, -6]
    assert out["rank"].tolist() == [1, 2, 3, 4]
    assert list(out.columns) == ["user", "item", "score", "rank"]


def test_rank_sum_weighted_by_hand():
    # weights 2, 1: a 2+3=5, b 4+4=8, c 6+1=7, d 8+2=10
    out = fuse([A, B], method="rank_sum", top_n=3, k=4, weights=[2, 1])
    assert out["item"].tolist() == ["a", "c", "b", "d"]
    assert out["score"].tolist() == [-5, -7, -8, -10]
    # weights 1, 3: a 1+9=10, b 2+12=14, c 3+3=6, d 4+6=10 (a, d tie at 10: best rank a=1, d=2)
    out = fuse([A, B], method="rank_sum", top_n=3, k=4, weights=[1, 3])
    assert out["item"].tolist() == ["c", "a", "d", "b"]
    assert out["score"].tolist() == [-6, -10, -10, -14]


def test_borda_by_hand():
    # (top_n + 1 - rank) = 3, 2, 1; missing adds 0: a 3+1=4, b 2, c 1+3=4, d 2
    out = fuse([A, B], method="borda", top_n=3, k=4)
    assert out["item"].tolist() == ["a", "c", "b", "d"]
    assert out["score"].tolist() == [4, 4, 2, 2]
    # weights 2, 1: a 6+1=7, b 4, c 2+3=5, d 2
    out = fuse([A, B], method="borda", top_n=3, k=3, weights=[2, 1])
    assert out["item"].tolist() == ["a", "c", "b"]
    assert out["score"].tolist() == [7, 5, 4]


def test_rrf_by_hand():
    # c=0: a 1/1+1/3, b 1/2, c 1/3+1/1, d 1/2; weights 1, 3: a 2, b 1/2, c 10/3, d 3/2
    out = fuse([A, B], method="rrf", top_n=3, k=4, weights=[1, 3], c=0)
    assert out["item"].tolist() == ["c", "a", "d", "b"]
    np.testing.assert_allclose(out["score"], [10 / 3, 2, 3 / 2, 1 / 2], rtol=1e-6)
    # c=60 (the default): a 1/61+1/63 = c's, b 1/62 = d's
    out = fuse([A, B], method="rrf", top_n=3, k=4)
    assert out["item"].tolist() == ["a", "c", "b", "d"]
    np.testing.assert_allclose(out["score"], [1 / 61 + 1 / 63] * 2 + [1 / 62] * 2, rtol=1e-6)


def test_ties_break_on_best_single_rank_before_the_item():
    # p: rank 1 in the first list, missing in the second (top_n=3 -> 4): 5
    # m: rank 2 and rank 3: 5. Tied; p's best rank 1 beats m's 2 although "m" < "p"
    t1 = _table({"u": ["p", "m"]})
    t2 = _table({"u": ["z", "y", "m"]})
    out = fuse([t1, t2], top_n=3, k=5)
    # z: 4+1=5 with best rank 1: ties p (item order: p < z); y: 4+2=6
    assert out["item"].tolist() == ["p", "z", "m", "y"]
    assert out["score"].tolist() == [-5, -5, -5, -6]


def test_only_top_n_of_each_table_counts_and_users_are_independent():
    t1 = _table({1: ["a", "b", "c", "x"], 2: ["q"]})
    t2 = _table({1: ["b", "a", "y"], 2: ["r", "q"]})
    out = fuse([t1, t2], top_n=2, k=10)
    # user 1, top 2 each: a 1+2=3, b 2+1=3 (tie, best rank 1 both -> a, b); c, x, y cut off
    assert _lists(out) == {1: ["a", "b"], 2: ["q", "r"]}  # user 2: q 1+2=3, r 3+1=4
    assert out.loc[out["user"] == 2, "score"].tolist() == [-3, -4]


def test_rank_derived_from_score_when_absent():
    ranked = _table({1: ["a", "b", "c"]})
    scored = pd.DataFrame({"user": [1, 1, 1], "item": ["c", "a", "b"], "score": [0.1, 0.9, 0.5]})
    other = _table({1: ["c", "d", "a"]})
    pd.testing.assert_frame_equal(fuse([scored, other], top_n=3, k=4), fuse([ranked, other], top_n=3, k=4))


def test_integer_ids_come_back_as_integers_in_id_order():
    t1 = pd.DataFrame({"user": [20, 20, 3], "item": [7, 5, 5], "rank": [1, 2, 1]})
    out = fuse([t1, t1], top_n=5, k=2)
    assert out["user"].tolist() == [3, 20, 20]
    assert out["item"].tolist() == [5, 7, 5]
    assert out["user"].dtype.kind == "i" and out["item"].dtype.kind == "i"


@pytest.mark.parametrize("bad, match", [
    (pd.DataFrame({"user": [1], "item": ["a"]}), "b.csv: neither a 'rank' nor a 'score'"),
    (pd.DataFrame({"user": [1, 1], "item": ["a", "a"], "rank": [1, 2]}), "b.csv: user 1 lists item 'a' more"),
    (pd.DataFrame({"user": ["1"], "item": ["a"], "rank": [1]}), "b.csv: user ids are text but a.csv has integer"),
    (pd.DataFrame({"user": [1], "item": [5], "rank": [1]}), "b.csv: item ids are integer but a.csv has text"),
    (pd.DataFrame({"user": [1], "item": ["a"], "rank": [0]}), "b.csv: column 'rank' must hold whole numbers"),
    (pd.DataFrame({"user": [1], "rank": [1]}), "b.csv: no column 'item'"),
])
def test_bad_tables_name_the_file(bad, match):
    with pytest.raises(DataError, match=match):
        fuse([A, bad], names=["a.csv", "b.csv"])


def test_bad_tables_default_to_their_position():
    with pytest.raises(DataError, match="table 2: neither"):
        fuse([A, pd.DataFrame({"user": [1], "item": ["a"]})])


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "vote"}, "method"), ({"top_n": 0}, "top_n"), ({"k": 0}, "k"),
    ({"weights": [1]}, "weights: 1 given for 2"), ({"weights": [1, -1]}, "non-negative"), ({"c": -1}, "c"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        fuse([A, B], **kwargs)


def test_fuse_indices_pads_short_lists():
    lists = [np.array([[3, 1, -1], [0, -1, -1]]), np.array([[1, -1, -1], [-1, -1, -1]])]
    idx, score = fuse_indices(lists, n_items=4, k=3, top_n=3)
    # row 0: 1: 2+1=3, 3: 1+4=5; row 1: 0: 1+4=5
    np.testing.assert_array_equal(idx, [[1, 3, -1], [0, -1, -1]])
    np.testing.assert_array_equal(score, [[-3, -5, -np.inf], [-5, -np.inf, -np.inf]])


# ---------------------------------------------------------------------- RankVote
@pytest.fixture(scope="module")
def planted():
    return planted_dataset()


@pytest.fixture(scope="module")
def members(planted):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [("ease", reclite.EASE(l2=5.0).fit(planted)),
                ("knn", reclite.ItemKNN(k_neighbors=5).fit(planted)),
                ("pop", reclite.Popularity().fit(planted))]


@pytest.mark.parametrize("method", ["rank_sum", "borda", "rrf"])
def test_rankvote_equals_fuse_of_its_members_tables(planted, members, method):
    assert (np.sort(planted.items.ids) == planted.items.ids).all()  # item order = raw-id order: same ties
    weights = [1.0, 2.0, 0.5]
    vote = RankVote(members, top_n=6, method=method, weights=weights, prefit=True).fit(planted)
    tables = [m.recommend(k=6) for _, m in members]
    expected = fuse(tables, method=method, top_n=6, k=4, weights=weights)
    got = vote.recommend(k=4)
    assert got["user"].tolist() == expected["user"].tolist()
    assert got["item"].tolist() == expected["item"].tolist()
    np.testing.assert_allclose(got["score"], expected["score"], rtol=1e-6)


def test_rankvote_is_batch_size_invariant(planted, members):
    vote = RankVote(members, top_n=5, prefit=True).fit(planted)
    small = vote.recommend_indices(k=4, max_memory=1)  # one user per batch
    big = vote.recommend_indices(k=4, max_memory="1GB")
    np.testing.assert_array_equal(small[0], big[0])
    np.testing.assert_array_equal(small[1], big[1])


def test_rankvote_fit_clones_members_and_equals_prefit(planted, members):
    unfitted = [(label, clone(m)) for label, m in members]
    vote = RankVote(unfitted, top_n=5).fit(planted)
    assert all(not hasattr(m, "seen_") for _, m in unfitted)  # the given members stay unfitted
    prefit = RankVote(members, top_n=5, prefit=True).fit(planted)
    np.testing.assert_array_equal(vote.recommend_indices(k=3)[0], prefit.recommend_indices(k=3)[0])


def test_rankvote_prefit_checks_members(planted, members):
    with pytest.raises(ParameterError, match="member 'e' is not fitted"):
        RankVote([("e", reclite.EASE())], prefit=True).fit(planted)
    with pytest.raises(ParameterError, match="member 'ease' was fitted on other users"):
        RankVote(members, prefit=True).fit(reclite.demo_dataset())


def test_rankvote_history_fuses_members_histories(planted, members):
    vote = RankVote(members, top_n=6, prefit=True).fit(planted)
    history = ["ia00", "ia01", "ia02"]
    tables = [m.recommend_from_history(history, k=6).assign(user=0) for _, m in members]
    expected = fuse(tables, top_n=6, k=4)
    got = vote.recommend_from_history(history, k=4)
    assert got["item"].tolist() == expected["item"].tolist()
    # a training user's history gives their own list (every member here scores from the row alone)
    user = "ua03"
    items = planted.to_frame().query("user == @user")["item"].tolist()
    assert (vote.recommend_from_history(items, k=4)["item"].tolist()
            == vote.recommend(users=[user], k=4)["item"].tolist())
    idx, _ = vote.recommend_indices_from_history(planted.matrix()[[3]], k=4)
    np.testing.assert_array_equal(idx, vote.recommend_indices([3], k=4)[0])


def test_rankvote_parameter_errors(planted):
    with pytest.raises(ParameterError, match="estimators is empty"):
        RankVote([]).fit(planted)
    with pytest.raises(ParameterError, match="'x' used twice"):
        RankVote([("x", reclite.EASE()), ("x", reclite.ItemKNN())]).fit(planted)
    with pytest.raises(ParameterError, match="weights: 1 given for 2"):
        RankVote(["ease", "itemknn"], weights=[1]).fit(planted)
    with pytest.raises(ParameterError, match="unknown model 'nope'"):
        RankVote(["ease", "nope"]).fit(planted)
    with pytest.raises(ParameterError, match="estimators\\[1\\]: model 'ease' has no parameter 'l3'"):
        RankVote(["itemknn", ["e", "ease", {"l3": 1}]]).fit(planted)


def test_saved_members_are_sub_folders_and_load_back(planted, members, tmp_path):
    vote = RankVote(members, top_n=5, method="borda", prefit=True).fit(planted)
    vote.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m" / "members").iterdir()) == ["0", "1", "2"]
    assert reclite.load_model(tmp_path / "m" / "members" / "1").get_params() == members[1][1].get_params()
    loaded = reclite.load_model(tmp_path / "m")
    # the members are kept as (label, registry name, parameters): the same models, refit alike
    assert [e[:2] for e in loaded.estimators] == [["ease", "ease"], ["knn", "itemknn"], ["pop", "pop"]]
    pd.testing.assert_frame_equal(loaded.recommend(k=4), vote.recommend(k=4))
    shutil.rmtree(tmp_path / "m" / "members" / "1")
    with pytest.raises(ModelFileError, match="members/1: missing: the folder of member 1 \\('knn'\\)"):
        reclite.load_model(tmp_path / "m")


def test_a_member_of_another_class_is_refused_on_load(planted, members, tmp_path):
    RankVote(members, top_n=5, prefit=True).fit(planted).save(tmp_path / "m")
    shutil.rmtree(tmp_path / "m" / "members" / "2")
    shutil.copytree(tmp_path / "m" / "members" / "0", tmp_path / "m" / "members" / "2")
    with pytest.raises(ModelFileError, match="members/2: holds a EASE, but member 'pop'"):
        reclite.load_model(tmp_path / "m")


# ---------------------------------------------------------------------- ScoreBlend
def _minmax(s):
    lo, hi = s.min(axis=1, keepdims=True), s.max(axis=1, keepdims=True)
    return (s - lo) / (hi - lo)


@pytest.mark.parametrize("normalize", ["minmax", "zscore", "rank"])
def test_scoreblend_equals_brute_force_blend(planted, members, normalize):
    from scipy.stats import rankdata

    two = members[:2]
    blend = ScoreBlend(two, weights=[2.0, 1.0], normalize=normalize, prefit=True).fit(planted)
    total = 0
    for w, (_, m) in zip([2.0, 1.0], two):
        s = m.score_indices(np.arange(planted.n_users)).astype(np.float64)
        if normalize == "minmax":
            s = _minmax(s)
        elif normalize == "zscore":
            s = (s - s.mean(axis=1, keepdims=True)) / s.std(axis=1, keepdims=True)
        else:
            s = (rankdata(s, axis=1) - 1) / (planted.n_items - 1)
        total = total + w * s
    np.testing.assert_allclose(blend.score_indices(np.arange(planted.n_users)), total, rtol=1e-5, atol=1e-5)
    total[planted.matrix().toarray() > 0] = -np.inf  # seen items filtered
    idx, _ = blend.recommend_indices(k=5)
    expected = np.argsort(-total, axis=1, kind="stable")[:, :5]
    np.testing.assert_allclose(np.take_along_axis(total, idx, 1), np.take_along_axis(total, expected, 1),
                               rtol=1e-5)


def test_scoreblend_history_equals_own_list(planted, members):
    blend = ScoreBlend(members[:2], prefit=True).fit(planted)
    items = planted.to_frame().query("user == 'ub07'")["item"].tolist()
    assert (blend.recommend_from_history(items, k=4)["item"].tolist()
            == blend.recommend(users=["ub07"], k=4)["item"].tolist())


def test_scoreblend_bad_normalize(planted):
    with pytest.raises(ParameterError, match="normalize"):
        ScoreBlend(["ease"], normalize="max").fit(planted)
