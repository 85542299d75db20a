"""Does confidence weighting help? ALS and ItemKNN under several confidence expressions.

Protocol (fixed seeds, nothing chosen on the test set):

1. ``train, test = reclite.split.random_holdout(ds, test_size=0.2, random_state=0)``
2. ``alpha`` is chosen per (model, expression) on a validation split of the training
   part only: ``fit_part, valid = random_holdout(train, test_size=0.2, random_state=1)``;
   each alpha of the grid is fitted on ``fit_part`` and scored by ndcg@10 on ``valid``.
3. The chosen alpha is refitted on the whole ``train`` and scored once on ``test``:
   calibrated_recall@10 (hits / min(10, |test_u|)) and ndcg@10, every item ranked,
   the user's training items excluded.

Run from the repository root::

    python benchmarks/accuracy_confidence.py                      # both datasets, full grid
    python benchmarks/accuracy_confidence.py --datasets ml-100k --alphas 1,10 --quick

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

SPECS = ["binary", "pop", "genre", "genre+pop", "(genre+pop)*era", "bm25", "log"]
DATASETS = ["ml-100k", "ml-latest-small"]
ALS_ALPHAS = [1.0, 3.0, 10.0, 30.0]
KNN_ALPHAS = [1.0, 3.0, 10.0, 30.0]
K = 10
METRICS = ["calibrated_recall", "ndcg"]


def data_dir() -> Path:
    env = os.environ.get("RECLITE_DATA")
    here = Path(__file__).resolve().parent.parent
    for cand in ([Path(env)] if env else []) + [here.parent / "shared" / "data", here / "shared" / "data"]:
        if cand.is_dir():
            return cand
    sys.exit("public datasets not found: set RECLITE_DATA to the folder holding ml-100k and ml-latest-small")


def metric(table: object, name: str, k: int = K) -> float:
    """Read one metric at k from what ``reclite.evaluate`` returns (one row per k)."""
    df = table if isinstance(table, pd.DataFrame) else pd.DataFrame([table])
    for col in (f"{name}@{k}", name):
        if col in df.columns:
            if col == name and "k" in df.columns:
                return float(df.loc[df["k"] == k, col].iloc[0])
            if col == name and len(df) > 1:
                return float(df.loc[k, col])
            return float(df[col].iloc[0])
    raise KeyError(f"no {name}@{k} in the evaluation table; columns: {list(df.columns)}")


def make_model(kind: str, spec: str, alpha: float):
    import reclite

    if kind == "ALS":
        return reclite.ALS(factors=64, iterations=15, regularization=0.05, confidence=spec, alpha=alpha,
                           random_state=0)
    return reclite.ItemKNN(k_neighbors=100, confidence=spec, alpha=alpha)


def score(kind: str, spec: str, alpha: float, train, test) -> dict[str, float]:
    import reclite

    model = make_model(kind, spec, alpha).fit(train)
    table = reclite.evaluate(model, train, test, k=K, metrics=METRICS)
    return {m: metric(table, m) for m in METRICS}


def run_dataset(name: str, args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame]:
    import reclite

    t0 = time.perf_counter()
    ds = reclite.read_movielens(data_dir() / name)
    train, test = reclite.split.random_holdout(ds, test_size=0.2, random_state=0)
    fit_part, valid = reclite.split.random_holdout(train, test_size=0.2, random_state=1)
    print(f"\n## {name}: {ds.n_users:,} users x {ds.n_items:,} items, {len(ds):,} interactions; "
          f"train {len(train):,} / test {len(test):,}; validation {len(fit_part):,} / {len(valid):,}",
          flush=True)
    rows, sweep = [], []
    for kind, grid in (("ALS", args.als_alphas), ("ItemKNN", args.knn_alphas)):
        for spec in args.specs:
            # ItemKNN under binary: every weight is 1 + alpha, and the cosine and the
            # score ranking do not change with a common scale, so one alpha is enough
            g = grid[:1] if (kind == "ItemKNN" and spec == "binary") else grid
            valid_ndcg = {}
            for alpha in g:
                valid_ndcg[alpha] = score(kind, spec, alpha, fit_part, valid)["ndcg"]
                sweep.append({"model": kind, "confidence": spec, "alpha": alpha,
                              "valid ndcg@10": valid_ndcg[alpha]})
            best = max(valid_ndcg, key=lambda a: (valid_ndcg[a], -a))
            res = score(kind, spec, best, train, test)
            rows.append({"dataset": name, "model": kind, "confidence": spec, "alpha": best,
                         "valid ndcg@10": valid_ndcg[best],
                         "calibrated_recall@10": res["calibrated_recall"], "ndcg@10": res["ndcg"]})
            print(f"  {kind:8s} {spec:18s} alpha={best:<5g} valid ndcg@10={valid_ndcg[best]:.4f}  "
                  f"test calibrated_recall@10={res['calibrated_recall']:.4f} ndcg@10={res['ndcg']:.4f}",
                  flush=True)
    table = pd.DataFrame(rows)
    base = table[table["confidence"] == "binary"].set_index("model")["ndcg@10"]
    table["ndcg vs binary"] = [f"{(v / base[m] - 1) * 100:+.1f}%" if m in base.index else ""
                               for m, v in zip(table["model"], table["ndcg@10"])]
    print(f"  ({time.perf_counter() - t0:.0f} s)")
    return table, pd.DataFrame(sweep).assign(dataset=name)


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
    p.add_argument("--quick", action="store_true", help="alpha grids of one value (10 for ALS, 1 for ItemKNN)")
    args = p.parse_args(argv)
    args.specs = [s.strip() for s in args.specs.split(";") if s.strip()]
    if args.quick:
        args.als_alphas, args.knn_alphas = [10.0], [1.0]

    import reclite

    missing = [n for n in ("ALS", "ItemKNN", "evaluate", "split", "read_movielens") if not _has(reclite, n)]
    if missing:
        sys.exit(f"reclite lacks {', '.join(missing)} in this checkout; this benchmark needs them")
    import implicit

    print("# Confidence weighting: ALS (64 factors, 15 iterations, reg 0.05) and ItemKNN (100 neighbours)")
    print(f"# reclite {reclite.__version__}, implicit {implicit.__version__}, numpy {np.__version__}, "
          f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cpus")
    print("# split: random_holdout(test_size=0.2, random_state=0); alpha chosen by validation ndcg@10 on "
          "random_holdout(train, 0.2, random_state=1); ALS random_state=0")
    print(f"# alpha grid: ALS {args.als_alphas}, ItemKNN {args.knn_alphas}")
    tables, sweeps = [], []
    for name in args.datasets.split(","):
        t, s = run_dataset(name.strip(), args)
        tables.append(t)
        sweeps.append(s)
    print("\n### Test metrics (alpha chosen on validation)\n")
    print(markdown(pd.concat(tables, ignore_index=True)))
    sweep = pd.concat(sweeps, ignore_index=True)
    wide = sweep.pivot_table(index=["dataset", "model", "confidence"], columns="alpha",
                             values="valid ndcg@10", sort=False).reset_index()
    wide.columns = [c if isinstance(c, str) else f"alpha={c:g}" for c in wide.columns]
    print("\n### Validation ndcg@10 over the alpha grid\n")
    print(markdown(wide.fillna(float("nan"))))


def _has(module: object, name: str) -> bool:
    try:
        getattr(module, name)
    except (AttributeError, ImportError):
        return False
    return True


if __name__ == "__main__":
    main()
