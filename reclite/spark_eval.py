"""evaluate_spark: reclite's metrics computed in Spark, for data that lives there.

The definitions are :mod:`reclite.metrics`' (its table gives each formula): recall,
calibrated_recall, precision, ndcg, map, mrr and hit_rate, averaged over the users with
at least one test item, and coverage, novelty and popularity of those users' lists
(item popularity: distinct training users per item, among the users with a training
interaction), exactly as :func:`reclite.evaluate` computes them. The lists are ranked in
Spark (:meth:`reclite.models.spark.SparkALS.rank_spark`), each user's training items
excluded, and kept (persisted) while the metrics read them; only one summary row per
cut-off, and the number of training users, reach the driver.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import metrics as _m
from ._validation import check_cutoffs
from .errors import ParameterError, ParameterTypeError

__all__ = ["evaluate_spark", "SPARK_METRICS"]

SPARK_METRICS: tuple[str, ...] = (*_m.ACCURACY_METRICS, *_m.BEYOND_ACCURACY_METRICS)
"""The metrics :func:`evaluate_spark` computes: every metric of :func:`reclite.evaluate`."""


def _names(metrics: str | Sequence[str] | None) -> list[str]:
    """The metric names asked for, checked by reclite's one metric-name check against what Spark computes."""
    return _m.check_metric_names(metrics, SPARK_METRICS, context="evaluate_spark: ")


def _beyond_accuracy(lists: Any, train: Any, names: list[str], ks: list[int], n_items: int) -> dict[str, float]:
    """coverage, novelty and popularity at every cut-off of ``lists`` (user_idx, item_idx,
    rank), with item popularity from ``train`` (distinct user_idx, item_idx pairs):
    ``{"coverage@10": ...}``, as :func:`reclite.metrics.beyond_accuracy_metrics` and the
    summary of :func:`reclite.evaluate` (novelty and popularity: per-user means of the
    list's first k items, averaged over the users with a non-empty list)."""
    from pyspark.sql import functions as F

    out: dict[str, float] = {}
    if "coverage" in names:
        best = lists.groupBy("item_idx").agg(F.min("rank").alias("best"))
        row = best.agg(*[F.sum(F.when(F.col("best") <= kk, 1).otherwise(0)).alias(f"c{kk}") for kk in ks]).collect()[0]
        for kk in ks:
            out[_m.label("coverage", kk)] = float((row[f"c{kk}"] or 0) / n_items) if n_items else float("nan")
    rest = [m for m in names if m in ("novelty", "popularity")]
    if rest:
        n_train = max(train.select("user_idx").distinct().count(), 1)
        pop = train.groupBy("item_idx").agg(F.count(F.lit(1)).alias("pop"))
        scored = (lists.join(pop, "item_idx", "left").na.fill(0, ["pop"])
                  .withColumn("novelty", -F.log2(F.greatest(F.col("pop"), F.lit(1)) / F.lit(float(n_train))))
                  .withColumn("popularity", F.col("pop") / F.lit(float(n_train))))
        per_user = scored.groupBy("user_idx").agg(*[
            F.avg(F.when(F.col("rank") <= kk, F.col(m))).alias(f"{m}{kk}") for m in rest for kk in ks])
        row = per_user.agg(*[F.avg(f"{m}{kk}").alias(f"{m}{kk}") for m in rest for kk in ks]).collect()[0]
        for m in rest:
            for kk in ks:
                v = row[f"{m}{kk}"]
                out[_m.label(m, kk)] = float("nan") if v is None else float(v)
    return out


def _pairs(model: Any, data: Any, what: str, user: str, item: str) -> Any:
    """``(user, user_idx, item_idx)`` distinct pairs of a Spark DataFrame of raw ids, or of a Dataset.

    Ids the model does not know are dropped (a test item the model never saw cannot be
    hit, but a test user who has one still counts it in ``|T_u|``: see ``n_test``)."""
    from pyspark.sql import functions as F

    from .data.dataset import Dataset
    from .models._spark_support import _is_dataframe

    side = model._spark_state()
    if isinstance(data, Dataset):
        frame = data.to_frame()[["user", "item"]]
        for col, ids in (("user", model.users_), ("item", model.items_)):
            raw = frame[col].to_numpy()
            frame[col] = raw.astype(str) if ids.ids.dtype.kind in "UO" else raw.astype(np.int64)
        df = side.session.createDataFrame(frame)
        user, item = "user", "item"
    elif _is_dataframe(data):
        df = data
    else:
        raise ParameterTypeError(f"evaluate_spark: {what} must be a pyspark DataFrame of raw ids or a reclite "
                                 f"Dataset, got {type(data).__name__}")
    for col in (user, item):
        if col not in df.columns:
            raise ParameterError(f"evaluate_spark: {what} has no column {col!r}; its columns: {', '.join(df.columns)}")
    raw = df.select(F.col(user).alias("user"), F.col(item).alias("item")).distinct()
    for col, m in (("user", side.user_map), ("item", side.item_map)):
        want = dict(m.dtypes)[col]
        if dict(raw.dtypes)[col] != want:
            raw = raw.withColumn(col, F.col(col).cast(want))
    return (raw.join(side.user_map, "user", "left").join(side.item_map, "item", "left")
            .select("user", "user_idx", "item_idx"))


