"""Splits: shared maps, disjoint parts whose union is the input, seeds, the too-few rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import reclite
from reclite import split
from reclite.errors import DataError, ParameterError, ParameterTypeError


def make_ds(seed: int = 0, n_users: int = 60, n_items: int = 50, shuffle: bool = False,
            time: bool = True) -> reclite.Dataset:
    """Users with 1..30 interactions (some with a single one), times with ties."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        n = 1 if u % 10 == 0 else int(rng.integers(2, 31))
        for i in rng.choice(n_items, size=n, replace=False):
            rows.append((f"u{u}", int(i), int(rng.integers(0, 40))))
    df = pd.DataFrame(rows, columns=["user", "item", "time"])
    if shuffle:
        df = df.sample(frac=1.0, random_state=seed)
    return reclite.Dataset.from_frame(df, time="time" if time else None)


def same_maps(ds: reclite.Dataset, user_idx, item_idx, value, time) -> reclite.Dataset:
    """Other interactions in the index space of ``ds`` (its IdMaps and name)."""
    return reclite.Dataset(user_idx, item_idx, value, time, users=ds.users, items=ds.items, name=ds.name)


def pairs(ds: reclite.Dataset) -> set[tuple[int, int]]:
    return set(zip(ds.user_idx.tolist(), ds.item_idx.tolist()))


def assert_partition(ds, *parts):
    for p in parts:
        assert p.users is ds.users and p.items is ds.items
    sets = [pairs(p) for p in parts]
    assert sum(len(s) for s in sets) == len(ds)
    assert set().union(*sets) == pairs(ds)


@pytest.fixture(scope="module")
def ds() -> reclite.Dataset:
    return make_ds()


def per_user(d: reclite.Dataset) -> np.ndarray:
    return np.bincount(d.user_idx, minlength=d.n_users)


# ---------------------------------------------------------------------- random_holdout
def test_random_holdout_partition_and_shared_maps(ds):
    train, test = split.random_holdout(ds, 0.2, random_state=0)
    assert_partition(ds, train, test)


def test_random_holdout_counts_per_user(ds):
    _, test = split.random_holdout(ds, 0.2, random_state=0)
    n = per_user(ds)
    # max(1, round(0.2 n)), half up; users with one interaction stay whole in train
    want = np.where(n >= 2, np.maximum(1, np.floor(0.2 * n + 0.5)), 0)
    np.testing.assert_array_equal(per_user(test), want)


def test_random_holdout_min_train_keeps_small_users_whole(ds):
    train, test = split.random_holdout(ds, 0.5, random_state=0, min_train=10)
    n, nt = per_user(ds), per_user(test)
    kept_whole = (n - np.maximum(1, np.floor(0.5 * n + 0.5))) < 10
    assert (nt[kept_whole] == 0).all()
    assert ((n - nt)[~kept_whole] >= 10).all()


def test_random_holdout_seeds_reproducible(ds):
    a = split.random_holdout(ds, 0.3, random_state=5).test
    b = split.random_holdout(ds, 0.3, random_state=5).test
    c = split.random_holdout(ds, 0.3, random_state=6).test
    g = split.random_holdout(ds, 0.3, random_state=np.random.default_rng(5)).test
    assert pairs(a) == pairs(b) == pairs(g)
    assert pairs(a) != pairs(c)


def test_random_holdout_is_uniform_within_a_user():
    # one user with 10 items, 1 held out: over many seeds every item is held out ~10% of the time
    ds1 = reclite.Dataset.from_frame(pd.DataFrame({"user": ["a"] * 10, "item": range(10)}))
    counts = np.zeros(10)
    for seed in range(2000):
        counts[split.random_holdout(ds1, 0.1, random_state=seed).test.item_idx] += 1
    assert counts.min() > 140 and counts.max() < 260  # 200 expected each


def test_random_holdout_rejects_bad_size(ds):
    with pytest.raises(ValueError, match="test_size must be a fraction strictly between 0 and 1"):
        split.random_holdout(ds, 1.5)


