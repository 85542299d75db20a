"""`reclite runs`: the run records of fit, evaluate, split and tune, as a table (or JSON), and the best."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ._common import error_boundary
from ._options import JsonOpt

RunsDirOpt = Annotated[Path | None, typer.Option(
    "--runs", help="Folder of the run records (default: $RECLITE_RUNS, else ./reclite-runs).",
    show_default=False)]
BestOpt = Annotated[str | None, typer.Option(
    "--best", help="Show only the run with the highest value of this metric, e.g. ndcg@10.",
    show_default=False)]
MetricsOpt = Annotated[str | None, typer.Option(
    "--metrics", "-m", help="Metric columns, comma-separated, e.g. ndcg@10,recall@20 (default: the ndcg and "
                            "recall cut-offs the runs hold).", show_default=False)]
CommandOpt = Annotated[str | None, typer.Option(
    "--command", "-c", help="Only runs of this command (fit, evaluate, split, tune).", show_default=False)]
LastOpt = Annotated[int | None, typer.Option("--last", "-n", min=1, help="Only the N latest runs.",
                                             show_default=False)]
PlotOpt = Annotated[Path | None, typer.Option(
    "--plot", help="Also draw the runs listed, metric by metric, into this PNG; needs matplotlib: "
                   "pip install \"reclite[plot]\".", show_default=False)]


def format_runs(table: Any) -> str:
    """The table as text: metrics with 4 decimals, seconds with 2, missing values blank."""
    frame = table.copy()
    for col in frame.columns:
        if col == "seconds":
            frame[col] = frame[col].map(lambda v: "" if v is None or v != v else f"{v:.2f}")
        elif col == "seed":
            frame[col] = frame[col].map(lambda v: "" if v is None or v != v else str(int(v)))
        elif col not in ("id", "time", "command", "model", "data", "split"):
            frame[col] = frame[col].map(lambda v: "" if v is None or v != v else f"{v:.4f}")
    return frame.to_string(index=False) + "\n"


def select(records: list[dict[str, Any]], command: str | None, last: int | None) -> list[dict[str, Any]]:
    if command is not None:
        records = [r for r in records if r.get("command") == command]
    return records[-last:] if last is not None else records


def runs(
    runs_dir: RunsDirOpt = None,
    best: BestOpt = None,
    metrics: MetricsOpt = None,
    command: CommandOpt = None,
    last: LastOpt = None,
    json_out: JsonOpt = False,
    plot: PlotOpt = None,
) -> None:
    """List the run records (one line per fit, evaluate, split or tune), oldest first.

    Every pipeline command appends a record to ./reclite-runs/runs.jsonl (--runs DIR, or RECLITE_RUNS=DIR; --no-record on the command skips it): its command line, options, model parameters, data path and fingerprint, split and seed, metrics, timings, versions and git commit. --json prints the records themselves.

    Examples:

        reclite runs --command evaluate

        reclite runs --best ndcg@10 --json

        reclite runs --command evaluate --plot runs.png
    """
    from reclite import runs as records_mod
    from reclite.errors import RecliteError

    if plot is not None:  # before any work: without matplotlib, one line saying how to get it
        from reclite.plots import require_matplotlib

        require_matplotlib()

    folder = records_mod.runs_dir(runs_dir)
    records = select(records_mod.read_records(folder), command, last)
    cols = None if metrics is None else [m.strip().lower() for m in metrics.split(",") if m.strip()]
    if best is not None:
        if not records:
            raise RecliteError(f"no run records in {folder}" + (f" for {command}" if command else ""))
        chosen = records_mod.best_record(records, best.strip().lower())
        records = [chosen]
        cols = cols or [best.strip().lower()]
    if plot is not None:
        if not records:
            raise RecliteError(f"--plot: no run records to draw in {folder}" + (f" for {command}" if command else ""))
        import pandas as pd

        from ._plotting import plot_run_records

        plot_run_records(plot, pd.json_normalize(records), metrics=cols)
    if json_out:
        typer.echo(json.dumps(records, indent=2))
        return
    if not records:
        where = folder if folder is not None else "any folder (recording is off: RECLITE_RUNS)"
        typer.echo(f"No run records in {where} yet (fit, evaluate, split and tune add them).", err=True)
        return
    typer.echo(format_runs(records_mod.records_table(records, cols)), nl=False)
    if best is not None:
        typer.echo(f"command: {records[0].get('command_line')}")


def register(app: typer.Typer) -> None:
    app.command("runs")(error_boundary(runs))
