"""Option types shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DataOpt = Annotated[
    Path | None,
    typer.Option("--data", "-d", help="Ratings file or dataset folder (default: the embedded demo data)."),
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Write here (atomically) instead of to stdout."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or notes on stderr.")]
KOpt = Annotated[int, typer.Option("-k", "--k", min=1, help="Length of each top-K list.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed (splits, models).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
