"""A data file's bytes and text: compression by suffix, encodings, one DataError naming the file.

The rules (which suffix means which archive, how the encoding is chosen, what is refused)
are the readers' conventions in :mod:`reclite.data`. Everything that reads a data file goes
through here: :mod:`reclite.data._table` for tables, :func:`read_text_lines` for id lists.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import lzma
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .._typing import PathLike
from ..errors import DataError, ParameterError

__all__ = ["read_text_lines"]

#: how much of a file is read to sniff its encoding and separator
SAMPLE_BYTES = 1 << 18


# --------------------------------------------------------------------------- files and lines
def check_file(path: PathLike, what: str = "file") -> Path:
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


def opener(path: Path) -> Any:
    """A binary file object that yields the file's bytes, decompressed by suffix.

    Reading from it can raise a decompressor's own errors: read inside :func:`reading`.
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
def reading(path: Path) -> Iterator[None]:
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


def read_all(path: Path) -> bytes:
    """The whole file, decompressed (DataError for a broken archive)."""
    with reading(path), opener(path) as fh:
        return fh.read()


def head_bytes(path: Path, n: int = SAMPLE_BYTES) -> bytes:
    """The first ``n`` bytes (decompressed), cut after the last full line when there is more."""
    with reading(path), opener(path) as fh:
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
FALLBACK_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
_ASCII_PROBE = "user,item;rating|time\t:: 0123456789\r\n"


def bom_encoding(data: bytes) -> str | None:
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return enc
    return None


def check_encoding(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ParameterError(f"encoding={encoding!r} is not an encoding Python knows; expected a name "
                             "such as 'utf-8', 'utf-16', 'latin-1' or 'cp1252'") from None


def ascii_compatible(encoding: str) -> bool:
    """True when the encoding writes ASCII as ASCII (so '\\n' and separators are single bytes)."""
    try:
        return _ASCII_PROBE.encode("ascii").decode(encoding) == _ASCII_PROBE
    except (UnicodeDecodeError, LookupError):
        return False


def _line_at(data: bytes, offset: int, encoding: str = "latin-1") -> int:
    """The 1-based line of byte ``offset`` of ``data`` (text in ``encoding``)."""
    if ascii_compatible(encoding):
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
    bom = bom_encoding(data)
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


def undecodable(label: str, data: bytes, exc: UnicodeDecodeError, encoding: str) -> DataError:
    bad = data[exc.start:exc.end][:8].hex(" ")
    return DataError(f"{label}: line {_line_at(data, exc.start, encoding)}: cannot read bytes {bad} as "
                     f"{encoding} ({exc.reason}); pass the file's encoding with encoding= (for example "
                     "'utf-8', 'cp1252' or 'latin-1')")


def decode(data: bytes, label: str, encoding: str | None) -> tuple[str, str]:
    """Text of ``data`` and the encoding that read it, by the readers' conventions (:mod:`reclite.data`).

    Without ``encoding``: a UTF-16 or UTF-32 byte-order mark decides; otherwise UTF-8
    (a byte-order mark is allowed), else Windows-1252, else Latin-1; bytes that cannot
    be text (NULs: UTF-16 without a mark, binary data) are refused. With ``encoding``,
    that one, and bytes it cannot read are a DataError naming the line.
    """
    if encoding is None:
        bom = bom_encoding(data)
        if bom in ("utf-16", "utf-32"):
            encoding = bom
        else:
            _refuse_binary(data, label)
            for enc in FALLBACK_ENCODINGS[:-1]:
                try:
                    return data.decode(enc), enc
                except UnicodeDecodeError:
                    continue
            return data.decode("latin-1"), "latin-1"
    check_encoding(encoding)
    if ascii_compatible(encoding):
        _refuse_binary(data, label, encoding)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise undecodable(label, data, exc, encoding) from None
    return text.removeprefix("\ufeff"), encoding


def read_text_lines(path: PathLike, what: str = "file", *, encoding: str | None = None) -> list[str]:
    """The non-blank lines of a small text file (an id list, say), stripped.

    Read by the same rules as every data file: compression by suffix (a truncated or
    mislabelled archive is a DataError naming the file); encodings as the readers'
    conventions in :mod:`reclite.data` say (UTF-16/UTF-32 with a byte-order mark are
    recognised, UTF-16 without one is refused naming it); a missing file raises
    FileNotFoundError naming it.
    """
    p = check_file(path, what)
    text, _ = decode(read_all(p), str(p), encoding)
    return [line.strip() for line in text.splitlines() if line.strip()]


def folder_listing(folder: Path, limit: int = 12) -> str:
    """What a folder holds, for an error message that says what was found."""
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
    if not names:
        return "nothing (the folder is empty)"
    return ", ".join(names[:limit]) + (f", ... ({len(names)} entries)" if len(names) > limit else "")
