"""Top-10 accuracy of ALS, BPR, LMF and the Surprise models on MovieLens 100K.

Protocol (the Microsoft Recommenders MovieLens benchmark; fixed seeds; nothing is
chosen on the test set):

1. All 100,000 ratings are interactions (binary confidence unless a model's search
   includes ``alpha``). ``train, test = reclite.split.random_holdout(ds, test_size=0.25,
   random_state=0)``: a per-user stratified random 75/25 split.
2. Parameters: a small grid per model, each point fitted on ``fit_part`` and scored by
   ndcg@10 on ``valid``, where ``fit_part, valid = random_holdout(train, test_size=0.25,
   random_state=1)`` -- a validation split carved from the training part only.
3. The best point is refitted on the whole ``train`` and scored once on ``test`` with
   ``reclite.evaluate(model, train, test, k=10, metrics=[ndcg, recall, precision, map])``:
   every item ranked, the user's training items removed. ``map`` divides by
   ``min(k, |T_u|)`` (see ``reclite.metrics``).

Surprise models learn from the rating values (1-5); the implicit models from which
items were rated. Popularity is listed as the floor every model should clear.

This is one dataset's search, for the table; the library's defaults for ALS, BPR and
LMF come from ``benchmarks/accuracy_defaults.py``, which searches four datasets and
takes the point with the best worst case.

Run from the repository root (about 12 minutes on 2 cores)::

    python benchmarks/accuracy_factor.py
    python benchmarks/accuracy_factor.py --models als,bpr --quick     # first grid point only
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

from sklearn.model_selection import ParameterGrid

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import dataset_path  # noqa: E402

K = 10
METRICS = ["ndcg", "recall", "precision", "map"]

# name -> (registry name, fixed parameters, grid searched on the validation split)
SEARCH: dict[str, tuple[str, dict, dict]] = {
    "ALS": ("als", {"iterations": 15, "random_state": 0, "device": "cpu"},
            {"factors": [32, 64, 128], "regularization": [0.05, 1.0, 5.0, 10.0, 20.0, 40.0], "alpha": [1.0, 5.0]}),
    "BPR": ("bpr", {"random_state": 0, "device": "cpu"},
            {"factors": [32, 64, 128], "learning_rate": [0.005, 0.01, 0.02], "regularization": [0.0001, 0.001, 0.01],
             "iterations": [50, 100]}),
    "LMF": ("lmf", {"iterations": 30, "random_state": 0},
            {"factors": [16, 30, 64], "regularization": [0.6, 1.5, 3.0, 6.0], "alpha": [1.0, 5.0]}),
    "Surprise SVD": ("surprise_svd", {"random_state": 0},
                     {"params": [{"n_factors": f, "reg_all": r, "biased": b}
                                 for f in (50, 100, 200) for r in (0.02, 0.1) for b in (True, False)]}),
    "Surprise KNNBaseline": ("surprise_knn", {"max_candidates": None},
                             {"params": [{"k": k, "sim_options": {"name": n, "user_based": False}}
                                         for n in ("pearson_baseline", "msd", "cosine") for k in (20, 40)]}),
    "Popularity": ("pop", {}, {}),
}


def score(model, train, test) -> dict[str, float]:
    import reclite

    table = reclite.evaluate(model, train, test, k=K, metrics=METRICS)
    return {m: float(table[m].iloc[0]) for m in METRICS}


def search(name: str, fit_part, valid, quick: bool) -> tuple[dict, list[tuple[dict, float]]]:
    from reclite.models import registry

    reg_name, fixed, grid = SEARCH[name]
    points = list(ParameterGrid(grid)) if grid else [{}]
    if quick:
        points = points[:1]
    results = []
    for p in points:
        model = registry.create(reg_name, **fixed, **p).fit(fit_part)
        results.append((p, score(model, fit_part, valid)["ndcg"]))
    best = max(results, key=lambda t: t[1])[0]
    return best, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=",".join(SEARCH),
                        help=f"comma-separated, from: {', '.join(SEARCH)} (case-insensitive prefixes)")
    parser.add_argument("--quick", action="store_true", help="first grid point only (a smoke run)")
    args = parser.parse_args()

    import implicit
    import surprise

    import reclite
    from reclite.models import registry

    wanted = [m for m in SEARCH if any(m.lower().startswith(w.strip().lower()) for w in args.models.split(","))]
    print(f"# machine: {platform.machine()}, {os.cpu_count()} cores; reclite {reclite.__version__}, "
          f"implicit {implicit.__version__}, scikit-surprise {surprise.__version__}")
    ds = reclite.read_movielens(dataset_path("ml-100k"))
    train, test = reclite.split.random_holdout(ds, test_size=0.25, random_state=0)
    fit_part, valid = reclite.split.random_holdout(train, test_size=0.25, random_state=1)
    print(f"# ml-100k: {ds.n_users} users, {ds.n_items} items; train {len(train):,}, test {len(test):,}; "
          f"validation: fit {len(fit_part):,}, valid {len(valid):,}")
    final = []
    for name in wanted:
        t0 = time.perf_counter()
        best, results = search(name, fit_part, valid, args.quick)
        t_search = time.perf_counter() - t0
        reg_name, fixed, _ = SEARCH[name]
        print(f"\n## {name}: {len(results)} points on the validation split ({t_search:.0f}s), by ndcg@10:")
        for p, v in sorted(results, key=lambda t: -t[1]):
            print(f"   ndcg@10 {v:.4f}  {p}")
        t0 = time.perf_counter()
        model = registry.create(reg_name, **{**fixed, **best}).fit(train)
        t_fit = time.perf_counter() - t0
        final.append((name, best, fixed, score(model, train, test), t_fit))

    print("\n## test set (ml-100k, 75/25 per-user random split, k=10, seen items removed)\n")
    head = f"| model | {' | '.join(f'{m}@{K}' for m in METRICS)} | fit (s) | parameters (chosen on validation) |"
    print(head)
    print("|" + "---|" * (len(METRICS) + 3))
    for name, best, fixed, res, t_fit in final:
        shown = {k: v for k, v in {**fixed, **best}.items() if k not in ("device",)}
        print(f"| {name} | " + " | ".join(f"{res[m]:.4f}" for m in METRICS) + f" | {t_fit:.1f} | {shown} |")


if __name__ == "__main__":
    main()
