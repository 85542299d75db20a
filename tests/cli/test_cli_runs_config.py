"""Run records (`reclite runs`), `--config` / `--save-config`, and `reclite model info`."""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pytest

import reclite
from reclite import runs
from tests.cli._invoke import invoke, write_ratings


@pytest.fixture(scope="module")
def ratings(tmp_path_factory):
    return write_ratings(tmp_path_factory.mktemp("data") / "ratings.csv", seed=1, n_users=30, n_items=25,
                         per_user=(4, 12))


# ---------------------------------------------------------------- run records
def test_every_pipeline_command_appends_a_record_with_every_field(tmp_path, ratings):
    d = tmp_path / "runs"
    ds = reclite.read_dataset(ratings)
    invoke("split", "--data", ratings, "--split", "leave_last_out", "--out", tmp_path / "s", "-q", "--runs", d)
    invoke("fit", "als", "--data", ratings, "-p", "factors=4", "--seed", "5", "--out", tmp_path / "m", "-q",
           "--runs", d)
    ev = invoke("evaluate", "pop", "--data", ratings, "--split", "leave_last_out", "-k", "5,10", "--json", "-q",
                "--runs", d)
    invoke("tune", "itemknn", "--data", ratings, "-p", "k_neighbors=5,20", "-q", "--runs", d)
    invoke("fit", "pop", "--data", ratings, "--out", tmp_path / "m2", "-q", "--runs", d, "--no-record")
    recs = runs.read_records(d)
    assert [r["command"] for r in recs] == ["split", "fit", "evaluate", "tune"]
    for r in recs:
        assert set(r) == set(runs.FIELDS)
        assert r["data"] == str(ratings) and r["data_fingerprint"] == ds.fingerprint()
        assert r["data_shape"] == {"users": ds.n_users, "items": ds.n_items, "interactions": len(ds)}
        assert set(r["versions"]) >= {"reclite", "implicit", "numpy", "scipy"}
        assert r["versions"]["numpy"] == np.__version__
        assert r["timings"]["total"] > 0 and r["cwd"]
        assert r["command_line"].startswith(f"reclite {r['command']} ")
        assert r["argv"][0] == r["command"]
    split, fit, evaluate, tune = recs
    assert split["split"] == "leave_last_out n=1" and split["seed"] == 0
    assert split["outputs"] == [str(tmp_path / "s" / "train.csv"), str(tmp_path / "s" / "test.csv")]
    assert fit["model"] == "als" and fit["model_class"] == "ALS" and fit["seed"] == 5
    assert fit["params"]["factors"] == 4 and fit["params"]["random_state"] == 5
    assert fit["argv"] == ["fit", "als", "--data", str(ratings), "-p", "factors=4", "--seed", "5", "--out",
                           str(tmp_path / "m"), "-q", "--runs", str(d)]
    assert "--seed 5" in fit["command_line"] and "--param factors=4" in fit["command_line"]
    assert set(fit["timings"]) >= {"read", "fit", "total"}
    assert evaluate["metrics"] == json.loads(ev.stdout)["metrics"]
    assert evaluate["split"] == "leave_last_out n=1" and evaluate["model"] == "pop"
    assert tune["metrics"]["ndcg@10"] == max(tune["metrics"].values())
    assert tune["params"]["k_neighbors"] in (5, 20)


def test_records_go_to_runs_env_or_nowhere(tmp_path, ratings, monkeypatch):
    monkeypatch.setenv("RECLITE_RUNS", str(tmp_path / "env"))
    invoke("fit", "pop", "--data", ratings, "--out", tmp_path / "m", "-q")
    assert len(runs.read_records(tmp_path / "env")) == 1
    monkeypatch.setenv("RECLITE_RUNS", "off")
    invoke("fit", "pop", "--data", ratings, "--out", tmp_path / "m", "-q")
    assert len(runs.read_records(tmp_path / "env")) == 1
    monkeypatch.delenv("RECLITE_RUNS")
    monkeypatch.chdir(tmp_path)
    invoke("fit", "pop", "--data", ratings, "--out", tmp_path / "m", "-q")
    assert len(runs.read_records(tmp_path / "reclite-runs")) == 1


def test_a_runs_file_reclite_did_not_write_is_left_alone(tmp_path, ratings):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "runs.jsonl").write_text("my own notes\n")
    result = invoke("fit", "pop", "--data", ratings, "--out", tmp_path / "m", "-q", "--runs", tmp_path / "r",
                    ok=False)
    assert result.exit_code == 1 and "not a reclite run record" in result.stderr
    assert (tmp_path / "r" / "runs.jsonl").read_text() == "my own notes\n"


