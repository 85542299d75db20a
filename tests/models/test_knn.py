"""ItemKNN / UserKNN: the pruning kernels against dense references, and each pruning direction
against its peer (implicit's CosineRecommender, RecBole's ItemKNN, Dacrema et al.'s UserKNNCF)."""

from __future__ import annotations

import warnings

import numba
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from implicit.nearest_neighbours import (
    CosineRecommender,
    TFIDFRecommender,
    bm25_weight,
    normalize,
    tfidf_weight,
)

import reclite
from reclite.confidence.weighting import row_weights, weighting_stats
from reclite.models import _neighbours
from reclite.models._neighbours import l2_norms, pruned_gram, pruned_product, thresholded_product
from reclite.models._sparse import sparse_dot_dense
from reclite.models.knn import ItemKNN, UserKNN


def dense_pruned(A, B, k, row_scale=None, col_scale=None, shrink=0.0, exponent=1.0, skip_diag=True, skip=None):
    """Reference: full dense product, rescale, keep each row's k largest non-zeros (ties: smaller column)."""
    P = (A @ B).toarray() if sp.issparse(A) else A @ B
    n, p = P.shape
    rs = np.ones(n) if row_scale is None else row_scale
    cs = np.ones(p) if col_scale is None else col_scale
    touched = ((abs(A) @ abs(B)).toarray() if sp.issparse(A) else abs(A) @ abs(B)) > 0
    S = P / (np.outer(rs, cs) + shrink)
    S = np.sign(S) * np.abs(S) ** exponent
    S[~touched] = 0.0
    if skip is not None:
        for i, j in enumerate(skip):
            if j >= 0:
                S[i, j] = 0.0
    elif skip_diag:
        np.fill_diagonal(S, 0.0)
    out = np.zeros_like(S)
    for i in range(n):
        cols = [j for j in np.lexsort((np.arange(p), -S[i])) if S[i, j] != 0][:k]
        out[i, cols] = S[i, cols]
    return out


def random_csr(rng, n, m, density, binary=False):
    X = sp.random(n, m, density=density, random_state=np.random.RandomState(rng.integers(1 << 30)),
                  format="csr", dtype=np.float64)
    if binary:
        X.data[:] = 1.0
    else:
        X.data = np.round(X.data * 4 + 1, 1)  # a few distinct values: ties happen
    return X


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 12), shrink=st.sampled_from([0.0, 0.5, 10.0]),
       exponent=st.sampled_from([1.0, 0.5, 2.0]), skip_diag=st.booleans(), density=st.sampled_from([0.02, 0.2, 0.6]),
       skip_given=st.booleans())
def test_pruned_product_matches_dense_reference(seed, k, shrink, exponent, skip_diag, density, skip_given):
    rng = np.random.default_rng(seed)
    A = random_csr(rng, 15, 30, density)
    B = random_csr(rng, 30, 15, density)
    rs, cs = rng.random(15) + 0.5, rng.random(15) + 0.5
    skip = rng.integers(-1, 15, 15) if skip_given else None  # one column per row never kept, -1 none
    got = pruned_product(A, B, k, row_scale=rs, col_scale=cs, shrink=shrink, exponent=exponent,
                         skip_diag=skip_diag, skip=skip)
    assert got.dtype == np.float32 and got.has_sorted_indices
    np.testing.assert_allclose(got.toarray(), dense_pruned(A, B, k, rs, cs, shrink, exponent, skip_diag, skip),
                               rtol=1e-6)


def test_pruned_product_edges():
    A = sp.csr_matrix((3, 4))  # no entries at all
    assert pruned_product(A, sp.csr_matrix((4, 3)), 5).nnz == 0
    ones = sp.csr_matrix(np.ones((2, 2)))
    # k larger than the columns; the diagonal skipped leaves one neighbour per row
    S = pruned_product(ones, ones, 10)
    np.testing.assert_array_equal(S.toarray(), [[0, 2], [2, 0]])
    with pytest.raises(ValueError, match="do not multiply"):
        pruned_product(ones, sp.csr_matrix((3, 2)), 1)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 12), shrink=st.sampled_from([0.0, 0.5, 10.0]),
       exponent=st.sampled_from([1.0, 0.5, 2.0]), density=st.sampled_from([0.02, 0.2, 0.6]),
       binary=st.booleans(), n=st.integers(1, 40))
