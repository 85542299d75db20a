"""Every registry model refuses a parameter that cannot work: at fit, before any work, with a
ParameterError naming the parameter and its value."""

from __future__ import annotations

import math

import numpy as np
import pytest

import reclite
import reclite.confidence
from reclite.errors import ParameterError, ParameterTypeError
from reclite.models import registry

#: checked by reclite.confidence when the confidence matrix is built (the first step of fit)
CONFIDENCE_PARAMS = ("confidence", "alpha", "confidence_params")


@pytest.fixture(scope="module")
def data() -> reclite.Dataset:
    """Ratings 1-5 with genres: every registry model can fit it."""
    return reclite.synthetic_dataset(60, 40, 600, random_state=0)


@pytest.fixture
def no_confidence(monkeypatch):
    """Make building the confidence matrix (the first heavy step of fit) fail loudly."""

    def boom(*args, **kwargs):
        raise AssertionError("the confidence matrix was built before the parameters were checked")

    monkeypatch.setattr(reclite.confidence, "build_confidence", boom)


def _all_params() -> list[tuple[str, str]]:
    return [(name, p) for name in registry.names() for p in sorted(registry.create(name).get_params())]


def test_the_sweep_covers_every_model_and_parameter():
    pairs = _all_params()
    assert {n for n, _ in pairs} == set(registry.REGISTRY)
    assert len(pairs) >= 80


@pytest.mark.parametrize("name, param", _all_params())
def test_every_parameter_refuses_a_value_of_no_possible_type(data, monkeypatch, name, param):
    """``object()`` is valid for no parameter: each one says which parameter is wrong."""
    if param not in CONFIDENCE_PARAMS:  # model parameters are checked before the confidence matrix
        monkeypatch.setattr(reclite.confidence, "build_confidence",
                            lambda *a, **k: pytest.fail("confidence matrix built before the check"))
    model = registry.create(name, **{param: object()})
    with pytest.raises(ParameterError) as info:
        model.fit(data)
    assert param in str(info.value) or param.replace("_", " ") in str(info.value), str(info.value)
    assert not hasattr(model, "seen_")


