"""reclite._validation: the one place parameters are checked, and the message shape it promises."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import pytest

import reclite._typing
from reclite import _validation as V
from reclite.errors import ParameterError, ParameterTypeError


def test_parse_memory_and_int_seed_live_only_in_validation():
    assert not hasattr(reclite._typing, "parse_memory")
    assert not hasattr(reclite._typing, "int_seed")
    from reclite.models import factor

    assert factor.implicit_seed is V.int_seed


def test_error_classes_are_value_and_type_errors():
    # existing callers that catch ValueError / TypeError keep working
    assert issubclass(ParameterError, ValueError)
    assert issubclass(ParameterTypeError, ParameterError) and issubclass(ParameterTypeError, TypeError)


# ---------------------------------------------------------------------- check_scalar
@pytest.mark.parametrize("value, kwargs, error, message", [
    (0, dict(target_type=Integral, min_val=1), ParameterError, "factors must be an integer >= 1, got 0"),
    (2.5, dict(target_type=Integral, min_val=1), ParameterTypeError,
     "factors must be an integer >= 1, got 2.5 (float)"),
    (2.0, dict(target_type=Integral, min_val=1), ParameterTypeError,
     "factors must be an integer >= 1, got 2.0 (float)"),
    (True, dict(target_type=Integral, min_val=1), ParameterTypeError,
     "factors must be an integer >= 1, got True (bool)"),
    (np.bool_(True), dict(target_type=Real), ParameterTypeError, "factors must be a number, got "),
    ("8", dict(target_type=Integral), ParameterTypeError, "factors must be an integer, got '8' (str)"),
    (0.0, dict(target_type=Real, min_val=0.0, include_boundaries="neither"), ParameterError,
     "factors must be a number > 0, got 0.0"),
    (1.5, dict(target_type=Real, min_val=0.0, max_val=1.0), ParameterError,
     "factors must be a number in [0, 1], got 1.5"),
    (1.0, dict(target_type=Real, min_val=0.0, max_val=1.0, include_boundaries="left"), ParameterError,
     "factors must be a number in [0, 1), got 1.0"),
    (math.nan, dict(target_type=Real, min_val=0.0), ParameterError,
     "factors must be a number >= 0 (finite), got nan"),
    (math.inf, dict(target_type=Real), ParameterError, "factors must be a number (finite), got inf"),
])
def test_check_scalar_raises_reclite_errors_naming_name_value_and_expectation(value, kwargs, error, message):
    with pytest.raises(error) as info:
        V.check_scalar(value, "factors", owner="ALS", **kwargs)
    assert type(info.value) is error
    assert str(info.value).startswith("ALS: " + message)


def test_check_scalar_owner_may_be_an_object_and_values_pass_unchanged():
    class Model:
        pass

    with pytest.raises(ParameterError, match=r"^Model: l2 must be a number > 0, got -1$"):
        V.check_float(-1, "l2", min_val=0.0, include_boundaries="neither", owner=Model())
    assert V.check_scalar(np.int64(3), "n", Integral, min_val=1) == 3
    assert V.check_int(np.int32(4), "n", min_val=1) == 4 and type(V.check_int(np.int32(4), "n")) is int
    assert V.check_float(3, "x") == 3.0 and type(V.check_float(3, "x")) is float
    assert V.check_float(np.float32(0.5), "x", min_val=0.0, max_val=1.0) == 0.5


def test_long_values_are_shortened_in_messages():
    with pytest.raises(ParameterTypeError) as info:
        V.check_int("x" * 500, "n")
    assert len(str(info.value)) < 140 and "..." in str(info.value)


def test_check_fraction_bool_and_option():
    assert V.check_fraction(0.25, "test_size") == 0.25
    for bad in (0, 1, 1.5, -0.1):
        with pytest.raises(ParameterError, match=rf"^test_size must be a fraction strictly between 0 and 1, "
                                                 rf"got {bad!r}$"):
            V.check_fraction(bad, "test_size")
    with pytest.raises(ParameterTypeError, match=r"got '0.2' \(str\)"):
        V.check_fraction("0.2", "test_size")
    assert V.check_bool(np.bool_(False), "filter_seen") is False
    for bad in (1, 0, "yes", None):
        with pytest.raises(ParameterTypeError, match=r"^filter_seen must be True or False, got "):
            V.check_bool(bad, "filter_seen")
    assert V.check_option(None, "weighting", (None, "tfidf")) is None
    with pytest.raises(ParameterError, match=r"^ALS: device must be one of 'auto', 'cpu', 'gpu', got 'tpu'$"):
        V.check_option("tpu", "device", ("auto", "cpu", "gpu"), owner="ALS")
    with pytest.raises(ParameterError, match="got 1"):  # 1 == True, but 1 is not the option True
        V.check_option(1, "flag", (True, False))
    assert V.check_option(np.str_("cpu"), "device", ("auto", "cpu")) == "cpu"  # a str subclass is a str
    with pytest.raises(ParameterError, match=r"got array\(\[1, 2\]\)"):  # == gives an array: not an option
        V.check_option(np.array([1, 2]), "device", ("auto", "cpu"))


# ---------------------------------------------------------------------- k
@pytest.mark.parametrize("k, error", [
    (0, ParameterError), (-1, ParameterError), (np.int64(-3), ParameterError),
    (2.5, ParameterTypeError), (2.0, ParameterTypeError), (np.float64(3.0), ParameterTypeError),
    (True, ParameterTypeError), (np.bool_(True), ParameterTypeError), ("10", ParameterTypeError),
    (None, ParameterTypeError), ([10], ParameterTypeError),
])
def test_check_k_refuses_non_positive_and_non_integers(k, error):
    with pytest.raises(error, match=r"^k must be a positive integer, got ") as info:
        V.check_k(k)
    assert type(info.value) is error


def test_check_k_clamps_to_the_limit():
    assert V.check_k(10) == 10 and type(V.check_k(np.int64(10))) is int
    assert V.check_k(10**11, 1682) == 1682
    assert V.check_k(5, 1682) == 5
    assert V.check_k(5, 0) == 0  # nothing can be recommended


def test_check_cutoffs():
    assert V.check_cutoffs(10) == [10]
    assert V.check_cutoffs(np.int64(3)) == [3]
    assert V.check_cutoffs(np.array(4)) == [4]
    assert V.check_cutoffs([20, 5, 5, np.int32(1)]) == [1, 5, 20]
    assert V.check_cutoffs(np.array([10, 10**12])) == [10, 10**12]
    with pytest.raises(ParameterError, match=r"^k must name at least one cut-off, got \[\]$"):
        V.check_cutoffs([])
    with pytest.raises(ParameterError, match=r"^k must be a positive integer or a list of them, got 0 in \[5, 0\]$"):
        V.check_cutoffs([5, 0])
    with pytest.raises(ParameterTypeError, match=r"got 2.5 \(float\) in \[5, 2.5\]$"):
        V.check_cutoffs([5, 2.5])
    with pytest.raises(ParameterTypeError, match=r"^k must be a positive integer, got '10' \(str\)$"):
        V.check_cutoffs("10")


# ---------------------------------------------------------------------- seeds
def test_seeds_accept_int_generator_seedsequence_none():
    assert V.int_seed(12) == 12 and V.int_seed(np.uint8(3)) == 3
    ss = np.random.SeedSequence(5)
    assert V.int_seed(ss) == V.int_seed(np.random.SeedSequence(5))  # a SeedSequence always gives one int
    g1, g2 = np.random.default_rng(0), np.random.default_rng(0)
    assert V.int_seed(g1) == V.int_seed(g2) == int(np.random.default_rng(0).integers(2**31 - 1))
    assert V.int_seed(g1) != V.int_seed(np.random.default_rng(0))  # drawing advanced g1
    assert 0 <= V.int_seed(None) < 2**31 - 1
    assert V.check_random_state(7).integers(1000) == np.random.default_rng(7).integers(1000)
    g = np.random.default_rng(1)
    assert V.check_random_state(g) is g


@pytest.mark.parametrize("bad, error", [
    (-1, ParameterError), ("7", ParameterTypeError), (2.5, ParameterTypeError), (True, ParameterTypeError),
    (np.random.RandomState(0), ParameterTypeError), ([1, 2], ParameterTypeError),
])
def test_bad_seeds_are_parameter_errors_naming_random_state(bad, error):
    for fn in (V.int_seed, V.check_random_state, V.check_seed):
        with pytest.raises(error, match=r"^random_state must be a non-negative int, a numpy Generator, "
                                        r"a SeedSequence or None, got "):
            fn(bad)


# ---------------------------------------------------------------------- memory
@pytest.mark.parametrize("bad, error", [
    ("lots", ParameterError), ("-1GB", ParameterError), (0, ParameterError), (-5, ParameterError),
    (math.nan, ParameterError), (math.inf, ParameterError), (0.5, ParameterError), ("0.1B", ParameterError),
    (True, ParameterTypeError), (None, ParameterTypeError), ([1], ParameterTypeError),
])
def test_parse_memory_refuses_with_the_parameter_name(bad, error):
    with pytest.raises(error, match=r"^EASE: max_memory must be a size such as '1GB'"):
        V.parse_memory(bad, owner="EASE")
    assert V.parse_memory("1.5 kb") == 1536
