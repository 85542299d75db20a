"""Item attributes and item vectors: reading them, attaching them, carrying them through a Dataset's life.

The ``tiny`` fixture (tests/conftest.py): users a, b, c; items w, x, y, z (genres, years).
"""

from __future__ import annotations

import gzip
import json
import pickle

import numpy as np
import pytest

import reclite
from reclite import split
from reclite.data.attributes import ItemAttributes, ItemVectors
from reclite.errors import DataError, ParameterError, ParameterTypeError


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------- reading attributes
def test_one_row_per_item_with_values_in_the_cell(tmp_path):
    f = write(tmp_path / "a.csv", "item,genre,brand\nw,Adventure|Comedy,Acme\nx,, Zenith \ny,Drama,\n")
    a = reclite.read_item_attributes(f)
    assert isinstance(a, ItemAttributes) and a.source == str(f)
    assert a.items.tolist() == ["w", "x", "y"]
    assert a.values["genre"][0].tolist() == ["w", "w", "y"]
    assert a.values["genre"][1].tolist() == ["Adventure", "Comedy", "Drama"]
    assert a.values["brand"][0].tolist() == ["w", "x"] and a.values["brand"][1].tolist() == ["Acme", "Zenith"]


def test_one_row_per_item_and_value_tsv_with_integer_ids(tmp_path):
    f = write(tmp_path / "tags.tsv", "movie\ttag\tcount\n7\tfunny\t3\n7\tdark\t1\n007\tfunny\t2\n9\tscary\t1\n")
    a = reclite.read_item_attributes(f, item="movie", columns=["tag"])
    assert a.items.tolist() == [7, 9] and a.items.dtype == np.int64  # 007 is 7, as for interactions
    assert list(a.values) == ["tag"]
    assert a.values["tag"][0].tolist() == [7, 7, 7, 9]
    assert a.values["tag"][1].tolist() == ["funny", "dark", "funny", "scary"]


def test_value_sep_none_keeps_cells_whole(tmp_path):
    f = write(tmp_path / "a.csv", "item,title\nw,A|B\n")
    assert reclite.read_item_attributes(f, value_sep=None).values["title"][1].tolist() == ["A|B"]


def test_json_lists_and_objects(tmp_path):
    f = write(tmp_path / "a.json", json.dumps({"w": ["x1", "x2"], "x": "solo", "y": []}))
    a = reclite.read_item_attributes(f, name="keywords")
    assert a.items.tolist() == ["w", "x", "y"] and list(a.values) == ["keywords"]
    assert a.values["keywords"][1].tolist() == ["x1", "x2", "solo"]
    g = tmp_path / "b.json.gz"
    g.write_bytes(gzip.compress(json.dumps({"1": {"brand": ["Acme"], "tags": ["a", "b"]},
                                            "2": {"tags": ["b"]}}).encode()))
    b = reclite.read_item_attributes(g)
    assert b.items.tolist() == [1, 2] and sorted(b.values) == ["brand", "tags"]
    assert b.values["tags"][0].tolist() == [1, 1, 2]
    only = reclite.read_item_attributes(g, columns=["brand"])
    assert list(only.values) == ["brand"]


