"""A seeded generator of movie-like implicit-feedback data, at any scale.

:func:`synthetic_dataset` builds a catalogue (genres, release years, directors,
writers, titles), a population of users (genre and era tastes, activity, an active
period) and their interactions (who watched what, when, and the rating they gave),
all with vectorised NumPy: no Python loop runs over users or interactions, so 20
million interactions take seconds. The embedded demo data (:mod:`reclite.data.demo`)
is this generator with fixed parameters.

The generative model is described in the docstring of :func:`synthetic_dataset`, which
runs it in named stages, each from its own random stream: the catalogue and the people
(``_catalogue.py``), the users (``_population.py``: activity, tastes, era profiles,
ratings), the interactions (``_interactions.py``: cells of the catalogue and the rounds
of drawing), then times and values.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np

from ..._typing import TIME_DTYPE, VALUE_DTYPE, RNGInput
from ..._validation import check_float, check_int, check_option, check_random_state
from ...errors import DataWarning, ParameterError
from ..dataset import Dataset
from ..idmap import IdMap
from ._catalogue import GENRES, genre_multihot, make_catalogue, make_people, year_to_unix
from ._interactions import PairDrawer, Sampler, cells
from ._population import Users, make_users, ratings

__all__ = ["synthetic_dataset", "GENRES"]


def synthetic_dataset(
    n_users: int,
    n_items: int,
    n_interactions: int,
    random_state: RNGInput = None,
    *,
    genre_concentration: float = 0.08,
    taste_drift: float = 0.2,
    era_spread: float = 10.0,
    popularity_sigma: float = 1.6,
    activity_sigma: float = 1.0,
    min_user_interactions: int = 5,
    max_user_fraction: float = 0.5,
    noise: float = 0.03,
    n_styles: int = 6,
    style_concentration: float = 0.3,
    unknown_year_share: float = 0.01,
    first_year: int = 1930,
    last_year: int = 2020,
    platform_start: int = 1996,
    recency_scale: float = 22.0,
    values: Literal["rating", "binary"] = "rating",
    name: str = "synthetic",
) -> Dataset:
    """A seeded synthetic movie catalogue with users' implicit feedback, at any scale.

    Users are ``1..n_users`` and items ``1..n_items`` (raw integer ids; index =
    id - 1). Everything is vectorised NumPy (loops run over genres, decades or rounds,
    never over users or interactions), so large shapes are fast:
    ``synthetic_dataset(138_000, 27_000, 20_000_000, random_state=0)`` takes well
    under a minute on two cores (``benchmarks/bench_synthetic.py``).

    **The generative model.**

    *Catalogue.* Each item has a primary genre (Drama and Comedy most common,
    Film-Noir rarest) and, with probabilities 0.40 and 0.18, a second and a third
    genre drawn among companions of the primary (Animation with Children, Crime with
    Thriller, Film-Noir with Crime or Mystery, ...): 1-3 of the 18 :data:`GENRES`.
    The release year follows a truncated exponential back from ``last_year`` (scale
    ``recency_scale`` years: recent years have more items), except Film-Noir
    (1940-1959), Westerns (around 1958) and Musicals (around 1960); a random
    ``unknown_year_share`` of the items report NaN as their year (the model still
    uses the true one). Each item has a quality ``q ~ N(0, 1)``, a popularity
    ``exp(popularity_sigma * (0.5 q + 0.87 h))`` with an independent hype
    ``h ~ N(0, 1)`` (log-normal: a long tail), and a hidden *style*, one of
    ``n_styles`` audience niches (not in the side information; each genre leans to
    some styles). Directors and writers lean to one genre each, have a career centre
    year and a Pareto "prolific" weight; an item gets one director (4%: two) and one
    to three writers, each among the people leaning to one of its genres, weighted
    by prolific weight and closeness of the item's decade to their career; 20% of
    the items are also written by their director. Titles come from word lists
    (adjective/noun patterns, some words typical of the primary genre), e.g.
    "Midnight Harbor (1994)"; a repeated title becomes a sequel ("... II (2001)").

    *Users.* User ``u`` makes ``n_u`` interactions: log-normal (``activity_sigma``),
    scaled so they sum exactly to ``n_interactions``, at least
    ``min_user_interactions``, at most ``max_user_fraction`` of the items released
    by the end of the user's active period ``[s_u, e_u]``. That period lies in
    [``platform_start``, end of ``last_year``]: ``e_u`` leans late (the platform
    grows), its length is log-normal (median 45 days) and grows with ``n_u``. Genre
    taste ``theta_u ~ Dirichlet(18 * genre_concentration * share)`` (``share``: the
    genres' share of the items; small concentration = sparse tastes), mixed with
    ``share`` in proportion ``n_u / (n_u + 0.3 n_items)`` (heavy users are broader);
    a second taste ``theta'_u`` of the same law is where the taste drifts to. Style
    taste ``sigma_u ~ Dirichlet(style_concentration)``. Favourite era: a normal
    around ``mu_u = year(middle of the period) - Exp(12)`` with spread
    ``era_spread * LogNormal(0, 0.4)`` years, giving the interest
    ``E_u(d) = exp(-(centre_d - mu_u)^2 / 2 spread^2) + 0.03`` in decade ``d``
    (``mu_u`` is rounded to 4 years and the spread to 4 levels).

    *Interactions.* An interaction of user ``u`` happens at relative position
    ``x ~ U(0, 1)`` of the period (time ``s_u + x (e_u - s_u)``). Its genre ``g``
    comes from ``(1 - taste_drift x) theta_u + taste_drift x theta'_u``; its style
    ``s`` and decade ``d`` from ``P(s, d) ~ sigma_u(s) E_u(d) M(g, s, d)``, where
    ``M`` is the popularity mass of the items of genre ``g``, style ``s`` and decade
    ``d`` released by the end of the year of ``e_u``; the item from that cell with
    probability proportional to its popularity. With probability ``noise`` the
    item is drawn from global popularity instead. An item released after the
    interaction's time is rejected, and a (user, item) pair drawn twice counts once;
    the shortfall is drawn again, in rounds (after a few rounds more and more draws
    come from global popularity, then uniform, so that heavy users complete). So
    users go deeper into their niche's tail the more they watch, the last items of
    a user follow the (drifted) genre taste, and new releases appear only after
    their release.

    *Values.* With ``values="rating"`` (default) every interaction carries a
    rating in {1, 2, 3, 4, 5} (float32): the latent
    ``0.6 z(sqrt(affinity)) + 0.35 z(era) + 0.55 q + 0.35 b_u + N(0, 0.75^2)``
    (``affinity``: the user's taste mass on the item's genres; ``era``: ``E_u`` of
    the item's decade; ``b_u ~ N(0, 1)``: a user bias; ``z``: standardised),
    standardised and cut at the normal quantiles 5/15/45/75%, so that about
    5/10/30/30/25% of the ratings are 1/2/3/4/5. With ``values="binary"`` every value
    is 1.0.

    Parameters
    ----------
    n_users, n_items : int
        Number of users (each gets at least one interaction) and items (some may have
        none: cold items).
    n_interactions : int
        Number of distinct (user, item) pairs to generate (exact, unless the catalogue
        cannot hold them: a :class:`~reclite.errors.DataWarning` then says how many).
    random_state : int, numpy Generator or SeedSequence, optional
        Seed; the same seed and parameters give identical arrays.
    genre_concentration : float, default=0.08
        Dirichlet concentration (per genre, times 18 genre shares) of user tastes;
        smaller = each user sticks to fewer genres.
    taste_drift : float, default=0.2
        Share of the genre choice that comes from the user's second taste at the end
        of their active period (0 = no drift; it grows linearly with time).
    era_spread : float, default=10.0
        Typical standard deviation, in years, of a user's era preference.
    popularity_sigma : float, default=1.6
        Log-normal sigma of item popularity: larger = a longer tail.
    activity_sigma : float, default=1.0
        Log-normal sigma of user activity (interactions per user).
    min_user_interactions : int, default=5
        Fewest interactions per user (lowered to ``n_interactions // n_users`` when
        the total is too small for it).
    max_user_fraction : float, default=0.5
        Most interactions per user, as a share of the items available to them.
    noise : float, default=0.03
        Share of interactions drawn from global popularity, ignoring taste.
    n_styles : int, default=6
        Number of hidden audience niches ("styles") that split each genre.
    style_concentration : float, default=0.3
        Dirichlet concentration of users' style tastes: smaller = more niche users.
    unknown_year_share : float, default=0.01
        Share of items whose year is reported as NaN (and whose title has no year).
    first_year, last_year : int, default=1930, 2020
        Range of release years.
    platform_start : int, default=1996
        Year the interactions start; they end on the last second of ``last_year``.
    recency_scale : float, default=22.0
        Scale, in years, of the exponential age of items (smaller = more recent).
    values : {"rating", "binary"}, default="rating"
        Ratings 1-5 correlated with affinity, or 1.0 everywhere.
    name : str, default="synthetic"
        The Dataset's name.

    Returns
    -------
    Dataset
        Interactions ordered by user then time (int64 unix seconds), genres
        (:class:`MultiHot` over :data:`GENRES`), years (float, NaN unknown),
        ``people={"directors": ..., "writers": ...}`` and titles.

    Raises
    ------
    ParameterError
        For sizes or knobs out of range, e.g. fewer interactions than users
        (:class:`~reclite.errors.ParameterTypeError` for a wrong type, e.g. a
        float for a count); the message names the parameter.

    Examples
    --------
    >>> ds = synthetic_dataset(500, 300, 10_000, random_state=0)
    >>> len(ds), ds.n_users, ds.n_items, len(ds.genres.vocabulary)
    (10000, 500, 300, 18)
    """
    _check_arguments(n_users=n_users, n_items=n_items, n_interactions=n_interactions,
                     min_user_interactions=min_user_interactions, genre_concentration=genre_concentration,
                     taste_drift=taste_drift, era_spread=era_spread, popularity_sigma=popularity_sigma,
                     activity_sigma=activity_sigma, max_user_fraction=max_user_fraction, noise=noise,
                     n_styles=n_styles, style_concentration=style_concentration,
                     unknown_year_share=unknown_year_share, recency_scale=recency_scale, last_year=last_year,
                     first_year=first_year, platform_start=platform_start, values=values)
    n_users, n_items, n_interactions = int(n_users), int(n_items), int(n_interactions)
    r_cat, r_people, r_users, r_inter, r_values = check_random_state(random_state).spawn(5)

    cat = make_catalogue(r_cat, n_items, n_styles=n_styles, popularity_sigma=popularity_sigma,
                         unknown_year_share=unknown_year_share, first_year=first_year, last_year=last_year,
                         recency_scale=recency_scale)
    directors, writers = make_people(r_people, cat.member, cat.years)
    # the time frame (something to watch from the start) and the decades
    t0 = max(float(year_to_unix(platform_start)), float(cat.release.min()))
    t1 = float(year_to_unix(last_year + 1)) - 1.0
    dec0 = (int(first_year) // 10) * 10
    n_dec = (int(last_year) - dec0) // 10 + 1
    dec_lo = dec0 + 10 * np.arange(n_dec)
    dec_mid = 0.5 * (dec_lo + np.minimum(dec_lo + 10, last_year + 1))
    item_dec = ((cat.years - dec0) // 10).astype(np.int64)
    users = make_users(r_users, cat, n_users, n_interactions, t0=t0, t1=t1, dec_mid=dec_mid,
                       genre_concentration=genre_concentration, era_spread=era_spread,
                       activity_sigma=activity_sigma, min_user_interactions=min_user_interactions,
                       max_user_fraction=max_user_fraction, n_styles=n_styles,
                       style_concentration=style_concentration, first_year=first_year, last_year=last_year,
                       platform_start=platform_start)
    by_cell, mass_prof = cells(cat, item_dec, n_dec, n_styles, users.prof_end, platform_start, last_year)
    drawer = PairDrawer(
        rng=r_inter, n_items=n_items, start=users.start, end=users.end, theta=users.theta,
        theta_new=users.theta_new, style=users.style, profile=users.profile, era_prof=users.era_prof,
        mass_prof=mass_prof, release=cat.release, by_cell=by_cell,
        by_pop=Sampler([np.arange(n_items)], [cat.pop]), drift=float(taste_drift), noise=float(noise),
    )
    del mass_prof
    u_idx, i_idx, x = drawer.run(users.n)  # ordered by user, then position in the user's period
    if len(u_idx) < n_interactions:
        warnings.warn(f"synthetic_dataset: generated {len(u_idx):,} of {n_interactions:,} interactions "
                      "(some users exhausted the items available to them)", DataWarning, stacklevel=2)
    time = _times(users, cat.release, u_idx, i_idx, x)
    del x
    if values == "rating":
        era_ui = users.era_prof[users.profile[u_idx], item_dec[i_idx]]
        val = ratings(r_values, u_idx, i_idx, users.theta, cat.member, era_ui, cat.quality, users.bias)
    else:
        val = np.ones(len(u_idx), dtype=VALUE_DTYPE)
    return Dataset(
        u_idx, i_idx, val, time,
        users=IdMap(np.arange(1, n_users + 1, dtype=np.int64), name="user"),
        items=IdMap(np.arange(1, n_items + 1, dtype=np.int64), name="item"),
        genres=genre_multihot(cat.member), years=np.where(cat.known, cat.years, np.nan),
        people={"directors": directors, "writers": writers}, titles=cat.titles, name=name,
    )


def _check(name: str, value: float, low: float, high: float | None = None, *, integer: bool = False) -> None:
    if integer:
        check_int(value, name, min_val=int(low), max_val=None if high is None else int(high))
    else:
        check_float(value, name, min_val=low, max_val=high)


def _check_arguments(*, n_users: int, n_items: int, n_interactions: int, min_user_interactions: int,
                     genre_concentration: float, taste_drift: float, era_spread: float, popularity_sigma: float,
                     activity_sigma: float, max_user_fraction: float, noise: float, n_styles: int,
                     style_concentration: float, unknown_year_share: float, recency_scale: float,
                     last_year: int, first_year: int, platform_start: int, values: str) -> None:
    """Every argument of :func:`synthetic_dataset` in range (a ParameterError naming it otherwise)."""
    _check("n_users", n_users, 1, integer=True)
    _check("n_items", n_items, 1, integer=True)
    _check("n_interactions", n_interactions, 1, integer=True)
    _check("min_user_interactions", min_user_interactions, 1, integer=True)
    n_users, n_items, n_interactions = int(n_users), int(n_items), int(n_interactions)
    _check("genre_concentration", genre_concentration, 1e-3)
    _check("taste_drift", taste_drift, 0.0, 1.0)
    _check("era_spread", era_spread, 0.5)
    _check("popularity_sigma", popularity_sigma, 0.0, 5.0)
    _check("activity_sigma", activity_sigma, 0.0, 5.0)
    _check("max_user_fraction", max_user_fraction, 1e-6, 1.0)
    _check("noise", noise, 0.0, 1.0)
    _check("n_styles", n_styles, 1, 64, integer=True)
    _check("style_concentration", style_concentration, 1e-3)
    _check("unknown_year_share", unknown_year_share, 0.0, 1.0)
    _check("recency_scale", recency_scale, 0.5)
    _check("last_year", last_year, 1801, integer=True)
    _check("first_year", first_year, 1800, last_year, integer=True)
    _check("platform_start", platform_start, 1971, last_year, integer=True)
    check_option(values, "values", ("rating", "binary"))
    if n_interactions < n_users:
        raise ParameterError(f"n_interactions ({n_interactions:,}) must be at least n_users ({n_users:,}): "
                             "every user has at least one interaction")
    if n_users * n_items >= 2**46:
        raise ParameterError(f"n_users x n_items = {n_users * n_items:.3g} is too large (limit 2^46)")


def _times(users: Users, release: np.ndarray, u_idx: np.ndarray, i_idx: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Unix seconds of each interaction: increasing with its position in the user's period, never
    before the item's release."""
    start, end = users.start, users.end
    return np.floor(np.maximum(start[u_idx] + x * (end - start)[u_idx], release[i_idx])).astype(TIME_DTYPE)
