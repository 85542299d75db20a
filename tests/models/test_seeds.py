"""``random_state``: an int, None, a numpy Generator or a SeedSequence, for every seeded model;
the fitted model saves and loads in every case and a loaded model refits to the same result."""

from __future__ import annotations

import json

import numpy as np
import pytest

import reclite
from reclite.errors import ParameterError, ParameterTypeError
from reclite.models import registry

#: registry models with a random_state, and small fast settings for each
SEEDED = {
    "als": dict(factors=4, iterations=2, device="cpu", num_threads=1),
    "bpr": dict(factors=4, iterations=3, device="cpu", num_threads=1),
    "lmf": dict(factors=4, iterations=3, device="cpu", num_threads=1),
    "surprise_svd": dict(params={"n_factors": 4, "n_epochs": 3}),
    "surprise_knn": dict(params={"k": 5}, max_candidates=None),
}
SEEDS = {
    "int": lambda: 7,
    "numpy-int": lambda: np.int64(7),
    "generator": lambda: np.random.default_rng(0),
    "seedsequence": lambda: np.random.SeedSequence(1234),
    "none": lambda: None,
}


@pytest.fixture(scope="module")
def data() -> reclite.Dataset:
    return reclite.synthetic_dataset(60, 40, 600, random_state=3)


#: seeded registry models whose seeds are tested elsewhere
ELSEWHERE = {
    # fitted by Spark: same seed and blocks give the same factors in tests/spark (the contract's
    # second-fit check), and the int seed is what is saved (tests/spark/test_spark_als.py)
    "spark_als": "tests/spark",
}


def test_every_seeded_registry_model_is_covered():
    seeded = {n for n in registry.names() if "random_state" in registry.create(n).get_params()}
    assert seeded == set(SEEDED) | set(ELSEWHERE)


def _learned(model) -> list[np.ndarray]:
    names = ("user_factors_", "item_factors_", "user_bias_", "item_bias_", "sim_")
    return [getattr(model, n) for n in names if hasattr(model, n)]


@pytest.mark.parametrize("seed_kind", list(SEEDS))
@pytest.mark.parametrize("name", list(SEEDED))
def test_any_seed_saves_loads_and_refits_to_the_same_model(data, tmp_path, name, seed_kind):
    seed = SEEDS[seed_kind]()
    model = registry.create(name, random_state=seed, **SEEDED[name]).fit(data)
    used = model.random_seed_
    assert type(used) is int and used >= 0
    if seed_kind in ("int", "numpy-int"):
        assert used == 7  # an int passes through unchanged
    model.save(tmp_path / "m")

    saved = json.loads((tmp_path / "m" / "params.json").read_text())["params"]["random_state"]
    if seed_kind == "none":
        assert saved is None  # the model asked for fresh randomness: the file says so
    else:
        assert saved == used  # a Generator / SeedSequence is recorded as the int the fit used

    back = reclite.load_model(tmp_path / "m")
    assert back.random_seed_ == used
    assert back.get_params()["random_state"] == saved
    users = data.users.ids[:10]
    assert back.recommend(users, k=5).equals(model.recommend(users, k=5))

    # the seed the fit used reproduces it: refit the loaded model (or a copy seeded with random_seed_)
    again = back if saved is not None else back.set_params(random_state=back.random_seed_)
    again.fit(data)
    assert again.random_seed_ == used
    for a, b in zip(_learned(again), _learned(model), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", list(SEEDED))
def test_equal_generators_give_equal_fits_and_the_generator_is_advanced(data, name):
    g = np.random.default_rng(11)
    a = registry.create(name, random_state=g, **SEEDED[name]).fit(data)
    b = registry.create(name, random_state=np.random.default_rng(11), **SEEDED[name]).fit(data)
    assert a.random_seed_ == b.random_seed_
    for x, y in zip(_learned(a), _learned(b), strict=True):
        np.testing.assert_array_equal(x, y)
    # the same Generator object draws a new seed on the next fit, as numpy's Generators do
    assert a.fit(data).random_seed_ != b.random_seed_


def test_seedsequence_gives_the_same_seed_every_fit(data):
    ss = np.random.SeedSequence(99)
    m = reclite.ALS(random_state=ss, **SEEDED["als"])
    assert m.fit(data).random_seed_ == m.fit(data).random_seed_


def test_surprise_params_seed_wins_and_is_recorded(data, tmp_path):
    m = reclite.SurpriseRecommender(params={"n_factors": 3, "n_epochs": 2, "random_state": 5},
                                    random_state=np.random.default_rng(1)).fit(data)
    assert m.random_seed_ == 5
    m.save(tmp_path / "m")
    back = reclite.load_model(tmp_path / "m")
    assert back.random_seed_ == 5 and back.get_params()["params"]["random_state"] == 5
    np.testing.assert_array_equal(back.fit(data).item_factors_, m.item_factors_)


@pytest.mark.parametrize("name", list(SEEDED))
@pytest.mark.parametrize("bad, error", [
    (-1, ParameterError), ("7", ParameterTypeError), (2.5, ParameterTypeError), (True, ParameterTypeError),
    (np.random.RandomState(0), ParameterTypeError),
])
def test_bad_seeds_are_refused_at_fit(data, name, bad, error):
    with pytest.raises(error, match=r"random_state must be a non-negative int, a numpy Generator, a SeedSequence "
                                    r"or None, got "):
        registry.create(name, random_state=bad, **SEEDED[name]).fit(data)


def test_surprise_seed_must_fit_numpys_randomstate(data):
    with pytest.raises(ParameterError, match=r"random_state must be below 2\*\*32 .*got 4294967296"):
        reclite.SurpriseRecommender(random_state=2**32).fit(data)
    # implicit seeds numpy's default_rng, which takes any non-negative int
    assert reclite.ALS(random_state=2**40, **SEEDED["als"]).fit(data).random_seed_ == 2**40