def test_runs_lists_the_table_and_picks_the_best(tmp_path, ratings):
    d = tmp_path / "runs"
    scores = {}
    for model in ("pop", "itemknn"):
        ev = invoke("evaluate", model, "--data", ratings, "-k", "5", "--json", "-q", "--runs", d)
        scores[model] = json.loads(ev.stdout)["metrics"]["ndcg@5"]
    table = invoke("runs", "--runs", d)
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["id", "time", "command", "model", "data", "split", "seed", "seconds", "ndcg@5",
                                "recall@5"]
    assert len(lines) == 3 and f"{scores['pop']:.4f}" in lines[1] and f"{scores['itemknn']:.4f}" in lines[2]
    best = max(scores, key=lambda m: scores[m])
    chosen = json.loads(invoke("runs", "--runs", d, "--best", "ndcg@5", "--json").stdout)
    assert len(chosen) == 1 and chosen[0]["model"] == best and chosen[0]["metrics"]["ndcg@5"] == scores[best]
    text = invoke("runs", "--runs", d, "--best", "ndcg@5").stdout
    assert text.splitlines()[-1] == f"command: {chosen[0]['command_line']}"
    result = invoke("runs", "--runs", d, "--best", "ndcg@50", ok=False)
    assert result.exit_code == 1 and "ndcg@5" in result.stderr  # lists the metrics the runs hold
    assert len(json.loads(invoke("runs", "--runs", d, "--json", "--last", "1").stdout)) == 1


def test_runs_plot_draws_the_listed_runs(tmp_path, ratings, monkeypatch):
    pytest.importorskip("matplotlib")
    import reclite.plots

    d = tmp_path / "runs"
    scores = {}
    for model in ("pop", "itemknn"):
        ev = invoke("evaluate", model, "--data", ratings, "-k", "5", "--json", "-q", "--runs", d)
        scores[model] = json.loads(ev.stdout)["metrics"]["ndcg@5"]
    invoke("fit", "pop", "--data", ratings, "--out", tmp_path / "m", "-q", "--runs", d)
    drawn = {}
    real = reclite.plots.plot_runs

    def spy(records, path, **kw):
        drawn["frame"], drawn["metrics"] = records, kw.get("metrics")
        return real(records, path, **kw)

    monkeypatch.setattr(reclite.plots, "plot_runs", spy)
    out = tmp_path / "runs.png"
    result = invoke("runs", "--runs", d, "--command", "evaluate", "--plot", out, "-m", "ndcg@5")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 1000
    frame = drawn["frame"]  # the evaluate runs only, with their own metric values
    assert list(frame["model"]) == ["pop", "itemknn"] and drawn["metrics"] == ["ndcg@5"]
    assert list(frame["metrics.ndcg@5"]) == [scores["pop"], scores["itemknn"]]
    assert len(result.stdout.splitlines()) == 3  # the table is still printed
    empty = invoke("runs", "--runs", d, "--command", "tune", "--plot", tmp_path / "none.png", ok=False)
    assert empty.exit_code == 1 and "no run records to draw" in empty.stderr
    assert not (tmp_path / "none.png").exists()

# ---------------------------------------------------------------- config files
def test_config_and_flags_agree_and_flags_win(tmp_path, ratings):
    flags = ["--data", str(ratings), "--split", "temporal", "--at", "0.7", "-k", "5,10", "-p", "by=users",
             "--seed", "2", "--json", "-q"]
    want = invoke("evaluate", "pop", *flags).stdout
    (tmp_path / "c.toml").write_text(
        f'target = "pop"\ndata = "{ratings}"\nsplit = "temporal"\nat = 0.7\nk = [5, 10]\nseed = 2\njson = true\n'
        'quiet = true\n[params]\nby = "users"\n')
    assert invoke("evaluate", "--config", tmp_path / "c.toml").stdout == want
    # a flag on the command line wins over the file
    other = invoke("evaluate", "--config", tmp_path / "c.toml", "--split", "leave_last_out").stdout
    assert json.loads(other)["split"] == "leave_last_out n=1"
    assert other == invoke("evaluate", "pop", *flags, "--split", "leave_last_out").stdout


def test_save_config_reproduces_the_run(tmp_path, ratings):
    first = invoke("evaluate", "itemknn", "--data", ratings, "--split", "random_holdout", "--test-size", "0.3",
                   "-p", "k_neighbors=7", "-k", "5", "--seed", "4", "--json", "-q",
                   "--save-config", tmp_path / "run.toml")
    saved = tomllib.loads((tmp_path / "run.toml").read_text())
    assert saved["target"] == "itemknn" and saved["test-size"] == 0.3 and saved["param"] == ["k_neighbors=7"]
    assert saved["seed"] == 4 and "save-config" not in saved and "config" not in saved
    again = invoke("evaluate", "--config", tmp_path / "run.toml")
    assert again.stdout == first.stdout


