"""Attaching item attributes and item vectors to a Dataset by raw item id.

The readers (:mod:`reclite.data.attributes`) return :class:`ItemAttributes` and
:class:`ItemVectors`: raw ids with their values. :meth:`Dataset.with_item_attributes` and
:meth:`Dataset.with_item_vectors` call :func:`attach_attributes` and :func:`attach_vectors`
here, which match them to the Dataset's items, add the ids it does not know as items
without interactions, and rebuild the Dataset. (This module knows the Dataset only by the
object it is given, so ``dataset`` can import it without an import cycle.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._typing import VALUE_DTYPE
from ..errors import DataError, ParameterError, ParameterTypeError
from .idmap import IdMap, union_ids
from .multihot import MultiHot

__all__ = ["ItemAttributes", "ItemVectors", "attach_attributes", "attach_vectors"]


@dataclass(frozen=True, eq=False)
class ItemAttributes:
    """Item attributes read from a file, by raw item id (attach with ``Dataset.with_item_attributes``).

    Attributes
    ----------
    source : str
        The file they came from (named in messages).
    items : ndarray
        Every item id the file lists (int64 or str), in file order, each once.
    values : dict of str to (ndarray, ndarray)
        Per attribute, aligned arrays of raw item ids and labels: one entry per
        (item, label) pair.
    """

    source: str
    items: np.ndarray
    values: dict[str, tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, eq=False)
class ItemVectors:
    """Item vectors read from a file (attach with ``Dataset.with_item_vectors``).

    Attributes
    ----------
    source : str
        The file they came from.
    ids : ndarray
        Raw item ids (int64 or str), distinct, one per row of ``vectors``.
    vectors : ndarray of shape (n, d), float32
        Finite values.
    """

    source: str
    ids: np.ndarray
    vectors: np.ndarray


# ---------------------------------------------------------------------- attaching
def _extended(ds: Any, new_ids: np.ndarray) -> tuple[IdMap, dict[str, Any]]:
    """The item map with ``new_ids`` appended (known indices kept), and the side information padded."""
    side = ds.side_kwargs()
    if len(new_ids) == 0:
        return ds.items, side
    ids = union_ids(ds.items.ids, new_ids)
    items = IdMap(ids, name=ds.items.name)
    n_new = len(new_ids)

    def pad(mh: MultiHot | None) -> MultiHot | None:
        if mh is None:
            return None
        return MultiHot(sp.vstack([mh.matrix, sp.csr_matrix((n_new, mh.matrix.shape[1]), dtype=VALUE_DTYPE)],
                                  format="csr"), mh.vocabulary)

    vec = side["item_vectors"]
    out = {
        "genres": pad(side["genres"]),
        "years": None if side["years"] is None else np.concatenate([side["years"], np.full(n_new, np.nan)]),
        "people": {k: pad(v) for k, v in side["people"].items()},
        "titles": None if side["titles"] is None else np.concatenate([side["titles"], np.full(n_new, "")]),
        "attributes": {k: pad(v) for k, v in side["attributes"].items()},
        "item_vectors": None if vec is None else np.vstack([vec, np.full((n_new, vec.shape[1]), np.nan,
                                                                         dtype=VALUE_DTYPE)]),
    }
    return items, out


def _match(ds: Any, raw: np.ndarray, source: str) -> tuple[IdMap, dict[str, Any]]:
    """``ds``'s item map extended by the ids of ``raw`` it does not know; a DataError when none match."""
    idx = ds.items.to_index(raw, missing="negative")
    if len(raw) and not (idx >= 0).any():
        theirs = ", ".join(map(repr, np.asarray(raw)[:3].tolist()))
        ours = ", ".join(map(repr, ds.items.ids[:3].tolist()))
        raise DataError(f"{source}: none of its {len(raw):,} item ids (e.g. {theirs}) is an item of "
                        f"{ds.name or 'the Dataset'} (whose item ids are e.g. {ours}); check the item column")
    return _extended(ds, pd.unique(raw[idx < 0]))


def _rebuilt(ds: Any, items: IdMap, side: dict[str, Any]) -> Any:
    """A Dataset of ``ds``'s class: the same interactions with new items and side information."""
    return type(ds)(ds.user_idx, ds.item_idx, ds.values, ds.times, users=ds.users, items=items, name=ds.name,
                   duplicates_merged=ds.duplicates_merged, **side)


def attach_attributes(ds: Any, attributes: Any) -> Any:
    """:meth:`Dataset.with_item_attributes` (see there)."""
    taken = {"genres", "years", "titles", "item_vectors", *ds.people}
    if isinstance(attributes, ItemAttributes):
        source = attributes.source
        clash = [k for k in attributes.values if k in taken]
        if clash:
            raise ParameterError(f"{source}: attribute {clash[0]!r} would hide the Dataset's own {clash[0]}; "
                                 "rename the column (or pass name= for a JSON list)")
        items, side = _match(ds, attributes.items, source)
        new = {k: MultiHot.from_pairs(items.to_index(it), lab, len(items)) for k, (it, lab) in
               attributes.values.items()}
    elif isinstance(attributes, Mapping):
        items, side = ds.items, ds.side_kwargs()
        new = dict(attributes)
        for k, mh in new.items():
            if not isinstance(mh, MultiHot) or mh.matrix.shape[0] != ds.n_items:
                raise ParameterError(f"with_item_attributes: {k!r} must be a MultiHot with {ds.n_items:,} rows "
                                     "(one per item)")
            if k in taken:
                raise ParameterError(f"with_item_attributes: attribute {k!r} would hide the Dataset's own {k}")
    else:
        raise ParameterTypeError("with_item_attributes expects what read_item_attributes returned or a mapping "
                                 f"of names to MultiHot; got {type(attributes).__name__} (read a file with "
                                 "reclite.read_item_attributes first)")
    side["attributes"] = {**side["attributes"], **new}
    return _rebuilt(ds, items, side)


def attach_vectors(ds: Any, vectors: Any) -> Any:
    """:meth:`Dataset.with_item_vectors` (see there)."""
    if not isinstance(vectors, ItemVectors):
        raise ParameterTypeError("with_item_vectors expects what read_item_vectors returned; got "
                                 f"{type(vectors).__name__} (read a file with reclite.read_item_vectors first)")
    items, side = _match(ds, vectors.ids, vectors.source)
    full = np.full((len(items), vectors.vectors.shape[1]), np.nan, dtype=VALUE_DTYPE)
    full[items.to_index(vectors.ids)] = vectors.vectors
    side["item_vectors"] = full
    return _rebuilt(ds, items, side)