@pytest.mark.parametrize("name, text, kwargs, message", [
    ("e.csv", "", {}, "{f}: the file is empty; expected a header line naming the item column and the attribute "
                      "columns, then one row per item"),
    ("h.csv", "item,tags\n", {}, "{f}: holds only the header line 'item,tags'; expected rows after it"),
    ("c.csv", "item,tags\nw,a\n", {"columns": ["tags", "brand"]},
     "{f}: no column 'brand' (asked for columns=['tags', 'brand']); the file's columns are 'item', 'tags'"),
    ("i.csv", "id,tags\nw,a\n", {}, "{f}: no column 'item' (asked for item='item'); the file's columns are "
                                    "'id', 'tags'"),
    ("p.csv", "item,tags\nw,a\n", {"item": 5}, "{f}: no column at position 5 (asked for item=5); the file has 2 "
                                               "columns: 'item', 'tags'"),
    ("o.csv", "item\nw\nx\n", {}, "{f}: found only one column; expected an item column and at least one more "
                                  "(pass sep= for an unusual separator)"),
    ("v.csv", "item,tags\nw,\nx,\n", {}, "{f}: no attribute values: every cell of 'tags' is empty"),
    ("m.csv", "item,tags\nw,a\n ,b\n", {}, "{f}: line 3: column 'item' is empty; expected an item id"),
    ("e.json", "  ", {}, "{f}: the file is empty; expected a JSON object mapping each item id to a list of values "
                         "or to {{attribute: [values]}}"),
    ("l.json", "[1, 2]", {}, "{f}: expected a JSON object mapping each item id to a list of values or to "
                             "{{attribute: [values]}}, found a list"),
    ("b.json", '{"w": ["a"],\n "x": [1, [2]]}', {}, "{f}: item 'x': attribute 'tags' is [1, [2]]; expected a "
                                                    "list of values (strings or numbers)"),
    ("s.json", '{"w": ["a"],\n "x": ', {}, "{f}: line 2: not valid JSON: Expecting value"),
    ("z.json", "{}", {}, "{f}: the JSON object is empty; expected item ids mapped to their values"),
    ("n.json", '{"w": {"tags": ["a"]}}', {"columns": ["brand"]},
     "{f}: no attribute 'brand' (asked for columns=['brand']); the file's attributes are 'tags'"),
])
def test_bad_attribute_files_give_one_exact_error(tmp_path, name, text, kwargs, message):
    f = write(tmp_path / name, text)
    with pytest.raises(DataError) as err:
        reclite.read_item_attributes(f, **kwargs)
    assert str(err.value) == message.format(f=f)


def test_missing_attribute_file():
    with pytest.raises(FileNotFoundError, match="nope.csv: no such file"):
        reclite.read_item_attributes("nope.csv")


# ---------------------------------------------------------------------- attaching attributes
def test_with_item_attributes_matches_raw_ids_and_adds_cold_items(tiny, tmp_path):
    f = write(tmp_path / "a.csv", "item,tags\nx,funny|dark\nw,funny\nnew,scary\n")
    ds = tiny.with_item_attributes(reclite.read_item_attributes(f))
    assert ds.items.ids.tolist() == ["w", "x", "y", "z", "new"]  # known indices kept, the new item last
    assert ds.n_items == 5 and len(ds) == len(tiny) and ds.n_users == tiny.n_users
    tags = ds.attributes["tags"]
    assert tags.vocabulary.tolist() == ["dark", "funny", "scary"]
    assert [tags.labels_of(i) for i in range(5)] == [["funny"], ["dark", "funny"], [], [], ["scary"]]
    # the other side information gets an empty row for the new item
    assert ds.genres.matrix.shape == (5, 3) and ds.genres.labels_of(4) == []
    assert ds.genres.labels_of(1) == tiny.genres.labels_of(1)
    assert np.isnan(ds.years[4]) and ds.years[:4].tolist()[:3] == [1990.0, 2000.0, 2010.0]
    np.testing.assert_array_equal(ds.matrix()[:, :4].toarray(), tiny.matrix().toarray())
    assert ds.side_information == ["genres", "years", "tags"]
    assert ds.summary()["tags"] == 3
    # the tiny Dataset is unchanged
    assert tiny.attributes == {} and tiny.n_items == 4


def test_with_item_attributes_errors(tiny, tmp_path):
    f = write(tmp_path / "a.csv", "item,tags\nq,funny\nr,dark\n")
    with pytest.raises(DataError) as err:
        tiny.with_item_attributes(reclite.read_item_attributes(f))
    assert str(err.value) == (f"{f}: none of its 2 item ids (e.g. 'q', 'r') is an item of tiny (whose item ids "
                              "are e.g. 'w', 'x', 'y'); check the item column")
    g = write(tmp_path / "g.csv", "item,genres\nw,x\n")
    with pytest.raises(ParameterError, match="attribute 'genres' would hide the Dataset's own genres"):
        tiny.with_item_attributes(reclite.read_item_attributes(g))
    with pytest.raises(ParameterTypeError, match="read a file with reclite.read_item_attributes first"):
        tiny.with_item_attributes(str(g))


