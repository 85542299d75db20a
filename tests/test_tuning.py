"""reclite.tune: grid / random / TPE search, every trial recorded, refit, failures, errors."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest
from scipy import stats

import reclite
from reclite import split
from reclite.errors import ParameterError, ParameterTypeError, RecliteError
from reclite.tuning import parse_metric, tune


@pytest.fixture(scope="module")
def parts() -> tuple[reclite.Dataset, reclite.Dataset, reclite.Dataset]:
    ds = reclite.synthetic_dataset(150, 80, 3000, random_state=3)
    return split.train_valid_test(ds, 0.15, 0.15, random_state=0)


def _ease_scores(train, valid, l2, metrics=("ndcg",), ks=(10,)):
    table = reclite.evaluate(reclite.EASE(l2=l2), train, valid, k=list(ks), metrics=list(metrics))
    return {f"{m}@{int(r['k'])}": float(r[m]) for r in table.to_dict("records") for m in metrics}


def test_grid_visits_every_point_once_and_records_every_metric_at_every_k(parts):
    train, valid, _ = parts
    grid = {"l2": [1.0, 10.0, 100.0], "max_memory": ["1GB", "2GB"]}
    res = tune(reclite.EASE(), grid, train, valid, metric=["ndcg@10", "recall@5"])
    t = res.trials
    assert len(t) == 6
    visited = sorted(zip(t["l2"], t["max_memory"], strict=True))
    assert visited == sorted((a, b) for a in grid["l2"] for b in grid["max_memory"])
    assert sorted(t["trial"]) == list(range(6))
    # every metric named, at every cut-off named
    for col in ("ndcg@10", "ndcg@5", "recall@10", "recall@5", "fit_seconds", "eval_seconds"):
        assert col in t.columns
    assert (t["status"] == "ok").all() and (t["error"] == "").all()
    # each row equals reclite.evaluate of that model fitted directly
    for l2 in grid["l2"]:
        ref = _ease_scores(train, valid, l2, metrics=("ndcg", "recall"), ks=(5, 10))
        rows = t[t["l2"] == l2]
        for lab, v in ref.items():
            assert np.allclose(rows[lab].to_numpy(), v)
    # best first; best_* agree with the table's first row
    assert t["ndcg@10"].is_monotonic_decreasing
    assert res.best_score_ == pytest.approx(t["ndcg@10"].iloc[0])
    assert res.best_params_ == {"l2": t["l2"].iloc[0], "max_memory": t["max_memory"].iloc[0]}
    assert res.metric == "ndcg@10" and res.n_planned == 6 and not res.stopped_by_time


def test_grid_n_trials_takes_the_first_points(parts):
    train, valid, _ = parts
    res = tune("ease", {"l2": [1.0, 10.0, 100.0]}, train, valid, n_trials=2)
    assert sorted(res.trials["l2"]) == [1.0, 10.0]


def test_seeded_random_search_is_reproducible_and_seed_dependent(parts):
    train, valid, _ = parts
    space = {"l2": stats.loguniform(1.0, 1000.0)}
    a = tune("ease", space, train, valid, n_trials=4, method="random", random_state=5)
    b = tune("ease", space, train, valid, n_trials=4, method="random", random_state=5)
    c = tune("ease", space, train, valid, n_trials=4, method="random", random_state=6)
    la = a.trials.sort_values("trial")["l2"].to_list()
    assert la == b.trials.sort_values("trial")["l2"].to_list()
    assert la != c.trials.sort_values("trial")["l2"].to_list()
    assert len(set(la)) == 4 and all(1.0 <= v <= 1000.0 for v in la)
    # a Generator seeded alike gives the same trials as the int
    g = tune("ease", space, train, valid, n_trials=4, method="random",
             random_state=np.random.default_rng(5))
    assert g.trials.sort_values("trial")["l2"].to_list() == la
    assert a.best_params_ == b.best_params_ and a.best_score_ == b.best_score_


def test_random_search_over_lists_larger_than_the_grid_visits_each_point_once(parts):
    train, valid, _ = parts
    res = tune("ease", {"l2": [1.0, 10.0, 100.0]}, train, valid, n_trials=10, method="random")
    assert sorted(res.trials["l2"]) == [1.0, 10.0, 100.0]


@pytest.mark.parametrize("refit", ["train", "all"])
def test_best_model_has_the_best_params_and_is_fitted_on_the_right_data(parts, refit):
    train, valid, _ = parts
    res = tune(reclite.EASE(), {"l2": [1.0, 50.0, 500.0]}, train, valid, refit=refit)
    model = res.best_model_
    assert model.l2 == res.best_params_["l2"]
    expected = train if refit == "train" else split.combine(train, valid)
    assert model.seen_.nnz == len(expected)
    assert (model.seen_ != reclite.EASE(l2=model.l2).fit(expected).seen_).nnz == 0
    # the refitted model scores what the recorded best trial scored (refit=train: the same fit)
    if refit == "train":
        again = reclite.evaluate(model, train, valid, k=10, metrics="ndcg")["ndcg"].iloc[0]
        assert again == pytest.approx(res.best_score_)
    assert tune(reclite.EASE(), {"l2": [1.0]}, train, valid, refit="none").best_model_ is None


def test_failing_trial_is_recorded_with_its_error_and_the_search_goes_on(parts):
    train, valid, _ = parts
    # EASE with a tiny memory budget refuses to build its weight matrix: a RecliteError in fit
    res = tune("ease", {"l2": [10.0, 100.0], "max_memory": ["1KB", "1GB"]}, train, valid)
    t = res.trials
    assert len(t) == 4
    failed = t[t["status"] == "failed"]
    assert sorted(failed["l2"]) == [10.0, 100.0] and (failed["max_memory"] == "1KB").all()
    assert failed["error"].str.startswith("fit: RecliteError:").all()
    assert failed["error"].str.contains("max_memory").all()
    assert failed["ndcg@10"].isna().all() and failed["fit_seconds"].isna().all()
    ok = t[t["status"] == "ok"]
    assert len(ok) == 2 and (ok["max_memory"] == "1GB").all()
    assert list(t["status"]) == ["ok", "ok", "failed", "failed"]  # failed last
    assert res.best_params_["max_memory"] == "1GB"


def test_every_trial_failing_is_one_error(parts):
    train, valid, _ = parts
    with pytest.raises(RecliteError, match="no trial succeeded.*max_memory"):
        tune("ease", {"max_memory": ["1KB"]}, train, valid)


def test_max_time_stops_starting_new_trials(parts):
    train, valid, _ = parts
    res = tune("ease", {"l2": [1.0, 10.0, 100.0]}, train, valid, max_time=0.0)
    assert len(res.trials) == 1 and res.stopped_by_time and res.n_planned == 3
    full = tune("ease", {"l2": [1.0, 10.0, 100.0]}, train, valid, max_time=3600.0)
    assert len(full.trials) == 3 and not full.stopped_by_time


@pytest.mark.parametrize("bad", ["ndcg@ten", "ndcg", "ndcg@0", "foo@10", "ndcg@-1", "@10", ""])
def test_metric_parsing_errors_are_parameter_errors(parts, bad):
    train, valid, _ = parts
    with pytest.raises(ParameterError, match="metric"):
        tune("ease", {"l2": [1.0]}, train, valid, metric=bad)


def test_parse_metric():
    assert parse_metric("ndcg@10") == ("ndcg", 10)
    assert parse_metric(" Recall @ 20 ") == ("recall", 20)
    with pytest.raises(ParameterTypeError):
        parse_metric(10)


@pytest.mark.parametrize("params, match", [
    ({"nope": [1]}, "no parameter 'nope'"),
    ({"l2": []}, "empty list"),
    ({}, "params is empty"),
    ({"l2": 5.0}, "list of values"),
    ({"l2": stats.uniform(0, 1)}, "grid search needs a list"),
])
def test_bad_params_are_parameter_errors(parts, params, match):
    train, valid, _ = parts
    with pytest.raises(ParameterError, match=match):
        tune("ease", params, train, valid)


def test_bad_options_are_parameter_errors(parts):
    train, valid, _ = parts
    with pytest.raises(ParameterError, match="method"):
        tune("ease", {"l2": [1.0]}, train, valid, method="bayes")
    with pytest.raises(ParameterError, match="refit"):
        tune("ease", {"l2": [1.0]}, train, valid, refit="valid")
    with pytest.raises(ParameterError, match="n_trials"):
        tune("ease", {"l2": [1.0]}, train, valid, n_trials=0)
    with pytest.raises(ParameterError, match="unknown model"):
        tune("nosuchmodel", {"l2": [1.0]}, train, valid)


@pytest.mark.skipif(importlib.util.find_spec("optuna") is not None, reason="optuna is installed")
def test_tpe_without_optuna_says_how_to_install(parts):
    train, valid, _ = parts
    with pytest.raises(ParameterError, match=r'pip install "reclite\[tune\]"'):
        tune("ease", {"l2": [1.0]}, train, valid, method="tpe")


@pytest.mark.skipif(importlib.util.find_spec("optuna") is None, reason="needs optuna (reclite[tune])")
def test_tpe_is_seeded_and_records_every_trial(parts):
    train, valid, _ = parts
    space = {"l2": stats.loguniform(1.0, 1000.0), "max_memory": ["1GB", "2GB"]}
    a = tune("ease", space, train, valid, n_trials=5, method="tpe", random_state=1)
    b = tune("ease", space, train, valid, n_trials=5, method="tpe", random_state=1)
    assert len(a.trials) == 5
    assert a.trials["l2"].to_list() == b.trials["l2"].to_list()
    best = a.trials.iloc[0]
    assert a.best_params_ == {"l2": best["l2"], "max_memory": best["max_memory"]}
    ref = _ease_scores(train, valid, float(best["l2"]))
    assert math.isclose(ref["ndcg@10"], a.best_score_, rel_tol=1e-6)


def test_combine_rebuilds_the_whole_from_a_split(parts):
    train, valid, test = parts
    whole = split.combine(train, valid, test)
    assert len(whole) == len(train) + len(valid) + len(test)
    assert whole.users is train.users and whole.items is train.items
    m = train.matrix() + valid.matrix() + test.matrix()
    assert (whole.matrix() != m).nnz == 0
    from reclite.errors import DataError

    with pytest.raises(DataError, match="share"):
        split.combine(train, train)
    other = reclite.synthetic_dataset(20, 10, 60, random_state=1)
    with pytest.raises(DataError, match="maps"):
        split.combine(train, other)


def test_grid_over_a_list_of_sub_grids_visits_each_sub_grid_once(parts):
    train, valid, _ = parts
    sub = [{"l2": [1.0, 10.0]}, {"l2": [100.0], "confidence": ["log", "value"], "alpha": [3.0]}]
    res = tune("ease", sub, train, valid)
    t = res.trials.sort_values("trial")
    assert list(t.columns[:4]) == ["trial", "l2", "confidence", "alpha"]
    seen = [(r.l2, None if isinstance(r.confidence, float) else r.confidence) for r in t.itertuples()]
    assert seen == [(1.0, None), (10.0, None), (100.0, "log"), (100.0, "value")]
    # the first sub-grid leaves confidence/alpha unset: the model's own values, empty cells in the table
    assert t["confidence"].iloc[:2].isna().all() and t["alpha"].iloc[:2].isna().all()
    # best_params_ holds exactly the best trial's point (no empty cells from other sub-grids)
    best = res.trials.iloc[0]
    expected = {"l2": best["l2"]} if best["trial"] < 2 else {"l2": 100.0, "confidence": best["confidence"],
                                                             "alpha": 3.0}
    assert res.best_params_ == expected
    # each row equals evaluate() of the model built from its own point
    for r in t.to_dict("records"):
        params = {"l2": r["l2"]} if r["trial"] < 2 else {k: r[k] for k in ("l2", "confidence", "alpha")}
        ref = reclite.evaluate(reclite.EASE(**params), train, valid, k=[10], metrics=["ndcg"])
        assert r["ndcg@10"] == pytest.approx(float(ref["ndcg"].iloc[0]))


def test_sub_grids_with_tpe_or_a_bad_sub_grid_are_parameter_errors(parts):
    train, valid, _ = parts
    with pytest.raises(ParameterTypeError, match="a list of dicts"):
        tune("ease", [{"l2": [1.0]}], train, valid, method="tpe")
    with pytest.raises(ParameterError, match="empty list"):
        tune("ease", [], train, valid)
    with pytest.raises(ParameterError, match="no parameter 'lambda'"):
        tune("ease", [{"l2": [1.0]}, {"lambda": [2.0]}], train, valid)
