"""Train/test splits of a Dataset: per-user holdouts, time cut-offs, k folds, new users,
new items (cold_items) and train/valid/test.

Every split returns Datasets made with :meth:`Dataset.subset`, so train and test (and
valid) share the input's IdMaps (same indices, same side information) and together hold
every interaction of the input exactly once (the exception, :func:`temporal` with
``min_train >= 1``, says so).

**Too few interactions.** Each per-user split takes a parameter ``min_train``
(default 1): a user is split only if at least ``min_train`` of their interactions stay
in train after their whole test share (and valid share) is taken; otherwise the user
stays whole in train and has no test items. A user's test share is never cut short to fit.

**Randomness.** ``random_state`` is an int, a ``numpy.random.Generator`` (or a
``SeedSequence``) or None, turned into a Generator with ``np.random.default_rng``; no
global random state is used. The same seed on the same Dataset gives the same split.

**Bad parameters** raise :class:`~reclite.errors.ParameterError` (a ``ValueError``;
:class:`~reclite.errors.ParameterTypeError`, also a ``TypeError``, for a wrong type)
naming the parameter, its value and what was expected, before any work.

**Speed.** Everything is vectorised over interactions: interactions are grouped by
user with one sort (skipped when the Dataset is already ordered by user, as
:meth:`Dataset.from_frame` leaves it), and a per-user random choice is a sort on
random keys within the user's group. No Python loop runs over users.
"""

from __future__ import annotations

from collections.abc import Iterator
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np

from ._typing import RNGInput
from ._validation import check_fraction, check_int, check_random_state
from .data.dataset import Dataset, user_time_order
from .errors import DataError, ParameterError, ParameterTypeError

__all__ = [
    "Split",
    "StrongSplit",
    "random_holdout",
    "leave_last_out",
    "last_and_random",
    "temporal",
    "kfold",
    "strong_generalization",
    "train_valid_test",
    "ThreeWaySplit",
    "combine",
    "cold_items",
]


class Split(NamedTuple):
    """A train/test split: two Datasets sharing the input's IdMaps (unpacks as a pair)."""

    train: Dataset
    test: Dataset


class StrongSplit(NamedTuple):
    """A strong-generalization split (Liang et al. 2018; Steck 2019).

    Attributes
    ----------
    train : Dataset
        Every interaction of the users who are not test users.
    fold_in : Dataset
        The part of each test user's history the model may see at prediction time.
    test : Dataset
        The held-out part of each test user's history, to be predicted.
    """

    train: Dataset
    fold_in: Dataset
    test: Dataset


class ThreeWaySplit(NamedTuple):
    """A train/valid/test split: three Datasets sharing the input's IdMaps (unpacks as a triple)."""

    train: Dataset
    valid: Dataset
    test: Dataset


# ---------------------------------------------------------------------- helpers
def _check_ds(ds: object) -> Dataset:
    if not isinstance(ds, Dataset):
        raise ParameterTypeError(f"ds must be a reclite Dataset, got {type(ds).__name__}")
    return ds


def _user_counts(ds: Dataset) -> np.ndarray:
    return np.bincount(ds.user_idx, minlength=ds.n_users).astype(np.int64)


