"""GenreTopN on a hand-worked catalogue: genre shares, the proportional quota, the fallback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import reclite
from reclite.models.rules import GenreTopN

# item -> (genre, popularity among the filler users)
CATALOGUE = {
    "a1": ("A", 9), "b1": ("B", 8), "a2": ("A", 7), "a3": ("A", 6),
    "b2": ("B", 5), "a4": ("A", 4), "c1": ("C", 3),
    "ah1": ("A", 0), "ah2": ("A", 0), "bh1": ("B", 0),
}


def catalogue(h_values=(5.0, 5.0, 5.0)) -> reclite.Dataset:
    """Fillers f0..f8 give each item its popularity; user h has ah1, ah2 (genre A) and bh1 (B)."""
    rows = [(f"f{u}", item, 5.0) for item, (_, pop) in CATALOGUE.items() for u in range(pop)]
    rows += [("h", "ah1", h_values[0]), ("h", "ah2", h_values[1]), ("h", "bh1", h_values[2])]
    df = pd.DataFrame(rows, columns=["user", "item", "value"])
    ds0 = reclite.Dataset.from_frame(df, value="value", source="catalogue")
    items = ds0.items
    raw = items.ids.astype(str)
    genres = reclite.MultiHot.from_pairs(np.arange(len(raw)), np.array([CATALOGUE[i][0] for i in raw]), len(raw))
    return reclite.Dataset(ds0.user_idx, ds0.item_idx, ds0.values, users=ds0.users, items=items,
                           genres=genres, name="catalogue")


def test_two_genres_interleave_in_proportion_to_their_share():
    # h's shares: A 2/3, B 1/3. Unseen A items by popularity a1 a2 a3 a4 arrive at times
    # r / (2/3) = 1.5, 3, 4.5, 6; unseen B items b1 b2 at r / (1/3) = 3, 6.
    # Ties at 3 (a2, b1) and 6 (a4, b2) go to the more popular: b1 (8) before a2 (7),
    # b2 (5) before a4 (4). Then the fallback by popularity: c1.
    recs = GenreTopN(n_genres=2).fit(catalogue()).recommend(users=["h"], k=10)
    assert recs["item"].tolist() == ["a1", "b1", "a2", "a3", "b2", "a4", "c1"]
    assert recs["score"].tolist() == [10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 4.0]  # n_items - position


def test_one_genre_then_popularity_fallback():
    recs = GenreTopN(n_genres=1).fit(catalogue()).recommend(users=["h"], k=10)
    assert recs["item"].tolist() == ["a1", "a2", "a3", "a4", "b1", "b2", "c1"]


def test_confidence_weights_decide_the_shares():
    # value confidence with alpha 10: weights 1 + 10 v / 5 -> ah1, ah2: 3 each, bh1: 11;
    # B's share (11/17) beats A's (6/17)
    ds = catalogue(h_values=(1.0, 1.0, 5.0))
    recs = GenreTopN(n_genres=1, confidence="value", alpha=10.0).fit(ds).recommend(users=["h"], k=3)
    assert recs["item"].tolist() == ["b1", "b2", "a1"]
    recs = GenreTopN(n_genres=1).fit(ds).recommend(users=["h"], k=3)  # binary: A wins 2 to 1
    assert recs["item"].tolist() == ["a1", "a2", "a3"]


def test_from_history_uses_the_history_genres():
    model = GenreTopN(n_genres=1).fit(catalogue())
    recs = model.recommend_from_history(["b1", "bh1", "a4"], k=4)
    assert recs["item"].tolist() == ["b2", "a1", "a2", "a3"]


def test_user_without_genre_gets_popularity():
    ds = catalogue()
    # an item without genres, used only by user "z"
    df = pd.concat([ds.to_frame(), pd.DataFrame({"user": ["z"], "item": ["plain"], "value": [5.0]})])
    ds0 = reclite.Dataset.from_frame(df, value="value")
    raw = ds0.items.ids.astype(str)
    known = np.array([i in CATALOGUE for i in raw])
    genres = reclite.MultiHot.from_pairs(np.flatnonzero(known), np.array([CATALOGUE[i][0] for i in raw[known]]),
                                         len(raw))
    ds2 = reclite.Dataset(ds0.user_idx, ds0.item_idx, ds0.values, users=ds0.users, items=ds0.items,
                          genres=genres)
    recs = GenreTopN().fit(ds2).recommend(users=["z"], k=3)
    assert recs["item"].tolist() == ["a1", "b1", "a2"]


def test_filter_seen_false_puts_seen_items_last():
    recs = GenreTopN(n_genres=2).fit(catalogue()).recommend(users=["h"], k=10, filter_seen=False)
    assert recs["item"].tolist()[:7] == ["a1", "b1", "a2", "a3", "b2", "a4", "c1"]
    assert set(recs["item"].tolist()[7:]) == {"ah1", "ah2", "bh1"}


def test_without_genres_is_a_clear_error():
    ds = catalogue()
    plain = reclite.Dataset(ds.user_idx, ds.item_idx, users=ds.users, items=ds.items, name="plain")
    with pytest.raises(reclite.DataError, match="GenreTopN needs item genres, and plain has none"):
        GenreTopN().fit(plain)


def test_invalid_n_genres_refused_in_fit():
    with pytest.raises(ValueError, match="n_genres"):
        GenreTopN(n_genres=0).fit(catalogue())
