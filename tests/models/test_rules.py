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


def reference_order_scores(rows, item_genres, pop_order, n_genres):
    """The rule in exact arithmetic: times r * total / mass per kept genre as Fractions, one sort.

    ``rows`` must hold integer confidences (shares are then exact rationals).
    """
    from fractions import Fraction

    C = rows.toarray().astype(np.int64)
    G = item_genres.toarray() > 0
    n_users, n_items = C.shape
    pos = np.empty(n_items, dtype=np.int64)
    pos[pop_order] = np.arange(n_items)
    out = np.empty((n_users, n_items))
    for u in range(n_users):
        mass = C[u] @ G
        total = int(C[u].sum())
        kept = [g for g in sorted(range(G.shape[1]), key=lambda g: (-mass[g], g))[:n_genres] if mass[g] > 0]
        seen = C[u] > 0
        time = {}
        for g in kept:
            rank = 0
            for i in pop_order:
                if G[i, g] and not seen[i]:
                    rank += 1
                    t = Fraction(rank * total, int(mass[g]))
                    time[i] = min(time.get(i, t), t)
        key = [(0, time[i], pos[i]) if i in time else (1, 0, pos[i]) if not seen[i] else (2, 0, pos[i])
               for i in range(n_items)]
        order = sorted(range(n_items), key=lambda i: key[i])
        out[u, order] = np.arange(n_items, 0, -1)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_order_equals_exact_reference_on_random_data(seed):
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    n_users, n_items, n_labels = 25, 40, 6
    rows = sp.random(n_users, n_items, density=0.15, random_state=np.random.RandomState(seed), format="csr")
    rows.data = rng.integers(1, 4, rows.nnz).astype(float)  # 1..3: weights 1 + 2 v / 3 are not integers
    genres = sp.csr_matrix((rng.random((n_items, n_labels)) < 0.3).astype(np.float32))  # 0..several genres
    pop = np.bincount(rng.integers(0, n_items, 300), minlength=n_items)
    ds = reclite.Dataset(*rows.nonzero(), rows.data, users=reclite.IdMap(np.arange(n_users), "user"),
                         items=reclite.IdMap(np.arange(n_items)),
                         genres=reclite.MultiHot(genres, np.array([f"g{i}" for i in range(n_labels)])))
    for n_genres in (1, 3, 10):
        # value confidence with alpha = 3, divided by 1 + alpha (a matrix model's unit scaling):
        # weights (1 + 3 v / 3) / 4 = (1 + v) / 4, exact quarters in float32; times 4 they are
        # the integers 2..4, and shares do not change under scaling
        model = GenreTopN(n_genres=n_genres, confidence="value", alpha=3.0).fit(ds)
        model.pop_order_ = np.argsort(-pop, kind="stable").astype(np.int32)  # any popularity order
        got = model.score_indices(np.arange(n_users))
        doubled = model.seen_.copy()
        doubled.data = np.round(doubled.data * 4)
        np.testing.assert_array_equal(doubled.data, model.seen_.data * 4)  # the quarters were exact
        expect = reference_order_scores(doubled, model.item_genres_, model.pop_order_, n_genres)
        np.testing.assert_array_equal(got, expect)
