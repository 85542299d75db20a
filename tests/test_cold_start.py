"""split.cold_items and the evaluation of held-out items and of user groups by history length."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import reclite
from reclite import split
from reclite.errors import DataError, ParameterError, ParameterTypeError


@pytest.fixture(scope="module")
def demo():
    return reclite.demo_dataset()


def test_cold_items_holds_out_whole_items(demo):
    train, test = split.cold_items(demo, 0.1, random_state=0)
    active = np.flatnonzero(np.bincount(demo.item_idx, minlength=demo.n_items))
    held = np.unique(test.item_idx)
    assert len(held) == round(0.1 * len(active))
    assert not set(held) & set(np.unique(train.item_idx))
    assert len(train) + len(test) == len(demo)
    # every interaction of a held-out item is in test
    assert len(test) == int(np.isin(demo.item_idx, held).sum())
    assert train.items is demo.items and test.users is demo.users
    again = split.cold_items(demo, 0.1, random_state=0)
    np.testing.assert_array_equal(again.test.item_idx, test.item_idx)
    other = split.cold_items(demo, 0.1, random_state=1)
    assert set(np.unique(other.test.item_idx)) != set(held)


def test_cold_items_bad_input(demo):
    with pytest.raises(ParameterError, match="test_size must be a fraction strictly between 0 and 1, got 1.5"):
        split.cold_items(demo, 1.5)
    one = reclite.Dataset([0, 1], [0, 0], users=reclite.IdMap([1, 2]), items=reclite.IdMap([5, 6]), name="one")
    with pytest.raises(DataError, match="one: cold_items needs at least 2 items with interactions, found 1"):
        split.cold_items(one)


def test_evaluate_items_test_ranks_only_the_held_out_items(demo):
    train, test = split.cold_items(demo, 0.1, random_state=0)
    model = reclite.ContentEmbedding(blocks=["genres", "directors"]).fit(train)
    summary, per_user = reclite.evaluate(model, train, test, k=[5, 20], metrics=["ndcg", "recall"], per_user=True,
                                         items="test")
    # the same lists made by hand: recommend among the held-out items, scored as a table
    held = test.items.to_raw(np.unique(test.item_idx))
    users = test.users.to_raw(np.unique(test.user_idx))
    recs = model.recommend(users=users, k=20, items=held)
    assert set(recs["item"]) <= set(held)
    expected = reclite.evaluate_recommendations(recs, test, k=[5, 20], metrics=["ndcg", "recall"])
    pd.testing.assert_frame_equal(summary, expected, rtol=1e-6)
    # content ranks cold items better than chance: random lists of the held-out items, scored alike
    rng = np.random.default_rng(0)
    rand = pd.DataFrame({"user": np.repeat(users, 20),
                         "item": np.concatenate([rng.choice(held, 20, replace=False) for _ in users]),
                         "rank": np.tile(np.arange(1, 21), len(users))})
    chance = reclite.evaluate_recommendations(rand, test, k=20, metrics=["recall"])["recall"].iloc[0]
    assert summary.loc[summary["k"] == 20, "recall"].iloc[0] > 1.5 * chance  # measured: 0.270 vs 0.136
    # a list of raw ids does the same as "test"
    same = reclite.evaluate(model, train, test, k=[5, 20], metrics=["ndcg", "recall"], items=held)
    pd.testing.assert_frame_equal(same, summary)


def test_evaluate_user_groups_equal_evaluating_each_group_alone(demo):
    train, test = split.random_holdout(demo, 0.2, random_state=0)
    model = reclite.Popularity().fit(train)
    groups = {"<=40": (0, 40), ">40": (41, None), "none": (10_000, None)}
    got = reclite.evaluate(model, train, test, k=[5, 10], metrics=["ndcg", "coverage"], user_groups=groups)
    assert got.columns.tolist() == ["group", "k", "n_users", "ndcg", "coverage"]
    assert got["group"].tolist() == ["<=40", "<=40", ">40", ">40", "none", "none"]
    n_train = np.bincount(train.user_idx, minlength=train.n_users)
    for label, (lo, hi) in groups.items():
        members = (n_train >= lo) & (n_train <= (hi if hi is not None else np.inf))
        rows = got[got["group"] == label].drop(columns="group").reset_index(drop=True)
        if not members[test.user_idx].any():
            assert (rows["n_users"] == 0).all() and rows["ndcg"].isna().all()
            continue
        alone = reclite.evaluate(model, train, test.subset(members[test.user_idx]), k=[5, 10],
                                 metrics=["ndcg", "coverage"])
        pd.testing.assert_frame_equal(rows, alone)
    total = got[got["k"] == 5]["n_users"].sum()
    assert total == len(np.unique(test.user_idx))


def test_evaluate_bad_options(demo):
    train, test = split.random_holdout(demo, 0.2, random_state=0)
    with pytest.raises(ParameterError, match="items must be 'all', 'test' or a list of item ids, got 'cold'"):
        reclite.evaluate(reclite.Popularity(), train, test, items="cold")
    with pytest.raises(ParameterTypeError, match="user_groups must be a non-empty dict"):
        reclite.evaluate(reclite.Popularity(), train, test, user_groups=[(0, 5)])
    with pytest.raises(ParameterError, match=r"user_groups\['a'\] must be \(min, max\) training interactions "
                                             r"with 0 <= min <= max \(max None: no bound\), got \(5, 1\)"):
        reclite.evaluate(reclite.Popularity(), train, test, user_groups={"a": (5, 1)})


def test_readme_content_example_runs_as_written(tmp_path, monkeypatch):
    """The README's "Content and cold start" block, run as written on the demo data."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Content and cold start", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    (tmp_path / "item_tags.csv").write_text("item,tags\n1,space|robots\n2,robots\n9999,space\n")
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(block, "README.md", "exec"), scope)  # noqa: S102 - the project's own README
    ds, content = scope["ds"], scope["content"]
    assert ds.n_items == 1501 and ds.attributes["tags"].labels_of(ds.items.to_index([9999])[0]) == ["space"]
    assert content.similar_items([9999], k=1)["similar"].tolist() == [1]  # the one other "space" item