def test_pruned_gram_equals_the_row_by_row_product_and_the_dense_reference(seed, k, shrink, exponent, density,
                                                                            binary, n):
    # each pair computed once and offered to both rows: the same entries, bit for bit, as
    # computing every row on its own (binary data: many ties, broken by the smaller column)
    rng = np.random.default_rng(seed)
    X = random_csr(rng, n, 25, density, binary=binary)
    scale = l2_norms(X) + rng.random(n) * 0.5
    got = pruned_gram(X, k, scale=scale, shrink=shrink, exponent=exponent)
    row_by_row = pruned_product(X, sp.csr_matrix(X.T), k, row_scale=scale, col_scale=scale, shrink=shrink,
                                exponent=exponent)
    assert got.dtype == np.float32 and got.has_sorted_indices
    assert (got != row_by_row).nnz == 0
    np.testing.assert_allclose(got.toarray(), dense_pruned(X, sp.csr_matrix(X.T), k, scale, scale, shrink,
                                                           exponent), rtol=1e-6)


@pytest.mark.parametrize("threads, budget", [(1, None), (2, None), (2, 1)])
def test_pruned_gram_with_one_list_or_falling_back_to_the_row_product(rng, monkeypatch, threads, budget):
    # one thread: one set of lists; a budget too small for half the threads: pruned_product
    if threads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip("needs two numba threads")
    X = random_csr(rng, 120, 40, 0.15, binary=True)
    want = dense_pruned(X, sp.csr_matrix(X.T), 7, l2_norms(X), l2_norms(X), 1.0)
    if budget is not None:
        monkeypatch.setattr(_neighbours, "GRAM_LIST_BUDGET", budget)
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        got = pruned_gram(X, 7, scale=l2_norms(X), shrink=1.0)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_allclose(got.toarray(), want, rtol=1e-6)


def test_cosine_with_shrinkage_and_exponent_is_exactly_symmetric(rng):
    # the reason prune="target" is the transpose of prune="source": computed row by row,
    # entry (i, j) and entry (j, i) come out bit-identical (same products, same order)
    X = random_csr(rng, 60, 300, 0.1)
    idf, avg = weighting_stats(X, "tfidf")
    X = row_weights(X, "tfidf", idf, avg)
    n = l2_norms(X)
    full = pruned_product(X, sp.csr_matrix(X.T), 60, row_scale=n, col_scale=n, shrink=2.5, exponent=1.7)
    assert full.nnz > 1000
    assert (full != full.T).nnz == 0


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), shrink=st.sampled_from([0.0, 3.0]), exponent=st.sampled_from([1.0, 2.0]))
def test_thresholded_product_keeps_the_entries_above_each_columns_floor(seed, shrink, exponent):
    rng = np.random.default_rng(seed)
    A = random_csr(rng, 12, 20, 0.3)
    B = random_csr(rng, 20, 15, 0.3)
    rs, cs = rng.random(12) + 0.5, rng.random(15) + 0.5
    full = dense_pruned(A, B, 15, rs, cs, shrink, exponent, skip_diag=False)  # every non-zero entry
    # floors: -inf (any entry) or a value some entries equal (in float32, as stored): equal is not above
    floor = np.where(rng.random(15) < 0.3, -np.inf, np.median(full[full != 0]) if (full != 0).any() else 0.0)
    floor = np.where(rng.random(15) < 0.5, floor, full.astype(np.float32).max(axis=0))
    got = thresholded_product(A, B, floor, row_scale=rs, col_scale=cs, shrink=shrink, exponent=exponent)
    assert got.has_sorted_indices
    keep = (full != 0) & (full.astype(np.float32) > floor)
    np.testing.assert_allclose(got.toarray(), np.where(keep, full, 0.0), rtol=1e-6)


def test_row_weights_equal_implicits_tfidf_and_bm25(rng):
    X = random_csr(rng, 40, 25, 0.2)
    idf, avg = weighting_stats(X, "tfidf")
    np.testing.assert_allclose(row_weights(X, "tfidf", idf, avg).toarray(), tfidf_weight(X).toarray(), rtol=1e-12)
    idf, avg = weighting_stats(X, "bm25")
    np.testing.assert_allclose(row_weights(X, "bm25", idf, avg, k1=1.2, b=0.75).toarray(),
                               bm25_weight(X, K1=1.2, B=0.75).toarray(), rtol=1e-12)
    np.testing.assert_allclose(row_weights(X, None, None, 1.0).toarray(), X.toarray())