# ---------------------------------------------------------------------- leave_last_out
def last_n_reference(ds: reclite.Dataset, n: int, min_train: int) -> set[tuple[int, int]]:
    df = pd.DataFrame({"u": ds.user_idx, "i": ds.item_idx, "t": ds.times, "pos": np.arange(len(ds))})
    out = set()
    for _, g in df.groupby("u"):
        if len(g) < n + min_train:
            continue
        g = g.sort_values(["t", "pos"])
        out.update(zip(g["u"].tail(n).tolist(), g["i"].tail(n).tolist()))
    return out


@pytest.mark.parametrize("n", [1, 3])
def test_leave_last_out_takes_latest(ds, n):
    train, test = split.leave_last_out(ds, n)
    assert_partition(ds, train, test)
    assert pairs(test) == last_n_reference(ds, n, 1)


def test_leave_last_out_unsorted_dataset_same_answer():
    # a Dataset whose arrays are not ordered by (user, time) takes the sorting path
    ds = make_ds(seed=3)
    rng = np.random.default_rng(0)
    p = rng.permutation(len(ds))
    shuffled = same_maps(ds, ds.user_idx[p], ds.item_idx[p], ds.values[p], ds.times[p])
    # ties in time are broken by storage order, so compare on a tie-free version
    t = ds.times.astype(np.int64) * 10_000 + np.arange(len(ds))
    a = same_maps(ds, ds.user_idx, ds.item_idx, ds.values, t)
    b = same_maps(a, a.user_idx[p], a.item_idx[p], a.values[p], t[p])
    assert pairs(split.leave_last_out(a, 2).test) == pairs(split.leave_last_out(b, 2).test)
    assert pairs(split.leave_last_out(shuffled, 2).test) == last_n_reference(shuffled, 2, 1)


def test_leave_last_out_ties_later_in_storage_is_later():
    df = pd.DataFrame({"user": ["a", "a", "a"], "item": ["x", "y", "z"], "time": [5, 9, 9]})
    ds1 = reclite.Dataset.from_frame(df, time="time")
    test = split.leave_last_out(ds1, 1).test
    assert ds1.items.to_raw(test.item_idx).tolist() == ["z"]


def test_leave_last_out_too_few_stay_whole(ds):
    train, test = split.leave_last_out(ds, 2, min_train=5)
    n, nt = per_user(ds), per_user(test)
    assert (nt[n < 7] == 0).all() and (nt[n >= 7] == 2).all()


def test_leave_last_out_without_time_is_a_clear_error():
    with pytest.raises(DataError, match="leave_last_out needs timestamps and this Dataset has none"):
        split.leave_last_out(make_ds(time=False))


# ---------------------------------------------------------------------- last_and_random
def test_last_and_random_layout(ds):
    train, test = split.last_and_random(ds, n_last=2, n_random=3, random_state=0)
    assert_partition(ds, train, test)
    n, nt = per_user(ds), per_user(test)
    assert (nt[n >= 6] == 5).all() and (nt[n < 6] == 0).all()
    last2 = last_n_reference(ds, 2, 4)  # users with >= 6 interactions
    assert last2 <= pairs(test)


def test_last_and_random_random_part_varies_with_seed(ds):
    a = split.last_and_random(ds, 1, 5, random_state=0).test
    b = split.last_and_random(ds, 1, 5, random_state=1).test
    assert pairs(a) != pairs(b)
    assert last_n_reference(ds, 1, 6) <= pairs(a) & pairs(b)


def test_last_and_random_needs_time():
    with pytest.raises(DataError, match="last_and_random needs timestamps"):
        split.last_and_random(make_ds(time=False))


# ---------------------------------------------------------------------- temporal
def test_temporal_timestamp_cut(ds):
    train, test = split.temporal(ds, at=20)
    assert_partition(ds, train, test)
    assert (train.times < 20).all() and (test.times >= 20).all()


def test_temporal_quantile_cut(ds):
    train, test = split.temporal(ds, at=0.75)
    assert_partition(ds, train, test)
    cut = int(np.quantile(ds.times, 0.75, method="higher"))
    assert test.times.min() == cut and (train.times < cut).all()
    assert 0.15 < len(test) / len(ds) < 0.35


def test_temporal_min_train_drops_new_users_from_test():
    df = pd.DataFrame({"user": ["a", "a", "b"], "item": ["x", "y", "x"], "time": [1, 5, 6]})
    ds1 = reclite.Dataset.from_frame(df, time="time")
    train, test = split.temporal(ds1, at=5, min_train=1)
    # b has nothing before the cut: its interaction leaves the test set
    assert ds1.users.to_raw(test.user_idx).tolist() == ["a"]
    assert len(train) == 1