BAD = [
    ("pop", {"by": "likes"}, ParameterError, "by", "'likes'"),
    ("genre_rule", {"n_genres": 0}, ParameterError, "n_genres", "0"),
    ("genre_rule", {"n_genres": 2.5}, ParameterTypeError, "n_genres", "2.5"),
    ("itemknn", {"k_neighbors": -1}, ParameterError, "k_neighbors", "-1"),
    ("itemknn", {"k_neighbors": 10.0}, ParameterTypeError, "k_neighbors", "10.0"),
    ("itemknn", {"shrinkage": -1.0}, ParameterError, "shrinkage", "-1.0"),
    ("itemknn", {"exponent": 0.0}, ParameterError, "exponent", "0.0"),
    ("userknn", {"weighting": "bm52"}, ParameterError, "weighting", "'bm52'"),
    ("userknn", {"bm25_b": 1.5}, ParameterError, "bm25_b", "1.5"),
    ("userknn", {"bm25_k1": math.nan}, ParameterError, "bm25_k1", "nan"),
    ("ease", {"l2": 0.0}, ParameterError, "l2", "0.0"),
    ("ease", {"l2": -1}, ParameterError, "l2", "-1"),
    ("ease", {"dtype": "float16"}, ParameterError, "dtype", "'float16'"),
    ("ease", {"max_memory": "lots"}, ParameterError, "max_memory", "'lots'"),
    ("ease", {"max_memory": -5}, ParameterError, "max_memory", "-5"),
    ("rp3beta", {"walk_alpha": 0.0}, ParameterError, "walk_alpha", "0.0"),
    ("rp3beta", {"beta": -0.1}, ParameterError, "beta", "-0.1"),
    ("rp3beta", {"k_neighbors": True}, ParameterTypeError, "k_neighbors", "True"),
    ("als", {"factors": -1}, ParameterError, "factors", "-1"),
    ("als", {"factors": 8.0}, ParameterTypeError, "factors", "8.0"),
    ("als", {"iterations": -1}, ParameterError, "iterations", "-1"),
    ("als", {"regularization": math.inf}, ParameterError, "regularization", "inf"),
    ("als", {"num_threads": -2}, ParameterError, "num_threads", "-2"),
    ("als", {"random_state": -1}, ParameterError, "random_state", "-1"),
    ("als", {"random_state": "7"}, ParameterTypeError, "random_state", "'7'"),
    ("als", {"device": "tpu"}, ParameterError, "device", "'tpu'"),
    ("als", {"show_progress": "yes"}, ParameterTypeError, "show_progress", "'yes'"),
    ("bpr", {"learning_rate": 0.0}, ParameterError, "learning_rate", "0.0"),
    ("bpr", {"verify_negative_samples": 1}, ParameterTypeError, "verify_negative_samples", "1"),
    ("lmf", {"neg_prop": -1}, ParameterError, "neg_prop", "-1"),
    ("lmf", {"learning_rate": -1.0}, ParameterError, "learning_rate", "-1.0"),
    # the issue's reproduction: surprise failed deep inside numpy on n_factors=-1
    ("surprise_svd", {"params": {"n_factors": -1}}, ParameterError, "params['n_factors']", "-1"),
    ("surprise_svd", {"params": {"n_epochs": 2.5}}, ParameterTypeError, "params['n_epochs']", "2.5"),
    ("surprise_svd", {"params": {"lr_all": -0.1}}, ParameterError, "params['lr_all']", "-0.1"),
    ("surprise_svd", {"params": {"reg_pu": "high"}}, ParameterTypeError, "params['reg_pu']", "'high'"),
    ("surprise_svd", {"params": {"biased": "no"}}, ParameterTypeError, "params['biased']", "'no'"),
    ("surprise_svd", {"params": {"random_state": 2**40}}, ParameterError, "params['random_state']",
     str(2**40)),
    ("surprise_svd", {"params": {"n_factor": 3}}, ParameterError, "bad params for surprise.SVD", "'n_factor'"),
    ("surprise_svd", {"algorithm": "NMF", "params": {"init_low": 2.0, "init_high": 1.0}}, ParameterError,
     "params['init_high']", "1.0"),
    ("surprise_svd", {"random_state": 2**40}, ParameterError, "random_state", str(2**40)),
    ("surprise_svd", {"algorithm": "SlopeOne"}, ParameterError, "algorithm", "'SlopeOne'"),
    ("surprise_knn", {"params": {"k": 0}}, ParameterError, "params['k']", "0"),
    ("surprise_knn", {"params": {"min_k": -1}}, ParameterError, "params['min_k']", "-1"),
    ("surprise_knn", {"params": {"k2": 5}}, ParameterError, "bad params for surprise.KNNBaseline", "'k2'"),
    ("surprise_knn", {"params": {"sim_options": {"name": "jaccard"}}}, ParameterError,
     "params['sim_options']['name']", "'jaccard'"),
    ("surprise_knn", {"params": {"sim_options": {"user_based": "yes"}}}, ParameterTypeError,
     "params['sim_options']['user_based']", "'yes'"),
    ("surprise_knn", {"params": {"sim_options": {"nmae": "cosine"}}}, ParameterError,
     "params['sim_options'] has no option", "'nmae'"),
    ("surprise_knn", {"params": {"sim_options": "cosine"}}, ParameterTypeError, "params['sim_options']",
     "'cosine'"),
    ("surprise_knn", {"params": {"bsl_options": {"method": "newton"}}}, ParameterError,
     "params['bsl_options']['method']", "'newton'"),
    ("surprise_knn", {"params": {"bsl_options": {"n_epochs": -3}}}, ParameterError,
     "params['bsl_options']['n_epochs']", "-3"),
    ("surprise_knn", {"max_candidates": 0}, ParameterError, "max_candidates", "0"),
    ("surprise_knn", {"max_candidates": 2.5}, ParameterTypeError, "max_candidates", "2.5"),
    ("rankvote", {"top_n": 0}, ParameterError, "top_n", "0"),
    ("rankvote", {"method": "vote"}, ParameterError, "method", "'vote'"),
    ("rankvote", {"weights": [1, -1, 1]}, ParameterError, "weights", "-1"),
    ("rankvote", {"estimators": ["ease", "nope"]}, ParameterError, "estimators[1]", "'nope'"),
    ("rankvote", {"estimators": ["ease", ["e2", "ease", {"l2": -1}]]}, ParameterError, "member 'e2'", "l2"),
    ("blend", {"normalize": "max"}, ParameterError, "normalize", "'max'"),
    ("spark_als", {"num_blocks": 0}, ParameterError, "num_blocks", "0"),
    ("spark_als", {"checkpoint_interval": 0}, ParameterError, "checkpoint_interval", "0"),
    ("blend", {"estimators": "ease"}, ParameterTypeError, "estimators", "'ease'"),
    ("content", {"n_components": 0}, ParameterError, "n_components", "0"),
    ("content", {"blocks": "genres"}, ParameterTypeError, "blocks", "'genres'"),
    ("content", {"block_weights": {"genres": -1.0}}, ParameterError, "block_weights['genres']", "-1.0"),
    ("content_expand", {"n_expand": -1}, ParameterError, "n_expand", "-1"),
    ("content_expand", {"weight": math.nan}, ParameterError, "weight", "nan"),
    ("content_expand", {"base": "nope"}, ParameterError, "base", "'nope'"),
    ("content_expand", {"base": ["ease", {"l2": -1}]}, ParameterError, "base", "l2"),
]


