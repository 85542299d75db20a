"""Dataset: the matrix, subsets sharing IdMaps, immutability, duplicates, extra items, summary.

The ``tiny`` fixture (tests/conftest.py): users a, b, c; items w, x, y, z;
a: w=5 (t1), x=3 (t2), y=4 (t3); b: x=1 (t5), z=2 (t4); c: w=4 (t7).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from reclite import Dataset, IdMap, MultiHot
from reclite.errors import DataError, DataWarning

TINY_DENSE = [[5, 3, 4, 0],
              [0, 1, 0, 2],
              [4, 0, 0, 0]]


def test_matrix_shape_dtype_values(tiny):
    m = tiny.matrix()
    assert type(m) is sp.csr_matrix  # implicit rejects csr_array
    assert m.shape == (3, 4) and m.dtype == np.float32
    assert m.has_sorted_indices
    assert m.toarray().tolist() == TINY_DENSE


def test_matrix_is_a_fresh_copy(tiny):
    m = tiny.matrix()
    m.data[:] = 0
    m.indices[:] = 0
    assert tiny.matrix().toarray().tolist() == TINY_DENSE


def test_matrix_without_copy_is_the_one_cached_matrix(tiny):
    shared = tiny.matrix(copy=False)
    assert tiny.matrix(copy=False) is shared  # no copy of its arrays on later calls
    assert shared.toarray().tolist() == TINY_DENSE and shared.has_sorted_indices
    fresh = tiny.matrix()
    assert fresh is not shared and not np.shares_memory(fresh.data, shared.data)
    assert not np.shares_memory(fresh.indices, shared.indices)


def test_interactions_dtypes(tiny):
    df = tiny.interactions
    assert df.dtypes.astype(str).to_dict() == {"user": "int32", "item": "int32", "value": "float32",
                                               "time": "int64"}


def test_to_frame_raw_ids(tiny):
    df = tiny.to_frame()
    assert list(zip(df["user"], df["item"], df["value"])) == [
        ("a", "w", 5.0), ("a", "x", 3.0), ("a", "y", 4.0), ("b", "z", 2.0), ("b", "x", 1.0), ("c", "w", 4.0)]


@pytest.mark.parametrize("attr", ["user_idx", "item_idx", "values", "times", "years"])
def test_arrays_read_only(tiny, attr):
    with pytest.raises(ValueError, match="read-only"):
        getattr(tiny, attr)[0] = 0


def test_subset_keeps_idmaps_and_side_information(tiny):
    part = tiny.subset(np.array([True, False, False, True, False, True]))
    assert part.users is tiny.users and part.items is tiny.items
    assert part.genres is tiny.genres and part.years is tiny.years
    assert (part.n_users, part.n_items, len(part)) == (3, 4, 3)
    assert part.matrix().toarray().tolist() == [[5, 0, 0, 0], [0, 0, 0, 2], [4, 0, 0, 0]]
    assert part.times.tolist() == [1, 4, 7]


def test_subset_by_positions(tiny):
    assert tiny.subset([0, 5]).to_frame()["user"].tolist() == ["a", "c"]


def test_subset_mask_of_wrong_length(tiny):
    with pytest.raises(ValueError, match=r"mask has shape \(2,\), expected \(6,\)"):
        tiny.subset(np.array([True, False]))


def test_duplicates_keep_latest_by_time_and_count():
    df = pd.DataFrame({"user": [1, 1, 1, 2], "item": [5, 5, 5, 5],
                       "value": [1.0, 3.0, 2.0, 4.0], "time": [10, 30, 20, 1]})
    with pytest.warns(DataWarning) as rec:
        ds = Dataset.from_frame(df, value="value", time="time", source="plays.csv")
    assert str(rec[0].message) == ("plays.csv: 2 duplicate (user, item) pairs merged, keeping the "
                                   "latest interaction of each")
    assert ds.duplicates_merged == 2 and ds.summary()["duplicates_merged"] == 2
    assert ds.to_frame()[["user", "value", "time"]].values.tolist() == [[1, 3.0, 30], [2, 4.0, 1]]


def test_duplicates_without_time_keep_last_in_file_order():
    df = pd.DataFrame({"user": ["u", "u"], "item": ["i", "i"], "value": [1.0, 2.0]})
    with pytest.warns(DataWarning):
        ds = Dataset.from_frame(df, value="value")
    assert ds.values.tolist() == [2.0]


def test_duplicate_times_tie_keeps_later_row():
    df = pd.DataFrame({"user": [1, 1], "item": [2, 2], "value": [1.0, 2.0], "time": [5, 5]})
    with pytest.warns(DataWarning):
        assert Dataset.from_frame(df, value="value", time="time").values.tolist() == [2.0]


def test_extra_items_kept_without_interactions():
    df = pd.DataFrame({"user": [1, 2], "item": [10, 20]})
    ds = Dataset.from_frame(df, extra_items=[30, 10])
    assert ds.items.ids.tolist() == [10, 20, 30]
    assert ds.matrix().shape == (2, 3)
    assert ds.summary()["items_with_interactions"] == 2


def test_from_frame_missing_column_names_source():
    df = pd.DataFrame({"user": [1], "item": [2]})
    with pytest.raises(DataError, match=r"^r\.csv: no column 'rating'; columns are \['user', 'item'\]$"):
        Dataset.from_frame(df, value="rating", source="r.csv")


def test_summary_numbers(tiny):
    s = tiny.summary()
    assert (s["name"], s["users"], s["items"], s["interactions"]) == ("tiny", 3, 4, 6)
    assert s["items_with_interactions"] == 4
    assert s["density"] == pytest.approx(6 / 12)
    # per-user counts [3, 2, 1]: numpy's linear quantiles
    assert s["per_user"] == {"min": 1.0, "p25": 1.5, "median": 2.0, "p75": 2.5, "p90": pytest.approx(2.8),
                             "max": 3.0}
    assert s["value_range"] == [1.0, 5.0] and s["has_time"] is True
    assert s["side_information"] == ["genres", "years"]
    assert s["genres"] == 3 and s["items_with_year"] == 3 and s["duplicates_merged"] == 0


def test_side_information_names_people_sorted():
    users, items = IdMap([1]), IdMap([1, 2])
    mh = MultiHot.from_pairs(np.array([0]), np.array(["Ann"]), 2)
    ds = Dataset([0], [1], users=users, items=items, people={"writers": mh, "directors": mh},
                 titles=["A", "B"])
    assert ds.side_information == ["directors", "writers", "titles"]
    assert ds.summary()["directors"] == 1


def test_constructor_checks_ranges_and_shapes():
    users, items = IdMap([1, 2]), IdMap(["a"])
    with pytest.raises(ValueError, match=r"item_idx out of range \[0, 1\)"):
        Dataset([0], [1], users=users, items=items)
    with pytest.raises(ValueError, match=r"years has shape \(2,\), expected \(1,\)"):
        Dataset([0], [0], users=users, items=items, years=[1.0, 2.0])
    with pytest.raises(ValueError, match="user_idx has 2 entries but item_idx has 1"):
        Dataset([0, 1], [0], users=users, items=items)


def test_multihot_from_pairs_repeats_count_once_and_vocabulary_filters():
    mh = MultiHot.from_pairs(np.array([0, 0, 1, 1]), np.array(["b", "b", "a", "zzz"]), 3,
                             vocabulary=np.array(["b", "a"]))
    assert mh.matrix.toarray().tolist() == [[1, 0], [0, 1], [0, 0]]
    assert mh.vocabulary.tolist() == ["b", "a"]
    assert mh.labels_of(1) == ["a"]


def test_fingerprint_stable_and_sensitive(tiny):
    assert tiny.fingerprint() == tiny.subset(np.ones(6, dtype=bool)).fingerprint()
    assert tiny.fingerprint() != tiny.subset([0, 1]).fingerprint()


def test_repr(tiny):
    assert repr(tiny) == "Dataset(tiny: 3 users x 4 items, 6 interactions; side information: genres, years)"


@pytest.mark.parametrize("t_high", [1_000, 2**62])  # composite key fits / needs the rank fallback
def test_user_time_order_matches_lexsort(t_high):
    from reclite.data.dataset import user_time_order

    rng = np.random.default_rng(7)
    u = rng.integers(0, 50, 5_000).astype(np.int32)
    t = rng.integers(0, 20, 5_000).astype(np.int64) * (t_high // 20)  # many equal times
    order = user_time_order(u, t, 50)
    # np.lexsort is stable: equal (user, time) keep their current order
    np.testing.assert_array_equal(order, np.lexsort((np.arange(len(u)), t, u)))
    assert user_time_order(u[:0], t[:0], 50).size == 0


# ---------------------------------------------------------------------------- never changes
def test_constructor_copies_the_callers_arrays():
    u, i = np.array([0, 1, 1], dtype=np.int32), np.array([0, 0, 1], dtype=np.int32)
    v, t = np.array([1.0, 2.0, 3.0], dtype=np.float32), np.array([5, 6, 7], dtype=np.int64)
    years, titles = np.array([1990.0, 2000.0]), np.array(["A", "B"])
    ds = Dataset(u, i, v, t, users=IdMap([10, 20]), items=IdMap(["p", "q"]), years=years, titles=titles)
    before = ds.fingerprint()
    u[1], i[1], v[1], t[1], years[0], titles[0] = 0, 1, 9.0, 0, 1.0, "Z"
    assert ds.user_idx.tolist() == [0, 1, 1] and ds.item_idx.tolist() == [0, 0, 1]
    assert ds.values.tolist() == [1.0, 2.0, 3.0] and ds.times.tolist() == [5, 6, 7]
    assert ds.years.tolist() == [1990.0, 2000.0] and ds.titles.tolist() == ["A", "B"]
    assert ds.fingerprint() == before
    assert u.flags.writeable  # the caller's array is left as it was


def test_read_only_view_of_a_writeable_array_is_copied():
    u = np.array([0, 1], dtype=np.int32)  # the stored dtype: no conversion copies it by the way
    view = u.view()
    view.setflags(write=False)
    ds = Dataset(view, [0, 0], users=IdMap([1, 2]), items=IdMap([1]))
    u[0] = 1  # the owner can still write: the Dataset must not share it
    assert ds.user_idx.tolist() == [0, 1]


def test_frozen_arrays_are_shared_not_copied(tiny):
    again = Dataset(tiny.user_idx, tiny.item_idx, tiny.values, tiny.times, users=tiny.users, items=tiny.items,
                    years=tiny.years)
    for a, b in ((again.user_idx, tiny.user_idx), (again.values, tiny.values), (again.times, tiny.times)):
        assert np.shares_memory(a, b)
    assert again.years is tiny.years


def test_arrays_cannot_be_made_writeable_again(tiny):
    for a in (tiny.user_idx, tiny.item_idx, tiny.values, tiny.times, tiny.years, tiny.genres.matrix.data,
              tiny.genres.vocabulary):
        with pytest.raises(ValueError, match="cannot set WRITEABLE flag"):
            a.setflags(write=True)


def test_internal_construction_takes_fresh_arrays_without_copying():
    u, i = np.array([0, 1], dtype=np.int32), np.array([1, 0], dtype=np.int32)
    ds = Dataset._adopt(u, i, users=IdMap([1, 2]), items=IdMap([1, 2]))
    assert np.shares_memory(ds.user_idx, u) and np.shares_memory(ds.item_idx, i)
    assert not u.flags.writeable  # taken over: frozen in place


def test_subset_owns_its_arrays(tiny):
    part = tiny.subset([0, 2])
    assert not np.shares_memory(part.user_idx, tiny.user_idx)
    assert not part.user_idx.flags.writeable and not part.values.flags.writeable


def test_side_information_is_frozen(tiny):
    m = tiny.genres.matrix
    for a in (m.data, m.indices, m.indptr, tiny.genres.vocabulary, tiny.years):
        with pytest.raises(ValueError, match="read-only"):
            a[0] = a[0]
    users, items = IdMap([1]), IdMap([1, 2])
    mh = MultiHot.from_pairs(np.array([0]), np.array(["Ann"]), 2)
    ds = Dataset([0], [1], users=users, items=items, people={"writers": mh}, titles=["A", "B"])
    with pytest.raises(TypeError):
        ds.people["directors"] = mh  # type: ignore[index]
    with pytest.raises(ValueError, match="read-only"):
        ds.titles[0] = "Z"


def test_multihot_copies_a_writeable_matrix_and_vocabulary():
    m = sp.csr_matrix(np.array([[1, 0], [0, 1]], dtype=np.float32))
    vocab = np.array(["a", "b"])
    mh = MultiHot(m, vocab)
    m.data[:] = 0
    vocab[0] = "z"
    assert mh.matrix.toarray().tolist() == [[1, 0], [0, 1]] and mh.vocabulary.tolist() == ["a", "b"]
    with pytest.raises(ValueError, match=r"vocabulary has shape \(3,\), expected \(2,\)"):
        MultiHot(m, np.array(["a", "b", "c"]))


def test_subset_shares_frozen_side_information():
    users, items = IdMap([1, 2]), IdMap([1, 2])
    mh = MultiHot.from_pairs(np.array([0]), np.array(["Ann"]), 2)
    ds = Dataset([0, 1], [1, 0], users=users, items=items, genres=mh, people={"writers": mh},
                 years=[1.0, 2.0], titles=["A", "B"])
    part = ds.subset([1])
    assert part.people["writers"] is ds.people["writers"]
    assert part.titles is ds.titles and part.years is ds.years and part.genres is ds.genres


def test_pickled_dataset_stays_frozen(tiny):
    import pickle

    again = pickle.loads(pickle.dumps(tiny))
    assert again.fingerprint() == tiny.fingerprint()
    for a in (again.user_idx, again.values, again.years, again.genres.matrix.data, again.genres.vocabulary):
        assert not a.flags.writeable


# ---------------------------------------------------------------------------- fingerprint
def _with_side(tiny, **change):
    side = {"genres": tiny.genres, "years": tiny.years, "people": dict(tiny.people), "titles": tiny.titles}
    side.update(change)
    return Dataset(tiny.user_idx, tiny.item_idx, tiny.values, tiny.times, users=tiny.users, items=tiny.items,
                   name=tiny.name, **side)


def test_fingerprint_covers_side_information(tiny):
    base = _with_side(tiny, titles=["w", "x", "y", "z"],
                      people={"directors": MultiHot.from_pairs(np.array([0]), np.array(["Ann"]), 4)})
    fp = base.fingerprint()
    other_genres = MultiHot.from_pairs(np.array([0]), np.array(["Drama"]), 4)
    changed = {
        "genres": _with_side(base, genres=other_genres),
        "no genres": _with_side(base, genres=None),
        "genre name": _with_side(base, genres=MultiHot(base.genres.matrix, np.array(["Comedy", "Drama", "Noir"]))),
        "year": _with_side(base, years=[1990.0, 2000.0, 2011.0, np.nan]),
        "no years": _with_side(base, years=None),
        "title": _with_side(base, titles=["w", "x", "y", "Z"]),
        "no titles": _with_side(base, titles=None),
        "director": _with_side(base, people={"directors": MultiHot.from_pairs(np.array([1]), np.array(["Ann"]), 4)}),
        "role": _with_side(base, people={"writers": base.people["directors"]}),
        "no people": _with_side(base, people={}),
    }
    for what, ds in changed.items():
        assert ds.fingerprint() != fp, what
    assert len({ds.fingerprint() for ds in changed.values()}) == len(changed)


def test_equal_datasets_give_equal_fingerprints(tiny):
    # the same content built from other objects: other dtypes, string widths, NaN spellings, people order
    mh = MultiHot.from_pairs(np.array([0, 1]), np.array(["Ann", "Bob"]), 4)
    mh2 = MultiHot(sp.csr_matrix(mh.matrix.toarray()), np.array(["Ann", "Bob"], dtype="<U30"))
    a = _with_side(tiny, titles=np.array(["w", "x", "y", "z"]), people={"a": mh, "b": mh})
    b = Dataset(tiny.user_idx.astype(np.int64), tiny.item_idx.tolist(), tiny.values.astype(np.float64),
                tiny.times, users=IdMap(tiny.users.ids), items=IdMap(tiny.items.ids), name="other name",
                genres=MultiHot(tiny.genres.matrix.astype(np.float64), tiny.genres.vocabulary.astype("<U40")),
                years=np.array([1990, 2000, 2010, -np.nan]), titles=np.array(["w", "x", "y", "z"], dtype="<U99"),
                people={"b": mh2, "a": mh2})
    assert a.fingerprint() == b.fingerprint()
