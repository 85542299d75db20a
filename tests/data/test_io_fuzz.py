"""Reader fuzzing: whatever the bytes, ``read_csv`` and ``read_dataset`` give a Dataset or one DataError.

The contract checked on every example: the reader returns a Dataset, or raises exactly
one :class:`DataError` whose message is one line starting with the file's path
(a missing path: FileNotFoundError); nothing else escapes, and no warning other than a
:class:`DataWarning`. Where the file is a valid encoding of a known table, the Dataset
must hold exactly that table.

Runs derandomized with a small budget (a few seconds in all) so CI is reproducible;
``RECLITE_FUZZ_EXAMPLES=2000 pytest tests/data/test_io_fuzz.py`` fuzzes harder with
fresh random examples.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import lzma
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reclite import Dataset, read_csv, read_dataset
from reclite.data import read_text_lines
from reclite.errors import DataError, DataWarning

_DEEP = os.environ.get("RECLITE_FUZZ_EXAMPLES")
FUZZ = settings(max_examples=int(_DEEP) if _DEEP else 60, deadline=None, database=None,
                derandomize=not _DEEP, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------- the contract
def outcome(func: Callable[..., Any], path: Path, **kwargs: Any) -> Any:
    """A Dataset, or the DataError raised (checked: one line naming the file); anything else fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a stray pandas/numpy warning is a failure too
        warnings.simplefilter("ignore", DataWarning)
        try:
            result = func(path, **kwargs)
        except DataError as exc:
            msg = str(exc)
            assert "\n" not in msg, msg
            assert msg.startswith(str(path)), msg
            return exc
    assert isinstance(result, Dataset)
    return result


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "": lambda b: b,
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
    ".lzma": lambda b: lzma.compress(b, format=lzma.FORMAT_ALONE),
}


def write_file(folder: str, name: str, data: bytes) -> Path:
    path = Path(folder) / name
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------- random bytes
@FUZZ
@given(data=st.binary(max_size=400),
       suffix=st.sampled_from(["", ".csv", ".tsv", ".dat", ".csv.gz", ".csv.bz2", ".csv.xz", ".lzma",
                               ".parquet"]),
       compress=st.booleans())
def test_random_bytes(data, suffix, compress):
    if compress:  # a valid archive of garbage, or garbage named as an archive
        data = COMPRESSORS.get(Path(suffix).suffix, lambda b: b)(data)
    with tempfile.TemporaryDirectory() as d:
        path = write_file(d, "x" + suffix, data)
        outcome(read_csv, path)
        outcome(read_dataset, path)
        try:
            read_text_lines(path)
        except DataError as exc:
            assert str(exc).startswith(str(path))


_CSVISH = ',;\t| \n\r"\'abcuseritm019.-+eE\x00\x0b\x0c\x1c\x1f\x85\xa0é€語'


@FUZZ
@given(text=st.text(alphabet=_CSVISH, max_size=200),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252", "latin-1"]),
       suffix=st.sampled_from(["", ".gz", ".bz2"]),
       sep=st.sampled_from([None, ",", ";", "\t", "|", " ", "::"]))
def test_csv_like_text(text, encoding, suffix, sep):
    """Text made of separators, quotes, digits, odd whitespace and control characters."""
    raw = text.encode(encoding, errors="replace")
    with tempfile.TemporaryDirectory() as d:
        path = write_file(d, "x.csv" + suffix, COMPRESSORS[suffix](raw))
        outcome(read_csv, path, sep=sep)
        outcome(read_csv, path, sep=sep, user=0, item=1)
        outcome(read_dataset, path)


def test_missing_path_is_file_not_found(tmp_path):
    for func in (read_csv, read_dataset):
        with pytest.raises(FileNotFoundError, match="no such file or folder"):
            func(tmp_path / "nope.csv")


