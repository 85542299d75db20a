"""TF-IDF and BM25 weighting of a sparse matrix: one implementation, two parameter sets.

Rows are the "documents", columns the "terms" (implicit's ``tfidf_weight`` and
``bm25_weight``, which the tests compare against). Two users:

- the ``bm25`` and ``tfidf`` confidence components (:mod:`reclite.confidence`) weigh
  the interaction matrix as implicit's ``BM25Recommender`` does, items as documents
  and users as terms, with ``K1=100, B=0.8``;
- ItemKNN and UserKNN's ``weighting`` (:mod:`reclite.models.knn`) weigh the vectors
  they compare (:func:`weighting_stats`, :func:`row_weights`), with ``k1=1.2, b=0.75``.

Both learn the statistics (idf, lengths) from the training data once and weigh a new
user's row with them, so a training user's history is weighed as their training row.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._typing import Float64Array

__all__ = ["WEIGHTINGS", "idf", "tfidf", "bm25", "weighting_stats", "row_weights"]

WEIGHTINGS = (None, "tfidf", "bm25")
"""The ``weighting`` options of the kNN models."""


def idf(n_documents: int, document_frequency: np.ndarray) -> Float64Array:
    """``log(n_documents) - log(1 + df_t)`` per term (implicit's idf)."""
    return np.log(max(n_documents, 1)) - np.log1p(document_frequency)


def tfidf(tf: np.ndarray, term_idf: np.ndarray) -> Float64Array:
    """``sqrt(tf) * idf``, entry by entry (``term_idf`` aligned with ``tf``)."""
    return np.sqrt(tf) * term_idf


def bm25(tf: np.ndarray, doc: np.ndarray, doc_length: np.ndarray, avg_length: float, term_idf: np.ndarray,
         k1: float, b: float) -> Float64Array:
    """``tf (k1 + 1) / (k1 L_d + tf) * idf`` entry by entry, ``L_d = (1 - b) + b len_d / avg_len``.

    Parameters
    ----------
    tf : ndarray of float64
        The entries' values (term frequencies), non-negative.
    doc : ndarray of int
        Each entry's document, an index into ``doc_length``.
    doc_length, avg_length
        Each document's length (its sum of values) and the mean length the
        normalisation is relative to (1 when it is not positive).
    term_idf : ndarray
        Each entry's term idf (:func:`idf`), aligned with ``tf``.

    An entry whose denominator is 0 (``k1 L_d + tf = 0``) weighs 0.
    """
    norm = (1.0 - b) + b * doc_length / (avg_length if avg_length > 0 else 1.0)
    denom = norm[doc]  # a fresh array: the arithmetic below is in place (one pass each)
    denom *= k1
    denom += tf
    out = tf * (k1 + 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out /= denom
    out[~(denom > 0)] = 0.0
    out *= term_idf
    return out


def weighting_stats(M: sp.csr_matrix, weighting: str | None) -> tuple[np.ndarray | None, float]:
    """Per-column inverse document frequency and the mean row sum of ``M``.

    Rows are the "documents" (the vectors compared), columns the "terms":
    ``idf_t = log(n_rows) - log(1 + df_t)`` with ``df_t`` the rows holding term ``t``.
    """
    if weighting is None:
        return None, 1.0
    M = sp.csr_matrix(M)
    avg_len = float(np.asarray(M.sum(axis=1)).mean()) if M.shape[0] else 1.0
    return idf(M.shape[0], np.bincount(M.indices, minlength=M.shape[1])), avg_len


def row_weights(M: sp.csr_matrix, weighting: str | None, term_idf: np.ndarray | None, avg_len: float,
                k1: float = 1.2, b: float = 0.75) -> sp.csr_matrix:
    """Weight the entries of ``M`` (rows are documents, columns terms), as float64.

    - None: unchanged;
    - ``"tfidf"``: ``sqrt(m_dt) * idf_t`` (:func:`tfidf`);
    - ``"bm25"``: :func:`bm25` with ``len_d`` the row sum.

    ``term_idf`` and ``avg_len`` come from :func:`weighting_stats` on the fitted data, so
    new rows (a from-history user) are weighted like the training rows.
    """
    M = sp.csr_matrix(M, dtype=np.float64, copy=True)
    if weighting is None:
        return M
    if term_idf is None:
        raise ValueError(f"weighting {weighting!r} needs the fitted idf (weighting_stats)")
    if weighting == "tfidf":
        M.data = tfidf(M.data, term_idf[M.indices])
    elif weighting == "bm25":
        rows = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))
        length = np.asarray(M.sum(axis=1)).ravel()
        M.data = bm25(M.data, rows, length, avg_len, term_idf[M.indices], k1, b)
    else:  # pragma: no cover - validated by the models
        raise ValueError(f"unknown weighting {weighting!r}")
    return M
