"""The command line's plots: `evaluate --plot` (and, for run records, :func:`plot_run_records`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._progress import current

__all__ = ["plot_evaluation", "plot_run_records"]


def plot_evaluation(path: Path, tables: dict[str, Any], histories: dict[str, Any] | None = None) -> None:
    """Each metric against k for the evaluated model(s) (label -> summary table), with their
    validation curves (label -> ``history_``) when they have them; a note names the file."""
    from reclite._progress import phase
    from reclite.plots import plot_metrics

    curves = {label: h for label, h in (histories or {}).items() if h is not None}
    with phase(f"plotting {path}"):
        plot_metrics(tables, path, history=curves or None, title=" vs ".join(tables) if len(tables) > 1 else
                     f"{next(iter(tables))}: metrics by cut-off")
    current().note(f"Plotted {', '.join(tables)} to {path}")


def plot_run_records(path: Path, records: Any, metrics: list[str] | None = None) -> None:
    """`reclite runs --plot`: the run records (a DataFrame, one row per run; nested
    ``metrics`` flattened by ``pandas.json_normalize``) compared metric by metric."""
    from reclite._progress import phase
    from reclite.plots import plot_runs

    with phase(f"plotting {path}"):
        plot_runs(records, path, metrics=metrics)
    current().note(f"Plotted {len(records)} runs to {path}")