def test_temporal_rejects_bad_cut(ds):
    with pytest.raises(ValueError, match="quantile"):
        split.temporal(ds, at=1.5)


# ---------------------------------------------------------------------- kfold
def test_kfold_each_interaction_in_test_exactly_once(ds):
    folds = list(split.kfold(ds, n_folds=4, random_state=0))
    assert len(folds) == 4
    seen = []
    for train, test in folds:
        assert_partition(ds, train, test)
        seen.extend(pairs(test))
    n = per_user(ds)
    testable = {p for p in pairs(ds) if n[p[0]] >= 2}  # one-interaction users stay in train
    assert len(seen) == len(set(seen)) and set(seen) == testable


def test_kfold_balanced_per_user(ds):
    sizes = np.stack([per_user(test) for _, test in split.kfold(ds, 5, random_state=1)])
    spread = sizes.max(axis=0) - sizes.min(axis=0)
    assert (spread <= 1).all()


def test_kfold_seeds_reproducible(ds):
    a = [pairs(t) for _, t in split.kfold(ds, 3, random_state=9)]
    b = [pairs(t) for _, t in split.kfold(ds, 3, random_state=9)]
    assert a == b


# ---------------------------------------------------------------------- strong generalization
def test_strong_generalization_disjoint_users(ds):
    s = split.strong_generalization(ds, n_test_users=10, test_size=0.25, random_state=0)
    assert isinstance(s, split.StrongSplit)
    assert_partition(ds, s.train, s.fold_in, s.test)
    test_users = set(s.test.user_idx.tolist())
    assert len(test_users) == 10
    assert set(s.fold_in.user_idx.tolist()) == test_users
    assert not test_users & set(s.train.user_idx.tolist())


def test_strong_generalization_share_and_too_many(ds):
    s = split.strong_generalization(ds, n_test_users=0.5, random_state=0)
    eligible = int((per_user(ds) >= 2).sum())
    assert len(set(s.test.user_idx.tolist())) == round(0.5 * eligible)
    with pytest.raises(ValueError, match="only 54 users have enough interactions"):
        split.strong_generalization(ds, n_test_users=1000)


def test_splits_return_named_pairs(ds):
    sp_ = split.random_holdout(ds, random_state=0)
    assert isinstance(sp_, split.Split) and sp_.train is sp_[0]


# ---------------------------------------------------------------------- train_valid_test
def recbole_counts(n: int, ratios: list[float]) -> list[int]:
    """RecBole's per-group counts (``Dataset._calcu_split_ids``), restated plainly for one group:
    every part but the first rounded down, the first takes the rest; then, last part first, a
    part whose share is below one interaction gets one while the first keeps more than one."""
    counts = [int(r * n) for r in ratios]
    counts[0] = n - sum(counts[1:])
    for part in range(len(ratios) - 1, 0, -1):
        if counts[0] <= 1:
            break
        if 0 < ratios[part] * n < 1:
            counts[part] += 1
            counts[0] -= 1
    return counts


@pytest.mark.parametrize("n, want", [
    (1, (1, 0, 0)), (2, (1, 0, 1)), (3, (1, 1, 1)), (9, (7, 1, 1)), (10, (8, 1, 1)),
    (19, (17, 1, 1)), (20, (16, 2, 2)), (29, (25, 2, 2)), (30, (24, 3, 3)), (101, (81, 10, 10)),
])
def test_train_valid_test_counts_hand_computed(n, want):
    ds1 = reclite.Dataset.from_frame(pd.DataFrame({"user": ["a"] * n, "item": range(n)}))
    parts = split.train_valid_test(ds1, 0.1, 0.1, random_state=0)
    assert tuple(len(p) for p in parts) == want
    assert recbole_counts(n, [0.8, 0.1, 0.1]) == list(want)