def test_attributes_travel_with_subset_split_combine_pickle_and_fingerprint(tiny, tmp_path):
    ds = tiny.with_item_attributes(reclite.read_item_attributes(write(tmp_path / "a.csv",
                                                                      "item,tags\nx,funny|dark\nw,funny\n")))
    part = ds.subset([0, 1])
    assert part.attributes["tags"] is ds.attributes["tags"]
    train, test = split.random_holdout(ds, 0.5, random_state=0)
    assert train.attributes["tags"] is ds.attributes["tags"]
    assert split.combine(train, test).attributes["tags"] is ds.attributes["tags"]
    again = pickle.loads(pickle.dumps(ds))
    assert again.fingerprint() == ds.fingerprint() and again.attributes["tags"].labels_of(1) == ["dark", "funny"]
    # attributes change the fingerprint; a Dataset without any keeps its old one
    assert ds.fingerprint() != tiny.with_item_attributes(reclite.read_item_attributes(
        write(tmp_path / "b.csv", "item,tags\nx,funny\nw,funny\n"))).fingerprint()
    assert tiny.with_item_attributes({}).fingerprint() == tiny.fingerprint()
    with pytest.raises(TypeError):
        ds.attributes["more"] = ds.attributes["tags"]  # type: ignore[index]


# ---------------------------------------------------------------------- item vectors
def test_read_item_vectors_npy_with_id_file_and_attach(tiny, tmp_path):
    V = np.arange(6, dtype=np.float64).reshape(3, 2)
    np.save(tmp_path / "v.npy", V)
    write(tmp_path / "ids.txt", "y\nw\nfresh\n")
    vec = reclite.read_item_vectors(tmp_path / "v.npy", ids=tmp_path / "ids.txt")
    assert isinstance(vec, ItemVectors) and vec.vectors.dtype == np.float32
    ds = tiny.with_item_vectors(vec)
    assert ds.items.ids.tolist() == ["w", "x", "y", "z", "fresh"]
    iv = ds.item_vectors
    assert iv.dtype == np.float32 and iv.shape == (5, 2)
    np.testing.assert_array_equal(iv[[2, 0, 4]], V)
    assert np.isnan(iv[[1, 3]]).all()
    assert ds.side_information[-1] == "item_vectors"
    assert ds.subset([0]).item_vectors is ds.item_vectors
    assert ds.fingerprint() != tiny.fingerprint()


def test_read_item_vectors_table(tmp_path):
    f = write(tmp_path / "v.csv", "item,d0,d1\n1,0.5,1\n2,-1,2e-3\n")
    vec = reclite.read_item_vectors(f)
    assert vec.ids.tolist() == [1, 2]
    np.testing.assert_allclose(vec.vectors, [[0.5, 1.0], [-1.0, 0.002]])


@pytest.mark.parametrize("setup, message", [
    (lambda p: (write(p / "v.csv", "item,d0,d1\n1,0.5,1\n2,x,2\n"), {}),
     "{f}: line 3: column 'd0' has 'x'; expected a number (a vector component)"),
    (lambda p: (write(p / "v.csv", "item,d0\n1,0.5\n2,\n"), {}),
     "{f}: line 3: column 'd0' is empty; expected a number (a vector component)"),
    (lambda p: (write(p / "v.csv", "item,d0\n1,0.5\n1,2\n"), {}),
     "{f}: item 1 has more than one vector; expected one row per item"),
    (lambda p: (write(p / "v.csv", ""), {}),
     "{f}: the file is empty; expected a header line naming the item column and the vector columns, then one row "
     "per item"),
    (lambda p: (write(p / "v.csv", "item,d0\n1,inf\n"), {}),
     "{f}: line 2: column 'd0' has 'inf'; expected a finite number"),
])
def test_bad_vector_tables(tmp_path, setup, message):
    f, kwargs = setup(tmp_path)
    with pytest.raises(DataError) as err:
        reclite.read_item_vectors(f, **kwargs)
    assert str(err.value) == message.format(f=f)


