"""Hyperparameter search: grid, random and TPE, every trial recorded.

:func:`tune` fits one copy of a model per parameter setting on ``train``, scores it on
``valid`` with :func:`reclite.evaluate` (full ranking, train's items excluded) and
returns a :class:`TuneResult`: every trial's parameters, every metric asked at every
cut-off asked, fit and evaluation seconds, and the status and error text of a trial
that failed (a failed trial does not stop the search).

Randomness comes from NumPy Generators only: ``random_state`` (an int, a Generator, a
SeedSequence or None) is turned into one Generator, and the int seed of the sampler
(scikit-learn's :class:`~sklearn.model_selection.ParameterSampler`, or optuna's
``TPESampler``) is drawn from it, so the same call gives the same trials.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from ._typing import RNGInput
from ._validation import check_float, check_int, check_option, check_random_state
from .data.dataset import Dataset
from .errors import ParameterError, ParameterTypeError, RecliteError
from .models._curves import parse_metric, parse_metrics

__all__ = ["tune", "TuneResult", "parse_metric"]

log = logging.getLogger(__name__)

_METHODS = ("grid", "random", "tpe")
_REFIT = ("train", "all", "none")
_DEFAULT_TRIALS = {"random": 10, "tpe": 20}
TUNE_INSTALL_HINT = 'pip install "reclite[tune]"'


# ---------------------------------------------------------------------- metrics
_parse_metrics = parse_metrics


# ---------------------------------------------------------------------- result
@dataclass
class TuneResult:
    """What :func:`tune` found.

    Attributes
    ----------
    trials : DataFrame
        One row per trial run, best first (failed trials last, then by trial
        number): ``trial`` (the order it ran in, from 0), one column per searched
        parameter, one column per metric and cut-off (``ndcg@10``, ``recall@20``...;
        every metric asked at every cut-off asked), ``fit_seconds``,
        ``eval_seconds``, ``status`` (``"ok"`` or ``"failed"``) and ``error`` (the
        error's class and message, ``""`` when ok).
    best_params_ : dict
        The parameters of the best trial.
    best_score_ : float
        Its objective value (the first ``metric``) on ``valid``.
    best_model_ : Recommender or None
        The best model fitted on ``train`` (``refit="train"``, the trial's own fit),
        refitted on train and valid together (``refit="all"``) or None
        (``refit="none"``).
    metric : str
        The objective, e.g. ``"ndcg@10"`` (higher is better).
    method : str
        ``"grid"``, ``"random"`` or ``"tpe"``.
    stopped_by_time : bool
        Whether ``max_time`` stopped the search before every planned trial ran.
    n_planned : int
        Trials planned (the grid's size, or ``n_trials``).
    seconds : float
        Wall-clock seconds of the search (without the refit).
    """

    trials: pd.DataFrame
    best_params_: dict[str, Any]
    best_score_: float
    best_model_: Any
    metric: str
    method: str
    stopped_by_time: bool = False
    n_planned: int = 0
    seconds: float = 0.0

    def __repr__(self) -> str:
        ok = int((self.trials["status"] == "ok").sum()) if len(self.trials) else 0
        return (f"TuneResult(method={self.method!r}, metric={self.metric!r}, trials={len(self.trials)} "
                f"({ok} ok), best_score_={self.best_score_:.6g}, best_params_={self.best_params_!r})")


# ---------------------------------------------------------------------- checks
def _is_distribution(v: Any) -> bool:
    return hasattr(v, "rvs")


def _check_space(params: Any, valid: Mapping[str, Any], method: str) -> dict[str, Any] | list[dict[str, Any]]:
    """A dict of name -> values, or (grid and random, as scikit-learn's samplers) a list of such dicts."""
    if isinstance(params, Sequence) and not isinstance(params, (str, bytes)) and not isinstance(params, Mapping):
        if method == "tpe":
            raise ParameterTypeError("method='tpe' needs one dict of parameter name -> values or distribution; "
                                     "a list of dicts (sub-grids) works with method='grid' or 'random'")
        if not params:
            raise ParameterError("params is an empty list: give at least one dict of parameters to search")
        return [_check_params(p, valid, method) for p in params]
    return _check_params(params, valid, method)


def _check_params(params: Any, valid: Mapping[str, Any], method: str) -> dict[str, Any]:
    if not isinstance(params, Mapping):
        raise ParameterTypeError(f"params must be a dict of parameter name -> list of values"
                                 f"{' or scipy.stats distribution' if method != 'grid' else ''}, "
                                 f"got {type(params).__name__}")
    if not params:
        raise ParameterError("params is empty: give at least one parameter to search, e.g. {'l2': [100, 300]}")
    out: dict[str, Any] = {}
    for name, values in params.items():
        if not isinstance(name, str) or name not in valid:
            raise ParameterError(f"params: the model has no parameter {name!r}; its parameters are: "
                                 f"{', '.join(valid)}")
        if _is_distribution(values):
            if method == "grid":
                raise ParameterError(f"params[{name!r}] is a distribution: grid search needs a list of "
                                     "values (use method='random' or 'tpe' to sample distributions)")
            out[name] = values
            continue
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence | np.ndarray):
            raise ParameterTypeError(f"params[{name!r}] must be a list of values"
                                     f"{' or a scipy.stats distribution' if method != 'grid' else ''}, "
                                     f"got {values!r}")
        values = list(values)
        if not values:
            raise ParameterError(f"params[{name!r}] is an empty list: give at least one value")
        out[name] = values
    return out


def _resolve_model(model: Any) -> Any:
    if isinstance(model, str):
        from .models import registry

        return registry.create(model)
    if not hasattr(model, "fit") or not hasattr(model, "get_params"):
        raise ParameterTypeError(f"model must be an unfitted reclite model or a registry name such as 'ease', "
                                 f"got {type(model).__name__}")
    return model


def _plain(v: Any) -> Any:
    """numpy scalars as Python numbers (for tables, JSON and set_params)."""
    return v.item() if isinstance(v, np.generic) else v


# ---------------------------------------------------------------------- samplers
def _grid(params: dict[str, Any] | list[dict[str, Any]], n_trials: int | None) -> list[dict[str, Any]]:
    from sklearn.model_selection import ParameterGrid

    points = [dict(p) for p in ParameterGrid(params)]
    return points if n_trials is None else points[:n_trials]


def _random(params: dict[str, Any] | list[dict[str, Any]], n_trials: int, seed: int) -> list[dict[str, Any]]:
    from sklearn.model_selection import ParameterSampler

    with warnings.catch_warnings():
        # all lists and n_trials above the grid's size: sklearn samples every point once, warning
        warnings.simplefilter("ignore", UserWarning)
        return [{k: _plain(v) for k, v in p.items()} for p in ParameterSampler(params, n_trials, random_state=seed)]


def _import_optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise ParameterError(f"method='tpe' needs optuna, which is not installed: {TUNE_INSTALL_HINT}") from None
    return optuna


def _suggest(trial: Any, name: str, values: Any) -> Any:
    """One optuna suggestion for a list (categorical) or a scipy.stats distribution."""
    if not _is_distribution(values):
        choices = [_plain(v) for v in values]
        simple = all(v is None or isinstance(v, (bool, int, float, str)) for v in choices)
        if simple and len(set(map(repr, choices))) == len(choices):
            return trial.suggest_categorical(name, choices)
        # values optuna cannot store (tuples, dicts...): choose by position
        return choices[trial.suggest_categorical(name, list(range(len(choices))))]
    dist_name = getattr(getattr(values, "dist", None), "name", "")
    low, high = (float(x) for x in values.support())
    if dist_name in ("loguniform", "reciprocal"):
        return trial.suggest_float(name, low, high, log=True)
    if dist_name == "uniform":
        return trial.suggest_float(name, low, high)
    if dist_name == "randint":
        return trial.suggest_int(name, int(low), int(high))
    raise ParameterError(f"params[{name!r}]: method='tpe' samples scipy.stats uniform, loguniform and randint "
                         f"distributions (and lists), got {dist_name or type(values).__name__}")


# ---------------------------------------------------------------------- one trial
def _run_trial(base: Any, point: dict[str, Any], train: Dataset, valid: Dataset, names: list[str],
               ks: list[int], exclude: Any, fit_params: dict[str, Any], labels: list[str],
               ) -> tuple[dict[str, Any], Any]:
    from sklearn.base import clone

    from .evaluation import evaluate

    row: dict[str, Any] = {lab: math.nan for lab in labels}
    row.update(fit_seconds=math.nan, eval_seconds=math.nan, status="ok", error="")
    model = None
    stage = "fit"
    try:
        model = clone(base).set_params(**point)
        t0 = time.perf_counter()
        model.fit(train, **fit_params)
        row["fit_seconds"] = time.perf_counter() - t0
        stage = "evaluate"
        t0 = time.perf_counter()
        table = cast(pd.DataFrame, evaluate(model, train, valid, k=ks, metrics=names, exclude=exclude))
        row["eval_seconds"] = time.perf_counter() - t0
    except (RecliteError, MemoryError) as exc:
        row["status"] = "failed"
        row["error"] = f"{stage}: {type(exc).__name__}: {exc}"
        log.info("trial %s failed in %s: %s", point, stage, exc)
        return row, None
    for rec in table.to_dict("records"):
        for n in names:
            row[f"{n}@{int(rec['k'])}"] = float(rec[n])
    return row, model


# ---------------------------------------------------------------------- public
def tune(
    model: Any,
    params: Mapping[str, Any],
    train: Dataset,
    valid: Dataset,
    metric: str | Sequence[str] = "ndcg@10",
    n_trials: int | None = None,
    method: str = "grid",
    random_state: RNGInput = 0,
    max_time: float | None = None,
    refit: str = "train",
    exclude: Dataset | Sequence[Dataset] | None = None,
    *,
    fit_params: Mapping[str, Any] | None = None,
    callback: Callable[[dict[str, Any]], None] | None = None,
) -> TuneResult:
    """Search a model's hyperparameters on a validation split.

    Parameters
    ----------
    model : Recommender or str
        An unfitted model (each trial fits a copy: :func:`sklearn.base.clone` then
        ``set_params``; parameters not searched keep the model's values) or a
        registry name (``"ease"``, ``"als"``...; ``reclite models`` lists them).
    params : dict or list of dict
        Parameter name -> list of values (``method="grid"``: every combination, via
        :class:`~sklearn.model_selection.ParameterGrid`), or, for ``"random"`` and
        ``"tpe"``, also a ``scipy.stats`` distribution (``loguniform(1, 1000)``). For
        ``"grid"`` and ``"random"``, a list of such dicts searches each sub-grid (as
        scikit-learn's samplers do), e.g. ``[{"confidence": ["binary"]},
        {"confidence": ["value", "log"], "alpha": [1, 3, 10]}]``; the trials table has
        a column for every parameter any sub-grid names (empty where a trial's
        sub-grid does not set it).
    train, valid : Dataset
        A split of one Dataset, e.g. the first two parts of
        :func:`reclite.split.train_valid_test`, or a split of a training part.
    metric : str or list of str, default="ndcg@10"
        ``"name@k"`` with a name from :data:`reclite.evaluation.METRICS`; a list
        records several, the first is the objective (higher is better). Every metric
        named is recorded at every cut-off named.
    n_trials : int, optional
        Trials to run. Grid: the first ``n_trials`` points of the grid (default:
        all); random: 10 by default (with only lists and ``n_trials`` above the
        grid's size, every point once); tpe: 20 by default.
    method : {"grid", "random", "tpe"}, default="grid"
        ``"tpe"`` needs optuna (``pip install "reclite[tune]"``).
    random_state : int, Generator, SeedSequence or None, default=0
        The sampler's int seed is drawn from ``np.random.default_rng(random_state)``;
        the same value gives the same trials. It does not seed the model: set the
        model's own ``random_state`` for reproducible fits.
    max_time : float, optional
        Seconds after which no new trial is started (a running trial finishes; the
        first trial always runs); ``TuneResult.stopped_by_time`` records whether it
        cut the search short.
    refit : {"train", "all", "none"}, default="train"
        ``best_model_``: the best trial's model fitted on train, the best parameters
        refitted on train and valid together (:func:`reclite.split.combine`), or no
        model.
    exclude : Dataset or list of Dataset, optional
        Passed to :func:`reclite.evaluate`: more interactions never ranked on valid.
    fit_params : dict, optional
        Keyword arguments of every ``fit`` (e.g. ``eval_set``/``early_stopping_rounds``
        for ALS, BPR and LMF); not used by the ``refit="all"`` refit, which has no
        held-out data left.
    callback : callable, optional
        Called with each trial's row (a dict, plus ``n_planned``: the trials planned)
        as soon as the trial ends (the CLI prints it).

    Returns
    -------
    TuneResult

    Raises
    ------
    ParameterError
        A bad ``params``, ``metric`` (``"ndcg@ten"``), ``method`` or ``n_trials``;
        ``method="tpe"`` without optuna.
    RecliteError
        Every trial failed (the message gives the first error).

    Examples
    --------
    >>> import reclite
    >>> train, valid, test = reclite.split.train_valid_test(reclite.demo_dataset(), 0.1, 0.1,
    ...                                                     random_state=0)
    >>> result = reclite.tune("ease", {"l2": [10.0, 100.0, 1000.0]}, train, valid)  # doctest: +SKIP
    >>> result.best_params_  # doctest: +SKIP
    """
    check_option(method, "method", _METHODS)
    check_option(refit, "refit", _REFIT)
    objective, names, ks = _parse_metrics(metric)
    if n_trials is not None:
        n_trials = check_int(n_trials, "n_trials", min_val=1)
    if max_time is not None:
        max_time = check_float(max_time, "max_time", min_val=0.0)
    for nm, d in (("train", train), ("valid", valid)):
        if not isinstance(d, Dataset):
            raise ParameterTypeError(f"{nm} must be a reclite Dataset, got {type(d).__name__}")
    base = _resolve_model(model)
    space = _check_space(params, base.get_params(deep=False), method)
    # every parameter any sub-grid searches, in first-seen order (the trials table's columns)
    searched = list(dict.fromkeys(k for s in (space if isinstance(space, list) else [space]) for k in s))
    fit_params = dict(fit_params or {})
    rng = check_random_state(random_state)
    seed = int(rng.integers(2**31 - 1))
    labels = [f"{n}@{k}" for k in ks for n in names]

    optuna: Any = None
    study: Any = None
    points: list[dict[str, Any]] | None = None
    if method == "grid":
        points = _grid(space, n_trials)
        planned = len(points)
    elif method == "random":
        points = _random(space, n_trials or _DEFAULT_TRIALS["random"], seed)
        planned = len(points)
    else:
        optuna = _import_optuna()
        planned = n_trials or _DEFAULT_TRIALS["tpe"]
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))

    rows: list[dict[str, Any]] = []
    points_run: list[dict[str, Any]] = []
    best_model = None
    best_score = -math.inf
    best_trial = -1
    start = time.perf_counter()
    stopped = False
    for t in range(planned):
        if t > 0 and max_time is not None and time.perf_counter() - start >= max_time:
            stopped = True
            log.info("tune: max_time=%gs reached after %d trials", max_time, t)
            break
        if points is not None:
            point = points[t]
            ot = None
        else:
            ot = study.ask()
            assert isinstance(space, dict)  # tpe takes one dict (checked above)
            point = {name: _suggest(ot, name, values) for name, values in space.items()}
        row, fitted = _run_trial(base, point, train, valid, names, ks, exclude, fit_params, labels)
        row = {"trial": t, **{k: _plain(v) for k, v in point.items()}, **row}
        points_run.append(point)
        rows.append(row)
        score = row[objective]
        if row["status"] == "ok" and not math.isnan(score) and score > best_score:
            best_score, best_trial = score, t
            best_model = fitted  # keep only the best fitted model so far
        if ot is not None:
            if row["status"] == "ok" and not math.isnan(score):
                study.tell(ot, score)
            else:
                study.tell(ot, state=optuna.trial.TrialState.FAIL)
        if callback is not None:
            callback({**row, "n_planned": planned})
    seconds = time.perf_counter() - start

    cols = ["trial", *searched, *labels, "fit_seconds", "eval_seconds", "status", "error"]
    trials = pd.DataFrame(rows, columns=cols)
    if best_trial < 0:
        first = next((r["error"] for r in rows if r["error"]), "no trial ran (max_time?)")
        raise RecliteError(f"tune: no trial succeeded ({len(rows)} run); first error: {first}")
    failed = (trials["status"] != "ok").to_numpy()
    key = np.where(failed | trials[objective].isna().to_numpy(), -np.inf, trials[objective].to_numpy())
    order = np.lexsort((trials["trial"].to_numpy(), -key))
    trials = trials.iloc[order].reset_index(drop=True)
    best_params = {k: _plain(v) for k, v in points_run[best_trial].items()}

    if refit == "all":
        from sklearn.base import clone

        from .split import combine

        best_model = clone(base).set_params(**best_params).fit(combine(train, valid))
    elif refit == "none":
        best_model = None
    return TuneResult(trials=trials, best_params_=best_params, best_score_=float(best_score),
                      best_model_=best_model, metric=objective, method=method, stopped_by_time=stopped,
                      n_planned=planned, seconds=seconds)
