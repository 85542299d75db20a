"""RP3beta against a dense NumPy random walk (Paudel et al. 2016; Dacrema et al. 2019)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from reclite.models.rp3beta import RP3beta


def dense_rp3beta(C: np.ndarray, walk_alpha: float, beta: float, k: int) -> np.ndarray:
    """The walk item -> user -> item on dense arrays, divided by popularity^beta, pruned per row."""
    p_ui = C / np.maximum(C.sum(axis=1, keepdims=True), 1e-300)
    p_iu = C.T / np.maximum(C.T.sum(axis=1, keepdims=True), 1e-300)
    W = (p_iu ** walk_alpha) @ (p_ui ** walk_alpha)
    pop = (C > 0).sum(axis=0).astype(float)
    W = W / np.where(pop > 0, pop, 1.0) ** beta
    np.fill_diagonal(W, 0.0)
    out = np.zeros_like(W)
    for i in range(len(W)):
        cols = [j for j in np.lexsort((np.arange(len(W)), -W[i])) if W[i, j] != 0][:k]
        out[i, cols] = W[i, cols]
    return out


@pytest.fixture
def data() -> sp.csr_matrix:
    X = sp.random(150, 50, density=0.12, random_state=np.random.RandomState(5), format="csr", dtype=np.float32)
    X.data[:] = 1.0
    return X


@pytest.mark.parametrize("walk_alpha, beta, k", [(1.0, 0.5, 10), (0.7, 0.0, 50), (1.5, 0.9, 5)])
def test_rp3beta_similarity_equals_dense_walk(data, walk_alpha, beta, k):
    model = RP3beta(walk_alpha=walk_alpha, beta=beta, k_neighbors=k).fit(data)
    ref = dense_rp3beta(data.toarray(), walk_alpha, beta, k)
    np.testing.assert_allclose(model.similarity_.toarray(), ref, rtol=1e-5, atol=1e-9)


def test_rp3beta_rows_are_probabilities_without_penalty_or_pruning(data):
    # beta = 0, alpha = 1, no pruning: W is a two-step transition matrix (rows sum to 1
    # before the diagonal is dropped)
    model = RP3beta(walk_alpha=1.0, beta=0.0, k_neighbors=50).fit(data)
    C = data.toarray()
    p_ui = C / np.maximum(C.sum(axis=1, keepdims=True), 1)
    p_iu = C.T / np.maximum(C.T.sum(axis=1, keepdims=True), 1)
    diag = np.diag(p_iu @ p_ui)
    used = C.sum(axis=0) > 0
    np.testing.assert_allclose(np.asarray(model.similarity_.sum(axis=1)).ravel()[used] + diag[used], 1.0,
                               rtol=1e-5)


def test_rp3beta_confidence_weights_the_steps():
    # user 0 is far more confident about item 1 than item 0: the walk from item 2 (only
    # user 0's) reaches item 1 with the larger probability
    C = sp.csr_matrix(np.array([[1.0, 9.0, 1.0], [1.0, 1.0, 0.0]], dtype=np.float32))
    import reclite

    ds = reclite.Dataset(*C.nonzero(), C.data, users=reclite.IdMap(["a", "b"], "user"),
                         items=reclite.IdMap(["x", "y", "z"]))
    model = RP3beta(beta=0.0, confidence="value", alpha=10.0).fit(ds)
    w = model.similarity_.toarray()
    assert w[2, 1] > w[2, 0]


def test_rp3beta_scores_are_rows_times_w(data):
    model = RP3beta(k_neighbors=20).fit(data)
    expect = data[:7].toarray() @ model.similarity_.toarray()  # binary confidence stores 1
    np.testing.assert_allclose(model.score_indices(np.arange(7)), expect, rtol=1e-5)


@pytest.mark.parametrize("params, match", [
    ({"walk_alpha": 0.0}, "walk_alpha"),
    ({"beta": -0.1}, "beta"),
    ({"k_neighbors": 0}, "k_neighbors"),
])
def test_rp3beta_invalid_parameters_refused_in_fit(data, params, match):
    with pytest.raises(ValueError, match=match):
        RP3beta(**params).fit(data)


def test_rp3beta_alpha_is_the_confidence_scale_like_every_model():
    assert RP3beta().get_params()["alpha"] == 1.0
    assert "walk_alpha" in RP3beta().get_params()
