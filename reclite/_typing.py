"""Array aliases and the dtypes every module agrees on (parameter checks: :mod:`reclite._validation`)."""

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
]