# ---------------------------------------------------------------------------- a known table
#: how the table's text becomes bytes: name -> (encode, the encoding= to pass when passing one)
ENCODINGS: dict[str, tuple[Callable[[str], bytes], str]] = {
    "utf-8": (lambda s: s.encode("utf-8"), "utf-8"),
    "utf-8-sig": (lambda s: s.encode("utf-8-sig"), "utf-8-sig"),
    "utf-16": (lambda s: s.encode("utf-16"), "utf-16"),  # with a byte-order mark
    "utf-16-be": (lambda s: codecs.BOM_UTF16_BE + s.encode("utf-16-be"), "utf-16"),
    "utf-32": (lambda s: s.encode("utf-32"), "utf-32"),
    "utf-32-be": (lambda s: codecs.BOM_UTF32_BE + s.encode("utf-32-be"), "utf-32"),
    "utf-16-le-nobom": (lambda s: s.encode("utf-16-le"), "utf-16-le"),
    "latin-1": (lambda s: s.encode("latin-1"), "latin-1"),
    "cp1252": (lambda s: s.encode("cp1252"), "cp1252"),
}
_LETTERS = "abexyzAEINTflnrstu"  # spells nan, inf, NA, null, True...
_ALPHABET = {
    "latin-1": _LETTERS + "éüßñÆ",
    "cp1252": _LETTERS + "éüßñÆ€’œŠ",
    "utf": _LETTERS + "éüßñÆ€’œŠΩё語ℝ",
}
#: ids that pandas alone would read as something else (booleans, floats, missing values)
TRICKY_IDS = ["True", "false", "TRUE", "NaN", "nan", "inf", "-inf", "NA", "null", "None", "1.5", "12E45",
              "0x1F", "1,5"]
USER_NAMES = ["user", "userId", "user_id", "UserID", "customer_id", "uid"]
ITEM_NAMES = ["item", "movieId", "item_id", "artistID", "productId"]
VALUE_NAMES = ["rating", "value", "weight", "count"]
TIME_NAMES = ["timestamp", "time", "ts"]
SNIFFED = (",", ";", "\t", "|")


@dataclass
class Table:
    rows: list[tuple[Any, Any, float | None, int | None]]  # user, item, value, time as written
    kinds: tuple[str, str]  # per id column: "int", "str" or "mixed"
    order: list[str]  # columns in file order: "user", "item", "value", "time", "extra"
    names: dict[str, str]  # header name of each column
    extra: list[str]  # the unused column's cells


def _id(kind: str, alphabet: str) -> st.SearchStrategy:
    ints = st.integers(0, 10**6)
    strs = st.text(alphabet=alphabet, min_size=1, max_size=5) | st.sampled_from(TRICKY_IDS)
    return {"int": ints, "str": strs, "mixed": st.one_of(ints, strs)}[kind]


@st.composite
def tables(draw, alphabet: str) -> Table:
    kinds = (draw(st.sampled_from(["int", "str", "mixed"])), draw(st.sampled_from(["int", "str", "mixed"])))
    has_value, has_time, has_extra = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    row = st.tuples(_id(kinds[0], alphabet), _id(kinds[1], alphabet),
                    st.integers(0, 10_000).map(lambda k: k / 4) if has_value else st.none(),
                    st.integers(0, 2 * 10**9) if has_time else st.none())
    rows = draw(st.lists(row, min_size=1, max_size=8,
                         unique_by=lambda r: (str(r[0]), str(r[1]))))  # one interaction per pair
    cols = ["user", "item"] + ["value"] * has_value + ["time"] * has_time + ["extra"] * has_extra
    order = draw(st.permutations(cols)) if draw(st.booleans()) else cols
    names = {"user": draw(st.sampled_from(USER_NAMES)), "item": draw(st.sampled_from(ITEM_NAMES)),
             "value": draw(st.sampled_from(VALUE_NAMES)), "time": draw(st.sampled_from(TIME_NAMES)),
             "extra": "note"}
    extra = draw(st.lists(st.text(alphabet=_LETTERS + "0123456789", max_size=4),
                          min_size=len(rows), max_size=len(rows)))
    return Table(rows, kinds, list(order), names, extra)


@dataclass
class Dialect:
    sep: str
    quoting: str  # "none", "minimal", "all"
    header: bool
    newline: str
    final_newline: bool
    blank_after: list[int]  # blank lines inserted after these line numbers (0: before the first)
    short_row: int | None  # a data row that lacks its last field
    long_row: int | None  # a data row with one field too many


