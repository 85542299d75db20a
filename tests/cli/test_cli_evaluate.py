"""`reclite evaluate`: the table, JSON, each kind of MODEL_OR_CSV, and one-line errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

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
    """40 users x 30 items with timestamps, as a plain CSV."""
    return write_ratings(tmp_path_factory.mktemp("data") / "ratings.csv", seed=0, n_users=40, n_items=30,
                         per_user=(3, 15))


def table(stdout: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(stdout), sep=r"\s+")


def test_registry_model_prints_one_row_per_k(ratings):
    result = invoke("evaluate", "pop", "--data", ratings, "-k", "5,10")
    assert result.exit_code == 0, result.output
    t = table(result.stdout)
    assert list(t.columns) == ["k", "n_users", *reclite.evaluation.METRICS]
    assert t["k"].tolist() == [5, 10]
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Split random_holdout test_size=0.2 seed=0: train ")
    assert lines[-1].startswith("Evaluated pop on 40 test users: fitted in ")


def test_table_equals_the_library(ratings):
    result = invoke("evaluate", "pop", "--data", ratings, "-k", "5", "--metrics", "ndcg,recall",
                    "--seed", "3", "--json", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    got = json.loads(result.stdout)
    ds = reclite.read_dataset(ratings)
    train, test = reclite.split.random_holdout(ds, 0.2, random_state=3)
    want = reclite.evaluate(reclite.Popularity(), train, test, k=5, metrics=["ndcg", "recall"])
    assert got["metrics"]["ndcg@5"] == pytest.approx(want["ndcg"].iloc[0], rel=1e-12)
    assert got["metrics"]["recall@5"] == pytest.approx(want["recall"].iloc[0], rel=1e-12)
    assert got["rows"][0]["n_users"] == 40 and got["split"] == "random_holdout test_size=0.2 seed=3"


@pytest.mark.parametrize("how", ["leave_last_out", "last_and_random", "temporal"])
def test_each_split(ratings, how):
    result = invoke("evaluate", "pop", "--data", ratings, "--split", how, "--n-random", "1", "--json", "-q")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["split"].startswith(how)


def test_recommendations_csv_is_scored_against_the_split(ratings, tmp_path):
    ds = reclite.read_dataset(ratings)
    train, test = reclite.split.leave_last_out(ds, 1)
    recs = reclite.Popularity().fit(train).recommend(k=5)
    path = tmp_path / "recs.csv"
    recs[["user", "item", "rank"]].to_csv(path, index=False)
    result = invoke("evaluate", path, "--data", ratings, "--split", "leave_last_out", "-k", "5", "--json", "-q")
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    want = reclite.evaluate_recommendations(recs, test, k=5, train=train)
    for name in ("ndcg", "recall", "coverage", "novelty"):
        assert got["metrics"][f"{name}@5"] == pytest.approx(want[name].iloc[0], rel=1e-12)
    assert got["model"] == str(path)


def test_model_directory_is_refitted_on_train(ratings, tmp_path):
    out = tmp_path / "model"
    assert invoke("fit", "pop", "--data", ratings, "--out", out, "-q").exit_code == 0
    from_dir = invoke("evaluate", out, "--data", ratings, "--json", "-q")
    by_name = invoke("evaluate", "pop", "--data", ratings, "--json", "-q")
    assert from_dir.exit_code == 0, from_dir.output
    assert json.loads(from_dir.stdout)["metrics"] == json.loads(by_name.stdout)["metrics"]
    noisy = invoke("evaluate", out, "--data", ratings)
    assert noisy.stderr.splitlines()[0].startswith("Refitting Popularity from ")


def test_confidence_and_alpha_reach_the_model(ratings):
    ok = invoke("evaluate", "pop", "--data", ratings, "--confidence", "binary", "--alpha", "2", "-q")
    assert ok.exit_code == 0, ok.output
    bad = invoke("evaluate", "pop", "--data", ratings, "--confidence", "nosuchthing", "-q")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Error: ") and "nosuchthing" in bad.stderr.splitlines()[0]


def test_per_user_file(ratings, tmp_path):
    path = tmp_path / "users.csv"
    result = invoke("evaluate", "pop", "--data", ratings, "-k", "3", "--metrics", "ndcg", "--per-user", path, "-q")
    assert result.exit_code == 0, result.output
    per = pd.read_csv(path)
    assert list(per.columns) == ["user", "n_test", "ndcg@3"] and len(per) == 40


def test_unknown_target_is_one_line(ratings):
    result = invoke("evaluate", "nosuchmodel", "--data", ratings)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(
        "Error: 'nosuchmodel' is neither a model name (pop, ")
    assert result.stderr.splitlines()[0].endswith("nor an existing recommendations CSV or model directory")


def test_leave_last_out_without_time_is_one_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("user,item\na,x\na,y\nb,x\n", encoding="utf-8")
    result = invoke("evaluate", "pop", "--data", path, "--split", "leave_last_out")
    assert result.exit_code == 1
    assert "leave_last_out needs timestamps and this Dataset has none" in result.stderr.splitlines()[0]
    assert result.stderr.startswith("Error: ")


def test_bad_k_metrics_and_memory(ratings):
    r = invoke("evaluate", "pop", "--data", ratings, "-k", "ten")
    assert r.exit_code == 1 and r.stderr.splitlines()[0] == (
        "Error: -k 'ten': expected a positive integer or a comma-separated list, e.g. -k 10 or -k 10,20")
    r = invoke("evaluate", "pop", "--data", ratings, "--metrics", "ndcg,ndgc")
    assert r.exit_code == 1 and r.stderr.splitlines()[0].startswith("Error: --metrics: unknown metric 'ndgc'")
    r = invoke("evaluate", "pop", "--data", ratings, "--max-memory", "lots")
    assert r.exit_code == 1 and r.stderr.startswith("Error: --max-memory: ")
    r = invoke("evaluate", "pop", "--data", ratings, "--split", "temporal", "--at", "1.5")
    assert r.exit_code == 1 and r.stderr.splitlines()[0].startswith("Error: --at '1.5': expected a timestamp")


def test_help_has_the_example_unchanged():
    result = invoke("evaluate", "-h")
    assert result.exit_code == 0
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "Example:" in lines
    assert "reclite evaluate ease --data ml-100k --split leave_last_out -k 10,20" in lines


def test_demo_data_when_no_data_given():
    result = invoke("evaluate", "pop", "-k", "10", "--metrics", "ndcg,coverage")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0].startswith("Using the embedded demo dataset")
    t = table(result.stdout)
    assert list(t.columns) == ["k", "n_users", "ndcg", "coverage"]
    assert 0.0 < t["ndcg"].iloc[0] < 1.0
