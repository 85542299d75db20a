"""reclite.runs: records with every field, appending, reading back, the best run, the table."""

from __future__ import annotations

import json

import pytest

from reclite import runs
from reclite.errors import DataError, OutputError, ParameterError


def test_new_record_has_every_field_and_fills_the_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not a git checkout: no commit
    rec = runs.new_record("fit", model="ease", seed=3)
    assert list(rec) == list(runs.FIELDS)
    assert rec["command"] == "fit" and rec["model"] == "ease" and rec["seed"] == 3
    assert rec["git_commit"] is None and rec["git_dirty"] is None and rec["cwd"] == str(tmp_path)
    assert set(rec["versions"]) == {"python", "reclite", "implicit", "numpy", "scipy", "pandas", "scikit-learn",
                                    "numba"}
    with pytest.raises(ParameterError, match="unknown run record field 'colour'|colour"):
        runs.new_record("fit", colour="red")


def test_git_state_of_a_checkout(tmp_path):
    import subprocess

    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:  # pragma: no cover
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "a").write_text("1")
    subprocess.run(["git", "-C", str(tmp_path), "add", "a"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
                   check=True)
    head = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    assert runs.git_state(tmp_path) == (head.strip(), False)
    (tmp_path / "a").write_text("2")
    assert runs.git_state(tmp_path) == (head.strip(), True)


def test_append_then_read_back_in_order(tmp_path):
    recs = [runs.new_record("evaluate", metrics={"ndcg@10": v}) for v in (0.1, 0.3, 0.2)]
    for r in recs:
        path = runs.append_record(r, tmp_path / "r")
    assert path == tmp_path / "r" / "runs.jsonl" and len(path.read_text().splitlines()) == 3
    assert runs.read_records(tmp_path / "r") == recs
    assert runs.read_records(tmp_path / "nothing") == []


def test_best_record_is_the_highest_and_the_earliest_of_ties():
    recs = [{"id": "a", "command": "evaluate", "metrics": {"ndcg@10": 0.2}},
            {"id": "b", "command": "evaluate", "metrics": {"ndcg@10": 0.3}},
            {"id": "c", "command": "evaluate", "metrics": {"ndcg@10": 0.3}},
            {"id": "d", "command": "fit", "metrics": {}},
            {"id": "e", "command": "evaluate", "metrics": {"ndcg@10": None}}]
    assert runs.best_record(recs, "ndcg@10")["id"] == "b"
    with pytest.raises(ParameterError, match="no run has the metric 'recall@10'; the runs hold: ndcg@10"):
        runs.best_record(recs, "recall@10")


def test_a_damaged_line_is_an_error_naming_the_file_and_line(tmp_path):
    runs.append_record(runs.new_record("fit"), tmp_path)
    with open(tmp_path / "runs.jsonl", "a") as fh:
        fh.write("{not json\n")
    with pytest.raises(DataError, match=r"runs.jsonl: line 2: not a JSON run record"):
        runs.read_records(tmp_path)


def test_a_foreign_runs_file_or_a_file_as_folder_is_never_written(tmp_path):
    (tmp_path / "runs.jsonl").write_text(json.dumps({"my": "notes"}) + "\n")
    with pytest.raises(OutputError, match="first line is not a reclite run record"):
        runs.append_record(runs.new_record("fit"), tmp_path)
    assert (tmp_path / "runs.jsonl").read_text() == '{"my": "notes"}\n'
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError, match="is not a folder"):
        runs.append_record(runs.new_record("fit"), tmp_path / "afile")


def test_runs_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(runs.RUNS_ENV, str(tmp_path))
    assert runs.runs_dir() == tmp_path and runs.runs_dir("x") == runs.Path("x")
    monkeypatch.setenv(runs.RUNS_ENV, "off")
    assert runs.runs_dir() is None and runs.read_records() == []
    monkeypatch.delenv(runs.RUNS_ENV)
    assert runs.runs_dir() == runs.Path("reclite-runs")


def test_records_table_has_one_row_per_run_and_the_metric_columns():
    recs = [{"id": "a", "command": "evaluate", "time": "2026-01-02T03:04:05+00:00", "model": "pop", "data": "d",
             "split": "s", "seed": 0, "timings": {"total": 1.5}, "metrics": {"ndcg@10": 0.2, "map@10": 0.1}},
            {"id": "b", "command": "fit", "time": None, "metrics": {}}]
    t = runs.records_table(recs)
    assert list(t.columns) == ["id", "time", "command", "model", "data", "split", "seed", "seconds", "ndcg@10"]
    assert t["ndcg@10"].tolist()[0] == 0.2 and t["time"].tolist() == ["2026-01-02 03:04:05", ""]
    assert list(runs.records_table(recs, ["map@10"]).columns)[-1] == "map@10"
