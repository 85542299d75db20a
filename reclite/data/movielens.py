"""MovieLens folders in their original GroupLens layouts: ml-100k, ml-1m/10m (``.dat``), ml-20m and later (``.csv``)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._typing import PathLike
from ..errors import DataError
from ._columns import (
    Interactions,
    as_float,
    build_dataset,
    checked_interactions,
    id_problem,
    number_problem,
    per_item,
    raw_ids,
    required,
    resolve_all,
)
from ._files import folder_listing
from ._table import Column, Problem, Table, first_hit, fmt_value, raise_first, read_text_table
from .dataset import Dataset, MultiHot
from .idmap import IdMap

__all__ = ["read_movielens", "ML100K_GENRES"]

_YEAR_IN_TITLE = r"\((\d{4})[^()]*\)\s*$"  # "Toy Story (1995)", "Show (2007-2013)"
_NO_GENRES = "(no genres listed)"

# The 19 genres of MovieLens 100K (u.genre), used only when u.genre is missing.
ML100K_GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
                 "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
                 "Romance", "Sci-Fi", "Thriller", "War", "Western")


def _years_from_titles(titles: pd.Series) -> np.ndarray:
    """The year of each title's ``(1995)`` at its end; NaN where there is none."""
    return titles.astype("str").str.extract(_YEAR_IN_TITLE, expand=False).astype("float64").to_numpy()


