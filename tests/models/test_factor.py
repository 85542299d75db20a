"""ALS, BPR and LMF: implicit as the reference, confidence semantics, devices, fold-in, files."""

from __future__ import annotations

import logging
import warnings

import implicit.cpu.als
import implicit.cpu.bpr
import implicit.cpu.lmf
import implicit.gpu
import implicit.utils
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_info, threadpool_limits

import reclite
from reclite.confidence import build_confidence
from reclite.errors import DeviceError
from reclite.models._foldin import als_solve_users
from reclite.models.factor import ALS, BPR, LMF, implicit_seed

HAS_CUDA = bool(implicit.gpu.HAS_CUDA)
needs_gpu = pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA device and implicit's GPU build "
                                                    "(implicit.gpu.HAS_CUDA is false)")


@pytest.fixture
def clusters() -> reclite.Dataset:
    """80 users x 40 items in two planted taste groups; values 1..5.

    Users 0-39 use items 0-19, users 40-79 items 20-39, each about 60% of their
    group's items, plus one stray item from the other group.
    """
    rng = np.random.default_rng(7)
    rows = []
    for u in range(80):
        group = 0 if u < 40 else 1
        own = np.flatnonzero(rng.random(20) < 0.6) + 20 * group
        stray = rng.integers(0, 20) + 20 * (1 - group)
        for i in [*own, stray]:
            rows.append((f"u{u}", f"i{i:02d}", float(rng.integers(1, 6))))
    df = pd.DataFrame(rows, columns=["user", "item", "value"])
    return reclite.Dataset.from_frame(df, value="value")


def _implicit_als(model: ALS) -> implicit.cpu.als.AlternatingLeastSquares:
    """An implicit ALS holding a fitted reclite model's factors."""
    ref = implicit.cpu.als.AlternatingLeastSquares(factors=model.factors, regularization=model.regularization,
                                                   alpha=1.0, random_state=0)
    ref.user_factors = model.user_factors_.copy()
    ref.item_factors = model.item_factors_.copy()
    return ref


# ---------------------------------------------------------------- the confidence mapping
def test_als_factors_equal_implicit_fitted_directly_on_the_same_confidence(clusters):
    m = ALS(factors=8, regularization=0.1, iterations=6, alpha=4.0, confidence="value", random_state=11,
            device="cpu").fit(clusters)
    C = build_confidence(clusters, "value", alpha=4.0)
    ref = implicit.cpu.als.AlternatingLeastSquares(factors=8, regularization=0.1, iterations=6, alpha=1.0,
                                                   random_state=11)
    ref.fit(sp.csr_matrix(C, dtype=np.float32), show_progress=False)
    np.testing.assert_array_equal(m.user_factors_, ref.user_factors)
    np.testing.assert_array_equal(m.item_factors_, ref.item_factors)


def test_als_binary_alpha_a_equals_implicit_alpha_one_plus_a_on_01_data(clusters):
    # reclite stores 1 + a on every entry and leaves implicit's alpha at 1; implicit's
    # own alpha multiplies a 0/1 matrix instead: the same fit when its alpha = 1 + a
    m = ALS(factors=8, iterations=5, alpha=3.0, random_state=5, device="cpu").fit(clusters)
    X = clusters.matrix()
    X.data[:] = 1.0
    ref = implicit.cpu.als.AlternatingLeastSquares(factors=8, regularization=m.regularization, iterations=5,
                                                   alpha=4.0, random_state=5)
    ref.fit(X, show_progress=False)
    np.testing.assert_array_equal(m.item_factors_, ref.item_factors)


@pytest.mark.parametrize("cls, target", [(ALS, implicit.cpu.als.AlternatingLeastSquares),
                                         (BPR, implicit.cpu.bpr.BayesianPersonalizedRanking),
                                         (LMF, implicit.cpu.lmf.LogisticMatrixFactorization)])