@pytest.mark.parametrize("n, want", [
    # valid 0.2, test 0.3: n=3 floors to (3, 0, 0), test bumped (0.9 < 1), then valid (0.6 < 1)
    (2, (1, 0, 1)), (3, (1, 1, 1)), (4, (2, 1, 1)), (5, (3, 1, 1)), (7, (4, 1, 2)), (10, (5, 2, 3)),
])
def test_train_valid_test_counts_uneven_shares(n, want):
    ds1 = reclite.Dataset.from_frame(pd.DataFrame({"user": ["a"] * n, "item": range(n)}))
    assert tuple(len(p) for p in split.train_valid_test(ds1, 0.2, 0.3, random_state=1)) == want


@pytest.mark.parametrize("valid_size, test_size", [(0.1, 0.1), (0.2, 0.3), (0.05, 0.15), (0.45, 0.45)])
def test_train_valid_test_counts_follow_recbole_per_user(ds, valid_size, test_size):
    train, valid, test = split.train_valid_test(ds, valid_size, test_size, random_state=3)
    assert_partition(ds, train, valid, test)
    want = np.array([recbole_counts(int(n), [1 - valid_size - test_size, valid_size, test_size])
                     for n in per_user(ds)])
    got = np.stack([per_user(train), per_user(valid), per_user(test)], axis=1)
    np.testing.assert_array_equal(got, want)


def test_train_valid_test_partition_shared_maps_and_seeds(ds):
    a = split.train_valid_test(ds, 0.1, 0.2, random_state=7)
    assert isinstance(a, split.ThreeWaySplit) and a.valid is a[1]
    assert_partition(ds, *a)
    b = split.train_valid_test(ds, 0.1, 0.2, random_state=np.random.default_rng(7))
    c = split.train_valid_test(ds, 0.1, 0.2, random_state=8)
    assert [pairs(p) for p in a] == [pairs(p) for p in b]
    assert pairs(a.test) != pairs(c.test) and pairs(a.valid) != pairs(c.valid)
    # storage order does not matter: the same interactions per user, shuffled, split as well
    shuffled = make_ds(shuffle=True)
    assert_partition(shuffled, *split.train_valid_test(shuffled, 0.1, 0.2, random_state=7))


def test_train_valid_test_is_uniform_within_a_user():
    # one user with 10 items, (8, 1, 1): over many seeds every item lands in valid and in test ~10%
    ds1 = reclite.Dataset.from_frame(pd.DataFrame({"user": ["a"] * 10, "item": range(10)}))
    in_valid, in_test = np.zeros(10), np.zeros(10)
    for seed in range(2000):
        _, valid, test = split.train_valid_test(ds1, 0.1, 0.1, random_state=seed)
        in_valid[valid.item_idx] += 1
        in_test[test.item_idx] += 1
    for c in (in_valid, in_test):
        assert c.min() > 140 and c.max() < 260  # 200 expected each


def test_train_valid_test_min_train_keeps_small_users_whole(ds):
    train, valid, test = split.train_valid_test(ds, 0.2, 0.2, random_state=0, min_train=8)
    n = per_user(ds)
    held = np.array([recbole_counts(int(k), [0.6, 0.2, 0.2]) for k in n])
    whole = held[:, 0] < 8
    assert whole.any() and (~whole).any()
    np.testing.assert_array_equal(per_user(train)[whole], n[whole])
    assert (per_user(valid)[whole] == 0).all() and (per_user(test)[whole] == 0).all()
    np.testing.assert_array_equal(per_user(test)[~whole], held[~whole, 2])
    assert (per_user(train)[~whole] >= 8).all()


