"""Progress on stderr (live on a terminal, plain lines in logs, nothing with --quiet) and
`reclite recommend`'s streamed output (batches, formats, titles, atomic files)."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from reclite.cli import _output
from reclite.cli._progress import Progress, format_seconds
from reclite.cli.main import app
from typer.testing import CliRunner

import reclite
from reclite._progress import phase

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


# ---------------------------------------------------------------------- progress
def test_plain_progress_writes_one_line_per_long_step_and_no_carriage_return():
    buf = io.StringIO()
    with Progress(stream=buf, live=False, min_seconds=0.05):
        with phase("fit ease"):
            with phase("Gram", total=3, unit="blocks") as step:
                for _ in range(3):
                    step(1)
                time.sleep(0.06)
            with phase("quick"):
                pass  # under min_seconds: no line
    lines = buf.getvalue().splitlines()
    assert "\r" not in buf.getvalue()
    assert len(lines) == 2
    assert lines[0].startswith("fit ease > Gram: 3/3 blocks in 0.")
    assert lines[1].startswith("fit ease: 0.")


def test_plain_progress_reports_a_step_still_running():
    buf = io.StringIO()
    with Progress(stream=buf, live=False, min_seconds=100, interval=0.1, tick=0.02):
        with phase("inverse", total=10, unit="blocks") as step:
            step(4)
            time.sleep(0.35)
    lines = buf.getvalue().splitlines()
    assert 2 <= len(lines) <= 4  # one line per interval, none at the end (under min_seconds)
    assert lines[0].startswith("inverse  [########............] 4/10 blocks  40%  0.")


def test_live_progress_redraws_one_line_and_erases_it():
    buf = io.StringIO()
    with Progress(stream=buf, live=True, tick=0.02) as progress:
        with phase("recommend", total=4, unit="users") as step:
            step(2)
            time.sleep(0.7)  # drawn after half a second
        progress.note("done")
    text = buf.getvalue()
    assert "\rrecommend  [##########..........] 2/4 users  50%  0." in text
    assert text.endswith("\x1b[K\r\x1b[Kdone\n")  # the live line erased before a line that stays
    assert "\n" not in text[:-len("done\n")]  # under a second: no line left behind


def test_quiet_and_no_reporter_are_silent():
    buf = io.StringIO()
    with Progress(quiet=True, stream=buf, live=True, min_seconds=0):
        with phase("x") as step:
            step(1)
    with phase("outside any Progress") as step:
        step(1)
    assert buf.getvalue() == ""


def test_format_seconds():
    assert [format_seconds(s) for s in (0.04, 59.9, 125, 3720)] == ["0.0 s", "59.9 s", "2 min 05 s", "1 h 02 min"]


def test_ease_reports_its_three_steps():
    buf = io.StringIO()
    with Progress(stream=buf, live=False, min_seconds=0):
        reclite.EASE().fit(reclite.demo_dataset())
    steps = [line.split(":")[1].strip().rsplit(" ", 3)[0] for line in buf.getvalue().splitlines()]
    assert steps == ["Gram matrix", "Cholesky factor", "inverse"]
    assert buf.getvalue().splitlines()[0].startswith("EASE: Gram matrix 1,500 x 1,500: ")


def test_cli_fit_of_an_implicit_model_writes_no_bar_into_a_log(tmp_path):
    result = invoke("fit", "als", "-p", "iterations=2", "--out", tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert "\r" not in result.stderr and "it/s" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Fitted als (ALS) on demo")


# ---------------------------------------------------------------------- streamed output
@pytest.fixture(scope="module")
def demo_model(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "pop"
    reclite.Popularity().fit(reclite.demo_dataset()).save(out)
    return out


@pytest.fixture(scope="module")
def ease_model(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "ease"
    reclite.EASE().fit(reclite.demo_dataset()).save(out)
    return out


def test_batches_write_exactly_the_one_call_lists(ease_model, tmp_path, monkeypatch):
    whole = reclite.load_model(ease_model).recommend(k=7)
    expected = whole[["user", "item", "rank", "score"]].to_csv(index=False, float_format="%.6g",
                                                                lineterminator="\n")
    monkeypatch.setattr(_output, "ROWS_PER_BATCH", 7 * 333)  # 333 users a batch: 7 batches, the last short
    out = tmp_path / "recs.csv"
    result = invoke("recommend", "--model", ease_model, "-k", 7, "--out", out)
    assert result.exit_code == 0, result.output
    assert out.read_text() == expected
    assert result.stderr == f"Wrote {len(whole):,} recommendations for 2,000 users to {out}\n"


def test_jsonl_and_parquet_hold_the_same_rows(ease_model, tmp_path):
    csv = pd.read_csv(io.StringIO(invoke("recommend", "--model", ease_model, "-k", 3, "-q").stdout))
    jl = tmp_path / "recs.jsonl"
    pq = tmp_path / "recs.parquet"
    assert invoke("recommend", "--model", ease_model, "-k", 3, "--out", jl, "-q").exit_code == 0
    assert invoke("recommend", "--model", ease_model, "-k", 3, "--out", pq, "-q").exit_code == 0
    lines = jl.read_text().splitlines()
    assert len(lines) == len(csv) and json.loads(lines[0]).keys() == {"user", "item", "rank", "score"}
    from_jsonl = pd.read_json(jl, lines=True)
    from_parquet = pd.read_parquet(pq)
    for frame in (from_jsonl, from_parquet):
        assert frame[["user", "item", "rank"]].astype("int64").equals(csv[["user", "item", "rank"]])
        np.testing.assert_allclose(frame["score"], csv["score"], rtol=1e-5)
    stdout = invoke("recommend", "--model", ease_model, "-k", 3, "--format", "jsonl", "-q").stdout
    assert stdout == jl.read_text()


def test_parquet_needs_a_file(ease_model):
    result = invoke("recommend", "--model", ease_model, "--format", "parquet")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --format parquet writes a file: give --out FILE.parquet")


def test_titles_come_from_the_data(demo_model, tmp_path):
    result = invoke("recommend", "--model", demo_model, "-k", 2, "--users", "1,2", "--titles")
    assert result.exit_code == 0, result.output
    recs = pd.read_csv(io.StringIO(result.stdout))
    demo = reclite.demo_dataset()
    titles = dict(zip(demo.items.ids.tolist(), demo.titles.tolist()))
    assert list(recs.columns) == ["user", "item", "rank", "score", "title"]
    assert recs["title"].tolist() == [titles[i] for i in recs["item"]]
    assert result.stderr == "Titles from the embedded demo data.\n"


def test_titles_without_titles_in_the_data_is_one_error(demo_model, tmp_path):
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("user,item\n1,1\n2,2\n")
    out = tmp_path / "recs.csv"
    result = invoke("recommend", "--model", demo_model, "--data", ratings, "--titles", "--out", out)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: --titles: {ratings} has no item titles")
    assert not out.exists()


def test_an_error_half_way_leaves_no_file(ease_model, tmp_path, monkeypatch):
    out = tmp_path / "recs.csv"
    out.write_text("the previous file\n")
    calls = []
    real = reclite.models.base.Recommender.recommend

    def failing(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise MemoryError("simulated")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(reclite.models.base.Recommender, "recommend", failing)
    monkeypatch.setattr(_output, "ROWS_PER_BATCH", 10 * 500)
    result = invoke("recommend", "--model", ease_model, "--out", out)
    assert result.exit_code == 1 and "out of memory" in result.stderr
    assert len(calls) == 3
    assert out.read_text() == "the previous file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recs.csv"]


def test_unknown_users_warn_once(demo_model, monkeypatch):
    monkeypatch.setattr(_output, "ROWS_PER_BATCH", 10)  # one user a batch
    result = invoke("recommend", "--model", demo_model, "--users", "1,zz,yy,2", "--on-unknown", "popular")
    assert result.exit_code == 0, result.output
    assert result.stderr == "Warning: 2 unknown users got the most popular items\n"
    recs = pd.read_csv(io.StringIO(result.stdout), dtype={"user": str})
    assert recs["user"].unique().tolist() == ["1", "zz", "yy", "2"]


def test_a_note_erases_the_live_line_first(monkeypatch):
    from reclite.cli import _progress
    from reclite.cli._common import err

    buf = io.StringIO()
    monkeypatch.setattr("sys.stderr", buf)
    progress = Progress(stream=buf, live=True, tick=0.02)
    with progress:
        token = _progress._current.set(progress)
        try:
            with phase("fit ease"):
                time.sleep(0.6)
                err("Warning: something")
        finally:
            _progress._current.reset(token)
    text = buf.getvalue()
    assert "\r\x1b[KWarning: something\n" in text  # the bar erased, then the warning on its own line
