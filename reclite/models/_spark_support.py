"""Spark plumbing for :mod:`reclite.models.spark`: availability, sessions, DataFrames, executor code.

Every pyspark import is inside a function: importing this module needs no pyspark.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._typing import INDEX_DTYPE, VALUE_DTYPE
from ..data.idmap import IdMap
from ..errors import ConfidenceSpecError, DataError, DeviceError

SPARK_INSTALL = 'pip install "reclite[spark]" and a Java 17+ runtime (JAVA_HOME or java on PATH)'
"""What to install for Spark, as the error messages say it."""

RATING_FLOOR = 1e-9
"""The smallest rating handed to Spark: Spark's implicit ALS treats a rating <= 0 as
"preference 0" (``ls.add(srcFactor, if (rating > 0.0) 1.0 + c1 else 0.0, c1)``), while
reclite treats every stored pair as a positive; an ``alpha * f`` of 0 (``alpha=0``, or
``f = 0`` such as ``pop`` on an item nobody else has) is sent as this instead."""

SPARK_COMPONENTS = ("binary", "value", "log", "pop")
"""Confidence components :meth:`SparkALS.fit_spark` computes in Spark (the others need
side information or per-user statistics that only a local Dataset has)."""

_RAW_U, _RAW_I, _U, _I, _V = "user", "item", "user_idx", "item_idx", "value"
_T = "time"


@runtime_checkable
class SparkSessionLike(Protocol):
    """What a ``pyspark.sql.SparkSession`` offers SparkALS (a Protocol, so that the ``spark``
    parameter has a checkable type while pyspark stays an optional import)."""

    @property
    def sparkContext(self) -> Any: ...  # noqa: N802 - pyspark's name

    def createDataFrame(self, *args: Any, **kwargs: Any) -> Any: ...  # noqa: N802 - pyspark's name


# ---------------------------------------------------------------------- availability
@functools.lru_cache(maxsize=1)
def _java_problem() -> str:
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.path.exists(java):
        return "no Java runtime was found (JAVA_HOME is not set and there is no java on PATH)"
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{java} -version failed ({exc})"
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if m is None:
        return ""  # an unusual banner: let Spark decide
    major = int(m.group(1)) if m.group(1) != "1" else int(m.group(2) or 0)
    return "" if major >= 17 else f"{java} is Java {major}; Spark needs Java 17 or newer"


def spark_unavailable_reason() -> str:
    """Why Spark cannot run here, in a few words (empty when pyspark and Java 17+ are there)."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed"
    return _java_problem()


def require_spark() -> None:
    """Raise :class:`~reclite.errors.DeviceError` (one line: what to install) unless Spark can run."""
    reason = spark_unavailable_reason()
    if reason:
        raise DeviceError(f"Spark is not available: {reason}. Install: {SPARK_INSTALL}")


def _quiet_pyspark() -> None:
    # pyspark warns on every pandas conversion that it does not fully support pandas 3
    warnings.filterwarnings("ignore", message=r".*PySpark does not yet fully support", category=FutureWarning)


