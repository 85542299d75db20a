"""The data layer: IdMap, Dataset, readers, the demo and synthetic data."""

from .dataset import Dataset, MultiHot
from .idmap import IdMap

__all__ = ["Dataset", "MultiHot", "IdMap"]
