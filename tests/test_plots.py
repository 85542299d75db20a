"""Plots (reclite[plot]): the bars and curves drawn are the table's values; evaluate --plot
writes a PNG; without matplotlib, one line says how to install it."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from reclite.errors import ParameterError, RecliteError

pytest.importorskip("matplotlib")

from reclite.plots import metrics_figure, plot_metrics, plot_runs, require_matplotlib, runs_figure  # noqa: E402

TABLE_A = pd.DataFrame({"k": [5, 10], "n_users": [100, 100], "ndcg": [0.2, 0.25], "recall": [0.1, 0.3]})
TABLE_B = pd.DataFrame({"k": [5, 10], "n_users": [100, 100], "ndcg": [0.1, 0.15], "recall": [0.05, 0.2]})
HISTORY = pd.DataFrame({"iteration": [1, 2, 3], "seconds": [0.1, 0.1, 0.1], "ndcg@10": [0.1, 0.2, 0.25]})


def visible(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def test_metrics_figure_draws_each_metric_for_each_model_side_by_side():
    fig = metrics_figure({"a": TABLE_A, "b": TABLE_B})
    axes = visible(fig)
    assert [ax.get_title() for ax in axes] == ["ndcg", "recall"]  # n_users and k are not metrics
    ndcg = axes[0]
    heights = [p.get_height() for p in ndcg.patches]
    assert heights == pytest.approx([0.2, 0.25, 0.1, 0.15])  # model a at k=5,10, then model b
    xs = [p.get_x() + p.get_width() / 2 for p in ndcg.patches]
    assert xs[0] < xs[2] < xs[1] < xs[3]  # at each k, a then b side by side
    assert [t.get_text() for t in ndcg.get_xticklabels()] == ["@5", "@10"]


def test_history_curves_get_a_panel_per_metric():
    fig = metrics_figure({"als": TABLE_A}, history={"als": HISTORY})
    axes = visible(fig)
    assert [ax.get_title() for ax in axes] == ["ndcg", "recall", "validation ndcg@10"]
    line = axes[2].get_lines()[0]
    assert list(line.get_xdata()) == [1, 2, 3] and list(line.get_ydata()) == [0.1, 0.2, 0.25]


def test_plot_metrics_writes_a_png(tmp_path):
    from matplotlib.image import imread

    out = plot_metrics(TABLE_A, tmp_path / "m.png")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    image = imread(out)
    assert image.shape[0] > 200 and image.shape[1] > 400
    assert image[..., :3].std() > 0.05  # something is drawn, not a blank canvas


def test_unknown_metric_is_named():
    with pytest.raises(ParameterError, match="no metric 'auc'"):
        metrics_figure(TABLE_A, metrics=["auc"])


def test_runs_figure_compares_run_records(tmp_path):
    records = pd.DataFrame({"model": ["ease", "als", "ease"], "metrics.ndcg@10": [0.31, 0.28, 0.33],
                            "metrics.recall@10": [0.25, np.nan, 0.26], "seconds": [1.0, 2.0, 3.0]})
    fig = runs_figure(records)
    axes = visible(fig)
    assert [ax.get_title() for ax in axes] == ["ndcg@10", "recall@10"]
    assert [p.get_width() for p in axes[0].patches] == pytest.approx([0.31, 0.28, 0.33])
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["ease", "als", "ease (2)"]
    assert plot_runs(records, tmp_path / "r.png").stat().st_size > 2000


def test_without_matplotlib_one_line_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(RecliteError) as info:
        require_matplotlib()
    assert str(info.value) == 'plots need matplotlib: pip install "reclite[plot]"'


def test_cli_evaluate_plot(tmp_path, monkeypatch):
    from reclite.cli.main import app
    from typer.testing import CliRunner

    runner = CliRunner()
    out = tmp_path / "pop.png"
    result = runner.invoke(app, ["evaluate", "pop", "-k", "5,10", "--metrics", "ndcg,recall", "--plot", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000
    assert f"Plotted pop to {out}" in result.stderr
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = runner.invoke(app, ["evaluate", "pop", "--plot", str(tmp_path / "x.png")])
    assert result.exit_code == 1
    assert result.stderr == 'Error: plots need matplotlib: pip install "reclite[plot]"\n'  # before any work
    assert not (tmp_path / "x.png").exists()


def test_cli_run_records_plot_from_nested_records(tmp_path):
    from reclite.cli._plotting import plot_run_records

    lines = [{"command": "fit", "model": "ease", "metrics": {"ndcg@10": 0.3}},
             {"command": "evaluate", "model": "als", "metrics": {"ndcg@10": 0.25}}]
    out = tmp_path / "runs.png"
    plot_run_records(out, pd.json_normalize(lines))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