def test_fit_and_split_read_configs_too(tmp_path, ratings):
    (tmp_path / "f.toml").write_text(f'model = "als"\ndata = "{ratings}"\nseed = 3\n[params]\nfactors = 4\n')
    invoke("fit", "--config", tmp_path / "f.toml", "--out", tmp_path / "m", "-q")
    m = reclite.load_model(tmp_path / "m")
    assert m.factors == 4 and m.random_state == 3
    (tmp_path / "s.toml").write_text(f'data = "{ratings}"\nsplit = "leave_last_out"\nout = "{tmp_path / "s"}"\n')
    invoke("split", "--config", tmp_path / "s.toml", "-q")
    meta = json.loads((tmp_path / "s" / "split.json").read_text())
    assert meta["split"] == "leave_last_out n=1"


def test_tune_params_table_lists_the_values_to_search(tmp_path, ratings):
    (tmp_path / "t.toml").write_text(f'target = "itemknn"\ndata = "{ratings}"\n[params]\nk_neighbors = [5, 20]\n')
    got = json.loads(invoke("tune", "--config", tmp_path / "t.toml", "--json", "-q").stdout)
    want = json.loads(invoke("tune", "itemknn", "--data", ratings, "-p", "k_neighbors=5,20", "--json", "-q").stdout)
    assert sorted(t["k_neighbors"] for t in got["trials"]) == [5, 20]
    assert got["best_score"] == want["best_score"] and got["best_params"] == want["best_params"]
    assert [t["ndcg@10"] for t in got["trials"]] == [t["ndcg@10"] for t in want["trials"]]


@pytest.mark.parametrize("text, message", [
    ('splt = "temporal"\n', "unknown option 'splt' for reclite evaluate"),
    ('test-size = 3\n', "test_size = 3"),
    ('split = "halves"\n', "split = 'halves'"),
    ('params = 3\n', "params must be a table"),
])
def test_bad_config_entries_are_one_error_naming_the_file_and_key(tmp_path, ratings, text, message):
    (tmp_path / "bad.toml").write_text(text)
    result = invoke("evaluate", "pop", "--data", ratings, "--config", tmp_path / "bad.toml", ok=False)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: --config {tmp_path / 'bad.toml'}: ")
    assert message in lines[0]


def test_missing_argument_without_config_is_a_usage_error():
    result = invoke("fit", ok=False)
    assert result.exit_code == 2 and "Missing argument 'MODEL'" in result.stderr


# ---------------------------------------------------------------- model info
def test_model_info_says_class_params_data_seed_and_fit_time(tmp_path, ratings):
    invoke("fit", "als", "--data", ratings, "-p", "factors=4", "--seed", "9", "--out", tmp_path / "m", "-q")
    info = json.loads(invoke("model", "info", tmp_path / "m", "--json").stdout)
    ds = reclite.read_dataset(ratings)
    assert info["class"] == "ALS" and info["model"] == "als" and info["params"]["factors"] == 4
    assert info["seed"] == 9 and info["params"]["random_state"] == 9
    assert info["data"] == str(ratings) and info["data_fingerprint"] == ds.fingerprint()
    assert info["data_shape"] == {"users": ds.n_users, "items": ds.n_items, "interactions": len(ds)}
    assert info["fit_seconds"] > 0 and info["versions"]["implicit"]
    assert info["files"] == ["arrays.npz", "fit.json", "params.json", "versions.json"]
    text = invoke("model", "info", tmp_path / "m").stdout
    assert text.splitlines()[0] == "model         ALS (reclite fit als)"
    assert f"fingerprint   {ds.fingerprint()}" in text and "seed          9" in text


def test_model_info_of_a_model_saved_from_python_reads_its_arrays(tmp_path, ratings):
    ds = reclite.read_dataset(ratings)
    reclite.Popularity().fit(ds).save(tmp_path / "p")
    info = json.loads(invoke("model", "info", tmp_path / "p", "--json").stdout)
    assert info["class"] == "Popularity" and info["fit_seconds"] is None and info["data"] is None
    assert info["data_shape"] == {"users": ds.n_users, "items": ds.n_items, "interactions": len(ds)}
    assert "(not recorded: saved from Python)" in invoke("model", "info", tmp_path / "p").stdout