def test_l2_norms(rng):
    X = random_csr(rng, 10, 7, 0.4)
    np.testing.assert_allclose(l2_norms(X), np.linalg.norm(X.toarray(), axis=1))


# ---------------------------------------------------------------------- ItemKNN vs implicit
@pytest.fixture
def binary(rng) -> sp.csr_matrix:
    return random_csr(rng, 200, 60, 0.1, binary=True).astype(np.float32)


def implicit_fit(peer, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # implicit's coo -> csr ParameterWarning
        peer.fit(X, show_progress=False)
    return peer


@pytest.mark.parametrize("weighting, Peer", [(None, CosineRecommender), ("tfidf", TFIDFRecommender)])
def test_itemknn_without_pruning_equals_implicit(binary, weighting, Peer):
    n_items = binary.shape[1]
    model = ItemKNN(k_neighbors=n_items, weighting=weighting, shrinkage=0.0, prune="source").fit(binary)
    peer = implicit_fit(Peer(K=n_items + 1), binary)  # implicit counts the item itself as a neighbour
    S = peer.similarity.toarray()
    np.fill_diagonal(S, 0.0)
    np.testing.assert_allclose(model.similarity_.toarray(), S, atol=1e-6)
    users = np.arange(binary.shape[0])
    ids, scores = peer.recommend(users, binary, N=6)  # the 6th shows a tie at the 5th place
    idx, ours = model.recommend_indices(users, k=6)
    # implicit pads short lists with -finfo.max (and seen items); compare where it has a score
    real = scores > -1e30
    # binary confidence stores 1 for a matrix model, as implicit's 0/1 values
    np.testing.assert_allclose(ours[real], scores[real], rtol=1e-5, atol=1e-6)
    gaps = np.abs(np.diff(np.where(real, scores, 0.0), axis=1)).min(axis=1)
    distinct = real.all(axis=1) & (gaps > 1e-5)  # full lists without near-ties
    assert distinct.sum() > 50
    np.testing.assert_array_equal(idx[distinct, :5], ids[distinct, :5])


def test_itemknn_pruned_keeps_the_same_neighbour_values_as_implicit(binary):
    # binary cosine has many ties: which of two equal neighbours is kept may differ,
    # the kept similarity values per item must not
    model = ItemKNN(k_neighbors=5, prune="source", shrinkage=0.0).fit(binary)
    peer = implicit_fit(CosineRecommender(K=6), binary)
    S = peer.similarity.tocsr()
    S.setdiag(0.0)
    S.eliminate_zeros()
    for i in range(binary.shape[1]):
        np.testing.assert_allclose(np.sort(model.similarity_[i].data), np.sort(S[i].data), rtol=1e-6)


def test_itemknn_bm25_is_cosine_of_implicits_bm25_vectors(binary):
    model = ItemKNN(k_neighbors=60, weighting="bm25", bm25_k1=1.2, bm25_b=0.75, shrinkage=0.0).fit(binary)
    C = binary * 2.0
    vecs = normalize(bm25_weight(C.T, K1=1.2, B=0.75)).tocsr()  # items x users, unit rows
    S = (vecs @ vecs.T).toarray()
    np.fill_diagonal(S, 0.0)
    np.testing.assert_allclose(model.similarity_.toarray(), S, atol=1e-6)


def test_itemknn_shrinkage_and_exponent_match_dense_reference(binary):
    model = ItemKNN(k_neighbors=7, shrinkage=3.0, exponent=2.0, prune="source").fit(binary)
    items = sp.csr_matrix(binary.T)  # binary confidence stores 1: shrinkage on the data's scale
    n = l2_norms(items)
    ref = dense_pruned(items, sp.csr_matrix(items.T), 7, n, n, 3.0, 2.0)
    np.testing.assert_allclose(model.similarity_.toarray(), ref, rtol=1e-5)


def test_itemknn_scores_sum_neighbour_similarities_times_confidence(binary):
    model = ItemKNN(k_neighbors=4, alpha=3.0).fit(binary)
    expect = binary[:6].toarray() @ model.similarity_.toarray()  # binary stores 1 at any alpha
    np.testing.assert_allclose(model.score_indices(np.arange(6)), expect, rtol=1e-5)


# ---------------------------------------------------------------------- prune="target": RecBole
def column_topk_cosine(M, k, shrink, block_size=7, guard=1e-6):
    """RecBole's ``ComputeSimilarity`` (and Dacrema et al.'s ``Compute_Similarity_Python``),
    re-implemented from its description: the cosine of the *columns* of ``M``, computed a
    block of columns at a time, ``sim_ij = (M^T M)_ij / (|m_i| |m_j| + shrink + guard)``
    with a zero diagonal, and for each column ``j`` only its ``k`` largest non-zero
    entries kept (in column ``j``); returned as a sparse float32 matrix ``W``. The peers'
    ``guard`` against a zero denominator is 1e-6; reclite has none, so the numbers are
    compared exactly with ``guard=0`` and within the guard's effect with it."""
    M = sp.csr_matrix(M, dtype=np.float64)
    n = M.shape[1]
    norms = np.sqrt(np.asarray(M.multiply(M).sum(axis=0)).ravel())
    rows, cols, vals = [], [], []
    for start in range(0, n, block_size):
        stop = min(start + block_size, n)
        block = (M.T @ M[:, start:stop]).toarray()  # n x block: the block's columns of M^T M
        for c, j in enumerate(range(start, stop)):
            w = block[:, c].copy()
            w[j] = 0.0
            den = norms[j] * norms + shrink + guard
            w = np.divide(w, den, out=np.zeros_like(w), where=den > 0)  # guard=0: empty columns stay 0
            top = np.argpartition(-w, k - 1)[:k]
            top = top[np.argsort(-w[top])]
            top = top[w[top] != 0.0]
            rows += top.tolist()
            cols += [j] * len(top)
            vals += w[top].tolist()
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n), dtype=np.float32)