def _ml_folder(path: PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file or folder")
    if p.is_file():
        if p.name in ("u.data", "ratings.dat", "ratings.csv"):
            return p.parent
        raise DataError(f"{p}: expected a MovieLens folder (holding u.data, ratings.dat or ratings.csv)")
    return p


def read_movielens(path: PathLike) -> Dataset:
    """Read a MovieLens folder in its original GroupLens layout.

    ===================================  =============================================  ==========================
    folder                               ratings                                        movies
    ===================================  =============================================  ==========================
    ml-100k                              ``u.data``: tab, ``user item rating timestamp``  ``u.item`` (``|``, Latin-1) + ``u.genre``
    ml-1m, ml-10m (ml-10M100K)           ``ratings.dat``: ``user::item::rating::timestamp``  ``movies.dat``: ``item::title::A|B``
    ml-20m, ml-25m, ml-latest(-small)    ``ratings.csv``: ``userId,movieId,rating,timestamp``  ``movies.csv``: ``movieId,title,genres``
    ===================================  =============================================  ==========================

    The value is the rating and the time the timestamp. Side information:

    - **genres** as a :class:`MultiHot`. ml-100k keeps its 19 columns in ``u.genre``
      order (``unknown`` first, so column j is genre flag j of ``u.item``); the other
      layouts sort the genre names alphabetically, and ``(no genres listed)`` means none.
    - **years** (float, NaN when unknown) from the ``(1995)`` at the end of the title
      (the same rule in every layout); in ml-100k the year of the release date
      (``01-Jan-1995``) fills in titles without one.
    - **titles** exactly as in the file (``"Toy Story (1995)"``); ``""`` when unknown.
    - **attributes["tags"]** (ml-20m and later, when ``tags.csv`` is there): the tags
      users gave each movie, stripped and lower-cased (a tag once per movie however
      many users gave it).

    Movies listed in the movie file without ratings stay in the item map (cold-start
    items); the movie file is optional. The Dataset is named after the folder
    (``"ml-100k"``).

    Parameters
    ----------
    path : str or path-like
        The folder (or its ratings file).

    Raises
    ------
    FileNotFoundError, DataError
        As :func:`read_csv`, naming the file inside the folder.

    Examples
    --------
    >>> ds = read_movielens("data/ml-100k")   # doctest: +SKIP
    >>> ds.n_users, ds.n_items, len(ds)       # doctest: +SKIP
    (943, 1682, 100000)
    """
    folder = _ml_folder(path)
    name = folder.resolve().name
    if (folder / "u.data").is_file():
        return _read_ml100k(folder, name)
    if (folder / "ratings.dat").is_file():
        return _read_ml_dat(folder, name)
    if (folder / "ratings.csv").is_file():
        return _read_ml_csv(folder, name)
    raise DataError(f"{folder}: not a MovieLens folder; looked for u.data (ml-100k), ratings.dat "
                    f"(ml-1m, ml-10m) and ratings.csv (ml-20m, ml-25m, ml-latest); found "
                    f"{folder_listing(folder)}")


def _ml_ratings(path: Path, sep: str, header: bool) -> Interactions:
    names = None if header else ["user", "item", "rating", "timestamp"]
    table = read_text_table(path, sep=sep, names=names, header=header, quoting=csv.QUOTE_NONE)
    if header:
        specs: dict[str, Column | None] = {"user": "userId", "item": "movieId", "value": "rating",
                                           "time": "timestamp"}
    else:
        specs = {"user": "user", "item": "item", "value": "rating", "time": "timestamp"}
    return checked_interactions(table, resolve_all(table, specs))


def _genre_pairs(table: Table, item_pos: int, genre_pos: int) -> tuple[np.ndarray, np.ndarray]:
    """(raw item id, genre) pairs from a column of 'A|B|C' lists."""
    genres = table.col(genre_pos).astype("str").fillna("")
    split = genres.str.split("|").explode()
    labels = split.str.strip()
    keep = (labels != "") & (labels != _NO_GENRES) & labels.notna()
    item_raw = raw_ids(table, item_pos)
    rows = split.index.to_numpy()[keep.to_numpy(dtype=bool)]
    return item_raw[rows], labels[keep].to_numpy(dtype=str)


def _movie_side(table: Table, item_pos: int, title_pos: int, genre_pos: int):
    raw = raw_ids(table, item_pos)
    titles = table.col(title_pos).astype("str").fillna("")
    years = _years_from_titles(titles)
    pair_items, labels = _genre_pairs(table, item_pos, genre_pos)

    def side(items: IdMap) -> dict[str, Any]:
        return {
            "genres": MultiHot.from_pairs(items.to_index(pair_items), labels, len(items)),
            "years": per_item(items, raw, years, np.nan, np.float64),
            "titles": per_item(items, raw, titles.to_numpy(dtype=str), "", object).astype(str),
        }

    return raw, side


def _read_ml_dat(folder: Path, name: str) -> Dataset:
    inter = _ml_ratings(folder / "ratings.dat", "::", header=False)
    movies = folder / "movies.dat"
    if not movies.is_file():
        return build_dataset(inter, name)
    table = read_text_table(movies, sep="::", names=["item", "title", "genres"], quoting=csv.QUOTE_NONE)
    raise_first(table, [id_problem(table, 0, "item")])
    raw, side = _movie_side(table, 0, 1, 2)
    return build_dataset(inter, name, extra_items=[raw], side=side)


def _read_ml_csv(folder: Path, name: str) -> Dataset:
    inter = _ml_ratings(folder / "ratings.csv", ",", header=True)
    movies = folder / "movies.csv"
    if not movies.is_file():
        return build_dataset(inter, name)
    table = read_text_table(movies, sep=",", header=True)
    pos = resolve_all(table, {"item": "movieId", "title": "title", "genres": "genres"})
    item = required(pos, "item")
    raise_first(table, [id_problem(table, item, "item")])
    raw, side = _movie_side(table, item, required(pos, "title"), required(pos, "genres"))
    tags = folder / "tags.csv"
    if not tags.is_file():
        return build_dataset(inter, name, extra_items=[raw], side=side)
    tag_items, tag_labels = _read_tags(tags)

    def with_tags(items: IdMap) -> dict[str, Any]:
        return {**side(items), "attributes": {"tags": MultiHot.from_pairs(items.to_index(tag_items), tag_labels,
                                                                         len(items))}}

    return build_dataset(inter, name, extra_items=[raw, tag_items], side=with_tags)


def _read_tags(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(raw movie id, tag) pairs of ``tags.csv`` (``userId,movieId,tag,timestamp``).

    Tags are user-written free text: they are kept stripped and lower-cased, so
    ``Funny`` and ``funny`` are one label; empty tags are dropped.
    """
    table = read_text_table(path, sep=",", header=True)
    pos = resolve_all(table, {"item": "movieId", "tag": "tag"})
    item = required(pos, "item")
    raise_first(table, [id_problem(table, item, "item")])
    labels = table.col(required(pos, "tag")).astype("str").fillna("").str.strip().str.lower()
    keep = (labels != "").to_numpy(dtype=bool)
    return raw_ids(table, item)[keep], labels.to_numpy(dtype=str)[keep]


def _read_ml100k_genres(folder: Path) -> list[str]:
    path = folder / "u.genre"
    if not path.is_file():
        return list(ML100K_GENRES)
    table = read_text_table(path, sep="|", names=["genre", "index"], quoting=csv.QUOTE_NONE,
                       encoding="latin-1")
    idx, bad = as_float(table.col(1))
    raise_first(table, [id_problem(table, 0, "genre"),
                         number_problem(table, 1, idx, bad, "a column number")])
    order = np.argsort(idx, kind="stable")
    return table.col(0).astype("str").to_numpy(dtype=str)[order].tolist()


def _read_ml100k(folder: Path, name: str) -> Dataset:
    inter = _ml_ratings(folder / "u.data", "\t", header=False)
    path = folder / "u.item"
    if not path.is_file():
        return build_dataset(inter, name)
    vocab = _read_ml100k_genres(folder)
    head = ["item", "title", "release date", "video release date", "IMDb URL"]
    table = read_text_table(path, sep="|", names=head + vocab, quoting=csv.QUOTE_NONE, encoding="latin-1",
                       names_help=f"{', '.join(head)} and the {len(vocab)} genre flags named in u.genre")
    flags = []
    problems: list[Problem | None] = [id_problem(table, 0, "item")]
    for j in range(len(head), len(head) + len(vocab)):
        vals, bad = as_float(table.col(j))
        bad = bad | ~np.isin(vals, (0.0, 1.0))
        hit = first_hit(bad)
        if hit is not None:
            problems.append(Problem(hit[0], f"{table.colname(j)} has {fmt_value(table.col(j).iloc[hit[0]])!r}; "
                                     "expected 0 or 1", hit[1]))
        flags.append(vals == 1.0)
    raise_first(table, problems)
    raw = raw_ids(table, 0)
    titles = table.col(1).astype("str").fillna("")
    released = (table.col(2).astype("str").str.extract(r"(\d{4})\s*$", expand=False)
                .astype("float64").to_numpy())
    years = _years_from_titles(titles)
    years = np.where(np.isnan(years), released, years)
    flag_matrix = np.column_stack(flags)
    rows, cols = np.nonzero(flag_matrix)

    def side(items: IdMap) -> dict[str, Any]:
        return {
            "genres": MultiHot.from_pairs(items.to_index(raw[rows]), np.asarray(vocab)[cols], len(items),
                                          vocabulary=np.asarray(vocab)),
            "years": per_item(items, raw, years, np.nan, np.float64),
            "titles": per_item(items, raw, titles.to_numpy(dtype=str), "", object).astype(str),
        }

    return build_dataset(inter, name, extra_items=[raw], side=side)
