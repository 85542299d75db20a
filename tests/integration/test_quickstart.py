"""The README's main job, exactly as written there: fit ALS with genre+pop confidence, then recommend.

The commands are read from the README's Quick start block, so the test breaks when the
README and the CLI disagree.
"""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from reclite.cli.main import app
from typer.testing import CliRunner

import reclite

README = Path(__file__).resolve().parents[2] / "README.md"
runner = CliRunner()


def readme_commands() -> list[list[str]]:
    """The ``reclite ...`` commands of the Quick start line ``reclite fit ... && reclite recommend ...``."""
    text = README.read_text(encoding="utf-8")
    block = text.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    line = next(ln for ln in block.splitlines() if ln.strip().startswith("reclite fit"))
    commands = [shlex.split(part) for part in line.split("&&")]
    assert all(c[0] == "reclite" for c in commands), commands
    return [c[1:] for c in commands]


def test_readme_quick_start_names_fit_als_genre_pop_then_recommend_k10():
    fit, recommend = readme_commands()
    assert fit == ["fit", "als", "--confidence", "genre+pop"]
    assert recommend == ["recommend", "-k", "10"]


def _run_quickstart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra_fit: list[str]) -> pd.DataFrame:
    monkeypatch.chdir(tmp_path)
    fit, recommend = readme_commands()
    result = runner.invoke(app, fit + extra_fit)
    assert result.exit_code == 0, result.output
    model_dir = tmp_path / "reclite-model"
    assert (model_dir / "params.json").is_file() and (model_dir / "arrays.npz").is_file()
    model = reclite.load_model(model_dir)
    assert type(model).__name__ == "ALS"
    assert model.confidence == "genre+pop"
    assert model.user_factors_.dtype == np.float32
    result = runner.invoke(app, recommend)
    assert result.exit_code == 0, result.output
    assert re.match(r"user,item,rank,score\r?\n", result.stdout), result.stdout[:200]
    return pd.read_csv(io.StringIO(result.stdout), dtype={"user": str, "item": str})


def _check_lists(recs: pd.DataFrame, ds: reclite.Dataset, k: int = 10) -> None:
    assert list(recs.columns) == ["user", "item", "rank", "score"]
    frame = ds.to_frame()
    seen = set(zip(frame["user"].astype(str), frame["item"].astype(str)))
    n_seen = frame.groupby(frame["user"].astype(str)).size()
    expected = np.minimum(k, ds.n_items - n_seen)
    counts = recs.groupby("user").size().reindex(expected.index, fill_value=0)
    assert (counts == expected).all()  # every user, k items each (fewer only if fewer unseen)
    assert not set(zip(recs["user"], recs["item"])) & seen
    for _, g in recs.groupby("user"):
        assert g["rank"].tolist() == list(range(1, len(g) + 1))
        assert (np.diff(g["score"].to_numpy()) <= 1e-6).all()


def test_quickstart_on_the_demo_data(tmp_path, monkeypatch):
    recs = _run_quickstart(tmp_path, monkeypatch, [])
    _check_lists(recs, reclite.demo_dataset())


@pytest.mark.realdata
def test_quickstart_on_ml100k(tmp_path, monkeypatch, ml100k_path, ml100k):
    recs = _run_quickstart(tmp_path, monkeypatch, ["--data", str(ml100k_path)])
    _check_lists(recs, ml100k)
