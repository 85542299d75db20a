"""Full-ranking evaluation beside its floor, the bare factor product, and beside implicit.

Every contender ranks every item for every user with the *same* factors (64 dimensions):

- **FLOOR**: the bare product ``U @ V.T`` of all user and item factors in blocks of users
  written into one reused buffer (``np.matmul(U[block], V.T, out=buf)``, OpenBLAS with its
  own threads), nothing else: no top-k, no exclusions, no metrics. Three block sizes are
  timed (16, 64 and 256 MB of float32 scores per block); the floor is the best median.
- **evaluate**: ``reclite.evaluate(model, train, test, k=10, max_memory="1GB")``, all ten
  metrics (ndcg, recall, calibrated_recall, precision, map, mrr, hit_rate, coverage,
  novelty, popularity), where ``model`` is a ``reclite.ALS`` whose factors are replaced by
  the ones below (so the ALS scoring path is what is measured).
- **rank test users**: ``model.recommend_indices(test_users, 10, max_memory="1GB")``, the
  ranking inside ``evaluate`` (scores, training items excluded, top-k); evaluate minus
  this is the metrics and bookkeeping.
- **recommend_indices, all users**: ``model.recommend_indices(None, 10, max_memory="1GB")``.
- **implicit**: ``implicit.evaluation.ranking_metrics_at_k(als, train, test, K=10)`` on an
  ``implicit.cpu.als.AlternatingLeastSquares`` holding the same factors (precision -- really
  a micro-averaged calibrated recall --, map, ndcg, auc), inside
  ``threadpool_limits(1, "blas")`` as implicit recommends (its own threads: all cores).

Threads: reclite ranks a factor model in one thread per numba thread, each scoring a
cache-sized block of users with one BLAS thread and ranking it at once with the serial
top-k kernel (``Recommender._score_threadsafe``); the FLOOR uses BLAS's own threads.

Data and split: ``reclite.split.random_holdout(ds, 0.2, random_state=0)`` of

- (a) MovieLens 100K (``RECLITE_DATA`` or ``../shared/data``), ALS fitted by implicit
  (factors=64, iterations=5, regularization=0.05, random_state=0);
- (b) the movie competition's shape, ``reclite.synthetic_dataset(31_360, 6_807,
  5_150_000, random_state=0)``, ALS fitted as in (a);
- (c) ``--scale full`` only: the ML-20M shape, ``synthetic_dataset(138_000, 27_000,
  20_000_000, random_state=0)`` with seeded random Gaussian factors (an ALS fit at this
  size takes minutes on 2 cores, and the ranking cost does not depend on factor quality).

Targets (issue 10): on (b) evaluate within 2x of the FLOOR and at least 4x faster than
implicit; on (c) evaluate within 1.5x of the FLOOR. Each time is the median of
``--repeat`` runs (``--repeat-c`` on (c)) after one untimed warm-up (numba compilation
excluded; none on (c), where everything is compiled already), shown as
``median [fastest-slowest]``; the contenders alternate within each round, so load from
other jobs on a shared machine hits each alike, and every ratio compares times of the
same run. Memory is the peak growth of the process's resident set during one more call
(sampled every 1 ms; see ``_harness.py``).

Run from the repository root::

    python benchmarks/bench_evaluate.py                          # (a) and (b), 5 repeats
    python benchmarks/bench_evaluate.py --scale full --repeat-c 3  # also (c)
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import compare, data_dir, load_now, machine_line, print_table  # noqa: E402

import reclite  # noqa: E402

FLOOR_BLOCK_MB = (16, 64, 256)


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


def als_with_factors(train: reclite.Dataset, user_factors: np.ndarray, item_factors: np.ndarray) -> reclite.ALS:
    """A fitted ``reclite.ALS`` (zero iterations) whose factors are replaced by the given ones."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = reclite.ALS(factors=user_factors.shape[1], iterations=0, random_state=0).fit(train)
    model.user_factors_ = np.ascontiguousarray(user_factors, dtype=np.float32)
    model.item_factors_ = np.ascontiguousarray(item_factors, dtype=np.float32)
    return model


def floor_product(U: np.ndarray, V: np.ndarray, rows: int):
    """The bare blocked product: every user's scores, ``rows`` users at a time, one buffer."""
    buf = np.empty((min(rows, len(U)), len(V)), dtype=np.float32)
    Vt = V.T

    def run() -> None:
        for start in range(0, len(U), rows):
            stop = min(start + rows, len(U))
            np.matmul(U[start:stop], Vt, out=buf[:stop - start])

    return run