@st.composite
def dialects(draw, n_rows: int) -> Dialect:
    rows = st.integers(0, n_rows - 1)
    dialect = Dialect(
        sep=draw(st.sampled_from([",", ";", "\t", "|", " "])),
        quoting=draw(st.sampled_from(["none", "minimal", "all"])),
        header=draw(st.booleans()),
        newline=draw(st.sampled_from(["\n", "\r\n"])),
        final_newline=draw(st.booleans()),
        blank_after=draw(st.lists(st.integers(0, n_rows + 1), max_size=3)),
        short_row=draw(st.none() | rows) if draw(st.integers(0, 4)) == 0 else None,
        long_row=draw(st.none() | rows) if draw(st.integers(0, 4)) == 0 else None,
    )
    if dialect.long_row == dialect.short_row:
        dialect.long_row = None
    return dialect


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def render(table: Table, dialect: Dialect) -> str:
    def field(text: str) -> str:
        if dialect.quoting == "all" or (dialect.quoting == "minimal" and (dialect.sep in text or '"' in text)):
            return '"' + text.replace('"', '""') + '"'
        return text

    def cells(r: int) -> list[str]:
        u, i, v, t = table.rows[r]
        by_col = {"user": u, "item": i, "value": v, "time": t, "extra": table.extra[r]}
        return [_cell(by_col[c]) for c in table.order]

    lines = []
    if dialect.header:
        lines.append([table.names[c] for c in table.order])
    for r in range(len(table.rows)):
        fields = cells(r)
        if r == dialect.short_row:
            fields = fields[:-1]
        if r == dialect.long_row:
            fields = fields + ["9"]
        lines.append(fields)
    out = [dialect.sep.join(field(f) for f in fields) for fields in lines]
    for pos in sorted(dialect.blank_after, reverse=True):
        out.insert(min(pos, len(out)), "")
    text = dialect.newline.join(out)
    return text + dialect.newline if dialect.final_newline else text


def expected_rows(table: Table) -> list[tuple]:
    """The table as the reader must give it back: ints stay ints unless a column mixes kinds."""
    text = [any(isinstance(r[c], str) for r in table.rows) for c in (0, 1)]

    def as_read(value: Any, col: int) -> Any:
        return str(value) if text[col] else value

    return sorted(((as_read(u, 0), as_read(i, 1), 1.0 if v is None else float(np.float32(v)), t)
                   for u, i, v, t in table.rows), key=repr)


def actual_rows(ds: Dataset) -> list[tuple]:
    df = ds.to_frame()
    times = df["time"].tolist() if "time" in df else [None] * len(df)
    return sorted(zip(df["user"].tolist(), df["item"].tolist(), df["value"].tolist(), times), key=repr)


@st.composite
def cases(draw):
    encoding = draw(st.sampled_from(sorted(ENCODINGS)))
    alphabet = _ALPHABET.get(encoding, _ALPHABET["utf"])
    table = draw(tables(alphabet))
    dialect = draw(dialects(len(table.rows)))
    suffix = draw(st.sampled_from(["", ".gz", ".bz2", ".xz"]))
    damage = draw(st.sampled_from([None] * 6 + ["truncated", "mislabelled"])) if suffix else None
    pass_encoding = draw(st.booleans())
    by_names = draw(st.booleans())
    return encoding, table, dialect, suffix, damage, pass_encoding, by_names


