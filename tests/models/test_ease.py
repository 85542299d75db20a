"""EASE against the 10-line NumPy closed form (Steck 2019), plus its own edges."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from reclite.errors import RecliteError
from reclite.models._sparse import gram_upper, mirror_upper
from reclite.models.ease import EASE


def numpy_ease(C: np.ndarray, l2: float) -> np.ndarray:
    """Steck's closed form with a general inverse: the reference."""
    G = C.T @ C + l2 * np.eye(C.shape[1])
    P = np.linalg.inv(G)
    B = -P / np.diag(P)
    np.fill_diagonal(B, 0.0)
    return B


@pytest.fixture
def data(rng) -> sp.csr_matrix:
    X = sp.random(120, 40, density=0.15, random_state=np.random.RandomState(3), format="csr", dtype=np.float32)
    X.data[:] = 1.0
    return X


def test_gram_upper_is_the_upper_triangle_of_xtx(rng):
    X = sp.random(60, 25, density=0.2, random_state=np.random.RandomState(1), format="csr")
    G = gram_upper(X)
    np.testing.assert_allclose(G, np.triu((X.T @ X).toarray()), rtol=1e-12)
    mirror_upper(G)
    np.testing.assert_allclose(G, (X.T @ X).toarray(), rtol=1e-12)


def test_mirror_upper_across_blocks(rng):
    a = rng.random((150, 150))  # more than two 64-wide blocks
    expect = np.triu(a) + np.triu(a, 1).T
    mirror_upper(a)
    np.testing.assert_array_equal(a, expect)


def test_ease_weights_equal_numpy_closed_form(data):
    model = EASE(l2=7.5, dtype="float64").fit(data)
    C = data.toarray()  # binary confidence stores 1 for a matrix model: l2 is the textbook lambda
    np.testing.assert_allclose(model.weights_, numpy_ease(C, 7.5), atol=1e-12)
    assert model.weights_.dtype == np.float64
    assert (np.diag(model.weights_) == 0).all()


def test_ease_float32_close_to_float64(data):
    w64 = EASE(l2=7.5, dtype="float64").fit(data).weights_
    w32 = EASE(l2=7.5).fit(data).weights_  # float32 is the default
    assert w32.dtype == np.float32
    np.testing.assert_allclose(w32, w64, atol=1e-5)


def test_ease_scores_are_rows_times_weights(data):
    model = EASE(l2=3.0, dtype="float64").fit(data)
    B = numpy_ease(data.toarray(), 3.0)
    np.testing.assert_allclose(model.score_indices(np.arange(5)), data[:5].toarray() @ B, rtol=1e-5)


def test_ease_binary_confidence_does_not_depend_on_alpha(data):
    # binary confidence stores 1 at any alpha, so l2 keeps its textbook meaning
    a = EASE(l2=8.0, alpha=1.0, dtype="float64").fit(data).weights_
    b = EASE(l2=8.0, alpha=3.0, dtype="float64").fit(data).weights_
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a, numpy_ease(data.toarray(), 8.0), atol=1e-12)


def test_ease_non_binary_confidence_changes_only_relative_weights(data):
    # each stored value is (1 + alpha f) / (1 + alpha): the reference on that matrix
    X = data.copy()
    X.data = np.linspace(1.0, 5.0, X.nnz).astype(np.float32)
    alpha = 4.0
    model = EASE(l2=6.0, confidence="value", alpha=alpha, dtype="float64").fit(X)
    f = X.toarray() / 5.0  # the value component scales by the largest value
    C = np.where(X.toarray() > 0, (1.0 + alpha * f) / (1.0 + alpha), 0.0)
    np.testing.assert_allclose(model.weights_, numpy_ease(C, 6.0), atol=1e-6)
    assert model.seen_.data.max() == pytest.approx(1.0)


def test_ease_recommend_from_history_is_history_times_weights(data):
    model = EASE(l2=3.0).fit(data)
    hist = [1, 5, 7]
    recs = model.recommend_from_history(hist, k=5)
    row = np.zeros(data.shape[1])
    row[hist] = 1.0
    expect = row @ model.weights_
    expect[hist] = -np.inf
    order = np.lexsort((np.arange(len(expect)), -expect))[:5]
    assert recs["item"].tolist() == order.tolist()
    np.testing.assert_allclose(recs["score"], expect[order], rtol=1e-5)


def test_ease_similar_items_rank_rows_of_b(data):
    model = EASE(l2=3.0).fit(data)
    sim = model.similar_items([4], k=3)
    row = model.weights_[4].copy()
    row[4] = -np.inf
    assert sim["similar"].tolist() == np.argsort(-row, kind="stable")[:3].tolist()


