"""Progress on stderr for the long steps of a command (never on stdout).

:class:`Progress` is the reporter of :mod:`reclite._progress`: inside ``with
Progress(quiet=...)``, every ``phase`` the library or the command opens is shown

- on a terminal, as one live line redrawn in place five times a second (``fit ease >
  EASE: inverse 9,742 x 9,742  3.1 s``; a loop with a total also gets a bar, its count
  and percentage); a step that took over a second leaves one line when it ends
  (``fit ease > EASE: inverse 9,742 x 9,742: 3.1 s``). A step's name is drawn when it
  starts; its clock stands still while a C call holds the GIL (scipy's LAPACK) and
  moves on when it returns;
- when stderr is not a terminal (a log file, a pipe, CI), as plain lines without any
  ``\\r``: nothing for a step shorter than 10 s (a short command logs nothing), one line
  when a longer step ends, and one line every 30 s while a step is still running;
- with ``quiet``, not at all.

Third-party progress bars (implicit's, the library's tqdm bars) are only asked for
where :attr:`Progress.live` is true, so logs never get their ``\\r`` redraws.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

__all__ = ["Progress", "format_seconds", "with_progress", "current", "live_bars", "clear_line"]

BAR_WIDTH = 20

_current: contextvars.ContextVar[Progress | None] = contextvars.ContextVar("reclite_cli_progress", default=None)


def current() -> Progress:
    """The command's :class:`Progress` (a disabled one outside :func:`with_progress`)."""
    return _current.get() or Progress(quiet=True)


def clear_line() -> None:
    """Erase the command's live progress line, if one is drawn (before another stderr line)."""
    progress = _current.get()
    if progress is not None:
        with progress._lock:
            progress._erase()


def live_bars() -> bool:
    """Whether a command may let a library draw its own bar (tqdm, implicit): progress is
    on and stderr is a terminal."""
    return current().live


def with_progress(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command inside a :class:`Progress` (silenced by its ``quiet`` argument)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with Progress(quiet=bool(kwargs.get("quiet", False))) as progress:
            token = _current.set(progress)
            try:
                return func(*args, **kwargs)
            finally:
                _current.reset(token)

    return wrapper


def format_seconds(seconds: float) -> str:
    """``3.2 s``, ``2 min 05 s``, ``1 h 02 min``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@dataclass
class _Phase:
    desc: str
    total: int | None
    unit: str
    start: float = field(default_factory=time.perf_counter)
    done: int = 0
    last_line: float = 0.0  # when a plain line last reported it

    def count(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.total is None:
            return f"{self.done:,}{unit}" if self.done else ""
        return f"{self.done:,}/{self.total:,}{unit}"


class Progress:
    """Shows the phases opened while it is active (a context manager); see the module docstring.

    Parameters
    ----------
    quiet : bool
        Show nothing.
    stream : file, optional
        Where to write (default: ``sys.stderr`` at the time of writing).
    live : bool, optional
        Redraw one line in place; default: whether ``stream`` is a terminal.
    min_seconds : float, optional
        Steps shorter than this leave no line (default: 1 s live, 10 s plain).
    interval : float
        Plain mode: seconds between two lines about a step still running.
    """

    def __init__(self, quiet: bool = False, stream: IO[str] | None = None, live: bool | None = None,
                 min_seconds: float | None = None, interval: float = 30.0, tick: float = 0.2) -> None:
        self.enabled = not quiet
        self._stream = stream
        if live is None:
            isatty = getattr(self.stream, "isatty", None)
            live = bool(isatty and isatty())
        self.live = bool(live) and self.enabled
        self.min_seconds = min_seconds if min_seconds is not None else (1.0 if self.live else 10.0)
        self.interval = interval
        self.tick = tick
        self._stack: list[_Phase] = []
        self._lock = threading.RLock()
        self._drawn = False  # a live line is on the screen
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._hook: Any = None

    @property
    def stream(self) -> IO[str]:
        return self._stream if self._stream is not None else sys.stderr

    # ------------------------------------------------------------------ lifetime
    def __enter__(self) -> Progress:
        from reclite._progress import reporting

        self._hook = reporting(self if self.enabled else None)
        self._hook.__enter__()
        if self.enabled:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="reclite-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            self._erase()
            self._stack.clear()
        self._hook.__exit__(*exc)

    # ------------------------------------------------------------------ the reporter
    @contextlib.contextmanager
    def phase(self, desc: str, total: int | None = None, unit: str = "") -> Iterator[Callable[..., None]]:
        """Show a step while the block runs; yields ``step(n=1)`` to count units done."""
        if not self.enabled:
            yield _ignore
            return
        ph = _Phase(desc, total, unit)
        with self._lock:
            self._stack.append(ph)
            if self.live:  # drawn now: a long C call that holds the GIL (LAPACK) stops the ticker
                self._draw(ph, ph.start)

        def step(n: int = 1) -> None:
            ph.done += n

        ok = False
        try:
            yield step
            ok = True
        finally:
            with self._lock:
                path = self._path(ph)
                if ph in self._stack:
                    self._stack.remove(ph)
                self._erase()
                seconds = time.perf_counter() - ph.start
                if ok and seconds >= self.min_seconds:
                    count = ph.count()
                    self._write(f"{path}: {count + ' in ' if count else ''}{format_seconds(seconds)}\n")

    def note(self, message: str) -> None:
        """A line of its own (the live line is erased first and redrawn at the next tick)."""
        if not self.enabled:
            return
        with self._lock:
            self._erase()
            self._write(message.rstrip("\n") + "\n")

    # ------------------------------------------------------------------ drawing
    def _path(self, ph: _Phase) -> str:
        names = [p.desc for p in self._stack[: self._stack.index(ph) + 1]] if ph in self._stack else [ph.desc]
        return " > ".join(names)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr: progress is never worth an error
            pass

    def _erase(self) -> None:
        if self._drawn:
            self._write("\r\x1b[K")
            self._drawn = False

    def _line(self, ph: _Phase, now: float) -> str:
        parts = [self._path(ph)]
        if ph.total:
            frac = min(max(ph.done / ph.total, 0.0), 1.0)
            fill = int(round(frac * BAR_WIDTH))
            parts.append(f"[{'#' * fill}{'.' * (BAR_WIDTH - fill)}] {ph.count()} {frac:4.0%}")
        elif ph.done:
            parts.append(ph.count())
        parts.append(format_seconds(now - ph.start))
        return "  ".join(parts)

    def _draw(self, ph: _Phase, now: float) -> None:
        width = max(shutil.get_terminal_size((100, 20)).columns - 1, 20)
        self._write("\r" + self._line(ph, now)[:width] + "\x1b[K")
        self._drawn = True

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            with self._lock:
                if not self._stack:
                    continue
                ph = self._stack[-1]
                now = time.perf_counter()
                if self.live:
                    self._draw(ph, now)
                elif now - max(ph.start, ph.last_line) >= self.interval:
                    ph.last_line = now
                    self._write(self._line(ph, now) + "\n")


def _ignore(n: int = 1) -> None:
    return None