@FUZZ
@given(case=cases())
def test_known_table_in_random_dialect_encoding_and_compression(case):
    encoding, table, dialect, suffix, damage, pass_encoding, by_names = case
    text = render(table, dialect)
    encode, enc_name = ENCODINGS[encoding]
    raw = encode(text)
    packed = COMPRESSORS[suffix](raw)
    if damage == "truncated":
        packed = packed[: len(packed) - 1 - len(packed) // 3]
    elif damage == "mislabelled":
        packed = raw  # plain text named .gz/.bz2/.xz

    # how read_csv is asked: header names, names= for a headerless file, or positions
    kwargs: dict[str, Any] = {"sep": dialect.sep}
    if pass_encoding:
        kwargs["encoding"] = enc_name
    roles = [c for c in ("user", "item", "value", "time") if c in table.order]
    first_numeric = all(isinstance(x, int) for x in table.rows[0][:2]) and (
        "extra" not in table.order or table.extra[0].isdigit())
    if dialect.header:
        kwargs.update({r: table.names[r] for r in roles})
    elif by_names:
        kwargs["names"] = [f"c_{c}" for c in table.order]
        kwargs.update({r: f"c_{r}" for r in roles})
    else:
        kwargs.update({r: table.order.index(r) for r in roles})
    # a headerless file read by position whose first line is not all numbers: that line is
    # taken as the header (documented), so nothing is known of the outcome but the contract
    first_is_header = not dialect.header and not by_names and not first_numeric

    # what the reader must do
    refused = damage is not None or (encoding == "utf-16-le-nobom" and not pass_encoding)
    fields_clean = dialect.quoting != "none" or not any(
        dialect.sep in _cell(x) or '"' in _cell(x) for r in table.rows for x in r)
    if dialect.sep == " " and dialect.quoting != "all":  # spaces after a separator are skipped
        fields_clean = fields_clean and not any(_cell(x) == "" for x in table.extra)
    # a row with a field too many is wrong when a header line or most rows say how many there
    # are; a row without a used field always is
    malformed = fields_clean and not first_is_header and (
        (dialect.long_row is not None and (dialect.header or len(table.rows) >= 3))
        or (dialect.short_row is not None and table.order[-1] != "extra"))
    sniffed_as_written = True  # whether the encoding found without encoding= reads the text back
    if encoding in ("latin-1", "cp1252"):
        try:  # bytes that happen to be valid UTF-8 are read as UTF-8 (the documented rule)
            sniffed_as_written = raw.decode("utf-8") == text
        except UnicodeDecodeError:
            pass
    decodes_as_written = pass_encoding or sniffed_as_written
    # a short row lacking only its unused last field is fine once a header line gives the width
    exact = (not refused and fields_clean and not first_is_header and decodes_as_written
             and dialect.long_row is None and (dialect.short_row is None or
                                               (dialect.header and table.order[-1] == "extra")))

    with tempfile.TemporaryDirectory() as d:
        path = write_file(d, "ratings.csv" + suffix, packed)
        got = outcome(read_csv, path, **kwargs)
        if refused:
            assert isinstance(got, DataError), (text, kwargs)
            if damage == "truncated":
                assert "truncated" in str(got)
            elif damage == "mislabelled":
                assert f"not {'an' if suffix == '.xz' else 'a'} " in str(got)
            else:
                assert "UTF-16-LE" in str(got) and "encoding=" in str(got)
        elif malformed:
            assert isinstance(got, DataError), (text, kwargs)
        elif exact:
            assert isinstance(got, Dataset), (str(got), text, kwargs)
            assert actual_rows(got) == expected_rows(table), (text, kwargs)

        # read_dataset: columns recognised by name, or user, item, value, time by position
        got = outcome(read_dataset, path)
        by_position = table.order == ["user", "item", "value", "time"][: len(table.order)] and first_numeric
        if refused or encoding == "utf-16-le-nobom":  # read_dataset takes no encoding=
            assert isinstance(got, DataError)
        elif exact and dialect.sep in SNIFFED and (dialect.header or by_position) and sniffed_as_written:
            assert isinstance(got, Dataset), (str(got), text)
            assert actual_rows(got) == expected_rows(table), text


# ---------------------------------------------------------------------------- twins
@FUZZ
@given(table=tables(_ALPHABET["utf"]),
       encoding=st.sampled_from(["utf-8-sig", "utf-16", "utf-16-be", "utf-32", "utf-32-be"]),
       suffix=st.sampled_from(["", ".gz", ".bz2", ".xz"]))
def test_unicode_encodings_read_as_their_utf8_twin(table, encoding, suffix):
    """A UTF-16/UTF-32 file with a byte-order mark gives exactly the Dataset of its UTF-8 twin."""
    dialect = Dialect(",", "minimal", True, "\n", True, [], None, None)
    text = render(table, dialect)
    with tempfile.TemporaryDirectory() as d:
        plain = write_file(d, "a.csv", text.encode("utf-8"))
        other = write_file(d, "b.csv" + suffix, COMPRESSORS[suffix](ENCODINGS[encoding][0](text)))
        a, b = outcome(read_dataset, plain), outcome(read_dataset, other)
        assert type(a) is type(b)
        if isinstance(a, Dataset):
            assert a.fingerprint() == b.fingerprint()
            assert actual_rows(a) == actual_rows(b)
            assert a.users == b.users and a.items == b.items
        else:
            assert str(a).replace(str(plain), "") == str(b).replace(str(other), "")
