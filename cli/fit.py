"""`reclite fit MODEL`: fit a registry model on all the data and save it."""

from __future__ import annotations

import contextlib
import inspect
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from ._common import err, error_boundary, load_data
from ._options import AlphaOpt, ConfidenceOpt, ConfParamOpt, DataOpt, ParamOpt, QuietOpt, SeedOpt
from ._params import parse_param_assignments, parse_params
from ._pipeline import note, note_data, pipeline
from ._progress import live_bars, with_progress
from ._reading import reading_options

ModelArg = Annotated[str, typer.Argument(help="Model name from `reclite models` (e.g. ease, itemknn, als).",
                                         metavar="MODEL", show_default=False)]
ModelOutOpt = Annotated[Path, typer.Option(
    "--out", "-o", help="Model directory to write (replaced atomically).")]
EvalSplitOpt = Annotated[str | None, typer.Option(
    "--eval-split", help="als, bpr, lmf: hold out a validation part (random_holdout: 20%% of each user's "
                         "interactions; leave_last_out: each user's latest; last_and_random: the latest and 9 "
                         "random), fit on the rest and print the validation curve; the model saved is the "
                         "one fitted without the held-out part.", show_default=False)]
EvalEveryOpt = Annotated[int, typer.Option("--eval-every", min=1, help="With --eval-split: iterations between "
                                                                       "evaluations.")]
EvalMetricOpt = Annotated[str, typer.Option(
    "--eval-metric", help="With --eval-split: metrics as name@k, comma-separated; the first decides early "
                          "stopping.")]
EarlyStopOpt = Annotated[int | None, typer.Option(
    "--early-stopping", min=1, help="With --eval-split: stop after this many evaluations without a better "
                                    "first metric and keep the best iteration's factors.", show_default=False)]
EvalSeedOpt = Annotated[int, typer.Option("--eval-seed", help="With --eval-split: seed of the split.")]
_EVAL_SPLITS = ("random_holdout", "leave_last_out", "last_and_random")


def with_confidence(params: dict[str, Any], confidence: str | None, alpha: float | None,
                    confidence_params: dict | None) -> dict[str, Any]:
    """``params`` plus the confidence options the command line was given (only those)."""
    out = dict(params)
    for key, value in (("confidence", confidence), ("alpha", alpha), ("confidence_params", confidence_params)):
        if value is not None:
            out[key] = value
    return out


def build_model(name: str, confidence: str | None, alpha: float | None, params: dict[str, Any],
                confidence_params: dict | None, quiet: bool) -> Any:
    """The registry model with the command line's settings (only those given)."""
    from reclite.models import registry

    kwargs = with_confidence(params, confidence, alpha, confidence_params)
    cls = registry.get(name)
    if "show_progress" in cls().get_params(deep=False) and "show_progress" not in kwargs:
        kwargs["show_progress"] = not quiet and live_bars()  # its own bar: on a terminal only
    return registry.create(name, **kwargs)


PARAM_HINT = "(check the --param values; `reclite models` lists them)"


def fit_model(model: Any, ds: Any, name: str) -> None:
    """Fit ``model``; a :class:`~reclite.errors.ParameterError` gets the model's name and a hint.

    Decided by class: the library raises ParameterError for every bad parameter value,
    so such an error is the user's --param value (a ConfidenceSpecError already names
    the --confidence expression and is left as it is). Anything else propagates
    unchanged to the CLI's error boundary.
    """
    from reclite._progress import phase
    from reclite.errors import ConfidenceSpecError, ParameterError

    # a model that draws its own bar (implicit's, on a terminal) is not drawn over
    step = (contextlib.nullcontext() if getattr(model, "show_progress", False) is True
            else phase(f"fit {name}"))
    try:
        with step:
            model.fit(ds)
    except ConfidenceSpecError:
        raise
    except ParameterError as exc:
        # same exception (class, traceback, cause) with the model named: `Error: als: factors ...`;
        # the library's own messages already start with the class name (`ALS: factors ...`)
        text = str(exc)
        cls_prefix = f"{type(model).__name__}: "
        if text.startswith(cls_prefix):
            text = text[len(cls_prefix):]
        exc.args = (f"{name}: {text} {PARAM_HINT}",)
        raise


