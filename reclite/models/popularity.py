"""Popularity: the same list for everyone, most-used items first."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import scipy.sparse as sp

from .._typing import VALUE_DTYPE
from .._validation import check_option
from ..data.dataset import Dataset
from ._fitted import FittedDecl, array
from .base import Recommender

__all__ = ["Popularity"]


class Popularity(Recommender):
    """Rank items by how many distinct users have them (or by summed confidence).

    Parameters
    ----------
    by : {"users", "confidence"}, default="users"
        ``"users"``: number of distinct training users per item. ``"confidence"``:
        the sum of the users' confidence weights per item (see ``confidence``).
    confidence : str, default="binary"
        Confidence expression (only used with ``by="confidence"``).
    alpha : float, default=1.0
        Confidence scale: weights are ``1 + alpha * f``.
    confidence_params : dict, optional
        Parameters of confidence components, e.g. ``{"era": {"tau": 15}}``.

    Attributes
    ----------
    scores_ : ndarray of shape (n_items,), float32
        The popularity score of each item. Ties rank the smaller item index first.

    Examples
    --------
    >>> import reclite
    >>> model = reclite.Popularity().fit(reclite.demo_dataset())
    >>> model.recommend(k=3).shape[1]
    4
    """

    _fitted_attributes: ClassVar[FittedDecl] = {"scores_": array("float32", "n_items_")}

    def __init__(self, *, by: Literal["users", "confidence"] = "users", confidence: str = "binary",
                 alpha: float = 1.0, confidence_params: dict | None = None) -> None:
        self.by = by
        self.confidence = confidence
        self.alpha = alpha
        self.confidence_params = confidence_params

    def _check_params(self) -> None:
        check_option(self.by, "by", ("users", "confidence"), owner=self)

    def _fit(self, C: sp.csr_matrix, data: Dataset) -> None:
        if self.by == "users":
            self.scores_ = np.bincount(C.indices, minlength=C.shape[1]).astype(VALUE_DTYPE)
        else:
            self.scores_ = np.asarray(C.sum(axis=0)).ravel().astype(VALUE_DTYPE)

    def _score(self, user_idx: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        return np.broadcast_to(self.scores_, (len(user_idx), len(self.scores_)))
