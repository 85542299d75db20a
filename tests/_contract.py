"""The checks every registry model must pass (run by ``tests/models/test_contract.py``).

Each check is a function ``check_<what>(name, tmp_path)`` that builds its own
model through :func:`make_model` and fits it on :func:`planted_dataset`: two user
groups x two item groups with string ids and one genre per item group, so every
model (GenreTopN included) has the structure to find.

A new model joins by being in ``reclite.models.registry``; give it small, fast
parameters in ``MODEL_PARAMS`` (keys a model does not accept are dropped, so the
table may name parameters of models still being built) and, if the planted answer
does not apply to it (popularity ranks every user alike), list it in ``NOT_PLANTED`` with the reason.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone

import reclite
from reclite.errors import DataWarning, NotFittedError, UnknownIdError
from reclite.models import registry

# small, fast parameters per registry name; keys a model does not have are ignored
MODEL_PARAMS: dict[str, dict] = {
    "pop": {},
    "genre_rule": {"n_genres": 2},
    "itemknn": {"k_neighbors": 10},
    "userknn": {"k_neighbors": 10},
    "ease": {"l2": 5.0},
    "rp3beta": {"k_neighbors": 10, "beta": 0.3},
    # two planted groups: a rank-2 structure, which few factors find reliably; the
    # regularisation suits 40 users (the defaults are tuned for ML-100K and shrink
    # these factors to zero); one thread: implicit's SGD models repeat only single-threaded
    "als": {"factors": 2, "regularization": 0.05, "iterations": 15, "random_state": 0, "num_threads": 1},
    "bpr": {"factors": 4, "learning_rate": 0.05, "regularization": 0.01, "iterations": 100, "random_state": 0,
            "num_threads": 1},
    "lmf": {"factors": 2, "regularization": 0.6, "iterations": 30, "random_state": 0, "num_threads": 1},
    "surprise_svd": {"random_state": 0},
    "surprise_knn": {"random_state": 0},
    "content": {},
    # the hybrid: its models in the JSON form [registry name, parameters]
    "content_expand": {"base": ["ease", {"l2": 5.0}], "n_expand": 3},
    # Spark's regularisation is scaled by each user's (5) and item's (10) interactions; one block
    # and few iterations keep a local Spark fit short (tests/spark/ runs these checks)
    "spark_als": {"factors": 2, "regularization": 0.01, "iterations": 5, "num_blocks": 1, "random_state": 0},
    # ensembles: members in the JSON form (label, registry name, parameters), with the fast settings above
    "rankvote": {"estimators": [["ease", "ease", {"l2": 5.0}], ["itemknn", "itemknn", {"k_neighbors": 10}],
                                ["als", "als", {"factors": 2, "regularization": 0.05, "iterations": 15,
                                                "random_state": 0, "num_threads": 1}]]},
    "blend": {"estimators": [["ease", "ease", {"l2": 5.0}], ["itemknn", "itemknn", {"k_neighbors": 10}],
                             ["als", "als", {"factors": 2, "regularization": 0.05, "iterations": 15,
                                             "random_state": 0, "num_threads": 1}]]},
}

# models for which "recommend the user's own group" is not the right answer, and why
_RATING_MODEL = ("predicts how an item would be rated, not whether the user would pick it, "
                 "and the planted groups differ only in the latter")
NOT_PLANTED = {
    "pop": "ranks every user alike",
    "surprise_svd": _RATING_MODEL,
    "surprise_knn": _RATING_MODEL,
}

# models that cannot fit on a bare matrix (no side information), and what their error names
NEEDS_SIDE_INFORMATION = {
    "genre_rule": "genres",
    "content": "side information",
    "content_expand": "side information",
}

N_PER_GROUP_USERS = 20
N_PER_GROUP_ITEMS = 10


def make_model(name: str, **extra):
    """A registry model with the fast test parameters (only those it accepts)."""
    cls = registry.get(name)
    valid = set(cls().get_params(deep=False))
    params = {k: v for k, v in MODEL_PARAMS.get(name, {}).items() if k in valid}
    params.update(extra)
    return registry.create(name, **params)


def planted_dataset(seed: int = 0) -> reclite.Dataset:
    """Users ``ua*`` use items ``ia*`` (genre "Alpha"), users ``ub*`` items ``ib*`` ("Beta").

    Every user has 5 of their group's 10 items, chosen at random, so each user has 5
    unseen items of their own group to be recommended, and every item is used. Each
    interaction has a rating 1..5: explicit-rating models (surprise) learn from the values.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for group in ("a", "b"):
        for u in range(N_PER_GROUP_USERS):
            picks = rng.choice(N_PER_GROUP_ITEMS, size=5, replace=False)
            rows += [(f"u{group}{u:02d}", f"i{group}{i:02d}", float(rng.integers(1, 6))) for i in picks]
    df = pd.DataFrame(rows, columns=["user", "item", "rating"])
    all_items = [f"i{g}{i:02d}" for g in "ab" for i in range(N_PER_GROUP_ITEMS)]
    ds0 = reclite.Dataset.from_frame(df, value="rating", extra_items=all_items, source="planted")
    items = ds0.items
    raw = items.ids.astype(str)
    genres = reclite.MultiHot.from_pairs(np.arange(len(raw)), np.where(np.char.startswith(raw, "ia"),
                                                                      "Alpha", "Beta"), len(raw))
    return reclite.Dataset(ds0.user_idx, ds0.item_idx, ds0.values, users=ds0.users, items=items,
                           genres=genres, name="planted")


