"""The reading options of every command that reads data, and reader errors that name the CLI's flags."""

from __future__ import annotations

import json

import numpy as np
import pytest
from reclite.cli._reading import cli_reader_message

import reclite
from tests.cli._invoke import invoke


def info(*args: object) -> dict:
    return json.loads(invoke("data", "info", *args, "--json").stdout)


def same(a: reclite.Dataset, b: reclite.Dataset) -> bool:
    fa, fb = a.to_frame(), b.to_frame()
    key = ["user", "item"]
    fa, fb = fa.sort_values(key, ignore_index=True), fb.sort_values(key, ignore_index=True)
    return fa.astype(str).equals(fb.astype(str))


@pytest.fixture
def files(tmp_path):
    """The same 7 interactions in four layouts only the reading options can read."""
    rows = [("ann", "m 1", 4, 100), ("ann", "m 2", 5, 200), ("bob", "m 1", 3, 150), ("bob", "m 3", 1, 50),
            ("cy", "m 2", 2, 300), ("cy", "m 3", 5, 10), ("cy", "m 4", 4, 20)]
    (tmp_path / "odd.csv").write_text("who,what,stars,when\n" + "".join(f"{u},{i},{v},{t}\n" for u, i, v, t in rows))
    (tmp_path / "semi.txt").write_text("".join(f"{u};{i};{v};{t}\n" for u, i, v, t in rows))
    (tmp_path / "reordered.tsv").write_text("".join(f"{t}\t{v}\t{i}\t{u}\n" for u, i, v, t in rows))
    return tmp_path


def test_named_columns_read_like_read_csv(files):
    want = reclite.read_csv(files / "odd.csv", user="who", item="what", value="stars", time="when")
    s = info("--data", files / "odd.csv", "--user-col", "who", "--item-col", "what", "--value-col", "stars",
             "--time-col", "when")
    assert (s["users"], s["items"], s["interactions"]) == (3, 4, 7)
    assert s["value_range"] == [1.0, 5.0] and s["has_time"] is True
    from reclite.cli._reading import ReadOptions, read_data

    got = read_data(files / "odd.csv", ReadOptions(user_col="who", item_col="what", value_col="stars",
                                                   time_col="when"))
    assert same(got, want) and np.array_equal(got.times, want.times)


def test_headerless_semicolon_file_with_text_ids(files):
    s = info("--data", files / "semi.txt", "--sep", ";", "--no-header")
    assert (s["users"], s["items"], s["interactions"]) == (3, 4, 7) and s["has_time"] is True
    assert s["value_range"] == [1.0, 5.0]


def test_positions_pick_columns_of_a_headerless_tab_file(files):
    s = info("--data", files / "reordered.tsv", "--sep", "tab", "--no-header", "--user-col", "3",
             "--item-col", "2", "--value-col", "1", "--time-col", "0")
    assert (s["users"], s["items"], s["interactions"]) == (3, 4, 7) and s["value_range"] == [1.0, 5.0]


def test_encoding_is_used(files):
    """cp1252 writes the euro sign as byte 0x80, which Latin-1 reads as the control character U+0080."""
    (files / "euro.csv").write_bytes("user,item\nann\u20ac,x\nbob,y\n".encode("cp1252"))
    from reclite.cli._reading import ReadOptions, read_data

    assert sorted(read_data(files / "euro.csv", ReadOptions()).users.ids.tolist()) == ["ann\u20ac", "bob"]
    latin = read_data(files / "euro.csv", ReadOptions(encoding="latin-1"))
    assert sorted(latin.users.ids.tolist()) == ["ann\x80", "bob"]
    assert info("--data", files / "euro.csv", "--encoding", "latin-1")["users"] == 2


@pytest.mark.parametrize("args", [
    ["fit", "pop", "-q", "--out", "{tmp}/m"],
    ["split", "-q", "--out", "{tmp}/s"],
    ["evaluate", "pop", "-q", "--split", "leave_last_out"],
    ["tune", "itemknn", "-q", "-p", "k_neighbors=2"],
])
def test_every_command_that_reads_data_takes_the_options(files, args):
    args = [a.replace("{tmp}", str(files)) for a in args]
    invoke(*args, "--data", files / "semi.txt", "--sep", ";", "--no-header", "--no-record")


def test_recommend_data_takes_the_options(files, tmp_path):
    invoke("fit", "pop", "--data", files / "semi.txt", "--sep", ";", "--no-header", "--out", tmp_path / "m", "-q")
    out = invoke("recommend", "--model", tmp_path / "m", "--data", files / "semi.txt", "--sep", ";",
                 "--no-header", "-k", "5").stdout
    lines = out.splitlines()[1:]
    assert {line.split(",")[0] for line in lines} == {"ann", "bob", "cy"}
    assert "ann,m 1," not in out and "cy,m 2," not in out  # their interactions in --data are excluded


def test_without_options_the_guess_error_names_the_cli_flags(files):
    result = invoke("data", "info", "--data", files / "odd.csv", ok=False)
    assert result.exit_code == 1
    assert "Name them with --user-col and --item-col (and --value-col, --time-col)" in result.stderr
    assert "read_csv" not in result.stderr


@pytest.mark.parametrize("extra, want", [
    (["--user-col", "usr"], "asked for --user-col 'usr'"),
    (["--user-col", "Who", "--item-col", "what"], "Did you mean --user-col 'who'?"),
    (["--item-col", "9", "--user-col", "who"], "--item-col 9 but the file has 4 columns"),
    (["--encoding", "nope"], "--encoding 'nope' is not an encoding Python knows"),
])
def test_reader_errors_name_the_flag(files, extra, want):
    result = invoke("data", "info", "--data", files / "odd.csv", *extra, ok=False)
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert want in line, line
    assert "=" not in line.replace("==", ""), line  # no Python keyword syntax (user=, encoding=)


def test_names_in_a_headerless_file_point_at_positions(files):
    result = invoke("data", "info", "--data", files / "semi.txt", "--sep", ";", "--no-header",
                    "--user-col", "who", ok=False)
    assert "pick columns by position (--user-col 0, ...)" in result.stderr and "names=" not in result.stderr


def test_the_message_rewrite_leaves_other_text_alone():
    text = "ratings.csv: line 3: column 'rating' has 'abc'; expected a number"
    assert cli_reader_message(text) == text
    assert cli_reader_message("pass encoding='utf-16-le' to read_csv, or save") == "pass --encoding 'utf-16-le', or save"
