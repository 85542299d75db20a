"""Popularity against pandas ``value_counts``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import reclite
from reclite.models.popularity import Popularity


@pytest.fixture
def frame(rng) -> pd.DataFrame:
    n = 400
    df = pd.DataFrame({"user": [f"u{u}" for u in rng.integers(0, 60, n)],
                       "item": [f"i{i}" for i in (rng.zipf(1.6, n) % 40)],
                       "value": rng.integers(1, 6, n).astype(float)})
    return df.drop_duplicates(["user", "item"], keep="last")


def test_popularity_equals_pandas_value_counts(frame):
    ds = reclite.Dataset.from_frame(frame, value="value")
    with pytest.warns(reclite.DataWarning):
        recs = Popularity().fit(ds).recommend(users=["u_new"], k=10, on_unknown="popular")
    counts = frame["item"].value_counts()
    # ties: the smaller item index (items are indexed in sorted raw-id order)
    expect = counts.reset_index().sort_values(["count", "item"], ascending=[False, True])["item"][:10]
    assert recs["item"].tolist() == expect.tolist()


def test_popularity_scores_are_distinct_user_counts(frame):
    ds = reclite.Dataset.from_frame(frame, value="value")
    model = Popularity().fit(ds)
    counts = frame["item"].value_counts()
    np.testing.assert_array_equal(model.scores_, counts.reindex(ds.items.ids).fillna(0).to_numpy())


def test_popularity_by_confidence_sums_the_weights(frame):
    ds = reclite.Dataset.from_frame(frame, value="value")
    model = Popularity(by="confidence", confidence="value", alpha=2.0).fit(ds)
    weights = 1.0 + 2.0 * frame["value"] / frame["value"].max()
    expect = weights.groupby(frame["item"]).sum().reindex(ds.items.ids).fillna(0)
    np.testing.assert_allclose(model.scores_, expect.to_numpy(), rtol=1e-5)


def test_popularity_same_list_for_everyone_minus_seen(frame):
    ds = reclite.Dataset.from_frame(frame, value="value")
    model = Popularity().fit(ds)
    order = model.items_.to_raw(np.argsort(-model.scores_, kind="stable"))
    recs = model.recommend(users=["u3"], k=5)
    seen = set(frame.loc[frame["user"] == "u3", "item"])
    assert recs["item"].tolist() == [i for i in order if i not in seen][:5]


def test_popularity_invalid_by_refused_in_fit(frame):
    with pytest.raises(ValueError, match="by must be"):
        Popularity(by="ratings").fit(reclite.Dataset.from_frame(frame))
