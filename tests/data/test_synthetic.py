"""The synthetic generator and the embedded demo data: shape, determinism, and planted structure.

The quality tests check that the structure the generator plants is there, measured the
way a user would: a long tail of popularity, genre taste that predicts the last item,
and a personalised model (item-item cosine kNN) well ahead of popularity.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import reclite
from reclite.data.demo import DEMO_SHAPE
from reclite.data.synthetic import GENRES, synthetic_dataset
from reclite.errors import DataWarning, ParameterError, ParameterTypeError
from reclite.topk import topk

_TITLE = re.compile(r"^[A-Z][A-Za-z' -]*[a-z](?: [IVX]+)?(?: \((\d{4})\))?$")
_YEAR_SECONDS = 31_556_952


@pytest.fixture(scope="module")
def demo() -> reclite.Dataset:
    return reclite.demo_dataset()


@pytest.fixture(scope="module")
def small() -> reclite.Dataset:
    return synthetic_dataset(300, 200, 6_000, random_state=3)


def _pairs_unique(ds: reclite.Dataset) -> bool:
    key = ds.user_idx.astype(np.int64) * ds.n_items + ds.item_idx
    return len(np.unique(key)) == len(key)


def _leave_last_out(ds: reclite.Dataset) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Train matrix (binary) and each user's last interaction by time."""
    order = np.lexsort((np.arange(len(ds)), ds.times, ds.user_idx))
    u, i = ds.user_idx[order], ds.item_idx[order]
    last = np.r_[u[1:] != u[:-1], True]
    train = sp.csr_matrix((np.ones(int((~last).sum()), dtype=np.float32), (u[~last], i[~last])),
                          shape=(ds.n_users, ds.n_items))
    return train, u[last], i[last]


def _auc(scores: np.ndarray, train: sp.csr_matrix, test_u: np.ndarray, test_i: np.ndarray) -> float:
    """Mean over test users of P(score of the held-out item > score of an unseen item), ties 1/2."""
    s = scores[test_u]
    eligible = ~train[test_u].toarray().astype(bool)
    eligible[np.arange(len(test_u)), test_i] = False
    h = s[np.arange(len(test_u)), test_i][:, None]
    less = ((s < h) & eligible).sum(axis=1)
    ties = ((s == h) & eligible).sum(axis=1)
    return float(np.mean((less + 0.5 * ties) / eligible.sum(axis=1)))


def _genre_share_scores(train: sp.csr_matrix, genres: sp.csr_matrix) -> np.ndarray:
    """Score of item i for user u: share of u's training items that share a genre with i."""
    overlap = ((genres @ genres.T) > 0).astype(np.float32)
    n = np.maximum(np.asarray(train.sum(axis=1)), 1.0)
    return np.asarray((train @ overlap).todense()) / n


def _hit_rate(scores: np.ndarray, train: sp.csr_matrix, test_u: np.ndarray, test_i: np.ndarray,
              k: int = 10) -> float:
    idx, _ = topk(scores, k, exclude=train[test_u])
    return float((idx == test_i[:, None]).any(axis=1).mean())


# ---------------------------------------------------------------------------- the demo
def test_demo_is_cached_and_named(demo):
    assert reclite.demo_dataset() is demo
    assert demo.name == "demo"
    assert demo.side_information == ["genres", "years", "directors", "writers", "titles"]


def test_demo_shape_within_five_percent(demo):
    n_users, n_items, n_inter = DEMO_SHAPE
    assert abs(demo.n_users - 2_000) <= 100 and abs(demo.n_items - 1_500) <= 75
    assert abs(len(demo) - 100_000) <= 5_000
    assert (demo.n_users, demo.n_items, len(demo)) == (n_users, n_items, n_inter)
    assert demo.users.ids.tolist() == list(range(1, n_users + 1))
    assert demo.items.ids.tolist() == list(range(1, n_items + 1))


def test_demo_regenerates_identically(demo):
    fp = demo.fingerprint()
    reclite.demo_dataset.cache_clear()
    try:
        again = reclite.demo_dataset()
        assert again is not demo
        assert again.fingerprint() == fp
        np.testing.assert_array_equal(again.titles, demo.titles)
    finally:
        reclite.demo_dataset.cache_clear()


