"""Every ``--out``: nothing reclite did not write is ever lost, normal modes, one error line.

The repro cases of issue 9 as the user meets them on the command line; the library-level
promises (signals, links, failed swaps) are tested in test_fs.py.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pandas as pd
import pytest
from reclite.cli.main import app
from typer.testing import CliRunner

runner = CliRunner()

RATINGS = """user,item,rating
a,x1,5
a,x2,4
b,x1,3
b,x3,5
c,x2,4
c,x3,2
"""


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (None for folders and links)."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() and not p.is_symlink() else None)
            for p in sorted(root.rglob("*"))}


def one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert ".tmp" not in lines[0]  # never a temporary name
    return lines[0]


@pytest.fixture
def ratings(tmp_path) -> Path:
    d = tmp_path / "input"
    d.mkdir()
    path = d / "ratings.csv"
    path.write_text(RATINGS, encoding="utf-8")
    return path


@pytest.fixture
def work(tmp_path) -> Path:
    d = tmp_path / "work"
    d.mkdir()
    return d


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


# ------------------------------------------------------------- fit --out
def test_fit_out_onto_a_folder_with_the_users_files_deletes_nothing(work, ratings):
    s = work / "s"
    s.mkdir()
    (s / "thesis.tex").write_text("keep")
    before = tree(work)
    line = one_error_line(invoke("fit", "pop", "--data", ratings, "--out", s, "-q"))
    assert line == (f"Error: {s} exists and is not a reclite model directory, so it is not replaced; "
                    "nothing was changed (write to another path, or remove it yourself)")
    assert tree(work) == before


def test_fit_out_onto_the_data_folder_deletes_nothing(ratings):
    data = ratings.parent
    before = tree(data)
    line = one_error_line(invoke("fit", "ease", "--data", data, "--out", data, "-q"))
    assert f"{data} exists and is not a reclite model directory" in line
    assert tree(data) == before


def test_fit_out_onto_a_folder_whose_params_json_is_not_reclites(work, ratings):
    d = work / "other-tool"
    d.mkdir()
    (d / "params.json").write_text(json.dumps({"learning_rate": 0.1}))
    before = tree(work)
    assert "is not a reclite model directory" in one_error_line(invoke("fit", "pop", "--data", ratings, "--out", d))
    assert tree(work) == before


def test_fit_out_onto_an_existing_file(work, ratings):
    f = work / "model"
    f.write_text("keep")
    line = one_error_line(invoke("fit", "pop", "--data", ratings, "--out", f, "-q"))
    assert line.startswith(f"Error: {f} exists and is a file, not a reclite model directory; nothing was changed")
    assert tree(work) == {"model": b"keep"}


@pytest.mark.parametrize("spelling", [".", ".."])
def test_fit_out_dot_and_dotdot(work, ratings, monkeypatch, spelling):
    inner = work / "project"
    inner.mkdir()
    (inner / "notes.txt").write_text("keep")
    monkeypatch.chdir(inner)
    before = tree(work)
    where = inner if spelling == "." else work
    line = one_error_line(invoke("fit", "pop", "--data", ratings, "--out", spelling, "-q"))
    assert line.startswith(f"Error: {spelling} ({where}) exists and is not a reclite model directory")
    assert "nothing was changed" in line
    assert tree(work) == before
    assert not [p for p in work.parent.iterdir() if p.name.endswith(".tmp")]


def test_fit_out_root(ratings):
    line = one_error_line(invoke("fit", "pop", "--data", ratings, "--out", "/", "-q"))
    assert line == "Error: / is the root directory, not a reclite model directory; nothing was changed"


def test_fit_is_refused_before_fitting(work, ratings):
    s = work / "s"
    s.mkdir()
    # an unreadable data file would fail the fit; the --out check comes first
    result = invoke("fit", "pop", "--data", work / "missing.csv", "--out", s, "-q")
    assert "is not a reclite model directory" in one_error_line(result)


def test_fit_out_replaces_an_existing_model_atomically(work, ratings, monkeypatch):
    out = work / "m"
    assert invoke("fit", "itemknn", "--data", ratings, "--out", out, "-q").exit_code == 0
    first = tree(work)
    assert json.loads((out / "params.json").read_text())["class"] == "ItemKNN"

    import numpy as np

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", broken)  # the new model cannot be written
    result = invoke("fit", "pop", "--data", ratings, "--out", out, "-q")
    assert result.exit_code != 0
    assert tree(work) == first  # the old model is whole, no temporary left
    monkeypatch.undo()

    assert invoke("fit", "pop", "--data", ratings, "--out", out, "-q").exit_code == 0
    assert json.loads((out / "params.json").read_text())["class"] == "Popularity"
    assert sorted(p.name for p in work.iterdir()) == ["m"]


def test_fit_out_through_links(work, ratings):
    real = work / "v1"
    assert invoke("fit", "itemknn", "--data", ratings, "--out", real, "-q").exit_code == 0
    current = work / "current"
    current.symlink_to(real, target_is_directory=True)
    assert invoke("fit", "pop", "--data", ratings, "--out", current, "-q").exit_code == 0
    assert current.is_symlink() and json.loads((real / "params.json").read_text())["class"] == "Popularity"

    home = work / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("keep")
    link = work / "out"
    link.symlink_to(home, target_is_directory=True)
    before = tree(work)
    line = one_error_line(invoke("fit", "pop", "--data", ratings, "--out", link, "-q"))
    assert line.startswith(f"Error: {link} (a link to {home}) exists and is not a reclite model directory")
    assert tree(work) == before and link.is_symlink()


def test_fit_model_folder_modes_follow_the_umask(work, ratings, umask_027):
    out = work / "m"
    assert invoke("fit", "pop", "--data", ratings, "--out", out, "-q").exit_code == 0
    assert mode(out) == 0o750
    assert {p.name: mode(p) for p in out.iterdir()} == {
        "arrays.npz": 0o640, "fit.json": 0o640, "params.json": 0o640, "versions.json": 0o640}


# ------------------------------------------------------------- recommend / evaluate --out
@pytest.fixture
def model(tmp_path, ratings) -> Path:
    out = tmp_path / "model"
    assert invoke("fit", "itemknn", "--data", ratings, "--out", out, "-q").exit_code == 0
    return out


def test_recommend_out_writes_the_same_csv_as_stdout_with_normal_mode(work, model, umask_027):
    to_stdout = invoke("recommend", "--model", model, "-k", "2", "-q")
    out = work / "recs.csv"
    result = invoke("recommend", "--model", model, "-k", "2", "--out", out, "-q")
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text(encoding="utf-8") == to_stdout.stdout
    recs = pd.read_csv(out)  # each user has seen two of the three items: the third is the list
    assert list(zip(recs["user"], recs["item"], recs["rank"])) == [("a", "x3", 1), ("b", "x2", 1), ("c", "x1", 1)]
    assert mode(out) == 0o640
    assert sorted(p.name for p in work.iterdir()) == ["recs.csv"]


def test_recommend_out_keeps_an_existing_files_mode(work, model, umask_027):
    out = work / "recs.csv"
    out.write_text("old")
    out.chmod(0o604)
    assert invoke("recommend", "--model", model, "-k", "1", "--out", out, "-q").exit_code == 0
    assert out.read_text().startswith("user,item,rank,score") and mode(out) == 0o604


def test_recommend_out_onto_a_folder(work, model):
    d = work / "recs.csv"
    d.mkdir()
    (d / "keep.txt").write_text("keep")
    before = tree(work)
    line = one_error_line(invoke("recommend", "--model", model, "-k", "1", "--out", d, "-q"))
    assert line == f"Error: {d} is a directory, not a file; nothing was changed"
    assert tree(work) == before


def test_evaluate_per_user_out(work, ratings, umask_027):
    out = work / "per_user.csv"
    result = invoke("evaluate", "pop", "--data", ratings, "--split", "random_holdout", "--test-size", "0.5",
                    "--seed", "0", "-k", "1", "--per-user", out, "-q")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert "user" in table.columns and len(table) >= 1
    assert mode(out) == 0o640
    assert sorted(p.name for p in work.iterdir()) == ["per_user.csv"]
