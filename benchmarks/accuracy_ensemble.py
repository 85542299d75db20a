"""Ensembles against their members: RankVote (each method) and ScoreBlend (each normalisation).

Two protocols, fixed seeds:

- ``ml100k``: Microsoft Recommenders' ML-100K protocol (all ratings as interactions,
  per-user random 75/25 split, every item ranked, training items removed), ndcg@10
  (the protocol of ``accuracy_ml100k.py``);
- ``competition``: ml-latest-small in the movie competition's layout
  (``split.last_and_random``: each user's last interaction plus 9 at random held out),
  calibrated_recall@10 (hits / min(10, |T_u|)).

Everything is chosen on validation, never on test. A validation split is carved out of
seed 0's training part with the protocol's own split (seed 1000); on it

1. every member is tuned with :func:`reclite.tune` (grid search, ``GRIDS``);
2. each ensemble's member weights (and RankVote's ``top_n``) are chosen by coordinate
   ascent over a small grid: from two starts (equal weights; the best member alone), both
   with ``top_n=30``, two rounds of trying every weight in ``WEIGHT_GRID`` for each member
   but the best one (fixed at 1) and every ``top_n`` in ``TOP_NS``, keeping a change when
   the validation score rises. The members on offer are the five tuned models plus two
   copies of the tuned ALS with other seeds (seed bagging; ``COPIES``).

The members' validation outputs are computed once (dense scores for ScoreBlend, top-100
lists for RankVote) and every candidate ensemble is fused from that cache with the library's
own pieces (``reclite.ensemble.fuse_indices``, ``reclite.ensemble._normalise``,
``reclite.topk.topk``), so the search costs only the fusion. Then, for each seed, the
members are refitted with their chosen parameters on the seed's training part and scored
on its test part with :func:`reclite.evaluate`, and so are the ensembles with the chosen
weights, built as ``RankVote(prefit=True)`` / ``ScoreBlend(prefit=True)`` over those fitted
members (the library classes, not the cache; the script checks the cache gives the same
values). Equal-weight ensembles (``top_n=30``) are reported from the cache beside them.

Run from the repository root (4-5 CPU minutes; 16 minutes wall on 2 cores shared with other jobs)::

    nice -n 10 python benchmarks/accuracy_ensemble.py                 # both protocols, seeds 0-2
    nice -n 10 python benchmarks/accuracy_ensemble.py --protocols ml100k --seeds 0 1 2 3 4

The measured results are in the README's "Ensembles" section.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import dataset_path, machine_line  # noqa: E402

K = 10
MEMBERS = ["ease", "als", "userknn", "rp3beta", "itemknn"]
#: seed bagging: extra copies of a member, with its tuned parameters and other seeds, offered to the
#: ensembles only (a copy is the same model, so it is not reported as a member of its own)
COPIES = {"als": 2}
WEIGHT_GRID = [0.0, 0.25, 0.5, 1.0, 2.0]
TOP_NS = [30, 50, 100]
ROUNDS = 2
KINDS = [("RankVote", "rank_sum"), ("RankVote", "borda"), ("RankVote", "rrf"),
         ("ScoreBlend", "minmax"), ("ScoreBlend", "zscore"), ("ScoreBlend", "rank")]

# validation grids per protocol and member: a dict (every combination) or a list of dicts (each
# searched with reclite.tune, the best kept). EASE on ml-latest-small (9,742 items) costs 20-80 s a
# fit on this machine, so its grid there is two points at l2 300 (the library's default, chosen
# across four datasets, this one among them, by accuracy_defaults.py).
GRIDS: dict[str, dict[str, dict | list[dict]]] = {
    "ml100k": {
        "ease": {"l2": [200.0, 300.0, 500.0, 1000.0], "confidence": ["binary", "value"], "alpha": [3.0]},
        "als": {"factors": [64, 128], "regularization": [20.0, 50.0, 100.0], "alpha": [3.0, 7.0, 15.0]},
        "userknn": {"k_neighbors": [50, 100, 200], "shrinkage": [0.0, 10.0]},
        "rp3beta": {"walk_alpha": [0.5, 1.0], "beta": [0.3, 0.5, 0.7], "k_neighbors": [100, 200]},
        "itemknn": {"k_neighbors": [100, 200, 400], "shrinkage": [0.0, 10.0]},
    },
    "competition": {
        "ease": {"l2": [300.0], "confidence": ["binary", "value"], "alpha": [3.0]},
        "als": {"factors": [64, 128], "regularization": [20.0, 50.0, 100.0], "alpha": [3.0, 7.0]},
        "userknn": {"k_neighbors": [50, 100, 200], "shrinkage": [0.0, 10.0]},
        "rp3beta": {"walk_alpha": [0.5, 1.0], "beta": [0.3, 0.5, 0.7], "k_neighbors": [100, 200]},
        "itemknn": {"k_neighbors": [100, 200, 400], "shrinkage": [0.0, 10.0]},
    },
}


def protocols() -> dict[str, dict]:
    import reclite

    return {
        "ml100k": dict(
            load=lambda: reclite.read_movielens(dataset_path("ml-100k")),
            split=lambda ds, seed: reclite.split.random_holdout(ds, test_size=0.25, random_state=seed),
            metric="ndcg"),
        "competition": dict(
            load=lambda: reclite.read_movielens(dataset_path("ml-latest-small")),
            split=lambda ds, seed: reclite.split.last_and_random(ds, n_last=1, n_random=9, random_state=seed),
            metric="calibrated_recall"),
    }


def copies() -> list[tuple[str, str, int]]:
    """``(label, member, seed offset)`` of every ensemble member: the members, then their copies."""
    out = [(n, n, 0) for n in MEMBERS]
    for n, c in COPIES.items():
        out += [(f"{n}#{j + 2}", n, 100 * (j + 1)) for j in range(c)]
    return out


def make(name: str, params: dict, seed: int):
    """An unfitted member: the registry's model with ``params``; seeded models get ``seed``."""
    from reclite.models import registry

    name = name.split("#")[0]
    kw = dict(params)
    if "random_state" in registry.get(name)().get_params():
        kw["random_state"] = seed
    return registry.create(name, **kw)


