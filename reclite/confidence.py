"""Confidence weighting (minimal version: binary only; the expression language is being built)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .errors import ConfidenceSpecError


def build_confidence(data, spec: str = "binary", alpha: float = 1.0, params=None) -> sp.csr_matrix:
    from .models.base import as_dataset

    ds = as_dataset(data)
    if spec != "binary":
        raise ConfidenceSpecError(f"unknown confidence spec {spec!r}")
    C = ds.matrix()
    C.data[:] = np.float32(1.0 + alpha)
    return C
