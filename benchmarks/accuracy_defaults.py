"""Where reclite's defaults come from: one validation search per model on four datasets.

For each model (EASE, RP3beta, GenreTopN, Popularity, ALS, BPR, LMF; the kNN models
are searched elsewhere) and each dataset:

1. ``train, test = reclite.split.random_holdout(ds, test_size=0.2, random_state=0)``;
   ``fit_part, valid = random_holdout(train, test_size=0.2, random_state=1)``: a
   per-user random holdout of the *training* part is the validation split.
2. Every point of the model's grid (``GRIDS``) and the library's current default are
   fitted on ``fit_part`` and scored by ndcg@10 on ``valid`` (every item ranked, the
   user's ``fit_part`` items removed). The best point is the one with the highest
   validation ndcg@10.
3. The best point and the default are refitted on ``train`` and scored once on
   ``test``: ndcg@10 and catalogue coverage (the share of items in anyone's top 10).
   The test part is never used for choosing.

Printed per dataset and model: the best parameters, test ndcg@10 and coverage at the
best point and at the default, and for each parameter the values whose best grid point
(over the other parameters) is within 1 % and within 2 % of the best validation
ndcg@10. The summary then gives, per model, the default's validation ndcg@10 as a share
of each dataset's best, and the grid point with the highest *worst-case* share over
the datasets (the most robust choice): that, not any one dataset's optimum, is what
the defaults are set from.

Datasets: ml-100k, ml-latest-small (MovieLens ratings, all as interactions),
hetrec2011-lastfm-2k (play counts; 17,632 artists, no genres, so no GenreTopN), and
the movie competition's shape ``reclite.synthetic_dataset(31_360, 6_807, 5_150_000,
random_state=0)`` (``--synthetic-scale 0.25`` keeps the catalogue and each user's
history length and uses a quarter of the users). On datasets with more than
``--valid-users`` users (default 8,000) the validation ndcg@10 is measured on a fixed
random sample of that many validation users (the test scores use every user). EASE on
more than 10,000 items is fitted in float32 (scores agree with float64 to ~1e-4).

Run from the repository root (hours on 2 shared cores; ``--cache`` lets a run resume)::

    python benchmarks/accuracy_defaults.py --cache defaults-cache.jsonl
    python benchmarks/accuracy_defaults.py --datasets ml-100k --models ease als

The public data is found through ``RECLITE_DATA`` or ``../shared/data``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import ParameterGrid

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import dataset_path  # noqa: E402

K = 10
DATASETS = ["ml-100k", "ml-latest-small", "hetrec2011-lastfm-2k", "synthetic"]
SYNTHETIC = (31_360, 6_807, 5_150_000)

# registry name -> fixed parameters (never searched)
FIXED: dict[str, dict[str, Any]] = {
    "als": {"random_state": 0, "device": "cpu"},
    "bpr": {"random_state": 0, "device": "cpu"},
    "lmf": {"random_state": 0, "device": "cpu"},
}

# registry name -> grid (a dict, or a list of dicts, as sklearn's ParameterGrid takes)
GRIDS: dict[str, Any] = {
    "ease": {"l2": [50.0, 100.0, 200.0, 300.0, 500.0, 1000.0, 2000.0, 5000.0]},
    "rp3beta": {"walk_alpha": [0.25, 0.5, 0.75, 1.0], "beta": [0.0, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.75],
                "k_neighbors": [50, 100, 200]},
    "genre_rule": {"n_genres": [1, 2, 3, 4, 6]},
    "pop": [{"by": ["users"]}, {"by": ["confidence"], "confidence": ["value", "log"], "alpha": [1.0, 10.0]}],
    "als": [{"factors": [64, 128], "regularization": [0.1, 1.0, 5.0, 20.0, 50.0, 100.0],
             "alpha": [1.0, 5.0, 10.0, 20.0]},
            {"factors": [64], "regularization": [20.0, 50.0, 100.0, 200.0], "alpha": [10.0, 20.0, 40.0]},
            {"factors": [64], "regularization": [20.0, 30.0, 40.0, 50.0], "alpha": [3.0, 5.0, 7.0, 10.0]}],
    "bpr": {"learning_rate": [0.005, 0.01, 0.02, 0.05], "iterations": [50, 100], "regularization": [0.001, 0.01]},
    "lmf": {"regularization": [3.0, 6.0, 12.0, 24.0], "learning_rate": [0.25, 0.5, 1.0], "alpha": [1.0, 5.0, 20.0]},
}
MODELS = list(GRIDS)
NEEDS_GENRES = {"genre_rule"}


# ------------------------------------------------------------------ data
def load(name: str, scale: float) -> Any:
    import reclite

    if name == "synthetic":
        n_users, n_items, n = SYNTHETIC
        return reclite.synthetic_dataset(int(round(n_users * scale)), n_items, int(round(n * scale)),
                                         random_state=0)
    return reclite.read_dataset(dataset_path(name))


def sample_users(ds: Any, n: int, seed: int = 2) -> Any:
    """``ds`` restricted to a fixed random sample of ``n`` of its users (all when fewer)."""
    users = np.unique(ds.interactions["user"].to_numpy())
    if len(users) <= n:
        return ds
    keep = np.random.default_rng(seed).choice(users, size=n, replace=False)
    return ds.subset(np.isin(ds.interactions["user"].to_numpy(), keep))


# ------------------------------------------------------------------ scoring
def default_params(name: str) -> dict[str, Any]:
    """The library's current defaults for the searched parameters (read from the class)."""
    from reclite.models import registry

    params = registry.get(name)().get_params()
    keys = set().union(*(g.keys() for g in ParameterGrid(GRIDS[name]).param_grid))
    return {k: params[k] for k in sorted(keys)}


