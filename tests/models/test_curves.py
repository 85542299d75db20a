"""Validation curves of ALS, BPR and LMF: fit(eval_set=..., eval_every=..., early_stopping_rounds=...).

Reference: a model fitted from scratch for n iterations with the same seed. implicit
draws the initial factors (and BPR/LMF their sampling seeds) once, before the loop, so
the first n iterations of a longer fit are that fit exactly; with num_threads=1 every
fit is deterministic (ALS is deterministic at any thread count; BPR and LMF seed one
generator per thread).
"""

from __future__ import annotations

import numpy as np
import pytest

import reclite
from reclite import split
from reclite.errors import DataError, ParameterError, ParameterTypeError

MODELS = [
    (reclite.ALS, {"factors": 8, "regularization": 1.0}),
    (reclite.BPR, {"factors": 8, "learning_rate": 0.05}),
    (reclite.LMF, {"factors": 8}),
]


@pytest.fixture(scope="module")
def parts() -> split.Split:
    ds = reclite.synthetic_dataset(250, 120, 5000, random_state=3)
    return split.random_holdout(ds, 0.2, random_state=0)


def _make(cls, kw, iterations):
    return cls(iterations=iterations, random_state=1, num_threads=1, device="cpu", **kw)


def _score(model, train, valid, metric="ndcg", k=10):
    return float(reclite.evaluate(model, train, valid, k=k, metrics=metric)[metric].iloc[0])


@pytest.mark.parametrize("cls, kw", MODELS, ids=[c.__name__ for c, _ in MODELS])
def test_one_row_per_eval_step_each_equal_to_a_fit_of_that_many_iterations(parts, cls, kw):
    train, valid = parts
    model = _make(cls, kw, 5).fit(train, eval_set=(train, valid), eval_every=2,
                                  eval_metric=["ndcg@10", "recall@5"])
    h = model.history_
    assert h["iteration"].to_list() == [2, 4]  # 5 iterations, every 2nd evaluated
    assert list(h.columns[:2]) == ["iteration", "seconds"]
    assert {"ndcg@5", "ndcg@10", "recall@5", "recall@10", "eval_seconds"} <= set(h.columns)
    assert h["seconds"].is_monotonic_increasing and (h["seconds"] > 0).all()
    for row in h.itertuples(index=False):
        ref = _make(cls, kw, row.iteration).fit(train)
        table = reclite.evaluate(ref, train, valid, k=[5, 10], metrics=["ndcg", "recall"])
        for rec in table.to_dict("records"):
            for m in ("ndcg", "recall"):
                assert h.loc[h["iteration"] == row.iteration, f"{m}@{rec['k']}"].item() == pytest.approx(
                    rec[m], abs=1e-12)
    # without early stopping the factors are the last iteration's: a plain 5-iteration fit
    plain = _make(cls, kw, 5).fit(train)
    np.testing.assert_array_equal(model.user_factors_, plain.user_factors_)
    np.testing.assert_array_equal(model.item_factors_, plain.item_factors_)
    assert model.best_iteration_ == int(h["iteration"][h["ndcg@5"].idxmax()])


@pytest.mark.parametrize("cls, kw", MODELS[:2], ids=["ALS", "BPR"])
def test_early_stopping_keeps_the_best_iterations_factors(parts, cls, kw):
    train, valid = parts
    # a large step makes the curve turn down within a few epochs
    kw = {**kw, "learning_rate": 0.3} if cls is reclite.BPR else {**kw, "regularization": 0.01, "factors": 32}
    rounds = 2
    model = _make(cls, kw, 40).fit(train, eval_set=(train, valid), eval_metric="ndcg@10",
                                   early_stopping_rounds=rounds)
    h = model.history_
    scores = h["ndcg@10"].to_numpy()
    best = int(np.argmax(scores))  # first maximum
    assert len(h) < 40, "the curve never turned down: the test data no longer exercises early stopping"
    assert model.best_iteration_ == int(h["iteration"][best])
    assert len(h) == best + 1 + rounds  # stopped after `rounds` evaluations without improvement
    assert (scores[best + 1:] <= scores[best]).all()
    ref = _make(cls, kw, model.best_iteration_).fit(train)
    np.testing.assert_array_equal(model.user_factors_, ref.user_factors_)
    np.testing.assert_array_equal(model.item_factors_, ref.item_factors_)
    assert _score(model, train, valid) == pytest.approx(scores[best], abs=1e-12)


def test_fit_without_eval_set_has_an_empty_curve(parts):
    train, _ = parts
    model = _make(reclite.ALS, {"factors": 4}, 2).fit(train)
    assert model.history_.empty and list(model.history_.columns) == ["iteration", "seconds"]
    assert model.eval_history_ == [] and model.best_iteration_ is None


def test_curve_survives_save_and_load(parts, tmp_path):
    train, valid = parts
    model = _make(reclite.ALS, {"factors": 4}, 3).fit(train, eval_set=(train, valid))
    model.save(tmp_path / "m")
    back = reclite.load_model(tmp_path / "m")
    assert back.history_.equals(model.history_)
    assert back.best_iteration_ == model.best_iteration_


def test_bad_curve_arguments_are_refused_before_any_work(parts):
    train, valid = parts
    m = _make(reclite.ALS, {"factors": 4}, 2)
    with pytest.raises(ParameterError, match="early_stopping_rounds needs eval_set"):
        m.fit(train, early_stopping_rounds=3)
    with pytest.raises(ParameterError, match="eval_metric"):
        m.fit(train, eval_set=(train, valid), eval_metric="ndcg@ten")
    with pytest.raises(ParameterError, match="eval_every"):
        m.fit(train, eval_set=(train, valid), eval_every=0)
    with pytest.raises(ParameterError, match="early_stopping_rounds"):
        m.fit(train, eval_set=(train, valid), early_stopping_rounds=0)
    with pytest.raises(ParameterTypeError, match="eval_set"):
        m.fit(train, eval_set=valid)
    other = split.random_holdout(reclite.synthetic_dataset(50, 30, 400, random_state=1), 0.2, random_state=0)
    with pytest.raises(DataError, match="eval_set"):
        m.fit(train, eval_set=tuple(other))
    assert not hasattr(m, "seen_")  # nothing was fitted


def test_tune_passes_fit_params_for_early_stopping(parts):
    train, valid = parts
    res = reclite.tune(_make(reclite.ALS, {"factors": 8}, 6), {"regularization": [0.1, 10.0]}, train, valid,
                       fit_params={"eval_set": (train, valid), "early_stopping_rounds": 2})
    model = res.best_model_
    assert model.regularization == res.best_params_["regularization"]
    assert len(model.history_) >= 1
    assert res.best_score_ == pytest.approx(model.history_["ndcg@10"].max(), abs=1e-12)
