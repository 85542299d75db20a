"""`reclite fit MODEL`: fit a registry model on all the data and save it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from ._common import err, error_boundary, load_data
from ._options import AlphaOpt, ConfidenceOpt, ConfParamOpt, DataOpt, ParamOpt, QuietOpt
from ._params import parse_param_assignments, parse_params

ModelArg = Annotated[str, typer.Argument(help="Model name from `reclite models` (e.g. ease, itemknn, als).",
                                         metavar="MODEL", show_default=False)]
ModelOutOpt = Annotated[Path, typer.Option(
    "--out", "-o", help="Model directory to write (replaced atomically).")]


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
        kwargs["show_progress"] = not quiet
    return registry.create(name, **kwargs)


PARAM_HINT = "(check the --param values; `reclite models` lists them)"


def fit_model(model: Any, ds: Any, name: str) -> None:
    """Fit ``model``; a :class:`~reclite.errors.ParameterError` gets the model's name and a hint.

    Decided by class: the library raises ParameterError for every bad parameter value,
    so such an error is the user's --param value (a ConfidenceSpecError already names
    the --confidence expression and is left as it is). Anything else propagates
    unchanged to the CLI's error boundary.
    """
    from reclite.errors import ConfidenceSpecError, ParameterError

    try:
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
    quiet: QuietOpt = False,
) -> None:
    """Fit MODEL on all the data and save it as a model directory.

    Reads --data (the embedded demo data when omitted), builds the confidence matrix, fits, and writes arrays.npz + params.json + versions.json to --out, replacing it atomically. A one-line summary goes to stderr.

    Example:

        reclite fit ease --data ml-100k -p l2=200 --out ease-model
    """
    from reclite.persist import check_model_target

    params = parse_params(param)
    conf_params = parse_param_assignments(confidence_param) or None
    estimator = build_model(model, confidence, alpha, params, conf_params, quiet)
    check_model_target(out)  # refuse a non-model --out before the fit, not after
    ds = load_data(data, quiet=quiet)
    start = time.perf_counter()
    fit_model(estimator, ds, model)
    seconds = time.perf_counter() - start
    estimator.save(out)
    if not quiet:
        source = ds.name or (str(data) if data is not None else "demo")
        err(f"Fitted {model} ({type(estimator).__name__}) on {source}: {ds.n_users:,} users x "
            f"{ds.n_items:,} items, {len(ds):,} interactions in {seconds:.2f} s; saved to {out}")


def register(app: typer.Typer) -> None:
    app.command("fit")(error_boundary(fit))
