"""Atomic writes: the old file (or nothing) when writing fails, nothing lost, normal modes, no temporaries.

The CLI's view of the same promises is in test_outputs.py.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from reclite._fs import atomic_dir, atomic_write
from reclite._validation import parse_memory
from reclite.errors import OutputError, UnknownIdError
from reclite.persist import is_model_directory


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
    with atomic_dir(d, may_replace=lambda p: (p / "stale.txt").exists()) as tmp:
        (tmp / "params.json").write_text("{}")
    assert sorted(f.name for f in d.iterdir()) == ["params.json"]
    assert sorted(f.name for f in tmp_path.iterdir()) == ["model"]


def test_atomic_dir_keeps_old_folder_on_failure(tmp_path):
    d = tmp_path / "model"
    d.mkdir()
    (d / "params.json").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(d, may_replace=lambda p: True) as tmp:
        (tmp / "params.json").write_text("new")
        raise RuntimeError("boom")
    assert (d / "params.json").read_text() == "old"
    assert sorted(f.name for f in tmp_path.iterdir()) == ["model"]


# ---------------------------------------------------------------- nothing lost
def _tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` (relative) with its bytes (None for a folder or link)."""
    out: dict[str, bytes | None] = {}
    for p in sorted(root.rglob("*")):
        out[str(p.relative_to(root))] = p.read_bytes() if p.is_file() and not p.is_symlink() else None
    return out


def _model_like(d: Path, cls: str = "Popularity") -> Path:
    d.mkdir()
    (d / "params.json").write_text(json.dumps({"format_version": 1, "class": cls, "params": {}}))
    (d / "arrays.npz").write_bytes(b"old arrays")
    return d


def test_atomic_dir_without_permission_never_replaces(tmp_path):
    d = tmp_path / "model"
    d.mkdir()
    (d / "thesis.tex").write_text("keep")
    before = _tree(tmp_path)
    with pytest.raises(OutputError, match="exists and is not a folder reclite wrote") as info:
        with atomic_dir(d) as tmp:
            (tmp / "x").write_text("y")  # never reached: refused before anything is created
    assert str(d) in str(info.value) and "nothing was changed" in str(info.value)
    assert _tree(tmp_path) == before


def test_atomic_dir_refuses_a_folder_the_predicate_rejects(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    (d / "ratings.csv").write_text("user,item\n1,2\n")
    before = _tree(tmp_path)
    with pytest.raises(OutputError, match="is not a reclite model directory"):
        with atomic_dir(d, may_replace=is_model_directory, what="a reclite model directory"):
            raise AssertionError("the block must not run")
    assert _tree(tmp_path) == before


def test_atomic_dir_refuses_an_existing_file(tmp_path):
    f = tmp_path / "model"
    f.write_text("keep")
    with pytest.raises(OutputError, match=r"exists and is a file, not a reclite model directory; nothing"):
        with atomic_dir(f, may_replace=is_model_directory, what="a reclite model directory"):
            raise AssertionError("the block must not run")
    assert _tree(tmp_path) == {"model": b"keep"}


@pytest.mark.parametrize("spelling", [".", "..", "/"])
def test_atomic_dir_dot_dotdot_root_refused_and_nothing_left(tmp_path, monkeypatch, spelling):
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("keep")
    monkeypatch.chdir(work)
    before = _tree(tmp_path)
    with pytest.raises(OutputError) as info:
        with atomic_dir(spelling, may_replace=is_model_directory, what="a reclite model directory"):
            raise AssertionError("the block must not run")
    msg = str(info.value)
    assert msg.startswith(spelling) and "nothing was changed" in msg
    assert ("root directory" in msg) if spelling == "/" else ("is not a reclite model directory" in msg)
    assert _tree(tmp_path) == before


def test_atomic_dir_replaces_a_model_dir_in_the_current_directory(tmp_path, monkeypatch):
    d = _model_like(tmp_path / "m")
    monkeypatch.chdir(d)
    with atomic_dir(".", may_replace=is_model_directory) as tmp:
        (tmp / "params.json").write_text('{"format_version": 1, "class": "EASE"}')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    assert sorted(p.name for p in d.iterdir()) == ["params.json"]


def test_is_model_directory(tmp_path):
    assert is_model_directory(_model_like(tmp_path / "m"))
    (tmp_path / "no_class").mkdir()
    (tmp_path / "no_class" / "params.json").write_text('{"format_version": 1}')
    (tmp_path / "list").mkdir()
    (tmp_path / "list" / "params.json").write_text('["format_version", "class"]')
    (tmp_path / "garbage").mkdir()
    (tmp_path / "garbage" / "params.json").write_bytes(b"\xff\xfe{")
    (tmp_path / "empty").mkdir()
    for name in ("no_class", "list", "garbage", "empty", "missing"):
        assert not is_model_directory(tmp_path / name), name


def test_atomic_dir_failed_swap_puts_the_old_folder_back(tmp_path, monkeypatch):
    d = _model_like(tmp_path / "model")
    before = _tree(tmp_path)
    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append((str(src), str(dst)))
        if len(calls) == 2:  # old moved aside; moving the new folder in fails
            raise OSError(errno.EIO, "Input/output error", src, dst)
        return real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OutputError) as info:
        with atomic_dir(d, may_replace=is_model_directory) as tmp:
            (tmp / "params.json").write_text("new")
    monkeypatch.setattr(os, "replace", real)
    assert str(info.value) == f"cannot write {d}: Input/output error"  # the user's path, no temporary name
    assert isinstance(info.value, OSError) and info.value.errno == errno.EIO
    assert _tree(tmp_path) == before