def fit(
    model: ModelArg,
    data: DataOpt = None,
    confidence: ConfidenceOpt = None,
    alpha: AlphaOpt = None,
    param: ParamOpt = None,
    confidence_param: ConfParamOpt = None,
    out: ModelOutOpt = Path("reclite-model"),
    eval_split: EvalSplitOpt = None,
    eval_every: EvalEveryOpt = 1,
    eval_metric: EvalMetricOpt = "ndcg@10",
    early_stopping: EarlyStopOpt = None,
    eval_seed: EvalSeedOpt = 0,
    seed: SeedOpt = 0,
    quiet: QuietOpt = False,
) -> None:
    """Fit MODEL on all the data and save it as a model directory.

    Reads --data (the embedded demo data when omitted), builds the confidence matrix, fits, and writes arrays.npz + params.json + versions.json + fit.json (data, seed, fit time) to --out, replacing it atomically. A one-line summary goes to stderr. Reproducible by default: the model's random_state is --seed (0) unless -p random_state=... sets it.

    Example:

        reclite fit ease --data ml-100k -p l2=200 --out ease-model

        reclite fit als --data ml-100k --eval-split random_holdout --eval-every 1 --early-stopping 3
    """
    from reclite.persist import check_model_target

    params = seeded(model, parse_params(param), seed)
    conf_params = parse_param_assignments(confidence_param) or None
    estimator = build_model(model, confidence, alpha, params, conf_params, quiet)
    check_model_target(out)  # refuse a non-model --out before the fit, not after
    if eval_split is not None:
        _check_eval_options(estimator, model, eval_split, eval_metric)
    start = time.perf_counter()
    ds = load_data(data, quiet=quiet)
    read_seconds = time.perf_counter() - start
    note_data(ds, data)
    start = time.perf_counter()
    if eval_split is None:
        fit_model(estimator, ds, model)
    else:
        ds = _fit_with_curve(estimator, ds, model, eval_split, eval_every, eval_metric, early_stopping, eval_seed)
    seconds = time.perf_counter() - start
    from reclite.models._modelfile import save_model

    used_seed = estimator.get_params(deep=False).get("random_state", None)
    info = fit_info(model, estimator, ds, data, used_seed, seconds)
    from reclite._progress import phase

    with phase(f"saving {out}"):
        save_model(estimator, out, extra_files={FIT_FILE: json.dumps(info, indent=2) + "\n"})
    note(model=model, model_class=type(estimator).__name__, params=info["params"],
         seed=estimator.get_params(deep=False).get("random_state", seed),
         timings={"read": round(read_seconds, 6), "fit": round(seconds, 6)}, outputs=[out])
    if not quiet:
        source = ds.name or (str(data) if data is not None else "demo")
        said, caveat = seed_note(model, estimator, used_seed)
        err(f"Fitted {model} ({type(estimator).__name__}) on {source}: {ds.n_users:,} users x "
            f"{ds.n_items:,} items, {len(ds):,} interactions in {seconds:.2f} s; saved to {out} ({said})")
        if caveat is not None:
            err(caveat)


FIT_FILE = "fit.json"


def seeded(name: str, params: dict[str, Any], seed: int) -> dict[str, Any]:
    """``params`` with ``random_state=seed`` when the model has one and ``-p`` did not set it."""
    from reclite.models import registry

    if "random_state" in registry.get(name)().get_params(deep=False) and "random_state" not in params:
        return {**params, "random_state": seed}
    return params


