"""Start-up: `reclite --help`, `reclite models` and `reclite recommend` import only what they use,
and `reclite models` describes every model from its class (no model built)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from reclite.cli._describe import one_line, parameter_docs
from reclite.cli.main import app
from reclite.cli.models import describe_models
from typer.testing import CliRunner

import reclite
from reclite.models import registry

runner = CliRunner()

#: never needed to show help, list models or recommend from a saved model
HEAVY = ("implicit", "surprise", "matplotlib", "reclite.metrics", "reclite.evaluation", "reclite.split",
         "reclite.tuning")

_PROBE = """
import json, sys
sys.argv = ["reclite"] + json.loads(sys.argv[1])
from reclite.cli.main import main
try:
    main()
except SystemExit:
    pass
with open(OUT, "w") as fh:
    json.dump(sorted(sys.modules), fh)
"""


def modules_after(args: list[str], tmp_path: Path, cwd: Path | None = None) -> set[str]:
    """The modules a fresh interpreter holds after running ``reclite ARGS`` (stdout discarded)."""
    out = tmp_path / "modules.json"
    code = _PROBE.replace("OUT", repr(str(out)))
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(args)], cwd=cwd or tmp_path,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(out.read_text()))


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [n for n in names if n in modules or any(m.startswith(n + ".") for m in modules)]


def test_help_imports_no_numerical_library(tmp_path):
    mods = modules_after(["--help"], tmp_path)
    assert "reclite.cli.main" in mods  # the probe really ran the command
    assert loaded(mods, ("numpy", "pandas", "scipy", "sklearn", "numba", *HEAVY)) == []


def test_models_imports_neither_implicit_nor_surprise(tmp_path):
    mods = modules_after(["models"], tmp_path)
    assert "reclite.models.factor" in mods and "reclite.models.surprise" in mods  # classes were read
    assert loaded(mods, HEAVY) == []


def test_recommend_imports_only_the_model_it_loads(tmp_path):
    reclite.ALS(confidence="genre+pop", iterations=2, random_state=0).fit(reclite.demo_dataset()).save(
        tmp_path / "reclite-model")
    mods = modules_after(["recommend", "-k", "10", "-q"], tmp_path)
    assert "reclite.models.factor" in mods and "reclite.topk" in mods  # it did load and rank
    assert loaded(mods, HEAVY + ("reclite.models.knn", "reclite.models.ease", "reclite.ensemble")) == []
    # 2,000 x 1,500 scores are ranked with NumPy in one thread: numba is not even imported
    assert loaded(mods, ("numba",)) == []


def test_recommend_with_an_ease_model_starts_no_numba(tmp_path):
    """EASE scores with scipy's product of its dense weights and ranks the demo with NumPy:
    its numba kernels (Gram matrix, mirror) are fit-time only and start on first use."""
    reclite.EASE().fit(reclite.demo_dataset()).save(tmp_path / "reclite-model")
    mods = modules_after(["recommend", "-k", "10", "-q"], tmp_path)
    assert "reclite.models.ease" in mods and "reclite.models._sparse" in mods
    assert loaded(mods, ("numba",) + HEAVY) == []


# ---------------------------------------------------------------------- reclite models
def test_described_parameters_are_what_the_built_model_has():
    for entry in describe_models():
        model = registry.create(entry["name"])
        assert entry["params"] == model.get_params(deep=False), entry["name"]
        assert entry["class"] == type(model).__name__
        empty = [p for p, text in entry["descriptions"].items() if not text]
        assert empty == [], (entry["name"], empty)
        assert set(entry["descriptions"]) == set(entry["params"])


def test_models_prints_each_parameter_with_its_first_sentence():
    result = runner.invoke(app, ["models", "ease"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["ease", "EASE"]
    assert lines[1].strip() == "Embarrassingly Shallow Autoencoder (Steck, WWW 2019), closed form."
    l2 = next(line for line in lines if line.split()[0] == "l2")
    assert l2.split(None, 2) == ["l2", repr(reclite.EASE().l2), "The L2 penalty lambda (> 0)."]
    assert len(lines) == 2 + len(reclite.EASE().get_params())


def test_models_unknown_name_lists_the_known_ones():
    result = runner.invoke(app, ["models", "svd++"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: unknown model 'svd++'; known models: pop, genre_rule, ")


DOC = """Summary.

    Parameters
    ----------
    a, b : int, default=1
        First sentence, e.g. this one (Smith et al. 2001). Second sentence.
    c : {"x", "y"}, default="x"
    d : float
        Uses :math:`\\lambda` and ``code`` and :class:`~reclite.models.ease.EASE`.

    Returns
    -------
    e : int
        Not a parameter.
    """


def test_parameter_docs_reads_the_numpy_parameters_section():
    assert parameter_docs(DOC) == {
        "a": "First sentence, e.g. this one (Smith et al. 2001).",
        "b": "First sentence, e.g. this one (Smith et al. 2001).",
        "c": '{"x", "y"}',  # no text: the type
        "d": "Uses lambda and code and EASE.",
    }


@pytest.mark.parametrize("text, width, expected", [
    ("One. Two.", 100, "One."),
    ("word " * 30, 20, "word word word..."),
    ("Ends without a stop", 100, "Ends without a stop"),
])
def test_one_line(text, width, expected):
    assert one_line(text, width) == expected
