"""A seeded generator of movie-like implicit-feedback data, at any scale.

:func:`synthetic_dataset` builds a catalogue (genres, release years, directors,
writers, titles), a population of users (genre and era tastes, activity, an active
period) and their interactions (who watched what, when, and the rating they gave),
all with vectorised NumPy: no Python loop runs over users or interactions, so 20
million interactions take seconds. The embedded demo data (:mod:`reclite.data.demo`)
is this generator with fixed parameters.

The generative model is described in the docstring of :func:`synthetic_dataset`.
"""

from __future__ import annotations

import logging
import warnings
from typing import Literal

import numpy as np
import pandas as pd

from .._typing import INDEX_DTYPE, TIME_DTYPE, VALUE_DTYPE, RNGInput
from .._validation import check_float, check_int, check_option, check_random_state
from ..errors import DataWarning, ParameterError
from .dataset import Dataset, MultiHot
from .idmap import IdMap

__all__ = ["synthetic_dataset", "GENRES"]

log = logging.getLogger(__name__)

#: The 18 genre names, in vocabulary order (the MovieLens genre set, minus "IMAX").
GENRES: tuple[str, ...] = (
    "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
    "War", "Western",
)
_G = {name: k for k, name in enumerate(GENRES)}
_N_GENRES = len(GENRES)

# share of items whose *first* genre is this one
_PRIMARY_SHARE = np.array([
    0.075, 0.040, 0.025, 0.025, 0.170, 0.050, 0.040, 0.200, 0.025, 0.008,
    0.055, 0.015, 0.020, 0.060, 0.035, 0.075, 0.015, 0.012,
])
_PRIMARY_SHARE = _PRIMARY_SHARE / _PRIMARY_SHARE.sum()

# genres that travel together: (a, b, boost of b as a companion of a, and vice versa)
_PAIRS = [
    ("Animation", "Children", 10), ("Children", "Comedy", 3), ("Animation", "Comedy", 3),
    ("Action", "Adventure", 4), ("Action", "Sci-Fi", 3), ("Action", "Thriller", 3),
    ("Crime", "Thriller", 4), ("Crime", "Drama", 2), ("Comedy", "Romance", 4),
    ("Drama", "Romance", 3), ("Horror", "Thriller", 4), ("Mystery", "Thriller", 4),
    ("Film-Noir", "Crime", 8), ("Film-Noir", "Mystery", 6), ("Fantasy", "Adventure", 4),
    ("Fantasy", "Children", 3), ("War", "Drama", 4), ("War", "Action", 3), ("Western", "Action", 3),
    ("Musical", "Romance", 4), ("Musical", "Comedy", 3), ("Sci-Fi", "Adventure", 3),
    ("Horror", "Sci-Fi", 2), ("Mystery", "Crime", 3),
]

# number of genres per item: 1, 2 or 3
_N_GENRE_P = np.array([0.42, 0.40, 0.18])

