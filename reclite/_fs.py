"""Atomic writes: a temporary file (or folder) beside the target, then ``os.replace``.

What every output of reclite promises (the README's "Files reclite writes"):

- A failure half-way leaves the previous file (or nothing) behind, never half a file.
- Nothing reclite did not write is deleted: :func:`atomic_dir` replaces an existing
  folder only when the caller's ``may_replace`` says it is one of its own (a model
  directory); an existing file or any other folder is an :class:`~reclite.errors.OutputError`
  and nothing is touched. :func:`atomic_write` refuses a folder.
- New files get ``0666 & ~umask``, new folders ``0777 & ~umask`` (the kernel applies
  the umask and any default ACL, as for any program); a replaced file or folder keeps
  its mode.
- Temporary files and folders are removed on an exception, and on SIGTERM and SIGINT:
  while an atomic write runs in the main thread, handlers for both signals are
  installed (chained to the previous handlers, restored afterwards) that remove every
  live temporary path before the signal takes its usual course (the process dies of
  SIGTERM, exit status 128 + 15; SIGINT raises KeyboardInterrupt). A signal whose
  disposition is "ignore" stays ignored.
- Error messages name the user's path, never a temporary name.
- A symbolic link is followed when it points to something that exists (the link
  stays, its target is replaced under the same rules); a dangling link is an error.
  Special files (a pipe, a terminal, ``/dev/null``) are written in place.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import IO, Any

from .errors import OutputError

__all__ = ["atomic_write", "atomic_dir", "check_dir_target"]

_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT") if hasattr(signal, name))

# Temporary paths that exist right now: path -> is a folder. Written under the GIL by
# single dict operations, read by the signal handler through a snapshot.
_live: dict[str, bool] = {}
_previous: dict[int, Any] = {}  # signal -> the handler ours replaced
_depth = 0                      # atomic writes in progress in the main thread


# ------------------------------------------------------------------ clean-up
def _remove(path: str, is_dir: bool) -> None:
    if is_dir:
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)
    _live.pop(path, None)


def _remove_live() -> None:
    """Remove every temporary path of every atomic write in progress."""
    for path, is_dir in list(_live.items()):
        _remove(path, is_dir)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    previous = _previous.get(signum, signal.SIG_DFL)
    if callable(previous):
        # e.g. SIGINT's default_int_handler: it raises KeyboardInterrupt. A handler that
        # returns lets the program (and its write) go on, so nothing is removed then.
        try:
            previous(signum, frame)
        except BaseException:
            _remove_live()
            raise
        return
    # SIG_DFL: the process dies without unwinding, so clean up first, then die of the
    # same signal (exit status 128 + signum, as without us).
    _remove_live()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    raise SystemExit(128 + signum)  # only where the default action did not end the process


def _install() -> None:
    for sig in _SIGNALS:
        current = signal.getsignal(sig)
        # "ignore" stays ignored; a handler set outside Python (None) cannot be restored
        if current is None or current == signal.SIG_IGN or current is _on_signal:
            continue
        _previous[sig] = current
        signal.signal(sig, _on_signal)


def _restore() -> None:
    for sig, previous in list(_previous.items()):
        if signal.getsignal(sig) is _on_signal:  # someone else's handler since: leave it
            signal.signal(sig, previous)
        del _previous[sig]


@contextlib.contextmanager
def _cleanup_on_signals() -> Iterator[None]:
    """While inside (in the main thread), SIGTERM/SIGINT remove the live temporary paths."""
    global _depth
    main = threading.current_thread() is threading.main_thread()
    if main:
        if _depth == 0:
            _install()
        _depth += 1
    try:
        yield
    finally:
        if main:
            _depth -= 1
            if _depth == 0:
                _restore()


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGTERM/SIGINT back during a few steps that must not be cut in two.

    A signal that arrives meanwhile is delivered (and its handler runs) on the way out.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, ())  # runs handlers already due
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    except BaseException:  # a handler that was due raised after the mask was set
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
        raise
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


# ------------------------------------------------------------------ targets
def _describe(path: str | os.PathLike[str], target: Path) -> str:
    """The user's spelling of ``path``, with the real place when it is not obvious."""
    p = Path(path)
    if os.fspath(path) == str(target):
        return str(target)
    if p.is_symlink():
        return f"{os.fspath(path)} (a link to {target})"
    if p.name in ("", ".", ".."):
        return f"{os.fspath(path)} ({target})"
    return os.fspath(path)


def _os_error(shown: str, exc: OSError, action: str = "cannot write") -> OutputError:
    """``exc`` as an OutputError that names the user's path, never a temporary one."""
    reason = exc.strerror or type(exc).__name__
    out = OutputError(f"{action} {shown}: {reason}")
    out.errno = exc.errno
    return out


