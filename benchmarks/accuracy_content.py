"""Content and cold start: where item side information helps a recommender, and where it does not.

Models: ContentEmbedding (content only), EASE, ItemKNN, ContentExpanded(EASE) and
ContentExpanded(ItemKNN), on

- **ml-latest-small** with its genres and user tags (``tags.csv``), plus title words and
  release-year buckets as candidate blocks;
- **hetrec2011-lastfm-2k** with artist names as titles. (The HetRec tag files
  ``user_taggedartists.dat`` are missing from the copy in ``RECLITE_DATA``, so Last.fm
  runs on artist-name words only: the weakest content there is.)

Protocol (fixed seeds; nothing is chosen on the test set):

1. **Warm items, sparse users.** ``train, test = split.random_holdout(ds, 0.2, random_state=0)``.
   Neither dataset has many users with short histories (ml-latest-small: every user rated
   at least 20 movies), so short histories are made: a random quarter of the users
   (seed 1) keep only ``--short`` (3) random training interactions; their test items are
   unchanged. Results are reported for every test user and for the users with at most 5
   training interactions (``evaluate(..., user_groups=...)``).
2. **Parameters** are chosen by ndcg@10 on a validation split of that train
   (``random_holdout(train, 0.2, random_state=1000)``): EASE's ``l2``; the content
   model's blocks and ``n_components``; each hybrid's ``n_expand`` and ``weight`` (the
   hybrid is fitted once per base and its ``n_expand``/``weight``, which only act at
   scoring time, are changed with ``set_params``). ItemKNN keeps its defaults. The chosen
   models are refitted on train and scored once on test.
3. **Cold items.** ``train, test = split.cold_items(ds, 0.1, random_state=0)``: a tenth of
   the items held out whole. ``items="test"`` ranks only the held-out items (the
   cold-start papers' protocol): the content model (the parameters of step 2), Popularity
   (every held-out item has popularity 0 in train, so its order is the item order:
   no better than chance), random lists (seed 0), and ContentExpanded(EASE,
   cold_items=True) (among cold items only its content scores count, so it equals the
   content model there). ``items="all"`` ranks the whole catalogue, where a collaborative
   model cannot reach a cold item at all.

Run from the repository root, niced (2 shared cores; ml-latest-small: 16 to 25 minutes,
identical numbers in two runs; Last.fm with both bases, EASE and ItemKNN, and the default
grids: 8 min 48 s at load about 5, of which one EASE fit on the 17,632 items of the
validation fit part takes about 66 s)::

    nice -n 10 python benchmarks/accuracy_content.py --datasets ml-latest-small
    nice -n 10 python benchmarks/accuracy_content.py --datasets hetrec2011-lastfm-2k

(``--bases itemknn`` leaves out EASE; ``--l2-grid 100,300`` shortens EASE's grid.)
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
from _harness import dataset_path, machine_line, print_table  # noqa: E402

import reclite  # noqa: E402
from reclite import split  # noqa: E402

K = 10
GROUPS = {"all": (0, None), "<=5": (0, 5)}
BLOCKS = {  # candidate block sets per dataset
    "ml-latest-small": [["genres", "tags"], ["genres", "tags", "titles", "years"], ["genres"]],
    "hetrec2011-lastfm-2k": [["titles"]],
}


def shorten(train: reclite.Dataset, n_keep: int, share: float, seed: int) -> reclite.Dataset:
    """``train`` with a random ``share`` of its users cut to ``n_keep`` random interactions each."""
    rng = np.random.default_rng(seed)
    short = rng.random(train.n_users) < share
    keys = rng.random(len(train))
    order = np.lexsort((keys, train.user_idx))
    rank = np.empty(len(train), dtype=np.int64)
    counts = np.bincount(train.user_idx, minlength=train.n_users)
    rank[order] = np.arange(len(train)) - np.repeat(np.cumsum(counts) - counts, counts)
    keep = ~short[train.user_idx] | (rank < n_keep)
    return train.subset(keep)


def ndcg(model, train, test, **kw) -> float:
    return float(reclite.evaluate(model, train, test, k=K, metrics=["ndcg"], **kw)["ndcg"].iloc[0])


def base_spec(name: str, best: dict):
    """A base model in the JSON form ContentExpanded takes: EASE with the chosen l2, ItemKNN's defaults."""
    return ["ease", {"l2": best["l2"]}] if name == "ease" else name


def choose(ds_name: str, fit_part, valid, args, log) -> dict:
    """Every parameter chosen by ndcg@10 on ``valid``."""
    best: dict = {"l2": args.l2_grid[0]}
    if "ease" in args.bases:
        scores = {l2: ndcg(reclite.EASE(l2=l2), fit_part, valid) for l2 in args.l2_grid}
        best["l2"] = max(scores, key=scores.get)
        log(f"  EASE l2 {scores} -> {best['l2']}")
    grid = [(tuple(b), n) for b in BLOCKS[ds_name] for n in (None, 128)]
    scores = {g: ndcg(reclite.ContentEmbedding(blocks=list(g[0]), n_components=g[1]), fit_part, valid)
              for g in grid}
    blocks, n_comp = max(scores, key=scores.get)
    best["content"] = {"blocks": list(blocks), "n_components": n_comp}
    shown = {"+".join(g[0]) + f"/{g[1]}": round(v, 4) for g, v in scores.items()}
    log(f"  content {shown} -> {best['content']}")
    for base_name in args.bases:
        hybrid = reclite.ContentExpanded(base_spec(base_name, best), content=["content", best["content"]])
        hybrid.fit(fit_part)
        scores = {}
        for n_expand in args.expand_grid:
            for weight in args.weight_grid:
                hybrid.set_params(n_expand=n_expand, weight=weight)  # read at scoring time only
                scores[(n_expand, weight)] = ndcg(hybrid, fit_part, valid)
        best[base_name] = max(scores, key=scores.get)
        log(f"  ContentExpanded({base_name}) {({k: round(v, 4) for k, v in scores.items()})} -> "
            f"{best[base_name]}")
    return best


