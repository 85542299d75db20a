"""The shape of the package: reclite's import graph has no cycle, no layer imports a layer above
it, and no module is over 700 lines.

The graph is built from the source (``ast``), not by importing: every ``import`` and ``from ...
import`` anywhere in a module counts, inside functions and ``if TYPE_CHECKING:`` blocks too.
Lookups by name (``importlib.import_module("reclite.models.knn")`` with a literal string: the
model registry, the lazy top-level API) are checked against the layers as well, but not for
cycles: ``Recommender.load`` reaching every model class through the registry is such a lookup
by design.

The layers follow the data flow of ``../shared/DESIGN.md`` (files -> Dataset -> confidence ->
model -> top-K -> metrics), bottom first:

foundation  errors, _typing, _validation, _fs, _progress, _lazy_kernels: used by everything, import
            nothing of reclite
kernels     topk, metrics: numba kernels on arrays, no Dataset and no model
data        reclite.data.*: IdMap, Dataset, readers, demo and synthetic data
files       persist: model directories as arrays and JSON, knowing no model class
confidence  reclite.confidence.*: confidence matrices from a Dataset
models      reclite.models.*: the estimators, their registry and their model files; reclite.ensemble
consumers   split, evaluation: take Datasets and fitted models (duck-typed) to tables; plots: tables to PNGs
interface   the lazy top-level API (reclite/__init__.py), __main__ and the CLI (cli/ = reclite.cli)

A module imports only from its own layer or below. A new module must be given a layer here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 700

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("reclite.errors", "reclite._typing", "reclite._validation", "reclite._fs",
                    "reclite._progress", "reclite._lazy_kernels")),
    ("kernels", ("reclite.topk", "reclite.metrics")),
    ("data", ("reclite.data",)),
    ("files", ("reclite.persist",)),
    ("confidence", ("reclite.confidence",)),
    # evaluation ranks any model duck-typed (recommend_indices) and imports none; the
    # iterative models call it during fit for their validation curves (issue 12)
    ("evaluation", ("reclite.evaluation",)),
    ("models", ("reclite.models", "reclite.ensemble")),
    # evaluate_spark ranks with SparkALS (models) in Spark
    ("consumers", ("reclite.split", "reclite.runs", "reclite.plots", "reclite.spark_eval")),
    ("search", ("reclite.tuning",)),
    ("interface", ("reclite", "reclite.__main__", "reclite.cli")),
]


# ---------------------------------------------------------------------- the graph
def module_files(root: Path) -> dict[str, Path]:
    """Module name -> file, for ``root/reclite`` and ``root/cli`` (installed as ``reclite.cli``)."""
    out: dict[str, Path] = {}
    for top, prefix in (("reclite", ["reclite"]), ("cli", ["reclite", "cli"])):
        base = root / top
        for path in sorted(base.rglob("*.py")):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(prefix + parts)] = path
    return out


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` names (relative levels resolved)."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """``name`` or its longest prefix that is one of ``modules`` (None outside reclite)."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in modules:
            return candidate
    return None


