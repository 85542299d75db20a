"""read_dataset: which layout a path holds, read by that layout's reader.

A new layout gets its own module beside :mod:`~reclite.data.movielens`,
:mod:`~reclite.data.competition` and :mod:`~reclite.data.lastfm`, and one check in
:func:`read_dataset` below (and a row in its table).
"""

from __future__ import annotations

from pathlib import Path

from .._typing import PathLike
from ..errors import DataError
from ._files import folder_listing
from .competition import read_movie_competition
from .dataset import Dataset
from .generic import read_guessed
from .lastfm import read_lastfm
from .movielens import read_movielens

__all__ = ["read_dataset"]


def read_dataset(path: PathLike) -> Dataset:
    """Read any layout reclite knows, telling which from what is there.

    ======================================  =============================================
    found                                   read with
    ======================================  =============================================
    a folder with ``u.data``                :func:`read_movielens` (ml-100k)
    a folder with ``ratings.dat``           :func:`read_movielens` (ml-1m, ml-10m)
    a folder with ``ratings.csv``           :func:`read_movielens` (ml-20m, ml-25m, ml-latest)
    a folder with ``train_ratings.csv``     :func:`read_movie_competition`
    a folder with ``user_artists.dat``      HetRec 2011 Last.fm (``weight`` as value, artist
                                            names from ``artists.dat`` as titles)
    a single file                           :func:`read_csv`, columns recognised by name
    ======================================  =============================================

    For a single file the columns are found by their names, compared case-insensitively
    and ignoring ``_``, ``-`` and spaces: users ``user``, ``userId``, ``user_id``,
    ``uid``, ``customerId``...; items ``item``, ``itemId``, ``movieId``, ``artistID``,
    ``productId``...; values ``rating``, ``value``, ``weight``, ``count``, ``score``...;
    times ``timestamp``, ``time``, ``ts``, ``date``... (see :data:`~reclite.data.generic.USER_COLUMNS` and the
    other lists). A headerless file (first line all numbers) is read as
    ``user, item[, value[, time]]`` by position.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    DataError
        A folder matching no layout (the message lists what was looked for and what is
        there), a file whose user and item columns cannot be recognised, or bad data.

    Examples
    --------
    >>> ds = read_dataset("data/ml-latest-small")                      # doctest: +SKIP
    >>> ds = read_dataset("data/hetrec2011-lastfm-2k/user_artists.dat") # doctest: +SKIP
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file or folder")
    if p.is_file():
        return read_guessed(p)
    if not p.is_dir():  # pragma: no cover - sockets, devices
        raise DataError(f"{p}: not a file or a folder")
    if (p / "u.data").is_file() or (p / "ratings.dat").is_file() or (p / "ratings.csv").is_file():
        return read_movielens(p)
    if (p / "train_ratings.csv").is_file():
        return read_movie_competition(p)
    if (p / "user_artists.dat").is_file():
        return read_lastfm(p)
    raise DataError(
        f"{p}: no dataset layout recognised; looked for u.data (MovieLens 100K), ratings.dat "
        f"(MovieLens 1M/10M), ratings.csv (MovieLens 20M/25M/latest), train_ratings.csv (movie "
        f"competition) and user_artists.dat (HetRec Last.fm); found {folder_listing(p)}. "
        f"Pass a single ratings file instead, or use read_csv")
