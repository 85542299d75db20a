"""reclite: top-K recommendation from implicit feedback.

The public API is re-exported here and imported lazily, so ``import reclite`` and
``reclite -h`` stay fast (numba kernels and implicit load on first use).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # data
    "IdMap": "reclite.data.idmap",
    "Dataset": "reclite.data.dataset",
    "MultiHot": "reclite.data.dataset",
    "read_csv": "reclite.data.generic",
    "read_movielens": "reclite.data.movielens",
    "read_movie_competition": "reclite.data.competition",
    "read_dataset": "reclite.data.detect",
    "read_item_attributes": "reclite.data.attributes",
    "read_item_vectors": "reclite.data.attributes",
    "demo_dataset": "reclite.data.demo",
    "synthetic_dataset": "reclite.data.synthetic",
    # ranking, confidence, evaluation
    "build_confidence": "reclite.confidence",
    "evaluate": "reclite.evaluation",
    "evaluate_recommendations": "reclite.evaluation",
    "evaluate_spark": "reclite.spark_eval",
    # tuning
    "tune": "reclite.tuning",
    "TuneResult": "reclite.tuning",
    # models
    "Recommender": "reclite.models.base",
    "load_model": "reclite.models.base",
    "Popularity": "reclite.models.popularity",
    "GenreTopN": "reclite.models.rules",
    "ItemKNN": "reclite.models.knn",
    "UserKNN": "reclite.models.knn",
    "EASE": "reclite.models.ease",
    "RP3beta": "reclite.models.rp3beta",
    "ALS": "reclite.models.factor",
    "BPR": "reclite.models.factor",
    "LMF": "reclite.models.factor",
    "SurpriseRecommender": "reclite.models.surprise",
    "ContentEmbedding": "reclite.models.content",
    "ContentExpanded": "reclite.models.content",
    "SparkALS": "reclite.models.spark",
    # ensembles
    "RankVote": "reclite.ensemble",
    "ScoreBlend": "reclite.ensemble",
    "fuse": "reclite.ensemble",
    # errors
    "RecliteError": "reclite.errors",
    "DataError": "reclite.errors",
    "ConfidenceSpecError": "reclite.errors",
    "UnknownIdError": "reclite.errors",
    "ModelFileError": "reclite.errors",
    "DeviceError": "reclite.errors",
    "DataWarning": "reclite.errors",
    "NotFittedError": "reclite.errors",
}
# note: the evaluation code lives in reclite/evaluation.py, not evaluate.py, so that
# importing it never shadows the function ``reclite.evaluate``.
_SUBMODULES = {"split", "metrics", "topk", "confidence", "models", "data", "errors", "evaluation", "tuning",
               "ensemble"}

__all__ = sorted(_EXPORTS) + ["__version__", "split", "metrics", "topk"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"reclite.{name}")
    raise AttributeError(f"module 'reclite' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
