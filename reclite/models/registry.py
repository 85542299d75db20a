"""Registry: CLI names -> model classes (imported lazily), with default parameters.

Also the whitelist of classes a model file may name: loading a model never imports
anything that is not listed here.
"""

from __future__ import annotations

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
    "surprise_svd": ("reclite.models.surprise", "SurpriseRecommender", {"algorithm": "SVD"}),
    "surprise_knn": ("reclite.models.surprise", "SurpriseRecommender", {"algorithm": "KNNBaseline"}),
}


def _available() -> dict[str, tuple[str, str, dict[str, Any]]]:
    out = {}
    for name, (mod, cls, defaults) in REGISTRY.items():
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name == mod:
                continue  # not built yet
            raise
        out[name] = (mod, cls, defaults)
    return out


def names() -> list[str]:
    """Registry names whose module exists."""
    return list(_available())


def get(name: str) -> type:
    from ..errors import ParameterError

    avail = _available()
    if name not in avail:
        raise ParameterError(f"unknown model {name!r}; known models: {', '.join(avail)}")
    mod, cls, _ = avail[name]
    return getattr(importlib.import_module(mod), cls)


def create(name: str, **params: Any) -> Any:
    """A model by registry name, with the entry's defaults overridden by ``params``."""
    from ..errors import ParameterError

    cls = get(name)
    kwargs = dict(REGISTRY[name][2])
    kwargs.update(params)
    valid = cls().get_params(deep=False) if not hasattr(cls, "_param_names") else cls._param_names()
    unknown = [p for p in kwargs if p not in valid]
    if unknown:
        raise ParameterError(f"model {name!r} has no parameter {', '.join(map(repr, unknown))}; "
                           f"its parameters are: {', '.join(valid)}")
    return cls(**kwargs)


def class_by_name(cls_name: str) -> type | None:
    for mod, cls, _ in REGISTRY.values():
        if cls == cls_name:
            try:
                return getattr(importlib.import_module(mod), cls)
            except (ModuleNotFoundError, AttributeError):
                return None
    extra = {"RankVote": "reclite.ensemble"}
    if cls_name in extra:
        try:
            return getattr(importlib.import_module(extra[cls_name]), cls_name)
        except (ModuleNotFoundError, AttributeError):
            return None
    return None


def class_name_known(cls_name: str) -> bool:
    return class_by_name(cls_name) is not None
