"""Drawing the interactions: alias-method samplers, the (genre, style, decade) cells of the
catalogue, and :class:`PairDrawer`, which draws (user, item, position) triples in rounds (the
"Interactions" paragraph of :func:`~reclite.data.synthetic.synthetic_dataset`'s docstring)."""

from __future__ import annotations

import logging

import numpy as np

from ..._typing import INDEX_DTYPE
from ._catalogue import N_GENRES, Catalogue

log = logging.getLogger(__name__)


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


class Sampler:
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

def cells(cat: Catalogue, item_dec: np.ndarray, n_dec: int, n_styles: int, prof_end: np.ndarray,
          platform_start: int, last_year: int) -> tuple[Sampler, np.ndarray]:
    """Items of each (genre, style, decade) cell by popularity, and the popularity mass each
    era profile can reach per cell: items released by the end of the profile's last year.

    Returns the sampler over cells (cell ``(g * n_styles + s) * n_dec + d``) and
    ``mass_prof`` of shape (profiles, 18 * n_styles, n_dec), scaled to a largest value of 1.
    """
    n_sty = int(n_styles)
    years, pop = cat.years, cat.pop
    gi, gk = np.nonzero(cat.member)
    cell_of = (gk * n_sty + cat.style[gi]) * n_dec + item_dec[gi]
    order = np.argsort(cell_of, kind="stable")
    bounds = np.searchsorted(cell_of[order], np.arange(1, N_GENRES * n_sty * n_dec))
    groups = np.split(gi[order], bounds)
    cell_w = [pop[c] for c in groups]
    # mass released by the end of each platform year, per (genre*style, decade)
    n_end = last_year + 2 - platform_start
    ycol = np.clip(years[gi].astype(np.int64) - platform_start, 0, n_end - 1)
    flat = ((gk * n_sty + cat.style[gi]) * n_dec + item_dec[gi]) * n_end + ycol
    mass_by_year: np.ndarray = np.cumsum(
        np.bincount(flat, weights=pop[gi], minlength=N_GENRES * n_sty * n_dec * n_end)
        .reshape(N_GENRES * n_sty, n_dec, n_end), axis=2, dtype=np.float64)
    mass_by_year /= max(mass_by_year.max(), 1e-300)
    mass_prof = np.moveaxis(mass_by_year[:, :, prof_end - platform_start], 2, 0)  # (profiles, gs, decades)
    return Sampler(groups, cell_w), mass_prof


class PairDrawer:
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
        q = self.style[users][:, None, :] * self.reach[self.profile[users]].reshape(len(users), N_GENRES, -1)
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
        n_gs = N_GENRES * self.n_sty
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