def warm(ds_name, ds, args, log) -> tuple[list[list], dict]:
    train0, test = split.random_holdout(ds, 0.2, random_state=0)
    train = shorten(train0, args.short, 0.25, seed=1)
    fit_part, valid = split.random_holdout(train, 0.2, random_state=1000)
    best = choose(ds_name, fit_part, valid, args, log)
    models = {"ContentEmbedding": reclite.ContentEmbedding(**best["content"])}
    for base_name in args.bases:
        label = {"ease": "EASE", "itemknn": "ItemKNN"}[base_name]
        models[label] = reclite.EASE(l2=best["l2"]) if base_name == "ease" else reclite.ItemKNN()
        models[f"ContentExpanded({label})"] = reclite.ContentExpanded(
            base_spec(base_name, best), content=["content", best["content"]], n_expand=best[base_name][0],
            weight=best[base_name][1])
    rows = []
    for name, model in models.items():
        t0 = time.perf_counter()
        r = reclite.evaluate(model, train, test, k=K, metrics=["ndcg", "recall"], user_groups=GROUPS)
        r = r.set_index("group")
        rows.append([ds_name, name, r.loc["all", "ndcg"], r.loc["all", "recall"], int(r.loc["<=5", "n_users"]),
                     r.loc["<=5", "ndcg"], r.loc["<=5", "recall"]])
        log(f"  test {name}: {rows[-1][2:]} ({time.perf_counter() - t0:.0f} s)")
    return rows, best


def cold(ds_name, ds, content_params, best, bases, log) -> list[list]:
    train, test = split.cold_items(ds, 0.1, random_state=0)
    held = test.items.to_raw(np.unique(test.item_idx))
    users = test.users.to_raw(np.unique(test.user_idx))
    rng = np.random.default_rng(0)
    kk = min(K, len(held))
    rand = pd.DataFrame({"user": np.repeat(users, kk),
                         "item": np.concatenate([rng.choice(held, kk, replace=False) for _ in users]),
                         "rank": np.tile(np.arange(1, kk + 1), len(users))})
    out = []
    r = reclite.evaluate_recommendations(rand, test, k=K, metrics=["ndcg", "recall"])
    out.append([ds_name, "random", "test", r["ndcg"].iloc[0], r["recall"].iloc[0]])
    models = {"Popularity": reclite.Popularity(), "ContentEmbedding": reclite.ContentEmbedding(**content_params)}
    label = {"ease": "EASE", "itemknn": "ItemKNN"}[bases[0]]  # the first base: the collaborative model
    models[label] = reclite.EASE(l2=best["l2"]) if bases[0] == "ease" else reclite.ItemKNN()
    models[f"ContentExpanded({label}, cold_items)"] = reclite.ContentExpanded(
        base_spec(bases[0], best), content=["content", content_params], cold_items=True)
    for name, model in models.items():
        model.fit(train)
        for items in ("test", "all"):
            if items == "test" and name in ("EASE", "ItemKNN"):
                continue  # it scores every cold item 0: its order among them is the item order
            r = reclite.evaluate(model, train, test, k=K, metrics=["ndcg", "recall"], items=items)
            out.append([ds_name, name, items, r["ndcg"].iloc[0], r["recall"].iloc[0]])
            log(f"  cold {name} items={items}: {out[-1][3:]}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="ml-latest-small,hetrec2011-lastfm-2k")
    ap.add_argument("--short", type=int, default=3, help="training interactions kept by the shortened users")
    ap.add_argument("--l2-grid", default="100,300,1000")
    ap.add_argument("--bases", default="ease,itemknn", help="collaborative bases: ease, itemknn (the first one "
                                                            "is the cold-item protocol's)")
    ap.add_argument("--expand-grid", default="10,50")
    ap.add_argument("--weight-grid", default="0.1,0.3,1.0")
    args = ap.parse_args()
    args.l2_grid = [float(x) for x in args.l2_grid.split(",")]
    args.bases = args.bases.split(",")
    args.expand_grid = [int(x) for x in args.expand_grid.split(",")]
    args.weight_grid = [float(x) for x in args.weight_grid.split(",")]
    print(machine_line(), flush=True)
    warnings.simplefilter("ignore")

    def log(msg: str) -> None:
        print(msg, flush=True)

    warm_rows, cold_rows = [], []
    for name in args.datasets.split(","):
        ds = reclite.read_dataset(dataset_path(name))
        log(f"{ds}")
        t0 = time.perf_counter()
        rows, best = warm(name, ds, args, log)
        warm_rows += rows
        cold_rows += cold(name, ds, best["content"], best, args.bases, log)
        log(f"{name}: {time.perf_counter() - t0:.0f} s")
    print()
    print_table(["dataset", "model", "ndcg@10", "recall@10", "users <=5", "ndcg@10 <=5", "recall@10 <=5"],
                warm_rows, digits=4)
    print()
    print_table(["dataset", "model", "items ranked", "ndcg@10", "recall@10"], cold_rows, digits=4)


if __name__ == "__main__":
    main()
