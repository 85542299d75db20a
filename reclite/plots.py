"""Plots of evaluation tables, validation curves and run records (optional: ``reclite[plot]``).

Every function takes plain DataFrames (what :func:`reclite.evaluate` returns, a model's
``history_``, a table of run records) and writes one PNG atomically; nothing here fits or
scores. matplotlib is imported only when a plot is drawn, through its object-oriented API
(no pyplot, no global backend switch), so drawing works without a display and leaves an
interactive session's settings alone. Without matplotlib, :func:`require_matplotlib`
raises one :class:`~reclite.errors.RecliteError` saying how to install it.

- :func:`plot_metrics`: each metric against the cut-off ``k``, one panel per metric, the
  models side by side (grouped bars, the value printed on each bar); with ``history``, a
  second row of panels draws each model's validation curve (metric against iteration).
- :func:`plot_runs`: run records compared, one horizontal bar per run and a panel per metric.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import ParameterError, RecliteError

__all__ = ["require_matplotlib", "plot_metrics", "plot_runs", "metrics_figure", "runs_figure", "INSTALL_HINT"]

INSTALL_HINT = 'pip install "reclite[plot]"'
_NOT_METRICS = {"k", "n_users", "iteration", "seconds", "elapsed", "time"}


def require_matplotlib() -> None:
    """Raise a RecliteError with the install command when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise RecliteError(f"plots need matplotlib: {INSTALL_HINT}") from None


def _figure(n_rows: int, n_cols: int, width: float, height: float) -> tuple[Any, Any]:
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    return fig, axes


def _save(fig: Any, path: str | Path) -> Path:
    from ._fs import atomic_write

    path = Path(path)
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png")
    return path


def _metric_columns(frame: Any, metrics: Sequence[str] | None) -> list[str]:
    cols = [c for c in frame.columns if c not in _NOT_METRICS and not str(c).endswith("seconds")
            and frame[c].dtype.kind in "fiu"]
    if metrics is None:
        return cols
    missing = [m for m in metrics if m not in frame.columns]
    if missing:
        raise ParameterError(f"no metric {', '.join(map(repr, missing))} in the table; it has {', '.join(cols)}")
    return list(metrics)


def _grid(n: int) -> tuple[int, int]:
    cols = min(n, 4)
    return math.ceil(n / cols), cols


def plot_metrics(tables: Mapping[str, Any] | Any, path: str | Path, *, metrics: Sequence[str] | None = None,
                 history: Mapping[str, Any] | None = None, title: str | None = None) -> Path:
    """Draw each metric against ``k`` for one or several models and write a PNG.

    The figure of :func:`metrics_figure`, saved to ``path`` (atomically); returns ``path``.
    """
    return _save(metrics_figure(tables, metrics=metrics, history=history, title=title), path)