@pytest.fixture
def valued(rng) -> sp.csr_matrix:
    """Real-valued interactions: cosines without ties, so the peers' arbitrary tie order cannot matter."""
    X = sp.random(150, 50, density=0.12, random_state=np.random.RandomState(7), format="csr")
    X.data = 1.0 + 4.0 * X.data
    return X.astype(np.float32)


@pytest.mark.parametrize("k, shrink", [(5, 0.0), (12, 10.0), (50, 2.0)])
def test_itemknn_target_equals_recboles_itemknn(valued, k, shrink):
    # RecBole's ItemKNN: W = ComputeSimilarity(R, topk=k, shrink).compute_similarity("item"),
    # scores = R @ W, on the matrix R the model itself receives
    model = ItemKNN(k_neighbors=k, shrinkage=shrink, prune="target", confidence="value", alpha=4.0).fit(valued)
    R = model.seen_
    users = np.arange(R.shape[0])
    for guard, tol in [(0.0, 1e-6), (1e-6, 1e-5)]:
        W = column_topk_cosine(R, k, shrink, guard=guard)
        np.testing.assert_array_equal(model.similarity_.indptr, W.indptr)
        np.testing.assert_array_equal(model.similarity_.indices, W.indices)
        np.testing.assert_allclose(model.similarity_.data, W.data, rtol=tol)
        expect = (R.astype(np.float64) @ W.astype(np.float64)).toarray()
        np.testing.assert_allclose(model.score_indices(users), expect, rtol=tol, atol=1e-7)


@pytest.mark.parametrize("weighting, exponent", [(None, 1.0), ("tfidf", 2.0)])
def test_itemknn_target_is_the_transpose_of_source(binary, weighting, exponent):
    kw = dict(k_neighbors=6, shrinkage=1.5, weighting=weighting, exponent=exponent)
    source = ItemKNN(prune="source", **kw).fit(binary)
    target = ItemKNN(prune="target", **kw).fit(binary)
    assert source.similarity_.nnz > 100
    assert (target.similarity_ != sp.csr_matrix(source.similarity_.T)).nnz == 0
    # each item's own list is its similar items, whichever way the scores prune
    raw = source.items_.to_raw(np.arange(10))
    pd.testing.assert_frame_equal(source.similar_items(raw, k=5), target.similar_items(raw, k=5))


# ---------------------------------------------------------------------- UserKNN
def dense_userknn(C, rows, self_idx, k, shrink=0.0, exponent=1.0):
    """Reference: all similarities dense, own user excluded, k best kept, then S @ C."""
    nu = np.linalg.norm(C, axis=1)
    nb = np.linalg.norm(rows, axis=1)
    denom = np.outer(nb, nu) + shrink
    S = np.divide(rows @ C.T, denom, out=np.zeros(denom.shape), where=denom > 0) ** exponent
    out = np.zeros((len(rows), C.shape[1]))
    for r in range(len(rows)):
        s = S[r].copy()
        if self_idx[r] >= 0:
            s[self_idx[r]] = -np.inf
        keep = [v for v in np.lexsort((np.arange(len(s)), -s))[:k] if np.isfinite(s[v]) and s[v] != 0]
        out[r] = s[keep] @ C[keep]
    return out


