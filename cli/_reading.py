"""Reading options of every command that reads data: ``--user-col --item-col --value-col --time-col
--sep --no-header --encoding``, mapped to the readers' parameters (:func:`reclite.data.generic.read_guessed`).

:func:`reading_options` adds the seven options to a command without touching its signature;
while the command runs they are in force for :func:`read_data` (which
``_common.load_data`` calls). Errors the readers raise while the command line called them
name the command line's flags (``--encoding``), not the Python parameters (``encoding=``).
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["ReadOptions", "reading_options", "load", "read_data", "cli_reader_message", "current_read_options"]

_PANEL = "Reading data"
UserColOpt = Annotated[str | None, typer.Option(
    "--user-col", help="Column of user ids: a name, or a 0-based position (default: recognised by name, "
                       "e.g. user, userId, user_id; by position 0 without a header).",
    show_default=False, rich_help_panel=_PANEL)]
ItemColOpt = Annotated[str | None, typer.Option(
    "--item-col", help="Column of item ids: a name or a 0-based position (default: recognised by name, "
                       "e.g. item, movieId; position 1 without a header).", show_default=False,
    rich_help_panel=_PANEL)]
ValueColOpt = Annotated[str | None, typer.Option(
    "--value-col", help="Column of values (rating, count...): a name or a 0-based position (default: "
                        "recognised by name, e.g. rating, count; else every value is 1).",
    show_default=False, rich_help_panel=_PANEL)]
TimeColOpt = Annotated[str | None, typer.Option(
    "--time-col", help="Column of timestamps (Unix seconds or ISO dates): a name or a 0-based position "
                       "(default: recognised by name, e.g. timestamp, time).", show_default=False,
    rich_help_panel=_PANEL)]
SepOpt = Annotated[str | None, typer.Option(
    "--sep", help="Field separator: any text, or tab (also \\t), space, comma, semicolon, pipe (default: "
                  "sniffed from the first lines).", show_default=False, rich_help_panel=_PANEL)]
NoHeaderOpt = Annotated[bool, typer.Option(
    "--no-header", help="The file has no header line: its first line is data, columns go by position "
                        "(user, item, value, time unless --user-col... say otherwise).",
    rich_help_panel=_PANEL)]
EncodingOpt = Annotated[str | None, typer.Option(
    "--encoding", help="Text encoding, e.g. utf-8, latin-1, cp1252, utf-16 (default: byte-order mark, "
                       "else UTF-8 falling back to cp1252 and Latin-1).", show_default=False,
    rich_help_panel=_PANEL)]

_SEP_NAMES = {"tab": "\t", "\\t": "\t", "space": " ", "comma": ",", "semicolon": ";", "pipe": "|"}


@dataclass(frozen=True)
class ReadOptions:
    """The reading options as the command line gave them (None / False: not given)."""

    user_col: str | None = None
    item_col: str | None = None
    value_col: str | None = None
    time_col: str | None = None
    sep: str | None = None
    no_header: bool = False
    encoding: str | None = None

    def given(self) -> list[str]:
        """The flags given, as written on the command line (``--user-col``...)."""
        return ["--" + f.name.replace("_", "-") for f in fields(self)
                if getattr(self, f.name) not in (None, False)]

    def columns(self) -> dict[str, int | str | None]:
        """role -> a column name, a 0-based position (digits), or None (recognised by name)."""
        out: dict[str, int | str | None] = {}
        for role in ("user", "item", "value", "time"):
            spec = getattr(self, f"{role}_col")
            out[role] = int(spec) if spec is not None and spec.strip().isdigit() else spec
        return out

    def separator(self) -> str | None:
        if self.sep is None:
            return None
        if self.sep == "":
            from reclite.errors import ParameterError

            raise ParameterError("--sep '': expected a separator, e.g. --sep ';' or --sep tab")
        return _SEP_NAMES.get(self.sep.lower(), self.sep)


_current: contextvars.ContextVar[ReadOptions | None] = contextvars.ContextVar("reclite_read_options",
                                                                              default=None)
_NAMES = [f.name for f in fields(ReadOptions)]


def current_read_options() -> ReadOptions:
    """The reading options of the command running now (all unset outside :func:`reading_options`)."""
    return _current.get() or ReadOptions()


def reading_options(func: Any) -> Any:
    """Add the reading options to a typer command; they are in force while it runs."""
    sig = inspect.signature(func, eval_str=True)
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=ann)
        for name, ann, default in (("user_col", UserColOpt, None), ("item_col", ItemColOpt, None),
                                   ("value_col", ValueColOpt, None), ("time_col", TimeColOpt, None),
                                   ("sep", SepOpt, None), ("no_header", NoHeaderOpt, False),
                                   ("encoding", EncodingOpt, None))
    ]
    params = list(sig.parameters.values())
    kinds = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
             else p for p in params]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        opts = ReadOptions(**{n: kwargs.pop(n, getattr(ReadOptions, n)) for n in _NAMES})
        token = _current.set(opts)
        try:
            return func(*args, **kwargs)
        finally:
            _current.reset(token)

    wrapper.__signature__ = sig.replace(parameters=[*kinds, *extra])  # type: ignore[attr-defined]
    return wrapper


# ---------------------------------------------------------------- error messages
_REWRITES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"[Nn]ame them with read_csv\(path, user=\.\.\., item=\.\.\., value=\.\.\., time=\.\.\.\)"),
     "Name them with --user-col and --item-col (and --value-col, --time-col)"),
    (re.compile(r"Pass user=, item= \(and value=, time=\) naming columns of the file, or 0-based positions\."),
     "Pass --user-col, --item-col (and --value-col, --time-col) naming columns of the file, or 0-based "
     "positions."),
    (re.compile(r" or name them with names=\[\.\.\.\]"), ""),
    (re.compile(r", or use read_csv\b"), " (the reading options --user-col... are for a single file)"),
    (re.compile(r" to read_csv\b"), ""),
    (re.compile(r"\b(user|item|value|time)=(?=[\d'\"])"), r"--\1-col "),
    (re.compile(r"\bsep=\s?"), "--sep "),
    (re.compile(r"\bencoding=\s?"), "--encoding "),
    (re.compile(r"\bheader="), "--no-header"),
]


def cli_reader_message(text: str) -> str:
    """A reader's error message with the Python parameters it names written as the CLI's flags."""
    for pattern, repl in _REWRITES:
        text = pattern.sub(repl, text)
    return text


def load(path: Path | None, quiet: bool = False) -> Any:
    """The Dataset at ``path`` read with the command's reading options, or the embedded demo."""
    import reclite

    if path is None:
        given = current_read_options().given()
        if given:
            from reclite.errors import ParameterError

            raise ParameterError(f"{' '.join(given)}: these options say how to read --data PATH; "
                                 "the embedded demo data needs none")
        if not quiet:
            typer.echo("Using the embedded demo dataset (pass --data PATH for your own).", err=True)
        return reclite.demo_dataset()
    return read_data(path)


