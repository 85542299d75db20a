"""`reclite data ...`: look at a dataset."""

from __future__ import annotations

import json

import typer

from ._common import error_boundary, load_data
from ._options import DataOpt, JsonOpt
from ._progress import with_progress
from ._reading import reading_options

data_app = typer.Typer(help="Inspect datasets.\n\nExample:\n\n    reclite data info --data ../shared/data/ml-100k",
                       no_args_is_help=True,
                       context_settings={"help_option_names": ["-h", "--help"]})


def format_summary(s: dict) -> str:
    lines = [
        f"dataset       {s['name'] or '(unnamed)'}",
        f"users         {s['users']:,}",
        f"items         {s['items']:,}  ({s['items_with_interactions']:,} with interactions)",
        f"interactions  {s['interactions']:,}",
        f"density       {s['density']:.4%}",
    ]
    q = s["per_user"]
    lines.append("per user      " + "  ".join(f"{k} {v:g}" for k, v in q.items()))
    if s["value_range"] is not None:
        lo, hi = s["value_range"]
        lines.append(f"values        {lo:g} .. {hi:g}")
    lines.append(f"timestamps    {'yes' if s['has_time'] else 'no'}")
    side = []
    for key in s["side_information"]:
        n = s.get(key)
        if key == "years":
            side.append(f"years ({s['items_with_year']:,} items)")
        elif isinstance(n, int):
            side.append(f"{key} ({n:,})")
        else:
            side.append(key)
    lines.append("side info     " + (", ".join(side) if side else "none"))
    if s["duplicates_merged"]:
        lines.append(f"duplicates    {s['duplicates_merged']:,} merged (latest kept)")
    return "\n".join(lines) + "\n"


@data_app.command("info")
@error_boundary
@with_progress
@reading_options
def info(data: DataOpt = None, as_json: JsonOpt = False) -> None:
    """Print users, items, interactions, density, per-user quantiles and side information.

    Example:

        reclite data info --data ../shared/data/ml-100k
    """
    ds = load_data(data, quiet=True)
    s = ds.summary()
    if as_json:
        typer.echo(json.dumps(s, indent=2))
    else:
        typer.echo(format_summary(s), nl=False)


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
