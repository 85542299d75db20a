"""Validation curves of iterative models: evaluate during fit, stop early, keep the best.

:class:`CurveRecorder` is the callback an iterative model hands to its training loop
(implicit's ``fit(..., callback=...)`` calls it after every iteration with the
iteration number and that iteration's seconds). Every ``eval_every`` iterations it
ranks the validation users with :func:`reclite.evaluate` on a shallow copy of the
model holding the current factors (the model's own scoring path), appends one row to
the curve, copies the factors when the objective improves and stops the loop (raising
:class:`StopTraining`) after ``early_stopping_rounds`` evaluations without improvement.

Metric labels (``"ndcg@10"``) are parsed here, for the models and for
:func:`reclite.tune`.
"""

from __future__ import annotations

import copy
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

import numpy as np
import pandas as pd

from .._validation import check_int
from ..data.dataset import Dataset
from ..errors import DataError, ParameterError, ParameterTypeError

__all__ = ["parse_metric", "parse_metrics", "check_eval_set", "CurveRecorder", "StopTraining"]

_METRIC = re.compile(r"^\s*([A-Za-z_]+)\s*@\s*(\S+)\s*$")


def parse_metric(text: Any, name: str = "metric") -> tuple[str, int]:
    """``"ndcg@10"`` -> ``("ndcg", 10)``; anything else is a :class:`ParameterError`.

    The metric must be one of :data:`reclite.evaluation.METRICS`, the cut-off a
    positive integer.
    """
    from ..metrics import check_metric_names

    if not isinstance(text, str):
        raise ParameterTypeError(f"{name} must be a string such as 'ndcg@10', got {text!r} "
                                 f"({type(text).__name__})")
    m = _METRIC.match(text)
    if m is None:
        raise ParameterError(f"{name} must look like 'ndcg@10' (a metric name, '@', a cut-off), got {text!r}")
    metric, k_text = m.group(1).lower(), m.group(2)
    check_metric_names(metric, context=f"{name} {text!r}: ")
    if not k_text.isdigit() or int(k_text) < 1:
        raise ParameterError(f"{name} {text!r}: the cut-off after '@' must be a positive integer, got {k_text!r}")
    return metric, int(k_text)


def parse_metrics(metric: Any, name: str = "metric") -> tuple[str, list[str], list[int]]:
    """One label or a list: the objective (the first, normalised), the metric names and
    the cut-offs (every name is evaluated at every cut-off)."""
    items = [metric] if isinstance(metric, str) else metric
    if not isinstance(items, Iterable) or isinstance(items, (bytes, Mapping)):
        raise ParameterTypeError(f"{name} must be a string such as 'ndcg@10' or a list of them, got "
                                 f"{metric!r} ({type(metric).__name__})")
    parsed = [parse_metric(t, name) for t in items]
    if not parsed:
        raise ParameterError(f"{name} must name at least one metric, e.g. 'ndcg@10'")
    names = list(dict.fromkeys(n for n, _ in parsed))
    ks = sorted({k for _, k in parsed})
    return f"{parsed[0][0]}@{parsed[0][1]}", names, ks


def check_eval_set(eval_set: Any, data: Any, owner: object) -> tuple[Dataset, Dataset]:
    """``(train, valid)``: two Datasets of one split, sharing the fitted data's maps."""
    who = type(owner).__name__
    if (not isinstance(eval_set, (tuple, list)) or len(eval_set) != 2
            or not all(isinstance(d, Dataset) for d in eval_set)):
        raise ParameterTypeError(f"{who}: eval_set must be a pair (train, valid) of reclite Datasets, got "
                                 f"{type(eval_set).__name__}")
    train, valid = eval_set
    if isinstance(data, Dataset):
        for part, d in (("train", train), ("valid", valid)):
            if not ((d.users is data.users or d.users == data.users)
                    and (d.items is data.items or d.items == data.items)):
                raise DataError(f"{who}: eval_set's {part} does not share the fitted data's user and item maps; "
                                "use parts of one split (reclite.split) of the same Dataset")
    return train, valid


class StopTraining(Exception):
    """Raised from the callback to end the training loop early (caught by the model)."""


class CurveRecorder:
    """The per-iteration callback: evaluate, record, keep the best factors, stop early.

    Parameters
    ----------
    shadow : callable
        ``shadow()`` -> a fitted-looking copy of the model holding the current
        factors (what :func:`reclite.evaluate` ranks).
    factors : callable
        ``factors()`` -> the current factors (copied by the recorder when kept).
    eval_set : (Dataset, Dataset)
    eval_every : int
    eval_metric : str or list of str
    early_stopping_rounds : int or None
        Evaluations without improvement of the objective (the first metric) after
        which training stops.
    """

    def __init__(self, shadow: Callable[[], Any], factors: Callable[[], Any], eval_set: tuple[Dataset, Dataset],
                 eval_every: int, eval_metric: Any, early_stopping_rounds: int | None) -> None:
        self.shadow = shadow
        self.factors = factors
        self.train, self.valid = eval_set
        self.eval_every = eval_every
        self.objective, self.names, self.ks = parse_metrics(eval_metric, "eval_metric")
        self.rounds = early_stopping_rounds
        self.rows: list[dict[str, Any]] = []
        self.train_seconds = 0.0
        self.best_score = -math.inf
        self.best_iteration: int | None = None
        self.best_factors: Any = None
        self.since_best = 0

    def __call__(self, iteration: int, elapsed: float, *_: Any) -> None:
        from ..evaluation import evaluate

        self.train_seconds += float(elapsed)
        done = int(iteration) + 1  # implicit counts from 0
        if done % self.eval_every:
            return
        t0 = time.perf_counter()
        table = cast(pd.DataFrame, evaluate(self.shadow(), self.train, self.valid, k=self.ks, metrics=self.names))
        row: dict[str, Any] = {"iteration": done, "seconds": self.train_seconds}
        for rec in table.to_dict("records"):
            for n in self.names:
                v = float(rec[n])
                row[f"{n}@{int(rec['k'])}"] = None if math.isnan(v) else v  # JSON has no NaN
        row["eval_seconds"] = time.perf_counter() - t0
        self.rows.append(row)
        score = row[self.objective]
        if score is not None and score > self.best_score:
            self.best_score, self.best_iteration, self.since_best = score, done, 0
            if self.rounds is not None:
                self.best_factors = tuple(np.array(f, copy=True) for f in self.factors())
        else:
            self.since_best += 1
            if self.rounds is not None and self.since_best >= self.rounds:
                raise StopTraining


def check_curve_args(owner: object, eval_every: Any, early_stopping_rounds: Any, eval_metric: Any) -> None:
    """The curve arguments of ``fit``, checked before any work."""
    check_int(eval_every, "eval_every", min_val=1, owner=owner)
    if early_stopping_rounds is not None:
        check_int(early_stopping_rounds, "early_stopping_rounds", min_val=1, owner=owner)
    parse_metrics(eval_metric, "eval_metric")


def shallow_copy(model: Any, **attrs: Any) -> Any:
    """A shallow copy of ``model`` with ``attrs`` set (nothing of ``model`` changes)."""
    out = copy.copy(model)
    for k, v in attrs.items():
        setattr(out, k, v)
    return out
