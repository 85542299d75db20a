"""`reclite recommend`'s output, streamed: users in batches, each batch written as it is ranked.

Memory stays within the ranking budget (``--max-memory``, the dense score blocks) plus
one batch of output rows (:data:`ROWS_PER_BATCH` rows: the batch's lists as a table and
its encoded text), whatever the number of users. A file is written atomically
(``reclite._fs.atomic_write``: a temporary file beside it, renamed at the end; an error,
Ctrl-C or SIGTERM leaves the previous file or nothing); stdout gets each batch as soon
as it is ranked.

Formats: ``csv`` (``user,item,rank,score[,title]``, scores with 6 significant digits),
``jsonl`` (one JSON object per line, the same columns; ids keep their type) and
``parquet`` (needs pyarrow: ``pip install "reclite[parquet]"``; a file only).
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["FORMATS", "ROWS_PER_BATCH", "output_format", "item_titles", "stream_recommendations", "write_table"]

FORMATS = ("csv", "jsonl", "parquet")
ROWS_PER_BATCH = 100_000
"""Output rows per batch: users per batch are ``ROWS_PER_BATCH // k`` (at least one)."""

COLUMNS = ["user", "item", "rank", "score"]
_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
             ".pq": "parquet"}


def output_format(fmt: str | None, out: Path | None) -> str:
    """The format to write: ``fmt`` when given, else the one ``out``'s suffix names, else csv."""
    from reclite.errors import ParameterError

    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise ParameterError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    else:
        fmt = _SUFFIXES.get(out.suffix.lower(), "csv") if out is not None else "csv"
    if fmt == "parquet":
        if out is None:
            raise ParameterError("--format parquet writes a file: give --out FILE.parquet (stdout gets csv "
                                 "or jsonl)")
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ParameterError('--format parquet needs pyarrow: pip install "reclite[parquet]"') from None
    return fmt


def item_titles(data: Any, source: str) -> Any:
    """A pandas Series: raw item id -> title, from a Dataset's titles.

    Raises :class:`~reclite.errors.DataError` naming ``source`` when it has no titles.
    """
    import pandas as pd

    from reclite.errors import DataError

    if getattr(data, "titles", None) is None:
        raise DataError(f"--titles: {source} has no item titles (a MovieLens folder or a movies file has "
                        "them)")
    return pd.Series(data.titles, index=pd.Index(data.items.ids), copy=False)


class _Writer:
    """Appends batches (DataFrames) to an open stream in one format."""

    def __init__(self, fh: IO[Any], fmt: str) -> None:
        self.fh = fh
        self.fmt = fmt
        self.rows = 0
        self.batches = 0
        self._parquet: Any = None

    def write(self, frame: Any) -> None:
        if self.fmt == "csv":
            self.fh.write(frame.to_csv(index=False, header=self.batches == 0, float_format="%.6g",
                                       lineterminator="\n"))
        elif self.fmt == "jsonl":
            if len(frame):
                text = frame.to_json(orient="records", lines=True, double_precision=6, force_ascii=False)
                self.fh.write(text if text.endswith("\n") else text + "\n")
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.fh, table.schema)
            self._parquet.write_table(table.cast(self._parquet.schema))
        self.fh.flush()
        self.rows += len(frame)
        self.batches += 1

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()


@contextlib.contextmanager
def _open(out: Path | None, fmt: str) -> Iterator[_Writer]:
    if out is None:
        writer = _Writer(sys.stdout, fmt)
        yield writer
        writer.close()
        return
    from reclite._fs import atomic_write

    with atomic_write(out, "wb" if fmt == "parquet" else "w") as fh:
        writer = _Writer(fh, fmt)
        yield writer
        writer.close()


def stream_recommendations(model: Any, users: Any, k: int, *, out: Path | None, fmt: str = "csv",
                           exclude: Any = None, on_unknown: str = "raise", max_memory: str | None = None,
                           titles: Any = None, batch_users: int | None = None) -> tuple[int, int]:
    """Rank ``users`` (raw ids; None: every user of ``model``) batch by batch and write the
    lists as they come; returns (rows written, users).

    Unknown users are checked before anything is written: with ``on_unknown="raise"``
    the library's :class:`~reclite.errors.UnknownIdError` names them; with ``"popular"``
    one DataWarning gives their count. Each batch goes through ``model.recommend``, so
    the lists are those of one ``model.recommend(users, k, ...)`` call. ``titles`` (a
    Series from :func:`item_titles`) adds a ``title`` column (empty for an item without one).
    """
    import numpy as np

    from reclite._progress import phase
    from reclite.errors import DataWarning

    ids = model.users_.ids if users is None else np.atleast_1d(np.asarray(users))
    if users is not None:
        idx = model.users_.to_index(ids, missing="raise" if on_unknown == "raise" else "negative")
        n_unknown = int(np.count_nonzero(idx < 0))
        if n_unknown:
            warnings.warn(f"{n_unknown:,} unknown user{'s' if n_unknown != 1 else ''} got the most popular "
                          "items", DataWarning, stacklevel=2)
    n = len(ids)
    per_batch = batch_users or max(1, ROWS_PER_BATCH // max(int(k), 1))
    with _open(out, fmt) as writer, phase("recommend", total=n, unit="users") as step:
        for start in range(0, max(n, 1), per_batch):
            batch = ids[start:start + per_batch]
            with warnings.catch_warnings():  # counted once above, not once per batch
                warnings.filterwarnings("ignore", message=r".*unknown users? got the most popular items",
                                        category=DataWarning)
                recs = model.recommend(users=batch, k=k, exclude=exclude, on_unknown=on_unknown,
                                       max_memory=max_memory)
            frame = recs[COLUMNS]
            if titles is not None:
                frame = frame.assign(title=frame["item"].map(titles).fillna("").astype(str).to_numpy())
            writer.write(frame)
            step(len(batch))
        rows = writer.rows
    return rows, n


def write_table(frame: Any, out: Path | None, fmt: str = "csv", *, what: str = "writing") -> int:
    """Write a table already in memory (``reclite ensemble``'s fused lists) in the chosen
    format, :data:`ROWS_PER_BATCH` rows at a time (no whole-output string); returns the rows."""
    from reclite._progress import phase

    n = len(frame)
    with _open(out, fmt) as writer, phase(what, total=n, unit="rows") as step:
        for start in range(0, max(n, 1), ROWS_PER_BATCH):
            part = frame.iloc[start:start + ROWS_PER_BATCH]
            writer.write(part)
            step(len(part))
        return writer.rows