def import_graph(root: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(imports, lookups by name): module -> the reclite modules it reaches.

    ``from X import a`` is an import of ``X.a`` when that is a module, else of ``X``. A
    module that calls ``import_module`` looks up every reclite module whose name it holds
    as a string (the registry's table, the lazy API's table). Self-references are dropped.
    """
    modules = module_files(root)
    static: dict[str, set[str]] = {m: set() for m in modules}
    dynamic: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(path))
        is_package = path.name == "__init__.py"
        looks_up = "import_module" in text
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                source = _resolve(module, is_package, node)
                for alias in node.names:
                    sub = f"{source}.{alias.name}"
                    targets.append(sub if sub in modules else source)
            elif looks_up and isinstance(node, ast.Constant) and node.value in modules and node.value != module:
                dynamic[module].add(node.value)
            for target in targets:
                found = _known(target, modules)
                if found and found != module:
                    static[module].add(found)
    return static, dynamic


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path ``[a, b, ..., a]``, or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def layer_of(module: str) -> int:
    """Index in :data:`LAYERS` of the most specific prefix that holds ``module`` (the root
    package ``reclite`` holds only itself)."""
    best, best_len = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            inside = module == prefix or (prefix != "reclite" and module.startswith(prefix + "."))
            if inside and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    if best < 0:
        raise AssertionError(f"{module} has no layer: give it one in tests/test_architecture.py (LAYERS)")
    return best


STATIC, DYNAMIC = import_graph(ROOT)


# ---------------------------------------------------------------------- the rules
def test_every_module_has_a_layer():
    for module in STATIC:
        layer_of(module)


def test_no_import_cycle_not_even_through_function_level_imports():
    cycle = find_cycle(STATIC)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_layer_imports_a_layer_above_it():
    bad = []
    for kind, graph in (("imports", STATIC), ("looks up by name", DYNAMIC)):
        for module, targets in sorted(graph.items()):
            for target in sorted(targets):
                if layer_of(target) > layer_of(module):
                    bad.append(f"{module} ({LAYERS[layer_of(module)][0]}) {kind} {target} "
                               f"({LAYERS[layer_of(target)][0]})")
    assert not bad, "a lower layer reaches a higher one:\n" + "\n".join(bad)


def test_the_confidence_package_does_not_know_the_models():
    """The import circle issue 11 removed: confidence imported models.base for as_dataset."""
    confidence = [m for m in STATIC if m == "reclite.confidence" or m.startswith("reclite.confidence.")]
    assert confidence
    for module in confidence:
        assert not {t for t in STATIC[module] if t.startswith("reclite.models")}, module


def test_persist_knows_no_model_class():
    assert not {t for t in STATIC["reclite.persist"] | DYNAMIC["reclite.persist"]
                if t.startswith(("reclite.models", "reclite.confidence"))}


def _sized_modules() -> list[str]:
    return [path.relative_to(ROOT).as_posix()
            for path in sorted([*(ROOT / "reclite").rglob("*.py"), *(ROOT / "cli").rglob("*.py")])]


@pytest.mark.parametrize("rel", _sized_modules())
def test_no_module_is_over_700_lines(rel):
    n_lines = len((ROOT / rel).read_text(encoding="utf-8").splitlines())
    assert n_lines <= MAX_LINES, f"{rel} has {n_lines} lines (limit {MAX_LINES}): split it by concern"


# ---------------------------------------------------------------------- the checker checks
def test_the_graph_sees_function_level_relative_and_type_checking_imports(tmp_path):
    """A hand-made tree whose only cycle runs through a function-level relative import."""
    pkg = tmp_path / "reclite"
    (pkg / "sub").mkdir(parents=True)
    (tmp_path / "cli").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "low.py").write_text("def f():\n    from .sub.high import g\n    return g\n")
    (pkg / "sub" / "__init__.py").write_text("from . import high\n")
    (pkg / "sub" / "high.py").write_text(
        "from typing import TYPE_CHECKING\nfrom ..low import f\nif TYPE_CHECKING:\n    from reclite import other\n")
    (pkg / "other.py").write_text("import importlib\nM = importlib.import_module('reclite.low')\n")
    (tmp_path / "cli" / "main.py").write_text("from reclite.sub import high\n")
    static, dynamic = import_graph(tmp_path)
    assert static == {
        "reclite": set(),
        "reclite.low": {"reclite.sub.high"},
        "reclite.sub": {"reclite.sub.high"},
        "reclite.sub.high": {"reclite.low", "reclite.other"},
        "reclite.other": set(),
        "reclite.cli.main": {"reclite.sub.high"},
    }
    assert dynamic["reclite.other"] == {"reclite.low"}
    cycle = find_cycle(static)
    assert cycle is not None and cycle[0] == cycle[-1] and sorted(cycle[1:]) == ["reclite.low", "reclite.sub.high"]
    static["reclite.low"] = set()  # without the function-level import there is none
    assert find_cycle(static) is None


def test_layer_of_places_modules_by_their_most_specific_prefix():
    assert LAYERS[layer_of("reclite.errors")][0] == "foundation"
    assert LAYERS[layer_of("reclite.data.synthetic._catalogue")][0] == "data"
    assert LAYERS[layer_of("reclite.models._modelfile")][0] == "models"
    assert LAYERS[layer_of("reclite")][0] == "interface"
    assert LAYERS[layer_of("reclite.cli.fit")][0] == "interface"
    with pytest.raises(AssertionError, match="has no layer"):
        layer_of("reclite.nowhere")
