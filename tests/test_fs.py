"""Atomic writes leave the old file (or nothing) behind when writing fails."""

from __future__ import annotations

import pytest

from reclite._fs import atomic_dir, atomic_write
from reclite._validation import parse_memory
from reclite.errors import UnknownIdError


def test_atomic_write_replaces_on_success(tmp_path):
    p = tmp_path / "out.csv"
    p.write_text("old")
    with atomic_write(p) as fh:
        fh.write("new")
    assert p.read_text() == "new"
    assert [f.name for f in tmp_path.iterdir()] == ["out.csv"]


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    p = tmp_path / "out.csv"
    p.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(p) as fh:
        fh.write("half")
        raise RuntimeError("boom")
    assert p.read_text() == "old"
    assert [f.name for f in tmp_path.iterdir()] == ["out.csv"]


def test_atomic_write_failure_leaves_nothing_when_new(tmp_path):
    p = tmp_path / "new.csv"
    with pytest.raises(RuntimeError), atomic_write(p) as fh:
        fh.write("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_atomic_dir_replaces_whole_folder(tmp_path):
    d = tmp_path / "model"
    d.mkdir()
    (d / "stale.txt").write_text("x")
    with atomic_dir(d) as tmp:
        (tmp / "params.json").write_text("{}")
    assert sorted(f.name for f in d.iterdir()) == ["params.json"]
    assert sorted(f.name for f in tmp_path.iterdir()) == ["model"]


def test_atomic_dir_keeps_old_folder_on_failure(tmp_path):
    d = tmp_path / "model"
    d.mkdir()
    (d / "params.json").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(d) as tmp:
        (tmp / "params.json").write_text("new")
        raise RuntimeError("boom")
    assert (d / "params.json").read_text() == "old"
    assert sorted(f.name for f in tmp_path.iterdir()) == ["model"]


@pytest.mark.parametrize("text,expected", [("1GB", 1024**3), ("512MB", 512 * 1024**2), ("1.5 gb", int(1.5 * 1024**3)),
                                           (2_000_000, 2_000_000), ("100", 100), ("64KiB", 65536)])
def test_parse_memory(text, expected):
    assert parse_memory(text) == expected


@pytest.mark.parametrize("bad", ["lots", "-1GB", 0, "1XB", True])
def test_parse_memory_rejects(bad):
    with pytest.raises(ValueError, match="max_memory must be"):
        parse_memory(bad)


def test_unknown_id_error_prints_without_quotes():
    e = UnknownIdError("2 unknown user ids (e.g. 'x', 'y'); the map knows 3 users")
    assert str(e) == "2 unknown user ids (e.g. 'x', 'y'); the map knows 3 users"
    assert isinstance(e, KeyError)
