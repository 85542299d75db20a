"""Content-based item embeddings (ContentEmbedding) and the content -> collaborative hybrid
(ContentExpanded).

A collaborative model knows nothing about an item nobody has touched and little about a
user with two interactions. :class:`ContentEmbedding` ranks by the items' side
information alone (genres, any item attribute, people, title words, release years,
vectors the user brings); :class:`ContentExpanded` feeds it into a collaborative model,
expanding each history with content-similar items before the base model scores it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.preprocessing import normalize

from .._typing import INDEX_DTYPE, VALUE_DTYPE
from .._validation import check_bool, check_float, check_int
from ..data.dataset import Dataset, MultiHot
from ..errors import DataError, ParameterError, ParameterTypeError
from ._fitted import FittedDecl, array, csr, json_value
from ._sparse import sparse_dot_dense
from .base import Recommender

__all__ = ["ContentEmbedding", "ContentExpanded", "content_blocks"]

#: what a block may be, besides an attribute name or a people role
_FIXED_BLOCKS = ("genres", "years", "titles", "item_vectors")
_WORD = r"(?u)\b[^\W\d_]{2,}\b"  # title words: letters only, so "(1995)" is not a word


def _tfidf(counts: sp.csr_matrix) -> sp.csr_matrix:
    """TF-IDF rows (scikit-learn's smoothed idf), each of unit length; empty rows stay empty."""
    from sklearn.feature_extraction.text import TfidfTransformer

    if counts.shape[1] == 0:
        return sp.csr_matrix(counts.shape, dtype=np.float64)
    return sp.csr_matrix(TfidfTransformer(norm="l2").fit_transform(counts))


def _multihot_block(mh: MultiHot) -> sp.csr_matrix:
    return _tfidf(sp.csr_matrix(mh.matrix, dtype=np.float64))


def _title_block(titles: np.ndarray) -> sp.csr_matrix:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = np.asarray(titles).astype(str)
    try:
        return sp.csr_matrix(TfidfVectorizer(token_pattern=_WORD, stop_words="english").fit_transform(texts))
    except ValueError:  # no title has a word
        return sp.csr_matrix((len(texts), 0), dtype=np.float64)


def _year_block(years: np.ndarray, width: int) -> sp.csr_matrix:
    """One-hot of the ``width``-year bucket of each release year (none where unknown), TF-IDF weighted."""
    y = np.asarray(years, dtype=np.float64)
    known = np.flatnonzero(np.isfinite(y))
    uniq, codes = np.unique(np.floor(y[known] / width).astype(np.int64), return_inverse=True)
    counts = sp.csr_matrix((np.ones(len(known)), (known, codes.reshape(-1))), shape=(len(y), len(uniq)))
    return _tfidf(counts)


def _vector_block(vectors: np.ndarray) -> sp.csr_matrix:
    """The item vectors, rows of unit length; an item without a vector (NaN) gets none."""
    v = np.where(np.isfinite(vectors).all(axis=1, keepdims=True), vectors, 0.0).astype(np.float64)
    return sp.csr_matrix(normalize(v))


def content_blocks(ds: Dataset) -> list[str]:
    """The content blocks a Dataset can give: its side information by name
    (``genres``, ``years``, people roles, ``titles``, attribute names, ``item_vectors``)."""
    return list(ds.side_information)


def _block(ds: Dataset, name: str, year_bucket: int) -> sp.csr_matrix:
    if name == "genres":
        return _multihot_block(ds.genres)  # type: ignore[arg-type]
    if name == "years":
        return _year_block(ds.years, year_bucket)
    if name == "titles":
        return _title_block(ds.titles)
    if name == "item_vectors":
        return _vector_block(ds.item_vectors)
    if name in ds.people:
        return _multihot_block(ds.people[name])
    return _multihot_block(ds.attributes[name])


class ContentEmbedding(Recommender):
    r"""Content-based recommendation: cosine between a user's content profile and each item.

    1. **Item vectors.** Each block of side information becomes a sparse matrix of
       items x terms: genres, every item attribute (tags, categories...) and every
       people role as their labels, titles as their words (letters only, English stop
       words dropped), release years as ``year_bucket``-year buckets, all TF-IDF
       weighted with scikit-learn (smoothed idf) and each row scaled to unit length;
       ``item_vectors`` (brought by the user) as they are, rows of unit length. Blocks
       are multiplied by ``block_weights`` and stacked side by side, optionally reduced
       with ``TruncatedSVD(n_components)``, and every row is L2-normalised:
       ``item_embeddings_``.
    2. **Users.** A user's profile is the confidence-weighted mean of their items'
       vectors; an item's score is the cosine between the profile and its vector.

    Items with no interactions at all rank like any other (their side information is
    all the model needs), so a new item can be recommended from the start; an item
    without side information scores 0. ``similar_items`` ranks items by the cosine
    of their vectors. A user whose items all lack side information scores every item 0.

    Parameters
    ----------
    blocks : list of str, optional
        The side information to use, by name (see :attr:`Dataset.side_information`):
        ``"genres"``, ``"years"``, ``"titles"``, ``"item_vectors"``, a people role
        (``"directors"``) or an attribute (``"tags"``). Default: every block the
        training Dataset has. Asking for one it lacks is a
        :class:`~reclite.errors.DataError` listing the blocks it has.
    block_weights : dict of str to float, optional
        Weight of each block (default 1.0 each; 0 drops the block).
    n_components : int, optional
        Dimensions kept by ``TruncatedSVD`` (latent semantic analysis; its randomized
        solver is seeded with 0, so a fit is reproducible); None keeps the sparse TF-IDF
        space (exact). When the stacked space has no more columns than this, it is kept
        as it is (dense).
    year_bucket : int, default=10
        Width in years of the release-year buckets.
    confidence : str, default="binary"
        Confidence expression; it weighs the items of a user's profile.
    alpha : float, default=1.0
        Confidence scale: weights are ``(1 + alpha * f) / (1 + alpha)`` (binary: 1).
    confidence_params : dict, optional
        Parameters of confidence components.

    Attributes
    ----------
    item_embeddings_ : csr_matrix or ndarray of shape (n_items, n_dims), float32
        The item vectors, rows of unit length (zero for items without side information);
        sparse when ``n_components`` is None.
    embedding_kind_ : {"sparse", "dense"}
    blocks_ : list of str
        The blocks used, in column order.

    Examples
    --------
    >>> import reclite
    >>> model = reclite.ContentEmbedding(blocks=["genres", "directors"]).fit(reclite.demo_dataset())
    >>> recs = model.recommend(k=5)
    """

    confidence_scaling = "unit"
    supports_similar_items = True
    _fitted_attributes: ClassVar[FittedDecl] = {
        "embedding_kind_": json_value("str", choices=("sparse", "dense")),
        "blocks_": json_value("list"),
        "item_embeddings_": (csr("float32", "n_items_", "n_dims", when={"embedding_kind_": "sparse"}),
                             array("float32", "n_items_", "n_dims", when={"embedding_kind_": "dense"})),
    }

    def __init__(self, *, blocks: list | None = None, block_weights: dict | None = None,
                 n_components: int | None = None, year_bucket: int = 10, confidence: str = "binary", alpha: float = 1.0, confidence_params: dict | None = None) -> None:
        self.blocks = blocks
        self.block_weights = block_weights
        self.n_components = n_components
        self.year_bucket = year_bucket
        self.confidence = confidence
        self.alpha = alpha
        self.confidence_params = confidence_params

    def _check_params(self) -> None:
        if self.blocks is not None:
            if isinstance(self.blocks, str) or not isinstance(self.blocks, (list, tuple)):
                raise ParameterTypeError(f"ContentEmbedding: blocks must be a list of block names, e.g. "
                                         f"['genres', 'tags'], got {self.blocks!r}")
            if not self.blocks or not all(isinstance(b, str) for b in self.blocks):
                raise ParameterError(f"ContentEmbedding: blocks must name at least one block (strings), got "
                                     f"{self.blocks!r}")
        if self.block_weights is not None:
            if not isinstance(self.block_weights, Mapping):
                raise ParameterTypeError(f"ContentEmbedding: block_weights must be a dict of block name -> "
                                         f"weight, got {self.block_weights!r}")
            for key, w in self.block_weights.items():
                check_float(w, f"block_weights[{key!r}]", min_val=0.0, owner=self)
        if self.n_components is not None:
            check_int(self.n_components, "n_components", min_val=1, owner=self)
        check_int(self.year_bucket, "year_bucket", min_val=1, owner=self)

    def _fit(self, C: sp.csr_matrix, data: Dataset) -> None:
        have = content_blocks(data)
        where = data.name or "this dataset"
        if not have:
            raise DataError(f"ContentEmbedding needs item side information (genres, attributes such as tags, "
                            f"people, titles, years or item_vectors), and {where} has none; attach some with "
                            "Dataset.with_item_attributes or Dataset.with_item_vectors")
        wanted = list(self.blocks) if self.blocks is not None else have
        missing = [b for b in wanted if b not in have]
        if missing:
            raise DataError(f"ContentEmbedding: {where} has no block {', '.join(map(repr, missing))}; its "
                            f"blocks are: {', '.join(have)}")
        weights = dict(self.block_weights or {})
        unknown = [b for b in weights if b not in wanted]
        if unknown:
            raise ParameterError(f"ContentEmbedding: block_weights names {', '.join(map(repr, unknown))}, which "
                                 f"is not among the blocks used: {', '.join(wanted)}")
        used = [b for b in wanted if float(weights.get(b, 1.0)) > 0]
        if not used:
            raise ParameterError("ContentEmbedding: every block has weight 0; give at least one a positive weight")
        parts = [_block(data, b, int(self.year_bucket)) * float(weights.get(b, 1.0)) for b in used]
        X = sp.csr_matrix(sp.hstack(parts, format="csr"), dtype=np.float64)
        if self.n_components is None:
            E: Any = sp.csr_matrix(normalize(X), dtype=VALUE_DTYPE)
            E.sort_indices()
            self.embedding_kind_ = "sparse"
        else:
            if int(self.n_components) < X.shape[1]:
                from sklearn.decomposition import TruncatedSVD

                Z = TruncatedSVD(int(self.n_components), random_state=0).fit_transform(X)
            else:
                Z = X.toarray()
            E = np.ascontiguousarray(normalize(Z), dtype=VALUE_DTYPE)
            self.embedding_kind_ = "dense"
        self.blocks_ = used
        self.item_embeddings_ = E

    # ------------------------------------------------------------------ scoring
    def _item_t(self) -> sp.csr_matrix:
        """The embeddings transposed (terms x items, CSR), built once per fitted model."""
        cached = getattr(self, "_cache_t", None)
        if cached is None or cached[0] is not self.item_embeddings_:
            cached = (self.item_embeddings_, sp.csr_matrix(self.item_embeddings_.T))
            self._cache_t = cached
        return cached[1]

    def user_embeddings(self, rows: sp.csr_matrix) -> Any:
        """Unit-length content profiles of confidence rows (users x items): CSR or dense like the items."""
        rows = sp.csr_matrix(rows, dtype=VALUE_DTYPE)
        if self.embedding_kind_ == "sparse":
            return sp.csr_matrix(normalize(rows @ self.item_embeddings_), dtype=VALUE_DTYPE)
        return normalize(sparse_dot_dense(rows, self.item_embeddings_)).astype(VALUE_DTYPE)

    def _score(self, user_idx: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        P = self.user_embeddings(rows)
        if self.embedding_kind_ == "sparse":
            return sparse_dot_dense(P, self._item_t())
        return np.asarray(P @ self.item_embeddings_.T, dtype=VALUE_DTYPE)

    def _similar(self, item_idx: np.ndarray) -> np.ndarray:
        E = self.item_embeddings_
        if self.embedding_kind_ == "sparse":
            return sparse_dot_dense(E[item_idx], self._item_t())
        return np.asarray(E[item_idx] @ E.T, dtype=VALUE_DTYPE)


# ---------------------------------------------------------------------- the hybrid
def _registry_name(model: Recommender) -> str:
    from ..ensemble import _registry_name as name_of

    return name_of(model)


def _resolve(spec: Any, param: str) -> Recommender:
    """A model from a parameter: a model, a registry name, or ``[registry name, {params}]``."""
    from . import registry

    try:
        if isinstance(spec, Recommender):
            return spec
        if isinstance(spec, str):
            return registry.create(spec)
        if (isinstance(spec, (list, tuple)) and len(spec) == 2 and isinstance(spec[0], str)
                and isinstance(spec[1], Mapping)):
            return registry.create(spec[0], **spec[1])
    except ParameterError as exc:
        raise ParameterError(f"ContentExpanded: {param}: {exc}") from None
    raise ParameterTypeError(f"ContentExpanded: {param} must be a model, a registry name (\"ease\") or "
                             f"[registry name, {{parameters}}], got {spec!r}")


class ContentExpanded(Recommender):
    r"""A collaborative model fed with content: each history expanded with content-similar items.

    Before the base model scores a user, the user's history (the base model's own
    confidence row :math:`c_u`) gains the ``n_expand`` items most similar to it by
    content (the :class:`ContentEmbedding` cosine between the user's content profile
    and each item; items the user has and items without training interactions are
    not added), each with value ``weight`` x its similarity; the base model then scores
    the expanded row as it scores any history (``recommend_indices_from_history``'s
    path). A long history is barely changed; a history of one or two items gains most.

    With ``cold_items=True``, items without training interactions (which a
    collaborative model cannot rank) are scored by content instead: a cold item's
    score is the user's lowest base score plus its cosine (clipped to [0, 1]) times
    the range of the user's base scores over the other items, so a cold item that
    matches the profile perfectly ties the user's best item.

    Parameters
    ----------
    base : model, str or [str, dict], default="ease"
        The collaborative model: a model, a registry name, or ``[registry name,
        {parameters}]``. It must be able to score a history (every reclite model
        except some Surprise algorithms); another is a ParameterError.
    content : model, str or [str, dict], default="content"
        The :class:`ContentEmbedding` giving similarities, in the same forms.
    n_expand : int, default=20
        Items added to each history (0: the base model alone).
    weight : float, default=0.3
        The value of an added item is ``weight`` x its cosine (the user's own items
        keep their confidence, 1 for binary data).
    cold_items : bool, default=False
        Rank items without training interactions by content (see above).

    Attributes
    ----------
    members_ : list of Recommender
        The fitted base model and content model (saved in ``members/0`` and ``members/1``).
    member_labels_ : list of str
        ``["base", "content"]``.

    Examples
    --------
    >>> import reclite
    >>> hybrid = reclite.ContentExpanded(reclite.EASE(), n_expand=20, weight=0.3)
    >>> recs = hybrid.fit(reclite.demo_dataset()).recommend(k=10)
    """

    _member_attribute: ClassVar[str] = "members_"
    _fitted_attributes: ClassVar[FittedDecl] = {
        "member_labels_": json_value("list"),
    }

    def __init__(self, base: Any = "ease", *, content: Any = "content", n_expand: int = 20, weight: float = 0.3,
                 cold_items: bool = False) -> None:
        self.base = base
        self.content = content
        self.n_expand = n_expand
        self.weight = weight
        self.cold_items = cold_items

    # model files (reclite.models._modelfile calls these)
    def _member_specs(self) -> list[tuple[str, Recommender]]:
        return [("base", _resolve(self.base, "base")), ("content", _resolve(self.content, "content"))]

    def _file_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """The parameters as ``params.json`` keeps them: models become ``[registry name, parameters]``."""
        from ..persist import jsonable

        out = dict(params)
        for key, member in zip(("base", "content"), self.members_):
            if not jsonable(out[key]):
                out[key] = [_registry_name(member), member.get_params(deep=False)]
        return out

    def _check_params(self) -> None:
        check_int(self.n_expand, "n_expand", min_val=0, owner=self)
        check_float(self.weight, "weight", min_val=0.0, owner=self)
        check_bool(self.cold_items, "cold_items", owner=self)
        for label, model in self._member_specs():
            if label == "content" and not isinstance(model, ContentEmbedding):
                raise ParameterError(f"ContentExpanded: content must be a ContentEmbedding, got "
                                     f"{type(model).__name__}")
            if not model.supports_history:
                raise ParameterError(f"ContentExpanded: the base model {type(model).__name__} cannot score a "
                                     "history, which the expansion needs; choose a base that can (EASE, "
                                     "ItemKNN, RP3beta, ALS...)")
            try:
                model._check_params()
            except ParameterError as exc:
                raise type(exc)(f"ContentExpanded: {label}: {exc}") from None

    def _fit(self, C: sp.csr_matrix, data: Dataset) -> None:
        specs = self._member_specs()
        base = clone(specs[0][1]).fit(data)
        if not base.supports_history:  # some models know only once fitted (user-based Surprise KNN)
            raise ParameterError(f"ContentExpanded: the fitted base model {type(base).__name__} cannot score a "
                                 "history, which the expansion needs; choose a base that can (EASE, ItemKNN, "
                                 "RP3beta, ALS...)")
        probe = sp.csr_matrix((np.ones(1, dtype=VALUE_DTYPE), [0], [0, 1]), shape=(1, base.n_items_))
        try:
            base._score(np.full(1, -1, dtype=INDEX_DTYPE), probe)
        except NotImplementedError:
            raise ParameterError(f"ContentExpanded: the base model {type(base).__name__} ranks lists but has no "
                                 "scores to give an expanded history; choose a model with scores") from None
        self.member_labels_ = ["base", "content"]
        self.members_ = [base, clone(specs[1][1]).fit(data)]

    def expand(self, base_rows: sp.csr_matrix, content_scores: np.ndarray) -> sp.csr_matrix:
        """``base_rows`` plus, per row, its ``n_expand`` best warm unseen items by content score,
        valued ``weight`` x score (scores <= 0 are not added)."""
        from ..topk import topk

        n = base_rows.shape[0]
        k = min(int(self.n_expand), self.n_items_)
        if k == 0 or float(self.weight) == 0.0 or n == 0:
            return base_rows
        warm = self.item_popularity_ > 0
        idx, sims = topk(content_scores, k, exclude=base_rows, candidates=warm)
        keep = (idx >= 0) & (sims > 0)
        rows = np.broadcast_to(np.arange(n)[:, None], idx.shape)[keep]
        extra = sp.csr_matrix((float(self.weight) * sims[keep], (rows, idx[keep])), shape=base_rows.shape,
                              dtype=VALUE_DTYPE)
        return sp.csr_matrix(base_rows + extra, dtype=VALUE_DTYPE)

    def _score(self, user_idx: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        base, content = self.members_
        user_idx = np.asarray(user_idx)
        if len(user_idx) and (user_idx >= 0).all():
            brows, crows = base.seen_[user_idx], content.seen_[user_idx]
        else:  # histories: ``rows`` hold the raw values (see _weigh_history); each member weighs them
            brows = base._weigh_history(sp.csr_matrix(rows), None)
            crows = content._weigh_history(sp.csr_matrix(rows), None)
        cscores = content._score(user_idx, crows)
        H = self.expand(sp.csr_matrix(brows, dtype=VALUE_DTYPE), cscores)
        scores = np.array(base._score(np.full(H.shape[0], -1, dtype=INDEX_DTYPE), H), dtype=VALUE_DTYPE)
        if self.cold_items:
            cold = self.item_popularity_ == 0
            if cold.any() and (~cold).any():
                warm_scores = scores[:, ~cold]
                lo = warm_scores.min(axis=1, keepdims=True)
                hi = warm_scores.max(axis=1, keepdims=True)
                scores[:, cold] = lo + np.clip(cscores[:, cold], 0.0, 1.0) * (hi - lo)
        return scores

    def _weigh_history(self, H: sp.csr_matrix, times: np.ndarray | None, values_given: bool = True
                       ) -> sp.csr_matrix:
        # the members weigh the history themselves, each with its own confidence (in _score)
        return sp.csr_matrix(H, dtype=VALUE_DTYPE)
