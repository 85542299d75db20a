"""The movie-competition layout: ``train_ratings.csv`` plus optional (item, attribute) side files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .._typing import PathLike
from ..errors import DataError
from ._columns import as_float, build_dataset, id_problem, number_problem, per_item, raw_ids
from ._table import Table, quote_list, raise_first, read_text_table
from .dataset import Dataset, MultiHot
from .generic import guessed_interactions
from .idmap import IdMap

__all__ = ["read_movie_competition", "COMPETITION_FILES"]


#: side files of the competition layout: file -> (role, kind)
COMPETITION_FILES = {
    "genres.tsv": "genres",
    "years.tsv": "years",
    "directors.tsv": "directors",
    "writers.tsv": "writers",
    "titles.tsv": "titles",
}


def _read_pairs(path: Path) -> tuple[Table, np.ndarray]:
    """A tab-separated (item, attribute) file with a header; first column = item, second = attribute."""
    table = read_text_table(path, sep="\t", header=True)
    if len(table.columns) < 2:
        raise DataError(f"{path}: found 1 column ({quote_list(table.columns)}); expected 2 tab-separated "
                        "columns with a header line: item, then the attribute")
    raise_first(table, [id_problem(table, 0, "item")])
    return table, raw_ids(table, 0)


def read_movie_competition(path: PathLike) -> Dataset:
    """Read the movie-competition layout: ``train_ratings.csv`` plus optional side files.

    ``train_ratings.csv`` has a header with columns ``user``, ``item`` and ``time``
    (names like ``userId``/``movieId``/``timestamp`` are recognised too). It has no
    rating, so every value is 1.0 (a ``rating``/``value`` column, if present, is used).

    The optional side files are tab-separated with a header line and one row per
    (item, attribute) pair. Whatever the header says, the **first column is the item
    id and the second the attribute**:

    ================  =============================  ==============================
    file              attribute                      becomes
    ================  =============================  ==============================
    ``genres.tsv``    a genre                        ``Dataset.genres`` (sorted vocabulary)
    ``years.tsv``     a year (number)                ``Dataset.years`` (NaN when absent)
    ``directors.tsv`` a director                     ``Dataset.people["directors"]``
    ``writers.tsv``   a writer                       ``Dataset.people["writers"]``
    ``titles.tsv``    a title                        ``Dataset.titles``
    ================  =============================  ==============================

    An empty attribute cell is skipped (no information); for years and titles the
    first row of an item wins. Items that appear only in side files are kept in the
    item map (cold start). The Dataset is named after the folder.

    Raises
    ------
    FileNotFoundError
        The folder or its ``train_ratings.csv`` is missing.
    DataError
        As :func:`read_csv`, naming the file: ``years.tsv: line 4: column 'year' has
        'soon'; expected a year (a number)``.

    Examples
    --------
    >>> ds = read_movie_competition("data/competition")   # doctest: +SKIP
    >>> sorted(ds.people)                                  # doctest: +SKIP
    ['directors', 'writers']
    """
    folder = Path(path)
    if not folder.exists():
        raise FileNotFoundError(f"{folder}: no such file or folder")
    if folder.is_file():
        folder = folder.parent
    ratings = folder / "train_ratings.csv"
    if not ratings.is_file():
        raise FileNotFoundError(f"{ratings}: no such file (a movie-competition folder holds train_ratings.csv)")
    inter = guessed_interactions(read_text_table(ratings))

    extra: list[np.ndarray] = []
    pairs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    years = titles = None
    for fname, role in COMPETITION_FILES.items():
        fpath = folder / fname
        if not fpath.is_file():
            continue
        t, raw = _read_pairs(fpath)
        extra.append(raw)
        if role == "years":
            vals, bad = as_float(t.col(1))
            raise_first(t, [number_problem(t, 1, vals, bad, "a year (a number)", allow_empty=True)])
            years = (raw, vals)
        else:
            attr = t.col(1).astype("str").str.strip()
            keep = (attr.notna() & attr.ne("")).to_numpy(dtype=bool)
            text = attr[keep].to_numpy(dtype=str)
            if role == "titles":
                titles = (raw[keep], text)
            else:
                pairs[role] = (raw[keep], text)

    def side(items: IdMap) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "genres" in pairs:
            r, lab = pairs["genres"]
            out["genres"] = MultiHot.from_pairs(items.to_index(r), lab, len(items))
        people = {role: MultiHot.from_pairs(items.to_index(pairs[role][0]), pairs[role][1], len(items))
                  for role in ("directors", "writers") if role in pairs}
        if people:
            out["people"] = people
        if years is not None:
            r, v = years
            ok = ~np.isnan(v)
            out["years"] = per_item(items, r[ok], v[ok], np.nan, np.float64)
        if titles is not None:
            out["titles"] = per_item(items, titles[0], titles[1], "", object).astype(str)
        return out

    return build_dataset(inter, folder.resolve().name, extra_items=extra, side=side)
