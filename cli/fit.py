"""`reclite fit MODEL`: fit a registry model on all the data and save it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from ._common import err, error_boundary, load_data
from ._options import DataOpt, QuietOpt

ModelArg = Annotated[str, typer.Argument(help="Model name from `reclite models` (e.g. ease, itemknn, als).",
                                         metavar="MODEL", show_default=False)]
ConfidenceOpt = Annotated[str | None, typer.Option(
    "--confidence", "-c", help="Confidence expression, e.g. binary, log, genre+pop, (genre+pop)*era "
                               "(default: the model's, binary).", show_default=False)]
AlphaOpt = Annotated[float | None, typer.Option(
    "--alpha", "-a", help="Confidence scale: weights are 1 + alpha * f (default: the model's, 1.0).",
    show_default=False)]
ParamOpt = Annotated[list[str] | None, typer.Option(
    "--param", "-p", help="A model parameter as name=value (repeatable); values are read as "
                          "int, float, true/false, none, JSON ({...} or [...]) or text.", show_default=False)]
ConfParamOpt = Annotated[list[str] | None, typer.Option(
    "--confidence-param", help="A confidence component parameter as component.name=value "
                               "(repeatable), e.g. era.tau=15.", show_default=False)]
ModelOutOpt = Annotated[Path, typer.Option(
    "--out", "-o", help="Model directory to write (replaced atomically).")]


def parse_value(text: str) -> Any:
    """``"3"`` -> 3, ``"0.5"`` -> 0.5, ``"true"`` -> True, ``"none"`` -> None, JSON, else the text."""
    t = text.strip()
    low = t.lower()
    if low in ("none", "null"):
        return None
    if low in ("true", "false"):
        return low == "true"
    for conv in (int, float):
        try:
            return conv(t)
        except ValueError:
            pass
    if t[:1] in ("{", "["):
        try:
            return json.loads(t)
        except json.JSONDecodeError as exc:
            from reclite.errors import RecliteError

            raise RecliteError(f"parameter value {t!r} looks like JSON but is not valid JSON ({exc.msg})") from None
    return text


def parse_params(assignments: list[str] | None) -> dict[str, Any]:
    """``["l2=200", "dtype=float32"]`` -> ``{"l2": 200, "dtype": "float32"}``."""
    from reclite.errors import RecliteError

    out: dict[str, Any] = {}
    for a in assignments or []:
        name, sep, value = a.partition("=")
        if not sep or not name.strip():
            raise RecliteError(f"--param {a!r}: expected name=value, e.g. --param l2=200")
        out[name.strip()] = parse_value(value)
    return out


def parse_confidence_params(assignments: list[str] | None) -> dict[str, dict[str, Any]] | None:
    """``["era.tau=15"]`` -> ``{"era": {"tau": 15.0}}`` (None when none are given)."""
    if not assignments:
        return None
    from reclite.confidence import parse_param_assignments

    return parse_param_assignments(assignments)


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
    conf_params = parse_confidence_params(confidence_param)
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
