"""Readers: any CSV/TSV/parquet file of interactions, MovieLens folders, the movie-competition layout.

Every reader checks what it reads and stops at the first problem with one
:class:`~reclite.errors.DataError` that says **which file**, **which line**,
**which column**, **what value** and **what was expected**, for example::

    data/ratings.csv: line 3: column 'rating' has 'abc'; expected a number
    data/ratings.csv: line 7: column 'movieId' is empty; expected an item id (4 such rows in all)
    data/ratings.csv: no column 'user'; the file's columns are 'userId', 'movieId', 'rating', 'timestamp'. ...

Conventions (the same in every reader)
--------------------------------------
Line numbers
    ``line N`` counts the lines of the file as an editor shows them: line 1 is the
    first line, which is the header line when the file has one, so the first data row
    of a file with a header is line 2. Blank lines are skipped when reading but still
    counted. (A quoted field that spans several lines is counted as one line.)
    Parquet files have no lines: they report ``row N``, the 1-based data row.
    When several rows break the same rule, the message adds ``(N such rows in all)``.
    When several columns have problems, the error is about the earliest row.
Ids
    User and item ids must not be empty (or only spaces). Ids that look like integers
    are read as integers (so ``007`` and ``7`` are the same id, and so are ``7.0`` and
    ``7``); anything else is text, exactly as written: ``NA``, ``null``, ``nan``,
    ``True`` or ``1.5`` are ids like any other, not missing values, booleans or numbers.
Values (rating, weight, count...)
    Must be finite numbers ``>= 0`` (at most 3.4e38: values are kept as float32): an
    empty cell, text, ``inf`` or a negative number is an error (reclite reads a value as the strength of positive feedback; shift or
    drop negative feedback before reading). ``True``/``False`` read as 1/0.
Timestamps
    Numbers (Unix seconds or any integer clock; a fraction is truncated) or ISO 8601
    dates such as ``2024-01-31 12:00:00`` (turned into Unix seconds, UTC). The first
    non-empty value decides which; empty and unreadable times are errors.
Duplicates
    Repeated (user, item) pairs are merged by :meth:`Dataset.from_frame`: the latest
    interaction by time is kept (file order breaks ties and decides when there is no
    time), and a :class:`~reclite.errors.DataWarning` naming the file gives the count.
Compression
    Chosen by the file name's last suffix: ``.gz`` (gzip), ``.bz2`` (bzip2), ``.xz``
    and ``.lzma``. A truncated archive (``truncated gzip archive``), a file whose
    suffix does not match its content (``not a gzip file (it looks like plain text)``,
    ``not a gzip file but a bzip2 archive``), damaged data (``corrupt gzip archive``)
    and an archive without its suffix are each one DataError naming the file, whichever
    part of the reader meets the problem first.
Encoding
    Without ``encoding=``: a UTF-16 or UTF-32 byte-order mark (little- or big-endian)
    makes the file read in that encoding; otherwise UTF-8 (a byte-order mark is
    allowed), and a file that is not valid UTF-8 is read as Windows-1252 (cp1252, which
    agrees with Latin-1 on every printable Latin-1 character and adds '€', curly
    quotes...), else as Latin-1, as the older MovieLens files need. Text with NUL bytes
    is refused: UTF-16/UTF-32 without a byte-order mark is named (``looks like UTF-16-LE
    text without a byte-order mark; pass encoding='utf-16-le'``), anything else is
    called binary. With ``encoding=``, that encoding is used, and bytes it cannot read
    are a DataError naming the line; an unknown name is a ParameterError.
    :func:`read_text_lines` (id lists such as users files) follows the same rules.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import logging
import lzma
import re
import sys
import warnings
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._typing import TIME_DTYPE, PathLike
from ..errors import DataError, ParameterError, ParameterTypeError
from .dataset import Dataset, MultiHot
from .idmap import IdMap, _as_id_array

__all__ = ["read_csv", "read_movielens", "read_movie_competition", "read_dataset", "read_text_lines"]

log = logging.getLogger(__name__)

Column = str | int
_Quoting = Literal[0, 1, 2, 3]  # csv.QUOTE_MINIMAL, QUOTE_ALL, QUOTE_NONNUMERIC, QUOTE_NONE

#: separators tried, in this order of preference, when ``sep`` is not given
SEPARATORS = ("::", "\t", ",", "|", ";")
_SEP_NAMES = {"::": "'::'", "\t": "tab", ",": "comma", "|": "'|'", ";": "';'"}
_SAMPLE_BYTES = 1 << 18
_SAMPLE_LINES = 50
_MULTI_SEP = "\x1f"  # multi-character separators are rewritten to this before pandas parses

#: column names read_dataset recognises (compared lower-case, without '_', '-', ' ')
USER_COLUMNS = ("user", "userid", "uid", "users", "customer", "customerid", "visitorid",
                "reviewerid", "memberid", "accountid", "listener", "listenerid")
ITEM_COLUMNS = ("item", "itemid", "movieid", "movie", "artistid", "artist", "iid", "items",
                "productid", "product", "trackid", "track", "songid", "bookid", "isbn", "asin",
                "videoid", "articleid", "sku")
VALUE_COLUMNS = ("rating", "value", "weight", "count", "score", "playcount", "plays",
                 "listencount", "clicks", "quantity", "ratings")
TIME_COLUMNS = ("timestamp", "time", "ts", "datetime", "date", "unixtime", "unixreviewtime",
                "eventtime", "createdat")

_YEAR_IN_TITLE = r"\((\d{4})[^()]*\)\s*$"  # "Toy Story (1995)", "Show (2007-2013)"
_NO_GENRES = "(no genres listed)"

# The 19 genres of MovieLens 100K (u.genre), used only when u.genre is missing.
ML100K_GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
                 "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
                 "Romance", "Sci-Fi", "Thriller", "War", "Western")


# --------------------------------------------------------------------------- files and lines
def _check_file(path: PathLike, what: str = "file") -> Path:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file or folder")
    if p.is_dir():
        raise DataError(f"{p}: is a folder; expected a {what} (read_dataset reads dataset folders)")
    return p


#: decompressors, chosen by the file name's last suffix: suffix -> (what the archive is called, open)
_COMPRESSED: dict[str, tuple[str, Any]] = {
    ".gz": ("gzip", gzip.open),
    ".bz2": ("bzip2", bz2.open),
    ".xz": ("xz", lzma.open),
    ".lzma": ("lzma", lzma.open),
}
#: how compressed files start: (magic bytes, what the archive is called, the suffix it should have)
_MAGIC = (
    (b"\x1f\x8b", "gzip", ".gz"),
    (b"\xfd7zXZ\x00", "xz", ".xz"),
    (b"PK\x03\x04", "zip", ".zip"),
    (b"\x28\xb5\x2f\xfd", "zstd", ".zst"),
)
_BZIP2_MAGIC = re.compile(rb"BZh[1-9]1AY&SY")


def _opener(path: Path) -> Any:
    """A binary file object that yields the file's bytes, decompressed by suffix.

    Reading from it can raise a decompressor's own errors: read inside :func:`_reading`.
    """
    known = _COMPRESSED.get(path.suffix.lower())
    if known is not None:
        return known[1](path, "rb")
    return open(path, "rb")


def _archive_kind(start: bytes) -> tuple[str, str] | None:
    """(name, suffix) of the compression format ``start`` begins with, if any."""
    for magic, kind, suffix in _MAGIC:
        if start.startswith(magic):
            return kind, suffix
    if _BZIP2_MAGIC.match(start):
        return "bzip2", ".bz2"
    return None


def _looks_like_text(start: bytes) -> bool:
    text = start.decode("utf-8", errors="ignore")
    return bool(text) and all(c.isprintable() or c in "\t\r\n" for c in text)


def _archive_error(path: Path, exc: BaseException) -> DataError:
    """One readable DataError for a decompressor's complaint about ``path``."""
    suffix = path.suffix.lower()
    kind = _COMPRESSED[suffix][0]
    if isinstance(exc, EOFError):
        return DataError(f"{path}: truncated {kind} archive: it ends before its end-of-stream marker "
                         "(was a download or a copy cut short?)")
    try:
        with open(path, "rb") as fh:
            start = fh.read(64)
    except OSError:  # pragma: no cover - it was readable a moment ago
        start = b""
    actual = _archive_kind(start)
    if actual is not None and actual[0] != kind and not (kind == "lzma" and actual[0] == "xz"):
        return DataError(f"{path}: not {_a(kind)} file but {_a(actual[0])} archive; rename it to end in "
                         f"{actual[1]}" + ("" if actual[0] in ("gzip", "bzip2", "xz") else
                                           f" and unpack it: reclite reads {_compressed_list()} files"))
    if actual is None:
        what = ("it looks like plain text" if _looks_like_text(start)
                else f"it starts with bytes {start[:8].hex(' ')}")
        return DataError(f"{path}: not {_a(kind)} file ({what}), though its name ends in {suffix}; "
                         f"rename it without {suffix}, or compress it with {kind}")
    detail = str(exc) or type(exc).__name__
    return DataError(f"{path}: corrupt {kind} archive ({detail}); the file is damaged")


