"""Does confidence weighting help? ALS and ItemKNN under several confidence expressions.

Protocol, repeated R times (``--repeats``, default 3) with seeds r = 0..R-1; nothing
is chosen on the test set:

1. ``train, test = reclite.split.random_holdout(ds, test_size=0.2, random_state=r)``
2. ``alpha`` is chosen per (model, expression) on a validation split of the training
   part only: ``fit_part, valid = random_holdout(train, test_size=0.2, random_state=1000 + r)``;
   each alpha of the grid is fitted on ``fit_part`` and scored by ndcg@10 on ``valid``.
3. The chosen alpha is refitted on the whole ``train`` and scored once on ``test``:
   calibrated_recall@10 (hits / min(10, |test_u|)) and ndcg@10, every item ranked,
   the user's training items excluded. ALS uses ``random_state=r``.

Both models run with the library's default parameters (``reclite.ALS()``,
``reclite.ItemKNN()``) except ``confidence`` and ``alpha``.

The table gives means over the repeats, the standard deviation of ndcg@10, and the
paired change of ndcg@10 against binary weighting (same model, same repeat) with the
number of repeats in which the expression beat binary.

Run from the repository root::

    python benchmarks/accuracy_confidence.py                       # both datasets, 3 repeats
    python benchmarks/accuracy_confidence.py --datasets ml-100k --repeats 1 --quick

The data is found through ``RECLITE_DATA`` or ``../shared/data`` (ml-100k,
ml-latest-small in their GroupLens layout).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import dataset_path  # noqa: E402

SPECS = ["binary", "pop", "genre", "genre+pop", "(genre+pop)*era", "bm25", "log"]
DATASETS = ["ml-100k", "ml-latest-small"]
ALS_ALPHAS = [1.0, 3.0, 10.0, 30.0, 100.0]
KNN_ALPHAS = [0.3, 1.0, 3.0, 10.0, 30.0, 100.0]
K = 10
METRICS = ["calibrated_recall", "ndcg"]


def metric(table: pd.DataFrame, name: str, k: int = K) -> float:
    """One metric at k from ``reclite.evaluate``'s table (one row per k, one column per metric)."""
    return float(table.loc[table["k"] == k, name].iloc[0])


def make_model(kind: str, spec: str, alpha: float, seed: int):
    import reclite

    # every other parameter at the library's default (ALS: factors, regularization,
    # iterations; ItemKNN: k_neighbors, shrinkage), so the table shows what a user gets
    if kind == "ALS":
        return reclite.ALS(confidence=spec, alpha=alpha, random_state=seed, device="cpu")
    return reclite.ItemKNN(confidence=spec, alpha=alpha)


def score(kind: str, spec: str, alpha: float, seed: int, train, test) -> dict[str, float]:
    import reclite

    model = make_model(kind, spec, alpha, seed).fit(train)
    table = reclite.evaluate(model, train, test, k=K, metrics=METRICS)
    return {m: metric(table, m) for m in METRICS}


