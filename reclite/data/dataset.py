"""Dataset: interactions in int32 index space, the two IdMaps, and item side information."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._typing import INDEX_DTYPE, TIME_DTYPE, VALUE_DTYPE
from ..errors import DataError, DataWarning
from ._side import attach_attributes, attach_vectors
from .idmap import IdMap
from .multihot import MultiHot, _frozen, _owned

__all__ = ["Dataset", "MultiHot", "user_time_order"]


def user_time_order(user_idx: np.ndarray, times: np.ndarray, n_users: int) -> np.ndarray:
    """Positions that order interactions by user, then time, then their current order.

    One stable argsort of a composite ``(user << bits) | (time - min)`` key when it fits
    in 63 bits (about 10x faster than ``np.lexsort``); otherwise one argsort of
    ``user * n + ordinal time rank``, whose keys are unique.
    """
    u = np.asarray(user_idx).astype(np.int64, copy=False)
    t = np.asarray(times).astype(np.int64, copy=False)
    if len(t) == 0:
        return np.empty(0, dtype=np.intp)
    t_min = int(t.min())
    t_bits = (int(t.max()) - t_min).bit_length()
    u_bits = max(1, (max(n_users, 1) - 1).bit_length())
    if u_bits + t_bits <= 62:
        return np.argsort((u << t_bits) | (t - t_min), kind="stable")
    rank = np.empty(len(t), dtype=np.int64)
    rank[np.argsort(t, kind="stable")] = np.arange(len(t), dtype=np.int64)
    return np.argsort(u * len(t) + rank)


def _take(a: Any, dtype: Any, *, fresh: bool) -> np.ndarray:
    """``a`` as a frozen, C-contiguous array of ``dtype``, copied only when needed.

    Shared as it is when already frozen; taken over without a copy when ``fresh`` (an
    array built for this Dataset, which nobody else holds); copied otherwise, so that
    changing the caller's array afterwards cannot change the Dataset.
    """
    arr = np.asarray(a)
    if arr.dtype != dtype:
        return _owned(np.ascontiguousarray(arr.astype(dtype)))  # astype made a new array
    if arr.flags.c_contiguous and _frozen(arr):
        return arr
    if fresh and arr.flags.c_contiguous and arr.base is None:
        return _owned(arr)
    return _owned(np.array(arr, dtype=dtype, order="C", copy=True))


def _take_strings(a: Any) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype.kind == "U" and arr.flags.c_contiguous and _frozen(arr):
        return arr
    return _owned(arr.astype(str))


class _FrozenMapping(Mapping[str, "MultiHot"]):
    """A read-only mapping (role -> MultiHot); unlike ``MappingProxyType`` it can be pickled."""

    __slots__ = ("_d",)

    def __init__(self, d: Mapping[str, MultiHot]) -> None:
        self._d = dict(d)

    def __getitem__(self, key: str) -> MultiHot:
        return self._d[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __repr__(self) -> str:
        return f"{{{', '.join(f'{k!r}: MultiHot' for k in self._d)}}}"

    def __getstate__(self) -> dict[str, MultiHot]:
        return self._d

    def __setstate__(self, state: dict[str, MultiHot]) -> None:
        self._d = state


def _hash_array(h: Any, tag: str, a: np.ndarray | None) -> None:
    """Feed ``a`` to ``h`` under ``tag``, canonically: equal contents give equal bytes."""
    h.update(tag.encode() + b"\0")
    if a is None:
        h.update(b"-\0")
        return
    a = np.asarray(a)
    if a.dtype.kind in "UO":
        a = a.astype(str)
        width = int(np.char.str_len(a).max(initial=0)) if a.size else 0
        a = a.astype(f"<U{max(width, 1)}")  # the same strings give the same bytes at any itemsize
    elif a.dtype.kind == "f":
        a = np.where(np.isnan(a), np.nan, a).astype(a.dtype)  # one NaN bit pattern
    a = np.ascontiguousarray(a)
    h.update(f"{a.dtype.str}{a.shape}\0".encode())
    h.update(a.tobytes())


def _hash_multihot(h: Any, tag: str, mh: MultiHot | None) -> None:
    if mh is None:
        _hash_array(h, tag, None)
        return
    m = mh.matrix
    h.update(f"{tag}:{m.shape}\0".encode())
    _hash_array(h, tag + ".indptr", m.indptr.astype(np.int64))
    _hash_array(h, tag + ".indices", m.indices.astype(np.int64))
    _hash_array(h, tag + ".data", m.data)
    _hash_array(h, tag + ".vocabulary", mh.vocabulary)


class Dataset:
    """Interactions of users with items, with the id maps and item side information.

    A Dataset is built once and never changed: the constructor copies the arrays it
    is given (unless they are already frozen), every array it holds is read-only, the
    side information is frozen (read-only :class:`MultiHot` arrays, years and titles;
    ``people`` is a read-only mapping), and :meth:`subset` makes a new Dataset that
    shares both IdMaps and the side information, so a train and a test set always
    agree on indices.

    Parameters
    ----------
    user_idx, item_idx : array-like of int
        Interaction indices into ``users`` and ``items`` (stored as int32).
    value : array-like of float, optional
        Interaction values (ratings, play counts); 1.0 when omitted (float32).
    time : array-like of int, optional
        Timestamps (int64), or None when the data has no time.
    users, items : IdMap
        Raw ids of users and items. ``items`` may hold items without interactions
        (known from side information: they matter for cold start).
    genres : MultiHot, optional
        Item x genre membership.
    years : array-like of float, optional
        Release year per item, NaN when unknown.
    people : mapping of str to MultiHot, optional
        Item x person membership per role, e.g. ``{"directors": ..., "writers": ...}``
        (kept as a read-only mapping).
    titles : array-like of str, optional
        Title per item ("" when unknown).
    attributes : mapping of str to MultiHot, optional
        Any other multi-valued categorical item attribute by name: tags, categories,
        brand, artist... (kept as a read-only mapping; see :meth:`with_item_attributes`).
        A name may not be one of the other side information's (``genres``, ``years``,
        ``titles``, ``item_vectors`` or a ``people`` role).
    item_vectors : array-like of float, optional
        Item embeddings brought by the user (text or image encoders...), shape
        ``(n_items, d)``, float32; a row of NaN for an item without one (see
        :meth:`with_item_vectors`).
    name : str, default=""
        Where the data came from (shown in summaries and run records).

    Notes
    -----
    Duplicate (user, item) pairs are not allowed here; :meth:`from_frame` merges
    them by keeping the latest interaction (by time, then by file order).
    """

    def __init__(
        self,
        user_idx: Any,
        item_idx: Any,
        value: Any = None,
        time: Any = None,
        *,
        users: IdMap,
        items: IdMap,
        genres: MultiHot | None = None,
        years: Any = None,
        people: Mapping[str, MultiHot] | None = None,
        titles: Any = None,
        attributes: Mapping[str, MultiHot] | None = None,
        item_vectors: Any = None,
        name: str = "",
        duplicates_merged: int = 0,
    ) -> None:
        self._init(user_idx, item_idx, value, time, users=users, items=items, genres=genres, years=years,
                   people=people, titles=titles, attributes=attributes, item_vectors=item_vectors, name=name,
                   duplicates_merged=duplicates_merged, fresh=False)

    @classmethod
    def _adopt(cls, user_idx: np.ndarray, item_idx: np.ndarray, value: np.ndarray | None = None,
               time: np.ndarray | None = None, **kwargs: Any) -> Dataset:
        """Internal: a Dataset that takes over fresh interaction arrays without copying them.

        Only for arrays built for this Dataset and held by nobody else (the readers,
        :meth:`from_frame`, :meth:`subset`); they are frozen in place.
        """
        self = cls.__new__(cls)
        self._init(user_idx, item_idx, value, time, fresh=True, **kwargs)
        return self

    def _init(self, user_idx: Any, item_idx: Any, value: Any, time: Any, *, users: IdMap, items: IdMap,
              genres: MultiHot | None = None, years: Any = None, people: Mapping[str, MultiHot] | None = None,
              titles: Any = None, attributes: Mapping[str, MultiHot] | None = None, item_vectors: Any = None,
              name: str = "", duplicates_merged: int = 0, fresh: bool) -> None:
        u = _take(user_idx, INDEX_DTYPE, fresh=fresh)
        i = _take(item_idx, INDEX_DTYPE, fresh=fresh)
        n = len(u)
        if len(i) != n:
            raise ValueError(f"user_idx has {n} entries but item_idx has {len(i)}")
        v = (_owned(np.ones(n, dtype=VALUE_DTYPE)) if value is None
             else _take(value, VALUE_DTYPE, fresh=fresh))
        t = None if time is None else _take(time, TIME_DTYPE, fresh=fresh)
        if len(v) != n or (t is not None and len(t) != n):
            raise ValueError("value and time must have one entry per interaction")
        if n and (u.min() < 0 or u.max() >= len(users)):
            raise ValueError(f"user_idx out of range [0, {len(users)})")
        if n and (i.min() < 0 or i.max() >= len(items)):
            raise ValueError(f"item_idx out of range [0, {len(items)})")
        n_items = len(items)
        if genres is not None:
            if not isinstance(genres, MultiHot):
                raise TypeError(f"genres must be a MultiHot, got {type(genres).__name__}")
            if genres.matrix.shape[0] != n_items:
                raise ValueError(f"genres has {genres.matrix.shape[0]} rows, expected {n_items} (one per item)")
        if years is not None:
            years = _take(years, np.float64, fresh=False)
            if years.shape != (n_items,):
                raise ValueError(f"years has shape {years.shape}, expected ({n_items},)")
        if titles is not None:
            titles = _take_strings(titles)
            if titles.shape != (n_items,):
                raise ValueError(f"titles has shape {titles.shape}, expected ({n_items},)")
        if not isinstance(people, _FrozenMapping):
            people = _FrozenMapping(people or {})
        for role, mh in people.items():
            if not isinstance(mh, MultiHot):
                raise TypeError(f"people[{role!r}] must be a MultiHot, got {type(mh).__name__}")
            if mh.matrix.shape[0] != n_items:
                raise ValueError(f"people[{role!r}] has {mh.matrix.shape[0]} rows, expected {n_items}")
        if not isinstance(attributes, _FrozenMapping):
            attributes = _FrozenMapping(attributes or {})
        taken = {"genres", "years", "titles", "item_vectors", *people}
        for key, mh in attributes.items():
            if not isinstance(key, str) or not key or key in taken:
                raise ValueError(f"attribute name {key!r} is not allowed: expected a non-empty name other than "
                                 f"{', '.join(sorted(taken))}")
            if not isinstance(mh, MultiHot):
                raise TypeError(f"attributes[{key!r}] must be a MultiHot, got {type(mh).__name__}")
            if mh.matrix.shape[0] != n_items:
                raise ValueError(f"attributes[{key!r}] has {mh.matrix.shape[0]} rows, expected {n_items}")
        if item_vectors is not None:
            item_vectors = _take(item_vectors, VALUE_DTYPE, fresh=False)
            if item_vectors.ndim != 2 or item_vectors.shape[0] != n_items:
                raise ValueError(f"item_vectors has shape {item_vectors.shape}, expected ({n_items}, d)")
        self._user = u
        self._item = i
        self._value = v
        self._time = t
        self.users = users
        self.items = items
        self.genres = genres
        self.years = years
        self.people: Mapping[str, MultiHot] = people
        self.titles = titles
        self.attributes: Mapping[str, MultiHot] = attributes
        self.item_vectors = item_vectors
        self.name = name
        self.duplicates_merged = int(duplicates_merged)
        self._matrix: sp.csr_matrix | None = None

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickled arrays come back writeable: freeze them again."""
        state.setdefault("attributes", _FrozenMapping({}))  # pickled before attributes existed
        state.setdefault("item_vectors", None)
        for key in ("_user", "_item", "_value", "_time", "years", "titles", "item_vectors"):
            a = state.get(key)
            if isinstance(a, np.ndarray) and not _frozen(a):
                state[key] = _owned(a)
        self.__dict__.update(state)

    # ------------------------------------------------------------------ building
    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        user: str = "user",
        item: str = "item",
        value: str | None = None,
        time: str | None = None,
        *,
        items: IdMap | None = None,
        extra_items: Any = None,
        users: IdMap | None = None,
        source: str = "",
        name: str | None = None,
        **side: Any,
    ) -> Dataset:
        """Build a Dataset from a DataFrame of raw ids.

        ``extra_items`` are raw item ids to keep in the item map even without
        interactions (items known from side information). Given ``items`` /
        ``users`` maps are used as they are (unknown ids in ``df`` raise).
        Duplicate (user, item) pairs keep the latest row by ``time`` (ties and data
        without time: the last row in file order); the count is reported with a
        :class:`~reclite.errors.DataWarning` and kept in ``duplicates_merged``.
        ``source`` names the input in messages; ``name`` (default: ``source``) is the
        Dataset's name.
        """
        for col in (user, item, value, time):
            if col is not None and col not in df.columns:
                raise DataError(f"{source or 'data'}: no column {col!r}; columns are {list(df.columns)}")
        if users is None:
            users, uidx = IdMap.from_values(df[user].to_numpy(), name="user")
        else:
            uidx = users.to_index(df[user].to_numpy())
        if items is None:
            raw_items = df[item].to_numpy()
            if extra_items is not None:
                allv = np.concatenate([np.asarray(raw_items, dtype=object), np.asarray(extra_items, dtype=object)])
                items, codes = IdMap.from_values(allv, name="item")
                iidx = codes[: len(raw_items)]
            else:
                items, iidx = IdMap.from_values(raw_items, name="item")
        else:
            iidx = items.to_index(df[item].to_numpy())
        v = None if value is None else df[value].to_numpy(dtype=np.float64)
        t = None if time is None else df[time].to_numpy(dtype=np.int64)
        # order: by user, then time, then file order -> "last" is well defined
        order = (user_time_order(uidx, t, len(users)) if t is not None
                 else np.argsort(uidx, kind="stable"))
        uidx, iidx = uidx[order], iidx[order]
        v = None if v is None else v[order]
        t = None if t is None else t[order]
        key = uidx.astype(np.int64) * max(len(items), 1) + iidx
        # keep the last occurrence of each (user, item): the latest by time
        _, last_rev = np.unique(key[::-1], return_index=True)
        keep = np.sort(len(key) - 1 - last_rev)
        n_dup = len(key) - len(keep)
        if n_dup:
            warnings.warn(
                f"{source or 'data'}: {n_dup:,} duplicate (user, item) pairs merged, "
                "keeping the latest interaction of each", DataWarning, stacklevel=2)
            uidx, iidx = uidx[keep], iidx[keep]
            v = None if v is None else v[keep]
            t = None if t is None else t[keep]
        return cls._adopt(uidx, iidx, v, t, users=users, items=items, name=source if name is None else name,
                          duplicates_merged=n_dup, **side)

    def subset(self, rows: Any) -> Dataset:
        """A Dataset of some interactions (boolean mask or positions), same IdMaps and side info.

        The side information is shared, not copied: it is frozen.
        """
        rows = np.asarray(rows)
        if rows.dtype == bool and rows.shape != (len(self),):
            raise ValueError(f"mask has shape {rows.shape}, expected ({len(self)},)")
        return Dataset._adopt(
            self._user[rows], self._item[rows], self._value[rows],
            None if self._time is None else self._time[rows],
            users=self.users, items=self.items, name=self.name, **self.side_kwargs(),
        )

    def side_kwargs(self) -> dict[str, Any]:
        """The item side information as constructor arguments (shared, not copied: it is frozen)."""
        return {"genres": self.genres, "years": self.years, "people": self.people, "titles": self.titles,
                "attributes": self.attributes, "item_vectors": self.item_vectors}

    def with_item_attributes(self, attributes: Any) -> Dataset:
        """A new Dataset with item attributes attached (added, or replacing those of the same name).

        Parameters
        ----------
        attributes : ItemAttributes or mapping of str to MultiHot
            What :func:`reclite.read_item_attributes` returned (matched by raw item id),
            or MultiHots already in this Dataset's item order.

        Items of the file that the Dataset does not know are added to the item map
        (after the known ones, whose indices do not change) with no interactions, so
        they can be recommended cold; every other piece of side information gets an
        empty row for them. A file none of whose ids is an item of the Dataset is a
        :class:`~reclite.errors.DataError` naming the file. Attach before splitting:
        the parts of a split share this Dataset's item map.

        Examples
        --------
        >>> ds = ds.with_item_attributes(reclite.read_item_attributes("tags.csv"))  # doctest: +SKIP
        """
        return attach_attributes(self, attributes)

    def with_item_vectors(self, vectors: Any) -> Dataset:
        """A new Dataset with the item vectors :func:`reclite.read_item_vectors` returned.

        Items are matched by raw id as in :meth:`with_item_attributes` (unknown ones are
        added as items without interactions); items without a vector get a row of NaN.
        """
        return attach_vectors(self, vectors)

    # ------------------------------------------------------------------ access
    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def __len__(self) -> int:
        return len(self._user)

    @property
    def user_idx(self) -> np.ndarray:
        return self._user

    @property
    def item_idx(self) -> np.ndarray:
        return self._item

    @property
    def values(self) -> np.ndarray:
        return self._value

    @property
    def times(self) -> np.ndarray | None:
        return self._time

    @property
    def has_time(self) -> bool:
        return self._time is not None

    @property
    def interactions(self) -> pd.DataFrame:
        """Columns ``user``, ``item`` (int32 indices), ``value`` (float32), ``time`` (int64, if any)."""
        cols = {"user": self._user, "item": self._item, "value": self._value}
        if self._time is not None:
            cols["time"] = self._time
        return pd.DataFrame(cols)

    def to_frame(self) -> pd.DataFrame:
        """Interactions with raw ids."""
        df = pd.DataFrame({"user": self.users.to_raw(self._user), "item": self.items.to_raw(self._item),
                           "value": self._value})
        if self._time is not None:
            df["time"] = self._time
        return df

    def matrix(self, copy: bool = True) -> sp.csr_matrix:
        """Users x items ``scipy.sparse.csr_matrix`` of values (float32, sorted indices).

        Parameters
        ----------
        copy : bool, default=True
            True: a fresh copy each call (changing it does not change the Dataset).
            False: the Dataset's own cached matrix, for readers that only read it
            (no copy of its arrays, and scipy already knows its indices are sorted);
            it must not be modified.
        """
        if self._matrix is None:
            m = sp.csr_matrix((self._value, (self._user, self._item)),
                              shape=(self.n_users, self.n_items), dtype=VALUE_DTYPE)
            m.sort_indices()
            self._matrix = m
        return self._matrix.copy() if copy else self._matrix

    @property
    def side_information(self) -> list[str]:
        """Names of the item side information present: genres, years, people roles, titles,
        attribute names, item_vectors."""
        out = []
        if self.genres is not None:
            out.append("genres")
        if self.years is not None:
            out.append("years")
        out.extend(sorted(self.people))
        if self.titles is not None:
            out.append("titles")
        out.extend(sorted(self.attributes))
        if self.item_vectors is not None:
            out.append("item_vectors")
        return out

    def fingerprint(self) -> str:
        """A short hash of everything the Dataset holds except its name (for run records).

        Covers the interactions (users, items, values, times), both id maps (as text, so
        ``7`` and ``"7"`` agree) and the side information: genres, years, people (every
        role), titles, and the attributes and item vectors when there are any. Equal
        Datasets give equal fingerprints however they were built.
        """
        h = hashlib.sha256()
        for tag, a in (("user", self._user), ("item", self._item), ("value", self._value),
                       ("time", self._time), ("users", self.users.ids.astype(str)),
                       ("items", self.items.ids.astype(str)), ("years", self.years),
                       ("titles", self.titles)):
            _hash_array(h, tag, a)
        _hash_multihot(h, "genres", self.genres)
        h.update(f"people:{len(self.people)}\0".encode())
        for role in sorted(self.people):
            _hash_multihot(h, f"people.{role}", self.people[role])
        if self.attributes:  # only when present: the fingerprints of Datasets without them are unchanged
            h.update(f"attributes:{len(self.attributes)}\0".encode())
            for key in sorted(self.attributes):
                _hash_multihot(h, f"attributes.{key}", self.attributes[key])
        if self.item_vectors is not None:
            _hash_array(h, "item_vectors", self.item_vectors)
        return h.hexdigest()[:16]

    def summary(self) -> dict[str, Any]:
        """Counts, density, per-user interaction quantiles, and side information present."""
        counts = np.bincount(self._user, minlength=self.n_users)
        active_items = int(np.count_nonzero(np.bincount(self._item, minlength=self.n_items)))
        q = np.quantile(counts, [0.0, 0.25, 0.5, 0.75, 0.9, 1.0]) if self.n_users else np.zeros(6)
        out: dict[str, Any] = {
            "name": self.name,
            "users": self.n_users,
            "items": self.n_items,
            "items_with_interactions": active_items,
            "interactions": len(self),
            "density": len(self) / max(self.n_users * self.n_items, 1),
            "per_user": dict(zip(["min", "p25", "median", "p75", "p90", "max"], q.tolist())),
            "has_time": self.has_time,
            "value_range": [float(self._value.min()), float(self._value.max())] if len(self) else None,
            "side_information": self.side_information,
            "duplicates_merged": self.duplicates_merged,
        }
        if self.genres is not None:
            out["genres"] = len(self.genres.vocabulary)
        if self.years is not None:
            out["items_with_year"] = int(np.isfinite(self.years).sum())
        for role, mh in self.people.items():
            out[role] = len(mh.vocabulary)
        for key, mh in self.attributes.items():
            out.setdefault(key, len(mh.vocabulary))  # an attribute named like a count keeps the count
        if self.item_vectors is not None:
            out["item_vectors"] = {"dim": int(self.item_vectors.shape[1]),
                                   "items_with_vector": int(np.isfinite(self.item_vectors).all(axis=1).sum())}
        return out

    def __repr__(self) -> str:
        side = ", ".join(self.side_information) or "none"
        return (f"Dataset({self.name + ': ' if self.name else ''}{self.n_users:,} users x "
                f"{self.n_items:,} items, {len(self):,} interactions; side information: {side})")

    @classmethod
    def from_matrix(cls, matrix: sp.spmatrix | sp.sparray, name: str = "matrix") -> Dataset:
        """A Dataset from a users x items scipy sparse matrix of values; raw ids are the indices.

        Row ``u`` is the user with raw id ``u`` and column ``i`` the item with raw id
        ``i`` (id maps of ``0..n-1`` named ``user`` and ``item``); every stored
        entry is an interaction with the stored value (repeated entries of one cell are
        summed, scipy's convention). There is no time and no side information.

        Raises
        ------
        ParameterTypeError
            ``matrix`` is not a scipy sparse matrix.
        """
        if not sp.issparse(matrix):
            from ..errors import ParameterTypeError

            raise ParameterTypeError(f"Dataset.from_matrix expects a users x items scipy sparse matrix, "
                                     f"got {type(matrix).__name__}")
        coo = sp.coo_matrix(matrix)
        coo.sum_duplicates()
        n_users, n_items = coo.shape
        return cls(coo.row, coo.col, coo.data, users=IdMap(np.arange(n_users), "user"),
                   items=IdMap(np.arange(n_items), "item"), name=name)