def test_demo_arrays_are_read_only(demo):
    with pytest.raises(ValueError):
        demo.user_idx[0] = 1
    with pytest.raises(ValueError):
        demo.times[0] = 0


# ---------------------------------------------------------------------------- determinism
def test_same_seed_gives_identical_arrays(small):
    again = synthetic_dataset(300, 200, 6_000, random_state=3)
    for a, b in [(small.user_idx, again.user_idx), (small.item_idx, again.item_idx),
                 (small.values, again.values), (small.times, again.times), (small.titles, again.titles)]:
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(small.years, again.years)  # NaN == NaN here
    assert (small.genres.matrix != again.genres.matrix).nnz == 0
    for role in ("directors", "writers"):
        np.testing.assert_array_equal(small.people[role].vocabulary, again.people[role].vocabulary)
        assert (small.people[role].matrix != again.people[role].matrix).nnz == 0


def test_seed_as_generator_is_deterministic():
    a = synthetic_dataset(100, 80, 1_500, random_state=np.random.default_rng(9))
    b = synthetic_dataset(100, 80, 1_500, random_state=np.random.default_rng(9))
    assert a.fingerprint() == b.fingerprint()


def test_different_seed_gives_different_data(small):
    other = synthetic_dataset(300, 200, 6_000, random_state=4)
    assert other.fingerprint() != small.fingerprint()
    assert not np.array_equal(other.titles, small.titles)


# ---------------------------------------------------------------------------- catalogue
def test_exactly_18_genres_and_1_to_3_per_item(demo):
    assert demo.genres.vocabulary.tolist() == list(GENRES)
    assert len(GENRES) == 18
    per_item = np.diff(demo.genres.matrix.indptr)
    assert per_item.min() == 1 and per_item.max() == 3
    assert (np.bincount(per_item)[1:] > 0.1 * demo.n_items).all()  # all three counts are common
    counts = np.asarray(demo.genres.matrix.sum(axis=0)).ravel()
    assert (counts > 0).all()
    assert counts[GENRES.index("Drama")] > 5 * counts[GENRES.index("Film-Noir")]


def test_titles_are_words_and_the_year(demo):
    titles, years = demo.titles, demo.years
    for title, year in zip(titles.tolist(), years.tolist()):
        m = _TITLE.match(title)
        assert m, title
        if np.isnan(year):
            assert m.group(1) is None, title
        else:
            assert m.group(1) is not None and int(m.group(1)) == int(year), (title, year)
    assert len(set(titles.tolist())) == len(titles)  # distinct: a repeated name is a sequel
    bases = {re.sub(r"( [IVX]+)? \(\d{4}\)$", "", t) for t in titles.tolist()}
    assert len(bases) > 0.8 * len(titles)


def test_years_recent_more_numerous_and_one_percent_unknown(demo):
    years = demo.years
    unknown = np.isnan(years)
    assert 0.005 <= unknown.mean() <= 0.02
    known = years[~unknown]
    assert known.min() >= 1930 and known.max() <= 2020
    assert np.all(known == np.round(known))
    assert (known >= 1990).mean() > 2 * (known < 1960).mean()


def test_directors_and_writers_lean_to_genres(demo):
    directors, writers = demo.people["directors"], demo.people["writers"]
    assert set(demo.people) == {"directors", "writers"}
    for mh in (directors, writers):
        assert mh.matrix.shape == (demo.n_items, len(mh.vocabulary))
        assert np.diff(mh.matrix.indptr).min() >= 1  # every item has one
    per_director = np.asarray(directors.matrix.sum(axis=0)).ravel()
    assert per_director.max() >= 8  # a few prolific ones
    assert np.median(per_director) <= 3
    # two films by one director share a genre far more often than two random films
    g = (demo.genres.matrix @ demo.genres.matrix.T > 0).toarray()
    same_dir = (directors.matrix @ directors.matrix.T).toarray() > 0
    np.fill_diagonal(same_dir, False)
    off = ~np.eye(demo.n_items, dtype=bool)
    assert g[same_dir].mean() > g[off].mean() + 0.25


