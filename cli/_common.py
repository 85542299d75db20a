"""What every command shares: the error boundary, stderr messages, loading data.

The error boundary
------------------
Every exception that reaches the CLI's top level becomes one line ``Error: ...`` on
stderr, and the exit code is chosen by the exception's class, never by its message:

========================================  =====  ==========================================
class                                     exit   what stderr shows
========================================  =====  ==========================================
click usage errors (bad option, value)      2    click's usage text and the error
:class:`~reclite.errors.RecliteError`       1    ``Error: <message>`` (the user's input)
``NotFittedError``                          1    ``Error: <message>``
``OSError`` (missing file, permissions,     1    ``Error: <file>: <reason>``
disk full...)
``MemoryError``                             1    ``Error: out of memory ...``
``BrokenPipeError`` (``| head``)            1    nothing
``KeyboardInterrupt``                     130    ``Interrupted``
anything else                               1    ``Error: <Class>: <message>``, saying it is
                                                 probably a bug in reclite
========================================  =====  ==========================================

``reclite --debug COMMAND ...`` or the environment variable ``RECLITE_DEBUG=1`` prints
the full traceback instead (same exit code). Warnings go to stderr as ``Warning: ...``.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import typer
from typer.core import TyperGroup

F = TypeVar("F", bound=Callable[..., Any])

#: environment variable that turns on --debug
DEBUG_ENV = "RECLITE_DEBUG"
EXIT_ERROR = 1
EXIT_INTERRUPTED = 130

# the root --debug flag of the run in progress (set by BoundaryGroup.invoke)
_debug_flag: contextvars.ContextVar[bool] = contextvars.ContextVar("reclite_debug", default=False)

# click's own control-flow exceptions pass through the boundary untouched: usage errors
# (ClickException: click prints the usage and exits 2), Exit and Abort. Taken from typer's
# public names, since typer may bundle its own copy of click.
_CLICK_EXCEPTIONS: tuple[type[BaseException], ...] = (
    typer.Exit, typer.Abort,
    *[c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"],
)
_USAGE_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


def usage_error(message: str) -> Exception:
    """A usage error (click prints the command's usage and ``message``; exit code 2)."""
    return _USAGE_ERROR(message)


def err(message: str) -> None:
    """A note for the person at the terminal: always stderr, never stdout (a live progress
    line is erased first, so the note starts its own line)."""
    from ._progress import clear_line

    clear_line()
    typer.echo(message, err=True)


def debug_enabled() -> bool:
    """``reclite --debug`` was given, or ``RECLITE_DEBUG`` is set to 1/true/yes/on."""
    if os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on"):
        return True
    return _debug_flag.get()


def _bug_report_hint() -> str:
    """Where to report a bug: the package's issue tracker when its metadata names one."""
    try:
        from importlib.metadata import metadata

        urls = metadata("reclite").get_all("Project-URL") or []
    except Exception:  # noqa: BLE001 - metadata is a nicety; never fail while reporting an error
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("issues", "bug tracker", "bugs", "tracker"):
            return f"report it at {url.strip()}"
    return "report it to the reclite maintainers"


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def _os_error_message(exc: OSError) -> str:
    """``<file>: <reason>`` for errors that carry a file name, else the message."""
    name = exc.filename2 if exc.filename2 is not None else exc.filename
    if name is not None and exc.strerror:
        return f"{os.fsdecode(name)}: {exc.strerror}"
    return _message(exc)


def describe_exception(exc: BaseException) -> tuple[int, str | None]:
    """The exit code and the one line for stderr (None: print nothing) for ``exc``.

    Decided by the exception's class only (see the module docstring's table).
    """
    from sklearn.exceptions import NotFittedError

    from reclite.errors import RecliteError

    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "Interrupted"
    if isinstance(exc, BrokenPipeError):
        return EXIT_ERROR, None
    if isinstance(exc, (RecliteError, NotFittedError)):
        return EXIT_ERROR, f"Error: {_message(exc)}"
    if isinstance(exc, OSError):
        return EXIT_ERROR, f"Error: {_os_error_message(exc)}"
    if isinstance(exc, MemoryError):
        detail = str(exc).strip()
        return EXIT_ERROR, ("Error: out of memory" + (f" ({detail})" if detail else "")
                            + "; try smaller inputs, a smaller -k or a smaller --max-memory")
    return EXIT_ERROR, (f"Error: {type(exc).__name__}: {_message(exc)} -- this is probably a bug in "
                        f"reclite; rerun with --debug (or {DEBUG_ENV}=1) for the traceback and "
                        f"{_bug_report_hint()}")


def _quiet_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the exit flush cannot fail again."""
    stdout = sys.__stdout__
    if stdout is None or sys.stdout is not stdout:  # a test runner's or caller's stream: leave it
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())
    except (OSError, ValueError):
        pass


def _show_warning(message: Any, category: Any, filename: Any, lineno: Any, file: Any = None,
                  line: Any = None) -> None:
    err(f"Warning: {message}")


@contextlib.contextmanager
def boundary() -> Iterator[None]:
    """Run the body with warnings shown as ``Warning: ...`` and every exception turned into
    one stderr line and an exit code (:func:`describe_exception`); click's own exceptions
    (usage errors, ``typer.Exit``, ``Abort``) pass through untouched.
    """
    old = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        yield
    except _CLICK_EXCEPTIONS:
        raise
    except (Exception, KeyboardInterrupt) as exc:
        code, line = describe_exception(exc)
        if isinstance(exc, BrokenPipeError):
            _quiet_stdout()
        elif debug_enabled():
            err("".join(traceback.format_exception(exc)).rstrip("\n"))
        elif line is not None:
            err(line)
        raise typer.Exit(code) from None
    finally:
        warnings.showwarning = old


def error_boundary(func: F) -> F:
    """Decorate a command with :func:`boundary` (the root group applies it as well)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with boundary():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class BoundaryGroup(TyperGroup):
    """The root command group: everything it runs (callbacks, every subcommand and
    sub-group, commands added later) is inside :func:`boundary`, so no exception reaches
    click's standalone handling (which would turn EOFError into a bare ``Aborted!`` and
    KeyboardInterrupt into a silent exit).
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta["reclite.argv"] = list(args)  # the command line as typed, for run records
        return super().parse_args(ctx, args)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from ._help import tidy_help

        tidy_help(self)  # no <bool> after flags, in every command's help

    def invoke(self, ctx: Any) -> Any:
        token = _debug_flag.set(bool(ctx.params.get("debug")))
        try:
            with boundary():
                return super().invoke(ctx)
        finally:
            _debug_flag.reset(token)


def load_data(path: Path | None, quiet: bool = False):
    """The Dataset at ``path`` (any layout ``read_dataset`` knows, or as the command's reading
    options say: :func:`._reading.load`), or the embedded demo."""
    from ._reading import load

    return load(path, quiet)


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