def test_atomic_dir_follows_a_link_to_a_model_dir_and_keeps_the_link(tmp_path):
    real = _model_like(tmp_path / "v1")
    link = tmp_path / "current"
    link.symlink_to(real, target_is_directory=True)
    with atomic_dir(link, may_replace=is_model_directory) as tmp:
        (tmp / "params.json").write_text("new")
    assert link.is_symlink() and link.resolve() == real
    assert (real / "params.json").read_text() == "new" and not (real / "arrays.npz").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current", "v1"]


def test_atomic_dir_never_follows_a_link_into_deleting_other_things(tmp_path):
    other = tmp_path / "home"
    other.mkdir()
    (other / "thesis.tex").write_text("keep")
    link = tmp_path / "out"
    link.symlink_to(other, target_is_directory=True)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    before = _tree(tmp_path)
    with pytest.raises(OutputError, match=r"^.*out \(a link to .*home\) exists and is not a reclite model dir"):
        with atomic_dir(link, may_replace=is_model_directory, what="a reclite model directory"):
            raise AssertionError("the block must not run")
    with pytest.raises(OutputError, match=r"dangling is a link to .*nowhere, which does not exist; nothing"):
        with atomic_dir(dangling, may_replace=is_model_directory):
            raise AssertionError("the block must not run")
    assert _tree(tmp_path) == before and link.is_symlink() and dangling.is_symlink()


def test_atomic_write_refuses_a_directory_and_names_no_temporary(tmp_path):
    d = tmp_path / "recs.csv"
    d.mkdir()
    (d / "keep").write_text("x")
    before = _tree(tmp_path)
    with pytest.raises(OutputError, match=r"recs.csv is a directory, not a file; nothing was changed"):
        with atomic_write(d) as fh:
            fh.write("never")
    with pytest.raises(OutputError, match=r"^cannot write .*keep/recs.csv: Not a directory$"):
        with atomic_write(d / "keep" / "recs.csv") as fh:
            fh.write("never")
    assert _tree(tmp_path) == before


def test_atomic_write_os_failure_names_the_users_path(tmp_path, monkeypatch):
    p = tmp_path / "recs.csv"
    p.write_text("old")

    def fail(src, dst):
        raise OSError(errno.EXDEV, "Invalid cross-device link", src, dst)

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OutputError) as info:
        with atomic_write(p) as fh:
            fh.write("new")
    assert str(info.value) == f"cannot write {p}: Invalid cross-device link"
    assert ".tmp" not in str(info.value)
    assert _tree(tmp_path) == {"recs.csv": b"old"}


def test_atomic_write_follows_a_file_link(tmp_path):
    real = tmp_path / "real.csv"
    real.write_text("old")
    link = tmp_path / "recs.csv"
    link.symlink_to(real)
    with atomic_write(link) as fh:
        fh.write("new")
    assert link.is_symlink() and real.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real.csv", "recs.csv"]
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "nowhere.csv")
    with pytest.raises(OutputError, match="which does not exist"):
        with atomic_write(dangling) as fh:
            fh.write("never")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling.csv", "real.csv", "recs.csv"]


def test_atomic_write_writes_special_files_in_place(tmp_path):
    # a pipe (like /dev/null or a terminal: not a regular file) has nothing to rename over. Not
    # /dev/null itself: a regression would replace it, machine-wide, when the tests run as root.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with atomic_write(fifo) as fh:
            fh.write("through the pipe")
        assert os.read(reader, 100) == b"through the pipe"
    finally:
        os.close(reader)
    assert fifo.is_fifo() and [p.name for p in tmp_path.iterdir()] == ["pipe"]


# ---------------------------------------------------------------- permissions
@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_new_files_and_folders_follow_the_umask(tmp_path, umask_027):
    with atomic_write(tmp_path / "recs.csv") as fh:
        fh.write("x")
    with atomic_write(tmp_path / "deep" / "er" / "out.bin", "wb") as fh:
        fh.write(b"x")
    with atomic_dir(tmp_path / "model") as tmp:
        (tmp / "params.json").write_text("{}")
    assert _mode(tmp_path / "recs.csv") == 0o640
    assert _mode(tmp_path / "deep" / "er" / "out.bin") == 0o640
    assert _mode(tmp_path / "deep") == 0o750
    assert _mode(tmp_path / "model") == 0o750
    assert _mode(tmp_path / "model" / "params.json") == 0o640


