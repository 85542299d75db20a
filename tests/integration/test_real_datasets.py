"""The public datasets read from their original layouts: exact counts, sane side information.

Found through RECLITE_DATA or ../shared/data (tests/conftest.py); skipped with a reason otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import reclite

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def ml100k_checked(ml100k):
    """The shared session Dataset, checked for changes in place after this module's tests."""
    before = ml100k.fingerprint()
    yield ml100k
    assert ml100k.fingerprint() == before, "a test changed the shared ml-100k Dataset in place"


@pytest.fixture(scope="module")
def mlsmall(mlsmall_path):
    return reclite.read_movielens(mlsmall_path)


# ---------------------------------------------------------------------------- ml-100k
def test_ml100k_counts(ml100k_checked):
    ds = ml100k_checked
    assert ds.name == "ml-100k"
    assert (ds.n_users, ds.n_items, len(ds)) == (943, 1682, 100_000)
    assert ds.users.ids.tolist() == list(range(1, 944))
    assert ds.items.ids.tolist() == list(range(1, 1683))
    assert ds.duplicates_merged == 0
    assert ds.matrix().shape == (943, 1682)


def test_ml100k_values_and_times(ml100k_checked):
    ds = ml100k_checked
    assert sorted(np.unique(ds.values).tolist()) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert ds.has_time
    assert 874_700_000 < ds.times.min() < ds.times.max() < 893_300_000  # Sept 1997 .. April 1998


def test_ml100k_matches_pandas(ml100k_checked, ml100k_path):
    raw = pd.read_csv(ml100k_path / "u.data", sep="\t", names=["user", "item", "value", "time"])
    ours = ml100k_checked.to_frame()
    key = ["user", "item"]
    merged = raw.merge(ours, on=key, suffixes=("_raw", "_ours"), validate="one_to_one")
    assert len(merged) == 100_000
    assert (merged["value_raw"] == merged["value_ours"]).all()
    assert (merged["time_raw"] == merged["time_ours"]).all()


def test_ml100k_genres(ml100k_checked):
    g = ml100k_checked.genres
    assert g.matrix.shape == (1682, 19)
    assert g.vocabulary.tolist()[:3] == ["unknown", "Action", "Adventure"]  # u.genre order
    assert g.vocabulary.tolist()[-1] == "Western"
    toy = ml100k_checked.items.to_index([1])[0]
    assert g.labels_of(toy) == ["Animation", "Children's", "Comedy"]
    assert int(g.matrix.sum()) == 2893  # genre flags set in u.item


def test_ml100k_titles_and_years(ml100k_checked):
    ds = ml100k_checked
    toy = ds.items.to_index([1])[0]
    assert ds.titles[toy] == "Toy Story (1995)"
    assert ds.years[toy] == 1995.0
    unknown = ds.items.to_index([267])[0]  # the one item with no title year and no release date
    assert ds.titles[unknown] == "unknown" and np.isnan(ds.years[unknown])
    known = ds.years[np.isfinite(ds.years)]
    assert len(known) == 1681 and known.min() >= 1920 and known.max() <= 1998


def test_read_dataset_detects_ml100k(ml100k_path, ml100k_checked):
    ds = reclite.read_dataset(ml100k_path)
    assert ds.fingerprint() == ml100k_checked.fingerprint()


# ---------------------------------------------------------------------------- ml-latest-small
def test_mlsmall_counts(mlsmall):
    assert mlsmall.name == "ml-latest-small"
    assert (mlsmall.n_users, mlsmall.n_items, len(mlsmall)) == (610, 9742, 100_836)
    s = mlsmall.summary()
    assert s["items_with_interactions"] == 9724  # 18 movies in movies.csv have no rating: kept
    assert s["value_range"] == [0.5, 5.0]
    assert set(np.unique(mlsmall.values).tolist()) == {x / 2 for x in range(1, 11)}


def test_mlsmall_genres(mlsmall):
    vocab = mlsmall.genres.vocabulary.tolist()
    assert len(vocab) == 19 and vocab == sorted(vocab)
    assert "(no genres listed)" not in vocab and "IMAX" in vocab
    toy = mlsmall.items.to_index([1])[0]
    assert mlsmall.genres.labels_of(toy) == ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]


def test_mlsmall_titles_and_years(mlsmall):
    idx = mlsmall.items.to_index([1, 29, 73])
    assert mlsmall.titles[idx].tolist() == [
        "Toy Story (1995)", "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
        "Misérables, Les (1995)"]
    assert mlsmall.years[idx].tolist() == [1995.0, 1995.0, 1995.0]
    missing = np.isnan(mlsmall.years)
    assert missing.sum() <= 20  # a handful of titles carry no "(year)"
    assert not any(t.rstrip().endswith(")") and t.rstrip()[-6:-5] == "(" for t in mlsmall.titles[missing])
    known = mlsmall.years[~missing]
    assert known.min() >= 1900 and known.max() <= 2018


def test_read_dataset_detects_mlsmall(mlsmall_path, mlsmall):
    assert reclite.read_dataset(mlsmall_path).fingerprint() == mlsmall.fingerprint()


# ---------------------------------------------------------------------------- hetrec2011-lastfm-2k
def test_lastfm_user_artists_with_read_csv(lastfm_path):
    ds = reclite.read_csv(lastfm_path / "user_artists.dat", user="userID", item="artistID", value="weight")
    assert len(ds) == 92_834
    assert (ds.n_users, ds.n_items) == (1892, 17632)
    assert ds.values.min() >= 1 and ds.values.max() == 352_698


def test_lastfm_user_artists_with_read_dataset(lastfm_path):
    by_name = reclite.read_csv(lastfm_path / "user_artists.dat", user="userID", item="artistID",
                               value="weight")
    sniffed = reclite.read_dataset(lastfm_path / "user_artists.dat")
    assert sniffed.fingerprint() == by_name.fingerprint()


def test_lastfm_folder_has_artist_names(lastfm_path):
    ds = reclite.read_dataset(lastfm_path)
    assert len(ds) == 92_834 and ds.n_items == 17632
    assert ds.titles[ds.items.to_index([1])[0]] == "MALICE MIZER"