def test_implicit_receives_the_confidence_matrix_unchanged(clusters, monkeypatch, cls, target):
    seen = {}
    original = target.fit

    def spy(self, user_items, *args, **kwargs):
        seen["matrix"] = user_items
        seen["alpha"] = getattr(self, "alpha", 1.0)
        return original(self, user_items, *args, **kwargs)

    monkeypatch.setattr(target, "fit", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # BPR warns that it ignores values
        cls(factors=4, iterations=2, alpha=2.5, confidence="value", random_state=0, device="cpu").fit(clusters)
    C = seen["matrix"]
    assert type(C) is sp.csr_matrix and C.dtype == np.float32
    expected = build_confidence(clusters, "value", alpha=2.5)
    np.testing.assert_array_equal(C.toarray(), expected.toarray())
    assert seen["alpha"] == 1.0


def test_weighted_confidence_changes_the_als_fit_and_its_recommendations(clusters):
    kw = dict(factors=8, iterations=8, alpha=10.0, random_state=3, device="cpu")
    binary = ALS(confidence="binary", **kw).fit(clusters)
    weighted = ALS(confidence="value", **kw).fit(clusters)
    assert not np.allclose(binary.item_factors_, weighted.item_factors_)
    a = binary.recommend_indices(k=5)[0]
    b = weighted.recommend_indices(k=5)[0]
    assert (a != b).any(axis=1).sum() >= 5


def test_weighted_confidence_changes_the_lmf_fit(clusters):
    kw = dict(factors=4, iterations=5, alpha=10.0, random_state=3, num_threads=1)
    binary = LMF(confidence="binary", **kw).fit(clusters)
    weighted = LMF(confidence="value", **kw).fit(clusters)
    assert not np.allclose(binary.item_factors_, weighted.item_factors_)


def test_bpr_ignores_confidence_values_and_says_so(clusters):
    kw = dict(factors=4, iterations=20, alpha=10.0, random_state=3, num_threads=1, device="cpu")
    binary = BPR(confidence="binary", **kw).fit(clusters)
    with pytest.warns(UserWarning, match="BPR ignores confidence values"):
        weighted = BPR(confidence="value", **kw).fit(clusters)
    np.testing.assert_array_equal(binary.item_factors_, weighted.item_factors_)


# ---------------------------------------------------------------- seeds, refits, dtypes
def test_int_seed_is_passed_through_and_generators_become_ints():
    assert implicit_seed(12) == 12
    assert implicit_seed(np.int64(3)) == 3
    s = implicit_seed(np.random.default_rng(0))
    assert isinstance(s, int) and s == implicit_seed(np.random.default_rng(0))
    assert isinstance(implicit_seed(None), int)
    with pytest.raises(ValueError, match="non-negative"):
        implicit_seed(-1)
    with pytest.raises(TypeError):
        implicit_seed("7")


@pytest.mark.parametrize("cls", [ALS, BPR, LMF])
def test_second_fit_starts_fresh(clusters, cls):
    kw = dict(factors=4, iterations=3, random_state=9, num_threads=1, device="cpu")
    other = clusters.subset(np.arange(len(clusters)) % 2 == 0)
    refit = cls(**kw).fit(other).fit(clusters)
    fresh = cls(**kw).fit(clusters)
    np.testing.assert_array_equal(refit.user_factors_, fresh.user_factors_)
    np.testing.assert_array_equal(refit.item_factors_, fresh.item_factors_)


@pytest.mark.parametrize("cls, extra", [(ALS, 0), (BPR, 1), (LMF, 2)])
def test_factors_are_float32_numpy_arrays(clusters, cls, extra):
    m = cls(factors=6, iterations=2, random_state=0, device="cpu").fit(clusters)
    for f, n in [(m.user_factors_, m.n_users_), (m.item_factors_, m.n_items_)]:
        assert type(f) is np.ndarray and f.dtype == np.float32 and f.flags.c_contiguous
        assert f.shape == (n, 6 + extra)
    assert m.device_ == "cpu"


def test_invalid_parameters_are_refused_in_fit(clusters):
    with pytest.raises(ValueError, match="factors"):
        ALS(factors=0).fit(clusters)
    with pytest.raises(ValueError, match="device must be one of 'auto', 'cpu', 'gpu', got 'tpu'"):
        ALS(device="tpu").fit(clusters)
    with pytest.raises(ValueError, match="learning_rate"):
        BPR(learning_rate=0.0).fit(clusters)


# ---------------------------------------------------------------- devices
def test_gpu_requested_without_rmm_says_why_and_how_to_fix(clusters, monkeypatch):
    monkeypatch.setattr(implicit.gpu, "HAS_CUDA", False)
    monkeypatch.setattr(implicit.gpu, "HAS_RMM", False)
    with pytest.raises(DeviceError) as err:
        ALS(device="gpu").fit(clusters)
    msg = str(err.value)
    assert msg == ("ALS: device='gpu' was requested but implicit cannot use a GPU here: the 'rmm' package "
                   "is not installed (implicit needs it for its GPU models). Fix: on a machine with an "
                   "NVIDIA GPU run pip install \"reclite[gpu]\" (rmm and a CUDA build of implicit), or use "
                   "device='cpu'.")
    assert "\n" not in msg
    assert not hasattr(ALS(device="gpu"), "device_")


def test_gpu_requested_with_rmm_but_no_device_says_so(clusters, monkeypatch):
    monkeypatch.setattr(implicit.gpu, "HAS_CUDA", False)
    monkeypatch.setattr(implicit.gpu, "HAS_RMM", True)
    with pytest.raises(DeviceError, match=r"^BPR: device='gpu' was requested .*: no CUDA device was found, "
                                          r"or this implicit build has no CUDA extension\. Fix: .*"
                                          r"pip install \"reclite\[gpu\]\""):
        BPR(device="gpu").fit(clusters)


def test_lmf_has_no_gpu_version(clusters):
    with pytest.raises(DeviceError, match="LMF has no GPU implementation in implicit; use device='cpu'"):
        LMF(device="gpu").fit(clusters)


def test_auto_device_logs_its_choice_and_records_it(clusters, monkeypatch, caplog):
    monkeypatch.setattr(implicit.gpu, "HAS_CUDA", False)
    with caplog.at_level(logging.INFO, logger="reclite.models.factor"):
        m = ALS(factors=4, iterations=1, device="auto", random_state=0).fit(clusters)
    assert m.device_ == "cpu"
    assert any("device='auto' -> fitting on CPU" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------- BLAS threads, progress
def test_no_blas_thread_warning_during_fit(clusters, monkeypatch):
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    if not blas or max(i["num_threads"] for i in blas) < 2:
        pytest.skip("BLAS runs one thread here, so implicit would not warn anyway")
    # control: a bare implicit ALS built while BLAS has 2 threads does warn
    monkeypatch.setattr(implicit.utils, "_checked_blas_config", False)
    with threadpool_limits(2, "blas"), pytest.warns(RuntimeWarning, match="threads"):
        implicit.cpu.als.AlternatingLeastSquares(factors=2)
    monkeypatch.setattr(implicit.utils, "_checked_blas_config", False)
    with threadpool_limits(2, "blas"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for cls in (ALS, BPR, LMF):
            cls(factors=4, iterations=2, random_state=0, device="cpu").fit(clusters)
    blas_warnings = [w for w in caught if "BLAS" in str(w.message) or "threadpool" in str(w.message)]
    assert not blas_warnings, [str(w.message) for w in blas_warnings]


def test_progress_bar_only_when_asked(clusters, capsys):
    ALS(factors=4, iterations=2, random_state=0, device="cpu").fit(clusters)
    assert capsys.readouterr().err == ""
    ALS(factors=4, iterations=2, random_state=0, device="cpu", show_progress=True).fit(clusters)
    assert "2/2" in capsys.readouterr().err


# ---------------------------------------------------------------- scoring and fold-in
def test_known_user_scores_are_factor_products(clusters):
    m = ALS(factors=6, iterations=4, random_state=1, device="cpu").fit(clusters)
    np.testing.assert_allclose(m.score_indices([0, 5]), m.user_factors_[[0, 5]] @ m.item_factors_.T, rtol=1e-6)


def test_als_fold_in_matches_implicit_recalculate_user(clusters):
    m = ALS(factors=8, iterations=8, alpha=5.0, confidence="value", random_state=2, device="cpu").fit(clusters)
    ref = _implicit_als(m)
    rows = m.seen_[[0, 41, 77]]
    ours = als_solve_users(m.item_factors_, rows, m.regularization)
    theirs = ref.recalculate_user([0, 41, 77], rows)
    np.testing.assert_allclose(ours, theirs, rtol=2e-3, atol=2e-4)


def test_als_recommend_from_history_matches_implicit_recalculate_user(clusters):
    m = ALS(factors=8, iterations=8, alpha=5.0, random_state=2, device="cpu").fit(clusters)
    history = ["i01", "i04", "i05", "i09", "i33"]
    recs = m.recommend_from_history(history, k=10)
    hist_idx = np.sort(m.items_.to_index(history))
    row = sp.csr_matrix((np.full(len(hist_idx), 6.0, dtype=np.float32), hist_idx, [0, len(hist_idx)]),
                        shape=(1, m.n_items_))
    ids, scores = _implicit_als(m).recommend(0, row, N=10, recalculate_user=True)
    assert recs["item"].tolist() == m.items_.to_raw(ids).tolist()
    np.testing.assert_allclose(recs["score"].to_numpy(), scores, rtol=2e-3, atol=1e-4)


@pytest.mark.parametrize("cls, kw", [(BPR, dict(factors=8, iterations=60, learning_rate=0.05)),
                                     (LMF, dict(factors=8, iterations=30)),
                                     (ALS, dict(factors=8, iterations=10))])
def test_recommend_from_history_stays_in_the_history_taste_group(clusters, cls, kw):
    m = cls(random_state=4, num_threads=1, device="cpu", **kw).fit(clusters)
    group_b = [f"i{i:02d}" for i in range(20, 40)]
    recs = m.recommend_from_history(group_b[:6], k=5)
    assert set(recs["item"]) <= set(group_b), recs["item"].tolist()
    group_a = [f"i{i:02d}" for i in range(20)]
    recs = m.recommend_from_history(group_a[:6], k=5)
    assert set(recs["item"]) <= set(group_a), recs["item"].tolist()


def test_similar_items_follow_implicit_similar_items(clusters):
    m = ALS(factors=8, iterations=8, random_state=2, device="cpu").fit(clusters)
    ref = _implicit_als(m)
    for item in [0, 17, 33]:
        ids, scores = ref.similar_items(item, N=11)
        keep = ids != item
        ours = m.similar_items(m.items_.to_raw([item]), k=10)
        assert ours["similar"].tolist() == m.items_.to_raw(ids[keep][:10]).tolist()
        np.testing.assert_allclose(ours["score"].to_numpy(), scores[keep][:10], rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- files
@pytest.mark.parametrize("cls", [ALS, BPR, LMF])
def test_save_load_round_trip(clusters, tmp_path, cls):
    m = cls(factors=6, iterations=3, random_state=0, device="cpu", confidence="value", alpha=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        m.fit(clusters)
    m.save(tmp_path / "model")
    back = reclite.load_model(tmp_path / "model")
    assert type(back) is cls and back.get_params() == m.get_params()
    np.testing.assert_array_equal(back.item_factors_, m.item_factors_)
    assert back.device_ == "cpu"
    pd.testing.assert_frame_equal(back.recommend(k=5), m.recommend(k=5))
    pd.testing.assert_frame_equal(back.recommend_from_history(["i01", "i02"], k=5),
                                  m.recommend_from_history(["i01", "i02"], k=5))


# ---------------------------------------------------------------- GPU (skipped without CUDA)
@pytest.mark.gpu
@needs_gpu
@pytest.mark.parametrize("cls, kw, floor", [(ALS, dict(factors=32, iterations=15), 0.8),
                                            (BPR, dict(factors=32, iterations=100), 0.5)])
def test_gpu_fit_agrees_with_cpu_fit(clusters, cls, kw, floor):
    cpu = cls(random_state=0, device="cpu", **kw).fit(clusters)
    gpu = cls(random_state=0, device="gpu", **kw).fit(clusters)
    assert gpu.device_ == "gpu"
    for f in (gpu.user_factors_, gpu.item_factors_):
        assert type(f) is np.ndarray and f.dtype == np.float32
    a, b = cpu.recommend_indices(k=10)[0], gpu.recommend_indices(k=10)[0]
    overlap = np.mean([len(set(x) & set(y)) / 10 for x, y in zip(a, b)])
    assert overlap >= floor, overlap


@pytest.mark.gpu
@needs_gpu
def test_auto_device_uses_the_gpu_when_present(clusters):
    assert ALS(factors=32, iterations=2, random_state=0).fit(clusters).device_ == "gpu"