def metrics_figure(tables: Mapping[str, Any] | Any, *, metrics: Sequence[str] | None = None,
                   history: Mapping[str, Any] | None = None, title: str | None = None) -> Any:
    """The matplotlib Figure of :func:`plot_metrics`: a panel per metric, grouped bars.

    Parameters
    ----------
    tables : DataFrame or mapping of label -> DataFrame
        Summary tables as :func:`reclite.evaluate` returns them: a column ``k`` and one
        column per metric (``n_users`` is ignored). Several tables: the models side by side.
    metrics : sequence of str, optional
        The metrics to draw (default: every metric column of the first table).
    history : mapping of label -> DataFrame, optional
        Validation curves (a model's ``history_``: a column ``iteration`` and one column
        per ``metric@k``), drawn in a second row, one panel per curve column.
    title : str, optional
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(tables, Mapping):
        tables = {"model": tables}
    if not tables:
        raise ParameterError("plot_metrics needs at least one table")
    first = next(iter(tables.values()))
    names = _metric_columns(first, metrics)
    if not names:
        raise ParameterError("plot_metrics: the table has no metric column")
    curves = {label: h for label, h in (history or {}).items() if h is not None and len(h)}
    curve_cols = sorted({c for h in curves.values() for c in _metric_columns(h, None)})
    require_matplotlib()
    from matplotlib.ticker import MaxNLocator

    rows, cols = _grid(len(names))
    c_rows, c_cols = _grid(len(curve_cols)) if curve_cols else (0, 0)
    n_cols = max(cols, c_cols)
    fig, axes = _figure(rows + c_rows, n_cols, 3.6 * n_cols + 0.4, 2.9 * (rows + c_rows) + 0.5)
    used: set[tuple[int, int]] = set()
    labels = list(tables)
    ks = sorted({int(k) for t in tables.values() for k in t["k"]})
    width = 0.8 / len(labels)
    for i, name in enumerate(names):
        r, c = divmod(i, cols)
        ax = axes[r][c]
        used.add((r, c))
        for j, label in enumerate(labels):
            t = tables[label].set_index("k")
            vals = [float(t[name].get(k, math.nan)) if name in t else math.nan for k in ks]
            pos = [x - 0.4 + width * (j + 0.5) for x in range(len(ks))]
            bars = ax.bar(pos, vals, width * 0.95, label=label, color=f"C{j}")
            if len(ks) * len(labels) <= 12:  # values on the bars; upright once three bars share a k
                ax.bar_label(bars, fmt="%.3g", fontsize=7, padding=1, rotation=90 if len(labels) > 2 else 0)
        ax.set_xticks(range(len(ks)), [f"@{k}" for k in ks])
        ax.set_title(name)
        ax.set_xlabel("k")
        ax.margins(y=0.25 if len(labels) > 2 else 0.15)
        ax.grid(axis="y", alpha=0.3)
    colour = {label: f"C{j}" for j, label in enumerate(dict.fromkeys([*labels, *curves]))}
    for i, col in enumerate(curve_cols):
        r, c = divmod(i, c_cols)
        ax = axes[rows + r][c]
        used.add((rows + r, c))
        for label, h in curves.items():
            if col not in h:
                continue
            x = h["iteration"] if "iteration" in h else range(1, len(h) + 1)
            ax.plot(x, h[col], marker="o", markersize=3, label=label, color=colour[label])
        ax.set_title(f"validation {col}")
        ax.set_xlabel("iteration")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    for r in range(rows + c_rows):
        for c in range(n_cols):
            if (r, c) not in used:
                axes[r][c].set_visible(False)
    handles, leg = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, leg, loc="outside upper right", ncols=min(len(leg), 4), fontsize=8)
    fig.suptitle(title or "metrics by cut-off", fontsize=11, x=0.02, ha="left")
    return fig


def plot_runs(records: Any, path: str | Path, *, metrics: Sequence[str] | None = None,
              label: str | Sequence[str] | None = None, title: str | None = None) -> Path:
    """Compare run records: one panel per metric, one horizontal bar per run; writes a PNG.

    The figure of :func:`runs_figure`, saved to ``path`` (atomically); returns ``path``.
    """
    return _save(runs_figure(records, metrics=metrics, label=label, title=title), path)


def runs_figure(records: Any, *, metrics: Sequence[str] | None = None, label: str | Sequence[str] | None = None,
                title: str | None = None) -> Any:
    """The matplotlib Figure of :func:`plot_runs`.

    Parameters
    ----------
    records : DataFrame
        One row per run. Metric columns are named ``metric@k`` (a ``metrics.`` prefix, as
        ``pandas.json_normalize`` gives for nested records, is dropped).
    metrics : sequence of str, optional
        The metric columns to draw (default: every ``name@k`` column that has a value).
    label : str or sequence of str, optional
        A column naming each run, or the labels themselves (default: the ``label`` or
        ``model`` column when there is one, else ``run 1, run 2, ...``), made unique.
    title : str, optional
        The figure's title.
    """
    if len(records) == 0:
        raise ParameterError("plot_runs: no run records to plot")
    frame = records.rename(columns=lambda c: c[len("metrics."):] if str(c).startswith("metrics.") else c)
    names = list(metrics) if metrics is not None else [
        c for c in frame.columns if "@" in str(c) and frame[c].notna().any()]
    missing = [m for m in names if m not in frame.columns]
    if missing:
        raise ParameterError(f"no metric {', '.join(map(repr, missing))} in the run records")
    if not names:
        raise ParameterError("plot_runs: the run records hold no metric (name@k) column")
    if isinstance(label, str):
        labels = [str(v) for v in frame[label]]
    elif label is not None:
        labels = [str(v) for v in label]
    else:
        col = next((c for c in ("label", "model") if c in frame.columns), None)
        labels = [str(v) for v in frame[col]] if col else [f"run {i + 1}" for i in range(len(frame))]
    seen: dict[str, int] = {}
    unique = []
    for text in labels:  # a few dozen runs at most: readable labels, made unique
        seen[text] = seen.get(text, 0) + 1
        unique.append(text if seen[text] == 1 else f"{text} ({seen[text]})")
    rows, cols = _grid(len(names))
    fig, axes = _figure(rows, cols, 4.2 * cols + 1.5, 0.35 * len(frame) * rows + 1.6 * rows + 0.5)
    for i, name in enumerate(names):
        ax = axes[i // cols][i % cols]
        vals = frame[name].astype(float).to_numpy()
        bars = ax.barh(range(len(vals)), vals, color=[f"C{j % 10}" for j in range(len(vals))])
        ax.bar_label(bars, fmt="%.4g", fontsize=7, padding=2)
        ax.set_yticks(range(len(vals)), unique if i % cols == 0 else [""] * len(vals), fontsize=8)
        ax.invert_yaxis()
        ax.set_title(name)
        ax.margins(x=0.2)
        ax.grid(axis="x", alpha=0.3)
    for i in range(len(names), rows * cols):
        axes[i // cols][i % cols].set_visible(False)
    fig.suptitle(title or f"{len(frame)} runs compared", fontsize=11, x=0.02, ha="left")
    return fig
