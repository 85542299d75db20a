"""`reclite ensemble`: fuse recommendation files (from reclite or any tool) into one top-K list per user."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ._common import error_boundary
from ._options import KOpt, OutOpt, QuietOpt
from ._progress import current, with_progress
from .recommend import FormatOpt


class Method(StrEnum):
    rank_sum = "rank_sum"
    borda = "borda"
    rrf = "rrf"


FilesArg = Annotated[list[Path], typer.Argument(
    help="Recommendation files (CSV, TSV...): columns user, item and rank (1 = best) or score (higher is "
         "better), e.g. the output of `reclite recommend`.", metavar="FILES", show_default=False)]
MethodOpt = Annotated[Method, typer.Option(
    "--method", help="rank_sum: sum of weight x rank, a missing item counting as rank top-n + 1, lowest "
                     "first; borda: sum of weight x (top-n + 1 - rank); rrf: sum of weight / (c + rank).")]
TopNOpt = Annotated[int, typer.Option("--top-n", min=1, help="How many items of each user's list in each "
                                                             "file count.")]
WeightsOpt = Annotated[str | None, typer.Option(
    "--weights", "-w", help="One weight per file, comma-separated, e.g. 1,1,0.5 (default: all 1).",
    show_default=False)]
COpt = Annotated[float, typer.Option("--c", help="The rrf constant.")]


def read_table(path: Path):
    """A recommendation file as a DataFrame with its header's column names."""
    import pandas as pd

    from reclite.data._table import read_text_table
    from reclite.errors import DataError

    if path.is_dir():
        raise DataError(f"{path}: is a folder; expected a recommendation file (user, item, rank or score)")
    if not path.exists():
        raise DataError(f"{path}: no such file")
    table = read_text_table(path, header=True)
    df = table.df.copy()
    df.columns = [str(c).strip().lower() for c in table.columns]
    return pd.DataFrame(df)


def parse_weights(text: str | None) -> list[float] | None:
    from reclite.errors import ParameterError

    if text is None:
        return None
    try:
        return [float(w) for w in text.split(",")]
    except ValueError:
        raise ParameterError(f"--weights {text!r}: expected comma-separated numbers, one per file, "
                             "e.g. --weights 1,1,0.5") from None


def ensemble(
    files: FilesArg,
    k: KOpt = 10,
    method: MethodOpt = Method.rank_sum,
    top_n: TopNOpt = 30,
    weights: WeightsOpt = None,
    c: COpt = 60.0,
    out: OutOpt = None,
    fmt: FormatOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Fuse recommendation files into one top-K list per user (rank voting).

    Writes CSV user,item,rank,score (score: minus the weighted rank sum for rank_sum,
    the Borda or RRF sum otherwise; higher is better) to stdout or atomically to --out;
    --format jsonl or parquet writes those formats instead. Ties break on the item's best
    single rank, then its id. Progress (reading, fusing, writing) goes to stderr.

    Example:

        reclite ensemble ease.csv als.csv knn.csv -k 10 --method rank_sum --top-n 30 --weights 1,1,0.5 --out final.csv
    """
    import reclite
    from reclite._progress import phase

    from ._output import COLUMNS, output_format, write_table

    w = parse_weights(weights)  # option errors before any file is read
    fmt_name = output_format(fmt, out)
    tables = []
    for path in files:
        with phase(f"reading {path}"):
            tables.append(read_table(path))
    with phase(f"fusing {len(tables)} lists ({method.value})"):
        recs = reclite.fuse(tables, method=method.value, top_n=top_n, k=k, weights=w, c=c,
                            names=[str(p) for p in files])
    rows = write_table(recs[COLUMNS], out, fmt_name)
    if out is not None:
        current().note(f"Wrote {rows:,} recommendations for {recs['user'].nunique():,} users to {out}")


def register(app: typer.Typer) -> None:
    app.command("ensemble")(error_boundary(with_progress(ensemble)))