_ADJECTIVES = (
    "Midnight Silent Broken Golden Hidden Crimson Distant Frozen Burning Hollow Last Lost Wild "
    "Quiet Secret Endless Final Savage Gentle Bitter Bright Dark Empty Fallen Forgotten Iron "
    "Lonely Northern Southern Pale Restless Scarlet Shattered Silver Stolen Strange Sudden Velvet "
    "Wicked Winter Summer Electric Crooked Paper Glass Stone Falling Rising Sleeping Painted "
    "Narrow Wandering Burning Hungry Borrowed Seventh Little Long Black White Blue Red Green"
).split()
_NOUNS = (
    "Harbor River Garden Mirror Highway Kingdom Shadow Promise Letter Station Island Horizon "
    "Orchard Lantern Valley Border Canyon Echo Empire Frontier Heart Hour Journey Ladder Legacy "
    "Machine Meadow Memory Mountain Ocean Passage Prairie Rain Road Secret Signal Sky Song Storm "
    "Stranger Summer Sun Tide Tower Train Voyage Window Winter Witness Wolf Bridge City Coast "
    "Crown Dream Fire Harvest House Hunter Mile Moon Night Paradise Pilgrim Rebel Saint Season "
    "Sister Brother Soldier Thunder Traveler Village Weekend Whisper Widow Wind Angel Circus Ghost"
).split()
_FLAVOUR = {  # a few words per genre, used for some of its titles
    "Action": ("Fury", "Impact", "Velocity", "Target", "Vendetta"),
    "Adventure": ("Quest", "Expedition", "Treasure", "Compass", "Jungle"),
    "Animation": ("Bunny", "Dragon", "Kitten", "Robot", "Balloon"),
    "Children": ("Puppy", "Birthday", "Treehouse", "Pony", "Playground"),
    "Comedy": ("Wedding", "Vacation", "Roommate", "Party", "Mix-Up"),
    "Crime": ("Heist", "Alibi", "Racket", "Precinct", "Getaway"),
    "Documentary": ("Story", "Portrait", "Chronicle", "Truth", "Diary"),
    "Drama": ("Silence", "Farewell", "Inheritance", "Confession", "Reunion"),
    "Fantasy": ("Wizard", "Sorcerer", "Realm", "Enchantment", "Spell"),
    "Film-Noir": ("Dame", "Alley", "Double-Cross", "Nightclub", "Frame-Up"),
    "Horror": ("Crypt", "Grave", "Nightmare", "Possession", "Curse"),
    "Musical": ("Melody", "Rhythm", "Serenade", "Ballroom", "Chorus"),
    "Mystery": ("Riddle", "Clue", "Cipher", "Manor", "Disappearance"),
    "Romance": ("Kiss", "Sweetheart", "Affair", "Valentine", "Honeymoon"),
    "Sci-Fi": ("Galaxy", "Android", "Orbit", "Planet", "Nebula"),
    "Thriller": ("Conspiracy", "Pursuit", "Trap", "Hostage", "Countdown"),
    "War": ("Battalion", "Trench", "Front", "Regiment", "Beachhead"),
    "Western": ("Sheriff", "Outlaw", "Ranch", "Gunfighter", "Saloon"),
}
_FIRST = (
    "Anna Ben Clara David Elena Frank Grace Henry Ingrid Jack Karen Leo Maria Nils Olga Paul "
    "Quinn Rosa Samuel Tara Ulrich Vera Walter Xenia Yusuf Zoe Adrian Bianca Carlos Dora Emil "
    "Fiona Gustav Helen Ivan Julia Kofi Lena Marco Nora Oscar Petra Rafael Sonia Tomas Una "
    "Victor Wanda Aaron Beatrice Cyril Daphne Edgar Flora Gregor Hana Isaac June Kurt Lucia"
).split()
_LAST = (
    "Abbott Berg Castell Dunmore Ekberg Falk Garrow Hale Ilves Jansen Kessler Lindqvist Moreau "
    "Novak Oakley Petrov Quill Rainer Sandoval Thorne Ueda Varga Whitlock Yardley Zeller Amsel "
    "Brandt Corso Delacroix Engel Fenwick Greer Holm Ivers Jarvis Kowal Lacroix Mendel Nakamura "
    "Ostrander Pryce Ravel Sorensen Tanaka Ulman Voss Weller Aldana Blackwood Carrow Draper "
    "Esposito Faraday Galloway Hartmann Ingram Keller Lowell Marsh Norwood Ortega Pallister"
).split()

_YEAR_SECONDS = 31_556_952  # 365.2425 days
_ERA_FLOOR = 0.03  # a user's lowest relative interest in any decade


# ---------------------------------------------------------------------------- helpers
def _check(name: str, value: float, low: float, high: float | None = None, *, integer: bool = False) -> None:
    if integer:
        check_int(value, name, min_val=int(low), max_val=None if high is None else int(high))
    else:
        check_float(value, name, min_val=low, max_val=high)


def _year_to_unix(year: np.ndarray | float) -> np.ndarray:
    return (np.asarray(year, dtype=np.float64) - 1970.0) * _YEAR_SECONDS