# ---------------------------------------------------------------------------- interactions
def test_no_duplicate_pairs(demo, small):
    assert _pairs_unique(demo) and _pairs_unique(small)
    assert demo.duplicates_merged == 0


def test_times_int64_ordered_within_user_and_after_release(demo):
    t, u = demo.times, demo.user_idx
    assert t.dtype == np.int64
    assert np.all(np.diff(u) >= 0)  # ordered by user ...
    same = u[1:] == u[:-1]
    assert np.all(t[1:][same] >= t[:-1][same])  # ... then time
    assert t.min() >= 820_454_400  # 1996-01-01
    assert t.max() < 1_609_459_200  # 2021-01-01
    year_of_time = 1970 + t / _YEAR_SECONDS
    item_year = demo.years[demo.item_idx]
    known = ~np.isnan(item_year)
    assert np.all(year_of_time[known] >= item_year[known] - 1e-6)  # never before release


def test_later_interactions_go_to_newer_items(demo):
    year = demo.years[demo.item_idx]
    known = ~np.isnan(year)
    r = np.corrcoef(np.argsort(np.argsort(demo.times[known])), np.argsort(np.argsort(year[known])))[0, 1]
    assert r > 0.2  # Spearman correlation of interaction time and release year


def test_user_activity_long_tailed_min_five(demo):
    per_user = np.bincount(demo.user_idx, minlength=demo.n_users)
    assert per_user.min() >= 5
    assert per_user.max() > 8 * np.median(per_user)
    assert per_user.max() <= 0.5 * demo.n_items


def test_ratings_one_to_five_follow_genre_affinity(demo):
    v = demo.values
    assert set(np.unique(v).tolist()) == {1.0, 2.0, 3.0, 4.0, 5.0}
    shares = np.bincount(v.astype(int), minlength=6)[1:] / len(v)
    assert shares[0] < shares[1] < shares[2] and shares[3] > shares[0] and shares[4] > shares[0]
    # affinity: share of the user's items carrying the item's genres (all interactions)
    x = demo.matrix()
    x.data[:] = 1.0
    score = _genre_share_scores(x, demo.genres.matrix)[demo.user_idx, demo.item_idx]
    assert np.corrcoef(score, v)[0, 1] > 0.1


def test_binary_values():
    ds = synthetic_dataset(100, 80, 1_500, random_state=0, values="binary")
    assert np.all(ds.values == 1.0)


# ---------------------------------------------------------------------------- planted structure
def test_item_popularity_long_tail(demo):
    counts = np.sort(np.bincount(demo.item_idx, minlength=demo.n_items))[::-1]
    top10 = counts[: demo.n_items // 10].sum() / counts.sum()
    x = counts[::-1].astype(float)
    n = len(x)
    gini = float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))
    # a uniform generator gives about 0.11 and 0.05 here; the demo about 0.44 and 0.62
    assert top10 > 0.40
    assert gini > 0.55


def test_genre_preference_predicts_the_last_item(demo):
    train, test_u, test_i = _leave_last_out(demo)
    auc = _auc(_genre_share_scores(train, demo.genres.matrix), train, test_u, test_i)
    shuffled = demo.genres.matrix[np.random.default_rng(0).permutation(demo.n_items)]
    auc_shuffled = _auc(_genre_share_scores(train, shuffled), train, test_u, test_i)
    # chance is 0.5; the demo gives about 0.66 against about 0.51 with shuffled genres
    assert auc > 0.6
    assert auc_shuffled < 0.55
    assert auc > auc_shuffled + 0.08


def test_item_knn_beats_popularity_on_the_last_item(demo):
    train, test_u, test_i = _leave_last_out(demo)
    norms = np.sqrt(np.asarray(train.sum(axis=0)).ravel())
    xn = train @ sp.diags(1.0 / np.maximum(norms, 1e-12))
    sim = (xn.T @ xn).toarray()
    np.fill_diagonal(sim, 0.0)
    knn = _hit_rate(np.asarray(train[test_u] @ sim), train[test_u], np.arange(len(test_u)), test_i)
    pop = np.asarray(train.sum(axis=0)).ravel()
    popular = _hit_rate(np.tile(pop, (len(test_u), 1)), train[test_u], np.arange(len(test_u)), test_i)
    # the demo gives about 0.26 against 0.11
    assert popular > 0.03
    assert knn >= 1.5 * popular


