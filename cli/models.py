"""`reclite models`: the registry names, their classes, parameters, defaults and what each means."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from ._common import error_boundary
from ._options import JsonOpt

NamesArg = Annotated[list[str] | None, typer.Argument(
    help="Only these models (registry names); default: every model.", metavar="NAME",
    show_default=False)]


def describe_models(names: list[str] | None = None) -> list[dict[str, Any]]:
    """One entry per registry name: name, class, summary, parameters with their defaults and
    their one-line descriptions (read from the classes; no model is built)."""
    from ._describe import describe_models as describe

    return describe(names)


def format_models(entries: list[dict[str, Any]]) -> str:
    """The table: one line per model (name, class, parameters=defaults), then one indented
    line per parameter with its default and the first sentence of its documentation."""
    width = max(len(e["name"]) for e in entries)
    cwidth = max(len(e["class"]) for e in entries)
    lines = []
    for e in entries:
        params = ", ".join(f"{k}={v!r}" for k, v in e["params"].items())
        lines.append(f"{e['name']:<{width}}  {e['class']:<{cwidth}}  {params}")
        if e["summary"]:
            lines.append(f"    {e['summary']}")
        pwidth = max((len(p) for p in e["params"]), default=0)
        for p, v in e["params"].items():
            default = repr(v)
            if len(default) > 24:
                default = default[:21] + "..."
            text = e["descriptions"].get(p, "")
            lines.append(f"      {p:<{pwidth}}  {default:<24}  {text}".rstrip())
    return "\n".join(lines) + "\n"


def models(names: NamesArg = None, as_json: JsonOpt = False) -> None:
    """List the models `reclite fit` knows: parameters, defaults and what each parameter does.

    Set a parameter with: reclite fit NAME --param name=value

    Example:

        reclite models --json

        reclite models ease als
    """
    entries = describe_models(names or None)
    if as_json:
        typer.echo(json.dumps(entries, indent=2))
        return
    typer.echo(format_models(entries), nl=False)


def register(app: typer.Typer) -> None:
    app.command("models")(error_boundary(models))
