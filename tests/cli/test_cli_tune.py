"""`reclite tune`: trial lines on stderr, the table or JSON on stdout, equal to the library; errors."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from reclite.cli.main import app
from typer.testing import CliRunner

import reclite
from tests.cli._invoke import write_ratings

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def ratings(tmp_path_factory) -> Path:
    """60 users x 40 items, as a plain CSV."""
    return write_ratings(tmp_path_factory.mktemp("data") / "ratings.csv", seed=0, n_users=60, n_items=40,
                         per_user=(4, 18))


def test_grid_json_equals_the_library(ratings):
    result = invoke("tune", "ease", "--data", ratings, "-p", "l2=1,10,100", "-p", "dtype=float32",
                    "--metric", "ndcg@10,recall@5", "--seed", "3", "--json")
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    ds = reclite.read_dataset(ratings)
    train, valid = reclite.split.random_holdout(ds, 0.2, random_state=3)
    want = reclite.tune("ease", {"l2": [1, 10, 100], "dtype": ["float32"]}, train, valid,
                        metric=["ndcg@10", "recall@5"])
    assert got["best_params"] == want.best_params_
    assert got["best_score"] == pytest.approx(want.best_score_)
    assert [t["l2"] for t in got["trials"]] == want.trials["l2"].tolist()
    assert [t["recall@10"] for t in got["trials"]] == pytest.approx(want.trials["recall@10"].tolist())
    assert got["metric"] == "ndcg@10" and got["method"] == "grid"
    # one line per trial on stderr, as they end, then the best
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("trial ")]
    assert [ln.split("  ")[0] for ln in lines] == ["trial 0 (1/3)", "trial 1 (2/3)", "trial 2 (3/3)"]
    assert "l2=1 dtype=float32" in lines[0] and "ndcg@10=" in lines[0] and "recall@5=" in lines[0]
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"Best ndcg@10 = {want.best_score_:.4f} with ")
    assert f"l2={want.best_params_['l2']}" in last.split()


def test_table_is_best_first_and_records_failed_trials(ratings):
    result = invoke("tune", "ease", "--data", ratings, "-p", "l2=10", "-p", "max_memory=1KB,1GB", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["trial", "l2", "max_memory", "ndcg@10"]
    assert lines[1].split()[2] == "1GB" and " ok" in lines[1]
    assert "failed" in lines[2] and "RecliteError" in lines[2]


def test_random_search_with_a_distribution_is_seeded(ratings):
    args = ("tune", "ease", "--data", ratings, "-p", "l2=loguniform(1,1000)", "--method", "random",
            "--trials", "3", "--json", "--quiet")
    a, b = invoke(*args, "--seed", "1"), invoke(*args, "--seed", "1")
    assert a.exit_code == 0, a.output
    ta, tb = json.loads(a.stdout)["trials"], json.loads(b.stdout)["trials"]
    assert len(ta) == 3 and ta == [{**t, "fit_seconds": ta[i]["fit_seconds"], "eval_seconds": ta[i]["eval_seconds"]}
                                   for i, t in enumerate(tb)]
    assert all(1 <= t["l2"] <= 1000 for t in ta)


@pytest.mark.parametrize("args, message", [
    (["-p", "l2=1", "--metric", "ndcg@ten"], "--metric 'ndcg@ten': the cut-off"),
    (["-p", "l2=loguniform(1,2)"], "a distribution needs --method random or tpe"),
    (["-p", "nope=1"], "ease has no parameter 'nope'"),
    (["-p", "l2"], "expected name=value"),
    ([], "give at least one parameter"),
    (["-p", "l2=loguniform(5,1)", "--method", "random"], "a < b"),
])
def test_errors_are_one_line(ratings, args, message):
    result = invoke("tune", "ease", "--data", ratings, *args)
    assert result.exit_code == 1
    err_lines = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
    assert len(err_lines) == 1 and message in err_lines[0], result.stderr
    assert "Traceback" not in result.output


@pytest.mark.skipif(importlib.util.find_spec("optuna") is not None, reason="optuna is installed")
def test_tpe_without_optuna_says_how_to_install_before_reading_data(tmp_path):
    result = invoke("tune", "ease", "--data", tmp_path / "missing.csv", "-p", "l2=1", "--method", "tpe")
    assert result.exit_code == 1
    assert 'pip install "reclite[tune]"' in result.stderr


def test_table_parses_as_a_frame(ratings):
    result = invoke("tune", "ease", "--data", ratings, "-p", "l2=1,100", "--quiet")
    t = pd.read_csv(io.StringIO(result.stdout), sep=r"\s+")
    assert list(t.columns) == ["trial", "l2", "ndcg@10", "fit_seconds", "eval_seconds", "status"]
    assert t["ndcg@10"].is_monotonic_decreasing and sorted(t["trial"]) == [0, 1]


def test_fit_with_eval_split_prints_the_curve_and_saves_the_train_fit(ratings, tmp_path):
    out = tmp_path / "m"
    result = invoke("fit", "als", "--data", ratings, "-p", "factors=4", "-p", "iterations=4", "-p", "random_state=0",
                    "-p", "num_threads=1", "-p", "device=cpu", "--eval-split", "random_holdout",
                    "--eval-every", "2", "--eval-metric", "ndcg@10,recall@5", "--eval-seed", "1", "--out", out)
    assert result.exit_code == 0, result.output
    ds = reclite.read_dataset(ratings)
    train, valid = reclite.split.random_holdout(ds, 0.2, random_state=1)
    want = reclite.ALS(factors=4, iterations=4, random_state=0, num_threads=1, device="cpu").fit(
        train, eval_set=(train, valid), eval_every=2, eval_metric=["ndcg@10", "recall@5"])
    lines = result.stderr.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("Validation curve (random_holdout"))
    curve = pd.read_csv(io.StringIO("\n".join(lines[head + 1:head + 4])), sep=r"\s+")
    assert curve["iteration"].tolist() == [2, 4]
    assert curve["ndcg@10"].tolist() == pytest.approx(want.history_["ndcg@10"].round(4).tolist(), abs=1e-4)
    saved = reclite.load_model(out)
    np.testing.assert_array_equal(saved.item_factors_, want.item_factors_)
    assert saved.history_["recall@5"].tolist() == pytest.approx(want.history_["recall@5"].tolist())


def test_fit_eval_split_errors(ratings, tmp_path):
    result = invoke("fit", "ease", "--data", ratings, "--eval-split", "random_holdout", "--out", tmp_path / "m")
    assert result.exit_code == 1 and "ease has no validation curve" in result.stderr
    result = invoke("fit", "als", "--data", ratings, "--eval-split", "kfold", "--out", tmp_path / "m")
    assert result.exit_code == 1 and "--eval-split 'kfold'" in result.stderr
    result = invoke("fit", "als", "--data", ratings, "--eval-split", "random_holdout", "--eval-metric", "ndcg@x",
                    "--out", tmp_path / "m")
    assert result.exit_code == 1 and "--eval-metric 'ndcg@x'" in result.stderr
    assert not (tmp_path / "m").exists()
