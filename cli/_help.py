"""Help screens that read right: a flag shows no value placeholder (typer would print
``<bool>`` after ``--quiet`` and ``--help``, inviting ``--quiet true``), and an argument
that takes several values shows its name, not a Python type (``<list[Path]>``).

:func:`tidy_help` is applied by the root group to itself and every command and sub-group
below it when the command tree is built, so commands added later get it too.
"""

from __future__ import annotations

import types
from typing import Any

__all__ = ["tidy_help"]


def _no_type(ctx: Any) -> None:
    return None


def _tidy_params(params: list[Any]) -> None:
    for param in params:
        if getattr(param, "is_flag", False) and getattr(param, "metavar", None) is None:
            param.metavar = ""  # typer shows the metavar in place of the type: nothing
        if getattr(param, "param_type_name", None) == "argument" and getattr(param, "nargs", 1) != 1:
            # an argument taking several values: its name says so (FILES...); typer would add
            # a Python type such as <list[Path]> in the type column
            param.display_type_rich = _no_type


def tidy_help(command: Any) -> None:
    """Give every flag of ``command`` (and of its sub-commands, recursively), including the
    ``-h/--help`` option click adds, an empty metavar."""
    _tidy_params(command.params)
    get_help_option = command.get_help_option
    if not getattr(get_help_option, "_reclite_tidy", False):
        def tidy_help_option(self: Any, ctx: Any) -> Any:
            option = get_help_option(ctx)
            if option is not None:
                _tidy_params([option])
            return option

        tidy_help_option._reclite_tidy = True  # type: ignore[attr-defined]
        command.get_help_option = types.MethodType(tidy_help_option, command)
    for sub in getattr(command, "commands", {}).values():
        tidy_help(sub)