def tune_member(name: str, grid: dict | list[dict], fit_part, valid, metric: str):
    """``reclite.tune`` over each sub-grid; the best (params, validation score, model fitted on fit_part)."""
    import reclite

    best = None
    n = 0
    for sub in grid if isinstance(grid, list) else [grid]:
        res = reclite.tune(make(name, {}, 0), sub, fit_part, valid, metric=f"{metric}@{K}", refit="train")
        n += len(res.trials)
        failed = res.trials[res.trials["status"] != "ok"]
        for err in failed["error"]:
            print(f"#   {name}: a trial failed: {err}")
        if best is None or res.best_score_ > best[1]:
            best = (res.best_params_, res.best_score_, res.best_model_)
    assert best is not None
    return (*best, n)


class Cache:
    """One split's member outputs, fused without refitting or rescoring the members.

    ``scores[name]``: dense scores over all items (as ``ScoreBlend`` sums them);
    ``lists[name]``: top ``max(TOP_NS)`` lists, training items removed (as ``RankVote`` takes them).
    """

    def __init__(self, fitted: dict, train, test, metric: str) -> None:
        from reclite.topk import topk

        self.n_users, self.n_items = train.n_users, train.n_items
        self.seen = train.matrix()
        every = np.arange(self.n_users)
        self.scores = {n: m.score_indices(every) for n, m in fitted.items()}
        self.lists = {n: topk(s, max(TOP_NS), exclude=self.seen)[0] for n, s in self.scores.items()}
        T = test.matrix()
        self.users = np.flatnonzero(np.diff(T.indptr))
        self.T = T[self.users]
        self.metric = metric
        self._norm: dict[tuple[str, str], np.ndarray] = {}

    def value(self, idx: np.ndarray) -> float:
        from reclite.metrics import ranking_metrics

        return float(np.mean(ranking_metrics(idx[self.users], self.T, [K], [self.metric])[f"{self.metric}@{K}"]))

    def member(self, name: str) -> float:
        return self.value(self.lists[name][:, :K])

    def ensemble(self, kind: str, how: str, names: list[str], weights: list[float], top_n: int) -> float:
        from reclite.ensemble import _normalise, fuse_indices
        from reclite.topk import topk

        used = [(n, w) for n, w in zip(names, weights) if w > 0]
        if kind == "RankVote":
            idx, _ = fuse_indices([self.lists[n][:, :top_n] for n, _ in used], self.n_items, K, method=how,
                                  top_n=top_n, weights=[w for _, w in used])
            return self.value(idx)
        out = np.zeros((self.n_users, self.n_items), dtype=np.float32)
        for n, w in used:
            if (n, how) not in self._norm:
                self._norm[(n, how)] = _normalise(self.scores[n], how)
            out += np.float32(w) * self._norm[(n, how)]
        return self.value(topk(out, K, exclude=self.seen)[0])