def _alias_table(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias table of non-negative weights: (accept probability, alias index)."""
    n = len(weights)
    p = weights * (n / weights.sum())
    prob = np.ones(n)
    alias = np.arange(n)
    small = [k for k in range(n) if p[k] < 1.0]
    large = [k for k in range(n) if p[k] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s], alias[s] = p[s], g
        p[g] -= 1.0 - p[s]
        (small if p[g] < 1.0 else large).append(g)
    return prob, alias


def _alias_rows(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Alias tables of every row of ``w`` (rows x options) at once (Marsaglia's square histogram).

    Each step pairs, in every row, the smallest remaining scaled weight (< 1) with the
    largest (>= 1). A row of zeros gets a table that is never drawn from.
    """
    n_rows, k = w.shape
    tot = w.sum(axis=1, keepdims=True)
    p = np.where(tot > 0, w * k / np.where(tot > 0, tot, 1.0), 1.0)
    del w
    prob = np.ones((n_rows, k))
    alias = np.tile(np.arange(k), (n_rows, 1))
    lo, hi = p.copy(), p.copy()  # remaining weights, done ones set to +inf / -inf
    rows = np.arange(n_rows)
    for _ in range(k - 1):
        small = lo.argmin(axis=1)
        large = hi.argmax(axis=1)
        ps = lo[rows, small]
        act = (ps < 1.0) & (small != large)
        r, s_, l_ = rows[act], small[act], large[act]
        prob[r, s_] = ps[act]
        alias[r, s_] = l_
        moved = hi[r, l_] - (1.0 - ps[act])
        lo[r, l_] = moved
        hi[r, l_] = moved
        lo[rows, small] = np.inf
        hi[rows, small] = -np.inf
    return prob, alias


class _Sampler:
    """Weighted sampling of items inside many groups at O(1) per draw (alias method).

    ``groups[k]`` lists the items of group ``k`` and ``weights[k]`` their weights; a
    draw for group ``k`` returns one of them with probability proportional to weight.
    """

    def __init__(self, groups: list[np.ndarray], weights: list[np.ndarray]) -> None:
        sizes = np.array([len(g) for g in groups], dtype=np.int64)
        self.offset = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.size = sizes
        items, prob, alias = [], [], []
        for off, g, w in zip(self.offset, groups, weights):
            if len(g) == 0:
                continue
            p, a = _alias_table(np.asarray(w, dtype=np.float64))
            items.append(np.asarray(g, dtype=np.int64))
            prob.append(p)
            alias.append(a + off)
        self.items = np.concatenate(items) if items else np.zeros(0, np.int64)
        self.prob = np.concatenate(prob) if prob else np.zeros(0)
        self.alias = np.concatenate(alias) if alias else np.zeros(0, np.int64)

    def draw(self, group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One item per entry of ``group`` (every group drawn from must be non-empty)."""
        size = self.size[group]
        slot = self.offset[group] + np.minimum((rng.random(len(group)) * size).astype(np.int64), size - 1)
        take_alias = rng.random(len(group)) >= self.prob[slot]
        slot = np.where(take_alias, self.alias[slot], slot)
        return self.items[slot]


def _roman(k: int) -> str:
    return ["", "", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"][k] if k <= 10 else str(k)


# ---------------------------------------------------------------------------- catalogue
def _companions() -> np.ndarray:
    """(18, 18) row-stochastic: the chance of genre b as a further genre of a primary a."""
    c = np.tile(_PRIMARY_SHARE, (_N_GENRES, 1))
    for a, b, boost in _PAIRS:
        c[_G[a], _G[b]] *= boost
        c[_G[b], _G[a]] *= boost
    c[:, _G["Documentary"]] *= 0.2
    np.fill_diagonal(c, 0.0)
    return c / c.sum(axis=1, keepdims=True)


def _item_genres(rng: np.random.Generator, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense (n_items, 18) bool membership and the primary genre of each item."""
    primary = rng.choice(_N_GENRES, size=n_items, p=_PRIMARY_SHARE)
    n_gen = rng.choice(3, size=n_items, p=_N_GENRE_P) + 1
    n_gen[primary == _G["Documentary"]] = 1 + (rng.random((primary == _G["Documentary"]).sum()) < 0.1)
    member = np.zeros((n_items, _N_GENRES), dtype=bool)
    rows = np.arange(n_items)
    member[rows, primary] = True
    cum = np.cumsum(_companions(), axis=1)
    for extra in (2, 3):  # second and third genres: companions of the primary, distinct
        want = np.flatnonzero(n_gen >= extra)
        for _ in range(8):  # redraw the few that hit a genre the item already has
            if len(want) == 0:
                break
            r = rng.random(len(want))
            g = np.minimum((cum[primary[want]] < r[:, None]).sum(axis=1), _N_GENRES - 1)
            fresh = ~member[want, g]
            member[want[fresh], g[fresh]] = True
            want = want[~fresh]
    return member, primary


def _item_years(rng: np.random.Generator, primary: np.ndarray, first_year: int, last_year: int,
                recency_scale: float) -> np.ndarray:
    """True release year per item: recent years more numerous; a few genres keep their era."""
    n = len(primary)
    span = last_year - first_year + 1
    # truncated exponential of the age, so that there are more recent items than old ones
    u = rng.random(n)
    age = -recency_scale * np.log1p(-u * (1.0 - np.exp(-span / recency_scale)))
    years = last_year - np.floor(age)
    special = {  # genre: (centre, spread) of a normal, or (low, high) of a uniform with spread 0
        "Film-Noir": (1940.0, 1959.0, 0.0), "Western": (1958.0, 0.0, 14.0), "Musical": (1960.0, 0.0, 18.0),
    }
    for genre, (a, b, sd) in special.items():
        sel = np.flatnonzero(primary == _G[genre])
        if len(sel):
            y = rng.normal(a, sd, len(sel)) if sd else rng.uniform(a, b + 1, len(sel))
            years[sel] = np.floor(y)
    return np.clip(years, first_year, last_year)


def _titles(rng: np.random.Generator, primary: np.ndarray, years: np.ndarray,
            known: np.ndarray) -> np.ndarray:
    """Readable titles from word lists; repeated ones become sequels ("... II")."""
    n = len(primary)
    adj = np.array(_ADJECTIVES)
    nouns = np.array(_NOUNS)
    flav = np.array([_FLAVOUR[g] for g in GENRES])  # (18, 5)
    a = adj[rng.integers(len(adj), size=n)]
    n1 = nouns[rng.integers(len(nouns), size=n)]
    n2 = nouns[rng.integers(len(nouns), size=n)]
    use_flavour = rng.random(n) < 0.35
    n1 = np.where(use_flavour, flav[primary, rng.integers(flav.shape[1], size=n)], n1)
    pattern = rng.choice(5, size=n, p=[0.40, 0.22, 0.16, 0.12, 0.10])
    base = []
    for k in range(n):  # string assembly: one pass over the items (not users or interactions)
        p = pattern[k]
        if p == 0:
            base.append(f"{a[k]} {n1[k]}")
        elif p == 1:
            base.append(f"The {a[k]} {n1[k]}")
        elif p == 2:
            base.append(f"{n1[k]} of the {n2[k]}" if n1[k] != n2[k] else f"{n1[k]} of Tomorrow")
        elif p == 3:
            base.append(f"{n2[k]} and {n1[k]}" if n1[k] != n2[k] else f"The {n1[k]}")
        else:
            base.append(f"The {n1[k]}")
    base_s = pd.Series(base)
    order = np.argsort(np.where(known, years, np.inf), kind="stable")  # the older film is the original
    seq = base_s.iloc[order].groupby(base_s.iloc[order].to_numpy()).cumcount().to_numpy() + 1
    nth = np.empty(n, dtype=np.int64)
    nth[order] = seq
    out = []
    for k in range(n):
        t = base[k] if nth[k] == 1 else f"{base[k]} {_roman(int(nth[k]))}"
        out.append(f"{t} ({int(years[k])})" if known[k] else t)
    return np.array(out)


def _assign_people(rng: np.random.Generator, member: np.ndarray, years: np.ndarray, n_people: int,
                   share_extra: tuple[float, float], career_sd: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """(item, person) pairs: each person leans to one genre and has a career centre year.

    An item picks one of its genres, then a person of that genre (15%: anyone) with weight
    ``prolific * exp(-(decade centre - career)^2 / (2 career_sd^2))``; ``prolific`` is Pareto,
    so a few people have many items. ``share_extra`` = chances of a 2nd and a 3rd person.
    """
    n_items = len(years)
    counts = member.sum(axis=0).astype(np.float64)
    lean = rng.choice(_N_GENRES, size=n_people, p=(counts + 0.5) / (counts + 0.5).sum())
    prolific = 1.0 + np.minimum(rng.pareto(1.5, size=n_people), 10.0)
    career = years[rng.integers(n_items, size=n_people)] + rng.normal(0, 5, n_people)
    how_many = 1 + (rng.random(n_items) < share_extra[0]) + (rng.random(n_items) < share_extra[1])
    item_rep = np.repeat(np.arange(n_items), how_many)
    # one of the item's genres, uniformly
    g_cum = np.cumsum(member[item_rep], axis=1)
    r = rng.random(len(item_rep)) * g_cum[:, -1]
    genre = (g_cum <= r[:, None]).sum(axis=1)
    genre[rng.random(len(item_rep)) < 0.15] = _N_GENRES  # 15%: anyone, outside their usual genre
    # a person of that genre: prolific weight x closeness of the item's decade to their career
    dec = np.floor(years[item_rep] / 10.0)
    person = np.empty(len(item_rep), dtype=np.int64)
    everyone = np.arange(n_people)
    for g in range(_N_GENRES + 1):
        rows_g = np.flatnonzero(genre == g)
        if len(rows_g) == 0:
            continue
        cand = np.flatnonzero(lean == g) if g < _N_GENRES else everyone
        if len(cand) == 0:
            cand = everyone
        for d in np.unique(dec[rows_g]):
            rows = rows_g[dec[rows_g] == d]
            z = (10.0 * d + 5.0 - career[cand]) / career_sd
            cum = np.cumsum(prolific[cand] * np.exp(-0.5 * z * z) + 1e-12)
            pick = np.searchsorted(cum, rng.random(len(rows)) * cum[-1], side="right")
            person[rows] = cand[np.minimum(pick, len(cand) - 1)]
    return item_rep, person


def _person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct readable names ("Anna K. Berg")."""
    initials = [""] + [f"{c}. " for c in "ABCDEFGHJKLMNPRSTVW"]
    n_combo = len(_FIRST) * len(_LAST) * len(initials)
    pick = rng.choice(n_combo, size=min(n, n_combo), replace=False)
    if n > n_combo:  # more people than names: number the rest
        pick = np.concatenate([pick, np.arange(n - n_combo) % n_combo])
    f = pick % len(_FIRST)
    m = (pick // len(_FIRST)) % len(initials)
    last = (pick // (len(_FIRST) * len(initials))) % len(_LAST)
    names = [f"{_FIRST[f[k]]} {initials[m[k]]}{_LAST[last[k]]}" for k in range(n)]
    for k in range(n_combo, n):
        names[k] += f" {k // n_combo + 1}"
    return np.array(names)


# ---------------------------------------------------------------------------- users
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


# ---------------------------------------------------------------------------- the generator
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
    for arg, lo in (("n_users", 1), ("n_items", 1), ("n_interactions", 1), ("min_user_interactions", 1)):
        _check(arg, locals()[arg], lo, integer=True)
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

    root = check_random_state(random_state)
    r_cat, r_people, r_users, r_inter, r_values = root.spawn(5)

    # ---- catalogue
    member, primary = _item_genres(r_cat, n_items)
    years = _item_years(r_cat, primary, int(first_year), int(last_year), float(recency_scale))
    release = _year_to_unix(years) + r_cat.random(n_items) * _YEAR_SECONDS
    n_sty = int(n_styles)
    quality = r_cat.standard_normal(n_items)
    genre_style = r_cat.dirichlet(np.full(int(n_styles), 2.0), _N_GENRES)  # styles lean to genres
    item_style = (np.cumsum(genre_style[primary], axis=1) < r_cat.random(n_items)[:, None]).sum(axis=1)
    item_style = np.minimum(item_style, int(n_styles) - 1)
    pop = np.exp(popularity_sigma * (0.5 * quality + 0.866 * r_cat.standard_normal(n_items)))
    n_unknown = int(round(unknown_year_share * n_items))
    known = np.ones(n_items, dtype=bool)
    known[r_cat.choice(n_items, size=n_unknown, replace=False)] = False
    titles = _titles(r_cat, primary, years, known)

    # ---- people
    n_dir, n_wri = max(2, round(n_items / 2)), max(2, round(n_items / 1.5))
    names = _person_names(r_people, n_dir + n_wri)
    d_item, d_person = _assign_people(r_people, member, years, n_dir, (0.04, 0.0))
    w_item, w_person = _assign_people(r_people, member, years, n_wri, (0.30, 0.10))
    w_names = names[n_dir + w_person]
    first_dir = np.unique(d_item, return_index=True)[1]
    wd = first_dir[r_people.random(len(first_dir)) < 0.2]  # writer-directors
    w_item = np.concatenate([w_item, d_item[wd]])
    w_names = np.concatenate([w_names, names[d_person[wd]]])
    directors = MultiHot.from_pairs(d_item, names[d_person], n_items)
    writers = MultiHot.from_pairs(w_item, w_names, n_items)
    gi, gk = np.nonzero(member)
    genres_mh = MultiHot.from_pairs(gi, np.array(GENRES)[gk], n_items, vocabulary=np.array(GENRES))

    # ---- time frame and decades
    t0 = max(float(_year_to_unix(platform_start)), float(release.min()))  # something to watch
    t1 = float(_year_to_unix(last_year + 1)) - 1.0
    dec0 = (int(first_year) // 10) * 10
    n_dec = (int(last_year) - dec0) // 10 + 1
    dec_lo = dec0 + 10 * np.arange(n_dec)
    dec_hi = np.minimum(dec_lo + 10, last_year + 1)
    dec_mid = 0.5 * (dec_lo + dec_hi)
    item_dec = ((years - dec0) // 10).astype(np.int64)

    # ---- users
    avail_sorted = np.sort(release)
    end_u = t0 + (t1 - t0) * r_users.random(n_users) ** 0.6
    cap = np.floor(max_user_fraction * np.searchsorted(avail_sorted, end_u)).astype(np.int64)
    cap = np.maximum(cap, 1)
    if n_interactions > cap.sum():
        raise ParameterError(
            f"n_interactions ({n_interactions:,}) is more than {n_users:,} users can hold with "
            f"{n_items:,} items (at most {int(cap.sum()):,} with max_user_fraction={max_user_fraction}); "
            "ask for fewer interactions or more items")
    min_count = int(min(min_user_interactions, n_interactions // n_users))
    n_u = _user_counts(r_users, n_interactions, np.maximum(cap, min_count), min_count, activity_sigma)
    median_n = max(float(np.median(n_u)), 1.0)
    days = r_users.lognormal(np.log(45.0), 1.4, n_users) * (n_u / median_n) ** 0.7
    start_u = np.maximum(t0, end_u - days * 86_400.0)
    share = member.sum(axis=0) / member.sum()
    alpha = np.maximum(_N_GENRES * genre_concentration * share, 1e-3)
    broad = (n_u / (n_u + 0.3 * n_items))[:, None]
    theta = (1 - broad) * r_users.dirichlet(alpha, n_users) + broad * share
    theta_new = (1 - broad) * r_users.dirichlet(alpha, n_users) + broad * share
    style_u = r_users.dirichlet(np.full(n_sty, float(style_concentration)), n_users)
    # favourite era: a normal around mu with spread sigma, rounded to a grid of profiles
    mid_year = 1970.0 + 0.5 * (start_u + end_u) / _YEAR_SECONDS
    mu = mid_year - r_users.exponential(12.0, n_users)
    sigma = era_spread * r_users.lognormal(0.0, 0.4, n_users)
    mu_grid = np.arange(first_year - 10, last_year + 1, 4.0)
    sig_grid = era_spread * np.exp(0.4 * np.array([-1.2, -0.4, 0.4, 1.2]))
    mu_k = np.clip(np.rint((mu - mu_grid[0]) / 4.0), 0, len(mu_grid) - 1).astype(np.int64)
    sig_k = np.abs(np.log(sigma)[:, None] - np.log(sig_grid)[None, :]).argmin(axis=1)
    end_year = np.floor(1970.0 + end_u / _YEAR_SECONDS).astype(np.int64)
    # profile = (favourite era, spread, last year active), numbered among those in use
    prof_key = (mu_k * len(sig_grid) + sig_k) * (last_year + 2 - platform_start) + (end_year - platform_start)
    prof_keys, profile = np.unique(prof_key, return_inverse=True)
    prof_end = prof_keys % (last_year + 2 - platform_start) + platform_start
    prof_ms = prof_keys // (last_year + 2 - platform_start)
    prof_mu, prof_sig = mu_grid[prof_ms // len(sig_grid)], sig_grid[prof_ms % len(sig_grid)]
    era_prof = np.exp(-0.5 * ((dec_mid[None, :] - prof_mu[:, None]) / prof_sig[:, None]) ** 2) + _ERA_FLOOR
    bias = r_users.standard_normal(n_users)

    # ---- cells: items of each (genre, style, decade) by popularity
    gi, gk = np.nonzero(member)
    cell_of = (gk * n_sty + item_style[gi]) * n_dec + item_dec[gi]
    order = np.argsort(cell_of, kind="stable")
    bounds = np.searchsorted(cell_of[order], np.arange(1, _N_GENRES * n_sty * n_dec))
    cells = np.split(gi[order], bounds)
    cell_w = [pop[c] for c in cells]
    # mass released by the end of each platform year, per (genre*style, decade)
    n_end = last_year + 2 - platform_start
    ycol = np.clip(years[gi].astype(np.int64) - platform_start, 0, n_end - 1)
    flat = ((gk * n_sty + item_style[gi]) * n_dec + item_dec[gi]) * n_end + ycol
    mass_by_year = np.cumsum(np.bincount(flat, weights=pop[gi], minlength=_N_GENRES * n_sty * n_dec * n_end)
                             .reshape(_N_GENRES * n_sty, n_dec, n_end), axis=2)
    mass_by_year /= max(mass_by_year.max(), 1e-300)
    mass_prof = np.moveaxis(mass_by_year[:, :, prof_end - platform_start], 2, 0)  # (profiles, gs, decades)
    del mass_by_year

    gen = _Generator(
        rng=r_inter, n_items=n_items, start=start_u, end=end_u, theta=theta, theta_new=theta_new,
        style=style_u, profile=profile, era_prof=era_prof, mass_prof=mass_prof, release=release,
        by_cell=_Sampler(cells, cell_w), by_pop=_Sampler([np.arange(n_items)], [pop]),
        drift=float(taste_drift), noise=float(noise),
    )
    u_idx, i_idx, x = gen.run(n_u)  # ordered by user, then position in the user's period
    if len(u_idx) < n_interactions:
        warnings.warn(f"synthetic_dataset: generated {len(u_idx):,} of {n_interactions:,} interactions "
                      "(some users exhausted the items available to them)", DataWarning, stacklevel=2)

    # ---- times: increasing with the position; never before the item's release
    time = np.floor(np.maximum(start_u[u_idx] + x * (end_u - start_u)[u_idx], release[i_idx])).astype(TIME_DTYPE)
    del x

    # ---- values
    if values == "rating":
        era_ui = era_prof[profile[u_idx], item_dec[i_idx]]
        val = _ratings(r_values, u_idx, i_idx, theta, member, era_ui, quality, bias)
    else:
        val = np.ones(len(u_idx), dtype=VALUE_DTYPE)

    years_out = np.where(known, years, np.nan)
    return Dataset(
        u_idx, i_idx, val, time,
        users=IdMap(np.arange(1, n_users + 1, dtype=np.int64), name="user"),
        items=IdMap(np.arange(1, n_items + 1, dtype=np.int64), name="item"),
        genres=genres_mh, years=years_out, people={"directors": directors, "writers": writers},
        titles=titles, name=name,
    )


def _ratings(rng: np.random.Generator, u: np.ndarray, i: np.ndarray, theta: np.ndarray, member: np.ndarray,
             eraf: np.ndarray, quality: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Ratings 1-5 from quality, genre affinity, era interest and a user bias (see the docstring)."""
    n = len(u)
    # taste mass on the item's genres: sum of theta[u, g] over the item's (at most 3) genres
    n_users = theta.shape[0]
    th = np.concatenate([theta, np.zeros((n_users, 1))], axis=1).astype(np.float32).ravel()
    gl = np.full((member.shape[0], 3), _N_GENRES, dtype=np.int64)  # padded genre lists
    gi, gk = np.nonzero(member)
    slot = np.arange(len(gi)) - np.searchsorted(gi, gi)
    gl[gi, slot] = gk
    base = u.astype(np.int64) * (_N_GENRES + 1)
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


class _Generator:
    """Draws (user, item, position) triples in rounds until every user has their count.

    Candidates are packed into int64 keys ``pair << xbits | rotated position`` with
    ``pair = user * n_items + item``, so one value sort groups duplicates.
    """

    def __init__(self, *, rng, n_items, start, end, theta, theta_new, style, profile, era_prof, mass_prof,
                 release, by_cell, by_pop, drift, noise) -> None:
        self.rng = rng
        self.n_items = n_items
        self.start, self.span = start, end - start
        self.theta, self.theta_new, self.style = theta, theta_new, style
        self.profile = profile
        self.n_sty = style.shape[1]
        self.n_dec = mass_prof.shape[2]
        # per (profile, genre*style): the reachable mass, and an alias table over decades
        w = era_prof[:, None, :] * mass_prof  # (profiles, genre*style, decades)
        self.reach = w.sum(axis=2)  # (profiles, genre*style)
        prob, alias = _alias_rows(w.reshape(-1, self.n_dec))
        self.dec_prob, self.dec_alias = prob.ravel(), alias.ravel()
        all_users = np.arange(len(start))
        self.p_old = self._genre_style(all_users, theta)
        self.p_new = self._genre_style(all_users, theta_new)
        self.release = release
        self.by_cell, self.by_pop = by_cell, by_pop
        self.drift, self.noise = drift, noise
        n_users = len(start)
        pair_bits = int(n_users * n_items - 1).bit_length()
        self.xbits = min(30, 62 - pair_bits)
        self.ibits = max(int(n_items - 1).bit_length(), 1)
        self.mask = (1 << self.xbits) - 1

    # the position x in [0, 1) of the user's period sits in the low bits of the key, rotated
    # by a hash of the pair: of a pair drawn twice the copy kept (the smallest key) then
    # has a uniform x, not the earliest one
    def _hash(self, pair: np.ndarray) -> np.ndarray:
        h = pair.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        return (h >> np.uint64(64 - self.xbits)).astype(np.int64)

    def _encode(self, pair: np.ndarray, x: np.ndarray) -> np.ndarray:
        xq = np.minimum((x * (1 << self.xbits)).astype(np.int64), self.mask)
        return (pair << self.xbits) | ((xq + self._hash(pair)) & self.mask)

    def _genre_style(self, users: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """P(genre, style | user): genre from ``theta``, then style by taste x reachable mass."""
        q = self.style[users][:, None, :] * self.reach[self.profile[users]].reshape(len(users), _N_GENRES, -1)
        z = q.sum(axis=2, keepdims=True)
        q = np.divide(q, z, out=np.zeros_like(q), where=z > 0) * theta[users][:, :, None]
        q = q.reshape(len(users), -1)
        tot = q.sum(axis=1, keepdims=True)
        return np.divide(q, tot, out=np.full_like(q, 1.0 / q.shape[1]), where=tot > 0)

    def _draw(self, counts: np.ndarray, p_pop: float, p_uniform: float) -> np.ndarray:
        """Keys of candidate pairs: ``counts[u]`` draws for user u; unreleased ones dropped."""
        rng = self.rng
        users = np.flatnonzero(counts)
        counts = counts[users]
        n_new = rng.binomial(counts, self.drift / 2.0) if self.drift > 0 else np.zeros_like(counts)
        n_gs = _N_GENRES * self.n_sty
        # draws per (user, taste now / taste drifted to, genre*style)
        cell = np.stack([rng.multinomial(counts - n_new, self.p_old[users]),
                         rng.multinomial(n_new, self.p_new[users])], axis=1).reshape(-1)
        nz = np.flatnonzero(cell)
        csum = np.cumsum(cell[nz])
        chunk = 2_000_000
        bounds = np.searchsorted(csum, np.arange(chunk, int(csum[-1]) if len(csum) else 0, chunk))
        keys_out = []
        for part in np.split(nz, bounds):
            if len(part) == 0:
                continue
            reps = cell[part]
            u = np.repeat(users[part // (2 * n_gs)], reps)
            gs = np.repeat(part % n_gs, reps)
            comp_new = np.repeat((part // n_gs) % 2 == 1, reps)
            n = len(u)
            # position in the user's period: old taste density (1 - d x)/(1 - d/2), new taste 2x
            r = rng.random(n)
            if self.drift > 0:
                d = self.drift
                x = np.where(comp_new, np.sqrt(r), (1.0 - np.sqrt(1.0 - 2.0 * d * (1.0 - d / 2.0) * r)) / d)
            else:
                x = r
            np.minimum(x, np.nextafter(1.0, 0.0), out=x)
            del comp_new, r
            # decade by era interest x cell mass (alias table of the user's profile and genre*style)
            slot = ((self.profile[u] * n_gs + gs) * self.n_dec
                    + (rng.random(n, dtype=np.float32) * self.n_dec).astype(np.int64).clip(0, self.n_dec - 1))
            dec = np.where(rng.random(n, dtype=np.float32) < self.dec_prob[slot], slot % self.n_dec,
                           self.dec_alias[slot])
            del slot
            item = self.by_cell.draw(gs * self.n_dec + dec, rng)
            del dec, gs
            use_pop = rng.random(n, dtype=np.float32) < self.noise + p_pop
            item[use_pop] = self.by_pop.draw(np.zeros(int(use_pop.sum()), dtype=np.int64), rng)
            if p_uniform > 0:
                un = rng.random(n, dtype=np.float32) < p_uniform
                item[un] = rng.integers(self.n_items, size=int(un.sum()))
            ok = self.release[item] <= self.start[u] + x * self.span[u]
            keys_out.append(self._encode(u[ok] * self.n_items + item[ok], x[ok]))
        return np.concatenate(keys_out) if keys_out else np.zeros(0, dtype=np.int64)

    def _trim(self, keys: np.ndarray, user: np.ndarray, over: np.ndarray, got: np.ndarray,
              need: np.ndarray) -> np.ndarray:
        """Keep ``need[u]`` random keys of each user in ``over``; ``keys`` sorted, one per pair.

        The low bits of a key are uniform and independent of the item, so ordering a
        user's keys by them is a random order; one value sort does it for all users.
        """
        sel = over[user]
        k, u = keys[sel], user[sel]
        item = (k >> self.xbits) - u * self.n_items
        comp = (u << (self.xbits + self.ibits)) | ((k & self.mask) << self.ibits) | item
        comp.sort()
        u = comp >> (self.xbits + self.ibits)
        first_of = np.concatenate([[0], np.cumsum(got[over])[:-1]])
        which = np.cumsum(over) - 1  # position of each over-user among the over-users
        keep = np.arange(len(comp)) - first_of[which[u]] < need[u]
        comp, u = comp[keep], u[keep]
        low = (comp >> self.ibits) & self.mask
        item = comp & ((1 << self.ibits) - 1)
        return np.sort(np.concatenate([keys[~sel], ((u * self.n_items + item) << self.xbits) | low]))

    def run(self, n_u: np.ndarray, max_rounds: int = 24) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n_users = len(n_u)
        accepted = np.zeros(0, dtype=np.int64)
        have = np.zeros(n_users, dtype=np.int64)
        factor = np.ones(n_users)
        for rnd in range(max_rounds):
            need = n_u - have
            if not need.any():
                break
            p_pop = min(0.9, max(0.0, 0.15 * (rnd - 3)))
            p_unif = min(1.0, max(0.0, 0.2 * (rnd - 8)))
            counts = np.where(need > 0, np.ceil(need * factor).astype(np.int64), 0)
            if rnd > 0:
                counts = np.where(need > 0, counts + 1, 0)
            keys = np.sort(self._draw(counts, p_pop, p_unif))
            pairs = keys >> self.xbits
            first = np.ones(len(keys), dtype=bool)
            first[1:] = pairs[1:] != pairs[:-1]
            keys, pairs = keys[first], pairs[first]
            if len(accepted):
                acc_pairs = accepted >> self.xbits
                pos = np.searchsorted(acc_pairs, pairs)
                dup = (pos < len(acc_pairs)) & (acc_pairs[np.minimum(pos, len(acc_pairs) - 1)] == pairs)
                del acc_pairs
                keys, pairs = keys[~dup], pairs[~dup]
            user = pairs // self.n_items
            got = np.bincount(user, minlength=n_users)
            over = got > need
            if over.any():  # keep a random ``need[u]`` of the new pairs of user u
                keys = self._trim(keys, user, over, got, need)
                got = np.minimum(got, need)
            accepted = np.sort(np.concatenate([accepted, keys]), kind="stable")  # merge two runs
            have += got
            # next round asks enough extra draws for this round's loss rate
            rate = np.where(counts > 0, got / np.maximum(counts, 1), 1.0)
            factor = np.where(need > got, 1.0 / np.maximum(rate, 0.125), 1.0)
            log.debug("synthetic round %d: drew %d, kept %d, still missing %d",
                      rnd, int(counts.sum()), int(got.sum()), int((n_u - have).sum()))
        # order by (user, position): one value sort of (user, position, item) packed in int64
        pair = accepted >> self.xbits
        xq = ((accepted & self.mask) - self._hash(pair)) & self.mask
        del accepted
        u = pair // self.n_items
        comp = (u << (self.xbits + self.ibits)) | (xq << self.ibits) | (pair - u * self.n_items)
        del pair, xq, u
        comp.sort()
        i = (comp & ((1 << self.ibits) - 1)).astype(INDEX_DTYPE)
        x = (((comp >> self.ibits) & self.mask) + 0.5) / (1 << self.xbits)
        u = (comp >> (self.xbits + self.ibits)).astype(INDEX_DTYPE)
        return u, i, x
