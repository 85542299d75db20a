"""The README's command-line walkthrough on MovieLens 100K, run command by command as written there."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from reclite.cli.main import app
from typer.testing import CliRunner

from tests.conftest import real_dataset_path

README = Path(__file__).resolve().parents[2] / "README.md"
runner = CliRunner()


def walkthrough() -> tuple[list[str], dict[str, list[str]]]:
    """The commands of the README's walkthrough block, and the output it shows per command."""
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- walkthrough -->")
    block = re.search(r"```bash\n(.*?)```", text[start:], re.S)
    shown = re.search(r"```text\n(.*?)```", text[start:], re.S)
    assert block is not None and shown is not None
    commands = [line.strip() for line in block.group(1).splitlines() if line.startswith("reclite ")]
    outputs: dict[str, list[str]] = {}
    current = None
    for line in shown.group(1).splitlines():
        if line.startswith("$ "):
            current = line[2:].strip()
            outputs[current] = []
        elif current is not None:
            outputs[current].append(line)
    return commands, outputs


@pytest.mark.realdata
def test_the_readme_walkthrough_runs_and_prints_what_the_readme_shows(tmp_path, monkeypatch):
    data = real_dataset_path("ml-100k")
    monkeypatch.chdir(tmp_path)
    commands, outputs = walkthrough()
    assert [c.split()[1] for c in commands] == ["data", "split", "fit", "recommend", "evaluate", "evaluate", "runs"]
    results = {}
    for command in commands:
        args = [a.replace("../shared/data/ml-100k", str(data)) for a in shlex.split(command)[1:]]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (command, result.output)
        results[command] = result
    for command, lines in outputs.items():  # the README's excerpts, line for line: the data, else the notes
        result = results[command]
        printed = (result.stdout or result.stderr).splitlines()
        assert printed == lines, (command, printed)
    info = results[commands[0]].stdout.splitlines()
    assert info[0].split() == ["dataset", "ml-100k"] and info[1].split() == ["users", "943"]
    files_route, one_step = results[commands[4]].stdout, results[commands[5]].stdout
    assert files_route == one_step  # the split -> fit -> recommend -> evaluate route gives the same table
    table = results[commands[6]].stdout.splitlines()
    assert [line.split()[3] for line in table[1:]] == ["split", "fit", "evaluate", "evaluate"]
    assert (tmp_path / "ml100k-ease" / "fit.json").is_file() and (tmp_path / "recs.csv").stat().st_size > 0
