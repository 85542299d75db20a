"""Progress hooks: library code names its long steps; whoever is listening shows them.

A step that can take more than a second (EASE's Gram matrix, factorisation and
inverse; a batch loop) is wrapped in :func:`phase`::

    with phase("EASE: Cholesky factor") as step:
        ...                     # one long call, or a loop calling step(1) per unit

Nothing is shown unless a reporter was installed with :func:`reporting` (the command
line installs one; ``reclite --quiet`` does not), so library calls stay silent and pay
one context-variable lookup per phase. The reporter is per context (a
``contextvars.ContextVar``): a thread started inside a phase does not report unless it
copies the context.

A reporter is any object with a method ``phase(desc, total=None, unit="")`` returning a
context manager whose value is a callable ``step(n=1)``.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["phase", "reporting", "active"]

_reporter: contextvars.ContextVar[Any] = contextvars.ContextVar("reclite_progress", default=None)


def _no_step(n: int = 1) -> None:
    return None


@contextlib.contextmanager
def phase(desc: str, total: int | None = None, unit: str = "") -> Iterator[Callable[[int], None]]:
    """Report a long step (``total`` units when it is a loop); yields ``step(n=1)``."""
    reporter = _reporter.get()
    if reporter is None:
        yield _no_step
        return
    with reporter.phase(desc, total=total, unit=unit) as step:
        yield step


@contextlib.contextmanager
def reporting(reporter: Any) -> Iterator[None]:
    """Send the phases of the block to ``reporter`` (None: silence them)."""
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)


def active() -> bool:
    """Whether a reporter listens (e.g. to skip preparing a costly description)."""
    return _reporter.get() is not None
