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


def write_ratings(path, *, seed: int, n_users: int, n_items: int, per_user: tuple[int, int]):
    """A plain ratings CSV (user,item,rating,timestamp; ids u0.., i0..) that the CLI tests read:
    each user rates a seeded random number of distinct items in ``[per_user[0], per_user[1])``,
    a rating 1-5 and a timestamp below 10,000 each. Returns ``path``."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = [(f"u{u}", f"i{i}", int(rng.integers(1, 6)), int(rng.integers(0, 10_000)))
            for u in range(n_users) for i in rng.choice(n_items, size=int(rng.integers(*per_user)), replace=False)]
    pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"]).to_csv(path, index=False)
    return path
