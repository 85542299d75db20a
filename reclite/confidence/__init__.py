r"""Confidence weighting: components of side information combined by a tiny expression language.

Every model takes a ``confidence`` expression and an ``alpha``. On each observed
(user, item) pair the confidence is

.. math:: c_{ui} = 1 + \alpha \, f(u, i)

(Hu, Koren & Volinsky, 2008), where ``f`` is the expression evaluated on that pair.
The matrix has exactly the sparsity of ``Dataset.matrix()``; unobserved pairs stay
absent (zero).

Components
----------
Each component is scaled into [0, 1] before combining:

``binary``
    1.
``value``
    :math:`v_{ui} / \max v`: the interaction value (rating, play count) over the
    largest value in the data.
``log``
    :math:`\log(1 + v_{ui}) / \log(1 + \max v)`.
``pop``
    :math:`\log(1 + n_i) / \log(1 + \max_j n_j)`, with :math:`n_i` the number of
    distinct users of item ``i``.
``genre``
    The user's preference for the item's genres. With
    :math:`s_u(g) = |\{j \in I_u : g \in G_j\}| / |I_u|` (the share of u's
    interactions whose item has genre g),
    :math:`\mathrm{genre}(u, i) = \frac{1}{|G_i|} \sum_{g \in G_i} s_u(g)`,
    and 0 for an item without genres.
``era``
    :math:`\exp((y_i - y_{\max}) / \tau)`, :math:`\tau` = 10 years by default
    (parameter ``tau``); :math:`y_{\max}` is the latest release year among all
    items of the Dataset (the catalogue, not only the items with interactions). An
    item of unknown year gets the weight of the median known year of the catalogue.
``time``
    Recency within the user's history:
    :math:`|\{j \in I_u : t_{uj} \le t_{ui}\}| / |I_u|`, the rank of the
    interaction's time among the user's interactions divided by their number, the
    latest being 1. Ties share the highest rank: interactions with the same
    timestamp get the same value, and a user whose interactions all have one
    timestamp gets 1 everywhere.
``bm25``
    implicit's ``bm25_weight`` applied as implicit's ``BM25Recommender`` applies it,
    to the items x users matrix (items are the documents, users the terms):
    :math:`\frac{v_{ui} (K_1 + 1)}{K_1 L_i + v_{ui}} \,\mathrm{idf}_u`, with
    :math:`\mathrm{idf}_u = \log N - \log(1 + n_u)` (N = number of items, n_u =
    interactions of u) and :math:`L_i = (1 - B) + B \, \ell_i / \bar\ell`
    (:math:`\ell_i` = sum of item i's values, :math:`\bar\ell` its mean over all
    items). Defaults ``K1=100``, ``B=0.8`` as in implicit. Negative weights (only a
    user who has every item has :math:`\mathrm{idf}_u < 0`) are clipped to 0; the
    result is divided by its largest value.
``tfidf``
    implicit's ``tfidf_weight`` in the same orientation:
    :math:`\sqrt{v_{ui}} \,\mathrm{idf}_u`, clipped at 0 and divided by its
    largest value.

``value``, ``log``, ``bm25`` and ``tfidf`` need finite, non-negative values. A
component whose largest raw weight is 0 is 0 everywhere.

Expressions
-----------
Components, non-negative numeric constants, ``+``, ``*`` and parentheses:
``genre+pop``, ``(genre+pop)*era``, ``0.7*genre+0.3*pop``, ``bm25``. ``*`` binds
tighter than ``+``. The expression is **not rescaled**: ``genre+pop`` ranges over
[0, 2], ``0.7*genre+0.3*pop`` over [0, 1]; ``alpha`` scales whatever the expression
gives. As there is no subtraction, ``f >= 0`` and every confidence is at least 1.

Component parameters come as ``params={"era": {"tau": 15}, "bm25": {"K1": 100,
"B": 0.8}}`` (or ``--confidence-param era.tau=15`` on the command line).
Parameters of components that the expression does not use are checked but otherwise
ignored, so one dict can serve several expressions.

A plain users x items sparse matrix carries no side information: only ``binary``,
``value``, ``log``, ``pop``, ``bm25`` and ``tfidf`` work on it.

Training statistics and other users' rows
-----------------------------------------
:func:`build_confidence` is two steps: :func:`confidence_statistics` learns from
the whole training data what the components need from it (item popularity, item
genres and years, item value sums for BM25, and the largest raw weight of
``value``, ``log``, ``bm25`` and ``tfidf``), and :func:`apply_confidence` weighs
users' rows with those statistics. A model keeps the statistics, so the history of
a user it never saw is weighed exactly as the training rows were: a training user's
history gets their training row back. Everything per user (genre shares, recency
ranks, idf) comes from the row itself; ``time`` needs the rows' timestamps and the
value-based components their values. A row can exceed a training maximum (a larger
play count, a shorter history); its scaled weight is capped at 1.

Modules
-------
``_expression`` the expression language (:func:`parse_confidence`); ``_components``
the components, their parameters and the statistics they take; ``_weights`` learning
the statistics and weighing rows with them (:func:`build_confidence`).
"""

from __future__ import annotations

from ._components import (
    COMPONENTS,
    READS_VALUES,
    ConfidenceStatistics,
    check_alpha,
    check_confidence_params,
    describe_components,
)
from ._expression import ConfidenceExpression, parse_confidence
from ._weights import (
    apply_confidence,
    build_confidence,
    confidence_statistics,
    confidence_values,
    confidence_weights,
    fit_confidence,
)

__all__ = [
    "COMPONENTS",
    "READS_VALUES",
    "ConfidenceExpression",
    "ConfidenceStatistics",
    "apply_confidence",
    "build_confidence",
    "check_alpha",
    "check_confidence_params",
    "confidence_statistics",
    "confidence_values",
    "confidence_weights",
    "describe_components",
    "fit_confidence",
    "parse_confidence",
]
