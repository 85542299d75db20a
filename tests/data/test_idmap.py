"""IdMap: round trips (hypothesis), unknown ids, missing= policies, ids asked in the other type."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reclite.data.idmap import IdMap
from reclite.errors import RecliteError, UnknownIdError

int_ids = st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), unique=True, max_size=60)
# numpy unicode arrays drop trailing NUL characters, so ids never end in "\x00" here
text_ids = st.lists(st.text(alphabet=st.characters(exclude_characters="\x00", exclude_categories=("Cs",)),
                            max_size=8), unique=True, max_size=60)


@settings(max_examples=60, deadline=None)
@given(int_ids)
def test_round_trip_int_ids(ids):
    m = IdMap(ids, name="user")
    idx = m.to_index(ids)
    assert idx.dtype == np.int32
    assert idx.tolist() == list(range(len(ids)))
    assert m.to_raw(idx).tolist() == ids


@settings(max_examples=60, deadline=None)
@given(text_ids)
def test_round_trip_text_ids(ids):
    m = IdMap(ids)
    assert m.to_index(ids).tolist() == list(range(len(ids)))
    assert m.to_raw(np.arange(len(ids))).tolist() == ids


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-5, max_value=50), max_size=80))
def test_from_values_codes_map_back(values):
    m, codes = IdMap.from_values(values)
    assert codes.dtype == np.int32
    assert m.ids.tolist() == sorted(set(values))
    assert m.to_raw(codes).tolist() == values


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "10", "9", "x y", "é"]), max_size=40))
def test_from_values_text_sorted(values):
    m, codes = IdMap.from_values(values)
    assert m.ids.tolist() == sorted(set(values))  # text sorts as text: "10" before "9"
    assert m.to_raw(codes).tolist() == values


def test_unknown_ids_error_lists_a_few():
    m = IdMap([1, 2, 3], name="item")
    with pytest.raises(UnknownIdError) as info:
        m.to_index([7, 1, 8, 9, 10, 11, 12, 7])
    assert str(info.value) == "6 unknown item ids (e.g. 7, 8, 9, 10, 11); the map knows 3 items"
    assert info.value.missing.tolist() == [7, 8, 9, 10, 11, 12]
    assert isinstance(info.value, KeyError) and isinstance(info.value, RecliteError)


def test_one_unknown_id_singular_and_quoted_text():
    m = IdMap(["a", "b"], name="user")
    with pytest.raises(UnknownIdError) as info:
        m.to_index(["a", "zed"])
    assert str(info.value) == "1 unknown user id (e.g. 'zed'); the map knows 2 users"


def test_missing_negative_and_skip():
    m = IdMap([10, 20, 30])
    assert m.to_index([20, 99, 10], missing="negative").tolist() == [1, -1, 0]
    assert m.to_index([20, 99, 10], missing="skip").tolist() == [1, 0]
    assert m.to_index([], missing="raise").tolist() == []


def test_int_ids_asked_as_strings():
    m = IdMap([1, 2, 3])
    assert m.to_index(["3", "1"]).tolist() == [2, 0]
    assert m.to_index(np.array(["2"])).tolist() == [1]


def test_int_ids_asked_as_a_mix_of_numbers_and_text():
    m = IdMap([1, 2, 3], name="user")
    assert m.to_index(["x", "1", " 2"], missing="negative").tolist() == [-1, 0, 1]
    with pytest.raises(UnknownIdError) as info:
        m.to_index(["x", "1"])
    assert str(info.value) == "1 unknown user id (e.g. 'x'); the map knows 3 users"


def test_text_ids_asked_as_ints():
    m = IdMap(["10", "9", "x"])
    assert m.to_index([10, 9]).tolist() == [0, 1]
    assert m.to_index(np.array([9.0])).tolist() == [1]


def test_float_ids_that_are_integers_become_int():
    m, codes = IdMap.from_values(np.array([3.0, 1.0]))
    assert m.ids.dtype == np.int64 and m.ids.tolist() == [1, 3]


def test_to_raw_out_of_range():
    m = IdMap(["a", "b"], name="item")
    with pytest.raises(IndexError, match=r"item index out of range \[0, 2\): 0..2"):
        m.to_raw([0, 2])


def test_repeated_ids_rejected():
    with pytest.raises(ValueError, match=r"IdMap ids must be distinct; repeated user ids: \[2\]"):
        IdMap([1, 2, 2], name="user")


def test_ids_read_only():
    m = IdMap([1, 2])
    with pytest.raises(ValueError):
        m.ids[0] = 5


def test_caller_array_not_shared():
    raw = np.array([1, 2, 3])
    m = IdMap(raw)
    raw[0] = 99
    assert m.ids.tolist() == [1, 2, 3]


def test_contains_len_eq_repr():
    m = IdMap(["a", "b", "c", "d"], name="item")
    assert "b" in m and "z" not in m
    assert len(m) == 4
    assert m == IdMap(["a", "b", "c", "d"]) and m != IdMap(["a", "b"])
    assert repr(m) == "IdMap(item: 4 ids ['a', 'b', 'c', ...])"