def make(name: str, params: dict, n_items: int) -> Any:
    from reclite.models import registry

    kw = {**FIXED.get(name, {}), **params}
    if name == "ease" and n_items > 10_000:
        kw.setdefault("dtype", "float32")
    return registry.create(name, **kw)


def score(name: str, params: dict, train: Any, test: Any) -> dict[str, float]:
    import reclite

    start = time.perf_counter()
    model = make(name, params, train.n_items).fit(train)
    fit_s = time.perf_counter() - start
    table = reclite.evaluate(model, train, test, k=K, metrics=["ndcg", "coverage"])
    row = table.loc[table["k"] == K].iloc[0]
    return {"ndcg": float(row["ndcg"]), "coverage": float(row["coverage"]), "fit_s": fit_s}


class Cache:
    """Results keyed by (dataset, model, phase, parameters), appended to a JSON-lines file."""

    def __init__(self, path: str | None) -> None:
        self.path, self.rows = path, {}
        if path and os.path.exists(path):
            with open(path) as fh:
                for line in fh:
                    rec = json.loads(line)
                    self.rows[rec["key"]] = rec["result"]

    def key(self, *parts: Any) -> str:
        return json.dumps(parts, sort_keys=True, default=str)

    def get(self, key: str) -> dict | None:
        return self.rows.get(key)

    def put(self, key: str, result: dict) -> None:
        self.rows[key] = result
        if self.path:
            with open(self.path, "a") as fh:
                fh.write(json.dumps({"key": key, "result": result}) + "\n")


def label(params: dict) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(params.items()))


def ranges(table: pd.DataFrame, keys: list[str], share: float) -> dict[str, str]:
    """Per parameter: the values whose best point over the other parameters is within ``share`` of the best."""
    best = table["valid"].max()
    out = {}
    for key in keys:
        if key not in table:
            continue
        prof = table.dropna(subset=[key]).groupby(key, sort=True)["valid"].max()
        ok = [v for v, s in prof.items() if s >= (1 - share) * best]
        if all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in ok):
            lo, hi = min(ok), max(ok)
            out[key] = f"{lo:g}" if lo == hi else f"{lo:g}-{hi:g}"
        else:
            out[key] = "/".join(str(v) for v in ok)
    return out