def search_weights(cache: Cache, kind: str, how: str, order: list[str]) -> tuple[list[float], int, float, int]:
    """Coordinate ascent over member weights (and ``top_n`` for RankVote) on the validation cache.

    ``order``: members best first (the first keeps weight 1), each member's copies after it.
    Two starts, ``top_n=30``: every member at weight 1 (copies 0), and the best member alone
    (so the search holds the best member itself, and an ensemble is chosen only where it
    scores higher on validation). Returns the better run's weights, top_n and validation
    score, and the number of ensembles scored.
    """
    seen: set = set()
    results = []
    for weights in ([1.0 if n in MEMBERS else 0.0 for n in order], [1.0] + [0.0] * (len(order) - 1)):
        top_n = 30
        best = cache.ensemble(kind, how, order, weights, top_n)
        seen.add((tuple(weights), top_n))
        for _ in range(ROUNDS):
            changed = False
            for i in range(1, len(order)):
                for w in WEIGHT_GRID:
                    cand = weights[:i] + [w] + weights[i + 1:]
                    if (tuple(cand), top_n) in seen:
                        continue
                    seen.add((tuple(cand), top_n))
                    v = cache.ensemble(kind, how, order, cand, top_n)
                    if v > best:
                        best, weights, changed = v, cand, True
            for t in TOP_NS if kind == "RankVote" else []:
                if (tuple(weights), t) in seen:
                    continue
                seen.add((tuple(weights), t))
                v = cache.ensemble(kind, how, order, weights, t)
                if v > best:
                    best, top_n, changed = v, t, True
            if not changed:
                break
        results.append((best, weights, top_n))
    best, weights, top_n = max(results, key=lambda r: r[0])  # ties: the first (equal weights) start
    return weights, top_n, best, len(seen)


def build(kind: str, how: str, fitted: dict, order: list[str], weights: list[float], top_n: int):
    """The library's ensemble over fitted members (members with weight 0 left out)."""
    import reclite

    members = [(n, fitted[n]) for n, w in zip(order, weights) if w > 0]
    w = [w for w in weights if w > 0]
    if kind == "RankVote":
        return reclite.RankVote(members, top_n=top_n, method=how, weights=w, prefit=True)
    return reclite.ScoreBlend(members, normalize=how, weights=w, prefit=True)


def evaluate(model, train, test, metric: str) -> float:
    import reclite

    table = reclite.evaluate(model, train, test, k=K, metrics=[metric])
    return float(table.loc[table["k"] == K, metric].iloc[0])


