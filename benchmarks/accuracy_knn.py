"""ItemKNN and UserKNN: which pruning direction, and which k_neighbors / shrinkage, by validation.

Each model prunes its neighbour lists one of two ways (``prune``): ``"source"`` keeps each
item's (user's) own k nearest neighbours wherever they send similarity, ``"target"`` scores
each item (user) from its own k nearest only (ItemKNN: implicit vs RecBole / Dacrema et
al.; UserKNN: Dacrema et al.'s UserKNNCF vs the active user's neighbourhood). This script
measures both on several datasets and picks the defaults.

Protocol, per dataset and repeat r (``--repeats``, default 1); nothing is chosen on the test set:

1. ``train, test = reclite.split.random_holdout(ds, test_size=0.2, random_state=r)`` (per user 80/20);
2. ``fit_part, valid = random_holdout(train, test_size=0.2, random_state=1000 + r)``; every
   (model, prune, k_neighbors, shrinkage) of the grid is fitted on ``fit_part`` and scored by
   ndcg@10 on ``valid`` (every item ranked, ``fit_part``'s items excluded);
   (``synthetic`` is large: one repeat whatever ``--repeats`` says);
3. **tuned**: per (dataset, model, prune) the best grid point on validation is refitted on
   ``train`` and scored once on ``test`` (ndcg@10, recall@10, ``train``'s items excluded);
4. **default**: per model, the (prune, k_neighbors, shrinkage) with the highest mean over
   datasets of *relative* validation ndcg@10 (a grid point's ndcg / the dataset's best, so
   each dataset counts alike), refitted on ``train`` and scored on ``test`` everywhere. The
   grid points within ``--tolerance`` (5%) of a dataset's best validation ndcg@10 are "the
   range that worked" there (and on every dataset).

Binary confidence (every interaction 1), cosine without weighting, exponent 1.

Data: ml-100k, ml-latest-small, hetrec2011-lastfm-2k (through ``RECLITE_DATA`` or
``../shared/data``, read by ``reclite.read_dataset``) and ``synthetic``:
``reclite.synthetic_dataset(31_360, 6_807, 5_150_000, random_state=0)`` (the movie
competition's shape; ``--synthetic-scale 0.25`` keeps the items and takes a quarter of the
users and interactions, so the density and the activity per user stay).

Run from the repository root::

    python benchmarks/accuracy_knn.py                                  # every dataset, 1 repeat
    python benchmarks/accuracy_knn.py --datasets ml-100k --k-grid 50,100 --shrink-grid 0,10
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import dataset_path  # noqa: E402

DATASETS = ["ml-100k", "ml-latest-small", "hetrec2011-lastfm-2k", "synthetic"]
MODELS = ["ItemKNN", "UserKNN"]
PRUNES = ["source", "target"]
K_GRID = [25, 50, 100, 200, 400, 800]
SHRINK_GRID = [0.0, 10.0, 50.0, 200.0]
K = 10


def load(name: str, scale: float):
    import reclite

    if name == "synthetic":
        n_users, n_inter = int(round(31_360 * scale)), int(round(5_150_000 * scale))
        return reclite.synthetic_dataset(n_users, 6_807, n_inter, random_state=0)
    return reclite.read_dataset(dataset_path(name))


def scores(model_name: str, prune: str, k: int, shrink: float, fit_on, eval_train, eval_test) -> dict[str, float]:
    import reclite

    model = getattr(reclite, model_name)(k_neighbors=k, shrinkage=shrink, prune=prune).fit(fit_on)
    table = reclite.evaluate(model, eval_train, eval_test, k=K, metrics=["ndcg", "recall"])
    row = table.loc[table["k"] == K].iloc[0]
    return {"ndcg": float(row["ndcg"]), "recall": float(row["recall"])}


def markdown(df: pd.DataFrame, digits: int = 4) -> str:
    cols = list(df.columns)

    def cell(v: object) -> str:
        if isinstance(v, float):
            return "-" if v != v else f"{v:.{digits}f}"
        return str(v)

    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def numbers(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", default=",".join(DATASETS))
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--k-grid", type=numbers, default=K_GRID)
    p.add_argument("--shrink-grid", type=numbers, default=SHRINK_GRID)
    p.add_argument("--repeats", type=int, default=1, help="split seeds 0..R-1 (synthetic: always 1)")
    p.add_argument("--synthetic-scale", type=float, default=1.0)
    p.add_argument("--tolerance", type=float, default=0.05, help="relative ndcg loss that still 'worked'")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    import reclite

    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    grid = [(int(k), float(s)) for k in args.k_grid for s in args.shrink_grid]
    repeats = {d: 1 if d == "synthetic" else args.repeats for d in datasets}  # synthetic: large, one repeat
    print("# ItemKNN / UserKNN: pruning direction and defaults by validation (binary confidence, cosine)")
    print(f"# reclite {reclite.__version__}, numpy {np.__version__}, python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} cpus")
    print(f"# grid: k_neighbors {[int(g) for g in args.k_grid]}, shrinkage {args.shrink_grid}; repeats {args.repeats}; "
          f"synthetic scale {args.synthetic_scale:g}")

    splits: dict[tuple[str, int], tuple] = {}
    sweep = []
    for name in datasets:
        t0 = time.perf_counter()
        ds = load(name, args.synthetic_scale)
        print(f"\n## {name}: {ds.n_users:,} users x {ds.n_items:,} items, {len(ds):,} interactions", flush=True)
        for r in range(repeats[name]):
            train, test = reclite.split.random_holdout(ds, test_size=0.2, random_state=r)
            fit_part, valid = reclite.split.random_holdout(train, test_size=0.2, random_state=1000 + r)
            splits[name, r] = (train, test)
            for m in models:
                for prune in PRUNES:
                    for k, s in grid:
                        v = scores(m, prune, k, s, fit_part, fit_part, valid)["ndcg"]
                        sweep.append({"dataset": name, "repeat": r, "model": m, "prune": prune, "k": k,
                                      "shrink": s, "valid": v})
                    best = max((x for x in sweep if (x["dataset"], x["repeat"], x["model"], x["prune"])
                                == (name, r, m, prune)), key=lambda x: x["valid"])
                    print(f"  repeat {r} {m:7s} {prune:6s}: best on validation k={best['k']} "
                          f"shrinkage={best['shrink']:g} ndcg@10={best['valid']:.4f}", flush=True)
        print(f"  ({time.perf_counter() - t0:.0f} s)", flush=True)

    sw = pd.DataFrame(sweep)
    valid = sw.groupby(["dataset", "model", "prune", "k", "shrink"], sort=False)["valid"].mean().reset_index()
    valid["rel"] = valid["valid"] / valid.groupby(["dataset", "model"])["valid"].transform("max")

    # defaults: best mean relative validation ndcg over the datasets, per model
    defaults = {}
    worked = []
    for m in models:
        g = valid[valid["model"] == m]
        mean_rel = g.groupby(["prune", "k", "shrink"])["rel"].mean()
        defaults[m] = mean_rel.idxmax()
        for prune in PRUNES:
            gp = g[g["prune"] == prune]
            for name in datasets + ["every dataset"]:
                rel = gp.groupby(["k", "shrink"])["rel"].min() if name == "every dataset" else \
                    gp[gp["dataset"] == name].set_index(["k", "shrink"])["rel"]
                ok = rel[rel >= 1.0 - args.tolerance].reset_index()
                worked.append({"model": m, "prune": prune, "dataset": name, "grid points": len(ok),
                               "k_neighbors": ",".join(str(k) for k in sorted(ok["k"].unique())) or "-",
                               "shrinkage": ",".join(f"{v:g}" for v in sorted(ok["shrink"].unique())) or "-",
                               "best relative": float(rel.max())})

    rows = []
    for name in datasets:
        for m in models:
            for prune in PRUNES:
                tuned, at_default = [], []
                for r in range(repeats[name]):
                    train, test = splits[name, r]
                    g = sw[(sw["dataset"] == name) & (sw["repeat"] == r) & (sw["model"] == m) & (sw["prune"] == prune)]
                    b = g.loc[g["valid"].idxmax()]
                    tuned.append(scores(m, prune, int(b["k"]), float(b["shrink"]), train, train, test)
                                 | {"k": int(b["k"]), "shrink": float(b["shrink"])})
                    _, dk, ds_ = defaults[m]
                    at_default.append(scores(m, prune, int(dk), float(ds_), train, train, test))
                rows.append({"dataset": name, "model": m, "prune": prune,
                             "tuned k, shrinkage": "; ".join(f"{t['k']}, {t['shrink']:g}" for t in tuned),
                             "tuned ndcg@10": np.mean([t["ndcg"] for t in tuned]),
                             "tuned recall@10": np.mean([t["recall"] for t in tuned]),
                             "default-config ndcg@10": np.mean([t["ndcg"] for t in at_default]),
                             "default-config recall@10": np.mean([t["recall"] for t in at_default])})
                print(f"  test {name} {m} {prune} done", flush=True)

    print("\n### Test metrics per direction (tuned: k_neighbors, shrinkage chosen on validation; "
          "default-config: each model's chosen default k_neighbors, shrinkage, with this prune)\n")
    print(markdown(pd.DataFrame(rows)))
    print("\n### Chosen defaults (best mean relative validation ndcg@10 over the datasets)\n")
    for m, (prune, k, s) in defaults.items():
        print(f"- {m}: prune={prune!r}, k_neighbors={k}, shrinkage={s:g}")
    print(f"\n### The range that worked: grid points within {args.tolerance:.0%} of the dataset's best validation "
          "ndcg@10 (either direction); 'every dataset': on all of them\n")
    print(markdown(pd.DataFrame(worked)))
    wide = valid.pivot_table(index=["model", "prune", "k", "shrink"], columns="dataset", values="valid",
                             sort=False).reset_index()
    wide["k"] = wide["k"].map(str)
    wide["shrink"] = wide["shrink"].map(lambda v: f"{v:g}")
    print("\n### Validation ndcg@10 over the grid\n")
    print(markdown(wide))


if __name__ == "__main__":
    main()
