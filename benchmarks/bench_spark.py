"""SparkALS (local Spark, 2 cores) beside reclite's ALS (implicit, 2 threads) on one machine.

Two parts:

``speed`` (default)
    The MovieLens 20M shape from ``reclite.synthetic_dataset(138_000, 27_000, 20_000_000)``
    scaled by ``--scale`` (users, items and interactions alike), split with
    ``random_holdout`` (20% of each user's interactions, seed 0), the training part
    written to parquet with raw ids. Each engine runs in its own subprocess (so peak
    memory is its own): ``--runs`` timed fits after one untimed warm-up fit, then recall@10
    on the holdout (SparkALS: :func:`reclite.evaluate_spark`, in Spark; ALS:
    :func:`reclite.evaluate`). SparkALS reads the parquet (``fit_spark``, id maps and
    confidence in Spark); ALS fits the same rows as a Dataset. Reported: seconds per
    iteration (fit seconds / iterations, median [min-max] of the runs; Spark's includes its
    per-fit setup: blocking the ratings, id maps), peak memory (ALS: the Python process's
    peak RSS; Spark: the Python driver's peak RSS and the JVM's, which in local mode is the
    driver and both executor cores together) and recall@10. Same factors, iterations,
    confidence and seed; each engine at the regularisation the ``accuracy`` part chose.
``accuracy``
    MovieLens 100K: ``random_holdout`` 25% test (seed 42, the split of the quality-floor
    test), a validation split of the training part (20%, seed 0); each engine's
    regularisation is chosen by ndcg@10 on validation over its own grid, refitted on the
    whole training part and scored on test. ``tests/spark/test_spark_accuracy.py`` pins
    the chosen values.

A single machine is not where Spark wins: it pays a JVM, serialisation between Python
and the JVM, and a shuffle per half-iteration that implicit does in shared memory. The
point of SparkALS is data that is already in Spark or does not fit one machine.

Run from the repository root (timings on a shared machine: run it un-niced, read the
load column)::

    python benchmarks/bench_spark.py --scale 0.05 --runs 5       # a few minutes
    python benchmarks/bench_spark.py --scale 1.0 --runs 5 --driver-memory 12g --spark-warmup-sample 0.02
                                                                 # the full shape: about an hour
    nice -n 10 python benchmarks/bench_spark.py accuracy
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import load_now, machine_line, print_table  # noqa: E402

FACTORS, ITERATIONS, ALPHA = 64, 10, 1.0
SPARK_REG_GRID = [0.01, 0.03, 0.1, 0.3, 1.0]
ALS_REG_GRID = [5.0, 10.0, 20.0, 50.0, 100.0, 200.0]


def _jvm_peak_mb(spark) -> float:
    """Peak RSS (VmHWM) of the local JVM that pyspark started, in MB (NaN when unknown)."""
    proc = getattr(spark.sparkContext._gateway, "proc", None)
    try:
        text = Path(f"/proc/{proc.pid}/status").read_text()
    except (AttributeError, OSError):
        return float("nan")
    for line in text.splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _data(scale: float, workdir: Path):
    import reclite

    n_users, n_items, n = (max(50, int(v * scale)) for v in (138_000, 27_000, 20_000_000))
    ds = reclite.synthetic_dataset(n_users, n_items, n, random_state=0)
    train, test = reclite.split.random_holdout(ds, test_size=0.2, random_state=0)
    path = workdir / "train.parquet"
    if not path.exists():
        frame = train.to_frame()[["user", "item", "value"]]
        frame.to_parquet(path, index=False)
    return train, test, path


def worker(args: argparse.Namespace) -> None:
    """One engine in this process: warm-up fit, timed fits, recall@10; prints one JSON line."""
    warnings.simplefilter("ignore")
    import reclite

    workdir = Path(args.workdir)
    train, test, path = _data(args.scale, workdir)
    result: dict = {"engine": args.worker, "n_train": len(train)}
    if args.worker == "als":
        def fit():
            return reclite.ALS(factors=FACTORS, iterations=ITERATIONS, alpha=ALPHA, regularization=args.als_reg,
                               random_state=0, num_threads=2, device="cpu").fit(train)
    else:
        from reclite.models.spark import local_spark_session

        spark = local_spark_session("local[2]", driver_memory=args.driver_memory)
        frame = spark.read.parquet(str(path))

        def fit(sample: float = 1.0):
            part = frame if sample >= 1.0 else frame.sample(fraction=sample, seed=0)
            return reclite.SparkALS(factors=FACTORS, iterations=ITERATIONS, alpha=ALPHA, confidence="binary",
                                    regularization=args.spark_reg, num_blocks=args.num_blocks,
                                    random_state=0, spark=spark).fit_spark(part, value="value")
    start = time.perf_counter()
    # warm-up: JIT, JVM classes, numba; Spark's may run on a sample (--spark-warmup-sample) at the full shape
    model = fit() if args.worker == "als" else fit(args.spark_warmup_sample)
    print(f"{args.worker}: warm-up fit {time.perf_counter() - start:.1f} s (load {load_now()})", file=sys.stderr, flush=True)
    times = []
    for run in range(args.runs):
        start = time.perf_counter()
        model = fit()
        times.append(time.perf_counter() - start)
        print(f"{args.worker}: fit {run + 1}/{args.runs} {times[-1]:.1f} s (load {load_now()})", file=sys.stderr,
              flush=True)
    result["per_iteration"] = [t / ITERATIONS for t in times]
    if args.worker == "als":
        table = reclite.evaluate(model, train, test, k=10, metrics=["recall"])
    else:
        table = reclite.evaluate_spark(model, train, test, k=10, metrics=["recall"])
        result["jvm_peak_mb"] = _jvm_peak_mb(spark)
    result["recall@10"] = float(table["recall"].iloc[0])
    result["python_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result), flush=True)


def speed(args: argparse.Namespace) -> None:
    print(machine_line())
    print(f"load average (1 min) at start: {load_now()}; scale {args.scale} of the ML-20M shape; "
          f"{FACTORS} factors, {ITERATIONS} iterations, binary confidence alpha {ALPHA}; {args.runs} timed fits each")
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
        rows = []
        for engine in ("als", "spark"):
            cmd = [sys.executable, __file__, "--worker", engine, "--workdir", tmp, "--scale", str(args.scale),
                   "--runs", str(args.runs), "--spark-reg", str(args.spark_reg), "--als-reg", str(args.als_reg),
                   "--num-blocks", str(args.num_blocks)]
            cmd += ["--spark-warmup-sample", str(args.spark_warmup_sample)]
            if args.driver_memory:
                cmd += ["--driver-memory", args.driver_memory]
            # stdout carries the worker's one JSON line; its progress lines (and Spark's) go to our stderr
            out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
            line = next((ln for ln in out.stdout.splitlines() if ln.startswith("{")), None)
            if line is None:
                sys.exit(f"{engine} failed (exit {out.returncode}); its messages are above")
            r = json.loads(line)
            t = r["per_iteration"]
            rows.append([{"als": "ALS (implicit, 2 threads)", "spark": "SparkALS (local[2])"}[engine],
                         r["n_train"], f"{statistics.median(t):.3f} [{min(t):.3f}-{max(t):.3f}]",
                         r["python_peak_mb"], r.get("jvm_peak_mb", float("nan")), r["recall@10"], load_now()])
        print_table(["engine", "train rows", "s/iteration", "Python peak MB", "JVM peak MB", "recall@10",
                     "load"], rows, digits=3)
        als_t = float(rows[0][2].split()[0])
        spark_t = float(rows[1][2].split()[0])
        print(f"SparkALS / ALS seconds per iteration: {spark_t / als_t:.1f}x")


def accuracy(args: argparse.Namespace) -> None:
    warnings.simplefilter("ignore")
    from _harness import dataset_path

    import reclite
    from reclite.models.spark import local_spark_session

    spark = local_spark_session("local[2]", shuffle_partitions=4)
    ds = reclite.read_movielens(dataset_path("ml-100k"))
    train, test = reclite.split.random_holdout(ds, test_size=0.25, random_state=42)
    fit_part, valid = reclite.split.random_holdout(train, test_size=0.2, random_state=0)
    common = dict(factors=args.factors, iterations=args.iterations, alpha=args.alpha, random_state=0)

    def make(engine: str, reg: float):
        if engine == "als":
            return reclite.ALS(regularization=reg, num_threads=2, device="cpu", **common)
        return reclite.SparkALS(regularization=reg, num_blocks=args.num_blocks, spark=spark, **common)

    rows = []
    for engine, grid in (("als", args.als_grid or ALS_REG_GRID), ("spark", args.spark_grid or SPARK_REG_GRID)):
        scores = {}
        for reg in grid:
            m = make(engine, reg).fit(fit_part)
            scores[reg] = float(reclite.evaluate(m, fit_part, valid, k=10, metrics=["ndcg"])["ndcg"].iloc[0])
            print(f"{engine} reg {reg}: validation ndcg@10 {scores[reg]:.4f}", flush=True)
        best = max(scores, key=scores.__getitem__)
        m = make(engine, best).fit(train)
        ndcg = float(reclite.evaluate(m, train, test, k=10, metrics=["ndcg"])["ndcg"].iloc[0])
        rows.append([engine, best, scores[best], ndcg])
    print_table(["engine", "best regularization", "validation ndcg@10", "test ndcg@10"], rows, digits=4)
    print(f"difference (SparkALS - ALS) on test: {rows[1][3] - rows[0][3]:+.4f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("part", nargs="?", default="speed", choices=["speed", "accuracy"])
    p.add_argument("--scale", type=float, default=0.05, help="fraction of the ML-20M shape (default 0.05)")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--spark-reg", type=float, default=0.2)
    p.add_argument("--als-reg", type=float, default=20.0)
    p.add_argument("--num-blocks", type=int, default=4)
    p.add_argument("--driver-memory", default=None, help="spark.driver.memory, e.g. 8g (the full shape needs it)")
    p.add_argument("--spark-warmup-sample", type=float, default=1.0,
                   help="fraction of the training rows Spark's untimed warm-up fit uses (default 1.0: all)")
    p.add_argument("--factors", type=int, default=FACTORS)
    p.add_argument("--iterations", type=int, default=ITERATIONS)
    p.add_argument("--alpha", type=float, default=ALPHA, help="accuracy: the confidence scale of both engines")
    p.add_argument("--als-grid", type=float, nargs="+", help="accuracy: ALS regularisation values to try")
    p.add_argument("--spark-grid", type=float, nargs="+", help="accuracy: SparkALS regularisation values to try")
    p.add_argument("--worker", choices=["als", "spark"], help=argparse.SUPPRESS)
    p.add_argument("--workdir", help=argparse.SUPPRESS)
    args = p.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if args.worker:
        worker(args)
    elif args.part == "accuracy":
        accuracy(args)
    else:
        speed(args)


if __name__ == "__main__":
    main()
