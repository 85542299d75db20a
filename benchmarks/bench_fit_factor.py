"""Fit time of reclite's ALS and BPR beside implicit called directly on the same matrix.

What is timed (CPU, ``num_threads=0``, same parameters, same seed):

- **reclite**: ``reclite.ALS(...).fit(ds)`` / ``reclite.BPR(...).fit(ds)`` on the Dataset --
  everything a user pays: building the confidence matrix, the bookkeeping of the base
  class, the BLAS thread limit, implicit's fit, copying the factors out.
- **implicit**: ``implicit.cpu.als.AlternatingLeastSquares(...).fit(C)`` (and
  ``implicit.cpu.bpr.BayesianPersonalizedRanking``) on the already-built confidence
  matrix ``C`` (users x items ``csr_matrix``, float32, ``1 + alpha`` per entry), inside
  ``threadpoolctl.threadpool_limits(1, "blas")`` as implicit itself recommends.

So the ratio is an upper bound on reclite's overhead (the peer gets its matrix for
free). Each measurement is the median of ``--repeat`` runs after one untimed warm-up
fit on small data; reclite and implicit alternate so that load from other jobs on the
machine hits both alike. Target: overhead under 5%.

Data: MovieLens 100K (``RECLITE_DATA`` or ``../shared/data``) and synthetic data of the
movie competition's shape, ``reclite.synthetic_dataset(31_360, 6_807, 5_150_000,
random_state=0)``.

Run from the repository root::

    python benchmarks/bench_fit_factor.py                       # both datasets
    python benchmarks/bench_fit_factor.py --datasets ml-100k --repeat 5
    python benchmarks/bench_fit_factor.py --datasets synthetic --repeat 3
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import dataset_path  # noqa: E402


def load_ml100k():
    import reclite

    return reclite.read_movielens(dataset_path("ml-100k"))


def load_synthetic():
    import reclite

    return reclite.synthetic_dataset(31_360, 6_807, 5_150_000, random_state=0), "reclite.synthetic_dataset"


MODELS = {
    # name: (reclite class name, implicit class path, parameters: reclite's defaults)
    "ALS": ("ALS", "implicit.cpu.als.AlternatingLeastSquares",
            dict(factors=64, regularization=20.0, iterations=15)),
    "BPR": ("BPR", "implicit.cpu.bpr.BayesianPersonalizedRanking",
            dict(factors=64, learning_rate=0.01, regularization=0.001, iterations=50)),
}


def bench(ds, name: str, repeat: int) -> dict:
    import importlib

    from threadpoolctl import threadpool_limits

    import reclite
    from reclite.confidence import build_confidence

    cls_name, peer_path, params = MODELS[name]
    mod, cls = peer_path.rsplit(".", 1)
    peer_cls = getattr(importlib.import_module(mod), cls)
    alpha = 1.0
    C = sp.csr_matrix(build_confidence(ds, "binary", alpha=alpha), dtype=np.float32)

    def run_reclite() -> float:
        t = time.perf_counter()
        getattr(reclite, cls_name)(random_state=0, device="cpu", alpha=alpha, **params).fit(ds)
        return time.perf_counter() - t

    def run_implicit() -> float:
        t = time.perf_counter()
        with threadpool_limits(1, "blas"):
            extra = {"alpha": 1.0} if name == "ALS" else {}
            model = peer_cls(random_state=0, **params, **extra)
            model.fit(C, show_progress=False)
        return time.perf_counter() - t

    ours, theirs = [], []
    for r in range(repeat):
        if r % 2 == 0:
            ours.append(run_reclite())
            theirs.append(run_implicit())
        else:
            theirs.append(run_implicit())
            ours.append(run_reclite())
    return {"model": name, "reclite": statistics.median(ours), "implicit": statistics.median(theirs),
            "reclite_min": min(ours), "implicit_min": min(theirs), "own": own_work(ds, name, peer_cls),
            "runs_r": ours, "runs_i": theirs}


def own_work(ds, name: str, peer_cls, repeat: int = 7) -> float:
    """reclite's fit with implicit's ``fit`` replaced by a stub that only allocates factors.

    What remains is exactly the work reclite adds around implicit (confidence matrix,
    base-class bookkeeping, thread limit, model construction, factor copies), timed
    without the noise of the long implicit fit.
    """
    import reclite

    cls_name, _, params = MODELS[name]
    extra = 1 if name == "BPR" else 0
    original = peer_cls.fit

    def stub(self, user_items, show_progress=False, callback=None):
        n_users, n_items = user_items.shape
        self.user_factors = np.zeros((n_users, params["factors"] + extra), dtype=np.float32)
        self.item_factors = np.zeros((n_items, params["factors"] + extra), dtype=np.float32)

    peer_cls.fit = stub
    try:
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            getattr(reclite, cls_name)(random_state=0, device="cpu", **params).fit(ds)
            times.append(time.perf_counter() - t)
    finally:
        peer_cls.fit = original
    return min(times)


def warm_up() -> None:
    import reclite

    X = sp.random(200, 100, density=0.05, random_state=0, format="csr", dtype=np.float32)
    X.data[:] = 1.0
    for cls in (reclite.ALS, reclite.BPR):
        cls(factors=4, iterations=2, device="cpu", random_state=0).fit(X)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="ml-100k,synthetic")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement on ml-100k (median)")
    parser.add_argument("--synthetic-repeat", type=int, default=3, help="runs per measurement on synthetic")
    args = parser.parse_args()

    import implicit
    import threadpoolctl

    import reclite

    blas = [f"{i['internal_api']} ({i['num_threads']} threads)" for i in threadpoolctl.threadpool_info()
            if i["user_api"] == "blas"]
    print(f"# machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"reclite {reclite.__version__}, implicit {implicit.__version__}, BLAS {', '.join(blas)}")
    print("# GPU:", "implicit.gpu.HAS_CUDA =", bool(implicit.gpu.HAS_CUDA))
    warm_up()
    rows = []
    for name in args.datasets.split(","):
        if name == "ml-100k":
            ds, source, repeat = load_ml100k(), "ml-100k (all ratings as interactions)", args.repeat
        elif name == "synthetic":
            t = time.perf_counter()
            ds, source = load_synthetic()
            print(f"# synthetic data built in {time.perf_counter() - t:.1f}s from {source}")
            repeat = args.synthetic_repeat
        else:
            sys.exit(f"unknown dataset {name!r}; known: ml-100k, synthetic")
        for model in MODELS:
            res = bench(ds, model, repeat)
            res.update(data=name, n_users=ds.n_users, n_items=ds.n_items, nnz=len(ds), repeat=repeat)
            rows.append(res)
            print(f"# {name} {model}: reclite runs {[round(x, 3) for x in res['runs_r']]}, "
                  f"implicit runs {[round(x, 3) for x in res['runs_i']]}", flush=True)
    print()
    head = (f"{'task':<20} {'n_users':>7} {'n_items':>7} {'nnz':>10} {'reclite (s)':>12} {'implicit (s)':>13} "
            f"{'ratio':>6} {'min/min':>8} {'reclite own work (s)':>20} {'own/implicit':>13}")
    print(head)
    print("-" * len(head))
    for r in rows:
        ratio = r["reclite"] / r["implicit"]
        rmin = r["reclite_min"] / r["implicit_min"]
        print(f"{r['model'] + ' fit, ' + r['data']:<20} {r['n_users']:>7,} {r['n_items']:>7,} {r['nnz']:>10,} "
              f"{r['reclite']:>12.3f} {r['implicit']:>13.3f} {ratio:>6.3f} {rmin:>8.3f} {r['own']:>20.4f} "
              f"{100 * r['own'] / r['implicit_min']:>12.2f}%")
    print("# reclite / implicit: medians of the runs; min/min: ratio of the fastest runs; own work: the fit "
          "with implicit's fit stubbed out (best of 7), as a share of implicit's fastest fit")
    for name, (_, _, params) in MODELS.items():
        print(f"# {name} parameters: {params}, random_state=0, num_threads=0, binary confidence, alpha=1")


if __name__ == "__main__":
    main()