# ---------------------------------------------------------------------- one case
def run_case(tag: str, ds: reclite.Dataset, source: str, *, repeat: int, k: int, max_memory: str,
             fit_als: bool, peer: bool, warmup: int) -> tuple[list[list], dict[str, float]]:
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
    test_users = np.flatnonzero(np.diff(test_csr.indptr)).astype(np.int32)
    print(f"    split random_holdout(0.2, random_state=0) in {split_s:.2f} s: train {len(train):,}, "
          f"test {len(test):,} interactions, {len(test_users):,} test users", flush=True)
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
    model = als_with_factors(train, als.user_factors, als.item_factors)
    U, V = model.user_factors_, model.item_factors_

    fns = {}
    floor_rows = {}
    for mb in FLOOR_BLOCK_MB:
        rows = min(ds.n_users, max(1, mb * 2**20 // (ds.n_items * 4)))
        if rows in floor_rows.values():
            continue
        floor_rows[f"FLOOR {mb} MB blocks"] = rows
        fns[f"FLOOR {mb} MB blocks"] = floor_product(U, V, rows)
    fns["evaluate"] = lambda: reclite.evaluate(model, train, test, k=k, max_memory=max_memory)
    fns["rank test users"] = lambda: model.recommend_indices(test_users, k, max_memory=max_memory)
    fns["recommend_indices all"] = lambda: model.recommend_indices(None, k, max_memory=max_memory)
    if peer:
        def run_implicit():
            with threadpool_limits(1, "blas"):
                return ranking_metrics_at_k(als, train_csr, test_csr, K=k, show_progress=False)

        fns["implicit"] = run_implicit
    res = compare(fns, repeat=repeat, warmup=warmup,
                  measure_memory={"evaluate", "recommend_indices all", "implicit"})
    floors = {name: res[name] for name in floor_rows}
    best = min(floors, key=lambda name: floors[name].median)
    floor = floors[best].median
    for name, m in res.items():
        print(f"    {name:24s} wall s {m.summary(3)}  runs {[round(t, 3) for t in m.times]}  CPU median "
              f"{m.cpu_median:.2f} s", flush=True)
    print(f"    FLOOR = {best} ({floor_rows[best]:,} users per block); load average now {load_now()}",
          flush=True)

    ev, rank, rec = res["evaluate"], res["rank test users"], res["recommend_indices all"]
    imp = res.get("implicit")
    nan = float("nan")
    rows: list[list] = []
    for mb_name, m in floors.items():
        rows.append([f"{tag} {mb_name}", m.summary(3), m.median / floor, ""])
    rows.append([f"{tag} evaluate@{k} (10 metrics)", ev.summary(3), ev.median / floor,
                 imp.median / ev.median if imp else nan])
    rows.append([f"{tag}   ranking inside evaluate", rank.summary(3), rank.median / floor, ""])
    rows.append([f"{tag} recommend_indices, all users", rec.summary(3), rec.median / floor, ""])
    if imp:
        rows.append([f"{tag} implicit ranking_metrics_at_k (4)", imp.summary(3), imp.median / floor, 1.0])
    summary = ev.result
    print(f"    where evaluate's time goes (medians): ranking {rank.median:.3f} s ({rank.median / floor:.2f}x "
          f"the FLOOR), metrics and bookkeeping {max(ev.median - rank.median, 0):.3f} s", flush=True)
    print(f"    ndcg@{k}: reclite {float(summary['ndcg'].iloc[0]):.4f}"
          + (f", implicit {imp.result['ndcg']:.4f}; map@{k}: reclite {float(summary['map'].iloc[0]):.4f}, "
             f"implicit {imp.result['map']:.4f}" if imp else ""), flush=True)
    budget = reclite._validation.parse_memory(max_memory) / 2**20
    print(f"    peak RSS growth: evaluate {ev.peak_rss_mb:,.0f} MB, recommend_indices all {rec.peak_rss_mb:,.0f} MB"
          + (f", implicit {imp.peak_rss_mb:,.0f} MB" if imp else "")
          + f" (max_memory {budget:,.0f} MB)", flush=True)
    ratios = {"eval/floor": ev.median / floor, "implicit/eval": imp.median / ev.median if imp else nan}
    return rows, ratios


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", choices=["small", "full"], default="small",
                   help="small: (a) ml-100k and (b) competition shape; full: also (c) the ML-20M shape")
    p.add_argument("--repeat", type=int, default=5, help="timed runs per contender on (a) and (b)")
    p.add_argument("--repeat-c", type=int, default=5, help="timed runs per contender on (c)")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--max-memory", default="1GB")
    p.add_argument("--no-peer-c", action="store_true", help="skip implicit on (c)")
    args = p.parse_args()

    print(machine_line())
    rows: list[list] = []
    checks: list[str] = []
    got = ml100k()
    if got is None:
        print("\n(a) skipped: MovieLens 100K not found (set RECLITE_DATA)")
    else:
        r, _ = run_case("(a) ml-100k", *got, repeat=args.repeat, k=args.k, max_memory=args.max_memory,
                        fit_als=True, peer=True, warmup=1)
        rows += r
    ds, how = synthetic(31_360, 6_807, 5_150_000)
    r, ratios = run_case("(b) competition", ds, how, repeat=args.repeat, k=args.k, max_memory=args.max_memory,
                         fit_als=True, peer=True, warmup=1)
    rows += r
    checks.append(f"(b) evaluate / FLOOR = {ratios['eval/floor']:.2f} (target <= 2): "
                  f"{'met' if ratios['eval/floor'] <= 2 else 'NOT met'}")
    checks.append(f"(b) implicit / evaluate = {ratios['implicit/eval']:.2f} (target >= 4): "
                  f"{'met' if ratios['implicit/eval'] >= 4 else 'NOT met'}")
    del ds
    if args.scale == "full":
        ds, how = synthetic(138_000, 27_000, 20_000_000)
        r, ratios = run_case("(c) ML-20M shape", ds, how, repeat=args.repeat_c, k=args.k,
                             max_memory=args.max_memory, fit_als=False, peer=not args.no_peer_c, warmup=0)
        rows += r
        checks.append(f"(c) evaluate / FLOOR = {ratios['eval/floor']:.2f} (target <= 1.5): "
                      f"{'met' if ratios['eval/floor'] <= 1.5 else 'NOT met'}")
        del ds
    print()
    print_table(["task", "wall s: median [min-max]", "/ FLOOR", "implicit / this"], rows, digits=2)
    print("FLOOR: the bare blocked product U @ V.T; '/ FLOOR' divides each median by the best FLOOR median of "
          "its case. reclite's evaluate computes 10 metrics, implicit 4.")
    for line in checks:
        print(line)


if __name__ == "__main__":
    main()