@pytest.mark.parametrize("shrink, exponent", [(0.0, 1.0), (2.0, 1.5)])
def test_userknn_target_equals_dense_reference(binary, shrink, exponent):
    model = UserKNN(k_neighbors=8, shrinkage=shrink, exponent=exponent, prune="target").fit(binary)
    C = binary.toarray()  # binary confidence stores 1: shrinkage on the data's scale
    users = np.arange(30)
    expect = dense_userknn(C, C[users], users, 8, shrink, exponent)
    np.testing.assert_allclose(model.score_indices(users), expect, rtol=1e-4, atol=1e-5)


def test_userknn_target_from_history_compares_against_every_user(binary):
    model = UserKNN(k_neighbors=8, prune="target").fit(binary)
    hist = np.flatnonzero(binary[3].toarray().ravel())  # user 3's items: user 3 is a neighbour now
    row = np.zeros((1, binary.shape[1]))
    row[0, hist] = 1.0
    expect = dense_userknn(binary.toarray(), row, [-1], 8)[0]
    recs = model.recommend_from_history(hist, k=5)
    expect[hist] = -np.inf
    np.testing.assert_allclose(recs["score"], np.sort(expect)[::-1][:5], rtol=1e-4)


@pytest.mark.parametrize("k, shrink", [(5, 0.0), (20, 4.0)])
def test_userknn_source_equals_dacremas_userknncf(valued, k, shrink):
    # Dacrema et al.'s UserKNNCF: W_sparse = Compute_Similarity(URM.T, topK=k, shrink) keeps
    # the top k of each column (user v's list in column v), scores = W_sparse[u] @ URM
    model = UserKNN(k_neighbors=k, shrinkage=shrink, prune="source", confidence="value", alpha=4.0).fit(valued)
    R = model.seen_
    users = np.arange(R.shape[0])
    for guard, tol in [(0.0, 1e-6), (1e-6, 1e-5)]:
        W = column_topk_cosine(sp.csr_matrix(R.T), k, shrink, guard=guard)
        np.testing.assert_array_equal(model.neighbors_.indptr, W.indptr)
        np.testing.assert_array_equal(model.neighbors_.indices, W.indices)
        np.testing.assert_allclose(model.neighbors_.data, W.data, rtol=tol)
        expect = (W.astype(np.float64) @ R.astype(np.float64)).toarray()
        np.testing.assert_allclose(model.score_indices(users), expect, rtol=tol, atol=1e-7)


def test_userknn_directions_are_each_others_transpose(binary):
    kw = dict(k_neighbors=7, shrinkage=1.0, exponent=1.5)
    target = UserKNN(prune="target", **kw).fit(binary)
    source = UserKNN(prune="source", **kw).fit(binary)
    assert (source.neighbors_ != sp.csr_matrix(target.neighbors_.T)).nnz == 0
    assert np.diff(target.neighbors_.indptr).max() == 7  # k per row for target, k per column for source
    assert np.diff(sp.csc_matrix(source.neighbors_).indptr).max() == 7


@pytest.mark.parametrize("prune", ["source", "target"])
@pytest.mark.parametrize("data", ["binary", "valued"])
def test_userknn_new_user_scores_as_if_appended_to_the_training_users(request, prune, data):
    # the reference refits with the newcomer as the last user: with "source", a training
    # user votes for them when they enter that user's list (ties go to the smaller
    # index, so the newcomer loses them); with "target", their own k nearest vote
    X = request.getfixturevalue(data)
    train, newcomers = X[:-6], X[-6:]
    kw = dict(k_neighbors=9, shrinkage=0.5, prune=prune)
    model = UserKNN(**kw).fit(train)
    idx, scores = model.recommend_indices_from_history(newcomers, k=X.shape[1])
    for r in range(newcomers.shape[0]):
        refit = UserKNN(**kw).fit(sp.vstack([train, newcomers[r]]).tocsr())
        want_idx, want = refit.recommend_indices([train.shape[0]], k=X.shape[1])
        np.testing.assert_allclose(scores[r], want[0], rtol=1e-6, atol=1e-7)
        real = want[0] > 0
        np.testing.assert_array_equal(idx[r][real], want_idx[0][real])


