"""Full-ranking evaluation: reclite.evaluate beside implicit.evaluation.ranking_metrics_at_k.

Both rank every item for every test user (training items excluded) with the *same*
factors and score the top 10 against the same test set:

- **implicit**: ``implicit.evaluation.ranking_metrics_at_k(als, train, test, K=10)`` on an
  ``implicit.cpu.als.AlternatingLeastSquares`` model; it returns precision (really a
  micro-averaged calibrated recall), map, ndcg and auc. Run inside
  ``threadpool_limits(1, "blas")`` as implicit itself recommends (its own threads:
  ``num_threads=0``, all cores).
- **reclite**: ``reclite.evaluate(model, train, test, k=10, max_memory="1GB")`` computing
  all ten metrics (ndcg, recall, calibrated_recall, precision, map, mrr, hit_rate,
  coverage, novelty, popularity); ``model`` is a benchmark-local Recommender whose
  ``_score`` is ``user_factors[u] @ item_factors.T`` with implicit's factors (numba
  threads for top-K and metrics, OpenBLAS threads for the scores, never both at once).

Data and split: ``reclite.split.random_holdout(ds, 0.2, random_state=0)`` of

- (a) MovieLens 100K (``RECLITE_DATA`` or ``../shared/data``), ALS fitted by implicit
  (factors=64, iterations=5, random_state=0);
- (b) the movie competition's shape, ``reclite.synthetic_dataset(31_360, 6_807,
  5_150_000, random_state=0)``, ALS fitted as in (a);
- (c) ``--scale full`` only: the ML-20M shape, ``synthetic_dataset(138_000, 27_000,
  20_000_000, random_state=0)``. An ALS fit at this size takes minutes on 2 cores and
  the evaluation cost does not depend on the factors' quality, so (c) uses seeded random
  Gaussian factors (64 dimensions) for both libraries.

Each time is the median of ``--repeat`` runs after one untimed warm-up (numba
compilation excluded); reclite and implicit alternate. Memory is the peak growth of
the process's resident set during a call (sampled every 1 ms; see ``_harness.py``).
(c) runs each library once, without a warm-up of its own (the kernels are already
compiled by then); ``--no-peer-c`` skips implicit there (it takes minutes).

Run from the repository root::

    python benchmarks/bench_evaluate.py                      # (a) and (b), 3 repeats
    python benchmarks/bench_evaluate.py --scale full --repeat 3
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import compare, data_dir, load_now, machine_line, print_table  # noqa: E402

import reclite  # noqa: E402
from reclite.models.base import Recommender  # noqa: E402


class Factors(Recommender):
    """Scores from given factors: ``user_factors[u] @ item_factors.T`` (benchmark only)."""

    def __init__(self, *, user_factors=None, item_factors=None) -> None:
        self.user_factors = user_factors
        self.item_factors = item_factors

    def _fit(self, C, data):
        self.user_factors_ = np.ascontiguousarray(self.user_factors, dtype=np.float32)
        self.item_factors_ = np.ascontiguousarray(self.item_factors, dtype=np.float32)

    def _score(self, user_idx, rows):
        return self.user_factors_[user_idx] @ self.item_factors_.T


# ---------------------------------------------------------------------- data
def synthetic(n_users: int, n_items: int, n_interactions: int) -> tuple[reclite.Dataset, str]:
    start = time.perf_counter()
    ds = reclite.synthetic_dataset(n_users, n_items, n_interactions, random_state=0)
    return ds, f"reclite.synthetic_dataset(random_state=0), generated in {time.perf_counter() - start:.1f} s"


def ml100k() -> tuple[reclite.Dataset, str] | None:
    base = data_dir()
    if base is None or not (base / "ml-100k").is_dir():
        return None
    return reclite.read_movielens(base / "ml-100k"), f"MovieLens 100K from {base / 'ml-100k'}"


# ---------------------------------------------------------------------- one case
def run_case(tag: str, ds: reclite.Dataset, source: str, *, repeat: int, k: int, max_memory: str,
             fit_als: bool, peer: bool, warmup: int) -> list[list]:
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.evaluation import ranking_metrics_at_k
    from threadpoolctl import threadpool_limits

    print(f"\n{tag}: {ds!r}\n    {source}", flush=True)
    start = time.perf_counter()
    train, test = reclite.split.random_holdout(ds, 0.2, random_state=0)
    split_s = time.perf_counter() - start
    train_csr = train.matrix()
    train_csr.data[:] = 1.0
    test_csr = test.matrix()
    n_test_users = int(np.count_nonzero(np.diff(test_csr.indptr)))
    print(f"    split random_holdout(0.2, random_state=0) in {split_s:.2f} s: train {len(train):,}, "
          f"test {len(test):,} interactions, {n_test_users:,} test users", flush=True)
    als = AlternatingLeastSquares(factors=64, iterations=5, regularization=0.05, random_state=0)
    if fit_als:
        start = time.perf_counter()
        with threadpool_limits(1, "blas"):
            als.fit(sp.csr_matrix(train_csr), show_progress=False)
        print(f"    implicit ALS fit (factors=64, iterations=5, random_state=0): "
              f"{time.perf_counter() - start:.1f} s", flush=True)
    else:
        rng = np.random.default_rng(0)
        als.user_factors = (rng.standard_normal((ds.n_users, 64)) * 0.1).astype(np.float32)
        als.item_factors = (rng.standard_normal((ds.n_items, 64)) * 0.1).astype(np.float32)
        print("    random Gaussian factors (64 dimensions, seed 0) for both libraries", flush=True)
    model = Factors(user_factors=als.user_factors, item_factors=als.item_factors).fit(train)

    def run_reclite():
        return reclite.evaluate(model, train, test, k=k, max_memory=max_memory)

    def run_implicit():
        with threadpool_limits(1, "blas"):
            return ranking_metrics_at_k(als, train_csr, test_csr, K=k, show_progress=False)

    fns = {"reclite": run_reclite}
    if peer:
        fns["implicit"] = run_implicit
    res = compare(fns, repeat=repeat, warmup=warmup)
    r = res["reclite"]
    i = res.get("implicit")
    summary = r.result
    print(f"    wall s: reclite {[round(t, 2) for t in r.times]}"
          + (f", implicit {[round(t, 2) for t in i.times]}" if i else "")
          + f"; load average now {load_now()}", flush=True)
    nan = float("nan")

    def ratio(a: float, b: float) -> float:
        return b / a if i else nan

    rows = [
        [f"{tag} full-rank eval@{k} wall (s)", ds.n_users, ds.n_items, n_test_users, r.median,
         i.median if i else nan, ratio(r.median, i.median if i else nan)],
        [f"{tag} full-rank eval@{k} CPU, all threads (s)", "", "", "", r.cpu_median,
         i.cpu_median if i else nan, ratio(r.cpu_median, i.cpu_median if i else nan)],
        [f"{tag} peak RSS growth (MB)", "", "", "", r.peak_rss_mb, i.peak_rss_mb if i else nan, ""],
        [f"{tag} peak traced NumPy memory (MB)", "", "", "", r.peak_traced_mb,
         i.peak_traced_mb if i else nan, ""],
        [f"{tag} metrics computed", "", "", "", 10, 4 if i else "-", ""],
        [f"{tag} ndcg@{k}", "", "", "", float(summary["ndcg"].iloc[0]), i.result["ndcg"] if i else nan, ""],
    ]
    if i:
        cal = float(summary["calibrated_recall"].iloc[0])
        rows.append([f"{tag} map@{k}", "", "", "", float(summary["map"].iloc[0]), i.result["map"], ""])
        rows.append([f"{tag} calibrated_recall@{k} | implicit 'precision'", "", "", "", cal,
                     i.result["precision"], ""])
    budget = reclite._validation.parse_memory(max_memory) / 2**20
    peak = max(r.peak_rss_mb, r.peak_traced_mb)
    print(f"    reclite peak memory growth {peak:,.0f} MB vs max_memory {budget:,.0f} MB "
          f"({'within' if peak <= budget else 'OVER'} budget)", flush=True)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", choices=["small", "full"], default="small",
                   help="small: (a) ml-100k and (b) competition shape; full: also (c) the ML-20M shape")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per library (median reported)")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--max-memory", default="1GB")
    p.add_argument("--no-peer-c", action="store_true", help="skip implicit on (c) (it takes minutes)")
    args = p.parse_args()

    print(machine_line())
    print("threads: reclite = numba (top-K, metrics) and OpenBLAS (scores), one after the other; "
          "implicit = its own threads (num_threads=0) with OpenBLAS limited to 1, as it recommends")
    rows: list[list] = []
    got = ml100k()
    if got is None:
        print("\n(a) skipped: MovieLens 100K not found (set RECLITE_DATA)")
    else:
        rows += run_case("(a) ml-100k", *got, repeat=args.repeat, k=args.k, max_memory=args.max_memory,
                         fit_als=True, peer=True, warmup=1)
    ds, how = synthetic(31_360, 6_807, 5_150_000)
    rows += run_case("(b) competition shape", ds, how, repeat=args.repeat, k=args.k,
                     max_memory=args.max_memory, fit_als=True, peer=True, warmup=1)
    del ds
    if args.scale == "full":
        ds, how = synthetic(138_000, 27_000, 20_000_000)
        rows += run_case("(c) ML-20M shape", ds, how, repeat=1, k=args.k, max_memory=args.max_memory,
                         fit_als=False, peer=not args.no_peer_c, warmup=0)
        del ds
    print()
    print_table(["task", "n_users", "n_items", "test users", "reclite", "implicit", "ratio"], rows, digits=3)
    print("ratio = implicit / reclite (higher: reclite faster). reclite computes 10 metrics, implicit 4 "
          "(precision, map, ndcg, auc). calibrated_recall is a per-user mean; implicit's 'precision' is "
          "the same ratio micro-averaged (sum of hits / sum of min(k, |test|)), so they differ.")


if __name__ == "__main__":
    main()
