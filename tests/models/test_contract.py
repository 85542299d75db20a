"""The shared contract, run over every model in the registry whose module exists."""

from __future__ import annotations

import pytest

from reclite.models import registry

from .._contract import CHECKS


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__.removeprefix("check_") for c in CHECKS])
# spark_als runs the same checks in tests/spark/test_spark_contract.py, in the one shared Spark session
@pytest.mark.parametrize("name", [n for n in registry.names() if n != "spark_als"])
def test_contract(name, check, tmp_path):
    check(name, tmp_path)


def test_registry_lists_the_classical_models():
    assert {"pop", "genre_rule", "itemknn", "userknn", "ease", "rp3beta"} <= set(registry.names())
