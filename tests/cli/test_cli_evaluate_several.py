"""`reclite evaluate A B C`: several models (or recommendation CSVs) on one split, one table,
one run record each, `--param` routed to the models that have it, and a side-by-side plot."""

from __future__ import annotations

import io
import json
import tomllib

import numpy as np
import pandas as pd
import pytest

import reclite
from reclite import runs
from tests.cli._invoke import invoke, write_ratings


@pytest.fixture(scope="module")
def ratings(tmp_path_factory):
    return write_ratings(tmp_path_factory.mktemp("data") / "ratings.csv", seed=4, n_users=50, n_items=40,
                         per_user=(4, 16))


def library(model, ratings, k=(5, 10), metrics=("ndcg", "recall"), seed=0):
    """What reclite.evaluate gives on the CLI's default split (random_holdout 0.2, seed)."""
    train, test = reclite.split.random_holdout(reclite.read_dataset(ratings), 0.2, random_state=seed)
    return reclite.evaluate(model, train, test, k=list(k), metrics=list(metrics))


def test_one_table_with_a_model_column_equal_to_the_library_per_model(ratings):
    out = invoke("evaluate", "pop", "itemknn", "ease", "--data", ratings, "-k", "5,10", "--metrics", "ndcg,recall",
                 "-p", "l2=50", "-p", "k_neighbors=7", "-q", "--no-record")
    table = pd.read_csv(io.StringIO(out.stdout), sep=r"\s+")
    assert list(table.columns) == ["model", "k", "n_users", "ndcg", "recall"]
    assert table["model"].tolist() == ["pop", "pop", "itemknn", "itemknn", "ease", "ease"]
    wants = {"pop": reclite.Popularity(), "itemknn": reclite.ItemKNN(k_neighbors=7), "ease": reclite.EASE(l2=50)}
    for name, model in wants.items():
        want = library(model, ratings)
        got = table[table["model"] == name]
        np.testing.assert_allclose(got["ndcg"], want["ndcg"], atol=5e-5)  # the table prints 4 digits
        np.testing.assert_allclose(got["recall"], want["recall"], atol=5e-5)
    # the models differ, so routing the parameters mattered: itemknn with its default k would differ
    assert not np.allclose(library(reclite.ItemKNN(), ratings)["ndcg"],
                           library(reclite.ItemKNN(k_neighbors=7), ratings)["ndcg"])


def test_json_lists_each_model_exactly_as_alone(ratings):
    both = json.loads(invoke("evaluate", "pop", "ease", "--data", ratings, "-k", "5", "--json", "-q",
                             "--no-record", "--seed", "2").stdout)
    assert both["split"] == "random_holdout test_size=0.2 seed=2" and both["k"] == [5]
    assert [m["model"] for m in both["models"]] == ["pop", "ease"]
    for entry in both["models"]:
        alone = json.loads(invoke("evaluate", entry["model"], "--data", ratings, "-k", "5", "--json", "-q",
                                  "--no-record", "--seed", "2").stdout)
        assert entry["metrics"] == alone["metrics"] and entry["rows"] == alone["rows"]


def test_a_csv_and_a_model_share_the_split(ratings, tmp_path):
    ds = reclite.read_dataset(ratings)
    train, test = reclite.split.leave_last_out(ds, 1)
    recs = reclite.ItemKNN().fit(train).recommend(k=10)
    path = tmp_path / "knn.csv"
    recs[["user", "item", "rank"]].to_csv(path, index=False)
    got = json.loads(invoke("evaluate", path, "itemknn", "--data", ratings, "--split", "leave_last_out",
                            "--json", "-q", "--no-record").stdout)
    by_model = {m["model"]: m["metrics"] for m in got["models"]}
    assert by_model[str(path)]["ndcg@10"] == pytest.approx(by_model["itemknn"]["ndcg@10"], abs=1e-12)
    assert by_model[str(path)]["recall@10"] == pytest.approx(by_model["itemknn"]["recall@10"], abs=1e-12)


def test_one_run_record_per_model_and_runs_best_picks_among_them(ratings, tmp_path):
    d = tmp_path / "runs"
    out = json.loads(invoke("evaluate", "pop", "ease", "--data", ratings, "--json", "-q", "--runs", d).stdout)
    recs = runs.read_records(d)
    assert [r["model"] for r in recs] == ["pop", "ease"]
    assert [r["model_class"] for r in recs] == ["Popularity", "EASE"]
    assert recs[1]["id"] == f"{recs[0]['id']}-2"
    for r, entry in zip(recs, out["models"], strict=True):
        assert set(r) == set(runs.FIELDS)
        assert r["metrics"] == entry["metrics"]
        assert set(r["timings"]) >= {"read", "fit", "evaluate", "total"}
        assert r["timings"]["total"] >= r["timings"]["fit"] + r["timings"]["evaluate"]
        assert r["command_line"].startswith("reclite evaluate pop ease ")
    assert recs[1]["params"]["l2"] == reclite.EASE().l2 and "l2" not in recs[0]["params"]
    best = max(out["models"], key=lambda m: m["metrics"]["ndcg@10"])["model"]
    shown = invoke("runs", "--runs", d, "--best", "ndcg@10", "--json")
    assert json.loads(shown.stdout)[0]["model"] == best


