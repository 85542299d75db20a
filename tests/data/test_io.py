"""Readers: layouts read right, and every kind of bad input gives one exact, readable error.

Line numbers in messages count the lines of the file, the header being line 1.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import lzma
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reclite import read_csv, read_dataset, read_movie_competition, read_movielens
from reclite.data import read_text_lines
from reclite.data._table import data_line_numbers
from reclite.errors import DataError, DataWarning, ParameterError


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def error_of(func, *args, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        func(*args, **kwargs)
    return str(info.value)


# ============================================================================ read_csv: layouts
def test_read_csv_named_columns(tmp_path):
    p = write(tmp_path, "ratings.csv", "userId,movieId,rating,timestamp\n1,10,4.0,100\n2,10,3.5,101\n1,11,5,99\n")
    ds = read_csv(p, user="userId", item="movieId", value="rating", time="timestamp")
    assert (ds.n_users, ds.n_items, len(ds)) == (2, 2, 3)
    assert ds.name == "ratings.csv"
    df = ds.to_frame().sort_values(["user", "item"]).reset_index(drop=True)
    assert df["user"].tolist() == [1, 1, 2]
    assert df["item"].tolist() == [10, 11, 10]
    assert df["value"].tolist() == [4.0, 5.0, 3.5]
    assert df["time"].tolist() == [100, 99, 101]


def test_read_csv_defaults_user_item_value_one(tmp_path):
    p = write(tmp_path, "x.csv", "user,item\na,b\nc,b\n")
    ds = read_csv(p)
    assert ds.values.tolist() == [1.0, 1.0]
    assert not ds.has_time
    assert ds.users.ids.tolist() == ["a", "c"]


@pytest.mark.parametrize("sep, name", [("\t", "x.tsv"), ("::", "x.dat"), ("|", "x.txt"), (";", "x.csv"),
                                       (",", "x.csv")])
def test_read_csv_sniffs_separator(tmp_path, sep, name):
    text = sep.join(["user", "item", "rating"]) + "\n" + sep.join(["1", "2", "3"]) + "\n" + \
        sep.join(["4", "5", "2.5"]) + "\n"
    ds = read_csv(write(tmp_path, name, text), value="rating")
    assert ds.to_frame()["value"].tolist() == [3.0, 2.5]


def test_read_csv_commas_inside_quotes_do_not_fool_the_sniffer(tmp_path):
    p = write(tmp_path, "m.csv", 'user,item,note\n1,2,"a, b, c"\n3,4,"d"\n')
    assert len(read_csv(p)) == 2


def test_read_csv_explicit_separator(tmp_path):
    p = write(tmp_path, "x.txt", "user~item\n1~2\n")
    assert len(read_csv(p, sep="~")) == 1


def test_read_csv_headerless_by_position(tmp_path):
    p = write(tmp_path, "u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n")
    ds = read_csv(p, user=0, item=1, value=2, time=3)
    assert ds.to_frame()["item"].tolist() == [302, 242]  # rows sorted by user index
    assert ds.times.tolist() == [891717742, 881250949]


def test_read_csv_headerless_with_names(tmp_path):
    p = write(tmp_path, "plays.tsv", "a\tx\t3\nb\ty\t4\n")
    ds = read_csv(p, names=["u", "artist", "plays"], user="u", item="artist", value="plays")
    assert ds.to_frame()["value"].tolist() == [3.0, 4.0]


def test_read_csv_crlf_bom_and_blank_lines(tmp_path):
    p = write(tmp_path, "x.csv", b"\xef\xbb\xbfuser,item\r\n1,2\r\n\r\n3,4\r\n\r\n")
    ds = read_csv(p)
    assert ds.users.ids.tolist() == [1, 3]


def test_read_csv_latin1_fallback(tmp_path):
    p = write(tmp_path, "x.csv", "user,item\nJos\xe9,2\n".encode("latin-1"))
    assert read_csv(p).users.ids.tolist() == ["José"]


def test_read_csv_gzip(tmp_path):
    p = tmp_path / "x.csv.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("user,item,value\n1,2,3\n")
    assert read_csv(p, value="value").values.tolist() == [3.0]


def test_read_csv_parquet(tmp_path):
    p = tmp_path / "x.parquet"
    pd.DataFrame({"u": ["a", "b"], "i": [1, 2], "r": [1.0, 2.0]}).to_parquet(p)
    ds = read_csv(p, user="u", item="i", value="r")
    assert ds.to_frame()["value"].tolist() == [1.0, 2.0]


def test_read_csv_iso_dates_become_unix_seconds(tmp_path):
    p = write(tmp_path, "x.csv", "user,item,time\n1,2,2024-01-01\n1,3,2024-01-02 10:00:00\n")
    assert read_csv(p, time="time").times.tolist() == [1704067200, 1704189600]


def test_read_csv_fractional_time_truncated(tmp_path):
    p = write(tmp_path, "x.csv", "user,item,time\n1,2,10.9\n1,3,11\n")
    assert read_csv(p, time="time").times.tolist() == [10, 11]


def test_read_csv_true_false_values(tmp_path):
    p = write(tmp_path, "x.csv", "user,item,liked\n1,2,True\n1,3,False\n")
    assert read_csv(p, value="liked").values.tolist() == [1.0, 0.0]


def test_read_csv_na_strings_are_ids_not_missing(tmp_path):
    p = write(tmp_path, "x.csv", "user,item\nNA,null\n")
    df = read_csv(p).to_frame()
    assert (df["user"][0], df["item"][0]) == ("NA", "null")


def test_read_csv_mixed_ids_become_text(tmp_path):
    p = write(tmp_path, "x.csv", "user,item\n1,2\nabc,2\n")
    assert read_csv(p).users.ids.tolist() == ["1", "abc"]


def test_read_csv_spaces_around_header_names(tmp_path):
    p = write(tmp_path, "x.csv", "user , item\n 1, 2\n")
    assert read_csv(p).to_frame()[["user", "item"]].values.tolist() == [[1, 2]]


# ============================================================================ duplicates
def test_duplicates_keep_latest_and_warn_naming_file(tmp_path):
    p = write(tmp_path, "d.csv", "user,item,value,time\n1,2,5,20\n1,2,3,10\n1,3,1,5\n")
    with pytest.warns(DataWarning) as rec:
        ds = read_csv(p, value="value", time="time")
    assert str(rec[0].message) == (f"{p}: 1 duplicate (user, item) pairs merged, keeping the latest "
                                   "interaction of each")
    assert rec[0].filename == __file__  # the warning points at the caller, not inside reclite
    assert ds.duplicates_merged == 1
    df = ds.to_frame().set_index("item")
    assert df.loc[2, "value"] == 5.0 and df.loc[2, "time"] == 20


def test_duplicates_without_time_keep_last_row(tmp_path):
    p = write(tmp_path, "d.csv", "user,item,value\n1,2,5\n1,2,3\n")
    with pytest.warns(DataWarning):
        ds = read_csv(p, value="value")
    assert ds.values.tolist() == [3.0]


def test_no_warning_without_duplicates(tmp_path):
    p = write(tmp_path, "d.csv", "user,item\n1,2\n1,3\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_csv(p)


# ============================================================================ bad input: exact messages
def test_missing_file():
    with pytest.raises(FileNotFoundError) as info:
        read_csv("no/such/ratings.csv")
    assert str(info.value) == "no/such/ratings.csv: no such file or folder"


def test_missing_file_read_dataset_and_movielens():
    for func in (read_dataset, read_movielens, read_movie_competition):
        with pytest.raises(FileNotFoundError, match=r"^nowhere: no such file or folder$"):
            func("nowhere")


def test_empty_file(tmp_path):
    p = write(tmp_path, "ratings.csv", "")
    assert error_of(read_csv, p) == (f"{p}: the file is empty; expected a header line and rows of "
                                     "user, item (and optionally value and time)")


def test_blank_lines_only_is_empty(tmp_path):
    p = write(tmp_path, "ratings.csv", "\n \n\n")
    assert error_of(read_csv, p).startswith(f"{p}: the file is empty;")


def test_header_only(tmp_path):
    p = write(tmp_path, "ratings.csv", "user,item\n")
    assert error_of(read_csv, p) == f"{p}: no data rows after the header line"


def test_none_of_the_expected_columns(tmp_path):
    p = write(tmp_path, "ratings.csv", "userId,movieId,rating,timestamp\n1,2,3,4\n")
    assert error_of(read_csv, p) == (
        f"{p}: no columns 'user', 'item' (asked for user='user', item='item'); the file's columns are "
        "'userId', 'movieId', 'rating', 'timestamp'. Pass user=, item= (and value=, time=) naming "
        "columns of the file, or 0-based positions.")


def test_missing_column_case_hint(tmp_path):
    p = write(tmp_path, "plays.tsv", "userID\tartistID\tweight\n1\t2\t3\n")
    assert error_of(read_csv, p, user="userid", item="artistID", value="Weight") == (
        f"{p}: no columns 'userid', 'Weight' (asked for user='userid', value='Weight'); the file's "
        "columns are 'userID', 'artistID', 'weight'. Did you mean user='userID', value='weight'?")


def test_position_out_of_range(tmp_path):
    p = write(tmp_path, "x.csv", "a,b\n1,2\n")
    assert error_of(read_csv, p, user=0, item=5) == f"{p}: item=5 but the file has 2 columns (positions 0..1)"


def test_same_column_twice(tmp_path):
    p = write(tmp_path, "x.csv", "a,b\n1,2\n")
    assert error_of(read_csv, p, user="a", item="a") == (
        f"{p}: user and item are the same column (column 'a'); give each its own column")


def test_headerless_file_asked_by_name(tmp_path):
    p = write(tmp_path, "u.data", "196\t242\t3\n186\t302\t3\n")
    assert error_of(read_csv, p) == (
        f"{p}: no column 'user': the file has no header line (its first line, '196\\t242\\t3', is "
        "data); pick columns by position (user=0, ...) or name them with names=[...]")


def test_names_of_wrong_length(tmp_path):
    p = write(tmp_path, "x.csv", "1,2,3\n4,5,6\n")
    assert error_of(read_csv, p, names=["u", "i"], user="u", item="i") == (
        f"{p}: names has 2 names ('u', 'i') but the file has 3 columns (comma-separated)")


def test_one_column(tmp_path):
    p = write(tmp_path, "x.csv", "user\n1\n2\n")
    assert error_of(read_csv, p) == (
        f"{p}: found only one column; expected at least a user and an item column separated by "
        "'::', tab, comma, '|', ';' (pass sep= for another separator)")


def test_non_numeric_rating(tmp_path):
    p = write(tmp_path, "ratings.csv", "userId,movieId,rating\n1,2,4.0\n1,3,abc\n")
    assert error_of(read_csv, p, user="userId", item="movieId", value="rating") == (
        f"{p}: line 3: column 'rating' has 'abc'; expected a number")


def test_non_numeric_rating_counts_all_bad_rows(tmp_path):
    p = write(tmp_path, "ratings.csv", "user,item,rating\n1,2,x\n1,3,4\n2,3,y\n")
    assert error_of(read_csv, p, value="rating") == (
        f"{p}: line 2: column 'rating' has 'x'; expected a number (2 such rows in all)")


def test_non_numeric_timestamp(tmp_path):
    p = write(tmp_path, "ratings.csv", "user,item,timestamp\n1,2,100\n1,3,yesterday\n")
    assert error_of(read_csv, p, time="timestamp") == (
        f"{p}: line 3: column 'timestamp' has 'yesterday'; expected a number")


def test_bad_date_in_a_date_column(tmp_path):
    p = write(tmp_path, "x.csv", "user,item,time\n1,2,2024-01-01\n1,3,someday\n")
    assert error_of(read_csv, p, time="time") == (
        f"{p}: line 3: column 'time' has 'someday'; expected a date such as 2024-01-31 12:00:00 "
        "(as the column's first value)")


def test_empty_timestamp(tmp_path):
    p = write(tmp_path, "x.csv", "user,item,time\n1,2,5\n1,3,\n")
    assert error_of(read_csv, p, time="time") == f"{p}: line 3: column 'time' is empty; expected a number"


def test_empty_user_id(tmp_path):
    p = write(tmp_path, "ratings.csv", "user,item\n1,2\n,3\n")
    assert error_of(read_csv, p) == f"{p}: line 3: column 'user' is empty; expected a user id"


def test_blank_item_id(tmp_path):
    p = write(tmp_path, "ratings.csv", "user,item\na,b\nc,   \nd,\n")
    assert error_of(read_csv, p) == (
        f"{p}: line 3: column 'item' is empty; expected an item id (2 such rows in all)")


def test_empty_value(tmp_path):
    p = write(tmp_path, "x.csv", "user,item,value\n1,2,1\n1,3,\n")
    assert error_of(read_csv, p, value="value") == f"{p}: line 3: column 'value' is empty; expected a number"


def test_nan_value(tmp_path):
    p = write(tmp_path, "x.csv", "user,item,value\n1,2,1\n1,3,nan\n")
    assert error_of(read_csv, p, value="value") == f"{p}: line 3: column 'value' has 'nan'; expected a number"


def test_infinite_value(tmp_path):
    p = write(tmp_path, "x.csv", "user,item,value\n1,2,1\n1,3,inf\n")
    assert error_of(read_csv, p, value="value") == (
        f"{p}: line 3: column 'value' has 'inf'; expected a finite number")


def test_negative_value(tmp_path):
    p = write(tmp_path, "x.csv", "user,item,value\n1,2,1\n1,3,-2\n")
    assert error_of(read_csv, p, value="value") == f"{p}: line 3: column 'value' has '-2'; expected a number >= 0"


def test_negative_timestamp_is_fine(tmp_path):
    p = write(tmp_path, "x.csv", "user,item,time\n1,2,-5\n")
    assert read_csv(p, time="time").times.tolist() == [-5]


def test_earliest_row_wins_across_columns(tmp_path):
    p = write(tmp_path, "x.csv", "user,item,value\n1,2,1\n1,3,bad\n,4,1\n")
    assert error_of(read_csv, p, value="value") == f"{p}: line 3: column 'value' has 'bad'; expected a number"


def test_headerless_error_names_column_position(tmp_path):
    p = write(tmp_path, "r.dat", "1::10::5::100\n2::11::q::101\n")
    assert error_of(read_csv, p, user=0, item=1, value=2, time=3) == (
        f"{p}: line 2: column 2 has 'q'; expected a number")


def test_line_numbers_count_blank_lines(tmp_path):
    p = write(tmp_path, "x.csv", "user,item,value\n1,2,3\n\n\n4,5,x\n")
    assert error_of(read_csv, p, value="value") == f"{p}: line 5: column 'value' has 'x'; expected a number"


def test_line_numbers_with_crlf(tmp_path):
    p = write(tmp_path, "x.csv", b"user,item,value\r\n1,2,3\r\n\r\n4,5,x\r\n")
    assert error_of(read_csv, p, value="value") == f"{p}: line 4: column 'value' has 'x'; expected a number"


def test_line_number_late_in_a_large_file(tmp_path):
    rows = "".join(f"{i},{i % 7},1\n" for i in range(50_000))
    p = write(tmp_path, "big.csv", "user,item,value\n" + rows + "5,5,oops\n")
    assert error_of(read_csv, p, value="value") == (
        f"{p}: line 50002: column 'value' has 'oops'; expected a number")


def test_too_many_fields(tmp_path):
    p = write(tmp_path, "x.csv", "user,item\n1,2\n3,4,5\n")
    assert error_of(read_csv, p) == (
        f"{p}: line 3: found 3 fields (comma-separated); expected 2, as the header line names 2 columns")


def test_too_many_fields_on_first_data_line(tmp_path):
    p = write(tmp_path, "x.csv", "user,item\n1,2,9\n3,4\n")
    assert error_of(read_csv, p) == f"{p}: line 2: found 3 fields but the header line (line 1) names 2 columns"


def test_too_few_fields_is_an_empty_cell(tmp_path):
    p = write(tmp_path, "x.csv", "user,item,value\n1,2,3\n4,5\n")
    assert error_of(read_csv, p, value="value") == f"{p}: line 3: column 'value' is empty; expected a number"


def test_unclosed_quote(tmp_path):
    p = write(tmp_path, "x.csv", 'user,item\n1,2\n3,"abc\n')
    assert error_of(read_csv, p) == (
        f"{p}: line 3: a quoted field is never closed (a '\"' without its partner); "
        "expected comma-separated fields")


def test_folder_given_to_read_csv(tmp_path):
    assert error_of(read_csv, tmp_path) == (
        f"{tmp_path}: is a folder; expected a file (read_dataset reads dataset folders)")


def test_parquet_errors_count_rows(tmp_path):
    p = tmp_path / "x.parquet"
    pd.DataFrame({"user": [1.0, 2.0, None], "item": ["a", "b", "c"]}).to_parquet(p)
    assert error_of(read_csv, p) == f"{p}: row 3: column 'user' is empty; expected a user id"


def test_parquet_negative_value(tmp_path):
    p = tmp_path / "x.parquet"
    pd.DataFrame({"user": [1, 2], "item": [1, 2], "r": [1.0, -1.0]}).to_parquet(p)
    assert error_of(read_csv, p, value="r") == f"{p}: row 2: column 'r' has '-1'; expected a number >= 0"


def test_not_a_parquet_file(tmp_path):
    p = write(tmp_path, "x.parquet", "hello")
    assert error_of(read_csv, p).startswith(f"{p}: cannot read the file as parquet: ")


def test_bad_column_spec_type(tmp_path):
    p = write(tmp_path, "x.csv", "user,item\n1,2\n")
    with pytest.raises(TypeError, match="user must be a column name or a 0-based position"):
        read_csv(p, user=1.5)


# ============================================================================ MovieLens layouts (built here)
GENRE_TEXT = "unknown|0\nAction|1\nComedy|2\n\n"


def ml100k_folder(root: Path, *, data: str | None = None, item: str | None = None) -> Path:
    folder = root / "ml-100k"
    write(folder, "u.data", data if data is not None else "1\t1\t5\t881250949\n1\t2\t3\t881250950\n"
                                                         "2\t1\t4\t881250951\n")
    write(folder, "u.genre", GENRE_TEXT)
    item_text = item if item is not None else (
        "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|1\n"
        "2|GoldenEye (1995)|01-Jan-1995||http://x|0|1|1\n"
        "3|Caf\xe9 Noir|01-Jan-1993||http://x|0|1|0\n"  # no ratings, no year in the title
        "4|unknown|||http://x|1|0|0\n")
    write(folder, "u.item", item_text.encode("latin-1"))
    return folder


def test_ml100k_layout(tmp_path):
    ds = read_movielens(ml100k_folder(tmp_path))
    assert ds.name == "ml-100k"
    assert (ds.n_users, ds.n_items, len(ds)) == (2, 4, 3)  # items 3 and 4 have no ratings: kept
    assert ds.genres.vocabulary.tolist() == ["unknown", "Action", "Comedy"]  # u.genre order
    assert ds.genres.matrix.toarray().tolist() == [[0, 0, 1], [0, 1, 1], [0, 1, 0], [1, 0, 0]]
    assert ds.titles.tolist() == ["Toy Story (1995)", "GoldenEye (1995)", "Café Noir", "unknown"]
    np.testing.assert_array_equal(ds.years, [1995.0, 1995.0, 1993.0, np.nan])  # title, else release date
    assert ds.values.tolist() == [5.0, 3.0, 4.0]
    assert ds.times.tolist() == [881250949, 881250950, 881250951]


def test_ml100k_bad_rating(tmp_path):
    folder = ml100k_folder(tmp_path, data="1\t1\t5\t881250949\n1\t2\tfive\t881250950\n")
    assert error_of(read_movielens, folder) == (
        f"{folder / 'u.data'}: line 2: column 'rating' has 'five'; expected a number")


def test_ml100k_wrong_number_of_genre_columns(tmp_path):
    folder = ml100k_folder(tmp_path, item="1|Toy Story (1995)|01-Jan-1995||http://x|0|1\n")
    assert error_of(read_movielens, folder) == (
        f"{folder / 'u.item'}: found 7 '|'-separated columns; expected 8: item, title, release date, "
        "video release date, IMDb URL and the 3 genre flags named in u.genre")


def test_ml100k_genre_flag_not_0_or_1(tmp_path):
    folder = ml100k_folder(tmp_path, item="1|Toy Story (1995)|01-Jan-1995||http://x|0|2|1\n")
    assert error_of(read_movielens, folder) == (
        f"{folder / 'u.item'}: line 1: column 'Action' has '2'; expected 0 or 1")


def test_ml100k_without_item_file(tmp_path):
    folder = ml100k_folder(tmp_path)
    (folder / "u.item").unlink()
    ds = read_movielens(folder)
    assert ds.side_information == [] and ds.n_items == 2


def ml1m_folder(root: Path) -> Path:
    folder = root / "ml-1m"
    write(folder, "ratings.dat", "1::1::5::978300760\n1::2::3::978302109\n2::1::4::978301968\n")
    write(folder, "movies.dat", (
        "1::Toy Story (1995)::Animation|Children's|Comedy\n"
        '2::"Great Performances" Cats (1998)::Musical\n'
        "3::Star Wars: Episode IV - A New Hope (1977)::Action|Sci-Fi\n"
        "4::Caf\xe9 Society::(no genres listed)\n").encode("latin-1"))
    return folder


def test_ml1m_layout(tmp_path):
    ds = read_dataset(ml1m_folder(tmp_path))
    assert ds.name == "ml-1m"
    assert (ds.n_users, ds.n_items, len(ds)) == (2, 4, 3)
    assert ds.titles.tolist() == ["Toy Story (1995)", '"Great Performances" Cats (1998)',
                                  "Star Wars: Episode IV - A New Hope (1977)", "Café Society"]
    np.testing.assert_array_equal(ds.years, [1995.0, 1998.0, 1977.0, np.nan])
    assert ds.genres.vocabulary.tolist() == ["Action", "Animation", "Children's", "Comedy", "Musical",
                                             "Sci-Fi"]  # sorted
    assert ds.genres.labels_of(0) == ["Animation", "Children's", "Comedy"]
    assert ds.genres.labels_of(3) == []  # (no genres listed)


def test_ml1m_bad_timestamp(tmp_path):
    folder = ml1m_folder(tmp_path)
    write(folder, "ratings.dat", "1::1::5::978300760\n1::2::3::\n")
    assert error_of(read_movielens, folder) == (
        f"{folder / 'ratings.dat'}: line 2: column 'timestamp' is empty; expected a number")


def mlcsv_folder(root: Path) -> Path:
    folder = root / "ml-latest-small"
    write(folder, "ratings.csv", b"userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n"
                                 b"1,3,4.5,964981247\r\n2,1,0.5,964982224\r\n")
    write(folder, "movies.csv", ("movieId,title,genres\r\n1,Toy Story (1995),Adventure|Animation\r\n"
                                 '3,"Misérables, Les (1995)",Drama|War\r\n'
                                 "7,Babylon 5,(no genres listed)\r\n"
                                 "8,Show (2007-2013),Comedy\r\n").encode())
    return folder


def test_movielens_csv_layout(tmp_path):
    ds = read_movielens(mlcsv_folder(tmp_path))
    assert ds.name == "ml-latest-small"
    assert (ds.n_users, ds.n_items, len(ds)) == (2, 4, 3)
    assert ds.items.ids.tolist() == [1, 3, 7, 8]
    assert ds.titles.tolist() == ["Toy Story (1995)", "Misérables, Les (1995)", "Babylon 5", "Show (2007-2013)"]
    np.testing.assert_array_equal(ds.years, [1995.0, 1995.0, np.nan, 2007.0])
    assert ds.genres.vocabulary.tolist() == ["Adventure", "Animation", "Comedy", "Drama", "War"]
    assert ds.genres.labels_of(2) == []
    assert sorted(ds.to_frame()["value"].tolist()) == [0.5, 4.0, 4.5]


def test_movielens_csv_empty_movie_id(tmp_path):
    folder = mlcsv_folder(tmp_path)
    write(folder, "movies.csv", "movieId,title,genres\n1,Toy Story (1995),Comedy\n,Nameless,Drama\n")
    assert error_of(read_movielens, folder) == (
        f"{folder / 'movies.csv'}: line 3: column 'movieId' is empty; expected an item id")


def test_movielens_csv_ratings_with_other_header(tmp_path):
    folder = mlcsv_folder(tmp_path)
    write(folder, "ratings.csv", "user_id,item_id,rating,timestamp\n1,1,4,5\n")
    msg = error_of(read_movielens, folder)
    assert msg.startswith(f"{folder / 'ratings.csv'}: no columns 'userId', 'movieId' (asked for "
                          "user='userId', item='movieId'); the file's columns are 'user_id', 'item_id', ")


def test_read_movielens_on_other_folder(tmp_path):
    write(tmp_path, "notes.txt", "hi")
    assert error_of(read_movielens, tmp_path) == (
        f"{tmp_path}: not a MovieLens folder; looked for u.data (ml-100k), ratings.dat (ml-1m, ml-10m) "
        "and ratings.csv (ml-20m, ml-25m, ml-latest); found notes.txt")


def test_read_movielens_accepts_the_ratings_file(tmp_path):
    folder = mlcsv_folder(tmp_path)
    assert read_movielens(folder / "ratings.csv").n_items == 4


# ============================================================================ the movie competition
def competition_folder(root: Path) -> Path:
    folder = root / "contest"
    write(folder, "train_ratings.csv", "user,item,time\n1,10,100\n1,11,101\n2,10,102\n")
    write(folder, "genres.tsv", "item\tgenre\n10\tDrama\n10\tComedy\n12\tHorror\n13\t\n")
    write(folder, "years.tsv", "movie\tyear\n10\t1995\n11\t\n12\t2001\n")
    write(folder, "directors.tsv", "item\tdirector\n10\tAlice\n11\tBob\n14\tAlice\n")
    write(folder, "writers.tsv", "item\twriter\n10\tCarol\n10\tDan\n")
    write(folder, "titles.tsv", "item\ttitle\n10\tTen\n11\tEleven\n")
    return folder


def test_competition_layout(tmp_path):
    ds = read_movie_competition(competition_folder(tmp_path))
    assert ds.name == "contest"
    assert ds.items.ids.tolist() == [10, 11, 12, 13, 14]  # 12, 13, 14 only in side files: kept
    assert (ds.n_users, len(ds)) == (2, 3)
    assert ds.values.tolist() == [1.0, 1.0, 1.0]
    assert ds.times.tolist() == [100, 101, 102]
    assert ds.genres.vocabulary.tolist() == ["Comedy", "Drama", "Horror"]
    assert ds.genres.labels_of(0) == ["Comedy", "Drama"]
    assert ds.genres.labels_of(3) == []  # empty genre cell: skipped
    np.testing.assert_array_equal(ds.years, [1995.0, np.nan, 2001.0, np.nan, np.nan])
    assert ds.titles.tolist() == ["Ten", "Eleven", "", "", ""]
    assert sorted(ds.people) == ["directors", "writers"]
    assert ds.people["directors"].labels_of(4) == ["Alice"]
    assert ds.people["writers"].labels_of(0) == ["Carol", "Dan"]
    assert ds.side_information == ["genres", "years", "directors", "writers", "titles"]


def test_competition_only_ratings(tmp_path):
    folder = tmp_path / "c"
    write(folder, "train_ratings.csv", "user,item,time\n1,10,100\n")
    ds = read_dataset(folder)
    assert ds.side_information == [] and len(ds) == 1


def test_competition_bad_year(tmp_path):
    folder = competition_folder(tmp_path)
    write(folder, "years.tsv", "item\tyear\n10\t1995\n11\tsoon\n")
    assert error_of(read_movie_competition, folder) == (
        f"{folder / 'years.tsv'}: line 3: column 'year' has 'soon'; expected a year (a number)")


def test_competition_side_file_not_tab_separated(tmp_path):
    folder = competition_folder(tmp_path)
    write(folder, "genres.tsv", "item,genre\n10,Drama\n")
    assert error_of(read_movie_competition, folder) == (
        f"{folder / 'genres.tsv'}: found 1 column ('item,genre'); expected 2 tab-separated columns "
        "with a header line: item, then the attribute")


def test_competition_empty_item_in_side_file(tmp_path):
    folder = competition_folder(tmp_path)
    write(folder, "directors.tsv", "item\tdirector\n10\tAlice\n\tBob\n")
    assert error_of(read_movie_competition, folder) == (
        f"{folder / 'directors.tsv'}: line 3: column 'item' is empty; expected an item id")


def test_competition_missing_train_file(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        read_movie_competition(tmp_path)
    assert str(info.value) == (f"{tmp_path / 'train_ratings.csv'}: no such file (a movie-competition "
                               "folder holds train_ratings.csv)")


# ============================================================================ read_dataset detection
def test_read_dataset_detects_each_layout(tmp_path):
    assert read_dataset(ml100k_folder(tmp_path)).name == "ml-100k"
    assert read_dataset(ml1m_folder(tmp_path)).name == "ml-1m"
    assert read_dataset(mlcsv_folder(tmp_path)).name == "ml-latest-small"
    assert read_dataset(competition_folder(tmp_path)).people


@pytest.mark.parametrize("header, expect", [
    ("userID\tartistID\tweight", ("weight", None)),
    ("user_id,item_id,rating,timestamp", ("rating", "timestamp")),
    ("UserId;MovieId;Score;Date", ("score", "date")),
    ("customer,product,count", ("count", None)),
])
def test_read_dataset_single_file_recognises_columns(tmp_path, header, expect):
    sep = "\t" if "\t" in header else ";" if ";" in header else ","
    n = header.count(sep) + 1
    row = sep.join(["1", "2", "3", "2024-01-02"][:n] if "Date" in header else ["1", "2", "3", "4"][:n])
    p = write(tmp_path, "f.txt", header + "\n" + row + "\n")
    ds = read_dataset(p)
    assert len(ds) == 1 and ds.values.tolist() == [3.0]
    assert ds.has_time == (expect[1] is not None)


def test_read_dataset_headerless_file_by_position(tmp_path):
    p = write(tmp_path, "u.data", "196\t242\t3\t881250949\n")
    ds = read_dataset(p)
    assert ds.values.tolist() == [3.0] and ds.times.tolist() == [881250949]


def test_read_dataset_headerless_errors_use_role_names(tmp_path):
    p = write(tmp_path, "u.data", "196\t242\t3\n196\t243\tx\n")
    assert error_of(read_dataset, p) == f"{p}: line 2: column 'value' has 'x'; expected a number"


def test_read_dataset_unrecognised_columns(tmp_path):
    p = write(tmp_path, "x.csv", "a,b,c\n1,2,3\n")
    assert error_of(read_dataset, p) == (
        f"{p}: cannot tell which columns hold users and items; the file's columns are 'a', 'b', 'c'; "
        "expected a user column (named like user, userId, user_id) and an item column (named like "
        "item, itemId, item_id, movieId, artistID). Name them with read_csv(path, user=..., item=..., "
        "value=..., time=...)")


def test_read_dataset_unknown_folder_lists_what_was_looked_for(tmp_path):
    write(tmp_path, "a.csv", "x")
    write(tmp_path, "notes.txt", "x")
    assert error_of(read_dataset, tmp_path) == (
        f"{tmp_path}: no dataset layout recognised; looked for u.data (MovieLens 100K), ratings.dat "
        "(MovieLens 1M/10M), ratings.csv (MovieLens 20M/25M/latest), train_ratings.csv (movie "
        "competition) and user_artists.dat (HetRec Last.fm); found a.csv, notes.txt. Pass a single "
        "ratings file instead, or use read_csv")


def test_read_dataset_empty_folder(tmp_path):
    assert error_of(read_dataset, tmp_path).endswith("found nothing (the folder is empty). Pass a single "
                                                     "ratings file instead, or use read_csv")


def test_read_dataset_lastfm_folder(tmp_path):
    folder = tmp_path / "lastfm"
    write(folder, "user_artists.dat", b"userID\tartistID\tweight\r\n2\t51\t13883\r\n2\t52\t11690\r\n")
    write(folder, "artists.dat", "id\tname\turl\tpictureURL\n51\tDuran Duran\thttp://a\thttp://b\n"
                                 "52\tMorcheeba\thttp://a\thttp://b\n53\tAir\thttp://a\thttp://b\n")
    ds = read_dataset(folder)
    assert ds.name == "lastfm"
    assert ds.titles.tolist() == ["Duran Duran", "Morcheeba", "Air"]
    assert ds.n_items == 3 and len(ds) == 2


# ============================================================================ compressed files
def _ratings_text(n: int = 30_000) -> bytes:
    """A header and n rows: more than the 256 KiB the sniffer reads, so a cut late in the file
    is met by the full read, not by the sniffer."""
    return ("user,item,rating\n" + "".join(f"{k},{k % 97},{k % 5}\n" for k in range(n))).encode()


COMPRESS = {
    ".gz": ("gzip", gzip.compress),
    ".bz2": ("bzip2", bz2.compress),
    ".xz": ("xz", lzma.compress),
    ".lzma": ("lzma", lambda b: lzma.compress(b, format=lzma.FORMAT_ALONE)),
}


@pytest.mark.parametrize("suffix", list(COMPRESS))
def test_compressed_files_read(tmp_path, suffix):
    p = write(tmp_path, "r.csv" + suffix, COMPRESS[suffix][1](b"user,item,rating\n1,2,3\n4,5,2.5\n"))
    assert read_csv(p, value="rating").to_frame()["value"].tolist() == [3.0, 2.5]
    assert read_text_lines(p) == ["user,item,rating", "1,2,3", "4,5,2.5"]


@pytest.mark.parametrize("suffix", list(COMPRESS))
@pytest.mark.parametrize("cut", ["early", "late"])  # met by the sniffer / by the full read
def test_truncated_archive_is_one_data_error(tmp_path, suffix, cut):
    kind, compress = COMPRESS[suffix]
    packed = compress(_ratings_text())
    p = write(tmp_path, "r.csv" + suffix, packed[:40] if cut == "early" else packed[: len(packed) * 9 // 10])
    expected = (f"{p}: truncated {kind} archive: it ends before its end-of-stream marker "
                "(was a download or a copy cut short?)")
    assert error_of(read_csv, p, value="rating") == expected
    assert error_of(read_dataset, p) == expected
    assert error_of(read_text_lines, p) == expected
    assert error_of(data_line_numbers, p, 1, ",") == expected  # the line-number pass


@pytest.mark.parametrize("suffix", list(COMPRESS))
def test_plain_text_named_as_archive(tmp_path, suffix):
    kind = COMPRESS[suffix][0]
    p = write(tmp_path, "x.csv" + suffix, "user,item\n1,2\n")
    article = "an" if kind in ("xz", "lzma") else "a"
    expected = (f"{p}: not {article} {kind} file (it looks like plain text), though its name ends in "
                f"{suffix}; rename it without {suffix}, or compress it with {kind}")
    assert error_of(read_csv, p) == expected
    assert error_of(read_dataset, p) == expected
    assert error_of(read_text_lines, p) == expected


def test_random_bytes_named_gz(tmp_path):
    p = write(tmp_path, "x.gz", bytes(range(200, 256)) * 3)
    assert error_of(read_csv, p) == (f"{p}: not a gzip file (it starts with bytes c8 c9 ca cb cc cd ce cf), "
                                     "though its name ends in .gz; rename it without .gz, or compress it "
                                     "with gzip")


def test_archive_of_another_kind(tmp_path):
    p = write(tmp_path, "x.csv.gz", bz2.compress(b"user,item\n1,2\n"))
    assert error_of(read_csv, p) == f"{p}: not a gzip file but a bzip2 archive; rename it to end in .bz2"


def test_archive_without_its_suffix(tmp_path):
    p = write(tmp_path, "x.csv", gzip.compress(b"user,item\n1,2\n"))
    assert error_of(read_csv, p) == (f"{p}: is a gzip archive, but its name does not end in .gz; rename it "
                                     "so (reclite picks the decompressor by the suffix: .gz, .bz2, .xz, "
                                     ".lzma)")


def test_corrupt_gzip_data(tmp_path):
    packed = bytearray(gzip.compress(b"user,item\n" + b"1,2\n" * 50))
    packed[-6] ^= 0xFF  # a byte of the CRC
    p = write(tmp_path, "x.csv.gz", bytes(packed))
    msg = error_of(read_csv, p)
    assert msg.startswith(f"{p}: corrupt gzip archive (CRC check failed") and msg.endswith("the file is damaged")


# ============================================================================ encodings
TEXT = "user,item,rating\nJosé,Café,4\nZoë,naïve €,2.5\n"


@pytest.mark.parametrize("encoded", [
    TEXT.encode("utf-16"),  # little-endian with its byte-order mark
    codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
    TEXT.encode("utf-32"),
    codecs.BOM_UTF32_BE + TEXT.encode("utf-32-be"),
    TEXT.encode("utf-8-sig"),
    gzip.compress(TEXT.encode("utf-16")),
], ids=["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "utf-8-sig", "utf-16-gz"])
def test_unicode_with_bom_reads_as_its_utf8_twin(tmp_path, encoded):
    twin = read_csv(write(tmp_path, "twin.csv", TEXT.encode("utf-8")), value="rating")
    name = "x.csv.gz" if encoded[:2] == b"\x1f\x8b" else "x.csv"
    ds = read_csv(write(tmp_path, name, encoded), value="rating")
    assert ds.users.ids.tolist() == ["José", "Zoë"] and ds.items.ids.tolist() == ["Café", "naïve €"]
    assert ds.fingerprint() == twin.fingerprint()
    assert read_dataset(tmp_path / name).fingerprint() == twin.fingerprint()
    assert read_text_lines(tmp_path / name) == TEXT.splitlines()


@pytest.mark.parametrize("enc, name", [("utf-16-le", "UTF-16-LE"), ("utf-16-be", "UTF-16-BE"),
                                       ("utf-32-le", "UTF-32-LE")])
def test_utf16_without_bom_is_refused_naming_it(tmp_path, enc, name):
    p = write(tmp_path, "x.csv", TEXT.encode(enc))
    expected = (f"{p}: looks like {name} text without a byte-order mark (NUL bytes in the places that "
                f"encoding puts them); pass encoding={enc!r} to read_csv, or save the file as UTF-8")
    assert error_of(read_csv, p) == expected
    assert error_of(read_dataset, p) == expected
    assert error_of(read_text_lines, p) == expected
    # ...and read once the encoding is named
    assert read_csv(p, value="rating", encoding=enc).items.ids.tolist() == ["Café", "naïve €"]
    assert read_text_lines(p, encoding=enc) == TEXT.splitlines()


def test_cp1252_and_latin1_fallbacks(tmp_path):
    cp = read_csv(write(tmp_path, "cp.csv", TEXT.encode("cp1252")), value="rating")
    assert cp.items.ids.tolist() == ["Café", "naïve €"]  # '€' is byte 0x80 in Windows-1252
    latin = write(tmp_path, "l.csv", "user,item\nJosé,\x81x\n".encode("latin-1"))  # 0x81: no cp1252 char
    assert read_csv(latin).items.ids.tolist() == ["\x81x"]


def test_latin1_users_file_reads(tmp_path):
    p = write(tmp_path, "users.txt", "José\nZoë\n".encode("latin-1"))
    assert read_text_lines(p) == ["José", "Zoë"]


def test_utf16_errors_give_file_lines(tmp_path):
    p = write(tmp_path, "x.csv", "user,item,rating\n1,2,3\n1,3,abc\n".encode("utf-16"))
    assert error_of(read_csv, p, value="rating") == f"{p}: line 3: column 'rating' has 'abc'; expected a number"


def test_utf16_with_a_multi_character_separator(tmp_path):
    p = write(tmp_path, "ratings.dat", "1::10::5\n2::20::3\n".encode("utf-16"))
    assert read_csv(p, user=0, item=1, value=2).values.tolist() == [5.0, 3.0]


def test_named_encoding_that_does_not_fit(tmp_path):
    p = write(tmp_path, "x.csv", "user,item\n1,2\nJosé,3\n".encode("latin-1"))
    assert error_of(read_csv, p, encoding="utf-8") == (
        f"{p}: line 3: cannot read bytes e9 as utf-8 (invalid continuation byte); pass the file's encoding "
        "with encoding= (for example 'utf-8', 'cp1252' or 'latin-1')")


def test_named_ascii_encoding_on_a_utf16_file(tmp_path):
    p = write(tmp_path, "x.csv", TEXT.encode("utf-16"))
    assert error_of(read_csv, p, encoding="utf-8") == (
        f"{p}: is UTF-16-LE text (it starts with a UTF-16-LE byte-order mark), not utf-8; pass "
        "encoding='utf-16', or leave encoding unset to have it recognised")


def test_unknown_encoding_is_a_parameter_error(tmp_path):
    p = write(tmp_path, "x.csv", "user,item\n1,2\n")
    with pytest.raises(ParameterError, match="encoding='utf-99' is not an encoding Python knows"):
        read_csv(p, encoding="utf-99")


def test_binary_file_is_refused(tmp_path):
    p = write(tmp_path, "x.csv", b"user,item\n1,2\n\x00\x01\x02\x03\xff\xfe\x00\x00\x10garbage")
    assert error_of(read_csv, p) == (f"{p}: line 3: holds a NUL byte (at byte 14); expected a text file "
                                     "(CSV/TSV) or parquet: is it binary data?")


def test_bom_only_file_is_empty(tmp_path):
    p = write(tmp_path, "x.csv", codecs.BOM_UTF16_LE)
    assert error_of(read_csv, p).startswith(f"{p}: the file is empty")


# ============================================================================ ids and values pandas would change
def test_ids_that_pandas_reads_as_booleans_or_floats_keep_their_text(tmp_path):
    p = write(tmp_path, "x.csv", "user,item\nTrue,1.5\nfalse,12E45\nTRUE,1.50\n")
    ds = read_csv(p)
    assert ds.users.ids.tolist() == ["TRUE", "True", "false"]
    assert ds.items.ids.tolist() == ["1.5", "1.50", "12E45"]


def test_whole_float_ids_are_integers(tmp_path):
    p = write(tmp_path, "x.csv", "user,item\n1.0,2\n3.0,4\n")
    assert read_csv(p).users.ids.tolist() == [1, 3]


def test_value_beyond_float32_is_an_error(tmp_path):
    p = write(tmp_path, "x.csv", "user,item,rating\n1,2,3\n1,3,1e39\n")
    assert error_of(read_csv, p, value="rating") == (f"{p}: line 3: column 'rating' has '1e+39'; expected a "
                                                     "number <= 3.403e+38")


def test_numeric_first_line_with_an_empty_cell_is_data(tmp_path):
    p = write(tmp_path, "x.csv", "1,10,,5\n2,20,x,6\n")
    ds = read_csv(p, user=0, item=1, time=3)
    assert ds.users.ids.tolist() == [1, 2] and ds.times.tolist() == [5, 6]