def _a(kind: str) -> str:
    """'a gzip', 'an xz'."""
    return ("an " if kind in ("xz", "lzma") else "a ") + kind


def _compressed_list() -> str:
    return ", ".join(_COMPRESSED)


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn a decompressor's error while reading ``path`` into one DataError naming the file.

    Truncated archives (EOFError), files that are not of the kind their suffix says
    (gzip.BadGzipFile, OSError from bz2, LZMAError) and damaged data (zlib.error, CRC
    errors). Errors of plain files (permissions...) pass through unchanged.
    """
    try:
        yield
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except (EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
        if path.suffix.lower() not in _COMPRESSED:
            raise
        raise _archive_error(path, exc) from None


def _read_all(path: Path) -> bytes:
    """The whole file, decompressed (DataError for a broken archive)."""
    with _reading(path), _opener(path) as fh:
        return fh.read()


def _head_bytes(path: Path, n: int = _SAMPLE_BYTES) -> bytes:
    """The first ``n`` bytes (decompressed), cut after the last full line when there is more."""
    with _reading(path), _opener(path) as fh:
        data = fh.read(n + 1)
    if len(data) > n:
        data = data[:n]
        cut = data.rfind(b"\n")
        if cut >= 0:
            data = data[: cut + 1]
    return data


# ---- encodings
#: byte-order marks, longest first (the UTF-32-LE mark begins with the UTF-16-LE one)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: tried in this order when no encoding is given and there is no UTF-16/UTF-32 byte-order mark;
#: Latin-1 decodes any bytes, so it is last
_FALLBACK_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
_ASCII_PROBE = "user,item;rating|time\t:: 0123456789\r\n"


def _bom_encoding(data: bytes) -> str | None:
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return enc
    return None


def _check_encoding(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ParameterError(f"encoding={encoding!r} is not an encoding Python knows; expected a name "
                             "such as 'utf-8', 'utf-16', 'latin-1' or 'cp1252'") from None


def _ascii_compatible(encoding: str) -> bool:
    """True when the encoding writes ASCII as ASCII (so '\\n' and separators are single bytes)."""
    try:
        return _ASCII_PROBE.encode("ascii").decode(encoding) == _ASCII_PROBE
    except (UnicodeDecodeError, LookupError):
        return False


def _line_at(data: bytes, offset: int, encoding: str = "latin-1") -> int:
    """The 1-based line of byte ``offset`` of ``data`` (text in ``encoding``)."""
    if _ascii_compatible(encoding):
        return data.count(b"\n", 0, offset) + 1
    return data[:offset].decode(encoding, errors="replace").count("\n") + 1


def _refuse_binary(data: bytes, label: str, asked: str | None = None) -> None:
    """Refuse bytes that are not ASCII-compatible text: NUL bytes mean UTF-16/32 or binary data.

    ``asked``: the encoding the caller named, if any.
    """
    kind = _archive_kind(data[:64])
    if kind is not None:
        raise DataError(f"{label}: is {_a(kind[0])} archive, but its name does not end in {kind[1]}; rename "
                        f"it so (reclite picks the decompressor by the suffix: {_compressed_list()})")
    bom = _bom_encoding(data)
    if bom in ("utf-16", "utf-32"):
        endian = "LE" if data[:2] == codecs.BOM_UTF16_LE else "BE"
        name = f"{bom.upper()}-{endian}"
        raise DataError(f"{label}: is {name} text (it starts with a {name} byte-order mark), not "
                        f"{asked or 'UTF-8'}; pass encoding={bom!r}, or leave encoding unset to have it "
                        "recognised")
    first = data.find(b"\0")
    if first < 0:
        return
    guess = _utf16_or_32(data[: 1 << 12])
    if guess is not None:
        raise DataError(f"{label}: looks like {guess.upper()} text without a byte-order mark (NUL "
                        f"bytes in the places that encoding puts them); pass "
                        f"encoding={guess!r} to read_csv, or save the file as UTF-8")
    raise DataError(f"{label}: line {_line_at(data, first)}: holds a NUL byte (at byte {first:,}); "
                    "expected a text file (CSV/TSV) or parquet: is it binary data?")


def _utf16_or_32(data: bytes) -> str | None:
    """The UTF-16/UTF-32 variant that bytes without a byte-order mark look like, if any.

    Text of these encodings has NUL bytes in fixed places: UTF-16-LE every odd byte of
    an ASCII character, UTF-32-LE bytes 2 and 3 of every character, and so on. Random
    binary data has them anywhere.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    if len(buf) >= 4:
        z4 = (buf[: len(buf) // 4 * 4].reshape(-1, 4) == 0).mean(axis=0)  # share of NULs at k of 4
        if z4[2] > 0.9 and z4[3] > 0.9 and z4[0] < 0.5:
            return "utf-32-le"
        if z4[0] > 0.9 and z4[1] > 0.9 and z4[3] < 0.5:
            return "utf-32-be"
    if len(buf) >= 2:
        even, odd = (buf[: len(buf) // 2 * 2].reshape(-1, 2) == 0).mean(axis=0)
        if odd >= 0.2 and even <= 0.1 * odd:
            return "utf-16-le"
        if even >= 0.2 and odd <= 0.1 * even:
            return "utf-16-be"
    return None


def _undecodable(label: str, data: bytes, exc: UnicodeDecodeError, encoding: str) -> DataError:
    bad = data[exc.start:exc.end][:8].hex(" ")
    return DataError(f"{label}: line {_line_at(data, exc.start, encoding)}: cannot read bytes {bad} as "
                     f"{encoding} ({exc.reason}); pass the file's encoding with encoding= (for example "
                     "'utf-8', 'cp1252' or 'latin-1')")


def _decode(data: bytes, label: str, encoding: str | None) -> tuple[str, str]:
    """Text of ``data`` and the encoding that read it, by the rules of the module documentation.

    Without ``encoding``: a UTF-16 or UTF-32 byte-order mark decides; otherwise UTF-8
    (a byte-order mark is allowed), else Windows-1252, else Latin-1; bytes that cannot
    be text (NULs: UTF-16 without a mark, binary data) are refused. With ``encoding``,
    that one, and bytes it cannot read are a DataError naming the line.
    """
    if encoding is None:
        bom = _bom_encoding(data)
        if bom in ("utf-16", "utf-32"):
            encoding = bom
        else:
            _refuse_binary(data, label)
            for enc in _FALLBACK_ENCODINGS[:-1]:
                try:
                    return data.decode(enc), enc
                except UnicodeDecodeError:
                    continue
            return data.decode("latin-1"), "latin-1"
    _check_encoding(encoding)
    if _ascii_compatible(encoding):
        _refuse_binary(data, label, encoding)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _undecodable(label, data, exc, encoding) from None
    return text.removeprefix("\ufeff"), encoding


def read_text_lines(path: PathLike, what: str = "file", *, encoding: str | None = None) -> list[str]:
    """The non-blank lines of a small text file (an id list, say), stripped.

    Read by the same rules as every data file: compression by suffix (a truncated or
    mislabelled archive is a DataError naming the file); encodings as the module
    documentation says (UTF-16/UTF-32 with a byte-order mark are recognised, UTF-16
    without one is refused naming it); a missing file raises FileNotFoundError naming it.
    """
    p = _check_file(path, what)
    text, _ = _decode(_read_all(p), str(p), encoding)
    return [line.strip() for line in text.splitlines() if line.strip()]


def _nonblank_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line number, line) for each non-blank line; splits on '\\n' only."""
    out = []
    for n, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if line.strip():
            out.append((n, line))
    return out


def _split(line: str, sep: str, quoting: _Quoting) -> list[str]:
    if len(sep) > 1:
        return [f.strip() for f in line.split(sep)]
    try:
        row = next(csv.reader([line], delimiter=sep, quoting=quoting, skipinitialspace=True))
    except (csv.Error, StopIteration):
        row = line.split(sep)
    return [f.strip() for f in row]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _all_numbers(fields: list[str]) -> bool:
    """True for a line of numbers (empty cells allowed): data, not a header line."""
    filled = [f for f in fields if f]
    return bool(filled) and all(_is_number(f) for f in filled)


def _sniff_sep(lines: list[str], quoting: _Quoting) -> str | None:
    """The separator that splits the sample lines into the same number (>= 2) of fields.

    Among separators that do (90 % of lines agreeing), the one giving the most fields
    wins; ties follow :data:`SEPARATORS`. None when no separator gives two fields.
    """
    best: tuple[float, int, str] | None = None
    fallback: tuple[float, int, str] | None = None
    for rank, sep in enumerate(SEPARATORS):
        counts = [len(_split(line, sep, quoting)) for line in lines]
        mode, hits = Counter(counts).most_common(1)[0]
        if mode < 2:
            continue
        share = hits / len(counts)
        if share >= 0.9:
            key = (mode, -rank)
            if best is None or key > best[:2]:
                best = (mode, -rank, sep)
        key2 = (share, -rank)
        if fallback is None or key2 > fallback[:2]:
            fallback = (share, -rank, sep)
    if best is not None:
        return best[2]
    return None if fallback is None else fallback[2]


def _fmt_sep(sep: str) -> str:
    return _SEP_NAMES.get(sep, repr(sep))


def _fmt_value(v: Any) -> str:
    """A cell as the person wrote it (numbers without a spurious '.0')."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if np.isfinite(f) and f == int(f) and abs(f) < 1e16:
            return str(int(f))
        return repr(f)
    return str(v)


def _quote_list(names: Sequence[object], limit: int = 30) -> str:
    shown = ", ".join(repr(str(n)) for n in list(names)[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


# --------------------------------------------------------------------------- a read table
@dataclass
class _Table:
    """A file read into a DataFrame of positional columns, plus what locating a row needs."""

    path: Path
    label: str
    df: pd.DataFrame  # columns 0..n-1, in file order
    columns: list[str]  # display names, by position ("user", "rating", or "0", "1" when unnamed)
    header_lines: int = 1  # 1 with a header line, 0 without; -1: not a text file (parquet)
    named: bool = True  # False: the file has no header and no names were given
    sep: str = ","
    first_line: str = ""
    data: bytes | None = field(default=None, repr=False)  # the file as UTF-8, when read into memory
    as_text: Any = field(default=None, repr=False)  # pos -> the column as written (text files)
    _lines: np.ndarray | None = field(default=None, repr=False)

    def col(self, pos: int) -> pd.Series:
        return self.df.iloc[:, pos]

    def colname(self, pos: int) -> str:
        return f"column {self.columns[pos]!r}" if self.named else f"column {pos}"

    def where(self, row: int) -> str:
        """'line N' (as counted in the file, header = line 1) or 'row N' for parquet."""
        if self.header_lines < 0:
            return f"row {row + 1}"
        if self._lines is None:
            self._lines = _data_line_numbers(self.path, self.header_lines, self.sep, self.data)
        if row < len(self._lines):
            return f"line {int(self._lines[row])}"
        return f"line {row + 1 + self.header_lines}"  # pragma: no cover - parser/line disagreement


def _data_line_numbers(path: Path, header_lines: int, sep: str, data: bytes | None = None) -> np.ndarray:
    """1-based numbers of the lines pandas reads as rows, after the header (error path only).

    ``data``: the file's bytes when they are already in memory (as UTF-8), else the
    file is read again. pandas skips lines made only of spaces (and of tabs, unless tab
    is the separator).
    """
    if data is None:
        data = _read_all(path)
    buf = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(buf == 10)
    starts = np.concatenate([[0], nl + 1])
    ends = np.concatenate([nl, [len(buf)]])
    if len(data) and data.endswith(b"\n"):
        starts, ends = starts[:-1], ends[:-1]
    length = ends - starts
    is_space = np.isin(buf, (13, 32) if sep == "\t" else (9, 13, 32))
    csum = np.concatenate([[0], np.cumsum(~is_space)])
    nonblank = (length > 0) & ((csum[ends] - csum[starts]) > 0)
    numbers = np.flatnonzero(nonblank) + 1
    return numbers[header_lines:]


@dataclass
class _Problem:
    row: int
    message: str  # everything after "<file>: <where>: "
    count: int


def _raise_first(table: _Table, problems: list[_Problem | None]) -> None:
    found = [p for p in problems if p is not None]
    if not found:
        return
    p = min(found, key=lambda q: q.row)
    more = f" ({p.count:,} such rows in all)" if p.count > 1 else ""
    raise DataError(f"{table.label}: {table.where(p.row)}: {p.message}{more}")


def _first(mask: np.ndarray) -> tuple[int, int] | None:
    if not mask.any():
        return None
    return int(np.argmax(mask)), int(mask.sum())


# --------------------------------------------------------------------------- reading text
def _read_text(
    path: Path,
    *,
    sep: str | None = None,
    names: Sequence[str] | None = None,
    header: bool | None = None,
    encoding: str | None = None,
    quoting: _Quoting = csv.QUOTE_MINIMAL,
    numeric_header_is_data: bool = True,
    names_help: str | None = None,
) -> _Table:
    """Read a delimited text file as strings-or-numbers, with no silent loss of rows or fields.

    ``header``: True (the first line names the columns), False (it does not), None
    (it does, unless ``names`` is given or the first line is all numbers and
    ``numeric_header_is_data``).
    """
    label = str(path)
    head = _head_bytes(path)
    data: bytes | None = None  # the whole file as UTF-8 when it had to be transcoded
    if encoding is not None:
        _check_encoding(encoding)
    file_enc = encoding or _bom_encoding(head)
    if file_enc is not None and not _ascii_compatible(file_enc):
        # UTF-16/UTF-32 (recognised by the byte-order mark, or named): the tokenizer and the
        # line numbers work on ASCII-compatible bytes, so the file is read once as UTF-8
        text_all, _ = _decode(_read_all(path), label, file_enc)
        data = text_all.encode("utf-8")
        head, encoding = data[:_SAMPLE_BYTES], "utf-8"
        if len(data) > _SAMPLE_BYTES and head.rfind(b"\n") >= 0:
            head = head[: head.rfind(b"\n") + 1]
    text, enc = _decode(head, label, encoding)
    lines = _nonblank_lines(text)[: _SAMPLE_LINES + 1]
    if not lines:
        raise DataError(f"{label}: the file is empty; expected a header line and rows of user, item "
                        "(and optionally value and time)")
    if sep is None:
        sep = _sniff_sep([line for _, line in lines], quoting)
        if sep is None:
            raise DataError(
                f"{label}: found only one column; expected at least a user and an item column "
                f"separated by {', '.join(_fmt_sep(s) for s in SEPARATORS)} (pass sep= for another separator)")
    elif not isinstance(sep, str):
        raise ParameterTypeError(f"sep must be a string, got {sep!r}")
    elif sep == "":
        raise ParameterError("sep must be a non-empty string")
    records = [_split(line, sep, quoting) for _, line in lines]
    first = records[0]
    if header is None:
        header = names is None and not (numeric_header_is_data and _all_numbers(first))
    if names is not None:
        names = [str(n) for n in names]
        if len(set(names)) != len(names):
            raise ParameterError(f"names must be distinct, got {names}")
    # how many fields the data has (the most common count in the sample)
    data_records = records[1:] if header else records
    if data_records:
        width = Counter(len(r) for r in data_records).most_common(1)[0][0]
    else:
        width = len(first)
    if header:
        if data_records and len(data_records[0]) > len(first):
            n_line = lines[1][0]
            raise DataError(f"{label}: line {n_line}: found {len(data_records[0])} fields but the header "
                            f"line (line {lines[0][0]}) names {len(first)} columns")
        columns = first
        width = len(first)
    elif names is not None:
        if len(names) != width:
            if names_help is not None:
                raise DataError(f"{label}: found {width} {_fmt_sep(sep)}-separated columns; expected "
                                f"{len(names)}: {names_help}")
            raise DataError(f"{label}: names has {len(names)} names ({_quote_list(names)}) but the file "
                            f"has {width} columns ({_fmt_sep(sep)}-separated)")
        columns = list(names)
    else:
        columns = [str(i) for i in range(width)]

    # pandas: C parser on the file's bytes (decompressed here, so that every reading path
    # reports a broken archive the same way); a multi-character separator is rewritten to
    # one control character
    parse: bytes | None = data  # what pandas reads when not the file itself
    if len(sep) > 1:
        if data is None:
            data = _read_all(path)
        parse = data.replace(sep.encode(_byte_encoding(enc)), _MULTI_SEP.encode())
        psep = _MULTI_SEP
    else:
        psep = sep
    kwargs: dict[str, Any] = dict(
        sep=psep, header=0 if header else None, names=None, index_col=False, dtype=None,
        keep_default_na=False, na_values=[""], skipinitialspace=True, low_memory=False,
        quoting=quoting, engine="c", compression=None,
    )
    if not header:
        kwargs["names"] = list(range(width))
    if encoding is not None:
        tries = [enc]
    else:  # the head decided; the rest of the file may still need a later fallback
        tries = list(_FALLBACK_ENCODINGS[_FALLBACK_ENCODINGS.index(enc):])

    def parse_with(encoding: str, **more: Any) -> pd.DataFrame:
        with warnings.catch_warnings(), _reading(path), \
                (io.BytesIO(parse) if parse is not None else _opener(path)) as source:
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(source, encoding=encoding, **{**kwargs, **more})

    df = None
    for n_try, enc_try in enumerate(tries):
        try:
            df = parse_with(enc_try)
            enc = enc_try
            break
        except UnicodeDecodeError:
            if n_try + 1 < len(tries):
                continue
            raw = data if data is not None else _read_all(path)
            try:
                raw.decode(enc_try)
            except UnicodeDecodeError as exc:
                raise _undecodable(label, raw, exc, enc_try) from None
            raise DataError(f"{label}: cannot read the file as {enc_try} text; pass the file's "
                            "encoding with encoding=") from None  # pragma: no cover
        except pd.errors.ParserWarning as exc:  # pragma: no cover - caught by the sniff above
            raise DataError(f"{label}: rows have more fields than the header line names columns "
                            f"({len(columns)})") from exc
        except pd.errors.EmptyDataError as exc:  # pragma: no cover - caught above
            raise DataError(f"{label}: the file is empty") from exc
        except pd.errors.ParserError as exc:
            raise _parser_error(path, exc, sep, header) from None
    assert df is not None
    if df.shape[1] != len(columns):  # pragma: no cover - the sniff and pandas disagree
        columns = [str(c) for c in df.columns]
    if len(df) == 0:
        raise DataError(f"{label}: no data rows after the header line" if header
                        else f"{label}: no data rows")
    df.columns = range(df.shape[1])

    def as_text(pos: int) -> pd.Series:
        """Column ``pos`` again, as the text written in the file."""
        col = parse_with(enc, usecols=[pos], dtype=str).iloc[:, 0]
        return col.set_axis(df.index)

    return _Table(path, label, df, columns, header_lines=1 if header else 0,
                  named=bool(header) or names is not None, sep=sep, first_line=lines[0][1],
                  data=data, as_text=as_text)


def _byte_encoding(encoding: str) -> str:
    """The codec that writes a string as the file's bytes (no byte-order mark)."""
    return "utf-8" if encoding == "utf-8-sig" else encoding


def _parser_error(path: Path, exc: Exception, sep: str, header: bool) -> DataError:
    """pandas' tokenizer error as a reclite one (pandas' 'line' is already a file line)."""
    text = str(exc)
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if m:
        expected, line, saw = m.groups()
        why = "the header line names" if header else "the first line has"
        return DataError(f"{path}: line {line}: found {saw} fields ({_fmt_sep(sep)}-separated); "
                         f"expected {expected}, as {why} {expected} columns")
    detail = text.split("C error: ")[-1].strip()
    m = re.search(r"starting at row (\d+)", detail)
    if m:  # here pandas counts the lines of the file from 0
        return DataError(f"{path}: line {int(m.group(1)) + 1}: a quoted field is never closed (a '\"' "
                         f"without its partner); expected {_fmt_sep(sep)}-separated fields")
    return DataError(f"{path}: cannot parse the file as {_fmt_sep(sep)}-separated text: {detail}")


def _read_parquet(path: Path) -> _Table:
    label = str(path)
    try:
        df = pd.read_parquet(path)
    except ImportError as exc:
        raise DataError(f"{label}: reading parquet needs pyarrow: pip install 'reclite[parquet]'") from exc
    except Exception as exc:  # pyarrow raises its own types for a broken file
        raise DataError(f"{label}: cannot read the file as parquet: {exc}") from None
    if df.shape[1] == 0:
        raise DataError(f"{label}: the parquet file has no columns")
    if len(df) == 0:
        raise DataError(f"{label}: no data rows")
    columns = [str(c) for c in df.columns]
    df = df.reset_index(drop=True)
    df.columns = range(df.shape[1])
    return _Table(path, label, df, columns, header_lines=-1)


def _is_parquet(path: Path) -> bool:
    if path.suffix.lower() in (".parquet", ".pq"):
        return True
    with open(path, "rb") as fh:
        return fh.read(4) == b"PAR1"


# --------------------------------------------------------------------------- column checks
def _resolve(table: _Table, spec: Column | None, role: str, param: str | None = None) -> int | None:
    """Position of the column named or numbered by ``spec``."""
    if spec is None:
        return None
    param = param or role
    n = len(table.columns)
    if isinstance(spec, (bool, np.bool_)) or not isinstance(spec, (str, int, np.integer)):
        raise ParameterTypeError(f"{param} must be a column name or a 0-based position, got {spec!r}")
    if isinstance(spec, (int, np.integer)):
        if not 0 <= int(spec) < n:
            raise DataError(f"{table.label}: {param}={int(spec)} but the file has {n} columns "
                            f"(positions 0..{n - 1})")
        return int(spec)
    if not table.named:
        raise DataError(
            f"{table.label}: no column {spec!r}: the file has no header line (its first line, "
            f"{table.first_line!r}, is data); pick columns by position ({param}=0, ...) or name "
            f"them with names=[...]")
    if spec in table.columns:
        return table.columns.index(spec)
    return None


def _missing_columns(table: _Table, asked: dict[str, Column]) -> DataError:
    missing = [f"{k}={v!r}" for k, v in asked.items()]
    lower = {c.lower(): c for c in table.columns}
    hints = [f"{k}={lower[str(v).lower()]!r}" for k, v in asked.items()
             if isinstance(v, str) and str(v).lower() in lower]
    hint = f" Did you mean {', '.join(hints)}?" if hints else \
        " Pass user=, item= (and value=, time=) naming columns of the file, or 0-based positions."
    what = "no column" if len(asked) == 1 else "no columns"
    return DataError(f"{table.label}: {what} {', '.join(repr(str(v)) for v in asked.values())} "
                     f"(asked for {', '.join(missing)}); the file's columns are "
                     f"{_quote_list(table.columns)}.{hint}")


def _resolve_all(table: _Table, specs: dict[str, Column | None]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    missing: dict[str, Column] = {}
    for role, spec in specs.items():
        pos = _resolve(table, spec, role)
        if spec is not None and pos is None:
            missing[role] = spec
        out[role] = pos
    if missing:
        raise _missing_columns(table, missing)
    used = [(r, p) for r, p in out.items() if p is not None]
    for k, (r1, p1) in enumerate(used):
        for r2, p2 in used[k + 1:]:
            if p1 == p2:
                raise DataError(f"{table.label}: {r1} and {r2} are the same column "
                                f"({table.colname(p1)}); give each its own column")
    return out


def _id_problem(table: _Table, pos: int, role: str) -> _Problem | None:
    s = table.col(pos)
    empty = s.isna().to_numpy(dtype=bool)
    if not pd.api.types.is_numeric_dtype(s.dtype):
        blank = s.astype("str").str.strip().eq("").fillna(False).to_numpy(dtype=bool)
        empty = empty | blank
    hit = _first(empty)
    if hit is None:
        return None
    article = "an" if role in ("item", "artist") else "a"
    return _Problem(hit[0], f"{table.colname(pos)} is empty; expected {article} {role} id", hit[1])


def _ids(table: _Table, pos: int) -> np.ndarray:
    """Raw ids of a column: integers when every cell is one, else the text as written.

    pandas reads a column of ``True``/``False`` as booleans and one of ``1.5`` or
    ``12E45`` as floats; such ids are read again as text, so they keep their spelling.
    """
    s = table.col(pos)
    if table.as_text is not None and (pd.api.types.is_bool_dtype(s.dtype) or (
            pd.api.types.is_float_dtype(s.dtype) and not _integral(s.to_numpy(dtype=np.float64)))):
        s = table.as_text(pos)
    return _as_id_array(s.to_numpy())


def _integral(vals: np.ndarray) -> bool:
    """Every value a whole number that a float holds exactly (|x| <= 2**53)."""
    return bool(np.all(np.isfinite(vals) & (vals == np.round(vals)) & (np.abs(vals) <= 2.0**53)))


def _as_float(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """float64 values and a mask of cells that hold text which is not a number."""
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        vals = s.to_numpy(dtype=np.float64, na_value=np.nan)
        return vals, np.zeros(len(s), dtype=bool)
    num = pd.to_numeric(s, errors="coerce")
    vals = num.to_numpy(dtype=np.float64, na_value=np.nan)
    text = s.notna().to_numpy(dtype=bool)
    # 'nan' written in the file parses to NaN: it is text, not a number we can use
    return vals, np.isnan(vals) & text


def _number_problem(table: _Table, pos: int, vals: np.ndarray, text_bad: np.ndarray,
                    expected: str, *, allow_empty: bool = False, min_value: float | None = None,
                    max_value: float | None = None) -> _Problem | None:
    s = table.col(pos)
    empty = np.isnan(vals) & ~text_bad
    checks: list[tuple[np.ndarray, str]] = [(text_bad, expected)]
    if not allow_empty:
        checks.append((empty, ""))
    checks.append((np.isinf(vals), "a finite number"))
    if min_value is not None:
        checks.append((vals < min_value, f"a number >= {min_value:g}"))
    if max_value is not None:
        checks.append((np.isfinite(vals) & (vals > max_value), f"a number <= {max_value:.4g}"))
    best: _Problem | None = None
    for mask, what in checks:
        hit = _first(mask)
        if hit is None or (best is not None and hit[0] >= best.row):
            continue
        row, count = hit
        if what == "":
            msg = f"{table.colname(pos)} is empty; expected {expected}"
        else:
            msg = f"{table.colname(pos)} has {_fmt_value(s.iloc[row])!r}; expected {what}"
        best = _Problem(row, msg, count)
    return best


def _values(table: _Table, pos: int) -> tuple[np.ndarray, _Problem | None]:
    vals, text_bad = _as_float(table.col(pos))
    # values are kept as float32: a larger number would silently become infinity
    return vals, _number_problem(table, pos, vals, text_bad, "a number", min_value=0.0,
                                 max_value=float(np.finfo(np.float32).max))


def _times(table: _Table, pos: int) -> tuple[np.ndarray, _Problem | None]:
    s = table.col(pos)
    vals, text_bad = _as_float(s)
    filled = s.notna().to_numpy(dtype=bool)
    first = int(np.argmax(filled)) if filled.any() else 0
    if filled.any() and text_bad[first]:
        # the first value is not a number: the column holds dates
        dt = pd.to_datetime(s.astype("str"), errors="coerce", utc=True, format="ISO8601")
        bad = (dt.isna().to_numpy(dtype=bool)) & filled
        secs = np.zeros(len(s), dtype=TIME_DTYPE)
        ok = ~dt.isna().to_numpy(dtype=bool)
        secs[ok] = ((dt[ok] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)
        problems = []
        hit = _first(bad)
        if hit is not None:
            problems.append(_Problem(hit[0], f"{table.colname(pos)} has {_fmt_value(s.iloc[hit[0]])!r}; "
                                     "expected a date such as 2024-01-31 12:00:00 (as the column's "
                                     "first value)", hit[1]))
        hit = _first(~filled)
        if hit is not None:
            problems.append(_Problem(hit[0], f"{table.colname(pos)} is empty; expected a date", hit[1]))
        return secs, min(problems, key=lambda p: p.row) if problems else None
    problem = _number_problem(table, pos, vals, text_bad, "a number")
    if problem is not None:
        return np.zeros(len(s), dtype=TIME_DTYPE), problem
    if np.abs(vals).max(initial=0.0) >= 2.0**63:
        row = int(np.argmax(np.abs(vals) >= 2.0**63))
        return np.zeros(len(s), dtype=TIME_DTYPE), _Problem(
            row, f"{table.colname(pos)} has {_fmt_value(s.iloc[row])!r}; expected a number that fits "
            "in 64 bits", 1)
    if pd.api.types.is_integer_dtype(s.dtype):
        return s.to_numpy(dtype=TIME_DTYPE), None
    return np.floor(vals).astype(TIME_DTYPE), None


@dataclass
class _Interactions:
    user: np.ndarray
    item: np.ndarray
    value: np.ndarray | None
    time: np.ndarray | None
    label: str


def _required(pos: dict[str, int | None], role: str) -> int:
    """The position of a column that :func:`_resolve_all` was asked for (so it is there)."""
    p = pos[role]
    if p is None:  # pragma: no cover - _resolve_all raised already
        raise DataError(f"no {role} column")
    return p


def _interactions(table: _Table, pos: dict[str, int | None]) -> _Interactions:
    """Checked interaction columns (earliest problem across columns raises)."""
    user, item = _required(pos, "user"), _required(pos, "item")
    problems: list[_Problem | None] = [_id_problem(table, user, "user"), _id_problem(table, item, "item")]
    value = time = None
    if (vpos := pos.get("value")) is not None:
        value, p = _values(table, vpos)
        problems.append(p)
    if (tpos := pos.get("time")) is not None:
        time, p = _times(table, tpos)
        problems.append(p)
    _raise_first(table, problems)
    return _Interactions(_ids(table, user), _ids(table, item), value, time, table.label)


# --------------------------------------------------------------------------- building datasets
def _union_ids(*arrays: np.ndarray) -> np.ndarray:
    """Concatenate raw-id arrays; when integer and text ids meet, all become text."""
    arrs = [_as_id_array(a) for a in arrays if a is not None and len(a)]
    if not arrs:
        return np.empty(0, dtype=np.int64)
    if len({a.dtype.kind for a in arrs}) > 1:
        arrs = [a.astype(str) for a in arrs]
    return np.concatenate(arrs)


def _build(inter: _Interactions, name: str, *, extra_items: Sequence[np.ndarray] = (),
           side: Any = None) -> Dataset:
    """Dataset from checked interactions; ``side(items) -> dict`` adds side information."""
    items, _ = IdMap.from_values(_union_ids(inter.item, *extra_items), name="item")
    frame = {"user": inter.user, "item": inter.item}
    if inter.value is not None:
        frame["value"] = inter.value
    if inter.time is not None:
        frame["time"] = inter.time
    extra = side(items) if side is not None else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = Dataset.from_frame(pd.DataFrame(frame), "user", "item",
                                "value" if inter.value is not None else None,
                                "time" if inter.time is not None else None,
                                items=items, source=inter.label, name=name, **extra)
    for w in caught:  # re-issued so they point at the caller's line, not at this module
        warnings.warn(w.message, w.category, stacklevel=_caller_stacklevel())
    return ds


def _caller_stacklevel() -> int:
    """The ``stacklevel`` of the first frame outside this module (as seen from the caller)."""
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
        level += 1
    return level


def _per_item(items: IdMap, raw: np.ndarray, values: np.ndarray, fill: Any, dtype: Any) -> np.ndarray:
    """One value per item of ``items``; the first row of an item wins; ``fill`` where absent."""
    out = np.full(len(items), fill, dtype=dtype)
    idx = items.to_index(raw, missing="negative")
    keep = idx >= 0
    idx, values = idx[keep], np.asarray(values)[keep]
    _, first = np.unique(idx, return_index=True)
    out[idx[first]] = values[first]
    return out


def _years_from_titles(titles: pd.Series) -> np.ndarray:
    return titles.astype("str").str.extract(_YEAR_IN_TITLE, expand=False).astype("float64").to_numpy()


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
        then Latin-1; see the module documentation.

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
        the first line of the file (the header); see the module documentation. Also a
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
    p = _check_file(path)
    if _is_parquet(p):
        if names is not None:
            raise ParameterError("names= is for text files without a header; parquet files name their "
                                 "columns")
        table = _read_parquet(p)
    else:
        table = _read_text(p, sep=sep, names=names, encoding=encoding)
    pos = _resolve_all(table, {"user": user, "item": item, "value": value, "time": time})
    inter = _interactions(table, pos)
    return _build(inter, p.name)


# --------------------------------------------------------------------------- sniffing columns
def _norm(name: str) -> str:
    return re.sub(r"[\s_\-.]", "", str(name)).lower()


def _guess_columns(columns: Sequence[str]) -> dict[str, int | None]:
    normed = [_norm(c) for c in columns]
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


def _guess_error(table: _Table, missing: list[str]) -> DataError:
    like = {"user": "user, userId, user_id", "item": "item, itemId, item_id, movieId, artistID"}
    wanted = " and ".join(f"{'a' if r == 'user' else 'an'} {r} column (named like {like[r]})" for r in missing)
    return DataError(
        f"{table.label}: cannot tell which columns hold users and items; the file's columns are "
        f"{_quote_list(table.columns)}; expected {wanted}. Name them with "
        f"read_csv(path, user=..., item=..., value=..., time=...)")


def _guessed_interactions(table: _Table) -> _Interactions:
    """Interactions of a table whose columns are recognised by name (by position when headerless)."""
    if not table.named:
        roles = ["user", "item", "value", "time"]
        n = len(table.columns)
        table.columns = roles[:n] + [str(i) for i in range(len(roles), n)]
        table.named = True
        return _interactions(table, {r: (i if i < n else None) for i, r in enumerate(roles)})
    pos = _guess_columns(table.columns)
    missing = [r for r in ("user", "item") if pos[r] is None]
    if missing:
        raise _guess_error(table, missing)
    log.info("%s: user=%r item=%r value=%r time=%r", table.label,
             *(None if (p := pos[r]) is None else table.columns[p] for r in ("user", "item", "value", "time")))
    return _interactions(table, pos)


def _read_guessed(path: Path) -> Dataset:
    """A single file whose columns are recognised by their names (or by position when headerless)."""
    table = _read_parquet(path) if _is_parquet(path) else _read_text(path)
    return _build(_guessed_interactions(table), path.name)


# --------------------------------------------------------------------------- MovieLens
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
                    f"{_listing(folder)}")


def _ml_ratings(path: Path, sep: str, header: bool) -> _Interactions:
    names = None if header else ["user", "item", "rating", "timestamp"]
    table = _read_text(path, sep=sep, names=names, header=header, quoting=csv.QUOTE_NONE)
    if header:
        specs: dict[str, Column | None] = {"user": "userId", "item": "movieId", "value": "rating",
                                           "time": "timestamp"}
    else:
        specs = {"user": "user", "item": "item", "value": "rating", "time": "timestamp"}
    return _interactions(table, _resolve_all(table, specs))


def _genre_pairs(table: _Table, item_pos: int, genre_pos: int) -> tuple[np.ndarray, np.ndarray]:
    """(raw item id, genre) pairs from a column of 'A|B|C' lists."""
    genres = table.col(genre_pos).astype("str").fillna("")
    split = genres.str.split("|").explode()
    labels = split.str.strip()
    keep = (labels != "") & (labels != _NO_GENRES) & labels.notna()
    item_raw = _ids(table, item_pos)
    rows = split.index.to_numpy()[keep.to_numpy(dtype=bool)]
    return item_raw[rows], labels[keep].to_numpy(dtype=str)


def _movie_side(table: _Table, item_pos: int, title_pos: int, genre_pos: int):
    raw = _ids(table, item_pos)
    titles = table.col(title_pos).astype("str").fillna("")
    years = _years_from_titles(titles)
    pair_items, labels = _genre_pairs(table, item_pos, genre_pos)

    def side(items: IdMap) -> dict[str, Any]:
        return {
            "genres": MultiHot.from_pairs(items.to_index(pair_items), labels, len(items)),
            "years": _per_item(items, raw, years, np.nan, np.float64),
            "titles": _per_item(items, raw, titles.to_numpy(dtype=str), "", object).astype(str),
        }

    return raw, side


def _read_ml_dat(folder: Path, name: str) -> Dataset:
    inter = _ml_ratings(folder / "ratings.dat", "::", header=False)
    movies = folder / "movies.dat"
    if not movies.is_file():
        return _build(inter, name)
    table = _read_text(movies, sep="::", names=["item", "title", "genres"], quoting=csv.QUOTE_NONE)
    _raise_first(table, [_id_problem(table, 0, "item")])
    raw, side = _movie_side(table, 0, 1, 2)
    return _build(inter, name, extra_items=[raw], side=side)


def _read_ml_csv(folder: Path, name: str) -> Dataset:
    inter = _ml_ratings(folder / "ratings.csv", ",", header=True)
    movies = folder / "movies.csv"
    if not movies.is_file():
        return _build(inter, name)
    table = _read_text(movies, sep=",", header=True)
    pos = _resolve_all(table, {"item": "movieId", "title": "title", "genres": "genres"})
    item = _required(pos, "item")
    _raise_first(table, [_id_problem(table, item, "item")])
    raw, side = _movie_side(table, item, _required(pos, "title"), _required(pos, "genres"))
    return _build(inter, name, extra_items=[raw], side=side)


def _read_ml100k_genres(folder: Path) -> list[str]:
    path = folder / "u.genre"
    if not path.is_file():
        return list(ML100K_GENRES)
    table = _read_text(path, sep="|", names=["genre", "index"], quoting=csv.QUOTE_NONE,
                       encoding="latin-1")
    idx, bad = _as_float(table.col(1))
    _raise_first(table, [_id_problem(table, 0, "genre"),
                         _number_problem(table, 1, idx, bad, "a column number")])
    order = np.argsort(idx, kind="stable")
    return table.col(0).astype("str").to_numpy(dtype=str)[order].tolist()


def _read_ml100k(folder: Path, name: str) -> Dataset:
    inter = _ml_ratings(folder / "u.data", "\t", header=False)
    path = folder / "u.item"
    if not path.is_file():
        return _build(inter, name)
    vocab = _read_ml100k_genres(folder)
    head = ["item", "title", "release date", "video release date", "IMDb URL"]
    table = _read_text(path, sep="|", names=head + vocab, quoting=csv.QUOTE_NONE, encoding="latin-1",
                       names_help=f"{', '.join(head)} and the {len(vocab)} genre flags named in u.genre")
    flags = []
    problems: list[_Problem | None] = [_id_problem(table, 0, "item")]
    for j in range(len(head), len(head) + len(vocab)):
        vals, bad = _as_float(table.col(j))
        bad = bad | ~np.isin(vals, (0.0, 1.0))
        hit = _first(bad)
        if hit is not None:
            problems.append(_Problem(hit[0], f"{table.colname(j)} has {_fmt_value(table.col(j).iloc[hit[0]])!r}; "
                                     "expected 0 or 1", hit[1]))
        flags.append(vals == 1.0)
    _raise_first(table, problems)
    raw = _ids(table, 0)
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
            "years": _per_item(items, raw, years, np.nan, np.float64),
            "titles": _per_item(items, raw, titles.to_numpy(dtype=str), "", object).astype(str),
        }

    return _build(inter, name, extra_items=[raw], side=side)


# --------------------------------------------------------------------------- the movie competition
#: side files of the competition layout: file -> (role, kind)
COMPETITION_FILES = {
    "genres.tsv": "genres",
    "years.tsv": "years",
    "directors.tsv": "directors",
    "writers.tsv": "writers",
    "titles.tsv": "titles",
}


def _read_pairs(path: Path) -> tuple[_Table, np.ndarray]:
    """A tab-separated (item, attribute) file with a header; first column = item, second = attribute."""
    table = _read_text(path, sep="\t", header=True)
    if len(table.columns) < 2:
        raise DataError(f"{path}: found 1 column ({_quote_list(table.columns)}); expected 2 tab-separated "
                        "columns with a header line: item, then the attribute")
    _raise_first(table, [_id_problem(table, 0, "item")])
    return table, _ids(table, 0)


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
    inter = _guessed_interactions(_read_text(ratings))

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
            vals, bad = _as_float(t.col(1))
            _raise_first(t, [_number_problem(t, 1, vals, bad, "a year (a number)", allow_empty=True)])
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
            out["years"] = _per_item(items, r[ok], v[ok], np.nan, np.float64)
        if titles is not None:
            out["titles"] = _per_item(items, titles[0], titles[1], "", object).astype(str)
        return out

    return _build(inter, folder.resolve().name, extra_items=extra, side=side)


# --------------------------------------------------------------------------- read_dataset
def _listing(folder: Path, limit: int = 12) -> str:
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
    if not names:
        return "nothing (the folder is empty)"
    return ", ".join(names[:limit]) + (f", ... ({len(names)} entries)" if len(names) > limit else "")


def _read_lastfm(folder: Path) -> Dataset:
    """HetRec 2011 Last.fm: user_artists.dat (userID, artistID, weight) + artist names as titles."""
    table = _read_text(folder / "user_artists.dat", sep="\t")
    pos = _resolve_all(table, {"user": "userID", "item": "artistID", "value": "weight"})
    inter = _interactions(table, pos)
    artists = folder / "artists.dat"
    if not artists.is_file():
        return _build(inter, folder.resolve().name)
    t = _read_text(artists, sep="\t", quoting=csv.QUOTE_NONE)
    apos = _resolve_all(t, {"item": "id", "title": "name"})
    item = _required(apos, "item")
    _raise_first(t, [_id_problem(t, item, "item")])
    raw = _ids(t, item)
    names = t.col(_required(apos, "title")).astype("str").fillna("").to_numpy(dtype=str)

    def side(items: IdMap) -> dict[str, Any]:
        return {"titles": _per_item(items, raw, names, "", object).astype(str)}

    return _build(inter, folder.resolve().name, extra_items=[raw], side=side)


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
    times ``timestamp``, ``time``, ``ts``, ``date``... (see :data:`USER_COLUMNS` and the
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
        return _read_guessed(p)
    if not p.is_dir():  # pragma: no cover - sockets, devices
        raise DataError(f"{p}: not a file or a folder")
    if (p / "u.data").is_file() or (p / "ratings.dat").is_file() or (p / "ratings.csv").is_file():
        return read_movielens(p)
    if (p / "train_ratings.csv").is_file():
        return read_movie_competition(p)
    if (p / "user_artists.dat").is_file():
        return _read_lastfm(p)
    raise DataError(
        f"{p}: no dataset layout recognised; looked for u.data (MovieLens 100K), ratings.dat "
        f"(MovieLens 1M/10M), ratings.csv (MovieLens 20M/25M/latest), train_ratings.csv (movie "
        f"competition) and user_artists.dat (HetRec Last.fm); found {_listing(p)}. "
        f"Pass a single ratings file instead, or use read_csv")

