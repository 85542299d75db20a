"""`reclite fit spark_als` and `reclite recommend --engine spark`; the one-line error without Spark."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from reclite.cli.main import app
from typer.testing import CliRunner

import reclite.models._spark_support as support

runner = CliRunner()

# two taste groups: users a* like x items, users b* like y items
RATINGS = "user,item,rating\n" + "".join(
    f"{g}{u},{'x' if g == 'a' else 'y'}{i},{1 + (u + i) % 5}\n" for g in "ab" for u in range(6) for i in range(5)
    if (u + i) % 3)
FAST = ["-p", "factors=2", "-p", "iterations=4", "-p", "num_blocks=1", "-p", "random_state=0",
        "-p", "regularization=0.01"]


@pytest.fixture
def ratings(tmp_path) -> Path:
    path = tmp_path / "ratings.csv"
    path.write_text(RATINGS)
    return path


@pytest.mark.spark
def test_fit_spark_als_then_recommend_in_spark_writes_the_local_lists_as_parquet(tmp_path, ratings):
    model = tmp_path / "model"
    result = runner.invoke(app, ["fit", "spark_als", "--data", str(ratings), "--out", str(model), "-q", *FAST])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["recommend", "--model", str(model), "-k", "3", "--engine", "spark",
                                 "--out", str(tmp_path / "recs.parquet")])
    assert result.exit_code == 0, result.output
    got = pd.read_parquet(tmp_path / "recs.parquet").sort_values(["user", "rank"]).reset_index(drop=True)
    result = runner.invoke(app, ["recommend", "--model", str(model), "-k", "3", "-q"])
    want = pd.read_csv(pd.io.common.StringIO(result.stdout), dtype={"user": str, "item": str})
    want = want.sort_values(["user", "rank"]).reset_index(drop=True)
    assert list(got.columns) == ["user", "item", "score", "rank"]
    pd.testing.assert_frame_equal(got[["user", "item"]], want[["user", "item"]])
    assert (got["rank"].to_numpy() == want["rank"].to_numpy()).all()
    # every user's first item is of their own group (each has 1-2 unseen ones): the planted answer
    first = got[got["rank"] == 1]
    assert len(first) == 12 and (first["user"].str[0].map({"a": "x", "b": "y"}) == first["item"].str[0]).all()
    # --engine spark ranks everyone and needs --out
    result = runner.invoke(app, ["recommend", "--model", str(model), "--engine", "spark"])
    assert result.exit_code == 2 and "give --out PATH" in result.output
    result = runner.invoke(app, ["recommend", "--model", str(model), "--engine", "spark", "--users", "a1",
                                 "--out", str(tmp_path / "r2.parquet")])
    assert result.exit_code == 2 and "--users cannot be combined" in result.output


def test_without_pyspark_or_java_fit_and_recommend_say_what_to_install(tmp_path, ratings, monkeypatch):
    monkeypatch.setattr(support, "spark_unavailable_reason", lambda: "pyspark is not installed")
    result = runner.invoke(app, ["fit", "spark_als", "--data", str(ratings), "--out", str(tmp_path / "m"), "-q"])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert lines == ['Error: Spark is not available: pyspark is not installed. Install: pip install '
                     '"reclite[spark]" and a Java 17+ runtime (JAVA_HOME or java on PATH)'], result.output
    assert not (tmp_path / "m").exists()
    monkeypatch.setattr(support, "spark_unavailable_reason", lambda: "no Java runtime was found")
    result = runner.invoke(app, ["fit", "spark_als", "--data", str(ratings), "--out", str(tmp_path / "m"), "-q"])
    assert result.exit_code == 1 and "no Java runtime was found" in result.output


@pytest.mark.spark
def test_local_session_takes_the_driver_memory_and_pyspark_submit_args_do_too(tmp_path):
    """A new local session gets ``driver_memory`` as spark.driver.memory (in a fresh process:
    the tests' shared session is already running); PYSPARK_SUBMIT_ARGS, what the README tells
    command-line users to set, reaches the driver's JVM the same way."""
    import os
    import subprocess
    import sys

    code = ("from reclite.models._spark_support import local_spark_session as s\n"
            "import sys\n"
            "conf = s('local[1]', driver_memory=sys.argv[1] or None).sparkContext.getConf()\n"
            "print(conf.get('spark.driver.memory'))\n")
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    env.pop("PYSPARK_SUBMIT_ARGS", None)
    got = subprocess.run([sys.executable, "-c", code, "700m"], capture_output=True, text=True, env=env,
                         timeout=300)
    assert got.stdout.strip().splitlines()[-1] == "700m", got.stderr[-2000:]
    env["PYSPARK_SUBMIT_ARGS"] = "--driver-memory 600m pyspark-shell"
    got = subprocess.run([sys.executable, "-c", code, ""], capture_output=True, text=True, env=env, timeout=300)
    assert got.stdout.strip().splitlines()[-1] == "600m", got.stderr[-2000:]


@pytest.mark.spark
def test_evaluate_engine_spark_gives_the_local_numbers(ratings):
    """`reclite evaluate spark_als --engine spark` computes every metric in Spark
    (evaluate_spark) and prints what --engine local prints for the same seeded fit."""
    import json

    common = ["evaluate", "spark_als", "--data", str(ratings), "-k", "3,5", "--json", "-q", "--no-record", *FAST]
    got = {}
    for engine in ("local", "spark"):
        result = runner.invoke(app, [*common, "--engine", engine])
        assert result.exit_code == 0, result.output
        got[engine] = json.loads(result.stdout)
    assert got["spark"]["metrics"].keys() == got["local"]["metrics"].keys()
    assert len(got["spark"]["metrics"]) == 2 * 10  # every metric at both cut-offs
    for name, value in got["local"]["metrics"].items():
        assert got["spark"]["metrics"][name] == pytest.approx(value, abs=1e-5), name


def test_evaluate_engine_spark_refuses_what_spark_cannot_score(ratings, tmp_path):
    recs = tmp_path / "recs.csv"
    recs.write_text("user,item,rank\na0,x1,1\n")
    result = runner.invoke(app, ["evaluate", str(recs), "--data", str(ratings), "--engine", "spark"])
    assert result.exit_code == 1 and "(a recommendations CSV) cannot be" in result.stderr
    result = runner.invoke(app, ["evaluate", "pop", "--data", str(ratings), "--engine", "spark"])
    assert result.exit_code == 1 and "--engine spark evaluates spark_als models; pop is not" in result.stderr
