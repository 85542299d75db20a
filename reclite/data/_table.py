"""A delimited text file (or parquet) read into a :class:`Table`, with line-located errors.

The separator is sniffed from the first lines (:data:`SEPARATORS`), the header told from
data, and pandas' C parser reads the file with nothing lost silently: a row with more
fields than the header, an unclosed quote or undecodable bytes are each one DataError
naming the file and the line. :func:`raise_first` reports a :class:`Problem` found in a
column at the line the file shows (see the conventions in :mod:`reclite.data`).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError, ParameterTypeError
from ._files import (
    FALLBACK_ENCODINGS,
    SAMPLE_BYTES,
    ascii_compatible,
    bom_encoding,
    check_encoding,
    decode,
    head_bytes,
    opener,
    read_all,
    reading,
    undecodable,
)

Column = str | int
_Quoting = Literal[0, 1, 2, 3]  # csv.QUOTE_MINIMAL, QUOTE_ALL, QUOTE_NONNUMERIC, QUOTE_NONE

#: separators tried, in this order of preference, when ``sep`` is not given
SEPARATORS = ("::", "\t", ",", "|", ";")
_SEP_NAMES = {"::": "'::'", "\t": "tab", ",": "comma", "|": "'|'", ";": "';'"}
_SAMPLE_LINES = 50
_MULTI_SEP = "\x1f"  # multi-character separators are rewritten to this before pandas parses


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


def fmt_value(v: Any) -> str:
    """A cell as the person wrote it (numbers without a spurious '.0')."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if np.isfinite(f) and f == int(f) and abs(f) < 1e16:
            return str(int(f))
        return repr(f)
    return str(v)


def quote_list(names: Sequence[object], limit: int = 30) -> str:
    shown = ", ".join(repr(str(n)) for n in list(names)[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


# --------------------------------------------------------------------------- a read table
@dataclass
class Table:
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
            self._lines = data_line_numbers(self.path, self.header_lines, self.sep, self.data)
        if row < len(self._lines):
            return f"line {int(self._lines[row])}"
        return f"line {row + 1 + self.header_lines}"  # pragma: no cover - parser/line disagreement


def data_line_numbers(path: Path, header_lines: int, sep: str, data: bytes | None = None) -> np.ndarray:
    """1-based numbers of the lines pandas reads as rows, after the header (error path only).

    ``data``: the file's bytes when they are already in memory (as UTF-8), else the
    file is read again. pandas skips lines made only of spaces (and of tabs, unless tab
    is the separator).
    """
    if data is None:
        data = read_all(path)
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
class Problem:
    row: int
    message: str  # everything after "<file>: <where>: "
    count: int


def raise_first(table: Table, problems: list[Problem | None]) -> None:
    found = [p for p in problems if p is not None]
    if not found:
        return
    p = min(found, key=lambda q: q.row)
    more = f" ({p.count:,} such rows in all)" if p.count > 1 else ""
    raise DataError(f"{table.label}: {table.where(p.row)}: {p.message}{more}")


def first_hit(mask: np.ndarray) -> tuple[int, int] | None:
    if not mask.any():
        return None
    return int(np.argmax(mask)), int(mask.sum())


# --------------------------------------------------------------------------- reading text
def read_text_table(
    path: Path,
    *,
    sep: str | None = None,
    names: Sequence[str] | None = None,
    header: bool | None = None,
    encoding: str | None = None,
    quoting: _Quoting = csv.QUOTE_MINIMAL,
    numeric_header_is_data: bool = True,
    names_help: str | None = None,
) -> Table:
    """Read a delimited text file as strings-or-numbers, with no silent loss of rows or fields.

    ``header``: True (the first line names the columns), False (it does not), None
    (it does, unless ``names`` is given or the first line is all numbers and
    ``numeric_header_is_data``).
    """
    label = str(path)
    head = head_bytes(path)
    data: bytes | None = None  # the whole file as UTF-8 when it had to be transcoded
    if encoding is not None:
        check_encoding(encoding)
    file_enc = encoding or bom_encoding(head)
    if file_enc is not None and not ascii_compatible(file_enc):
        # UTF-16/UTF-32 (recognised by the byte-order mark, or named): the tokenizer and the
        # line numbers work on ASCII-compatible bytes, so the file is read once as UTF-8
        text_all, _ = decode(read_all(path), label, file_enc)
        data = text_all.encode("utf-8")
        head, encoding = data[:SAMPLE_BYTES], "utf-8"
        if len(data) > SAMPLE_BYTES and head.rfind(b"\n") >= 0:
            head = head[: head.rfind(b"\n") + 1]
    text, enc = decode(head, label, encoding)
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
            raise DataError(f"{label}: names has {len(names)} names ({quote_list(names)}) but the file "
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
            data = read_all(path)
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
        tries = list(FALLBACK_ENCODINGS[FALLBACK_ENCODINGS.index(enc):])

    def parse_with(encoding: str, **more: Any) -> pd.DataFrame:
        with warnings.catch_warnings(), reading(path), \
                (io.BytesIO(parse) if parse is not None else opener(path)) as source:
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
            raw = data if data is not None else read_all(path)
            try:
                raw.decode(enc_try)
            except UnicodeDecodeError as exc:
                raise undecodable(label, raw, exc, enc_try) from None
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

    return Table(path, label, df, columns, header_lines=1 if header else 0,
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


def read_parquet_table(path: Path) -> Table:
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
    return Table(path, label, df, columns, header_lines=-1)


def is_parquet(path: Path) -> bool:
    if path.suffix.lower() in (".parquet", ".pq"):
        return True
    with open(path, "rb") as fh:
        return fh.read(4) == b"PAR1"
