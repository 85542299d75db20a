"""Array aliases and the dtypes every module agrees on."""

from __future__ import annotations

import os
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

INDEX_DTYPE = np.int32  # user and item indices
VALUE_DTYPE = np.float32  # interaction values, confidences, scores
TIME_DTYPE = np.int64  # timestamps
METRIC_DTYPE = np.float64  # metric accumulators

IntArray: TypeAlias = NDArray[np.int32]
FloatArray: TypeAlias = NDArray[np.float32]
Float64Array: TypeAlias = NDArray[np.float64]
RNGInput: TypeAlias = int | np.random.Generator | np.random.SeedSequence | None
PathLike: TypeAlias = str | os.PathLike

__all__ = [
    "INDEX_DTYPE",
    "VALUE_DTYPE",
    "TIME_DTYPE",
    "METRIC_DTYPE",
    "IntArray",
    "FloatArray",
    "Float64Array",
    "RNGInput",
    "PathLike",
    "parse_memory",
    "int_seed",
]

_UNITS = {"": 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4,
          "K": 1024, "M": 1024**2, "G": 1024**3, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3}


def parse_memory(value: int | float | str) -> int:
    """Turn ``"1GB"``, ``"512MB"``, ``2e9`` or ``1_000_000`` into a number of bytes."""
    if isinstance(value, bool):
        raise ValueError(f"max_memory must be a size such as '1GB' or a number of bytes, got {value!r}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        if value <= 0:
            raise ValueError(f"max_memory must be positive, got {value!r}")
        return int(value)
    text = str(value).strip().upper().replace(" ", "").replace("_", "")
    num = text.rstrip("KMGTIB")
    unit = text[len(num):]
    try:
        number = float(num)
    except ValueError:
        number = -1.0
    if unit not in _UNITS or number <= 0:
        raise ValueError(f"max_memory must be a size such as '1GB', '512MB' or a number of bytes, got {value!r}")
    return int(number * _UNITS[unit])


def int_seed(random_state: RNGInput) -> int:
    """An int seed for libraries that take one (implicit, scikit-surprise).

    An int passes through unchanged, so a seed reproduces the library called directly;
    a Generator, SeedSequence or None becomes one through
    ``np.random.default_rng(random_state).integers``.
    """
    from numbers import Integral

    if isinstance(random_state, (bool, np.bool_)):
        raise TypeError(f"random_state must be an int, a numpy Generator or None, got {random_state!r}")
    if isinstance(random_state, (Integral, np.integer)):
        if random_state < 0:
            raise ValueError(f"random_state must be non-negative, got {random_state}")
        return int(random_state)
    if random_state is not None and not isinstance(random_state, (np.random.Generator, np.random.SeedSequence)):
        raise TypeError(f"random_state must be an int, a numpy Generator or None, got "
                        f"{type(random_state).__name__}")
    return int(np.random.default_rng(random_state).integers(2**31 - 1))
