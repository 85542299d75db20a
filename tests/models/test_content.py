"""ContentEmbedding and ContentExpanded on planted metadata (an item's style decides who likes it)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import reclite
from reclite.data.dataset import MultiHot
from reclite.errors import DataError, DataWarning, ParameterError

N_STYLES, PER_STYLE, N_COLD = 4, 50, 5


def planted(seed: int = 0, n_long: int = 400, n_short: int = 100, long_len: int = 8, n_noise: int = 20):
    """Items ``s<style>_<i>`` carry the tag ``style<k>`` and one random ``noise<j>`` tag.

    Every user likes one style: ``n_long`` users have ``long_len`` training items of it;
    ``n_short`` users have 1 training item and 5 test items of it. The last ``N_COLD``
    items of each style have no interaction at all. Returns (ds, train, test).
    """
    rng = np.random.default_rng(seed)
    items = [f"s{s}_{i:02d}" for s in range(N_STYLES) for i in range(PER_STYLE)]
    warm = PER_STYLE - N_COLD
    pop = 1.0 / np.arange(1, warm + 1) ** 0.7
    pop /= pop.sum()
    rows, test = [], []
    for u in range(n_long + n_short):
        s = u % N_STYLES
        picks = rng.choice(warm, size=long_len if u < n_long else 6, replace=False, p=pop)
        its = [items[s * PER_STYLE + p] for p in picks]
        if u < n_long:
            rows += [(f"u{u}", it) for it in its]
        else:
            rows.append((f"u{u}", its[0]))
            test += [(f"u{u}", it) for it in its[1:]]
    df = pd.DataFrame(rows + test, columns=["user", "item"])
    ds0 = reclite.Dataset.from_frame(df, extra_items=items)
    raw = ds0.items.ids.astype(str)
    style = np.char.partition(raw, "_")[:, 0]
    n = len(raw)
    labels = np.r_[np.char.replace(style, "s", "style"), [f"noise{j}" for j in rng.integers(0, n_noise, n)]]
    tags = MultiHot.from_pairs(np.r_[np.arange(n), np.arange(n)], labels, n)
    ds = reclite.Dataset(ds0.user_idx, ds0.item_idx, users=ds0.users, items=ds0.items, attributes={"tags": tags})
    pairs = pd.MultiIndex.from_arrays([ds.users.to_raw(ds.user_idx).astype(str),
                                       ds.items.to_raw(ds.item_idx).astype(str)])
    in_test = pairs.isin(pd.MultiIndex.from_tuples(test)) if test else np.zeros(len(ds), dtype=bool)
    return ds, ds.subset(~np.asarray(in_test)), ds.subset(np.asarray(in_test))


def style_of(items) -> np.ndarray:
    return np.char.partition(np.asarray(items).astype(str), "_")[:, 0]


@pytest.fixture(scope="module")
def data():
    return planted(n_noise=3)  # noise tags as common as styles: the style decides the cosine


# ---------------------------------------------------------------------- ContentEmbedding
def test_one_interaction_user_gets_items_of_its_style(data):
    ds, train, _ = data
    model = reclite.ContentEmbedding().fit(train)
    recs = model.recommend_from_history(["s2_07"], k=10)
    assert (style_of(recs["item"]) == "s2").all(), recs
    short = [u for u in ds.users.ids if int(u[1:]) >= 400][:8]  # 1 training item each
    recs = model.recommend(users=short, k=10)
    seen = train.to_frame().groupby("user")["item"].first()
    mine = style_of(seen.loc[recs["user"]].to_numpy())
    assert (style_of(recs["item"]) == mine).all()


def test_cold_item_similar_items_share_its_attributes(data):
    ds, train, _ = data
    model = reclite.ContentEmbedding().fit(train)
    cold = "s1_48"
    assert train.matrix()[:, ds.items.to_index([cold])[0]].nnz == 0
    sim = model.similar_items([cold], k=15)
    tags = ds.attributes["tags"]
    own = set(tags.labels_of(ds.items.to_index([cold])[0]))
    for other in sim["similar"]:
        assert own & set(tags.labels_of(ds.items.to_index([other])[0]))
    assert (style_of(sim["similar"]) == "s1").all()
    # a cold item ranks like any other: the best match of a history of its own tags comes first
    twins = [it for it in ds.items.ids if it != cold and set(tags.labels_of(ds.items.to_index([it])[0])) == own]
    recs = model.recommend_from_history(twins[:2], k=len(twins) + 5)
    assert cold in set(recs["item"])
    assert recs.loc[recs["item"] == cold, "score"].iloc[0] == pytest.approx(1.0, abs=1e-5)


def test_embeddings_and_scores_are_tfidf_cosines_by_hand():
    # 3 items x genres {A, B}: item0 A, item1 A+B, item2 B; one user with items 0 and 2 (values 1)
    genres = MultiHot.from_pairs(np.array([0, 1, 1, 2]), np.array(["A", "A", "B", "B"]), 3)
    ds = reclite.Dataset([0, 0, 1], [0, 2, 1], users=reclite.IdMap(["u", "v"]), items=reclite.IdMap([10, 11, 12]),
                         genres=genres)
    model = reclite.ContentEmbedding().fit(ds)
    idf = np.log((1 + 3) / (1 + 2)) + 1  # smoothed idf of a label on 2 of 3 items
    X = np.array([[idf, 0], [idf, idf], [0, idf]])
    E = X / np.linalg.norm(X, axis=1, keepdims=True)
    np.testing.assert_allclose(model.item_embeddings_.toarray(), E, rtol=1e-6)
    profile = E[0] + E[2]
    expected = E @ (profile / np.linalg.norm(profile))
    np.testing.assert_allclose(model.score_indices([0])[0], expected, rtol=1e-6)
    np.testing.assert_allclose(model._similar(np.array([1]))[0], E @ E[1], rtol=1e-6)


def test_block_weights_and_blocks():
    ds = reclite.demo_dataset()
    only = reclite.ContentEmbedding(blocks=["directors"]).fit(ds)
    zero = reclite.ContentEmbedding(blocks=["genres", "directors"], block_weights={"genres": 0.0}).fit(ds)
    assert zero.blocks_ == ["directors"]
    assert (only.item_embeddings_ != zero.item_embeddings_).nnz == 0
    assert reclite.ContentEmbedding().fit(ds).blocks_ == ds.side_information
    with pytest.raises(DataError, match=r"^ContentEmbedding: demo has no block 'tags'; its blocks are: genres, "
                                        r"years, directors, writers, titles$"):
        reclite.ContentEmbedding(blocks=["genres", "tags"]).fit(ds)
    with pytest.raises(ParameterError, match="block_weights names 'tags'"):
        reclite.ContentEmbedding(blocks=["genres"], block_weights={"tags": 1.0}).fit(ds)
    with pytest.raises(ParameterError, match=r"block_weights\['genres'\]"):
        reclite.ContentEmbedding(block_weights={"genres": -1.0}).fit(ds)


def test_no_side_information_is_one_clear_error():
    m = sp.csr_matrix(np.eye(3, dtype=np.float32))
    with pytest.raises(DataError, match="ContentEmbedding needs item side information .* has none"):
        reclite.ContentEmbedding().fit(m)


def test_reduced_embeddings_are_unit_rows_and_save(tmp_path, data):
    _, train, _ = data
    model = reclite.ContentEmbedding(n_components=3).fit(train)
    E = model.item_embeddings_
    assert isinstance(E, np.ndarray) and E.shape == (train.n_items, 3) and E.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(E, axis=1), 1.0, rtol=1e-5)
    assert model.embedding_kind_ == "dense"
    model.save(tmp_path / "m")
    loaded = reclite.load_model(tmp_path / "m")
    pd.testing.assert_frame_equal(loaded.recommend(k=5), model.recommend(k=5))
    # more components than columns: the stacked space is kept as it is (dense)
    wide = reclite.ContentEmbedding(n_components=10_000).fit(train)
    np.testing.assert_allclose(wide.item_embeddings_, reclite.ContentEmbedding().fit(train).item_embeddings_
                               .toarray(), rtol=1e-6)


def test_item_vectors_block_ranks_by_their_cosine():
    rng = np.random.default_rng(3)
    V = rng.normal(size=(6, 4)).astype(np.float32)
    V[5] = np.nan  # an item without a vector scores 0
    ds = reclite.Dataset([0, 1], [0, 1], users=reclite.IdMap([1, 2]), items=reclite.IdMap(range(6)), item_vectors=V)
    model = reclite.ContentEmbedding(blocks=["item_vectors"]).fit(ds)
    U = np.nan_to_num(V / np.linalg.norm(V, axis=1, keepdims=True))
    np.testing.assert_allclose(model._similar(np.array([2]))[0], U @ U[2], rtol=1e-5, atol=1e-6)
    sim = model.similar_items([2], k=4)
    assert sim["similar"].tolist() == [int(j) for j in np.argsort(-(U @ U[2]))[1:5]]


# ---------------------------------------------------------------------- ContentExpanded
def test_hybrid_beats_its_base_for_short_histories():
    _, train, test = planted(n_noise=20)  # noisy tags: content alone is weak, the hybrid still helps
    got = {}
    for name, model in [("ease", reclite.EASE(l2=50.0)),
                        ("hybrid", reclite.ContentExpanded(["ease", {"l2": 50.0}])),
                        ("knn", reclite.ItemKNN()), ("hybrid_knn", reclite.ContentExpanded("itemknn"))]:
        got[name] = reclite.evaluate(model, train, test, k=10, metrics=["ndcg"])["ndcg"].iloc[0]
    # measured: ease 0.353 -> 0.403, itemknn 0.403 -> 0.442
    assert got["hybrid"] > got["ease"] + 0.03, got
    assert got["hybrid_knn"] > got["knn"] + 0.02, got


def test_long_histories_are_barely_changed(data):
    ds, train, _ = data
    base = reclite.EASE(l2=50.0).fit(train)
    hybrid = reclite.ContentExpanded(["ease", {"l2": 50.0}], n_expand=5, weight=0.1).fit(train)
    long_users = np.arange(100)  # 8 training items each
    a, _ = base.recommend_indices(long_users, 10)
    b, _ = hybrid.recommend_indices(long_users, 10)
    overlap = np.mean([len(set(x) & set(y)) / 10 for x, y in zip(a, b)])
    assert overlap >= 0.8, overlap
    zero = reclite.ContentExpanded(["ease", {"l2": 50.0}], n_expand=0).fit(train)
    np.testing.assert_array_equal(zero.recommend_indices(long_users, 10)[0], a)


def test_expansion_adds_the_best_content_items_by_hand(data):
    _, train, _ = data
    model = reclite.ContentExpanded(["ease", {"l2": 50.0}], n_expand=4, weight=0.5).fit(train)
    base, content = model.members_
    rows = base.seen_[[3]]
    cs = content.score_indices([3])
    H = model.expand(sp.csr_matrix(rows), cs)
    # brute force: the 4 best-scored items the user does not have, among items with interactions
    s = cs[0].astype(np.float64).copy()
    s[rows.indices] = -np.inf
    s[model.item_popularity_ == 0] = -np.inf
    best = np.argsort(-s, kind="stable")[:4]
    added = H - rows
    assert sorted(added.indices.tolist()) == sorted(best.tolist())
    np.testing.assert_allclose(added.toarray()[0, best], 0.5 * cs[0, best], rtol=1e-6)


def test_cold_items_are_ranked_by_content_within_the_base_range(data):
    ds, train, _ = data
    cold = np.flatnonzero(np.bincount(train.item_idx, minlength=train.n_items) == 0)
    assert len(cold) == N_STYLES * N_COLD
    plain = reclite.ContentExpanded(["ease", {"l2": 50.0}]).fit(train)
    with_cold = reclite.ContentExpanded(["ease", {"l2": 50.0}], cold_items=True).fit(train)
    users = np.arange(0, 40)
    s_plain = plain.score_indices(users)
    s_cold = with_cold.score_indices(users)
    warm = np.setdiff1d(np.arange(train.n_items), cold)
    np.testing.assert_allclose(s_cold[:, warm], s_plain[:, warm], rtol=1e-6)
    lo, hi = s_plain[:, warm].min(axis=1), s_plain[:, warm].max(axis=1)
    cs = with_cold.members_[1].score_indices(users)[:, cold]
    np.testing.assert_allclose(s_cold[:, cold], lo[:, None] + np.clip(cs, 0, 1) * (hi - lo)[:, None], rtol=1e-5)
    # a user's best cold items are of their own style
    idx, _ = with_cold.recommend_indices(users, 3, items=cold)
    user_style = style_of(train.items.to_raw(train.matrix()[users].indices[train.matrix()[users].indptr[:-1]]))
    assert (style_of(train.items.to_raw(idx.ravel())).reshape(idx.shape) == user_style[:, None]).mean() >= 0.9


def test_history_path_equals_known_users(data):
    _, train, _ = data
    model = reclite.ContentExpanded(["ease", {"l2": 50.0}], cold_items=True).fit(train)
    users = np.array([0, 5, 401])
    a = model.recommend_indices(users, 10)[0]
    b = model.recommend_indices_from_history(train.matrix()[users], 10)[0]
    np.testing.assert_array_equal(a, b)


def test_bases_that_cannot_score_a_history_are_refused(data):
    _, train, _ = data
    with pytest.raises(ParameterError, match="RankVote ranks lists but has no scores"):
        reclite.ContentExpanded(reclite.RankVote(["ease", "itemknn"])).fit(train)
    user_knn = reclite.SurpriseRecommender(algorithm="KNNBasic", params={"sim_options": {"user_based": True}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        with pytest.raises(ParameterError, match="SurpriseRecommender cannot score a history"):
            reclite.ContentExpanded(user_knn).fit(train)
    with pytest.raises(ParameterError, match="content must be a ContentEmbedding"):
        reclite.ContentExpanded(content="ease").fit(train)
    with pytest.raises(ParameterError, match="ContentExpanded: base: unknown model 'nope'"):
        reclite.ContentExpanded("nope").fit(train)


def test_hybrid_given_models_saves_as_json(tmp_path, data):
    _, train, _ = data
    model = reclite.ContentExpanded(reclite.EASE(l2=50.0), content=reclite.ContentEmbedding(n_components=4),
                                    n_expand=5).fit(train)
    model.save(tmp_path / "h")
    loaded = reclite.load_model(tmp_path / "h")
    assert loaded.base == ["ease", reclite.EASE(l2=50.0).get_params()]
    pd.testing.assert_frame_equal(loaded.recommend(k=5), model.recommend(k=5))


def test_year_buckets_and_title_words_by_hand():
    ds = reclite.Dataset([0, 0], [0, 1], users=reclite.IdMap([1]), items=reclite.IdMap(range(4)),
                         years=[1995.0, np.nan, 1999.0, 2003.0],
                         titles=["Star Wars (1977)", "The Matrix (1999)", "Star Trek (1979)", ""])
    years = reclite.ContentEmbedding(blocks=["years"]).fit(ds).item_embeddings_.toarray()
    # buckets 1990s, 1990s, 2000s; no year: no vector
    np.testing.assert_allclose(years, [[1, 0], [0, 0], [1, 0], [0, 1]])
    titles = reclite.ContentEmbedding(blocks=["titles"]).fit(ds)
    sim = titles._similar(np.array([0]))[0]
    # "star" is shared with Star Trek; "the" is a stop word and "(1977)" no word: nothing shared with Matrix
    assert sim[2] > 0 and sim[1] == 0 and sim[3] == 0
    idf = np.log(5 / 3) + 1  # smoothed idf of "star" (2 of 4 titles); "wars", "trek": log(5 / 2) + 1
    other = np.log(5 / 2) + 1
    assert sim[2] == pytest.approx(idf**2 / (idf**2 + other**2), rel=1e-6)