def _group_positions(users_in_order: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """0-based position of each element within its user's run (input ordered by user)."""
    starts = np.cumsum(counts) - counts
    return np.arange(len(users_in_order), dtype=np.int64) - starts[users_in_order]


def _by_user_time_order(ds: Dataset, what: str) -> np.ndarray | None:
    """Order by user, then time, then storage order; None when already in that order."""
    if not ds.has_time:
        raise DataError(
            f"{ds.name or 'data'}: {what} needs timestamps and this Dataset has none; read the "
            "data with its time column (e.g. read_csv(..., time='timestamp')), or use "
            "random_holdout instead")
    u = ds.user_idx
    t = ds.times
    if t is None or len(u) < 2:
        return None
    du = u[1:].astype(np.int64) - u[:-1]
    if bool(np.all(du >= 0)) and bool(np.all((du > 0) | (t[1:] >= t[:-1]))):
        return None
    return user_time_order(u, t, ds.n_users)


def _random_rank(ds: Dataset, rng: np.random.Generator) -> np.ndarray:
    """Each interaction's 0-based position in a uniformly random order of its user's interactions."""
    n = len(ds)
    keys = (ds.user_idx.astype(np.int64) << 32) | rng.integers(0, 2**32, size=n, dtype=np.int64)
    order = np.argsort(keys)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = _group_positions(ds.user_idx[order], _user_counts(ds))
    return rank


def _time_rank_from_end(ds: Dataset, what: str) -> np.ndarray:
    """0 for each user's latest interaction (ties: the later one in storage), 1 the one before..."""
    order = _by_user_time_order(ds, what)
    counts = _user_counts(ds)
    u = ds.user_idx if order is None else ds.user_idx[order]
    pos = _group_positions(u, counts)
    from_end = counts[u] - 1 - pos
    if order is None:
        return from_end
    out = np.empty_like(from_end)
    out[order] = from_end
    return out


def _holdout_counts(counts: np.ndarray, test_size: float, min_train: int) -> np.ndarray:
    """Test interactions per user for a fractional holdout (0 for users kept whole)."""
    n_test = np.maximum(1, np.floor(test_size * counts + 0.5)).astype(np.int64)
    n_test[counts - n_test < min_train] = 0
    n_test[counts == 0] = 0
    return n_test


def _split(ds: Dataset, test_mask: np.ndarray) -> Split:
    return Split(ds.subset(~test_mask), ds.subset(test_mask))


# ---------------------------------------------------------------------- splits
def random_holdout(
    ds: Dataset, test_size: float = 0.2, random_state: RNGInput = None, *, min_train: int = 1,
) -> Split:
    """Per user, a random share of the user's interactions goes to test.

    User ``u`` with ``n_u`` interactions gets ``max(1, round(test_size * n_u))`` test
    interactions, chosen uniformly at random (rounding half up), when at least
    ``min_train`` remain in train; otherwise the user stays whole in train.

    Parameters
    ----------
    ds : Dataset
    test_size : float, default=0.2
        Share of each user's interactions held out, in (0, 1).
    random_state : int, Generator or None
    min_train : int, default=1
        Interactions a split user keeps in train at least.

    Returns
    -------
    Split
        ``(train, test)``.

    Examples
    --------
    >>> import reclite
    >>> train, test = reclite.split.random_holdout(reclite.demo_dataset(), 0.2, random_state=0)
    """
    _check_ds(ds)
    test_size = check_fraction(test_size, "test_size")
    min_train = check_int(min_train, "min_train", min_val=0)
    rng = check_random_state(random_state)
    counts = _user_counts(ds)
    n_test = _holdout_counts(counts, test_size, min_train)
    rank = _random_rank(ds, rng)
    return _split(ds, rank < n_test[ds.user_idx])


def cold_items(ds: Dataset, test_size: float = 0.1, random_state: RNGInput = None) -> Split:
    """A random share of the items held out completely: all their interactions go to test.

    Evaluates how well items nobody interacted with in training (new items of a
    catalogue) reach the right users: a collaborative model cannot rank them, a
    content model can. ``round(test_size * n)`` of the ``n`` items with interactions
    (at least 1, at most ``n - 1``) are drawn uniformly at random; train holds every
    interaction of the other items. Rank only the held-out items with
    ``evaluate(model, train, test, items="test")``, as cold-start papers do.

    Parameters
    ----------
    ds : Dataset
    test_size : float, default=0.1
        Share of the items (those with interactions) held out, in (0, 1).
    random_state : int, Generator or None

    Returns
    -------
    Split
        ``(train, test)``: no item has interactions in both.

    Examples
    --------
    >>> import reclite
    >>> train, test = reclite.split.cold_items(reclite.demo_dataset(), 0.1, random_state=0)
    """
    _check_ds(ds)
    test_size = check_fraction(test_size, "test_size")
    rng = check_random_state(random_state)
    active = np.flatnonzero(np.bincount(ds.item_idx, minlength=ds.n_items))
    if len(active) < 2:
        raise DataError(f"{ds.name or 'data'}: cold_items needs at least 2 items with interactions, found "
                        f"{len(active)}")
    n_cold = int(min(max(1, np.floor(test_size * len(active) + 0.5)), len(active) - 1))
    held = np.zeros(ds.n_items, dtype=bool)
    held[rng.choice(active, size=n_cold, replace=False)] = True
    return _split(ds, held[ds.item_idx])


def leave_last_out(ds: Dataset, n: int = 1, *, min_train: int = 1) -> Split:
    """Each user's last ``n`` interactions by time go to test.

    Among equal timestamps the interaction stored later counts as later. Users with
    fewer than ``n + min_train`` interactions stay whole in train.

    Parameters
    ----------
    ds : Dataset
        Must have timestamps.
    n : int, default=1
    min_train : int, default=1

    Returns
    -------
    Split

    Raises
    ------
    DataError
        When the Dataset has no timestamps ("last" is undefined without time; there is
        no silent fallback to storage order).
    """
    _check_ds(ds)
    n = check_int(n, "n", min_val=1)
    min_train = check_int(min_train, "min_train", min_val=0)
    from_end = _time_rank_from_end(ds, "leave_last_out")
    counts = _user_counts(ds)
    eligible = counts >= n + min_train
    return _split(ds, (from_end < n) & eligible[ds.user_idx])


def last_and_random(
    ds: Dataset, n_last: int = 1, n_random: int = 9, random_state: RNGInput = None, *,
    min_train: int = 1,
) -> Split:
    """Each user's last ``n_last`` interactions plus ``n_random`` random earlier ones.

    The hidden-test layout of the movie competition. Users with fewer than
    ``n_last + n_random + min_train`` interactions stay whole in train.

    Parameters
    ----------
    ds : Dataset
        Must have timestamps.
    n_last : int, default=1
    n_random : int, default=9
        Chosen uniformly among the interactions before the last ``n_last``.
    random_state : int, Generator or None
    min_train : int, default=1

    Returns
    -------
    Split

    Raises
    ------
    DataError
        When the Dataset has no timestamps.
    """
    _check_ds(ds)
    n_last = check_int(n_last, "n_last", min_val=0)
    n_random = check_int(n_random, "n_random", min_val=0)
    if n_last + n_random == 0:
        raise ParameterError(f"n_last + n_random must be at least 1, got n_last={n_last}, n_random={n_random}")
    min_train = check_int(min_train, "min_train", min_val=0)
    rng = check_random_state(random_state)
    from_end = _time_rank_from_end(ds, "last_and_random")
    counts = _user_counts(ds)
    eligible = (counts >= n_last + n_random + min_train)[ds.user_idx]
    last = from_end < n_last
    # random ranks among the earlier interactions only: the last ones sort to the end
    keys = rng.integers(0, 2**31, size=len(ds), dtype=np.int64)
    keys[last] = 2**31
    keys |= ds.user_idx.astype(np.int64) << 32
    order = np.argsort(keys)
    rank = np.empty(len(ds), dtype=np.int64)
    rank[order] = _group_positions(ds.user_idx[order], counts)
    chosen = ~last & (rank < n_random)
    return _split(ds, eligible & (last | chosen))


def temporal(ds: Dataset, at: int | float, *, min_train: int = 0) -> Split:
    """One global time cut-off: interactions at or after ``at`` go to test.

    Parameters
    ----------
    ds : Dataset
        Must have timestamps.
    at : int or float
        A timestamp (int, in the Dataset's time unit), or a float in (0, 1): the
        quantile of all interaction times used as the cut-off (0.8 puts roughly the
        latest 20% of interactions in test; the cut-off is an actual timestamp, so ties
        stay together).
    min_train : int, default=0
        Test interactions of users with fewer than ``min_train`` interactions before the
        cut-off (users new after it) are dropped from test, since no history-based
        model can rank for them. The default keeps them; with ``min_train >= 1`` the
        union of train and test is the input minus those dropped interactions.

    Returns
    -------
    Split

    Raises
    ------
    DataError
        When the Dataset has no timestamps.
    """
    _check_ds(ds)
    min_train = check_int(min_train, "min_train", min_val=0)
    if isinstance(at, (bool, np.bool_)) or not isinstance(at, Real):
        raise ParameterTypeError(f"at must be a timestamp (int) or a quantile in (0, 1), got {at!r} "
                                 f"({type(at).__name__})")
    if not isinstance(at, Integral):
        check_fraction(at, "at (a quantile)")
    if not ds.has_time:
        raise DataError(f"{ds.name or 'data'}: temporal needs timestamps and this Dataset has none")
    t = ds.times
    if isinstance(at, Integral):
        cut = int(at)
    else:
        cut = int(np.quantile(t, float(at), method="higher")) if len(t) else 0
    test = t >= cut
    if min_train > 0:
        n_before = np.bincount(ds.user_idx[~test], minlength=ds.n_users)
        keep = n_before[ds.user_idx] >= min_train
        return Split(ds.subset(~test), ds.subset(test & keep))
    return _split(ds, test)


def kfold(
    ds: Dataset, n_folds: int = 5, random_state: RNGInput = None, *, min_train: int = 1,
) -> Iterator[Split]:
    """``n_folds`` (train, test) splits; each interaction is in exactly one test fold.

    Each user's interactions are shuffled and dealt round the folds, starting at a
    random fold, so every fold gets ``floor`` or ``ceil`` of ``n_u / n_folds`` of them.
    A user whose largest fold would leave fewer than ``min_train`` in train
    (``n_u - ceil(n_u / n_folds) < min_train``; with the default, users with one
    interaction) stays whole in train in every fold.

    Parameters
    ----------
    ds : Dataset
    n_folds : int, default=5
    random_state : int, Generator or None
    min_train : int, default=1

    Yields
    ------
    Split
        ``(train, test)`` for fold 0, 1, ...; the assignment is drawn once, up front.
    """
    _check_ds(ds)
    n_folds = check_int(n_folds, "n_folds", min_val=2)
    min_train = check_int(min_train, "min_train", min_val=0)
    rng = check_random_state(random_state)
    counts = _user_counts(ds)
    offset = rng.integers(0, n_folds, size=ds.n_users)
    rank = _random_rank(ds, rng)
    fold = (rank + offset[ds.user_idx]) % n_folds
    eligible = (counts - -(-counts // n_folds) >= min_train)[ds.user_idx]
    fold[~eligible] = -1
    return (_split(ds, fold == f) for f in range(n_folds))


def strong_generalization(
    ds: Dataset, n_test_users: int | float, test_size: float = 0.2, random_state: RNGInput = None, *,
    min_train: int = 1,
) -> StrongSplit:
    """Disjoint test users, whose histories are split into fold-in and held-out parts.

    The protocol of Liang et al. (2018) and Steck (2019): the model learns from the
    other users only, then ranks for each test user from that user's fold-in items, and
    is scored on the held-out items (``reclite.evaluate(model, train, test,
    fold_in=fold_in)``).

    Test users are drawn uniformly among the users that can be split: a test user's
    held-out part is ``max(1, round(test_size * n_u))`` random interactions, and at
    least ``min_train`` stay in fold-in.

    Parameters
    ----------
    ds : Dataset
    n_test_users : int or float
        How many test users (int), or their share of the eligible users (float in (0, 1)).
    test_size : float, default=0.2
        Share of each test user's interactions held out.
    random_state : int, Generator or None
    min_train : int, default=1

    Returns
    -------
    StrongSplit
        ``(train, fold_in, test)``, three Datasets sharing the input's IdMaps; the users
        of ``fold_in`` and ``test`` have no interaction in ``train``.

    Raises
    ------
    ParameterError
        When more test users are asked for than there are eligible users.
    """
    _check_ds(ds)
    test_size = check_fraction(test_size, "test_size")
    min_train = check_int(min_train, "min_train", min_val=0)
    if isinstance(n_test_users, (bool, np.bool_)) or not isinstance(n_test_users, Real):
        raise ParameterTypeError(f"n_test_users must be a count or a share in (0, 1), got {n_test_users!r} "
                                 f"({type(n_test_users).__name__})")
    if not isinstance(n_test_users, Integral):
        check_fraction(n_test_users, "n_test_users")
    rng = check_random_state(random_state)
    counts = _user_counts(ds)
    n_test = _holdout_counts(counts, test_size, min_train)
    eligible = np.flatnonzero(n_test > 0)
    if isinstance(n_test_users, Integral):
        n_pick = check_int(n_test_users, "n_test_users", min_val=1)
    else:
        n_pick = max(1, round(check_fraction(n_test_users, "n_test_users") * len(eligible)))
    if n_pick > len(eligible):
        raise ParameterError(f"n_test_users={n_test_users!r} asks for {n_pick:,} test users but only "
                         f"{len(eligible):,} users have enough interactions to split")
    picked = np.zeros(ds.n_users, dtype=bool)
    picked[rng.choice(eligible, size=n_pick, replace=False)] = True
    rank = _random_rank(ds, rng)
    is_test_user = picked[ds.user_idx]
    held_out = is_test_user & (rank < n_test[ds.user_idx])
    return StrongSplit(ds.subset(~is_test_user), ds.subset(is_test_user & ~held_out),
                       ds.subset(held_out))


def _ratio_counts(
    counts: np.ndarray, valid_size: float, test_size: float, min_train: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Valid and test interactions per user by RecBole's ``split_by_ratio`` rule (see
    :func:`train_valid_test`); 0 and 0 for users kept whole in train."""
    n = counts.astype(np.float64)
    fv, ft = valid_size * n, test_size * n  # float64 products, floored as RecBole's int() does
    n_valid = np.floor(fv).astype(np.int64)
    n_test = np.floor(ft).astype(np.int64)
    n_train = counts - n_valid - n_test
    # a share below one interaction gets one while train keeps more than one: test first, then valid
    for n_part, f in ((n_test, ft), (n_valid, fv)):
        bump = (n_train > 1) & (f > 0) & (f < 1)
        n_part += bump
        n_train -= bump
    whole = n_train < min_train
    n_valid[whole] = 0
    n_test[whole] = 0
    return n_valid, n_test


def train_valid_test(
    ds: Dataset, valid_size: float = 0.1, test_size: float = 0.1, random_state: RNGInput = None, *,
    min_train: int = 1,
) -> ThreeWaySplit:
    """Per user, random shares of the user's interactions go to valid and to test.

    RecBole's default protocol (``eval_args: split: {'RS': [0.8, 0.1, 0.1]}, order: RO,
    group_by: user``): each user's interactions are put in a uniformly random order and
    cut by ratio into train, valid and test, with RecBole's per-user counts
    (``Dataset._calcu_split_ids``). For a user with ``n`` interactions:

    1. ``n_valid = floor(valid_size * n)``, ``n_test = floor(test_size * n)`` (rounded
       down, the products computed in float64) and ``n_train = n - n_valid - n_test``;
    2. if ``0 < test_size * n < 1`` (the test share rounds down to nothing) and
       ``n_train > 1``, one interaction moves from train to test;
    3. then the same for valid: if ``0 < valid_size * n < 1`` and ``n_train > 1``, one
       moves from train to valid.

    With 0.1 and 0.1: a user with 1 interaction is train only, 2 give (train, valid,
    test) = (1, 0, 1), 3 to 19 give (n - 2, 1, 1), 20 to 29 give (n - 4, 2, 2). RecBole divides its ratios by their sum first; for ratios that sum to
    exactly 1.0 in floating point (the default ``[0.8, 0.1, 0.1]`` does) the counts are
    the same as here.

    Then the too-few rule of every split: a user with fewer than ``min_train``
    interactions left in train (which with the default ``min_train=1`` cannot happen,
    as ``valid_size + test_size < 1``) stays whole in train.

    Parameters
    ----------
    ds : Dataset
    valid_size, test_size : float, default=0.1
        Shares of each user's interactions held out for validation and for testing,
        each in (0, 1), together below 1.
    random_state : int, Generator or None
    min_train : int, default=1
        Interactions a split user keeps in train at least.

    Returns
    -------
    ThreeWaySplit
        ``(train, valid, test)``, three Datasets sharing the input's IdMaps.

    Notes
    -----
    RecBole's protocol fits on train, picks hyperparameters by their score on valid
    (ranking with train's items excluded) and reports test ranked by the model fitted
    on train with train's and valid's items excluded::

        train, valid, test = split.train_valid_test(ds, 0.1, 0.1, random_state=0)
        reclite.evaluate(model, train, valid)                  # choose on valid
        reclite.evaluate(model, train, test, exclude=valid)    # report on test

    Examples
    --------
    >>> import reclite
    >>> train, valid, test = reclite.split.train_valid_test(reclite.demo_dataset(), 0.1, 0.1,
    ...                                                     random_state=0)
    """
    _check_ds(ds)
    valid_size = check_fraction(valid_size, "valid_size")
    test_size = check_fraction(test_size, "test_size")
    if valid_size + test_size >= 1.0:
        raise ParameterError(f"valid_size + test_size must be below 1 (train keeps the rest), got "
                             f"valid_size={valid_size!r} + test_size={test_size!r}")
    min_train = check_int(min_train, "min_train", min_val=0)
    rng = check_random_state(random_state)
    counts = _user_counts(ds)
    n_valid, n_test = _ratio_counts(counts, valid_size, test_size, min_train)
    # a uniformly random order per user: the last n_test are test, the n_valid before them valid
    from_end = counts[ds.user_idx] - 1 - _random_rank(ds, rng)
    t = n_test[ds.user_idx]
    is_test = from_end < t
    is_valid = ~is_test & (from_end < t + n_valid[ds.user_idx])
    return ThreeWaySplit(ds.subset(~(is_test | is_valid)), ds.subset(is_valid), ds.subset(is_test))


def combine(*parts: Dataset) -> Dataset:
    """The interactions of several parts of one split as one Dataset (e.g. train + valid).

    The parts must share their IdMaps (as every split's parts do) and hold no
    (user, item) pair twice; the result keeps the IdMaps and the side information of
    the first part, so it is a split part like the others (``evaluate`` accepts it with
    any of them).

    Raises
    ------
    ParameterTypeError
        A part is not a Dataset.
    DataError
        The parts do not share their IdMaps, or share a (user, item) pair.
    """
    if not parts:
        raise ParameterError("combine needs at least one Dataset")
    for pos, d in enumerate(parts):
        if not isinstance(d, Dataset):
            raise ParameterTypeError(f"combine: part {pos + 1} must be a reclite Dataset, got {type(d).__name__}")
    first = parts[0]
    for pos, d in enumerate(parts[1:], start=2):
        if not ((d.users is first.users or d.users == first.users)
                and (d.items is first.items or d.items == first.items)):
            raise DataError(f"combine: part {pos} does not share part 1's user and item maps; combine parts "
                            "of one split (Dataset.subset of one Dataset)")
    has_time = [d.has_time for d in parts]
    if any(has_time) and not all(has_time):
        raise DataError("combine: some parts have timestamps and some do not")
    u = np.concatenate([d.user_idx for d in parts])
    i = np.concatenate([d.item_idx for d in parts])
    key = u.astype(np.int64) * max(first.n_items, 1) + i
    if len(np.unique(key)) != len(key):
        raise DataError("combine: the parts share (user, item) pairs; combine disjoint parts of one split")
    v = np.concatenate([d.values for d in parts])
    t = np.concatenate([d.times for d in parts if d.times is not None]) if all(has_time) else None
    order = np.argsort(key, kind="stable")  # grouped by user, as the readers leave a Dataset
    return Dataset._adopt(u[order], i[order], v[order], None if t is None else t[order],
                          users=first.users, items=first.items, name=first.name, **first.side_kwargs())