# ------------------------------------------------------------------ main
def run_dataset(dname: str, ds: Any, models: list[str], cache: Cache, valid_users: int) -> list[dict]:
    import reclite

    train, test = reclite.split.random_holdout(ds, test_size=0.2, random_state=0)
    fit_part, valid = reclite.split.random_holdout(train, test_size=0.2, random_state=1)
    valid_eval = sample_users(valid, valid_users)
    n_valid_users = len(np.unique(valid_eval.interactions["user"].to_numpy()))
    print(f"\n# {dname}: {ds.n_users:,} users x {ds.n_items:,} items, {len(ds):,} interactions; "
          f"train {len(train):,} / test {len(test):,}; validation fit {len(fit_part):,} / "
          f"valid {len(valid):,} (scored on {n_valid_users:,} users)", flush=True)
    out = []
    for name in models:
        if name in NEEDS_GENRES and ds.genres is None:
            print(f"\n## {name}: skipped ({dname} has no genres)")
            continue
        default = default_params(name)
        points = []
        for p in ParameterGrid(GRIDS[name]):
            p = {**default, **p}  # keys a sub-grid does not search stay at the default
            if p not in points:
                points.append(p)
        n_grid = len(points)
        if default not in points:
            points.append(default)
        t0 = time.perf_counter()
        rows = []
        for p in points:
            key = cache.key(dname, name, "valid", p, valid_users)
            res = cache.get(key)
            if res is None:
                res = score(name, p, fit_part, valid_eval)
                cache.put(key, res)
            rows.append({**p, "valid": res["ndcg"], "valid_cov": res["coverage"], "in_grid": len(rows) < n_grid})
        table = pd.DataFrame(rows)
        grid_rows = table[table["in_grid"]]
        best_i = grid_rows["valid"].idxmax()
        keys = [c for c in table.columns if c not in ("valid", "valid_cov", "in_grid")]
        best = {k: v for k, v in points[best_i].items()}
        d_valid = float(table.loc[[p == default for p in points], "valid"].iloc[0])
        tests = {}
        for tag, p in (("best", best), ("default", default)):
            key = cache.key(dname, name, "test", p)
            res = cache.get(key)
            if res is None:
                res = score(name, p, train, test)
                cache.put(key, res)
            tests[tag] = res
        r1, r2 = ranges(grid_rows, keys, 0.01), ranges(grid_rows, keys, 0.02)
        print(f"\n## {dname} / {name}: {len(points)} points ({time.perf_counter() - t0:.0f}s)")
        print(f"   best     {label(best)}: valid ndcg@10 {table.loc[best_i, 'valid']:.4f}; "
              f"test ndcg@10 {tests['best']['ndcg']:.4f}, coverage {tests['best']['coverage']:.3f}")
        print(f"   default  {label(default)}: valid ndcg@10 {d_valid:.4f} "
              f"({d_valid / table.loc[best_i, 'valid'] * 100:.1f}% of best); "
              f"test ndcg@10 {tests['default']['ndcg']:.4f}, coverage {tests['default']['coverage']:.3f}")
        for k in keys:
            if k in r2:
                print(f"   {k}: within 1% of best {r1.get(k, '-')}; within 2% {r2[k]}")
        top = grid_rows.sort_values("valid", ascending=False).head(5)
        for _, r in top.iterrows():
            p = {k: r[k] for k in keys if not (isinstance(r[k], float) and np.isnan(r[k]))}
            print(f"     valid ndcg@10 {r['valid']:.4f} coverage {r['valid_cov']:.3f}  {label(p)}")
        sys.stdout.flush()
        for i, p in enumerate(points):
            out.append({"dataset": dname, "model": name, "params": label(p), "is_default": p == default,
                        "in_grid": bool(table.loc[i, "in_grid"]), "valid": table.loc[i, "valid"],
                        "best_valid": table.loc[best_i, "valid"]})
        out.append({"dataset": dname, "model": name, "params": "__test__", "best": label(best),
                    "test_best": tests["best"]["ndcg"], "cov_best": tests["best"]["coverage"],
                    "test_default": tests["default"]["ndcg"], "cov_default": tests["default"]["coverage"],
                    "default": label(default)})
    return out


def summary(rows: list[dict]) -> None:
    frame = pd.DataFrame(rows)
    grid = frame[frame["params"] != "__test__"].copy()
    grid["share"] = grid["valid"] / grid["best_valid"]
    tests = frame[frame["params"] == "__test__"]
    print("\n# Summary: test ndcg@10 (coverage) at each dataset's validation best and at the default")
    for name, t in tests.groupby("model", sort=False):
        print(f"\n## {name}: default {t['default'].iloc[0]}")
        for _, r in t.iterrows():
            print(f"   {r['dataset']:22s} best {r['test_best']:.4f} ({r['cov_best']:.3f})  "
                  f"default {r['test_default']:.4f} ({r['cov_default']:.3f})  [{r['best']}]")
        g = grid[grid["model"] == name]
        wide = g.pivot_table(index="params", columns="dataset", values="share", aggfunc="first")
        if wide.shape[1] > 1:
            worst = wide.min(axis=1).sort_values(ascending=False)
            in_grid = set(g.loc[g["in_grid"], "params"])
            robust = [p for p in worst.index if p in in_grid][:3]
            for p in robust:
                print(f"   robust: {p}: worst share of best validation ndcg@10 {worst[p] * 100:.1f}% "
                      f"(mean {wide.loc[p].mean() * 100:.1f}%)")
            dflt = g.loc[g["is_default"], "params"].iloc[0]
            print(f"   default: worst share {worst[dflt] * 100:.1f}% "
                  f"(per dataset: {', '.join(f'{d} {s * 100:.1f}%' for d, s in wide.loc[dflt].items())})")


def main(argv: list[str] | None = None) -> None:
    import reclite

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="*", default=DATASETS, choices=DATASETS)
    ap.add_argument("--models", nargs="*", default=MODELS, choices=MODELS)
    ap.add_argument("--synthetic-scale", type=float, default=1.0,
                    help="share of the competition shape's users (and interactions) to generate")
    ap.add_argument("--valid-users", type=int, default=8000,
                    help="score validation on a fixed sample of this many users where there are more")
    ap.add_argument("--cache", help="JSON-lines file of finished points (a rerun resumes from it)")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    print(f"# machine: {platform.machine()}, {os.cpu_count()} cpus, python {platform.python_version()}, "
          f"reclite {reclite.__version__}; k={K}; synthetic scale {args.synthetic_scale:g}")
    cache = Cache(args.cache)
    rows = []
    for dname in args.datasets:
        tag = f"synthetic x{args.synthetic_scale:g}" if dname == "synthetic" else dname
        rows += run_dataset(tag, load(dname, args.synthetic_scale), args.models, cache, args.valid_users)
    summary(rows)


if __name__ == "__main__":
    main()
