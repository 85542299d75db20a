"""The synthetic catalogue: genres, release years, quality, popularity, hidden styles,
titles, directors and writers (the "Catalogue" paragraph of
:func:`~reclite.data.synthetic.synthetic_dataset`'s docstring)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..dataset import MultiHot

#: The 18 genre names, in vocabulary order (the MovieLens genre set, minus "IMAX").
GENRES: tuple[str, ...] = (
    "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
    "War", "Western",
)
_G = {name: k for k, name in enumerate(GENRES)}
N_GENRES = len(GENRES)

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


YEAR_SECONDS = 31_556_952  # 365.2425 days


def year_to_unix(year: np.ndarray | float) -> np.ndarray:
    return (np.asarray(year, dtype=np.float64) - 1970.0) * YEAR_SECONDS



def _roman(k: int) -> str:
    return ["", "", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"][k] if k <= 10 else str(k)



def _companions() -> np.ndarray:
    """(18, 18) row-stochastic: the chance of genre b as a further genre of a primary a."""
    c = np.tile(_PRIMARY_SHARE, (N_GENRES, 1))
    for a, b, boost in _PAIRS:
        c[_G[a], _G[b]] *= boost
        c[_G[b], _G[a]] *= boost
    c[:, _G["Documentary"]] *= 0.2
    np.fill_diagonal(c, 0.0)
    return c / c.sum(axis=1, keepdims=True)


def _item_genres(rng: np.random.Generator, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense (n_items, 18) bool membership and the primary genre of each item."""
    primary = rng.choice(N_GENRES, size=n_items, p=_PRIMARY_SHARE)
    n_gen = rng.choice(3, size=n_items, p=_N_GENRE_P) + 1
    n_gen[primary == _G["Documentary"]] = 1 + (rng.random((primary == _G["Documentary"]).sum()) < 0.1)
    member = np.zeros((n_items, N_GENRES), dtype=bool)
    rows = np.arange(n_items)
    member[rows, primary] = True
    cum = np.cumsum(_companions(), axis=1)
    for extra in (2, 3):  # second and third genres: companions of the primary, distinct
        want = np.flatnonzero(n_gen >= extra)
        for _ in range(8):  # redraw the few that hit a genre the item already has
            if len(want) == 0:
                break
            r = rng.random(len(want))
            g = np.minimum((cum[primary[want]] < r[:, None]).sum(axis=1), N_GENRES - 1)
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
    lean = rng.choice(N_GENRES, size=n_people, p=(counts + 0.5) / (counts + 0.5).sum())
    prolific = 1.0 + np.minimum(rng.pareto(1.5, size=n_people), 10.0)
    career = years[rng.integers(n_items, size=n_people)] + rng.normal(0, 5, n_people)
    how_many = 1 + (rng.random(n_items) < share_extra[0]) + (rng.random(n_items) < share_extra[1])
    item_rep = np.repeat(np.arange(n_items), how_many)
    # one of the item's genres, uniformly
    g_cum = np.cumsum(member[item_rep], axis=1)
    r = rng.random(len(item_rep)) * g_cum[:, -1]
    genre = (g_cum <= r[:, None]).sum(axis=1)
    genre[rng.random(len(item_rep)) < 0.15] = N_GENRES  # 15%: anyone, outside their usual genre
    # a person of that genre: prolific weight x closeness of the item's decade to their career
    dec = np.floor(years[item_rep] / 10.0)
    person = np.empty(len(item_rep), dtype=np.int64)
    everyone = np.arange(n_people)
    for g in range(N_GENRES + 1):
        rows_g = np.flatnonzero(genre == g)
        if len(rows_g) == 0:
            continue
        cand = np.flatnonzero(lean == g) if g < N_GENRES else everyone
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


# ---------------------------------------------------------------------------- stages
@dataclass(frozen=True)
class Catalogue:
    """The items as the generator sees them (one entry per item in every array)."""

    member: np.ndarray  #: (n_items, 18) bool genre membership
    primary: np.ndarray  #: primary genre
    years: np.ndarray  #: true release year (float; also for items that report none)
    release: np.ndarray  #: release time, unix seconds (a random moment of the year)
    quality: np.ndarray  #: N(0, 1)
    style: np.ndarray  #: hidden audience niche, in [0, n_styles)
    pop: np.ndarray  #: popularity weight (log-normal)
    known: np.ndarray  #: whether the year is reported
    titles: np.ndarray  #: str


def make_catalogue(rng: np.random.Generator, n_items: int, *, n_styles: int, popularity_sigma: float,
                   unknown_year_share: float, first_year: int, last_year: int,
                   recency_scale: float) -> Catalogue:
    """Genres, years, release times, quality, styles, popularity, reported years and titles."""
    member, primary = _item_genres(rng, n_items)
    years = _item_years(rng, primary, int(first_year), int(last_year), float(recency_scale))
    release = year_to_unix(years) + rng.random(n_items) * YEAR_SECONDS
    quality = rng.standard_normal(n_items)
    genre_style = rng.dirichlet(np.full(int(n_styles), 2.0), N_GENRES)  # styles lean to genres
    item_style = (np.cumsum(genre_style[primary], axis=1) < rng.random(n_items)[:, None]).sum(axis=1)
    item_style = np.minimum(item_style, int(n_styles) - 1)
    pop = np.exp(popularity_sigma * (0.5 * quality + 0.866 * rng.standard_normal(n_items)))
    n_unknown = int(round(unknown_year_share * n_items))
    known = np.ones(n_items, dtype=bool)
    known[rng.choice(n_items, size=n_unknown, replace=False)] = False
    titles = _titles(rng, primary, years, known)
    return Catalogue(member=member, primary=primary, years=years, release=release, quality=quality,
                     style=item_style, pop=pop, known=known, titles=titles)


def make_people(rng: np.random.Generator, member: np.ndarray, years: np.ndarray) -> tuple[MultiHot, MultiHot]:
    """Directors and writers of every item (20% of the items are written by their director too)."""
    n_items = len(years)
    n_dir, n_wri = max(2, round(n_items / 2)), max(2, round(n_items / 1.5))
    names = _person_names(rng, n_dir + n_wri)
    d_item, d_person = _assign_people(rng, member, years, n_dir, (0.04, 0.0))
    w_item, w_person = _assign_people(rng, member, years, n_wri, (0.30, 0.10))
    w_names = names[n_dir + w_person]
    first_dir = np.unique(d_item, return_index=True)[1]
    wd = first_dir[rng.random(len(first_dir)) < 0.2]  # writer-directors
    w_item = np.concatenate([w_item, d_item[wd]])
    w_names = np.concatenate([w_names, names[d_person[wd]]])
    directors = MultiHot.from_pairs(d_item, names[d_person], n_items)
    writers = MultiHot.from_pairs(w_item, w_names, n_items)
    return directors, writers


def genre_multihot(member: np.ndarray) -> MultiHot:
    """The items x :data:`GENRES` membership as side information."""
    gi, gk = np.nonzero(member)
    return MultiHot.from_pairs(gi, np.array(GENRES)[gk], member.shape[0], vocabulary=np.array(GENRES))
