"""Fit (and recommend-all) times of reclite's models beside a peer doing the same thing.

Rows (each a :class:`Row`: a task, reclite's callable, the peer's callable; add rows to
``rows()`` to extend the table, e.g. ALS/BPR beside implicit):

- **EASE fit** -- ``reclite.EASE(l2=500, dtype=...).fit(ds)`` (Gram matrix by a numba kernel,
  Cholesky ``potrf`` + ``potri`` in place) beside the textbook NumPy EASE
  (Steck 2019's listing): ``G = (C.T @ C).toarray(); G += l2 I; P = numpy.linalg.inv(G);
  B = P / -diag(P)`` on the already-built confidence matrix ``C``. Target: reclite at
  most half the peer's time (ratio <= 0.5).
- **ItemKNN fit / recommend-all** -- ``reclite.ItemKNN(k_neighbors=100, prune="source", shrinkage=0)``
  (implicit's direction: each item keeps its own 100 nearest) beside implicit's
  ``CosineRecommender(K=101)`` (implicit counts the item itself among its K
  neighbours: same similarities), and ``ItemKNN(weighting="bm25")`` beside
  ``BM25Recommender(K=101, K1=1.2, B=0.75)`` (reclite's bm25 is the cosine of BM25-weighted
  vectors, implicit's the plain BM25 dot product: same work, slightly different
  similarities). Recommend-all: top 10 for every user with seen items removed --
  ``model.recommend_indices(k=10)`` beside ``peer.recommend(all_users, C, N=10)``.
  Target: ratio <= 1.5.

reclite's times include everything a user pays (building the confidence matrix from
the Dataset); the peer gets ``C`` (users x items ``csr_matrix``, float32, ``1 + alpha``
per entry) for free. Each time is the median of ``--repeat`` runs; reclite and the peer
alternate so that load from other jobs hits both alike; every callable runs once on
small data first (numba compilation and thread start-up are not timed). ``ratio`` is
reclite / peer of the medians (below 1: reclite is faster); beside each median is its
min-max over the runs, and ``per-round ratio`` the range of reclite / peer within each
round (the two measured back to back, so the load was about the same).

Data: ``reclite.synthetic_dataset(31_360, 6_807, 5_150_000, random_state=0)`` (the movie
competition's shape; 6,807 items); when that generator is missing, a seeded
long-tailed random matrix of the same shape.

Run from the repository root::

    python benchmarks/bench_fit.py                  # every row, median of 5
    python benchmarks/bench_fit.py --repeat 5 --only ease
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import print_table  # noqa: E402

SHAPE = (31_360, 6_807, 5_150_000)


@dataclass
class Row:
    """One line of the table: ``reclite()`` and ``peer()`` each do the task once."""

    task: str
    reclite: Callable[[], object]
    peer_name: str
    peer: Callable[[], object]


def synthetic(shape=SHAPE, seed: int = 0):
    """The movie-competition-shaped Dataset."""
    import reclite

    return reclite.synthetic_dataset(*shape, random_state=seed), "synthetic_dataset"


def numpy_ease(C: sp.csr_matrix, l2: float) -> np.ndarray:
    """Steck's listing: a general inverse of the dense Gram matrix."""
    G = (C.T @ C).toarray().astype(np.float64)
    G[np.diag_indices(G.shape[0])] += l2
    P = np.linalg.inv(G)
    B = P / (-np.diag(P))
    B[np.diag_indices(G.shape[0])] = 0.0
    return B


def rows(ds, C: sp.csr_matrix) -> list[Row]:
    from implicit.nearest_neighbours import BM25Recommender, CosineRecommender

    import reclite

    users = np.arange(C.shape[0])
    out = [
        Row("EASE fit (l2=500, float64)", lambda: reclite.EASE(l2=500.0, dtype="float64").fit(ds),
            "numpy.linalg.inv EASE", lambda: numpy_ease(C, 500.0)),
        Row("EASE fit (l2=500, float32, the default)", lambda: reclite.EASE(l2=500.0).fit(ds),
            "numpy.linalg.inv EASE", lambda: numpy_ease(C, 500.0)),
    ]
    for label, params, Peer, peer_kw in [
        ("cosine", {}, CosineRecommender, {}),
        ("bm25", {"weighting": "bm25"}, BM25Recommender, {"K1": 1.2, "B": 0.75}),
    ]:
        fitted: dict[str, object] = {}

        def fit_ours(params=params, fitted=fitted):
            fitted["ours"] = reclite.ItemKNN(k_neighbors=100, prune="source", shrinkage=0.0, **params).fit(ds)

        def fit_peer(Peer=Peer, peer_kw=peer_kw, fitted=fitted):
            model = Peer(K=101, **peer_kw)
            model.fit(C, show_progress=False)
            fitted["peer"] = model

        out += [
            Row(f"ItemKNN fit ({label}, k=100)", fit_ours, f"implicit {Peer.__name__}", fit_peer),
            Row(f"ItemKNN recommend-all ({label}, k=10)",
                lambda fitted=fitted: fitted["ours"].recommend_indices(k=10),
                f"implicit {Peer.__name__}",
                lambda fitted=fitted: fitted["peer"].recommend(users, C, N=10)),
        ]
    return out


def wall_time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    import reclite

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", help="run only rows whose task contains this text (e.g. ease, knn)")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")

    start = time.perf_counter()
    ds, source = synthetic()
    C = reclite.build_confidence(ds, "binary")
    print(f"# data: {source}: {ds.n_users:,} users x {ds.n_items:,} items, {len(ds):,} interactions "
          f"(built in {time.perf_counter() - start:.1f} s)")
    print(f"# machine: {platform.machine()}, {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}; "
          f"median of {args.repeat}; reclite {reclite.__version__}")

    small, _ = synthetic((2_000, 500, 40_000), seed=1)
    C_small = reclite.build_confidence(small, "binary")
    for row in rows(small, C_small):  # warm-up: compile numba kernels, start thread pools
        row.reclite()
        row.peer()

    table = []
    for row in rows(ds, C):
        if args.only and args.only.lower() not in row.task.lower():
            continue
        ours, peer = [], []
        for _ in range(args.repeat):
            ours.append(wall_time(row.reclite))
            peer.append(wall_time(row.peer))
        r, p = statistics.median(ours), statistics.median(peer)
        rounds = [a / b for a, b in zip(ours, peer, strict=True)]  # each round: the two back to back
        table.append((row.task, r, f"{min(ours):.2f}-{max(ours):.2f}", row.peer_name, p,
                      f"{min(peer):.2f}-{max(peer):.2f}", r / p, f"{min(rounds):.2f}-{max(rounds):.2f}"))
        print(f"  done: {row.task}", flush=True)

    print()
    print_table(["task", "reclite s", "min-max", "peer", "peer s", "min-max", "ratio", "per-round ratio"],
                table, digits=2)


if __name__ == "__main__":
    main()
