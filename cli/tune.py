"""`reclite tune MODEL`: split the data, search parameters on the held-out part, print every trial."""

from __future__ import annotations

import json
import math
import re
from enum import StrEnum
from typing import Annotated, Any

import typer

from ._common import err, error_boundary, load_data
from ._options import DataOpt, JsonOpt, QuietOpt, SeedOpt
from ._params import parse_value, split_assignment
from ._pipeline import note, note_data, pipeline
from ._progress import with_progress
from ._reading import reading_options
from .evaluate import (
    AtOpt,
    MinTrainOpt,
    NLastOpt,
    NRandomOpt,
    SplitName,
    SplitOpt,
    TestSizeOpt,
    make_split,
    resolve_model,
)

ModelArg = Annotated[str, typer.Argument(
    help="A model name from `reclite models`, or a model directory from `reclite fit` (its saved "
         "parameters are the starting point; -p overrides the searched ones).",
    metavar="MODEL", show_default=False)]


class Method(StrEnum):
    grid = "grid"
    random = "random"
    tpe = "tpe"


SearchParamOpt = Annotated[list[str] | None, typer.Option(
    "--param", "-p", help="A parameter to search, as name=v1,v2,... (repeatable; one value fixes it). "
                          "Values are read as int, float, true/false, none or text; a value starting with "
                          "[ or { is one JSON value. With --method random or tpe a value may also be "
                          "loguniform(a,b), uniform(a,b) or randint(a,b) (scipy.stats; randint excludes b).",
    metavar="NAME=V1,V2,...", show_default=False)]
MetricOpt = Annotated[str, typer.Option(
    "--metric", "-m", help="Objective as name@k (e.g. ndcg@10); several separated by commas are all "
                           "recorded, at every cut-off named; the first is the objective.")]
TrialsOpt = Annotated[int | None, typer.Option(
    "--trials", "-n", min=1, help="Trials to run (grid: the first N points; random: default 10; tpe: "
                                  "default 20).", show_default=False)]
MethodOpt = Annotated[Method, typer.Option("--method", help="Search: every grid point, random samples, or "
                                                            "TPE (needs pip install \"reclite[tune]\").")]
MaxTimeOpt = Annotated[float | None, typer.Option(
    "--max-time", min=0.0, help="Start no new trial after this many seconds.", show_default=False)]

_DIST = re.compile(r"^\s*(loguniform|uniform|randint)\s*\(\s*([^,()]+)\s*,\s*([^,()]+)\s*\)\s*$")


def _distribution(text: str, name: str) -> Any:
    """``loguniform(1,1000)`` -> ``scipy.stats.loguniform(1, 1000)``; None when not a distribution."""
    from reclite.errors import RecliteError

    m = _DIST.match(text)
    if m is None:
        return None
    from scipy import stats

    kind, a_text, b_text = m.groups()
    try:
        a, b = float(a_text), float(b_text)
    except ValueError:
        raise RecliteError(f"--param {name}={text}: the bounds must be numbers, e.g. {kind}(1,1000)") from None
    if not (math.isfinite(a) and math.isfinite(b) and a < b) or (kind == "loguniform" and a <= 0):
        raise RecliteError(f"--param {name}={text}: expected {kind}(a,b) with a < b"
                           + (" and a > 0" if kind == "loguniform" else ""))
    if kind == "loguniform":
        return stats.loguniform(a, b)
    if kind == "uniform":
        return stats.uniform(a, b - a)
    if a != int(a) or b != int(b):
        raise RecliteError(f"--param {name}={text}: randint bounds must be integers")
    return stats.randint(int(a), int(b))


def parse_search_params(assignments: list[str] | None, method: Method) -> dict[str, Any]:
    """``["l2=100,300", "dtype=float32"]`` -> ``{"l2": [100, 300], "dtype": ["float32"]}``."""
    from reclite.errors import RecliteError

    if not assignments:
        raise RecliteError("give at least one parameter to search, e.g. -p l2=100,300,1000")
    out: dict[str, Any] = {}
    for a in assignments:
        pair = split_assignment(a)
        if pair is None or not pair[1].strip():
            raise RecliteError(f"--param {a!r}: expected name=value[,value...], e.g. -p l2=100,300,1000")
        name, text = pair
        dist = _distribution(text, name)
        if dist is not None:
            if method is Method.grid:
                raise RecliteError(f"--param {name}={text.strip()}: a distribution needs --method random or tpe")
            out[name] = dist
        elif text.strip()[:1] in ("[", "{"):
            out[name] = [parse_value(text)]
        else:
            parts = [p for p in text.split(",") if p.strip()]
            if not parts:
                raise RecliteError(f"--param {a!r}: no value after '='")
            out[name] = [parse_value(p) for p in parts]
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if v != v else f"{v:.4g}"
    return str(v)


def trial_line(row: dict[str, Any], names: list[str], labels: list[str], planned: int) -> str:
    params = " ".join(f"{n}={_fmt(row[n])}" for n in names)
    head = f"trial {row['trial']} ({row['trial'] + 1}/{planned})"
    if row["status"] != "ok":
        return f"{head}  {params}  FAILED {row['error']}"
    scores = " ".join(f"{lab}={row[lab]:.4f}" for lab in labels)
    return (f"{head}  {params}  {scores}  "
            f"(fit {row['fit_seconds']:.2f} s, eval {row['eval_seconds']:.2f} s)")