def read_data(path: Path, opts: ReadOptions | None = None) -> Any:
    """The Dataset at ``path`` read with the command line's reading options.

    Without options: :func:`reclite.read_dataset` (any layout). With options: ``path``
    must be a single file, read by :func:`~reclite.data.generic.read_guessed` with the
    columns given (the others recognised by name). Reader errors name the CLI's flags.
    """
    from reclite._progress import phase
    from reclite.errors import RecliteError

    opts = current_read_options() if opts is None else opts
    try:
        with phase(f"reading {path}"):
            return _read(Path(path), opts)
    except RecliteError as exc:
        if exc.args and isinstance(exc.args[0], str):
            exc.args = (cli_reader_message(exc.args[0]), *exc.args[1:])
        raise


def _read(path: Path, opts: ReadOptions) -> Any:
    import reclite
    from reclite.errors import ParameterError

    given = opts.given()
    if not given:
        return reclite.read_dataset(path)
    if path.is_dir():
        raise ParameterError(f"{' '.join(given)}: {path} is a dataset folder, read by its layout; the "
                             "reading options are for a single file of interactions (pass the file)")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    from reclite.data.generic import read_guessed

    return read_guessed(path, columns=opts.columns(), sep=opts.separator(),
                        header=False if opts.no_header else None, encoding=opts.encoding)
