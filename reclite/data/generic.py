"""Any single file of interactions: :func:`read_csv` (columns named by the caller) and column guessing.

:func:`~reclite.data.detect.read_dataset` reads a single file with :func:`read_guessed`: the user, item,
value and time columns are recognised by their names (:data:`USER_COLUMNS` and the
other lists), or taken by position when the file has no header line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

from .._typing import PathLike
from ..errors import DataError, ParameterError
from ._columns import Interactions, build_dataset, checked_interactions, resolve_all
from ._files import check_file
from ._table import Column, Table, is_parquet, quote_list, read_parquet_table, read_text_table
from .dataset import Dataset

__all__ = ["read_csv", "USER_COLUMNS", "ITEM_COLUMNS", "VALUE_COLUMNS", "TIME_COLUMNS",
           "normalize_column_name"]

log = logging.getLogger(__name__)

#: column names read_dataset recognises, in order of preference (compared as
#: :func:`normalize_column_name` writes them: lower case, without ' ', '_', '-', '.')
USER_COLUMNS = ("user", "userid", "uid", "users", "customer", "customerid", "visitorid",
                "reviewerid", "memberid", "accountid", "listener", "listenerid")
ITEM_COLUMNS = ("item", "itemid", "movieid", "movie", "artistid", "artist", "iid", "items",
                "productid", "product", "trackid", "track", "songid", "bookid", "isbn", "asin",
                "videoid", "articleid", "sku")
VALUE_COLUMNS = ("rating", "value", "weight", "count", "score", "playcount", "plays",
                 "listencount", "clicks", "quantity", "ratings")
TIME_COLUMNS = ("timestamp", "time", "ts", "datetime", "date", "unixtime", "unixreviewtime",
                "eventtime", "createdat")


# --------------------------------------------------------------------------- read_csv
def read_csv(
    path: PathLike,
    user: Column = "user",
    item: Column = "item",
    value: Column | None = None,
    time: Column | None = None,
    sep: str | None = None,
    *,
    names: Sequence[str] | None = None,
    encoding: str | None = None,
) -> Dataset:
    """Read interactions from one CSV/TSV (or parquet) file.

    Parameters
    ----------
    path : str or path-like
        A delimited text file (optionally ``.gz``, ``.bz2`` or ``.xz`` compressed) or a
        ``.parquet`` file (also recognised by its content).
    user, item : str or int, default="user", "item"
        The columns holding user and item ids: a column name, or a 0-based position.
    value : str or int, optional
        The column of values (rating, play count...): finite numbers ``>= 0``.
        Without it every interaction has value 1.0.
    time : str or int, optional
        The column of timestamps: numbers (Unix seconds) or ISO 8601 dates.
    sep : str, optional
        The field separator. When None it is sniffed from the first lines: one of
        ``::``, tab, ``,``, ``|``, ``;`` (the one that splits every line into the same
        number of fields, the most fields winning). Any literal string works.
    names : sequence of str, optional
        Column names for a file **without a header line**: when given, the first line
        is data, and ``user``/``item``/``value``/``time`` refer to these names (or to
        positions). Without ``names`` the first line is the header, except that a
        first line made only of numbers (empty cells allowed) is taken as data (columns then go
        by position).
    encoding : str, optional
        Text encoding (any Python codec name). By default the file's byte-order mark
        decides (UTF-8, UTF-16, UTF-32), else UTF-8, falling back to Windows-1252 and
        then Latin-1; see the readers' conventions in :mod:`reclite.data`.

    Returns
    -------
    Dataset
        Named after the file (``"ratings.csv"``). Duplicate (user, item) pairs are
        merged, keeping the latest (a :class:`~reclite.errors.DataWarning` gives the count).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist (the message names it).
    DataError
        The file is empty, a column is missing, or a cell is empty or unreadable:
        ``"<path>: line 3: column 'rating' has 'abc'; expected a number"``. Line 1 is
        the first line of the file (the header); see :mod:`reclite.data`. Also a
        truncated or mislabelled archive, a file that is not text (or is UTF-16
        without a byte-order mark), and bytes the named ``encoding`` cannot read.
    ParameterError
        ``sep`` is empty, ``names`` repeat, ``encoding`` is not a codec Python knows.

    Examples
    --------
    >>> ds = read_csv("ratings.csv", user="userId", item="movieId",
    ...               value="rating", time="timestamp")          # doctest: +SKIP
    >>> ds = read_csv("u.data", user=0, item=1, value=2, time=3)   # headerless, by position  # doctest: +SKIP
    >>> ds = read_csv("plays.tsv", names=["u", "a", "n"], user="u", item="a", value="n")  # doctest: +SKIP
    """
    p = check_file(path)
    if is_parquet(p):
        if names is not None:
            raise ParameterError("names= is for text files without a header; parquet files name their "
                                 "columns")
        table = read_parquet_table(p)
    else:
        table = read_text_table(p, sep=sep, names=names, encoding=encoding)
    pos = resolve_all(table, {"user": user, "item": item, "value": value, "time": time})
    inter = checked_interactions(table, pos)
    return build_dataset(inter, p.name)


# --------------------------------------------------------------------------- sniffing columns
def normalize_column_name(name: str) -> str:
    """A column name as :func:`read_dataset` compares it with :data:`USER_COLUMNS` and the other lists.

    Lower case, without spaces, ``_``, ``-`` and ``.``: ``"User_ID"`` -> ``"userid"``.
    """
    return re.sub(r"[\s_\-.]", "", str(name)).lower()


def _guess_columns(columns: Sequence[str]) -> dict[str, int | None]:
    normed = [normalize_column_name(c) for c in columns]
    out: dict[str, int | None] = {}
    taken: set[int] = set()
    for role, candidates in (("user", USER_COLUMNS), ("item", ITEM_COLUMNS),
                             ("value", VALUE_COLUMNS), ("time", TIME_COLUMNS)):
        out[role] = None
        for cand in candidates:  # candidates in order of preference
            hits = [i for i, n in enumerate(normed) if n == cand and i not in taken]
            if hits:
                out[role] = hits[0]
                taken.add(hits[0])
                break
    return out


def _guess_error(table: Table, missing: list[str]) -> DataError:
    like = {"user": "user, userId, user_id", "item": "item, itemId, item_id, movieId, artistID"}
    wanted = " and ".join(f"{'a' if r == 'user' else 'an'} {r} column (named like {like[r]})" for r in missing)
    return DataError(
        f"{table.label}: cannot tell which columns hold users and items; the file's columns are "
        f"{quote_list(table.columns)}; expected {wanted}. Name them with "
        f"read_csv(path, user=..., item=..., value=..., time=...)")


def guessed_interactions(table: Table, given: dict[str, Column | None] | None = None) -> Interactions:
    """Interactions of a table whose columns are recognised by name (by position when headerless).

    ``given`` names some roles' columns (a name or a 0-based position, as for
    :func:`read_csv`); the other roles are recognised by their names among the remaining
    columns (by position ``user, item, value, time`` in a headerless table, when nothing
    is given).
    """
    roles = ["user", "item", "value", "time"]
    named_specs = {r: s for r, s in (given or {}).items() if s is not None}
    if not table.named and not named_specs:
        n = len(table.columns)
        table.columns = roles[:n] + [str(i) for i in range(len(roles), n)]
        table.named = True
        return checked_interactions(table, {r: (i if i < n else None) for i, r in enumerate(roles)})
    pos = resolve_all(table, {r: named_specs.get(r) for r in roles})
    if table.named:
        taken = {p for p in pos.values() if p is not None}
        guessed = _guess_columns(["" if i in taken else c for i, c in enumerate(table.columns)])
        pos = {r: (pos[r] if r in named_specs else guessed[r]) for r in roles}
    missing = [r for r in ("user", "item") if pos[r] is None]
    if missing:
        raise _guess_error(table, missing)
    log.info("%s: user=%r item=%r value=%r time=%r", table.label,
             *(None if (p := pos[r]) is None else table.columns[p] for r in roles))
    return checked_interactions(table, pos)


def read_guessed(path: Path, *, columns: dict[str, Column | None] | None = None, sep: str | None = None,
                 header: bool | None = None, encoding: str | None = None) -> Dataset:
    """A single file whose columns are recognised by their names (or by position when headerless).

    ``columns`` names some roles' columns (see :func:`guessed_interactions`); ``sep``,
    ``header`` (None: guessed, as :func:`read_csv` does) and ``encoding`` are for text
    files.
    """
    if is_parquet(path):
        if sep is not None or header is not None or encoding is not None:
            raise ParameterError(f"{path}: is a parquet file; sep=, header= and encoding= are for text files")
        table = read_parquet_table(path)
    else:
        table = read_text_table(path, sep=sep, header=header, encoding=encoding)
    return build_dataset(guessed_interactions(table, columns), path.name)