def test_userknn_source_floors_are_each_users_kth_neighbour(rng):
    # a full list's floor is its smallest entry; a short list (a user sharing items with
    # few others) takes any newcomer. The short lists sit between full ones and hold
    # smaller similarities than their neighbours' floors: each list is reduced on its own.
    lonely = np.arange(3, 80, 7)
    dense = (rng.random((80, 30)) < 0.3).astype(np.float32)
    extra = np.zeros((80, 20 * len(lonely)), dtype=np.float32)
    for i, u in enumerate(lonely):
        dense[u] = 0.0
        extra[u, 20 * i:20 * (i + 1)] = 1.0  # twenty items of their own: a long, lonely vector
        extra[u - 1, 20 * i] = 1.0  # one of them shared with the previous user: one weak neighbour
    X = sp.csr_matrix(np.hstack([dense, extra]))
    model = UserKNN(k_neighbors=6, prune="source").fit(X)
    lists = model.neighbors_.toarray().T  # row v: v's list
    counts = (lists != 0).sum(axis=1)
    mins = np.where(lists != 0, lists, np.inf).min(axis=1)
    short = (counts > 0) & (counts < 6)
    assert short.sum() >= 5 and (counts == 6).sum() > 50
    assert (mins[short] < mins[np.flatnonzero(short) - 1]).all()  # what a shared reduction would pick up
    want = np.where(counts == 6, mins, -np.inf)
    np.testing.assert_array_equal(model._floors(), want)


@pytest.mark.parametrize("cls", [ItemKNN, UserKNN])
@pytest.mark.parametrize("prune", ["source", "target"])
def test_knn_both_directions_save_and_load(binary, tmp_path, cls, prune):
    model = cls(k_neighbors=6, prune=prune, shrinkage=1.0).fit(binary)
    model.save(tmp_path / "m")
    loaded = reclite.load_model(tmp_path / "m")
    assert loaded.prune == prune
    for a, b in zip(model.recommend_indices(k=8), loaded.recommend_indices(k=8), strict=True):
        np.testing.assert_array_equal(a, b)
    hist = binary[:5] if cls is UserKNN else binary[:5]
    for a, b in zip(model.recommend_indices_from_history(hist, k=8),
                    loaded.recommend_indices_from_history(hist, k=8), strict=True):
        np.testing.assert_array_equal(a, b)


def test_userknn_bm25_whole_batch_equals_single_users(rng):
    X = random_csr(rng, 600, 8, 0.4, binary=True).astype(np.float32)
    model = UserKNN(k_neighbors=20, weighting="bm25").fit(X)
    whole = model.score_indices(np.arange(600))
    parts = np.vstack([model.score_indices([u]) for u in range(0, 600, 97)])
    np.testing.assert_allclose(whole[::97], parts, rtol=1e-5)


def test_userknn_tfidf_uses_the_fitted_idf_for_new_rows(binary):
    model = UserKNN(k_neighbors=8, weighting="tfidf").fit(binary)
    idf = np.log(binary.shape[0]) - np.log1p(np.bincount(binary.indices, minlength=binary.shape[1]))
    np.testing.assert_allclose(model.idf_, idf)
    W = np.sqrt(binary.toarray()) * idf
    np.testing.assert_allclose(model.user_vectors_.toarray(), W, rtol=1e-6)


@pytest.mark.parametrize("cls", [ItemKNN, UserKNN])
@pytest.mark.parametrize("params, match", [
    ({"k_neighbors": 0}, "k_neighbors"),
    ({"k_neighbors": 2.5}, "k_neighbors"),
    ({"shrinkage": -1.0}, "shrinkage"),
    ({"exponent": 0.0}, "exponent"),
    ({"weighting": "bm52"}, "weighting"),
    ({"bm25_b": 1.5}, "bm25_b"),
    ({"prune": "rows"}, "prune"),
])
def test_knn_invalid_parameters_refused_in_fit(binary, cls, params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        cls(**params).fit(binary)


@pytest.mark.parametrize("dense_b", [False, True])
def test_sparse_dot_dense_equals_scipy(rng, dense_b):
    A = random_csr(rng, 30, 20, 0.2)
    B = random_csr(rng, 20, 15, 0.3)
    got = sparse_dot_dense(A, B.toarray() if dense_b else B)
    assert got.dtype == np.float32 and got.shape == (30, 15)
    np.testing.assert_allclose(got, (A @ B).toarray(), rtol=1e-5)
    with pytest.raises(ValueError, match="do not multiply"):
        sparse_dot_dense(A, A)