def _resolve(path: str | os.PathLike[str]) -> tuple[Path, os.stat_result | None]:
    """The real place ``path`` names (links followed) and its stat, or None if it does not exist."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        if p.is_symlink():
            raise OutputError(f"{os.fspath(path)} is a link to {os.readlink(p)}, which does not exist; "
                              "nothing was changed") from None
        return p.resolve(), None
    except OSError as exc:
        raise _os_error(os.fspath(path), exc) from None
    return p.resolve(), st


def _make_temp(target: Path, shown: str, is_dir: bool, mode: int | None) -> tuple[str, int | None]:
    """Create a hidden temporary file or folder beside ``target`` and register it.

    Created with 0666 / 0777 so that the umask applies (``mode`` overrides: a replaced
    file keeps its mode). Returns the path and, for a file, an open descriptor.
    """
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_error(shown, exc) from None
    suffix = ".tmp"
    for _ in range(100):
        tmp = str(parent / f".{target.name}.{secrets.token_hex(4)}{suffix}")
        try:
            with _signals_deferred():
                if is_dir:
                    os.mkdir(tmp, 0o777)
                    fd = None
                else:
                    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                                 0o666)
                _live[tmp] = is_dir
        except FileExistsError:
            continue
        except OSError as exc:
            raise _os_error(shown, exc) from None
        if mode is not None:
            with contextlib.suppress(OSError):  # a mode we cannot keep is not worth failing the write
                os.chmod(tmp, mode)
        return tmp, fd
    raise OutputError(f"cannot write {shown}: no free temporary name beside it")


# ------------------------------------------------------------------ files
@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path``; rename it over ``path`` on success.

    Text mode defaults to UTF-8 and ``newline=""``. A new file gets ``0666 & ~umask``;
    an existing one keeps its mode. An existing folder at ``path`` is an
    :class:`~reclite.errors.OutputError` (nothing written). The temporary file is
    removed when the block raises and on SIGTERM/SIGINT.
    """
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
        kwargs.setdefault("newline", "")
    target, st = _resolve(path)
    shown = _describe(path, target)
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{shown} is a directory, not a file; nothing was changed")
    if st is not None and not stat.S_ISREG(st.st_mode):
        # a pipe, a terminal, /dev/null: nothing to replace atomically, write in place
        try:
            fh = open(path, mode, **kwargs)
        except OSError as exc:
            raise _os_error(shown, exc) from None
        with fh:
            yield fh
        return
    keep = stat.S_IMODE(st.st_mode) if st is not None else None
    with _cleanup_on_signals():
        tmp, fd = _make_temp(target, shown, is_dir=False, mode=keep)
        assert fd is not None
        try:
            try:
                fh = open(fd, mode, **kwargs)
            except BaseException:
                os.close(fd)
                raise
            with fh:
                yield fh
                try:
                    fh.flush()
                    os.fsync(fh.fileno())
                except OSError as exc:
                    raise _os_error(shown, exc) from None
            try:
                with _signals_deferred():
                    os.replace(tmp, target)
                    _live.pop(tmp, None)
            except OSError as exc:
                raise _os_error(shown, exc) from None
        except BaseException:
            _remove(tmp, is_dir=False)
            raise


# ------------------------------------------------------------------ folders
def _check_dir_target(path: str | os.PathLike[str], may_replace: Callable[[Path], bool] | None,
                      what: str) -> tuple[Path, str, os.stat_result | None]:
    target, st = _resolve(path)
    shown = _describe(path, target)
    if target.parent == target:
        raise OutputError(f"{shown} is the root directory, not {what}; nothing was changed")
    if st is None:
        return target, shown, None
    if not stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{shown} exists and is a file, not {what}; nothing was changed "
                          "(write to another path, or remove it yourself)")
    if may_replace is None or not may_replace(target):
        raise OutputError(f"{shown} exists and is not {what}, so it is not replaced; nothing was changed "
                          "(write to another path, or remove it yourself)")
    return target, shown, st


def check_dir_target(path: str | os.PathLike[str], *, may_replace: Callable[[Path], bool] | None = None,
                     what: str = "a folder reclite wrote") -> None:
    """Raise the :class:`~reclite.errors.OutputError` :func:`atomic_dir` would raise for ``path``, now.

    Lets a caller refuse before a long computation; nothing is created or changed.
    """
    _check_dir_target(path, may_replace, what)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str], *, may_replace: Callable[[Path], bool] | None = None,
               what: str = "a folder reclite wrote") -> Iterator[Path]:
    """Yield a temporary folder next to ``path``; on success it replaces ``path``.

    An existing ``path`` is replaced only when it is a folder and ``may_replace(path)``
    is true (without ``may_replace``, never); otherwise an
    :class:`~reclite.errors.OutputError` saying it is not ``what`` is raised before
    anything is created. The old folder is moved aside and removed only once the new
    one is in place, so a failure keeps the old contents. A new folder gets
    ``0777 & ~umask``; a replaced one keeps its mode. The temporary folder is removed
    when the block raises and on SIGTERM/SIGINT.
    """
    target, shown, st = _check_dir_target(path, may_replace, what)
    keep = stat.S_IMODE(st.st_mode) if st is not None else None
    with _cleanup_on_signals():
        tmp, _ = _make_temp(target, shown, is_dir=True, mode=None)
        try:
            yield Path(tmp)
            # checked again: the place may have changed while the block ran
            target, shown, st = _check_dir_target(path, may_replace, what)
            if keep is not None:
                with contextlib.suppress(OSError):
                    os.chmod(tmp, keep)
            old = None
            try:
                with _signals_deferred():
                    if st is not None:
                        old = str(target.parent / f".{target.name}.{secrets.token_hex(4)}.old")
                        os.replace(target, old)
                        try:
                            os.replace(tmp, target)
                        except BaseException:
                            os.replace(old, target)
                            raise
                        _live[old] = True
                    else:
                        os.replace(tmp, target)
                    _live.pop(tmp, None)
            except OSError as exc:
                raise _os_error(shown, exc) from None
            if old is not None:
                _remove(old, is_dir=True)
        except BaseException:
            _remove(tmp, is_dir=True)
            raise
