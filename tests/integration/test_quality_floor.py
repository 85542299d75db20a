"""A quality floor per registry model on real data: a regression in a default or a kernel fails here.

Each model is fitted with its registry defaults (``random_state=0`` where it has one) on a fixed
per-user 75/25 ``random_holdout`` of MovieLens 100K (seed 42) and scored by ``reclite.evaluate``
(ndcg@10, every item ranked, training items removed).

The floors sit a little under the values measured when they were set (listed beside each), so
that thread scheduling (BPR and LMF train Hogwild-style on several threads) and platform
arithmetic do not trip them, while a lost percent of ndcg does. When a change *improves* a
model, raise its floor in the same commit; when it lowers one on purpose, say why there.
"""

from __future__ import annotations

import warnings

import pytest

import reclite
from reclite.models import registry

pytestmark = pytest.mark.realdata

# registry name -> (floor, ndcg@10 measured when the floor was set)
FLOORS: dict[str, tuple[float, float]] = {
    "pop": (0.245, 0.2489),
    "genre_rule": (0.247, 0.2530),  # n_genres 3 -> 4 (validated on four datasets)
    "itemknn": (0.428, 0.4369),  # prune="target", k_neighbors=200, shrinkage=10 (was 0.3836)
    "userknn": (0.447, 0.4557),  # prune="source" (was 0.4363)
    "ease": (0.470, 0.4790),  # l2 is the textbook lambda (binary stores 1); default 500 -> 300
    # defaults chosen across four datasets (benchmarks/accuracy_defaults.py): walk_alpha 1 -> 0.5 and
    # k_neighbors 100 -> 200 cost 1.7% here (0.4336 before) and gain 72% on Last.fm (0.12 -> 0.21)
    "rp3beta": (0.420, 0.4261),
    # reg 20 -> 50, alpha 1 -> 7 (0.4844 before): on Last.fm +10% ndcg@10, twice the coverage
    "als": (0.475, 0.4788),
    "bpr": (0.364, 0.3789),  # lr 0.01 -> 0.005, 50 -> 100 epochs
    "lmf": (0.390, 0.4045),  # reg 6 -> 12, alpha 1 -> 5
    "surprise_svd": (0.100, 0.1094),
    "surprise_knn": (0.088, 0.0966),
    # ensembles of the registry's default members (EASE, ALS with random_state=0, ItemKNN), untuned:
    # below ALS alone (equal votes for the weaker ItemKNN); tuned members are benchmarks/accuracy_ensemble.py's
    "rankvote": (0.460, 0.4681),
    "blend": (0.457, 0.4654),
    # content only (genres, years, title words of ML-100K): far below collaborative models on warm users,
    # as published studies find; its use is cold items (README, "Content and cold start")
    "content": (0.021, 0.0232),
    "content_expand": (0.470, 0.4788),  # EASE's histories expanded by content: EASE alone is 0.4790
}


@pytest.fixture(scope="module")
def ml100k_split(ml100k):
    return reclite.split.random_holdout(ml100k, test_size=0.25, random_state=42)


#: registry models held to a reference elsewhere instead of a floor here
ELSEWHERE = {
    # fitted by Apache Spark (slow to start): tests/spark/test_spark_accuracy.py holds its ndcg@10 on
    # MovieLens 100K within 0.01 of ALS's, each at its best regularisation
    "spark_als": "tests/spark/test_spark_accuracy.py",
}


def test_every_registry_model_has_a_floor():
    assert set(FLOORS) | set(ELSEWHERE) == set(registry.names())


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_ndcg_at_10_stays_above_floor(name, ml100k_split):
    train, test = ml100k_split
    model = registry.create(name)
    if "random_state" in model.get_params(deep=False):
        model.set_params(random_state=0)
    if "show_progress" in model.get_params(deep=False):
        model.set_params(show_progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(train)
        table = reclite.evaluate(model, train, test, k=10, metrics=["ndcg"])
    ndcg = float(table["ndcg"].iloc[0])
    floor, measured = FLOORS[name]
    assert ndcg >= floor, (f"{name}: ndcg@10 {ndcg:.4f} fell below its floor {floor} "
                           f"(measured {measured} when the floor was set)")