def evaluate_spark(
    model: Any,
    train_df: Any,
    test_df: Any,
    k: int | Iterable[int] = 10,
    metrics: str | Sequence[str] | None = None,
    *,
    user: str = "user",
    item: str = "item",
) -> pd.DataFrame:
    """Full-ranking evaluation in Spark, with the definitions of :func:`reclite.evaluate`.

    Each user with a test item is ranked against every item except their items in
    ``train_df`` (in Spark: :meth:`~reclite.models.spark.SparkALS.rank_spark`), and the
    metrics are computed from those lists and ``test_df`` in Spark. On a reclite
    split, ``evaluate_spark(model, train, test)`` equals ``reclite.evaluate(model,
    train, test)`` (to float rounding: checked to 1e-6 by the tests).

    Parameters
    ----------
    model : SparkALS
        Fitted (:meth:`~reclite.models.spark.SparkALS.fit`, ``fit_spark``, or loaded).
    train_df, test_df : pyspark DataFrame or Dataset
        Interactions with raw ids in columns ``user`` and ``item`` (repeated pairs
        count once). Test users the model does not know get an empty list (they count,
        with no hit); test items it does not know count in ``|T_u|`` and are never hit.
    k : int or list of int, default=10
    metrics : list of str, optional
        Among ``ndcg``, ``recall``, ``calibrated_recall``, ``precision``, ``map``,
        ``mrr``, ``hit_rate``, ``coverage``, ``novelty``, ``popularity`` (default: all).
        Item popularity (novelty, popularity) counts the distinct users of each item in
        ``train_df``; coverage divides by the model's catalogue (``n_items_``).
    user, item : str
        The id columns of DataFrames.

    Returns
    -------
    DataFrame
        One row per cut-off: ``k``, ``n_users`` and one column per metric, as
        :func:`reclite.evaluate`'s summary.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from .models.spark import SparkALS, check_is_fitted_spark, require_spark

    require_spark()
    if not isinstance(model, SparkALS):
        raise ParameterTypeError(f"evaluate_spark evaluates a SparkALS, got {type(model).__name__}; use "
                                 "reclite.evaluate for other models")
    check_is_fitted_spark(model)
    ks = check_cutoffs(k)
    names = _names(metrics)
    kmax = ks[-1]
    test = _pairs(model, test_df, "test_df", user, item)
    train = _pairs(model, train_df, "train_df", user, item).dropna().select("user_idx", "item_idx")
    # |T_u| per test user (by raw pair: unknown test items count too), then the known users' lists
    n_test = test.groupBy("user").agg(F.count(F.lit(1)).alias("n_test"), F.first("user_idx").alias("user_idx"))
    known = n_test.where(F.col("user_idx").isNotNull()).select("user_idx")
    lists = model.rank_spark(users=known, exclude=train, k=kmax)
    beyond_names = [m for m in names if m in _m.BEYOND_ACCURACY_METRICS]
    if beyond_names:  # the lists are read again by the beyond-accuracy metrics: rank them once
        lists = lists.persist()
    hits = (lists.join(test.dropna().select("user_idx", "item_idx"), ["user_idx", "item_idx"])
            .withColumn("nth", F.row_number().over(Window.partitionBy("user_idx").orderBy("rank"))))
    disc = 1.0 / np.log2(np.arange(2, kmax + 2))
    idcg = np.cumsum(disc)  # idcg[m - 1] for m = min(k, |T_u|)
    aggs = []
    for kk in ks:
        within = F.col("rank") <= kk
        aggs += [F.sum(F.when(within, 1.0).otherwise(0.0)).alias(f"hits{kk}"),
                 F.sum(F.when(within, 1.0 / F.log2(F.col("rank") + 1.0)).otherwise(0.0)).alias(f"dcg{kk}"),
                 F.sum(F.when(within, F.col("nth") / F.col("rank")).otherwise(0.0)).alias(f"ap{kk}"),
                 F.min(F.when(within, F.col("rank"))).alias(f"first{kk}")]
    per_hit = hits.groupBy("user_idx").agg(*aggs)
    users = n_test.join(per_hit, "user_idx", "left").na.fill(0.0)
    idcg_col = F.array(*[F.lit(float(v)) for v in idcg])
    cols = []
    for kk in ks:
        h, nt = F.col(f"hits{kk}"), F.col("n_test")
        denom = F.least(F.lit(kk), nt)
        per_user = {
            "recall": h / nt,
            "calibrated_recall": h / denom,
            "precision": h / F.lit(float(kk)),
            "ndcg": F.col(f"dcg{kk}") / F.element_at(idcg_col, denom.cast("int")),
            "map": F.col(f"ap{kk}") / denom,
            "mrr": F.when(F.col(f"first{kk}") > 0, 1.0 / F.col(f"first{kk}")).otherwise(0.0),
            "hit_rate": F.when(h > 0, 1.0).otherwise(0.0),
        }
        cols += [F.avg(per_user[m]).alias(f"{m}@{kk}") for m in names if m in per_user]
    try:
        row = users.agg(F.count(F.lit(1)).alias("n_users"), *cols).collect()[0].asDict()
        if beyond_names:
            row.update(_beyond_accuracy(lists, train, beyond_names, ks, int(model.n_items_)))
    finally:
        if beyond_names:
            lists.unpersist()
    out = [{"k": kk, "n_users": int(row["n_users"]), **{m: float(row[f"{m}@{kk}"] if row[f"{m}@{kk}"] is not None
                                                            else np.nan) for m in names}} for kk in ks]
    return pd.DataFrame(out, columns=["k", "n_users", *names])
