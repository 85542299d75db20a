"""ItemKNN and UserKNN on the movie competition's shape: fit and recommend-all, both pruning directions.

For each model and ``prune`` direction (``k_neighbors=100``, the other parameters at their
defaults) two tasks are timed with :func:`_harness.compare` (one untimed warm-up each, then
``--repeat`` alternating runs; wall seconds as median with the spread min-max, and the
median process CPU seconds, which other jobs on a shared machine disturb less):

- **fit** -- ``Model(...).fit(ds)``: building the confidence matrix and the neighbour lists
  (ItemKNN: items x items; UserKNN: users x users, computed once at fit);
- **recommend-all** -- ``model.recommend_indices(k=10)``: the top 10 for every user, training
  items removed.

The last line is the ratio the issue asks about: UserKNN's recommend-all over ItemKNN's,
same direction, same run. Run with an older reclite (``PYTHONPATH=path/to/old/checkout``)
to get the "before" numbers: a model without ``prune`` is timed once, at its only behaviour.

Data: ``reclite.synthetic_dataset(31_360, 6_807, 5_150_000, random_state=0)``.

Run from the repository root::

    python benchmarks/bench_knn.py              # median of 5
    python benchmarks/bench_knn.py --repeat 3 --scale 0.25
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import compare, load_now, machine_line  # noqa: E402


def spread(times: list[float]) -> str:
    return f"{np.median(times):.2f} ({min(times):.2f}-{max(times):.2f})"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the users and interactions")
    ap.add_argument("--k-neighbors", type=int, default=100)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    import reclite

    t0 = time.perf_counter()
    ds = reclite.synthetic_dataset(int(round(31_360 * args.scale)), 6_807, int(round(5_150_000 * args.scale)),
                                   random_state=0)
    print(f"# data: synthetic_dataset: {ds.n_users:,} users x {ds.n_items:,} items, {len(ds):,} interactions "
          f"(built in {time.perf_counter() - t0:.1f} s)")
    print(f"# {machine_line()}")
    print(f"# median (min-max) of {args.repeat} runs, wall seconds; k_neighbors={args.k_neighbors}; "
          f"reclite from {Path(reclite.__file__).resolve().parent}")

    small = reclite.synthetic_dataset(500, 300, 8_000, random_state=1)
    results = {}
    for cls in (reclite.ItemKNN, reclite.UserKNN):
        prunes = ["source", "target"] if "prune" in cls().get_params() else [None]
        for prune in prunes:
            params = {"k_neighbors": args.k_neighbors} | ({"prune": prune} if prune else {})
            cls(**params).fit(small).recommend_indices(k=10)  # compile the kernels
            fitted = {}

            def fit(cls=cls, params=params, fitted=fitted):
                fitted["model"] = cls(**params).fit(ds)

            fit()

            def recommend_all(fitted=fitted):
                return fitted["model"].recommend_indices(k=10)

            load = load_now()
            m = compare({"fit": fit, "recommend-all": recommend_all}, repeat=args.repeat, warmup=0,
                        measure_memory=False)
            results[cls.__name__, prune or "-"] = (m["fit"].times, m["recommend-all"].times, load,
                                                   m["fit"].cpu, m["recommend-all"].cpu)
            print(f"  done: {cls.__name__} prune={prune or '-'} (load {load})", flush=True)

    print(f"\n{'model':8s} {'prune':7s} {'fit s':>20s} {'recommend-all s':>20s} {'fit cpu s':>10s} "
          f"{'rec-all cpu s':>13s} {'load':>5s}")
    for (name, prune), (fit_t, rec_t, load, fit_c, rec_c) in results.items():
        print(f"{name:8s} {prune:7s} {spread(fit_t):>20s} {spread(rec_t):>20s} {np.median(fit_c):>10.2f} "
              f"{np.median(rec_c):>13.2f} {load:>5s}")
    print()
    for prune in ["source", "target", "-"]:
        if ("ItemKNN", prune) in results and ("UserKNN", prune) in results:
            item, user = results["ItemKNN", prune], results["UserKNN", prune]
            ratio = np.median(user[1]) / np.median(item[1])
            cpu_ratio = np.median(user[4]) / np.median(item[4])
            total = (np.median(user[0]) + np.median(user[1])) / (np.median(item[0]) + np.median(item[1]))
            print(f"prune={prune}: UserKNN / ItemKNN recommend-all {ratio:.2f}x wall, {cpu_ratio:.2f}x cpu; "
                  f"fit + recommend-all {total:.2f}x wall")
    if ("ItemKNN", "-") not in results and ("ItemKNN", "source") in results and ("UserKNN", "target") in results:
        ratio = np.median(results["UserKNN", "target"][1]) / np.median(results["ItemKNN", "source"][1])
        print(f"UserKNN(target) / ItemKNN(source) recommend-all {ratio:.2f}x (each model's behaviour before prune)")


if __name__ == "__main__":
    main()
