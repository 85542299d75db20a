"""Dataset.from_matrix: the data layer's matrix-to-Dataset constructor (fit and build_confidence
accept a plain users x items matrix through it)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import reclite
from reclite.data.dataset import Dataset
from reclite.errors import ParameterTypeError


def test_from_matrix_by_hand():
    # 3 users x 4 items; the cell (2, 1) is given twice (scipy sums it), row 1 is empty
    m = sp.coo_matrix((np.array([5.0, 1.0, 2.0, 0.5], dtype=np.float32),
                       (np.array([0, 2, 2, 0]), np.array([3, 1, 1, 0]))), shape=(3, 4))
    ds = Dataset.from_matrix(m)
    assert (ds.n_users, ds.n_items, len(ds), ds.name) == (3, 4, 3, "matrix")
    assert ds.users.ids.tolist() == [0, 1, 2] and ds.items.ids.tolist() == [0, 1, 2, 3]
    assert (ds.users.name, ds.items.name) == ("user", "item")
    got = sorted(zip(ds.user_idx.tolist(), ds.item_idx.tolist(), ds.values.tolist()))
    assert got == [(0, 0, 0.5), (0, 3, 5.0), (2, 1, 3.0)]
    assert ds.times is None and ds.genres is None and ds.side_information == []
    np.testing.assert_array_equal(ds.matrix().toarray(), m.toarray())


@pytest.mark.parametrize("kind", ["csr", "csc", "lil", "array"])
def test_from_matrix_takes_any_sparse_format_and_a_name(kind):
    dense = np.array([[0, 2, 0], [1, 0, 3]], dtype=np.float32)
    m = sp.csr_array(dense) if kind == "array" else getattr(sp, f"{kind}_matrix")(dense)
    ds = Dataset.from_matrix(m, name="mine")
    assert ds.name == "mine"
    np.testing.assert_array_equal(ds.matrix().toarray(), dense)


def test_from_matrix_refuses_what_is_not_sparse():
    with pytest.raises(ParameterTypeError, match="Dataset.from_matrix expects a users x items scipy sparse "
                                                 "matrix, got list"):
        Dataset.from_matrix([[1, 0], [0, 1]])


def test_fit_and_build_confidence_on_a_matrix_equal_the_dataset_they_came_from():
    """Value-only components and models see the same thing through the matrix as through the Dataset."""
    ds = reclite.synthetic_dataset(40, 30, 400, random_state=0)
    m = ds.matrix()
    np.testing.assert_array_equal(reclite.build_confidence(m, "log+pop+bm25", alpha=2.0).toarray(),
                                  reclite.build_confidence(ds, "log+pop+bm25", alpha=2.0).toarray())
    from_m = reclite.ItemKNN().fit(m).recommend_indices(k=5)
    from_ds = reclite.ItemKNN().fit(ds).recommend_indices(k=5)
    np.testing.assert_array_equal(from_m[0], from_ds[0])
    np.testing.assert_array_equal(from_m[1], from_ds[1])
