"""HetRec 2011 Last.fm: ``user_artists.dat`` (user, artist, play count) and artist names."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._typing import PathLike
from ..errors import DataError
from ._columns import (
    build_dataset,
    checked_interactions,
    id_problem,
    per_item,
    raw_ids,
    required,
    resolve_all,
)
from ._table import first_hit, raise_first, read_text_table
from .dataset import Dataset, MultiHot
from .idmap import IdMap

__all__ = ["read_lastfm"]


def read_lastfm(path: PathLike) -> Dataset:
    """HetRec 2011 Last.fm: user_artists.dat (userID, artistID, weight) + artist names as titles.

    ``path`` is the folder holding ``user_artists.dat`` (and optionally ``artists.dat``);
    :func:`~reclite.data.detect.read_dataset` calls this when it finds that file. The
    value is the play count (``weight``); the Dataset is named after the folder.
    With ``tags.dat`` and ``user_taggedartists.dat`` beside it, ``attributes["tags"]``
    holds the tags users gave each artist (each tag once per artist).
    """
    folder = Path(path)
    table = read_text_table(folder / "user_artists.dat", sep="\t")
    pos = resolve_all(table, {"user": "userID", "item": "artistID", "value": "weight"})
    inter = checked_interactions(table, pos)
    artists = folder / "artists.dat"
    tag_items, tag_labels = _read_artist_tags(folder)

    def tags(items: IdMap) -> dict[str, Any]:
        if tag_items is None or tag_labels is None:
            return {}
        return {"attributes": {"tags": MultiHot.from_pairs(items.to_index(tag_items), tag_labels, len(items))}}

    if not artists.is_file():
        return build_dataset(inter, folder.resolve().name, extra_items=[] if tag_items is None else [tag_items],
                             side=tags)
    t = read_text_table(artists, sep="\t", quoting=csv.QUOTE_NONE)
    apos = resolve_all(t, {"item": "id", "title": "name"})
    item = required(apos, "item")
    raise_first(t, [id_problem(t, item, "item")])
    raw = raw_ids(t, item)
    names = t.col(required(apos, "title")).astype("str").fillna("").to_numpy(dtype=str)

    def side(items: IdMap) -> dict[str, Any]:
        return {"titles": per_item(items, raw, names, "", object).astype(str), **tags(items)}

    extra = [raw] if tag_items is None else [raw, tag_items]
    return build_dataset(inter, folder.resolve().name, extra_items=extra, side=side)


def _read_artist_tags(folder: Path) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
    """(raw artist id, tag) pairs from ``user_taggedartists.dat`` (userID, artistID, tagID, ...)
    and ``tags.dat`` (tagID, tagValue); (None, None) unless both files are there.

    A tag counts once per artist however many users gave it; tag ids that ``tags.dat``
    does not list are a DataError naming the file and line.
    """
    tagged, names = folder / "user_taggedartists.dat", folder / "tags.dat"
    if not (tagged.is_file() and names.is_file()):
        return None, None
    t = read_text_table(names, sep="\t", quoting=csv.QUOTE_NONE)
    tpos = resolve_all(t, {"tag": "tagID", "value": "tagValue"})
    tag_col = required(tpos, "tag")
    raise_first(t, [id_problem(t, tag_col, "tag")])
    vocab = pd.Series(t.col(required(tpos, "value")).astype("str").fillna("").str.strip().to_numpy(dtype=str),
                      index=raw_ids(t, tag_col))
    u = read_text_table(tagged, sep="\t", quoting=csv.QUOTE_NONE)
    upos = resolve_all(u, {"item": "artistID", "tag": "tagID"})
    item, tag = required(upos, "item"), required(upos, "tag")
    raise_first(u, [id_problem(u, item, "artist"), id_problem(u, tag, "tag")])
    tag_ids = raw_ids(u, tag)
    where = vocab.index.get_indexer(tag_ids)
    hit = first_hit(where < 0)
    if hit is not None:
        raise DataError(f"{u.label}: {u.where(hit[0])}: tagID {tag_ids[hit[0]].item()!r} is not in {names.name}"
                        + (f" ({hit[1]:,} such rows in all)" if hit[1] > 1 else ""))
    labels = vocab.to_numpy()[where]
    keep = labels != ""
    return raw_ids(u, item)[keep], labels[keep]
