"""Neighbourhood models: ItemKNN and UserKNN (cosine, optional TF-IDF/BM25 weighting)."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import scipy.sparse as sp

from .._typing import VALUE_DTYPE
from .._validation import check_float, check_int, check_option
from ..data.dataset import Dataset
from ._fitted import FittedDecl, array, csr, json_value
from ._sparse import WEIGHTINGS, l2_norms, pruned_product, row_weights, sparse_dot_dense, weighting_stats
from .base import Recommender

__all__ = ["ItemKNN", "UserKNN"]

Weighting = Literal["tfidf", "bm25"] | None


def _check_knn_params(model: ItemKNN | UserKNN) -> None:
    check_int(model.k_neighbors, "k_neighbors", min_val=1, owner=model)
    check_float(model.shrinkage, "shrinkage", min_val=0.0, owner=model)
    check_float(model.exponent, "exponent", min_val=0.0, include_boundaries="neither", owner=model)
    check_float(model.bm25_k1, "bm25_k1", min_val=0.0, owner=model)
    check_float(model.bm25_b, "bm25_b", min_val=0.0, max_val=1.0, owner=model)
    check_option(model.weighting, "weighting", WEIGHTINGS, owner=model)


_PARAMS_DOC = r"""
    k_neighbors : int, default=100
        Neighbours kept per {who}: only the ``k_neighbors`` most similar
        {who}s (the {who} itself excluded) contribute to scores.
    shrinkage : float, default=0.0
        Added to the cosine denominator: :math:`s_{{ab}} = \frac{{v_a \cdot v_b}}
        {{\|v_a\| \|v_b\| + \text{{shrinkage}}}}`, which pulls similarities that rest on
        few co-occurrences towards zero.
    weighting : {{None, "tfidf", "bm25"}}, default=None
        Reweighting of the {who} vectors before the cosine ({who}s are the
        documents, {term}s the terms; as implicit's ``tfidf_weight`` and
        ``bm25_weight``): TF-IDF uses :math:`\sqrt{{c}} \cdot idf_t`, BM25 uses
        :math:`c (k_1 + 1) / (k_1 ((1 - b) + b\, len_d / \overline{{len}}) + c) \cdot idf_t`,
        with :math:`idf_t = \log N - \log(1 + df_t)`.
    exponent : float, default=1.0
        Similarities are raised to this power (sign kept) before the neighbours are
        chosen; values above 1 sharpen the neighbourhood.
    bm25_k1 : float, default=1.2
        BM25 term-saturation parameter (only with ``weighting="bm25"``).
    bm25_b : float, default=0.75
        BM25 length-normalisation parameter in [0, 1] (only with ``weighting="bm25"``).
    confidence : str, default="binary"
        Confidence expression giving the matrix :math:`C`.
    alpha : float, default=1.0
        Confidence scale: weights are ``(1 + alpha * f) / (1 + alpha)`` (binary: 1).
    confidence_params : dict, optional
        Parameters of confidence components, e.g. ``{{"era": {{"tau": 15}}}}``."""


class _KNN(Recommender):
    """The parameters ItemKNN and UserKNN share (one constructor, stored verbatim)."""

    confidence_scaling = "unit"  # binary confidence stores 1: shrinkage is on the data's scale

    def __init__(self, *, k_neighbors: int = 100, shrinkage: float = 0.0, weighting: Weighting = None,
                 exponent: float = 1.0, bm25_k1: float = 1.2, bm25_b: float = 0.75,
                 confidence: str = "binary", alpha: float = 1.0, confidence_params: dict | None = None) -> None:
        self.k_neighbors = k_neighbors
        self.shrinkage = shrinkage
        self.weighting = weighting
        self.exponent = exponent
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b
        self.confidence = confidence
        self.alpha = alpha
        self.confidence_params = confidence_params

    def _check_params(self) -> None:
        _check_knn_params(self)


class ItemKNN(_KNN):
    __doc__ = r"""Item-based nearest neighbours with cosine similarity.

    Each item is the vector of its users' confidences (a column of :math:`C`,
    optionally TF-IDF/BM25 weighted); the similarity of items ``i`` and ``j`` is their
    (shrunk) cosine, raised to ``exponent``. Each item keeps its ``k_neighbors`` most
    similar other items (row ``i`` of :math:`S`) and a user's score for item ``j`` is

    .. math:: \hat r_{uj} = \sum_{i \in I_u} c_{ui}\, S_{ij},

    the neighbour similarities summed over the user's items, weighted by the
    user's confidence in each (Sarwar et al., WWW 2001; Deshpande & Karypis, TOIS
    2004).

    The similarity matrix is computed sparse: the product :math:`C^\top C` is
    accumulated row by row in parallel and pruned to the top ``k_neighbors`` at
    once, so no dense items x items matrix is ever built.

    Parameters
    ----------""" + _PARAMS_DOC.format(who="item", term="user") + r"""

    Notes
    -----
    Confidence weights act twice: as the entries of the item vectors, so users who
    are confident about both items count more in their similarity, and as the
    weights :math:`c_{ui}` of the user's own items when summing neighbour
    similarities.

    With ``weighting=None`` this is implicit's ``CosineRecommender`` and with
    ``"tfidf"`` its ``TFIDFRecommender`` (same similarities and scores), except that
    implicit's ``K`` counts the item itself among its neighbours: ``ItemKNN(
    k_neighbors=K)`` matches ``CosineRecommender(K=K + 1)``. implicit's
    ``BM25Recommender`` uses the BM25-weighted dot product without the cosine
    normalisation; here ``"bm25"`` is the cosine of the BM25-weighted vectors (as in
    Dacrema et al.'s ItemKNNCF).

    Attributes
    ----------
    similarity_ : csr_matrix of shape (n_items, n_items), float32
        Row ``i`` holds item ``i``'s ``k_neighbors`` most similar items; zero diagonal.

    Examples
    --------
    >>> import reclite
    >>> model = reclite.ItemKNN(k_neighbors=50).fit(reclite.demo_dataset())
    >>> recs = model.recommend(k=5)
    """

    _fitted_attributes: ClassVar[FittedDecl] = {"similarity_": csr("float32", "n_items_", "n_items_")}

    supports_similar_items = True

    def _fit(self, C: sp.csr_matrix, data: Dataset) -> None:
        items = sp.csr_matrix(C.T)  # items x users: each row an item vector
        idf, avg_len = weighting_stats(items, self.weighting)
        items = row_weights(items, self.weighting, idf, avg_len, self.bm25_k1, self.bm25_b)
        norms = l2_norms(items)
        self.similarity_ = pruned_product(items, sp.csr_matrix(items.T), self.k_neighbors,
                                          row_scale=norms, col_scale=norms, shrink=self.shrinkage,
                                          exponent=self.exponent, skip_diag=True)

    def _score(self, user_idx: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        return sparse_dot_dense(rows, self.similarity_)

    def _similar(self, item_idx: np.ndarray) -> np.ndarray:
        return self.similarity_[item_idx].toarray()


class UserKNN(_KNN):
    __doc__ = r"""User-based nearest neighbours with cosine similarity.

    Each user is their row of confidences (optionally TF-IDF/BM25 weighted); the
    similarity of users ``u`` and ``v`` is their (shrunk) cosine raised to
    ``exponent``. A user's ``k_neighbors`` most similar other users :math:`N_u` vote
    for their items:

    .. math:: \hat r_{uj} = \sum_{v \in N_u} s_{uv}\, c_{vj}

    (Herlocker et al., SIGIR 1999; the implicit-feedback form of Aiolli 2013).

    Similarities are computed at recommendation time for one batch of users against
    all users, sparse (each user's row accumulated over the users who share an item
    with them and pruned to the ``k_neighbors`` best at once, in parallel), never as
    a users x users matrix; a user the model never saw is compared the same way
    through their history.

    Parameters
    ----------""" + _PARAMS_DOC.format(who="user", term="item") + r"""

    Notes
    -----
    Confidence weights act twice: as the entries of the user vectors compared by
    the cosine, and as the votes :math:`c_{vj}` a neighbour gives their items.

    Attributes
    ----------
    user_vectors_ : csr_matrix of shape (n_users, n_items), float32
        The (weighted) user vectors.
    user_norms_ : ndarray of shape (n_users,), float64
        Their Euclidean norms.
    idf_ : ndarray of shape (n_items,) or None
        Item inverse document frequencies (TF-IDF/BM25 only).
    avg_length_ : float
        Mean confidence mass per user (BM25 length normalisation).

    Examples
    --------
    >>> import reclite
    >>> model = reclite.UserKNN(k_neighbors=50).fit(reclite.demo_dataset())
    >>> recs = model.recommend(k=5)
    """

    _fitted_attributes: ClassVar[FittedDecl] = {
        "user_norms_": array("float64", "n_users_"),
        "user_vectors_": csr("float32", "n_users_", "n_items_"),
        "idf_": (array("float64", "n_items_", when={"weighting": ("tfidf", "bm25")}),
                 json_value("null", when={"weighting": None})),
        "avg_length_": json_value("float"),
    }

    def _fit(self, C: sp.csr_matrix, data: Dataset) -> None:
        idf, avg_len = weighting_stats(C, self.weighting)
        W = row_weights(C, self.weighting, idf, avg_len, self.bm25_k1, self.bm25_b)
        self.user_norms_ = l2_norms(W)
        self.user_vectors_ = sp.csr_matrix(W, dtype=VALUE_DTYPE)
        self.idf_ = idf
        self.avg_length_ = avg_len
        self._user_vectors_t = None  # items x users, built on first use (not saved)

    def _score(self, user_idx: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        # similarities of the batch to every user, accumulated sparse and pruned to the
        # k_neighbors best per user at once (a known user is not their own neighbour)
        if getattr(self, "_user_vectors_t", None) is None:  # not saved: rebuilt after load
            self._user_vectors_t = sp.csr_matrix(self.user_vectors_.T)
        Wb = row_weights(rows, self.weighting, self.idf_, self.avg_length_, self.bm25_k1, self.bm25_b)
        S = pruned_product(Wb, self._user_vectors_t, int(self.k_neighbors), row_scale=l2_norms(Wb),
                           col_scale=self.user_norms_, shrink=self.shrinkage, exponent=self.exponent,
                           skip=user_idx)
        return sparse_dot_dense(S, self.seen_)