def test_ease_refuses_when_the_weights_do_not_fit(data):
    with pytest.raises(RecliteError) as info:
        EASE(max_memory="10KB", dtype="float64").fit(data)
    assert str(info.value) == (
        "EASE on 40 items needs 12.5 KB for its 40 x 40 float64 weight matrix, over "
        "max_memory='10KB'; raise max_memory, use dtype='float32' or keep fewer items")
    EASE(max_memory="10KB").fit(data)  # the default float32: 6.25 KB fits


@pytest.mark.parametrize("params, match", [
    ({"l2": 0.0}, "l2"),
    ({"l2": -1.0}, "l2"),
    ({"dtype": "float16"}, "dtype"),
    ({"max_memory": "lots"}, "max_memory"),
])
def test_ease_invalid_parameters_refused_in_fit(data, params, match):
    model = EASE(**params)  # __init__ stores verbatim, never validates
    with pytest.raises(ValueError, match=match):
        model.fit(data)


def test_ease_singular_without_penalty_is_impossible_so_tiny_l2_still_fits():
    # two identical items: X^T X is singular, l2 > 0 makes it positive definite
    X = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 1], [0, 0, 1]], dtype=np.float32))
    model = EASE(l2=1e-3).fit(X)
    assert np.isfinite(model.weights_).all()


def test_ease_scores_into_the_ranking_buffer(data):
    rows = sp.csr_matrix(data[:5])
    model = EASE(l2=3.0).fit(data)
    buf = np.full((5, data.shape[1]), np.nan, dtype=np.float32)  # stale content must not leak in
    got = model._score(np.arange(5), rows, out=buf)
    assert got is buf
    np.testing.assert_allclose(buf, rows.toarray() @ model.weights_.astype(np.float64), rtol=1e-5, atol=1e-6)
    # float64 weights cannot write into a float32 buffer: a new block, the buffer untouched
    m64 = EASE(l2=3.0, dtype="float64").fit(data)
    buf[:] = np.nan
    got = m64._score(np.arange(5), rows, out=buf)
    assert got is not buf and np.isnan(buf).all() and got.dtype == np.float32
    np.testing.assert_allclose(got, rows.toarray() @ m64.weights_, rtol=1e-5)
    # ranked through the reused buffer: the lists do not depend on the block size
    a = model.recommend_indices(k=6, max_memory=1)
    b = model.recommend_indices(k=6, max_memory="1GB")
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_ease_float32_default_scores_agree_with_float64(data):
    # the docstring's claim, on the fixture: each user's scores within 1e-4 of their largest
    s32 = EASE(l2=3.0).fit(data).score_indices(np.arange(data.shape[0])).astype(np.float64)
    s64 = EASE(l2=3.0, dtype="float64").fit(data).score_indices(np.arange(data.shape[0])).astype(np.float64)
    scale = np.abs(s64).max(axis=1, keepdims=True)
    assert (np.abs(s32 - s64) <= 1e-4 * scale).all()


def test_ease_cholesky_runs_on_one_blas_thread_where_two_crash_openblas(monkeypatch):
    from threadpoolctl import ThreadpoolController

    from reclite.models import ease

    def threads() -> list:
        return [i.get("num_threads") for i in ThreadpoolController().select(user_api="blas").info()]

    with ThreadpoolController().limit(limits=2, user_api="blas"):
        before = threads()
        with ease._potrf_threads(20_000):
            inside = threads()
        assert threads() == before
        with ease._potrf_threads(2_000):  # small: untouched
            assert threads() == before
    assert inside == [1] * len(before)
    with ThreadpoolController().limit(limits=3, user_api="blas"):  # three threads do not crash
        with ease._potrf_threads(20_000):
            assert set(threads()) == {3}


def test_kernels_start_on_first_use_and_match_numpy_in_a_fresh_process():
    """reclite.models._sparse imports without numba; gram_upper then starts the kernels
    (reclite._lazy_kernels) and gives X^T X's upper triangle."""
    import subprocess
    import sys

    code = ("import sys, numpy as np, scipy.sparse as sp\n"
            "from reclite.models import _sparse\n"
            "assert 'numba' not in sys.modules and not _sparse._LAZY.compiled\n"
            "X = sp.random(40, 12, density=0.3, format='csr', random_state=0)\n"
            "G = _sparse.gram_upper(X)\n"
            "assert _sparse._LAZY.compiled and 'numba' in sys.modules\n"
            "want = np.triu((X.T @ X).toarray())\n"
            "assert np.allclose(G, want), abs(G - want).max()\n"
            "print('ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.stdout.strip() == "ok", proc.stderr[-2000:]