def seed_note(name: str, estimator: Any, seed: Any) -> tuple[str, str | None]:
    """The fit summary's words on reproducibility, and a note for models that cannot promise it."""
    params = estimator.get_params(deep=False)
    if "random_state" not in params:
        return "deterministic", None
    if seed is None:
        return "random_state=None: not reproducible, pass --seed N", None
    threads = params.get("num_threads")
    if type(estimator).__name__ in ("BPR", "LMF") and threads != 1 and params.get("device") != "gpu":
        return f"seed {seed}", (f"Note: {name} with several threads is not bit-for-bit reproducible even with a "
                                "seed (implicit's lock-free parallel updates); pass -p num_threads=1 for the "
                                "same model on every run.")
    return f"seed {seed}: reproducible", None


def fit_info(name: str, estimator: Any, ds: Any, data: Any, seed: Any, seconds: float) -> dict[str, Any]:
    """``fit.json``: what a model directory was fitted on, with which seed, how long it took."""
    import datetime

    from reclite.runs import versions

    from ._pipeline import jsonable

    return {
        "model": name, "class": type(estimator).__name__,
        "params": jsonable({k: v for k, v in estimator.get_params(deep=False).items() if k != "show_progress"}),
        "seed": seed, "data": "demo" if data is None else str(data), "data_name": ds.name,
        "data_fingerprint": ds.fingerprint(),
        "data_shape": {"users": ds.n_users, "items": ds.n_items, "interactions": len(ds)},
        "fit_seconds": round(seconds, 6),
        "fitted_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "versions": versions(),
    }


def _check_eval_options(estimator: Any, name: str, eval_split: str, eval_metric: str) -> None:
    from reclite.errors import RecliteError
    from reclite.models._curves import parse_metrics

    if "eval_set" not in inspect.signature(estimator.fit).parameters:
        raise RecliteError(f"--eval-split: {name} has no validation curve; it works for als, bpr and lmf")
    if eval_split not in _EVAL_SPLITS:
        raise RecliteError(f"--eval-split {eval_split!r}: expected one of {', '.join(_EVAL_SPLITS)}")
    try:
        parse_metrics([m for m in eval_metric.split(",") if m.strip()], "--eval-metric")
    except ValueError as exc:
        raise RecliteError(str(exc)) from None


def _fit_with_curve(estimator: Any, ds: Any, name: str, eval_split: str, eval_every: int, eval_metric: str,
                    early_stopping: int | None, seed: int) -> Any:
    """Fit on the train part of ``eval_split`` with a validation curve; print it; return train."""
    from reclite import split

    if eval_split == "random_holdout":
        train, valid = split.random_holdout(ds, 0.2, random_state=seed)
    elif eval_split == "leave_last_out":
        train, valid = split.leave_last_out(ds, 1)
    else:
        train, valid = split.last_and_random(ds, 1, 9, random_state=seed)
    metrics = [m.strip() for m in eval_metric.split(",") if m.strip()]
    try:
        estimator.fit(train, eval_set=(train, valid), eval_every=eval_every, eval_metric=metrics,
                      early_stopping_rounds=early_stopping)
    except Exception as exc:  # the same wording as a plain fit for a bad --param
        from reclite.errors import ConfidenceSpecError, ParameterError

        if isinstance(exc, ParameterError) and not isinstance(exc, ConfidenceSpecError):
            exc.args = (f"{name}: {str(exc).removeprefix(type(estimator).__name__ + ': ')} {PARAM_HINT}",)
        raise
    curve = estimator.history_.copy()
    for col in curve.columns:
        if curve[col].dtype.kind == "f":
            curve[col] = curve[col].map(lambda v: f"{v:.4f}")
    err(f"Validation curve ({eval_split}: train {len(train):,}, validation {len(valid):,} interactions):")
    err(curve.to_string(index=False))
    if early_stopping is not None:
        err(f"Kept the factors of the best evaluated iteration, {estimator.best_iteration_} "
            f"(--early-stopping {early_stopping}).")
    return train


def register(app: typer.Typer) -> None:
    command = pipeline("fit", argument="model")(reading_options(fit))
    app.command("fit")(error_boundary(with_progress(command)))
