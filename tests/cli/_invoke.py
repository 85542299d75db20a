"""The CLI tests' one way to run a command: arguments as strings, exit code 0 checked unless ok=False."""

from __future__ import annotations

from reclite.cli.main import app
from typer.testing import CliRunner

runner = CliRunner()


def invoke(*args: object, ok: bool = True):
    result = runner.invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, result.output
    return result
