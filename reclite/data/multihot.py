"""MultiHot: a frozen item x label membership matrix (genres, people, attributes), and the
freezing helpers that keep a Dataset's arrays read-only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._typing import VALUE_DTYPE

__all__ = ["MultiHot"]


@dataclass(frozen=True, eq=False)
class MultiHot:
    """Item x label membership (genres, directors, writers...).

    Immutable: the matrix's ``data``, ``indices`` and ``indptr`` and the vocabulary are
    read-only arrays (a matrix or vocabulary given here is copied unless it already is),
    so Datasets and their splits share a MultiHot safely.

    Attributes
    ----------
    matrix : csr_matrix of shape (n_items, n_labels), float32
        1.0 where the item carries the label (canonical: sorted indices, no duplicates).
    vocabulary : ndarray of str, shape (n_labels,)
        Label names, in column order.
    """

    matrix: sp.csr_matrix
    vocabulary: np.ndarray

    def __post_init__(self) -> None:
        m = self.matrix
        if not (type(m) is sp.csr_matrix and m.dtype == VALUE_DTYPE
                and all(_frozen(a) for a in (m.data, m.indices, m.indptr))):
            if not sp.issparse(m):
                raise TypeError(f"MultiHot.matrix must be a scipy sparse matrix, got {type(m).__name__}")
            m = sp.csr_matrix(m, dtype=VALUE_DTYPE, copy=True)
            m.sum_duplicates()
            m.eliminate_zeros()
            m.sort_indices()
            _freeze_csr(m)
        vocab = np.asarray(self.vocabulary)
        if not (vocab.dtype.kind == "U" and _frozen(vocab)):
            vocab = _owned(vocab.astype(str))
        if vocab.shape != (m.shape[1],):
            raise ValueError(f"MultiHot vocabulary has shape {vocab.shape}, expected ({m.shape[1]},) "
                             "(one label per matrix column)")
        object.__setattr__(self, "matrix", m)
        object.__setattr__(self, "vocabulary", vocab)

    def __setstate__(self, state: dict[str, Any]) -> None:  # unpickled arrays come back writeable
        m = state["matrix"]
        _freeze_csr(m)
        object.__setattr__(self, "matrix", m)
        object.__setattr__(self, "vocabulary", _owned(np.asarray(state["vocabulary"])))

    @classmethod
    def from_pairs(cls, item_idx: np.ndarray, labels: np.ndarray, n_items: int,
                   vocabulary: np.ndarray | None = None) -> MultiHot:
        """Build from (item index, label) pairs; repeated pairs count once."""
        labels = np.asarray(labels).astype(str)
        if vocabulary is None:
            codes, vocab = pd.factorize(labels, sort=True)
            vocab = np.asarray(vocab).astype(str)
        else:
            vocab = np.asarray(vocabulary).astype(str)
            codes = pd.Index(vocab).get_indexer(labels)
            keep = codes >= 0
            codes, item_idx = codes[keep], np.asarray(item_idx)[keep]
        m = sp.csr_matrix(
            (np.ones(len(codes), dtype=VALUE_DTYPE), (np.asarray(item_idx), codes)),
            shape=(n_items, len(vocab)), dtype=VALUE_DTYPE,
        )
        m.sum_duplicates()
        m.data[:] = 1.0
        m.sort_indices()
        _freeze_csr(m)  # fresh: frozen here, so the constructor takes it without a copy
        return cls(m, _owned(vocab.copy()))

    def labels_of(self, item_idx: int) -> list[str]:
        row = self.matrix.indices[self.matrix.indptr[item_idx]:self.matrix.indptr[item_idx + 1]]
        return self.vocabulary[row].tolist()


def _frozen(a: np.ndarray) -> bool:
    """True when nobody can write through ``a``: neither it nor any array it views is writeable.

    (A read-only view of a writeable array is not frozen: its owner can still change it.)
    """
    base: Any = a
    while isinstance(base, np.ndarray):
        if base.flags.writeable:
            return False
        base = base.base
    if base is None or isinstance(base, bytes):
        return True
    try:  # a memory map or another buffer: frozen when it is read-only
        return memoryview(base).readonly
    except TypeError:
        return False


def _owned(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a``, which nobody else holds (a fresh array), frozen in place.

    The view's base is read-only and owns its memory, so the view's WRITEABLE flag cannot
    be set back. (An ``a`` that is itself a view is copied first: through its base it
    could still be written.)
    """
    if a.base is not None:
        a = a.copy()
    a.setflags(write=False)
    view = a.view()
    view.setflags(write=False)
    return view


def _freeze_csr(m: sp.csr_matrix) -> None:
    """Freeze a fresh CSR matrix in place: its three arrays become read-only views."""
    m.data, m.indices, m.indptr = _owned(m.data), _owned(m.indices), _owned(m.indptr)