def format_trials(trials: Any) -> str:
    frame = trials.copy()
    for col in frame.columns:
        if frame[col].dtype.kind == "f":
            frame[col] = frame[col].map(lambda v: "nan" if v != v else f"{v:.4f}")
    if not (frame["error"] != "").any():
        frame = frame.drop(columns=["error"])
    else:  # the full text went to stderr as the trial ended
        frame["error"] = frame["error"].map(lambda e: e if len(e) <= 60 else e[:57] + "...")
    return frame.to_string(index=False) + "\n"


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and v != v:
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def tune(
    target: ModelArg,
    data: DataOpt = None,
    split_name: SplitOpt = SplitName.random_holdout,
    param: SearchParamOpt = None,
    metric: MetricOpt = "ndcg@10",
    trials: TrialsOpt = None,
    method: MethodOpt = Method.grid,
    max_time: MaxTimeOpt = None,
    test_size: TestSizeOpt = 0.2,
    n_last: NLastOpt = 1,
    n_random: NRandomOpt = 9,
    at: AtOpt = "0.8",
    min_train: MinTrainOpt = None,
    seed: SeedOpt = 0,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Search a model's parameters: fit on the train part of --split, score on its held-out part.

    Every trial is printed to stderr as it ends; the table of all trials (best first) or, with --json, the whole result goes to stdout. The held-out part of --split plays the validation set: keep your final test set out of --data. A failed trial (e.g. EASE over its memory budget) is recorded with its error and the search goes on. The model's own random_state is --seed unless -p sets it.

    Examples:

        reclite tune ease --data ml-100k -p l2=100,300,1000 -p dtype=float32 --metric ndcg@10

        reclite tune als --data ml-100k --method random --trials 20 -p "regularization=loguniform(0.1,100)" -p factors=32,64,128
    """
    import reclite
    from reclite.errors import RecliteError
    from reclite.models._curves import parse_metric, parse_metrics

    metrics_given = [m.strip() for m in metric.split(",") if m.strip()]
    try:
        objective, names, ks = parse_metrics(metrics_given or metric, "--metric")
    except ValueError as exc:
        raise RecliteError(str(exc)) from None
    space = parse_search_params(param, method)
    model, label = resolve_model(target, confidence=None, alpha=None, params={}, confidence_params=None,
                                 seed=seed, quiet=True)
    known = model.get_params(deep=False)
    unknown = [p for p in space if p not in known]
    if unknown:  # before reading the data
        raise RecliteError(f"--param: {label} has no parameter {', '.join(map(repr, unknown))}; its parameters "
                           f"are: {', '.join(known)}")
    if method is Method.tpe:
        from reclite.tuning import _import_optuna

        _import_optuna()
    if "show_progress" in known:
        model.set_params(show_progress=False)  # one bar per trial would drown the trial lines
    ds = load_data(data, quiet=quiet)
    note_data(ds, data)
    train, valid, split_text = make_split(ds, split_name, test_size=test_size, n_last=n_last,
                                          n_random=n_random, at=at, min_train=min_train, seed=seed)
    note(model=target, model_class=type(model).__name__, split=split_text, seed=seed)
    if not quiet:
        err(f"Split {split_text}: train {len(train):,}, validation {len(valid):,} interactions.")
    labels = [f"{n}@{k}" for k in ks for n in names]
    shown = [f"{a}@{b}" for a, b in (parse_metric(m, "--metric") for m in metrics_given)] or [objective]

    def progress(row: dict[str, Any]) -> None:
        if not quiet:
            err(trial_line(row, list(space), shown, row["n_planned"]))

    result = reclite.tune(model, space, train, valid, metric=metrics_given or metric, n_trials=trials,
                          method=method.value, random_state=seed, max_time=max_time, refit="none",
                          callback=progress)
    note(params={**{k: v for k, v in known.items() if k != "show_progress"}, **result.best_params_},
         metrics={objective: result.best_score_}, timings={"search": result.seconds})
    if not quiet:
        stop = " (stopped by --max-time)" if result.stopped_by_time else ""
        err(f"Best {objective} = {result.best_score_:.4f} with "
            + " ".join(f"{k}={_fmt(v)}" for k, v in result.best_params_.items()) + stop)
    if json_out:
        doc = {"model": label, "data": ds.name or (str(data) if data is not None else "demo"),
               "split": split_text, "method": method.value, "metric": objective, "seed": seed,
               "best_params": {k: _jsonable(v) for k, v in result.best_params_.items()},
               "best_score": result.best_score_, "stopped_by_time": result.stopped_by_time,
               "seconds": result.seconds,
               "trials": [{k: _jsonable(v) for k, v in r.items()} for r in result.trials.to_dict("records")]}
        typer.echo(json.dumps(doc, indent=2, default=str))
    else:
        typer.echo(format_trials(result.trials[["trial", *space, *labels, "fit_seconds", "eval_seconds",
                                                "status", "error"]]), nl=False)


def register(app: typer.Typer) -> None:
    command = pipeline("tune", argument="target")(reading_options(tune))
    app.command("tune")(error_boundary(with_progress(command)))
