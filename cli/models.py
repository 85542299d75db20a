"""`reclite models`: the registry names, their classes, parameters and defaults."""

from __future__ import annotations

import json
from typing import Any

import typer

from ._common import error_boundary
from ._options import JsonOpt


def describe_models() -> list[dict[str, Any]]:
    """One entry per available registry name: name, class, parameters with their defaults."""
    from reclite.models import registry

    out = []
    for name in registry.names():
        model = registry.create(name)
        out.append({"name": name, "class": type(model).__name__, "params": model.get_params(deep=False)})
    return out


def models(as_json: JsonOpt = False) -> None:
    """List the models `reclite fit` knows, with their parameters and defaults.

    Set a parameter with: reclite fit NAME --param name=value

    Example:

        reclite models --json
    """
    entries = describe_models()
    if as_json:
        typer.echo(json.dumps(entries, indent=2))
        return
    width = max(len(e["name"]) for e in entries)
    cwidth = max(len(e["class"]) for e in entries)
    for e in entries:
        params = ", ".join(f"{k}={v!r}" for k, v in e["params"].items())
        typer.echo(f"{e['name']:<{width}}  {e['class']:<{cwidth}}  {params}")


def register(app: typer.Typer) -> None:
    app.command("models")(error_boundary(models))
