"""The embedded demo dataset: a synthetic movie catalogue shipped as code, not as a file.

No third-party data is included in reclite: :func:`demo_dataset` runs the seeded
generator of :mod:`reclite.data.synthetic` with fixed parameters on first use (a
fraction of a second) and keeps the result, which is immutable, for the process.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .dataset import Dataset
from .synthetic import synthetic_dataset

__all__ = ["demo_dataset", "DEMO_SHAPE", "DEMO_SEED", "DEMO_PARAMS"]

#: users, items, interactions of the demo data
DEMO_SHAPE: tuple[int, int, int] = (2_000, 1_500, 100_000)
#: the seed of the demo data
DEMO_SEED: int = 42
#: the generator's knobs for the demo, written out so that the demo does not follow
#: later changes of the generator's defaults
DEMO_PARAMS: dict[str, Any] = {
    "genre_concentration": 0.08,
    "taste_drift": 0.2,
    "era_spread": 10.0,
    "popularity_sigma": 1.6,
    "activity_sigma": 1.0,
    "min_user_interactions": 5,
    "max_user_fraction": 0.5,
    "noise": 0.03,
    "n_styles": 6,
    "style_concentration": 0.3,
    "unknown_year_share": 0.01,
    "first_year": 1930,
    "last_year": 2020,
    "platform_start": 1996,
    "recency_scale": 22.0,
    "values": "rating",
}


@lru_cache(maxsize=1)
def demo_dataset() -> Dataset:
    """The embedded demo data: 2,000 users, 1,500 movies, 100,000 timed ratings.

    A seeded :func:`~reclite.data.synthetic.synthetic_dataset` (seed
    :data:`DEMO_SEED`, knobs :data:`DEMO_PARAMS`), generated on the first call and
    cached: every call returns the same immutable :class:`Dataset`.

    It has what every part of reclite can use: values are ratings 1-5 (correlated
    with the user's affinity for the item), times are int64 unix seconds
    (1996-2020; each user active over a period, newer items later), and the items
    carry 18 genres (1-3 each), release years (1% unknown, NaN), directors and
    writers (``people``), and titles such as "Midnight Harbor (1994)". Users have
    at least 5 interactions; item popularity and user activity are long-tailed.

    Returns
    -------
    Dataset
        Named ``"demo"``; users and items are the integers ``1..2000`` and ``1..1500``.

    Examples
    --------
    >>> ds = demo_dataset()
    >>> ds.name, ds.n_users, ds.n_items, len(ds)
    ('demo', 2000, 1500, 100000)
    >>> ds.side_information
    ['genres', 'years', 'directors', 'writers', 'titles']
    """
    n_users, n_items, n_interactions = DEMO_SHAPE
    return synthetic_dataset(n_users, n_items, n_interactions, random_state=DEMO_SEED, name="demo",
                             **DEMO_PARAMS)
