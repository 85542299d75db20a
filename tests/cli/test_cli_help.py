"""Help screens: every command (and the root and every group) shows examples, and a test runs
one example of each; flags show no value placeholder; -k is shown once."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
import typer
from reclite.cli.main import app
from typer.testing import CliRunner

from tests.conftest import real_dataset_path

runner = CliRunner()


def commands() -> dict[tuple[str, ...], object]:
    """Every command and group, by its path below `reclite` (the root is ())."""
    out: dict[tuple[str, ...], object] = {}

    def walk(cmd: object, path: tuple[str, ...]) -> None:
        out[path] = cmd
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, path + (name,))

    walk(typer.main.get_command(app), ())
    return out


def examples(cmd: object) -> list[str]:
    """The `reclite ...` lines of the help text's Example(s) section."""
    text = getattr(cmd, "help", None) or ""
    _, found, after = text.partition("Example")
    assert found, "no Example section"
    return [line.strip() for line in after.splitlines() if line.strip().startswith("reclite ")]


@pytest.mark.parametrize("path", sorted(commands()), ids=lambda p: " ".join(p) or "reclite")
def test_every_help_has_an_example_and_no_bool_placeholder(path):
    found = examples(commands()[path])
    assert found, f"{' '.join(path)}: no example"
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.stdout
    assert "<list[" not in result.stdout and "]...]..." not in result.stdout  # FILES..., not a Python type
    shown = re.sub(r"\s+", " ", result.stdout)
    assert re.sub(r"\s+", " ", found[0]) in shown  # the example as the help shows it


def test_k_is_shown_once():
    for path in (("recommend",), ("evaluate",), ("ensemble",)):
        text = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"}).stdout
        line = next(line for line in text.splitlines() if re.search(r"\s-k\s", line))
        assert "--k" not in line and line.count("-k") == 1, line


# ---------------------------------------------------------------------- run the examples
#: the order examples run in: later ones read what earlier ones wrote (ease-model, recs.csv)
ORDER = ["", "models", "data", "data info", "fit", "recommend", "evaluate", "tune", "ensemble"]


@pytest.mark.realdata
def test_one_example_of_every_command_runs(tmp_path, monkeypatch):
    """The first example of each command, as its help shows it, in a folder holding ml-100k
    (and ../shared/data/ml-100k); the ensemble's input files are copies of recommend's."""
    ml100k = real_dataset_path("ml-100k")
    work = tmp_path / "work"
    (tmp_path / "shared" / "data").mkdir(parents=True)
    work.mkdir()
    (work / "ml-100k").symlink_to(ml100k)
    (tmp_path / "shared" / "data" / "ml-100k").symlink_to(ml100k)
    monkeypatch.chdir(work)
    every = commands()
    paths = sorted(every, key=lambda p: (ORDER.index(" ".join(p)) if " ".join(p) in ORDER else len(ORDER), p))
    ran = []
    for path in paths:
        line = examples(every[path])[0]
        if path == ("ensemble",):
            for name in ("ease.csv", "als.csv", "knn.csv"):
                shutil.copy("recs.csv", name)
        for part in line.split(" && "):
            args = shlex.split(part)[1:]
            if path == ("tune",):
                args += ["--quiet"]
            result = runner.invoke(app, args)
            assert result.exit_code == 0, (part, result.output)
            ran.append(part)
    assert Path("ease-model").is_dir() and Path("recs.csv").is_file() and Path("final.csv").is_file()
    assert len(ran) >= len(every)
