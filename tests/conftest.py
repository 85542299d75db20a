"""Shared fixtures: a seeded rng, tiny datasets built here, the real datasets when present."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import reclite

_HERE = Path(__file__).resolve().parent


def shared_data_dir() -> Path | None:
    """RECLITE_DATA, else ../shared/data beside the checkout; None when neither exists."""
    env = os.environ.get("RECLITE_DATA")
    candidates = [Path(env)] if env else []
    candidates += [_HERE.parent.parent / "shared" / "data", _HERE.parent / "shared" / "data"]
    for c in candidates:
        if c.is_dir():
            return c
    return None


def real_dataset_path(name: str) -> Path:
    base = shared_data_dir()
    if base is None or not (base / name).exists():
        pytest.skip(f"{name} not found: set RECLITE_DATA to the folder holding the public datasets")
    return base / name


@pytest.fixture(autouse=True)
def _runs_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI runs record into a temporary folder, never into the working directory's reclite-runs/."""
    monkeypatch.setenv("RECLITE_RUNS", str(tmp_path_factory.mktemp("runs")))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(42)


@pytest.fixture(scope="session")
def ml100k_path() -> Path:
    return real_dataset_path("ml-100k")


@pytest.fixture(scope="session")
def ml100k(ml100k_path: Path) -> reclite.Dataset:
    return reclite.read_movielens(ml100k_path)


@pytest.fixture(scope="session")
def mlsmall_path() -> Path:
    return real_dataset_path("ml-latest-small")


@pytest.fixture(scope="session")
def lastfm_path() -> Path:
    return real_dataset_path("hetrec2011-lastfm-2k")


@pytest.fixture
def tiny() -> reclite.Dataset:
    """3 users x 4 items with genres, years and times: the hand-computation dataset.

    user a: items w(t=1), x(t=2), y(t=3)
    user b: items x(t=5), z(t=4)
    user c: items w(t=7)
    genres: w {Drama}, x {Drama, Comedy}, y {Comedy}, z {Horror}; years 1990, 2000, 2010, NaN
    """
    df = pd.DataFrame({"user": ["a", "a", "a", "b", "b", "c"],
                       "item": ["w", "x", "y", "x", "z", "w"],
                       "value": [5.0, 3.0, 4.0, 1.0, 2.0, 4.0],
                       "time": [1, 2, 3, 5, 4, 7]})
    ds0 = reclite.Dataset.from_frame(df, value="value", time="time", source="tiny")
    items = ds0.items
    g = reclite.MultiHot.from_pairs(items.to_index(["w", "x", "x", "y", "z"]),
                                    np.array(["Drama", "Drama", "Comedy", "Comedy", "Horror"]), len(items))
    years = np.array([1990.0, 2000.0, 2010.0, np.nan])
    return reclite.Dataset(ds0.user_idx, ds0.item_idx, ds0.values, ds0.times, users=ds0.users,
                           items=items, genres=g, years=years, name="tiny")


# ---------------------------------------------------------------------- Spark
def pytest_collection_modifyitems(config, items):
    """Tests marked ``spark`` skip, with the reason, only when pyspark or Java 17+ is missing."""
    marked = [item for item in items if item.get_closest_marker("spark")]
    if not marked:
        return
    from reclite.models.spark import SPARK_INSTALL, spark_unavailable_reason

    reason = spark_unavailable_reason()
    if reason:
        skip = pytest.mark.skip(reason=f"Spark tests need {SPARK_INSTALL}: {reason}")
        for item in marked:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def spark_session():
    """The one local SparkSession of a test run: 2 cores, UI off, quiet logs, 2 shuffle partitions."""
    from reclite.models.spark import local_spark_session

    session = local_spark_session("local[2]", shuffle_partitions=2)
    yield session
    session.stop()


@pytest.fixture(autouse=True)
def _spark_session_for_spark_tests(request):
    """Every ``spark`` test runs in the shared session (SparkALS(spark=None) reuses the active one)."""
    if request.node.get_closest_marker("spark"):
        request.getfixturevalue("spark_session")
