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
KOpt = Annotated[int, typer.Option("-k", min=1, help="Length of each top-K list.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed (splits, models).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ConfidenceOpt = Annotated[str | None, typer.Option(
    "--confidence", "-c", help="Confidence expression, e.g. binary, log, genre+pop, (genre+pop)*era "
                               "(default: the model's, binary).", show_default=False)]
AlphaOpt = Annotated[float | None, typer.Option(
    "--alpha", "-a", help="Confidence scale: weights are 1 + alpha * f (default: the model's, 1.0).",
    show_default=False)]
ParamOpt = Annotated[list[str] | None, typer.Option(
    "--param", "-p", help="A model parameter as name=value (repeatable); values are read as "
                          "int, float, true/false, none, JSON ({...} or [...]) or text.", metavar="NAME=VALUE",
                          show_default=False)]
ConfParamOpt = Annotated[list[str] | None, typer.Option(
    "--confidence-param", help="A confidence component parameter as component.name=value "
                               "(repeatable), e.g. era.tau=15.", metavar="COMPONENT.NAME=VALUE",
                               show_default=False)]