def local_spark_session(master: str = "local[*]", shuffle_partitions: int | None = None,
                        driver_memory: str | None = None) -> Any:
    """The active SparkSession, or a new local one: UI off, console progress off, logs at ERROR.

    An existing session (a cluster's, or one a test started) is returned unchanged: its
    settings are not touched. A new local session's Python workers run this interpreter
    (``PYSPARK_PYTHON``, unless set): the executors import reclite to rank.

    ``driver_memory`` (e.g. ``"12g"``) sets ``spark.driver.memory`` of a new session: in
    local mode the driver's JVM also runs the executors, and Spark's default (1 GB) holds a
    few million interactions, not tens of millions. It only applies when this call starts
    the JVM; from the command line, ``PYSPARK_SUBMIT_ARGS="--driver-memory 12g
    pyspark-shell"`` does the same.
    """
    require_spark()
    _quiet_pyspark()
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    if SparkContext._active_spark_context is not None:
        return SparkSession.builder.getOrCreate()
    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (SparkSession.builder.master(master).appName("reclite")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
    if shuffle_partitions is not None:
        builder = builder.config("spark.sql.shuffle.partitions", str(int(shuffle_partitions)))
    if driver_memory is not None:
        builder = builder.config("spark.driver.memory", str(driver_memory))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def _is_session(value: Any) -> bool:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return False
    return isinstance(value, SparkSession)


def _is_dataframe(value: Any) -> bool:
    try:
        from pyspark.sql import DataFrame
    except ImportError:
        return False
    return isinstance(value, DataFrame)


# ---------------------------------------------------------------------- Spark-side state
@dataclass
class _SparkSide:
    """What a fit leaves in Spark: the session, the id maps and the data, as DataFrames."""

    session: Any
    user_map: Any  # (user raw, user_idx)
    item_map: Any  # (item raw, item_idx)
    train: Any  # (user_idx, item_idx) training pairs
    user_factors: Any  # (user_idx, features array<float>)
    item_factors: Any  # (item_idx, features array<float>)


def _collect_factors(frame: Any, n: int, factors: int) -> np.ndarray:
    """A Spark factor DataFrame (id, features) as an (n, factors) float32 array; absent ids get 0."""
    pdf = frame.toPandas()
    out = np.zeros((n, factors), dtype=VALUE_DTYPE)
    if len(pdf):
        out[pdf["id"].to_numpy(dtype=np.int64)] = np.stack(pdf["features"].to_numpy()).astype(VALUE_DTYPE)
    return out


def _frame_of_pairs(session: Any, users: np.ndarray, items: np.ndarray, ratings: np.ndarray | None = None) -> Any:
    pdf = pd.DataFrame({_U: users.astype(np.int32), _I: items.astype(np.int32)})
    if ratings is not None:
        pdf["rating"] = ratings.astype(np.float32)
    return session.createDataFrame(pdf)


def _frame_of_factors(session: Any, factors: np.ndarray, id_col: str) -> Any:
    pdf = pd.DataFrame({id_col: np.arange(len(factors), dtype=np.int32), "features": list(factors)})
    return session.createDataFrame(pdf, schema=f"{id_col} int, features array<float>")


def _frame_of_map(session: Any, ids: IdMap, raw_col: str, idx_col: str) -> Any:
    raw = ids.ids
    pdf = pd.DataFrame({raw_col: raw.astype(str) if raw.dtype.kind in "UO" else raw.astype(np.int64),
                        idx_col: np.arange(len(raw), dtype=np.int32)})
    kind = "string" if raw.dtype.kind in "UO" else "bigint"
    return session.createDataFrame(pdf, schema=f"{raw_col} {kind}, {idx_col} int")


def _pair_of(row: Any) -> tuple[Any, int]:
    """``((raw,), index)`` from ``zipWithIndex`` -> ``(raw, index)`` (a module function: pickled by name)."""
    return row[0][0], int(row[1])


def _index_ids(pairs: Any, raw_col: str, idx_col: str) -> Any:
    """Distinct raw ids sorted (as IdMap sorts them), numbered 0.. in Spark (``zipWithIndex``)."""
    from pyspark.sql.types import IntegerType, StructField, StructType

    distinct = pairs.select(raw_col).distinct().orderBy(raw_col)
    schema = StructType([StructField(raw_col, distinct.schema[raw_col].dataType, False),
                         StructField(idx_col, IntegerType(), False)])
    return pairs.sparkSession.createDataFrame(distinct.rdd.zipWithIndex().map(_pair_of), schema)


# ---------------------------------------------------------------------- executors
def _rank_partition(batches: Iterator[pd.DataFrame], factors: Any, k: int,
                    block_bytes: int) -> Iterator[pd.DataFrame]:
    """Score and rank one partition of users (runs on an executor; needs reclite there)."""
    from ..topk import topk

    Y = factors.value
    n_items = Y.shape[0]
    step = max(1, block_bytes // max(4 * n_items, 1))
    for pdf in batches:
        for start in range(0, len(pdf), step):
            part = pdf.iloc[start:start + step]
            X = np.stack(part["features"].to_numpy()).astype(VALUE_DTYPE)
            scores = np.matmul(X, Y.T)
            lists = [np.asarray(e, dtype=INDEX_DTYPE) if e is not None else np.zeros(0, dtype=INDEX_DTYPE)
                     for e in part["exclude"].to_numpy()]
            lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
            ex = sp.csr_matrix((np.ones(int(lengths.sum()), dtype=VALUE_DTYPE),
                                np.concatenate(lists) if lists else np.zeros(0, dtype=INDEX_DTYPE),
                                np.concatenate([[0], np.cumsum(lengths)])), shape=scores.shape)
            ex.sum_duplicates()
            idx, sc = topk(scores, min(k, n_items), exclude=ex if ex.nnz else None)
            valid = idx >= 0
            rows, cols = np.nonzero(valid)
            yield pd.DataFrame({_U: part[_U].to_numpy(dtype=np.int32)[rows], _I: idx[valid].astype(np.int32),
                                "score": sc[valid].astype(np.float32), "rank": (cols + 1).astype(np.int32)})


# ---------------------------------------------------------------------- fit_spark helpers
def _checked_pairs(df: Any, user: str, item: str, value: str | None, needs_values: bool,
                   time: str | None = None) -> Any:
    """``(user, item, value[, time])`` of a raw Spark DataFrame, every problem one DataError (one Spark job)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType, IntegralType, NumericType, StringType, TimestampType

    cols = list(df.columns)
    named = (("user", user), ("item", item)) + ((("value", value),) if value is not None else ()) + (
        (("time", time),) if time is not None else ())
    for what, name in named:
        if name not in cols:
            raise DataError(f"fit_spark: no {what} column {name!r} in the DataFrame; its columns: {', '.join(cols)}")
    if time is not None and not isinstance(df.schema[time].dataType, (NumericType, TimestampType, DateType)):
        raise DataError(f"fit_spark: time column {time!r} has type {df.schema[time].dataType.simpleString()}; "
                        "expected numbers (e.g. Unix seconds), timestamps or dates")
    for what, name in (("user", user), ("item", item)):
        dtype = df.schema[name].dataType
        if not isinstance(dtype, (IntegralType, StringType)):
            raise DataError(f"fit_spark: {what} column {name!r} has type {dtype.simpleString()}; expected integer "
                            "or string ids")
    if value is not None and not isinstance(df.schema[value].dataType, NumericType):
        raise DataError(f"fit_spark: value column {value!r} has type {df.schema[value].dataType.simpleString()}; "
                        "expected numbers")
    u, i = F.col(user), F.col(item)
    v = F.col(value).cast("double") if value is not None else F.lit(1.0)
    checks = [F.sum(u.isNull().cast("long")).alias("u_null"), F.sum(i.isNull().cast("long")).alias("i_null"),
              F.count(F.lit(1)).alias("rows")]
    if value is not None:
        bad = v.isNull() | F.isnan(v) | (v == float("inf")) | (v == float("-inf"))
        if needs_values:
            bad = bad | (v < 0)
        checks.append(F.sum(bad.cast("long")).alias("v_bad"))
    if time is not None:
        checks.append(F.sum(F.col(time).isNull().cast("long")).alias("t_null"))
    row = df.agg(*checks).collect()[0]
    if not row["rows"]:
        raise DataError("fit_spark: the DataFrame has no rows to fit on")
    for what, name, key in (("user", user, "u_null"), ("item", item, "i_null")):
        if row[key]:
            raise DataError(f"fit_spark: {what} column {name!r} has {row[key]:,} missing ids")
    if value is not None and row["v_bad"]:
        expected = "finite numbers >= 0 (the confidence reads values)" if needs_values else "finite numbers"
        raise DataError(f"fit_spark: value column {value!r} has {row['v_bad']:,} values that are not {expected}")
    if time is not None and row["t_null"]:
        raise DataError(f"fit_spark: time column {time!r} has {row['t_null']:,} missing times")
    raw_u = u.cast("bigint") if isinstance(df.schema[user].dataType, IntegralType) else u
    raw_i = i.cast("bigint") if isinstance(df.schema[item].dataType, IntegralType) else i
    extra = [F.col(time).alias(_T)] if time is not None else []
    return df.select(raw_u.alias(_RAW_U), raw_i.alias(_RAW_I), v.alias(_V), *extra)


def _merge_repeats(pairs: Any, has_time: bool) -> Any:
    """One row per (user, item): the latest row's value when there is a time column (the
    largest value among rows of the same latest time), else the largest value."""
    from pyspark.sql import functions as F

    if has_time:  # structs compare field by field: the latest time first, then the value
        return pairs.groupBy(_RAW_U, _RAW_I).agg(F.max(F.struct(_T, _V)).getField(_V).alias(_V))
    return pairs.groupBy(_RAW_U, _RAW_I).agg(F.max(_V).alias(_V))


def _spark_confidence(data: Any, expr: Any, params: dict) -> tuple[Any, Any]:
    """The expression ``f`` as a Spark Column over ``data`` (user_idx, item_idx, value), and the
    per-item statistics DataFrame to join first (None when no component needs one).

    The definitions of :mod:`reclite.confidence`: ``value = v / max v``, ``log =
    log1p(v) / log1p(max v)``, ``pop = log1p(n_i) / log1p(max n)`` (n_i = distinct users
    of item i), each 0 where its maximum is 0.
    """
    from pyspark.sql import functions as F

    names = set(expr.components)
    top = {}
    if names & {"value", "log"}:
        top["v"] = float(data.agg(F.max(F.greatest(F.col(_V), F.lit(0.0)))).collect()[0][0] or 0.0)
    stats = None
    if "pop" in names:
        stats = data.groupBy(_I).agg(F.count(F.lit(1)).alias("n_i"))
        top["pop"] = float(np.log1p(stats.agg(F.max("n_i")).collect()[0][0]))

    def column(name: str) -> Any:
        if name == "binary":
            return F.lit(1.0)
        if name == "value":
            return F.least(F.col(_V) / F.lit(top["v"]), F.lit(1.0)) if top["v"] > 0 else F.lit(0.0)
        if name == "log":
            t = float(np.log1p(top["v"]))
            return F.least(F.log1p(F.col(_V)) / F.lit(t), F.lit(1.0)) if t > 0 else F.lit(0.0)
        if name == "pop":
            return F.log1p(F.col("n_i")) / F.lit(top["pop"]) if top["pop"] > 0 else F.lit(0.0)
        raise ConfidenceSpecError(f"component {name!r} cannot be computed in Spark")  # pragma: no cover

    f = expr.evaluate(column)
    return (f if _is_column(f) else F.lit(float(f))), stats


def _is_column(value: Any) -> bool:
    from pyspark.sql import Column

    return isinstance(value, Column)


def write_spark_output(frame: Any, out: Any) -> Path:
    """Write a Spark DataFrame as a parquet folder at ``out``, atomically (a temporary folder
    beside it, then renamed; an existing folder is replaced only if it holds parquet parts)."""
    from .._fs import atomic_dir

    def is_parquet_dir(p: Path) -> bool:
        return (p / "_SUCCESS").exists() or any(p.glob("part-*.parquet"))

    with atomic_dir(out, may_replace=is_parquet_dir, what="a parquet folder written by reclite") as tmp:
        frame.write.mode("overwrite").parquet(str(tmp))
    return Path(out)