def test_param_that_no_model_has_names_them_all(ratings):
    result = invoke("evaluate", "pop", "ease", "--data", ratings, "-p", "k_neighbors=5", ok=False)
    assert result.exit_code == 1
    assert "no model of pop, ease has a parameter k_neighbors" in result.stderr
    assert "Traceback" not in result.output


def test_a_model_given_twice_is_refused(ratings):
    result = invoke("evaluate", "pop", "pop", "--data", ratings, ok=False)
    assert result.exit_code == 1 and "pop given more than once" in result.stderr


def test_split_options_with_test_files_are_refused_not_ignored(ratings, tmp_path):
    invoke("split", "--data", ratings, "--out", tmp_path / "s", "-q", "--no-record")
    recs = tmp_path / "recs.csv"
    pd.DataFrame({"user": ["u1"], "item": ["i1"], "rank": [1]}).to_csv(recs, index=False)
    result = invoke("evaluate", recs, "--test", tmp_path / "s" / "test.csv", "--split", "temporal",
                    "--test-size", "0.3", ok=False)
    assert result.exit_code == 1
    assert "--split, --test-size: split options do nothing with --test" in result.stderr


def test_config_round_trip_with_several_models(ratings, tmp_path):
    first = invoke("evaluate", "pop", "itemknn", "--data", ratings, "-k", "5", "-q", "--no-record",
                   "--save-config", tmp_path / "c.toml")
    saved = tomllib.loads((tmp_path / "c.toml").read_text())
    assert saved["target"] == ["pop", "itemknn"]
    again = invoke("evaluate", "--config", tmp_path / "c.toml", "--no-record")
    assert again.stdout == first.stdout
    one = invoke("evaluate", "pop", "--data", ratings, "-q", "--no-record", "--save-config", tmp_path / "one.toml")
    assert tomllib.loads((tmp_path / "one.toml").read_text())["target"] == "pop"  # one model: a string
    assert invoke("evaluate", "--config", tmp_path / "one.toml", "--no-record").stdout == one.stdout


def test_per_user_file_has_a_model_column(ratings, tmp_path):
    invoke("evaluate", "pop", "ease", "--data", ratings, "-k", "5", "--metrics", "ndcg", "-q", "--no-record",
           "--per-user", tmp_path / "users.csv")
    users = pd.read_csv(tmp_path / "users.csv")
    assert users.columns[0] == "model" and set(users["model"]) == {"pop", "ease"}
    per_model = users.groupby("model")["ndcg@5" if "ndcg@5" in users else "ndcg"].mean()
    want = library(reclite.EASE(), ratings, k=(5,), metrics=("ndcg",))["ndcg"].iloc[0]
    assert per_model["ease"] == pytest.approx(want, abs=1e-6)


def test_plot_draws_the_models_side_by_side(ratings, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from reclite import plots

    drawn = {}
    real = plots.metrics_figure

    def spy(tables, *args, **kwargs):
        drawn.update(tables)
        return real(tables, *args, **kwargs)

    monkeypatch.setattr(plots, "metrics_figure", spy)
    invoke("evaluate", "pop", "itemknn", "ease", "--data", ratings, "-k", "5,10", "--metrics", "ndcg,recall",
           "-q", "--no-record", "--plot", tmp_path / "cmp.png")
    png = (tmp_path / "cmp.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert list(drawn) == ["pop", "itemknn", "ease"]
    assert all(t["k"].tolist() == [5, 10] for t in drawn.values())


def test_param_scoped_to_one_model_reaches_only_it(ratings):
    """ALS and BPR share `factors`: `-p factors=4` gives both 4; `-p als.factors=3` gives ALS 3
    (and wins over the shared value), BPR keeps 4."""
    got = json.loads(invoke("evaluate", "als", "bpr", "--data", ratings, "-p", "factors=4", "-p", "als.factors=3",
                            "-p", "iterations=3", "-p", "bpr.iterations=5", "-k", "5", "--json", "-q",
                            "--runs", ratings.parent / "scoped").stdout)
    recs = {r["model"]: r["params"] for r in runs.read_records(ratings.parent / "scoped")}
    assert recs["als"]["factors"] == 3 and recs["bpr"]["factors"] == 4
    assert recs["als"]["iterations"] == 3 and recs["bpr"]["iterations"] == 5
    want = library(reclite.ALS(factors=3, iterations=3, random_state=0), ratings, k=(5,))
    als = next(m for m in got["models"] if m["model"] == "als")
    assert als["metrics"]["ndcg@5"] == pytest.approx(want["ndcg"].iloc[0], abs=1e-6)


def test_param_scoped_to_a_model_not_evaluated_is_refused(ratings):
    result = invoke("evaluate", "pop", "ease", "--data", ratings, "-p", "itemknn.k_neighbors=5", ok=False)
    assert result.exit_code == 1
    assert "'itemknn' is not a model evaluated here (pop, ease)" in result.stderr
