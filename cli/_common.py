"""What every command shares: the error boundary, stderr messages, loading data."""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])


def err(message: str) -> None:
    """A note for the person at the terminal: always stderr, never stdout."""
    typer.echo(message, err=True)


def error_boundary(func: F) -> F:
    """Turn reclite's own errors into one line ``Error: ...`` on stderr and exit code 1.

    Any other exception is a bug and keeps its traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sklearn.exceptions import NotFittedError

        from reclite.errors import RecliteError

        def _show_warning(message, category, filename, lineno, file=None, line=None):
            err(f"Warning: {message}")

        old = warnings.showwarning
        warnings.showwarning = _show_warning
        try:
            return func(*args, **kwargs)
        except (RecliteError, NotFittedError, FileNotFoundError, IsADirectoryError,
                NotADirectoryError, PermissionError) as exc:
            msg = str(exc)
            if isinstance(exc, FileNotFoundError) and exc.filename and str(exc.filename) not in msg:
                msg = f"{exc.filename}: {msg}"
            err(f"Error: {msg}")
            raise typer.Exit(1) from None
        finally:
            warnings.showwarning = old

    return wrapper  # type: ignore[return-value]


def load_data(path: Path | None, quiet: bool = False):
    """The Dataset at ``path`` (any layout ``read_dataset`` knows), or the embedded demo."""
    import reclite

    if path is None:
        if not quiet:
            err("Using the embedded demo dataset (pass --data PATH for your own).")
        return reclite.demo_dataset()
    return reclite.read_dataset(path)


def write_text_output(text: str, out: Path | None) -> None:
    """Data to stdout, or atomically to ``out`` (see ``reclite._fs.atomic_write``).

    ``out`` is replaced whole or not at all, keeps its mode (a new file gets the umask's),
    and a folder at ``out`` is an OutputError; no temporary file outlives an error,
    SIGTERM or Ctrl-C.
    """
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from reclite._fs import atomic_write

    with atomic_write(out) as fh:
        fh.write(text)
