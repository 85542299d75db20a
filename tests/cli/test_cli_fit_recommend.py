"""`reclite fit`, `reclite recommend`, `reclite models`: the user's view of each command."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from reclite.cli._params import parse_params, parse_value
from reclite.cli.main import app
from typer.testing import CliRunner

import reclite

runner = CliRunner()

# two taste groups: a, b, c like x items; d, e, f like y items
RATINGS = """user,item,rating
a,x1,5
a,x2,4
b,x1,3
b,x3,5
c,x2,4
c,x3,2
d,y1,5
d,y2,4
e,y1,3
e,y3,5
f,y2,4
f,y3,3
"""


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def ratings(tmp_path) -> Path:
    path = tmp_path / "ratings.csv"
    path.write_text(RATINGS, encoding="utf-8")
    return path


@pytest.fixture
def model_dir(tmp_path, ratings) -> Path:
    out = tmp_path / "model"
    result = invoke("fit", "itemknn", "--data", ratings, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    return out


def read_csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype={"user": str, "item": str})


# ---------------------------------------------------------------------- fit
def test_fit_saves_a_model_and_prints_one_summary_line(tmp_path, ratings):
    out = tmp_path / "m"
    result = invoke("fit", "ease", "--data", ratings, "--out", out, "-p", "l2=20")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert re.fullmatch(rf"Fitted ease \(EASE\) on \S+: 6 users x 6 items, 12 interactions in [\d.]+ s; "
                        rf"saved to {re.escape(str(out))} \(deterministic\)\n", result.stderr), result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["arrays.npz", "fit.json", "params.json", "versions.json"]


def test_fit_quiet_prints_nothing(tmp_path, ratings):
    result = invoke("fit", "pop", "--data", ratings, "--out", tmp_path / "m", "-q")
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""


def test_fit_params_confidence_and_alpha_reach_the_model(tmp_path, ratings):
    out = tmp_path / "m"
    result = invoke("fit", "itemknn", "--data", ratings, "--out", out, "-q", "-p", "k_neighbors=5",
                    "-p", "weighting=bm25", "--param", "shrinkage=1.5", "--confidence", "log", "--alpha", "2",
                    "--confidence-param", "era.tau=15")
    assert result.exit_code == 0, result.output
    params = json.loads((out / "params.json").read_text())["params"]
    assert params["k_neighbors"] == 5 and params["weighting"] == "bm25" and params["shrinkage"] == 1.5
    assert params["confidence"] == "log" and params["alpha"] == 2.0
    assert params["confidence_params"] == {"era": {"tau": 15.0}}


def test_fit_unknown_param_lists_the_models_params(tmp_path, ratings):
    result = invoke("fit", "ease", "--data", ratings, "--out", tmp_path / "m", "-p", "l3=5")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "Error: model 'ease' has no parameter 'l3'; its parameters are: "
        "alpha, confidence, confidence_params, dtype, l2, max_memory")
    assert not (tmp_path / "m").exists()


def test_fit_bad_param_value_is_one_line_and_leaves_nothing(tmp_path, ratings):
    result = invoke("fit", "itemknn", "--data", ratings, "--out", tmp_path / "m", "-p", "k_neighbors=0")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "Error: itemknn: k_neighbors must be an integer >= 1, got 0 "
        "(check the --param values; `reclite models` lists them)")
    assert "Traceback" not in result.output
    assert not (tmp_path / "m").exists()


def test_fit_malformed_param(tmp_path, ratings):
    result = invoke("fit", "ease", "--data", ratings, "--out", tmp_path / "m", "-p", "l2")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "Error: --param 'l2': expected name=value, e.g. --param l2=200"


def test_fit_unknown_model(tmp_path, ratings):
    result = invoke("fit", "svd++", "--data", ratings, "--out", tmp_path / "m")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: unknown model 'svd++'; known models: pop, genre_rule, itemknn, ")


def test_fit_bad_confidence_spec(tmp_path, ratings):
    result = invoke("fit", "ease", "--data", ratings, "--out", tmp_path / "m", "--confidence", "genr")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "genr" in result.stderr.splitlines()[0]
    assert not (tmp_path / "m").exists()


def test_fit_genre_rule_without_genres(tmp_path, ratings):
    result = invoke("fit", "genre_rule", "--data", ratings, "--out", tmp_path / "m", "-q")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: GenreTopN needs item genres, and ")
    assert not (tmp_path / "m").exists()


def test_fit_missing_data_file(tmp_path):
    result = invoke("fit", "ease", "--data", tmp_path / "nope.csv", "--out", tmp_path / "m")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "nope.csv" in result.stderr.splitlines()[0]


def test_fit_on_the_demo_data(tmp_path):
    pytest.importorskip("reclite.data.demo")
    result = invoke("fit", "pop", "--out", tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Using the embedded demo dataset")


@pytest.mark.parametrize("text, value", [
    ("3", 3), ("-2", -2), ("0.5", 0.5), ("1e-3", 1e-3), ("true", True), ("False", False), ("none", None),
    ("null", None), ("bm25", "bm25"), ('{"name": "msd"}', {"name": "msd"}), ("[1, 2]", [1, 2]),
])
def test_param_values(text, value):
    assert parse_value(text) == value and type(parse_value(text)) is type(value)


def test_param_value_with_equals_sign_keeps_the_rest():
    assert parse_params(["algorithm=a=b"]) == {"algorithm": "a=b"}


# ---------------------------------------------------------------------- recommend
def test_recommend_stdout_is_a_clean_csv(model_dir):
    result = invoke("recommend", "--model", model_dir, "-k", "2")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    recs = read_csv(result.stdout)
    assert list(recs.columns) == ["user", "item", "rank", "score"]
    assert set(recs["user"]) == set("abcdef")
    assert (recs.groupby("user").size() == 2).all()
    assert recs["rank"].tolist() == [1, 2] * 6
    # the taste groups hold: x users get x items first
    top = recs[recs["rank"] == 1].set_index("user")["item"]
    assert all(top[u].startswith("x") for u in "abc") and all(top[u].startswith("y") for u in "def")


def test_recommend_users_as_list_and_file(model_dir, tmp_path):
    listed = invoke("recommend", "--model", model_dir, "-k", "3", "--users", "b,d")
    ufile = tmp_path / "users.txt"
    ufile.write_text("b\n\nd\n")
    from_file = invoke("recommend", "--model", model_dir, "-k", "3", "--users-file", ufile)
    assert listed.exit_code == 0 and from_file.exit_code == 0
    assert listed.stdout == from_file.stdout
    assert read_csv(listed.stdout)["user"].unique().tolist() == ["b", "d"]


def test_recommend_out_writes_the_same_csv(model_dir, tmp_path):
    out = tmp_path / "recs.csv"
    result = invoke("recommend", "--model", model_dir, "-k", "2", "--out", out)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == f"Wrote 12 recommendations for 6 users to {out}\n"
    assert out.read_text() == invoke("recommend", "--model", model_dir, "-k", "2").stdout


def test_recommend_unknown_user_error_leaves_no_file(model_dir, tmp_path):
    out = tmp_path / "recs.csv"
    result = invoke("recommend", "--model", model_dir, "--users", "a,zz", "--out", out)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "Error: 1 unknown user id (e.g. 'zz'); the map knows 6 users"
    assert not out.exists()
    assert list(tmp_path.glob(".recs.csv*")) == []


def test_recommend_unknown_user_popular(model_dir):
    result = invoke("recommend", "--model", model_dir, "--users", "a,zz", "-k", "2", "--on-unknown", "popular")
    assert result.exit_code == 0
    assert result.stderr == "Warning: 1 unknown user got the most popular items\n"
    recs = read_csv(result.stdout)
    assert recs.loc[recs["user"] == "zz", "item"].tolist() == ["x1", "x2"]  # 2 users each, smaller id first


def test_recommend_data_selects_users_and_excludes_their_items(model_dir, tmp_path):
    more = tmp_path / "more.csv"
    more.write_text("user,item\na,x3\nd,y3\n")
    result = invoke("recommend", "--model", model_dir, "-k", "3", "--data", more)
    assert result.exit_code == 0, result.output
    recs = read_csv(result.stdout)
    assert recs["user"].unique().tolist() == ["a", "d"]
    assert "x3" not in recs.loc[recs["user"] == "a", "item"].tolist()
    assert "y3" not in recs.loc[recs["user"] == "d", "item"].tolist()


def test_recommend_missing_model(tmp_path):
    result = invoke("recommend", "--model", tmp_path / "nothing")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"Error: {tmp_path / 'nothing'}: no such model directory (fit one with 'reclite fit')")


def test_recommend_k_must_be_positive(model_dir):
    result = invoke("recommend", "--model", model_dir, "-k", "0")
    assert result.exit_code == 2  # a usage error, from the option's range


# ---------------------------------------------------------------------- models, help
def test_models_lists_names_classes_and_defaults():
    result = invoke("models")
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert {"pop", "genre_rule", "itemknn", "userknn", "ease", "rp3beta"} <= set(lines)
    assert re.match(rf"ease +EASE +.*l2={reclite.EASE().l2}", lines["ease"])  # the class's own default
    assert f"walk_alpha={reclite.RP3beta().walk_alpha}" in lines["rp3beta"]


def test_models_json():
    result = invoke("models", "--json")
    entries = {e["name"]: e for e in json.loads(result.stdout)}
    assert entries["itemknn"]["class"] == "ItemKNN"
    assert entries["itemknn"]["params"]["k_neighbors"] == 200  # issue 10: defaults chosen by validation
    assert entries["itemknn"]["params"]["prune"] == "target"


@pytest.mark.parametrize("command, example", [
    ("fit", "    reclite fit ease --data ml-100k -p l2=200 --out ease-model"),
    ("recommend", "    reclite recommend --model ease-model -k 10 --users 1,2,3 --out recs.csv"),
    ("models", "    reclite models --json"),
])
def test_help_shows_the_example_unchanged(command, example):
    result = invoke(command, "-h")
    assert result.exit_code == 0
    assert any(line.rstrip().endswith(example) for line in result.stdout.splitlines()), result.stdout
    assert "Example:" in result.stdout