def run_repeat(ds, name: str, seed: int, args: argparse.Namespace) -> tuple[list[dict], list[dict]]:
    """One protocol run: test split ``seed``, validation split ``1000 + seed``, ALS ``random_state=seed``."""
    import reclite

    train, test = reclite.split.random_holdout(ds, test_size=0.2, random_state=seed)
    fit_part, valid = reclite.split.random_holdout(train, test_size=0.2, random_state=1000 + seed)
    print(f"  repeat {seed}: train {len(train):,} / test {len(test):,}; "
          f"validation {len(fit_part):,} / {len(valid):,}", flush=True)
    rows, sweep = [], []
    for kind, grid in (("ALS", args.als_alphas), ("ItemKNN", args.knn_alphas)):
        for spec in args.specs:
            # ItemKNN under binary: every weight is (1 + alpha) / (1 + alpha) = 1 at any
            # alpha, so one alpha is enough
            g = grid[:1] if (kind == "ItemKNN" and spec == "binary") else grid
            valid_ndcg = {}
            for alpha in g:
                valid_ndcg[alpha] = score(kind, spec, alpha, seed, fit_part, valid)["ndcg"]
                sweep.append({"dataset": name, "model": kind, "confidence": spec, "alpha": alpha,
                              "seed": seed, "valid ndcg@10": valid_ndcg[alpha]})
            best = max(valid_ndcg, key=lambda a: (valid_ndcg[a], -a))
            res = score(kind, spec, best, seed, train, test)
            rows.append({"dataset": name, "model": kind, "confidence": spec, "seed": seed, "alpha": best,
                         "calibrated_recall@10": res["calibrated_recall"], "ndcg@10": res["ndcg"]})
            print(f"    {kind:8s} {spec:18s} alpha={best:<5g} valid ndcg@10={valid_ndcg[best]:.4f}  "
                  f"test calibrated_recall@10={res['calibrated_recall']:.4f} ndcg@10={res['ndcg']:.4f}",
                  flush=True)
    return rows, sweep


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean over repeats, and the paired change of ndcg@10 against binary (same model, same repeat)."""
    base = runs[runs["confidence"] == "binary"].set_index(["dataset", "model", "seed"])["ndcg@10"]
    runs = runs.assign(rel=[v / base.get((d, m, s), np.nan) - 1 for d, m, s, v in
                            zip(runs["dataset"], runs["model"], runs["seed"], runs["ndcg@10"])])
    out = []
    for (d, m, c), g in runs.groupby(["dataset", "model", "confidence"], sort=False):
        n = len(g)
        row = {"dataset": d, "model": m, "confidence": c,
               "alpha (per repeat)": ",".join(f"{a:g}" for a in g["alpha"]),
               "calibrated_recall@10": g["calibrated_recall@10"].mean(),
               "ndcg@10": g["ndcg@10"].mean(),
               "ndcg sd": g["ndcg@10"].std(ddof=1) if n > 1 else float("nan")}
        if c != "binary":
            row["ndcg vs binary"] = f"{g['rel'].mean() * 100:+.1f}%"
            row["better in"] = f"{int((g['rel'] > 0).sum())}/{n}"
        else:
            row["ndcg vs binary"], row["better in"] = "", ""
        out.append(row)
    return pd.DataFrame(out)


def markdown(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    fmt = [[f"{v:.4f}" if isinstance(v, float) and c != "alpha" else f"{v:g}" if isinstance(v, float) else str(v)
            for c, v in zip(cols, row)] for row in df.itertuples(index=False)]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in fmt]
    return "\n".join(lines)


def floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated dataset folders")
    p.add_argument("--specs", default=";".join(SPECS), help="semicolon-separated confidence expressions")
    p.add_argument("--als-alphas", type=floats, default=ALS_ALPHAS, help="alpha grid for ALS, e.g. 1,3,10,30")
    p.add_argument("--knn-alphas", type=floats, default=KNN_ALPHAS, help="alpha grid for ItemKNN")
    p.add_argument("--repeats", type=int, default=3,
                   help="protocol repeats (split seeds 0..R-1); the spread shows what is noise")
    p.add_argument("--quick", action="store_true", help="alpha grids of one value (10 for ALS, 1 for ItemKNN)")
    args = p.parse_args(argv)
    args.specs = [s.strip() for s in args.specs.split(";") if s.strip()]
    if args.quick:
        args.als_alphas, args.knn_alphas = [10.0], [1.0]

    import implicit

    import reclite

    als, knn = reclite.ALS(), reclite.ItemKNN()
    print(f"# Confidence weighting: ALS ({als.factors} factors, {als.iterations} iterations, regularization "
          f"{als.regularization:g}) and ItemKNN ({knn.k_neighbors} neighbours, shrinkage {knn.shrinkage:g}): "
          "the library's defaults except alpha")
    print(f"# reclite {reclite.__version__}, implicit {implicit.__version__}, numpy {np.__version__}, "
          f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cpus")
    print("# repeat r: test = random_holdout(ds, test_size=0.2, random_state=r); alpha chosen by validation "
          "ndcg@10 on random_holdout(train, 0.2, random_state=1000 + r); ALS random_state=r")
    print(f"# alpha grid: ALS {args.als_alphas}, ItemKNN {args.knn_alphas}")
    runs, sweeps = [], []
    for name in args.datasets.split(","):
        name = name.strip()
        t0 = time.perf_counter()
        ds = reclite.read_movielens(dataset_path(name))
        print(f"\n## {name}: {ds.n_users:,} users x {ds.n_items:,} items, {len(ds):,} interactions", flush=True)
        for seed in range(args.repeats):
            r, s = run_repeat(ds, name, seed, args)
            runs += r
            sweeps += s
        print(f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
    print(f"\n### Test metrics, mean over {args.repeats} repeat(s) (alpha chosen on validation in each)\n")
    print(markdown(summarise(pd.DataFrame(runs))).replace("| nan", "| -"))
    sweep = pd.DataFrame(sweeps)
    wide = sweep.pivot_table(index=["dataset", "model", "confidence"], columns="alpha",
                             values="valid ndcg@10", aggfunc="mean", sort=False).reset_index()
    wide = wide[["dataset", "model", "confidence"] + sorted(c for c in wide.columns if not isinstance(c, str))]
    wide.columns = [c if isinstance(c, str) else f"alpha={c:g}" for c in wide.columns]
    print(f"\n### Validation ndcg@10 over the alpha grid, mean over {args.repeats} repeat(s)\n")
    print(markdown(wide).replace("| nan", "| -"))


if __name__ == "__main__":
    main()