@pytest.mark.parametrize("name, params, error, param, shown", BAD)
def test_bad_values_raise_parameter_errors_naming_the_parameter_and_value(data, no_confidence, name, params,
                                                                       error, param, shown):
    with pytest.raises(error) as info:
        registry.create(name, **params).fit(data)
    message = str(info.value)
    assert type(info.value) is error, message
    assert param in message and shown in message, message
    assert "\n" not in message


def test_every_registry_model_has_a_bad_value_case():
    assert {name for name, *_ in BAD} == set(registry.REGISTRY)


def test_a_failed_refit_with_bad_parameters_keeps_the_fitted_model(data):
    model = reclite.EASE(l2=50.0).fit(data)
    before = model.recommend(k=5)
    model.set_params(l2=-1.0)
    with pytest.raises(ParameterError, match=r"^EASE: l2 must be a number > 0, got -1.0$"):
        model.fit(data)
    model.set_params(l2=50.0)
    assert model.recommend(k=5).equals(before)


def test_good_values_of_every_kind_still_fit(data):
    """The checks accept what the parameters document: numpy scalars, ints for floats, None options."""
    reclite.ItemKNN(k_neighbors=np.int64(5), shrinkage=1, exponent=np.float32(1.5), weighting=None).fit(data)
    reclite.ALS(factors=np.int32(4), iterations=1, regularization=1, device="cpu", num_threads=1,
                random_state=np.uint16(3)).fit(data)
    reclite.SurpriseRecommender(algorithm="KNNBasic", params={
        "k": 5, "min_k": 1, "sim_options": {"name": "Cosine", "user_based": False, "min_support": 2},
        "bsl_options": {"method": "sgd", "n_epochs": 2, "learning_rate": 0.01}}, max_candidates=None).fit(data)
    reclite.SurpriseRecommender(algorithm="NMF", params={"n_factors": 3, "n_epochs": 2, "init_low": 0.1,
                                                         "init_high": 0.2}, random_state=0).fit(data)


def test_registry_errors_are_parameter_errors():
    with pytest.raises(ParameterError, match="unknown model 'alss'; known models: pop"):
        registry.get("alss")
    with pytest.raises(ParameterError, match="model 'als' has no parameter 'factor'"):
        registry.create("als", factor=3)