# ---------------------------------------------------------------------- parameter errors
@pytest.mark.parametrize("call, error, message", [
    (lambda d: split.random_holdout(d, 0.0), ParameterError, "test_size must be a fraction strictly between "
                                                           "0 and 1, got 0.0"),
    (lambda d: split.random_holdout(d, "0.2"), ParameterTypeError, "test_size must be a fraction strictly "
                                                                  "between 0 and 1, got '0.2' (str)"),
    (lambda d: split.random_holdout(d, 0.2, min_train=-1), ParameterError, "min_train must be an integer >= 0, "
                                                                          "got -1"),
    (lambda d: split.random_holdout(d, 0.2, min_train=1.0), ParameterTypeError, "min_train must be an integer "
                                                                               ">= 0, got 1.0 (float)"),
    (lambda d: split.random_holdout(d, 0.2, random_state=-3), ParameterError, "random_state must be a "
                                                                             "non-negative int"),
    (lambda d: split.random_holdout(d, 0.2, random_state="x"), ParameterTypeError, "random_state must be a "
                                                                                  "non-negative int"),
    (lambda d: split.leave_last_out(d, 0), ParameterError, "n must be an integer >= 1, got 0"),
    (lambda d: split.leave_last_out(d, True), ParameterTypeError, "n must be an integer >= 1, got True (bool)"),
    (lambda d: split.last_and_random(d, 0, 0), ParameterError, "n_last + n_random must be at least 1, got "
                                                              "n_last=0, n_random=0"),
    (lambda d: split.last_and_random(d, -1, 2), ParameterError, "n_last must be an integer >= 0, got -1"),
    (lambda d: split.temporal(d, at="2020"), ParameterTypeError, "at must be a timestamp (int) or a quantile "
                                                                "in (0, 1), got '2020' (str)"),
    (lambda d: split.temporal(d, at=True), ParameterTypeError, "at must be a timestamp"),
    (lambda d: split.temporal(d, at=1.0), ParameterError, "at (a quantile) must be a fraction strictly between"),
    (lambda d: split.kfold(d, 1), ParameterError, "n_folds must be an integer >= 2, got 1"),
    (lambda d: split.kfold(d, 5, random_state=np.random.RandomState(0)), ParameterTypeError, "random_state"),
    (lambda d: split.strong_generalization(d, 0), ParameterError, "n_test_users must be an integer >= 1, got 0"),
    (lambda d: split.strong_generalization(d, 1.5), ParameterError, "n_test_users must be a fraction strictly "
                                                                   "between 0 and 1, got 1.5"),
    (lambda d: split.strong_generalization(d, "ten"), ParameterTypeError, "n_test_users must be a count or a "
                                                                         "share in (0, 1), got 'ten' (str)"),
    (lambda d: split.train_valid_test(d, 0.0, 0.1), ParameterError, "valid_size must be a fraction strictly "
                                                                    "between 0 and 1, got 0.0"),
    (lambda d: split.train_valid_test(d, 0.1, "0.1"), ParameterTypeError, "test_size must be a fraction "
                                                                          "strictly between 0 and 1, got '0.1'"),
    (lambda d: split.train_valid_test(d, 0.5, 0.5), ParameterError, "valid_size + test_size must be below 1 "
                                                                    "(train keeps the rest), got valid_size=0.5"),
    (lambda d: split.train_valid_test(d, 0.1, 0.1, min_train=-2), ParameterError, "min_train must be an "
                                                                                  "integer >= 0, got -2"),
    (lambda d: split.random_holdout(d.to_frame(), 0.2), ParameterTypeError, "ds must be a reclite Dataset, got "
                                                                           "DataFrame"),
])
def test_bad_split_parameters_are_parameter_errors(ds, call, error, message):
    with pytest.raises(error) as info:
        call(ds)
    assert type(info.value) is error
    assert str(info.value).startswith(message), str(info.value)


def test_kfold_checks_its_parameters_when_called_not_when_iterated(ds):
    with pytest.raises(ParameterError, match="n_folds"):
        split.kfold(ds, 0)  # no next() needed
    folds = split.kfold(ds, 3, random_state=np.random.default_rng(0))
    again = list(split.kfold(ds, 3, random_state=np.random.default_rng(0)))
    assert [pairs(f.test) for f in folds] == [pairs(f.test) for f in again]


def test_temporal_checks_the_cut_before_the_timestamps(ds):
    no_time = make_ds(time=False)
    with pytest.raises(ParameterError, match="at must be a timestamp"):
        split.temporal(no_time, at="late")
    with pytest.raises(DataError, match="temporal needs timestamps"):
        split.temporal(no_time, at=0.5)


def test_splits_take_generators_and_seed_sequences(ds):
    a = split.random_holdout(ds, 0.3, random_state=np.random.default_rng(4))
    b = split.random_holdout(ds, 0.3, random_state=np.random.default_rng(4))
    c = split.random_holdout(ds, 0.3, random_state=np.random.SeedSequence(4))
    d = split.random_holdout(ds, 0.3, random_state=np.random.SeedSequence(4))
    assert pairs(a.test) == pairs(b.test) and pairs(c.test) == pairs(d.test)