def test_bad_npy_vectors(tmp_path):
    np.save(tmp_path / "v.npy", np.ones((3, 2)))
    write(tmp_path / "ids.txt", "a\nb\n")
    with pytest.raises(DataError) as err:
        reclite.read_item_vectors(tmp_path / "v.npy", ids=tmp_path / "ids.txt")
    assert str(err.value) == (f"{tmp_path / 'v.npy'}: has 3 rows but {tmp_path / 'ids.txt'} lists 2 item ids; "
                              "expected one id per row")
    with pytest.raises(ParameterError, match=r"v.npy: a .npy file holds no item ids; pass ids="):
        reclite.read_item_vectors(tmp_path / "v.npy")
    bad = np.ones((2, 2))
    bad[1, 0] = np.nan
    np.save(tmp_path / "n.npy", bad)
    with pytest.raises(DataError) as err:
        reclite.read_item_vectors(tmp_path / "n.npy", ids=["a", "b"])
    assert str(err.value) == (f"{tmp_path / 'n.npy'}: row 2 (item 'b') holds a value that is not a finite number "
                              "(1 such rows in all)")
    np.save(tmp_path / "one.npy", np.ones(3))
    with pytest.raises(DataError, match=r"holds a float64 array of shape \(3,\); expected numbers of shape"):
        reclite.read_item_vectors(tmp_path / "one.npy", ids=["a", "b", "c"])


# ---------------------------------------------------------------------- readers
def test_lastfm_tags_from_both_files(tmp_path):
    write(tmp_path / "user_artists.dat", "userID\tartistID\tweight\n1\t51\t10\n1\t52\t3\n2\t51\t7\n")
    write(tmp_path / "artists.dat", "id\tname\turl\tpictureURL\n51\tDuran Duran\tu\tp\n52\tMorcheeba\tu\tp\n"
                                    "53\tEnigma\tu\tp\n")
    write(tmp_path / "tags.dat", "tagID\ttagValue\n1\tpop\n2\ttrip-hop\n3\tnew wave\n")
    write(tmp_path / "user_taggedartists.dat", "userID\tartistID\ttagID\tday\tmonth\tyear\n"
                                               "1\t51\t1\t1\t4\t2008\n2\t51\t3\t1\t4\t2008\n1\t51\t1\t1\t5\t2008\n"
                                               "1\t52\t2\t1\t4\t2008\n2\t53\t1\t1\t4\t2008\n")
    ds = reclite.read_dataset(tmp_path)
    tags = ds.attributes["tags"]
    idx = ds.items.to_index([51, 52, 53])
    assert [tags.labels_of(i) for i in idx] == [["new wave", "pop"], ["trip-hop"], ["pop"]]
    assert ds.titles[idx].tolist() == ["Duran Duran", "Morcheeba", "Enigma"]
    write(tmp_path / "user_taggedartists.dat", "userID\tartistID\ttagID\tday\tmonth\tyear\n1\t51\t9\t1\t4\t2008\n")
    with pytest.raises(DataError) as err:
        reclite.read_dataset(tmp_path)
    assert str(err.value) == f"{tmp_path / 'user_taggedartists.dat'}: line 2: tagID 9 is not in tags.dat"


def test_mlsmall_tags(mlsmall_path):
    ds = reclite.read_movielens(mlsmall_path)
    tags = ds.attributes["tags"]
    assert ds.n_items == 9742  # every tagged movie is in movies.csv
    assert tags.matrix.shape[1] == 1475  # 1,589 distinct tags as written; lower-cased and stripped: 1,475
    assert int((tags.matrix.getnnz(axis=1) > 0).sum()) == 1572
    assert tags.labels_of(ds.items.to_index([60756])[0]) == ["comedy", "funny", "highly quotable", "will ferrell"]
    assert ds.side_information == ["genres", "years", "titles", "tags"]
