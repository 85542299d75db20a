"""Registry: CLI names -> model classes (imported lazily), with default parameters.

Also the whitelist of classes a model file may name: loading a model never imports
anything that is not listed here.
"""

from __future__ import annotations

import copy
import importlib
from typing import Any

__all__ = ["REGISTRY", "names", "get", "create", "class_by_name", "class_name_known"]

# name -> (module, class, default parameters that make this entry differ from the class defaults)
REGISTRY: dict[str, tuple[str, str, dict[str, Any]]] = {
    "pop": ("reclite.models.popularity", "Popularity", {}),
    "genre_rule": ("reclite.models.rules", "GenreTopN", {}),
    "itemknn": ("reclite.models.knn", "ItemKNN", {}),
    "userknn": ("reclite.models.knn", "UserKNN", {}),
    "ease": ("reclite.models.ease", "EASE", {}),
    "rp3beta": ("reclite.models.rp3beta", "RP3beta", {}),
    "als": ("reclite.models.factor", "ALS", {}),
    "bpr": ("reclite.models.factor", "BPR", {}),
    "lmf": ("reclite.models.factor", "LMF", {}),
    # Apache Spark MLlib's implicit ALS (optional extra reclite[spark]; the module imports pyspark lazily)
    "spark_als": ("reclite.models.spark", "SparkALS", {}),
    "surprise_svd": ("reclite.models.surprise", "SurpriseRecommender", {"algorithm": "SVD"}),
    "surprise_knn": ("reclite.models.surprise", "SurpriseRecommender", {"algorithm": "KNNBaseline"}),
    "content": ("reclite.models.content", "ContentEmbedding", {}),
    "content_expand": ("reclite.models.content", "ContentExpanded", {}),
    # ensembles: members by registry name (JSON, so the CLI's -p can give them); ALS seeded so the
    # default ensemble is reproducible
    "rankvote": ("reclite.ensemble", "RankVote", {"estimators": ["ease", ["als", "als", {"random_state": 0}],
                                                                 "itemknn"]}),
    "blend": ("reclite.ensemble", "ScoreBlend", {"estimators": ["ease", ["als", "als", {"random_state": 0}],
                                                               "itemknn"]}),
}


def names() -> list[str]:
    """The registry names, in registry order."""
    return list(REGISTRY)


def get(name: str) -> type:
    from ..errors import ParameterError

    if name not in REGISTRY:
        raise ParameterError(f"unknown model {name!r}; known models: {', '.join(REGISTRY)}")
    mod, cls, _ = REGISTRY[name]
    return getattr(importlib.import_module(mod), cls)


def create(name: str, **params: Any) -> Any:
    """A model by registry name, with the entry's defaults overridden by ``params``."""
    from ..errors import ParameterError

    cls = get(name)
    kwargs = copy.deepcopy(REGISTRY[name][2])  # entries may hold lists (ensemble members)
    kwargs.update(params)
    valid = cls().get_params(deep=False)
    unknown = [p for p in kwargs if p not in valid]
    if unknown:
        raise ParameterError(f"model {name!r} has no parameter {', '.join(map(repr, unknown))}; "
                           f"its parameters are: {', '.join(valid)}")
    return cls(**kwargs)


def class_by_name(cls_name: str) -> type | None:
    """The registered model class of this name (its module imported), or None."""
    for mod, cls, _ in REGISTRY.values():
        if cls == cls_name:
            return getattr(importlib.import_module(mod), cls)
    return None


def class_name_known(cls_name: str) -> bool:
    return class_by_name(cls_name) is not None