def test_replaced_files_and_folders_keep_their_mode(tmp_path, umask_027):
    p = tmp_path / "recs.csv"
    p.write_text("old")
    p.chmod(0o604)
    with atomic_write(p) as fh:
        fh.write("new")
    assert p.read_text() == "new" and _mode(p) == 0o604
    ro = tmp_path / "ro.csv"
    ro.write_text("old")
    ro.chmod(0o444)
    with atomic_write(ro) as fh:
        fh.write("new")
    assert ro.read_text() == "new" and _mode(ro) == 0o444
    d = _model_like(tmp_path / "model")
    d.chmod(0o755)
    with atomic_dir(d, may_replace=is_model_directory) as tmp:
        (tmp / "params.json").write_text("{}")
    assert _mode(d) == 0o755


# ---------------------------------------------------------------- interruption
_WRITER = r"""
import signal, sys, time
from pathlib import Path

# a process started in the background of a non-interactive shell (as a CI runner may start
# the suite) inherits SIGINT ignored, and Python then leaves it ignored; the user at a
# terminal has Python's default handler, so the test sets it
signal.signal(signal.SIGINT, signal.default_int_handler)
from reclite._fs import atomic_dir, atomic_write
from reclite.persist import is_model_directory

kind, target = sys.argv[1], Path(sys.argv[2])

def slowly():
    yield "x" * 5_000_000  # a large first piece, then a trickle that never ends
    print("writing", flush=True)
    while True:
        time.sleep(0.01)
        yield "y"

if kind == "file":
    with atomic_write(target) as fh:
        for piece in slowly():
            fh.write(piece)
else:
    with atomic_dir(target, may_replace=is_model_directory) as tmp:
        with open(tmp / "arrays.npz", "w") as fh:
            for piece in slowly():
                fh.write(piece)
"""


def _interrupt(tmp_path: Path, kind: str, target: Path, signum: int) -> subprocess.CompletedProcess:
    script = tmp_path.parent / f"{tmp_path.name}-writer.py"  # outside tmp_path, whose listing is checked
    script.write_text(_WRITER)
    proc = subprocess.Popen([sys.executable, str(script), kind, str(target)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line == "writing\n", proc.communicate(timeout=30)[1]
        assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())  # the write is under way
        proc.send_signal(signum)
        out, errs = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        script.unlink()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, errs)


@pytest.mark.parametrize("kind", ["file", "dir"])
def test_sigterm_removes_the_temporary_and_keeps_the_old(tmp_path, kind):
    if kind == "file":
        target = tmp_path / "recs.csv"
        target.write_text("old")
    else:
        target = _model_like(tmp_path / "model")
    before = _tree(tmp_path)
    done = _interrupt(tmp_path, kind, target, signal.SIGTERM)
    assert done.returncode == -signal.SIGTERM, done.stderr  # died of SIGTERM: exit status 143
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("kind", ["file", "dir"])
def test_sigint_removes_the_temporary_and_raises_keyboardinterrupt(tmp_path, kind):
    target = tmp_path / ("recs.csv" if kind == "file" else "model")
    done = _interrupt(tmp_path, kind, target, signal.SIGINT)
    assert done.returncode == -signal.SIGINT, done.stderr  # Python re-raises an uncaught Ctrl-C: 130
    assert "KeyboardInterrupt" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_signal_handlers_chain_and_are_restored(tmp_path):
    class Stop(Exception):
        pass

    seen = []

    def mine(signum, frame):
        seen.append(signum)
        raise Stop

    old_term = signal.signal(signal.SIGTERM, mine)
    old_int = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(Stop), atomic_write(tmp_path / "recs.csv") as fh:
            fh.write("half")
            assert signal.getsignal(signal.SIGTERM) is not mine  # ours, while writing
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler runs before this returns
            raise AssertionError("the handler should have raised")
        assert seen == [signal.SIGTERM]
        assert list(tmp_path.iterdir()) == []
        assert signal.getsignal(signal.SIGTERM) is mine
        assert signal.getsignal(signal.SIGINT) is old_int
    finally:
        signal.signal(signal.SIGTERM, old_term)


def test_ignored_signal_stays_ignored_and_the_write_completes(tmp_path):
    old = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with atomic_write(tmp_path / "recs.csv") as fh:
            fh.write("a")
            os.kill(os.getpid(), signal.SIGTERM)
            fh.write("b")
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, old)
    assert (tmp_path / "recs.csv").read_text() == "ab"


def test_a_handler_that_returns_lets_the_write_finish(tmp_path):
    seen = []
    old = signal.signal(signal.SIGTERM, lambda s, f: seen.append(s))
    try:
        with atomic_dir(tmp_path / "model") as tmp:
            (tmp / "a").write_text("1")
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.2)
            (tmp / "b").write_text("2")
    finally:
        signal.signal(signal.SIGTERM, old)
    assert seen == [signal.SIGTERM]
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["a", "b"]


def test_writes_in_a_thread_install_no_handlers(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    seen = []

    def work():
        with atomic_write(tmp_path / "t.csv") as fh:
            seen.append(signal.getsignal(signal.SIGTERM))
            fh.write("ok")

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen == [before] and (tmp_path / "t.csv").read_text() == "ok"


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
