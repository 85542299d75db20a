"""Packaging guards: every third-party import is declared, the CLI is importable fast."""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _declared() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = list(meta["project"]["dependencies"])
    names = {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].strip().lower().replace("_", "-") for r in reqs}
    return names


def _imports(folder: Path) -> set[str]:
    found = set()
    for path in folder.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_every_runtime_import_is_declared_in_pyproject():
    stdlib = set(sys.stdlib_module_names)
    mods = (_imports(ROOT / "reclite") | _imports(ROOT / "cli")) - stdlib - {"reclite", "__future__"}
    dists = md.packages_distributions()
    declared = _declared()
    # optional at run time: pyarrow (parquet extra), rmm (gpu extra), optuna (tune extra),
    # matplotlib (plot extra), pyspark (spark extra)
    optional = {"pyarrow", "rmm", "optuna", "matplotlib", "pyspark"}
    missing = []
    for mod in sorted(mods - optional):
        names = {d.lower().replace("_", "-") for d in dists.get(mod, [mod])}
        if not names & declared:
            missing.append(f"{mod} (distribution {sorted(names)})")
    assert not missing, f"imported but not declared in pyproject dependencies: {missing}"


def test_reclite_help_does_not_import_heavy_modules():
    code = ("import sys; from reclite.cli.main import app; "
            "heavy = [m for m in ('numba', 'implicit', 'surprise') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_version_matches_metadata():
    import reclite

    assert reclite.__version__ == md.version("reclite")
