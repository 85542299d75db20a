"""The synthetic users: activity and active period, genre and style tastes, era profiles,
rating bias, and the ratings they give (the "Users" and "Values" paragraphs of
:func:`~reclite.data.synthetic.synthetic_dataset`'s docstring)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._typing import VALUE_DTYPE
from ...errors import ParameterError
from ._catalogue import N_GENRES, YEAR_SECONDS, Catalogue

_ERA_FLOOR = 0.03  # a user's lowest relative interest in any decade


def _user_counts(rng: np.random.Generator, n_interactions: int, cap: np.ndarray, min_count: int,
                 activity_sigma: float) -> np.ndarray:
    """Long-tailed interaction counts, at least ``min_count``, at most ``cap``, summing exactly."""
    w = rng.lognormal(0.0, activity_sigma, size=len(cap))
    lo, hi = -30.0, 30.0  # bisection on log(scale): sum(clip(scale * w, min, cap)) == N
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if np.clip(np.exp(mid) * w, min_count, cap).sum() < n_interactions:
            lo = mid
        else:
            hi = mid
    f = np.clip(np.exp(hi) * w, min_count, cap)
    n = np.floor(f).astype(np.int64)
    short = n_interactions - int(n.sum())
    if short > 0:  # largest remainders get one more
        room = np.flatnonzero(n < cap)
        frac = (f - n)[room] + rng.random(len(room)) * 1e-9
        n[room[np.argsort(-frac, kind="stable")[:short]]] += 1
    elif short < 0:
        room = np.flatnonzero(n > min_count)
        n[room[np.argsort(f[room] - n[room], kind="stable")[:-short]]] -= 1
    return n

@dataclass(frozen=True)
class Users:
    """The users as the generator sees them (one entry, or row, per user)."""

    n: np.ndarray  #: interactions to make
    start: np.ndarray  #: start of the active period, unix seconds
    end: np.ndarray  #: end of the active period, unix seconds
    theta: np.ndarray  #: (n_users, 18) genre taste
    theta_new: np.ndarray  #: (n_users, 18) the genre taste it drifts to
    style: np.ndarray  #: (n_users, n_styles) style taste
    profile: np.ndarray  #: era profile index
    era_prof: np.ndarray  #: (profiles, decades) interest of each era profile in each decade
    prof_end: np.ndarray  #: last year active of each profile
    bias: np.ndarray  #: rating bias, N(0, 1)


def make_users(rng: np.random.Generator, cat: Catalogue, n_users: int, n_interactions: int, *, t0: float,
               t1: float, dec_mid: np.ndarray, genre_concentration: float, era_spread: float,
               activity_sigma: float, min_user_interactions: int, max_user_fraction: float, n_styles: int,
               style_concentration: float, first_year: int, last_year: int, platform_start: int) -> Users:
    """Activity and period, tastes, era profile and rating bias of every user, drawn in that order."""
    n_u, start_u, end_u = _activity(rng, cat.release, n_users, n_interactions, t0, t1, activity_sigma,
                                    min_user_interactions, max_user_fraction)
    theta, theta_new, style_u = _tastes(rng, cat.member, n_u, genre_concentration, n_styles, style_concentration)
    profile, era_prof, prof_end = _era_profiles(rng, start_u, end_u, dec_mid, era_spread, first_year, last_year,
                                                platform_start)
    bias = rng.standard_normal(n_users)
    return Users(n=n_u, start=start_u, end=end_u, theta=theta, theta_new=theta_new, style=style_u,
                 profile=profile, era_prof=era_prof, prof_end=prof_end, bias=bias)


def _activity(rng: np.random.Generator, release: np.ndarray, n_users: int, n_interactions: int, t0: float,
              t1: float, activity_sigma: float, min_user_interactions: int,
              max_user_fraction: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interaction counts and active periods ``[start, end]``: end leans late, length grows with the count."""
    n_items = len(release)
    avail_sorted = np.sort(release)
    end_u = t0 + (t1 - t0) * rng.random(n_users) ** 0.6
    cap = np.floor(max_user_fraction * np.searchsorted(avail_sorted, end_u)).astype(np.int64)
    cap = np.maximum(cap, 1)
    if n_interactions > cap.sum():
        raise ParameterError(
            f"n_interactions ({n_interactions:,}) is more than {n_users:,} users can hold with "
            f"{n_items:,} items (at most {int(cap.sum()):,} with max_user_fraction={max_user_fraction}); "
            "ask for fewer interactions or more items")
    min_count = int(min(min_user_interactions, n_interactions // n_users))
    n_u = _user_counts(rng, n_interactions, np.maximum(cap, min_count), min_count, activity_sigma)
    median_n = max(float(np.median(n_u)), 1.0)
    days = rng.lognormal(np.log(45.0), 1.4, n_users) * (n_u / median_n) ** 0.7
    start_u = np.maximum(t0, end_u - days * 86_400.0)
    return n_u, start_u, end_u


def _tastes(rng: np.random.Generator, member: np.ndarray, n_u: np.ndarray, genre_concentration: float,
            n_styles: int, style_concentration: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Genre taste now and where it drifts to (heavy users broader), and style taste."""
    n_users, n_items = len(n_u), member.shape[0]
    share = member.sum(axis=0) / member.sum()
    alpha = np.maximum(N_GENRES * genre_concentration * share, 1e-3)
    broad = (n_u / (n_u + 0.3 * n_items))[:, None]
    theta = (1 - broad) * rng.dirichlet(alpha, n_users) + broad * share
    theta_new = (1 - broad) * rng.dirichlet(alpha, n_users) + broad * share
    style_u = rng.dirichlet(np.full(int(n_styles), float(style_concentration)), n_users)
    return theta, theta_new, style_u


def _era_profiles(rng: np.random.Generator, start_u: np.ndarray, end_u: np.ndarray, dec_mid: np.ndarray,
                  era_spread: float, first_year: int, last_year: int,
                  platform_start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each user's favourite era (a normal around mu with spread sigma), rounded to a grid of
    profiles = (favourite era, spread, last year active), numbered among those in use.

    Returns each user's profile, the profiles' interest in each decade and their last year.
    """
    n_users = len(start_u)
    mid_year = 1970.0 + 0.5 * (start_u + end_u) / YEAR_SECONDS
    mu = mid_year - rng.exponential(12.0, n_users)
    sigma = era_spread * rng.lognormal(0.0, 0.4, n_users)
    mu_grid = np.arange(first_year - 10, last_year + 1, 4.0)
    sig_grid = era_spread * np.exp(0.4 * np.array([-1.2, -0.4, 0.4, 1.2]))
    mu_k = np.clip(np.rint((mu - mu_grid[0]) / 4.0), 0, len(mu_grid) - 1).astype(np.int64)
    sig_k = np.abs(np.log(sigma)[:, None] - np.log(sig_grid)[None, :]).argmin(axis=1)
    end_year = np.floor(1970.0 + end_u / YEAR_SECONDS).astype(np.int64)
    prof_key = (mu_k * len(sig_grid) + sig_k) * (last_year + 2 - platform_start) + (end_year - platform_start)
    prof_keys, profile = np.unique(prof_key, return_inverse=True)
    prof_end = prof_keys % (last_year + 2 - platform_start) + platform_start
    prof_ms = prof_keys // (last_year + 2 - platform_start)
    prof_mu, prof_sig = mu_grid[prof_ms // len(sig_grid)], sig_grid[prof_ms % len(sig_grid)]
    era_prof = np.exp(-0.5 * ((dec_mid[None, :] - prof_mu[:, None]) / prof_sig[:, None]) ** 2) + _ERA_FLOOR
    return profile, era_prof, prof_end


def ratings(rng: np.random.Generator, u: np.ndarray, i: np.ndarray, theta: np.ndarray, member: np.ndarray,
             eraf: np.ndarray, quality: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Ratings 1-5 from quality, genre affinity, era interest and a user bias (see the docstring)."""
    n = len(u)
    # taste mass on the item's genres: sum of theta[u, g] over the item's (at most 3) genres
    n_users = theta.shape[0]
    th = np.concatenate([theta, np.zeros((n_users, 1))], axis=1).astype(np.float32).ravel()
    gl = np.full((member.shape[0], 3), N_GENRES, dtype=np.int64)  # padded genre lists
    gi, gk = np.nonzero(member)
    slot = np.arange(len(gi)) - np.searchsorted(gi, gi)
    gl[gi, slot] = gk
    base = u.astype(np.int64) * (N_GENRES + 1)
    aff = th[base + gl[i, 0]] + th[base + gl[i, 1]] + th[base + gl[i, 2]]
    del base

    def z(a: np.ndarray) -> np.ndarray:
        a = a.astype(np.float32, copy=False)
        return (a - a.mean(dtype=np.float64)) / max(float(a.std(dtype=np.float64)), 1e-9)

    latent = z(np.sqrt(aff)) * np.float32(0.6)
    latent += np.float32(0.35) * z(eraf)
    latent += np.float32(0.55) * quality.astype(np.float32)[i]
    latent += np.float32(0.35) * bias.astype(np.float32)[u]
    latent += rng.standard_normal(n, dtype=np.float32) * np.float32(0.75)
    latent = z(latent)
    cuts = np.array([-1.645, -1.036, -0.126, 0.674])  # standard normal at 5%, 15%, 45%, 75%
    return (1 + np.searchsorted(cuts, latent)).astype(VALUE_DTYPE)