# ---------------------------------------------------------------------------- scale and edges
def test_scale_smoke_one_million():
    ds = synthetic_dataset(20_000, 5_000, 1_000_000, random_state=1)
    assert (ds.n_users, ds.n_items, len(ds)) == (20_000, 5_000, 1_000_000)
    assert _pairs_unique(ds)
    assert np.bincount(ds.user_idx, minlength=ds.n_users).min() >= 5
    assert np.diff(ds.genres.matrix.indptr).min() >= 1
    assert ds.times.dtype == np.int64


def test_dense_heavy_users_are_capped_and_complete():
    # 50 interactions per user on 400 items: heavy users reach the cap of half the catalogue
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        ds = synthetic_dataset(2_000, 400, 100_000, random_state=2)
    per_user = np.bincount(ds.user_idx, minlength=ds.n_users)
    assert len(ds) == 100_000 and _pairs_unique(ds)
    assert per_user.max() <= 200
    assert per_user.max() > 150


def test_tiny_shapes():
    ds = synthetic_dataset(1, 1, 1, random_state=0)
    assert (ds.n_users, ds.n_items, len(ds)) == (1, 1, 1)
    ds = synthetic_dataset(3, 2, 3, random_state=0)
    assert np.bincount(ds.user_idx).tolist() == [1, 1, 1]


def test_more_than_the_catalogue_holds_raises():
    with pytest.raises(ValueError, match="max_user_fraction"):
        synthetic_dataset(5, 4, 10, random_state=0)


def test_fewer_interactions_than_users_raises():
    with pytest.raises(ValueError, match="at least n_users"):
        synthetic_dataset(10, 10, 5)


@pytest.mark.parametrize("knob, value", [("taste_drift", 1.5), ("noise", -0.1), ("n_styles", 0),
                                         ("popularity_sigma", -1.0), ("genre_concentration", 0.0)])
def test_bad_knob_raises(knob, value):
    with pytest.raises(ValueError, match=knob):
        synthetic_dataset(10, 10, 50, **{knob: value})


def test_bad_values_kind_raises():
    with pytest.raises(ValueError, match="values"):
        synthetic_dataset(10, 10, 50, values="counts")


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(n_users=10.0), ParameterTypeError, "n_users must be an integer >= 1, got 10.0 (float)"),
    (dict(n_users=0), ParameterError, "n_users must be an integer >= 1, got 0"),
    (dict(noise="low"), ParameterTypeError, "noise must be a number in [0, 1], got 'low' (str)"),
    (dict(noise=float("nan")), ParameterError, "noise must be a number in [0, 1] (finite), got nan"),
    (dict(taste_drift=True), ParameterTypeError, "taste_drift must be a number in [0, 1], got True (bool)"),
    (dict(last_year="2020"), ParameterTypeError, "last_year must be an integer >= 1801, got '2020' (str)"),
    (dict(first_year=2030), ParameterError, "first_year must be an integer in [1800, 2020], got 2030"),
    (dict(values="counts"), ParameterError, "values must be one of 'rating', 'binary', got 'counts'"),
    (dict(random_state=-1), ParameterError, "random_state must be a non-negative int"),
    (dict(random_state="seed"), ParameterTypeError, "random_state must be a non-negative int"),
    (dict(n_interactions=5), ParameterError, "n_interactions (5) must be at least n_users (10)"),
])
def test_bad_parameters_are_parameter_errors_naming_them(kwargs, error, message):
    args = dict(n_users=10, n_items=10, n_interactions=50, random_state=0) | kwargs
    with pytest.raises(error) as info:
        synthetic_dataset(**args)
    assert type(info.value) is error and str(info.value).startswith(message), str(info.value)