def run(pname: str, proto: dict, seeds: list[int]) -> pd.DataFrame:
    start = time.perf_counter()
    ds = proto["load"]()
    metric = proto["metric"]
    print(f"## {pname}: {ds.n_users} users, {ds.n_items} items, {len(ds):,} interactions; {metric}@{K}; "
          f"test seeds {seeds}", flush=True)

    # ---- choosing, on a validation split of seed 0's training part
    fit_part, valid = proto["split"](proto["split"](ds, 0)[0], 1000)
    params, vscore, vmodels = {}, {}, {}
    for name in MEMBERS:
        t0 = time.perf_counter()
        params[name], vscore[name], vmodels[name], n = tune_member(name, GRIDS[pname][name], fit_part, valid,
                                                                   metric)
        print(f"#   {name}: {params[name]}  (validation {metric}@{K} {vscore[name]:.4f}, {n} trials, "
              f"{time.perf_counter() - t0:.0f} s)", flush=True)
    ranked = sorted(MEMBERS, key=lambda n: -vscore[n])
    order = [lab for n in ranked for lab, m, _ in copies() if m == n]  # a member's copies follow it
    for lab, n, offset in copies():
        if lab != n:
            vmodels[lab] = make(lab, params[n], offset).fit(fit_part)
    equal = [1.0 if lab in MEMBERS else 0.0 for lab in order]  # each model once, no copies
    vcache = Cache(vmodels, fit_part, valid, metric)
    del vmodels
    chosen, vens = {}, {}
    for kind, how in KINDS:
        w, top_n, v, n = search_weights(vcache, kind, how, order)
        eq = vcache.ensemble(kind, how, order, equal, 30)
        chosen[(kind, how)] = (w, top_n)
        vens[f"{kind} {how}, validation weights"] = v
        extra = f", top_n {top_n}" if kind == "RankVote" else ""
        print(f"#   {kind} {how}: weights {dict(zip(order, w))}{extra}  (validation {v:.4f}, equal weights "
              f"{eq:.4f}; {n} ensembles scored)", flush=True)
    del vcache

    # ---- test, per seed
    rows, worst = [], 0.0
    for seed in seeds:
        train, test = proto["split"](ds, seed)
        fitted = {lab: make(lab, params[n], seed + offset).fit(train) for lab, n, offset in copies()}
        cache = Cache(fitted, train, test, metric)
        for n in MEMBERS:
            value = evaluate(fitted[n], train, test, metric)
            worst = max(worst, abs(value - cache.member(n)))
            rows.append({"seed": seed, "model": n, "value": value})
        for kind, how in KINDS:
            w, top_n = chosen[(kind, how)]
            value = evaluate(build(kind, how, fitted, order, w, top_n).fit(train), train, test, metric)
            worst = max(worst, abs(value - cache.ensemble(kind, how, order, w, top_n)))
            rows.append({"seed": seed, "model": f"{kind} {how}, validation weights", "value": value})
            rows.append({"seed": seed, "model": f"{kind} {how}, equal weights",
                         "value": cache.ensemble(kind, how, order, equal, 30)})
        print(f"#   seed {seed} done ({time.perf_counter() - start:.0f} s)", flush=True)

    frame = pd.DataFrame(rows)
    wide = frame.pivot(index="seed", columns="model", values="value")
    table = frame.groupby("model", sort=False)["value"].agg(["mean", "std"]).sort_values("mean", ascending=False)
    table.columns = [f"{metric}@{K}", "sd over seeds"]
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))
    singles = table.loc[MEMBERS].iloc[:, 0]
    ens = table.drop(index=MEMBERS).iloc[:, 0]
    best_single, best_ens = singles.idxmax(), ens.idxmax()
    gap = ens.max() - singles.max()
    spread = float(table.loc[[best_single, best_ens], "sd over seeds"].max())
    paired = wide[best_ens] - wide[best_single]
    print(f"best single: {best_single} {singles.max():.4f}; best ensemble: {best_ens} {ens.max():.4f}; "
          f"gain {gap:+.4f} vs seed spread {spread:.4f} (per seed: {', '.join(f'{d:+.4f}' for d in paired)}): "
          f"{'beats' if gap > spread else 'does NOT beat'} the best single model by more than the spread")
    vm, ve = ranked[0], max(vens, key=vens.get)  # chosen without looking at test
    d = wide[ve] - wide[vm]
    print(f"chosen on validation: member {vm} {table.loc[vm].iloc[0]:.4f}, ensemble {ve} {table.loc[ve].iloc[0]:.4f}; "
          f"gain {d.mean():+.4f} (per seed: {', '.join(f'{x:+.4f}' for x in d)})")
    print(f"(cache vs library classes on test: max |difference| {worst:.1e}; {time.perf_counter() - start:.0f} s)\n",
          flush=True)
    return table


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--protocols", nargs="*", default=["ml100k", "competition"], choices=["ml100k", "competition"])
    ap.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    print(f"# {machine_line()}\n")
    protos = protocols()
    for name in args.protocols:
        run(name, protos[name], args.seeds)


if __name__ == "__main__":
    main()
