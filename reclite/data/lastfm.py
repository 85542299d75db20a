"""HetRec 2011 Last.fm: ``user_artists.dat`` (user, artist, play count) and artist names."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from .._typing import PathLike
from ._columns import (
    build_dataset,
    checked_interactions,
    id_problem,
    per_item,
    raw_ids,
    required,
    resolve_all,
)
from ._table import raise_first, read_text_table
from .dataset import Dataset
from .idmap import IdMap

__all__ = ["read_lastfm"]


def read_lastfm(path: PathLike) -> Dataset:
    """HetRec 2011 Last.fm: user_artists.dat (userID, artistID, weight) + artist names as titles.

    ``path`` is the folder holding ``user_artists.dat`` (and optionally ``artists.dat``);
    :func:`~reclite.data.detect.read_dataset` calls this when it finds that file. The
    value is the play count (``weight``); the Dataset is named after the folder.
    """
    folder = Path(path)
    table = read_text_table(folder / "user_artists.dat", sep="\t")
    pos = resolve_all(table, {"user": "userID", "item": "artistID", "value": "weight"})
    inter = checked_interactions(table, pos)
    artists = folder / "artists.dat"
    if not artists.is_file():
        return build_dataset(inter, folder.resolve().name)
    t = read_text_table(artists, sep="\t", quoting=csv.QUOTE_NONE)
    apos = resolve_all(t, {"item": "id", "title": "name"})
    item = required(apos, "item")
    raise_first(t, [id_problem(t, item, "item")])
    raw = raw_ids(t, item)
    names = t.col(required(apos, "title")).astype("str").fillna("").to_numpy(dtype=str)

    def side(items: IdMap) -> dict[str, Any]:
        return {"titles": per_item(items, raw, names, "", object).astype(str)}

    return build_dataset(inter, folder.resolve().name, extra_items=[raw], side=side)
