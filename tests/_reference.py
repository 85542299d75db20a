"""Brute-force NumPy / pure-Python twins of the numba kernels, for the tests only."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def topk_reference(scores, k, exclude=None, candidates=None):
    """Sort every row by (-score, item index) with Python; drop excluded / non-candidates.

    The output is ``min(k, n_items)`` wide (``min(k, number of candidates)`` with candidates)."""
    scores = np.asarray(scores, dtype=np.float32)
    n_rows, n_items = scores.shape
    ex = sp.csr_matrix(exclude) if exclude is not None else None
    if candidates is not None:
        candidates = np.asarray(candidates)
        if candidates.dtype != bool:
            m = np.zeros(n_items, dtype=bool)
            m[candidates] = True
            candidates = m
    k = min(k, n_items if candidates is None else int(candidates.sum()))  # never wider than the catalogue
    out_i = np.full((n_rows, k), -1, dtype=np.int32)
    out_s = np.full((n_rows, k), -np.inf, dtype=np.float32)
    for r in range(n_rows):
        banned = set(ex.indices[ex.indptr[r]:ex.indptr[r + 1]].tolist()) if ex is not None else set()
        elig = [j for j in range(n_items) if j not in banned and (candidates is None or candidates[j])]
        key = [(-(scores[r, j] if not np.isnan(scores[r, j]) else -np.inf), j) for j in elig]
        key.sort()
        for pos, (neg, j) in enumerate(key[:k]):
            out_i[r, pos] = j
            out_s[r, pos] = -neg
    return out_i, out_s


def ranking_metrics_reference(topk, test, k):
    """Per-user accuracy metrics at cut-off k from their definitions, one user at a time.

    Returns a dict name -> list of floats (NaN for users without test items).
    """
    import math

    test = sp.csr_matrix(test)
    out = {m: [] for m in ("hits", "recall", "calibrated_recall", "precision", "ndcg", "map", "mrr",
                           "hit_rate")}
    for u in range(np.asarray(topk).shape[0]):
        truth = set(test.indices[test.indptr[u]:test.indptr[u + 1]].tolist())
        row = [int(i) for i in np.asarray(topk)[u][:k]]
        if not truth:
            for m in out:
                out[m].append(math.nan)
            continue
        flags = [i >= 0 and i in truth for i in row] + [False] * (k - len(row))
        h = sum(flags)
        denom = min(k, len(truth))
        dcg = sum(1.0 / math.log2(r + 2) for r, f in enumerate(flags) if f)
        idcg = sum(1.0 / math.log2(r + 2) for r in range(denom))
        ap = sum(sum(flags[:r + 1]) / (r + 1) for r, f in enumerate(flags) if f) / denom
        first = next((r + 1 for r, f in enumerate(flags) if f), None)
        out["hits"].append(float(h))
        out["recall"].append(h / len(truth))
        out["calibrated_recall"].append(h / denom)
        out["precision"].append(h / k)
        out["ndcg"].append(dcg / idcg)
        out["map"].append(ap)
        out["mrr"].append(0.0 if first is None else 1.0 / first)
        out["hit_rate"].append(1.0 if h else 0.0)
    return out


def beyond_accuracy_reference(topk, train, k):
    """coverage (float), novelty and popularity (per-user lists) from their definitions."""
    import math

    train = sp.csr_matrix(train)
    n_items = train.shape[1]
    n_train_users = sum(1 for u in range(train.shape[0]) if train.indptr[u + 1] > train.indptr[u])
    pop = [0] * n_items
    for u in range(train.shape[0]):
        for i in set(train.indices[train.indptr[u]:train.indptr[u + 1]].tolist()):
            pop[i] += 1
    listed = set()
    nov, share = [], []
    for row in np.asarray(topk):
        items = [int(i) for i in row[:k] if i >= 0]
        listed.update(items)
        if not items:
            nov.append(math.nan)
            share.append(math.nan)
            continue
        nov.append(sum(-math.log2(max(pop[i], 1) / n_train_users) for i in items) / len(items))
        share.append(sum(pop[i] / n_train_users for i in items) / len(items))
    return {"coverage": len(listed) / n_items, "novelty": nov, "popularity": share}