def other_dataset() -> reclite.Dataset:
    """A different dataset (other seed) for the "second fit equals a fresh fit" check."""
    return planted_dataset(seed=7)


def fitted(name: str, data: reclite.Dataset | None = None, **extra):
    return make_model(name, **extra).fit(planted_dataset() if data is None else data)


def seen_pairs(ds: reclite.Dataset) -> set[tuple[str, str]]:
    f = ds.to_frame()
    return set(zip(f["user"].astype(str), f["item"].astype(str)))


def assert_same_frames(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                  check_exact=False, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------- the checks
def check_fit_returns_self(name, tmp_path):
    model = make_model(name)
    assert model.fit(planted_dataset()) is model


def check_clone_round_trips_params(name, tmp_path):
    model = make_model(name)
    params = model.get_params(deep=False)
    assert clone(model).get_params(deep=False) == params
    fitted_model = model.fit(planted_dataset())
    twin = clone(fitted_model)
    assert twin.get_params(deep=False) == params
    assert not hasattr(twin, "seen_")


def check_not_fitted_before_fit(name, tmp_path):
    model = make_model(name)
    with pytest.raises(NotFittedError):
        model.recommend(k=3)
    with pytest.raises(NotFittedError):
        model.save(tmp_path / "m")
    assert not (tmp_path / "m").exists()


def check_planted_answer(name, tmp_path):
    if name in NOT_PLANTED:
        pytest.skip(f"no planted answer for {name}: it {NOT_PLANTED[name]}")
    recs = fitted(name).recommend(k=3)
    same_group = recs["user"].str[1] == recs["item"].str[1]
    assert same_group.all(), recs[~same_group]


def check_never_recommends_seen(name, tmp_path):
    ds = planted_dataset()
    recs = fitted(name, ds).recommend(k=ds.n_items)
    pairs = set(zip(recs["user"].astype(str), recs["item"].astype(str)))
    assert not (pairs & seen_pairs(ds))


def check_exact_row_counts(name, tmp_path):
    ds = planted_dataset()
    model = fitted(name, ds)
    n_seen = pd.Series(np.bincount(ds.user_idx, minlength=ds.n_users), index=ds.users.ids.astype(str))
    for k in (3, ds.n_items + 5):
        recs = model.recommend(k=k)
        counts = recs.groupby("user").size().reindex(n_seen.index, fill_value=0)
        expected = np.minimum(k, ds.n_items - n_seen)
        assert (counts == expected).all()
        # ranks 1..n in order; scores never increase down a list
        for _, g in recs.groupby("user"):
            assert g["rank"].tolist() == list(range(1, len(g) + 1))
            assert (np.diff(g["score"].to_numpy()) <= 1e-6).all()
    recs = model.recommend(k=ds.n_items + 5, filter_seen=False)
    assert (recs.groupby("user").size() == ds.n_items).all()


def check_raw_ids_out(name, tmp_path):
    ds = planted_dataset()
    recs = fitted(name, ds).recommend(users=["ua00", "ub03"], k=4)
    assert list(recs.columns) == ["user", "item", "score", "rank"]
    assert set(recs["user"]) == {"ua00", "ub03"}
    assert set(recs["item"]) <= set(ds.items.ids.astype(str))
    assert recs["user"].tolist()[:4] == ["ua00"] * 4


def check_save_load_identical(name, tmp_path):
    model = fitted(name)
    before = model.recommend(k=5)
    model.save(tmp_path / "model")
    loaded = reclite.load_model(tmp_path / "model")
    assert type(loaded) is type(model)
    assert loaded.get_params(deep=False) == model.get_params(deep=False)
    assert_same_frames(loaded.recommend(k=5), before)
    assert_same_frames(type(model).load(tmp_path / "model").recommend(k=5), before)


def check_second_fit_equals_fresh_fit(name, tmp_path):
    ds = planted_dataset()
    refit = make_model(name).fit(other_dataset()).fit(ds)
    assert_same_frames(refit.recommend(k=5), fitted(name, ds).recommend(k=5))


def check_batches_equal_single_users(name, tmp_path):
    model = fitted(name)
    users = ["ub05", "ua00", "ua13", "ub19"]
    together = model.recommend(users=users, k=5)
    one_by_one = pd.concat([model.recommend(users=[u], k=5) for u in users])
    assert_same_frames(together, one_by_one)
    # any memory budget gives the same answer (1 byte: one user per batch)
    assert_same_frames(model.recommend(k=5, max_memory=1), model.recommend(k=5))
    idx_small, s_small = model.recommend_indices(k=5, max_memory=1)
    idx_big, s_big = model.recommend_indices(k=5, max_memory="1GB")
    np.testing.assert_array_equal(idx_small, idx_big)
    np.testing.assert_allclose(s_small, s_big, rtol=1e-5)


def check_unknown_users(name, tmp_path):
    model = fitted(name)
    with pytest.raises(UnknownIdError, match="nobody"):
        model.recommend(users=["ua00", "nobody"], k=3)
    with pytest.warns(DataWarning, match="1 unknown user"):
        recs = model.recommend(users=["nobody", "ua00"], k=3, on_unknown="popular")
    pop_top = model.items_.to_raw(np.argsort(-model.item_popularity_, kind="stable")[:3]).astype(str)
    assert recs.loc[recs["user"] == "nobody", "item"].tolist() == pop_top.tolist()
    assert_same_frames(recs[recs["user"] == "ua00"], model.recommend(users=["ua00"], k=3))


def check_items_and_exclude(name, tmp_path):
    model = fitted(name)
    cand = ["ia00", "ia01", "ib00", "ib01", "ib02"]
    recs = model.recommend(k=10, items=cand)
    assert set(recs["item"]) <= set(cand)
    recs = model.recommend(k=model.n_items_, exclude=["ia00", "ib00", "not-an-item"])
    assert not set(recs["item"]) & {"ia00", "ib00"}
    # a Dataset excludes each user's own interactions in it, matched by raw ids
    pop_order = model.items_.to_raw(np.argsort(-model.item_popularity_, kind="stable")).astype(str)
    more = reclite.Dataset.from_frame(pd.DataFrame({
        "user": ["ua00"] * 3 + ["newbie"] * 2 + ["ua01"],
        "item": ["ia00", "ia01", "ia02", pop_order[0], pop_order[1], "not-an-item"]}))
    with pytest.warns(DataWarning, match="1 unknown user"):
        recs = model.recommend(users=["ua00", "newbie", "ua01"], k=model.n_items_, exclude=more,
                               on_unknown="popular")
    assert not set(recs.loc[recs["user"] == "ua00", "item"]) & {"ia00", "ia01", "ia02"}
    assert recs.loc[recs["user"] == "newbie", "item"].tolist()[:3] == pop_order[2:5].tolist()
    assert_same_frames(recs[recs["user"] == "ua01"], model.recommend(users=["ua01"], k=model.n_items_))


def check_recommend_from_history(name, tmp_path):
    model = fitted(name)
    if not model.supports_history:
        pytest.skip(f"{name} cannot recommend from a history")
    history = ["ia00", "ia01", "ia02", "ia03"]
    recs = model.recommend_from_history(history, k=4)
    assert list(recs.columns) == ["item", "score", "rank"]
    assert len(recs) == 4
    assert not set(recs["item"]) & set(history)
    if name not in NOT_PLANTED:
        assert recs["item"].str.startswith("ia").all(), recs
    with pytest.warns(DataWarning):
        model.recommend_from_history(history + ["not-an-item"], k=2)


def check_similar_items(name, tmp_path):
    model = fitted(name)
    if not model.supports_similar_items:
        pytest.skip(f"{name} has no item similarities")
    sim = model.similar_items(["ia00", "ib00"], k=3)
    assert list(sim.columns) == ["item", "similar", "score", "rank"]
    assert not (sim["item"] == sim["similar"]).any()
    assert (sim["item"].str[1] == sim["similar"].str[1]).all(), sim


def check_fit_on_sparse_matrix(name, tmp_path):
    ds = planted_dataset()
    model = make_model(name)
    if name in NEEDS_SIDE_INFORMATION:
        with pytest.raises(reclite.DataError, match=NEEDS_SIDE_INFORMATION[name]):
            model.fit(ds.matrix())
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        model.fit(sp.csr_matrix(ds.matrix()))
    idx, _ = model.recommend_indices(k=3)
    assert idx.shape == (ds.n_users, 3)


CHECKS = [
    check_fit_returns_self,
    check_clone_round_trips_params,
    check_not_fitted_before_fit,
    check_planted_answer,
    check_never_recommends_seen,
    check_exact_row_counts,
    check_raw_ids_out,
    check_save_load_identical,
    check_second_fit_equals_fresh_fit,
    check_batches_equal_single_users,
    check_unknown_users,
    check_items_and_exclude,
    check_recommend_from_history,
    check_similar_items,
    check_fit_on_sparse_matrix,
]
