"""The shared model contract (tests/_contract.py) for SparkALS, in the test run's one Spark session."""

from __future__ import annotations

import pytest

from .._contract import CHECKS

pytestmark = pytest.mark.spark


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__.removeprefix("check_") for c in CHECKS])
def test_contract(check, tmp_path):
    check("spark_als", tmp_path)
