"""`reclite data info`: the user's view — numbers printed, errors as one line, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reclite.cli.main import app
from typer.testing import CliRunner

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.realdata
def test_data_info_ml100k(ml100k_path):
    result = invoke("data", "info", "--data", str(ml100k_path))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "dataset       ml-100k"
    assert "users         943" in lines
    assert "items         1,682  (1,682 with interactions)" in lines
    assert "interactions  100,000" in lines
    assert "density       6.3047%" in lines
    assert "values        1 .. 5" in lines
    assert "timestamps    yes" in lines
    assert "side info     genres (19), years (1,681 items), titles" in lines
    assert result.stderr == ""


@pytest.mark.realdata
def test_data_info_json_mlsmall(mlsmall_path):
    result = invoke("data", "info", "--data", str(mlsmall_path), "--json")
    assert result.exit_code == 0, result.output
    s = json.loads(result.stdout)
    assert (s["users"], s["items"], s["items_with_interactions"], s["interactions"]) == (610, 9742, 9724, 100836)


def test_data_info_on_a_small_file(tmp_path):
    p = write(tmp_path / "plays.csv", "user,item,rating\na,x,1\na,y,2\nb,x,3\n")
    result = invoke("data", "info", "--data", str(p))
    assert result.exit_code == 0, result.output
    assert "users         2" in result.stdout.splitlines()
    assert "interactions  3" in result.stdout.splitlines()
    assert "values        1 .. 3" in result.stdout.splitlines()


def test_data_info_missing_file():
    result = invoke("data", "info", "--data", "missing.csv")
    assert result.exit_code == 1
    assert result.stderr == "Error: missing.csv: no such file or folder\n"
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_data_info_bad_rating(tmp_path):
    p = write(tmp_path / "ratings.csv", "userId,movieId,rating\n1,2,4\n1,3,abc\n")
    result = invoke("data", "info", "--data", str(p))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"Error: {p}: line 3: column 'rating' has 'abc'; expected a number"]
    assert "Traceback" not in result.output


def test_data_info_unrecognised_columns(tmp_path):
    p = write(tmp_path / "x.csv", "a,b\n1,2\n")
    result = invoke("data", "info", "--data", str(p))
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"Error: {p}: cannot tell which columns hold users and items;")


def test_data_info_duplicates_warn_on_stderr(tmp_path):
    p = write(tmp_path / "d.csv", "user,item,time\n1,2,5\n1,2,6\n")
    result = invoke("data", "info", "--data", str(p))
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"Warning: {p}: 1 duplicate (user, item) pairs merged, keeping the latest "
                             "interaction of each\n")
    assert "duplicates    1 merged (latest kept)" in result.stdout.splitlines()


def test_data_info_help_has_example():
    result = invoke("data", "info", "--help")
    assert result.exit_code == 0
    assert "reclite data info --data ../shared/data/ml-100k" in result.stdout
