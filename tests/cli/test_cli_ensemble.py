"""`reclite ensemble`: recommendation files fused into one list per user, as `reclite.fuse` fuses them."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from reclite.cli.main import app
from typer.testing import CliRunner

import reclite

runner = CliRunner()

A = "user,item,rank,score\n1,a,1,0.9\n1,b,2,0.5\n1,c,3,0.1\n2,a,1,0.3\n"
B = "user,item,score\n1,c,3\n1,d,2\n1,a,1\n2,b,7\n"  # no rank: ranked by score (c, d, a)


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def files(tmp_path, monkeypatch):
    (tmp_path / "a.csv").write_text(A, encoding="utf-8")
    (tmp_path / "b.csv").write_text(B, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_rank_sum_to_stdout_by_hand(files):
    result = invoke("ensemble", "a.csv", "b.csv", "--top-n", "3", "-k", "4")
    assert result.exit_code == 0, result.output
    # user 1 (top-n 3, missing = 4): a 1+3=4, c 3+1=4, b 2+4=6, d 4+2=6; user 2: a 1+4=5, b 4+1=5 (a < b)
    assert result.stdout == ("user,item,rank,score\n1,a,1,-4\n1,c,2,-4\n1,b,3,-6\n1,d,4,-6\n"
                             "2,a,1,-5\n2,b,2,-5\n")


@pytest.mark.parametrize("method", ["rank_sum", "borda", "rrf"])
def test_weighted_to_file_equals_fuse(files, method):
    result = invoke("ensemble", "a.csv", "b.csv", "--method", method, "--top-n", "3", "-k", "3",
                    "--weights", "2,1", "--c", "0", "--out", "final.csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and "Wrote 5 recommendations for 2 users to final.csv" in result.stderr
    got = pd.read_csv(files / "final.csv")
    expected = reclite.fuse([pd.read_csv(io.StringIO(A)), pd.read_csv(io.StringIO(B))], method=method,
                            top_n=3, k=3, weights=[2, 1], c=0)
    assert got["item"].tolist() == expected["item"].tolist()
    assert got["rank"].tolist() == expected["rank"].tolist()
    pd.testing.assert_series_equal(got["score"].astype(float), expected["score"].astype(float), rtol=1e-5)


def test_fuses_reclite_recommend_output(files):
    ratings = files / "ratings.csv"
    ratings.write_text("user,item\n" + "".join(f"u{u},i{(u * 3 + j) % 12}\n" for u in range(20) for j in range(4)))
    for name in ("ease", "itemknn"):
        assert invoke("fit", name, "-d", ratings, "--out", name, "-q").exit_code == 0
        assert invoke("recommend", "--model", name, "-k", "5", "--out", f"{name}.csv", "-q").exit_code == 0
    result = invoke("ensemble", "ease.csv", "itemknn.csv", "--top-n", "5", "-k", "3")
    assert result.exit_code == 0, result.output
    members = [reclite.load_model(files / n) for n in ("ease", "itemknn")]
    vote = reclite.RankVote(list(zip(["ease", "itemknn"], members)), top_n=5, prefit=True)
    vote.fit(reclite.read_dataset(ratings))
    expected = vote.recommend(k=3)
    got = pd.read_csv(io.StringIO(result.stdout))
    assert got["user"].tolist() == expected["user"].tolist()
    assert set(zip(got["user"], got["item"])) == set(zip(expected["user"], expected["item"]))


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_other_formats_hold_the_csv_lists(files, fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    csv = invoke("ensemble", "a.csv", "b.csv", "--top-n", "3", "-k", "4")
    result = invoke("ensemble", "a.csv", "b.csv", "--top-n", "3", "-k", "4", "--out", f"final.{fmt}")
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and f"to final.{fmt}" in result.stderr
    got = (pd.read_json(files / "final.jsonl", lines=True, dtype={"item": str}) if fmt == "jsonl"
           else pd.read_parquet(files / "final.parquet"))
    want = pd.read_csv(io.StringIO(csv.stdout), dtype={"item": str})
    assert list(got.columns) == ["user", "item", "rank", "score"]
    pd.testing.assert_frame_equal(got.astype({"user": int, "score": float}), want.astype({"score": float}),
                                  check_dtype=False)


def test_written_in_batches_equals_one_write(files, monkeypatch):
    from reclite.cli import _output

    whole = invoke("ensemble", "a.csv", "b.csv", "--top-n", "3", "-k", "4").stdout
    monkeypatch.setattr(_output, "ROWS_PER_BATCH", 2)  # 6 rows: three batches, one header
    assert invoke("ensemble", "a.csv", "b.csv", "--top-n", "3", "-k", "4").stdout == whole


def test_parquet_to_stdout_is_refused(files):
    result = invoke("ensemble", "a.csv", "b.csv", "--format", "parquet")
    assert result.exit_code == 1 and "--format parquet writes a file" in result.stderr
