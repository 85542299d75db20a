"""The command line as a pipeline: split -> fit -> recommend -> evaluate, reproducible by default."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from reclite.cli.main import app

import reclite
from tests.cli._invoke import invoke, runner


def metrics_of(stdout: str) -> dict[str, float]:
    return json.loads(stdout)["metrics"]


def rows(ds: reclite.Dataset) -> set[tuple]:
    """Interactions as (raw user, raw item, value, time) tuples."""
    f = ds.to_frame()
    t = f["time"].tolist() if "time" in f else [None] * len(f)
    return set(zip(f["user"].tolist(), f["item"].tolist(), f["value"].astype(np.float32).tolist(), t))


@pytest.mark.parametrize("how, extra", [("leave_last_out", []), ("random_holdout", ["--test-size", "0.3"])])
def test_split_fit_recommend_evaluate_reproduces_evaluate_model(tmp_path, how, extra):
    """The files route gives exactly the numbers of `reclite evaluate MODEL --split ...`."""
    out = tmp_path / "split"
    invoke("split", "--split", how, *extra, "--seed", "3", "--out", out, "-q")
    invoke("fit", "itemknn", "--data", out / "train.csv", "--out", tmp_path / "m", "-q")
    invoke("recommend", "--model", tmp_path / "m", "-k", "10", "--out", tmp_path / "recs.csv", "-q")
    files = invoke("evaluate", tmp_path / "recs.csv", "--train", out / "train.csv", "--test", out / "test.csv",
                   "-k", "5,10", "--json", "-q")
    direct = invoke("evaluate", "itemknn", "--split", how, *extra, "--seed", "3", "-k", "5,10", "--json", "-q")
    got, want = metrics_of(files.stdout), metrics_of(direct.stdout)
    assert got.keys() == want.keys() and len(got) == 2 * len(reclite.evaluation.METRICS)
    assert got == want  # exactly: same lists, same test set, same catalogue (items.csv) for coverage
    assert want["ndcg@10"] > 0.05


def test_split_files_read_back_to_the_same_interactions(tmp_path):
    ds = reclite.demo_dataset()
    invoke("split", "--split", "last_and_random", "--n-random", "2", "--out", tmp_path / "s", "-q")
    train, test = reclite.split.last_and_random(ds, 1, 2, random_state=0)
    assert rows(reclite.read_dataset(tmp_path / "s" / "train.csv")) == rows(train)
    assert rows(reclite.read_dataset(tmp_path / "s" / "test.csv")) == rows(test)
    meta = json.loads((tmp_path / "s" / "split.json").read_text())
    assert meta["split"] == "last_and_random n_last=1 n_random=2 seed=0"
    assert meta["data_fingerprint"] == ds.fingerprint()
    assert meta["parts"][0]["train"]["interactions"] == len(train)
    assert meta["parts"][0]["test"]["interactions"] == len(test)
    catalogue = pd.read_csv(tmp_path / "s" / "items.csv")["item"].to_numpy()
    assert np.array_equal(catalogue, ds.items.ids)


def test_split_values_that_are_not_round_read_back_exactly(tmp_path):
    """float32 values such as 0.1 or 1/3 come back as the same float32."""
    vals = np.array([0.1, 1 / 3, 2.5e-7, 123456.789, 1.0, 3e38], dtype=np.float32)
    frame = pd.DataFrame({"user": np.repeat(["a", "b", "c"], 4), "item": list("wxyz") * 3,
                          "rating": np.resize(vals, 12), "timestamp": np.arange(12) * 1000})
    frame.to_csv(tmp_path / "r.csv", index=False)
    ds = reclite.read_dataset(tmp_path / "r.csv")
    invoke("split", "--data", tmp_path / "r.csv", "--split", "leave_last_out", "--out", tmp_path / "s", "-q")
    train, test = reclite.split.leave_last_out(ds)
    assert rows(reclite.read_dataset(tmp_path / "s" / "train.csv")) == rows(train)
    assert rows(reclite.read_dataset(tmp_path / "s" / "test.csv")) == rows(test)


def test_kfold_writes_one_folder_per_fold_and_each_interaction_is_tested_once(tmp_path):
    invoke("split", "--split", "kfold", "--n-folds", "3", "--out", tmp_path / "k", "-q")
    tests = [reclite.read_dataset(tmp_path / "k" / f"fold{f}" / "test.csv") for f in (1, 2, 3)]
    all_test = set().union(*(rows(t) for t in tests))
    assert sum(len(t) for t in tests) == len(all_test)
    assert all_test <= rows(reclite.demo_dataset())
    want = [rows(t) for _, t in reclite.split.kfold(reclite.demo_dataset(), 3, random_state=0)]
    assert [rows(t) for t in tests] == want


def test_parquet_parts_read_back_like_csv(tmp_path):
    pytest.importorskip("pyarrow")
    invoke("split", "--split", "leave_last_out", "--format", "parquet", "--out", tmp_path / "p", "-q")
    invoke("split", "--split", "leave_last_out", "--out", tmp_path / "c", "-q")
    for part in ("train", "test"):
        assert rows(reclite.read_dataset(tmp_path / "p" / f"{part}.parquet")) == \
            rows(reclite.read_dataset(tmp_path / "c" / f"{part}.csv"))


def test_split_never_replaces_a_folder_it_did_not_write(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    result = invoke("split", "--out", mine, "-q", ok=False)
    assert result.exit_code == 1
    assert "is not a folder written by reclite split" in result.stderr
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    # its own folder is replaced whole
    invoke("split", "--out", tmp_path / "s", "-q")
    (tmp_path / "s" / "stale.csv").write_text("x")
    invoke("split", "--out", tmp_path / "s", "--split", "leave_last_out", "-q")
    assert not (tmp_path / "s" / "stale.csv").exists()


def test_same_commands_twice_give_byte_identical_outputs(tmp_path):
    """Reproducible by default: no --seed given anywhere, ALS (random init) included."""
    outs = []
    for run in ("a", "b"):
        d = tmp_path / run
        invoke("split", "--out", d / "split", "-q")
        invoke("fit", "als", "--data", d / "split" / "train.csv", "-p", "factors=8", "-p", "iterations=3",
               "--out", d / "model", "-q")
        invoke("recommend", "--model", d / "model", "-k", "10", "--out", d / "recs.csv", "-q")
        ev = invoke("evaluate", d / "recs.csv", "--train", d / "split" / "train.csv", "--test",
                    d / "split" / "test.csv", "-q")
        direct = invoke("evaluate", "als", "-p", "factors=8", "-p", "iterations=3", "-q")
        outs.append([(d / "split" / f).read_bytes() for f in ("train.csv", "test.csv", "split.json", "items.csv")]
                    + [(d / "recs.csv").read_bytes(), ev.stdout.encode(), direct.stdout.encode()])
    a, b = outs
    assert a[-2] == b[-2] and a[-1] == b[-1]
    assert a[:5] == b[:5]
    assert len(a[4]) > 100_000  # 2,000 users x 10 lines


def test_fit_summary_says_the_seed_and_bpr_says_how_to_be_deterministic(tmp_path):
    result = invoke("fit", "als", "-p", "factors=4", "-p", "iterations=1", "--out", tmp_path / "a")
    assert result.stderr.splitlines()[-1].endswith(f"saved to {tmp_path / 'a'} (seed 0: reproducible)")
    assert reclite.load_model(tmp_path / "a").random_state == 0
    result = invoke("fit", "als", "-p", "factors=4", "-p", "iterations=1", "--seed", "7", "--out", tmp_path / "a")
    assert reclite.load_model(tmp_path / "a").random_state == 7 and "(seed 7: reproducible)" in result.stderr
    result = invoke("fit", "bpr", "-p", "factors=4", "-p", "iterations=1", "--out", tmp_path / "b")
    notes = [line for line in result.stderr.splitlines() if "num_threads=1" in line]
    assert len(notes) == 1 and notes[0].startswith("Note: bpr with several threads is not bit-for-bit")
    assert "(seed 0)" in result.stderr
    result = invoke("fit", "bpr", "-p", "factors=4", "-p", "iterations=1", "-p", "num_threads=1",
                    "--out", tmp_path / "b")
    assert "num_threads=1" not in result.stderr and "(seed 0: reproducible)" in result.stderr
    result = invoke("fit", "pop", "--out", tmp_path / "p")
    assert result.stderr.splitlines()[-1].endswith("(deterministic)")
    result = invoke("fit", "als", "-p", "factors=4", "-p", "iterations=1", "-p", "random_state=none",
                    "--out", tmp_path / "a")
    assert "(random_state=None: not reproducible, pass --seed N)" in result.stderr


def test_a_saved_model_without_a_seed_is_refitted_with_the_cli_seed(tmp_path):
    reclite.ALS(factors=4, iterations=2).fit(reclite.demo_dataset()).save(tmp_path / "m")  # random_state=None
    assert reclite.load_model(tmp_path / "m").random_state is None
    runs_ = [invoke("evaluate", tmp_path / "m", "-k", "10", "--json", "-q", "--seed", s).stdout for s in (1, 1, 2)]
    by_name = invoke("evaluate", "als", "-p", "factors=4", "-p", "iterations=2", "-k", "10", "--json", "-q",
                     "--seed", "1").stdout
    assert runs_[0] == runs_[1] and metrics_of(runs_[0]) == metrics_of(by_name)
    assert metrics_of(runs_[0]) != metrics_of(runs_[2])


def test_bpr_with_one_thread_and_the_default_seed_fits_the_same_factors(tmp_path):
    for d in ("a", "b"):
        invoke("fit", "bpr", "-p", "factors=4", "-p", "iterations=3", "-p", "num_threads=1",
               "--out", tmp_path / d, "-q")
    a, b = reclite.load_model(tmp_path / "a"), reclite.load_model(tmp_path / "b")
    assert np.array_equal(a.item_factors_, b.item_factors_)


# ---------------------------------------------------------------- evaluate a CSV
@pytest.fixture(scope="module")
def split_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("split") / "s"
    assert runner.invoke(app, ["split", "--split", "leave_last_out", "--out", str(out), "-q",
                               "--no-record"]).exit_code == 0
    return out


def test_lists_from_a_model_fitted_on_all_the_data_warn_that_no_test_item_was_reachable(tmp_path, split_dir):
    invoke("fit", "pop", "--out", tmp_path / "m", "-q")  # all the data: its seen filter drops the test items
    invoke("recommend", "--model", tmp_path / "m", "-k", "10", "--out", tmp_path / "recs.csv", "-q")
    result = invoke("evaluate", tmp_path / "recs.csv", "--train", split_dir / "train.csv", "--test",
                    split_dir / "test.csv", "--json")
    assert metrics_of(result.stdout)["recall@10"] == 0.0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and "no recommended item is a test item of its user" in warnings[0]
    assert "reclite split" in warnings[0]


def test_lists_holding_training_items_warn_with_their_count(tmp_path, split_dir):
    train = reclite.read_dataset(split_dir / "train.csv")
    model = reclite.Popularity().fit(train)
    recs = model.recommend(k=10, filter_seen=False)  # not filtered: training items stay in the lists
    recs.to_csv(tmp_path / "recs.csv", index=False)
    frame = train.to_frame()
    seen = set(zip(frame["user"], frame["item"]))
    n_seen = sum((u, i) in seen for u, i in zip(recs["user"], recs["item"]))
    assert 0 < n_seen < len(recs)
    result = invoke("evaluate", tmp_path / "recs.csv", "--train", split_dir / "train.csv", "--test",
                    split_dir / "test.csv")
    assert f"Warning: {n_seen:,} of {len(recs):,} recommended items" in result.stderr
    assert "are the user's training items" in result.stderr


def test_on_unknown_miss_scores_a_list_with_an_unknown_user(tmp_path, split_dir):
    train = reclite.read_dataset(split_dir / "train.csv")
    recs = reclite.Popularity().fit(train).recommend(k=10)
    recs.to_csv(tmp_path / "good.csv", index=False)
    extra = pd.DataFrame({"user": ["ghost"] * 2, "item": [recs["item"].iloc[0], "nope"], "rank": [1, 2],
                          "score": [1.0, 0.5]})
    pd.concat([recs, extra]).to_csv(tmp_path / "bad.csv", index=False)
    args = ["--train", split_dir / "train.csv", "--test", split_dir / "test.csv", "--json", "-q"]
    result = invoke("evaluate", tmp_path / "bad.csv", *args, ok=False)
    assert result.exit_code == 1 and "unknown user id" in result.stderr and "ghost" in result.stderr
    miss = invoke("evaluate", tmp_path / "bad.csv", *args, "--on-unknown", "miss")
    good = invoke("evaluate", tmp_path / "good.csv", *args)
    assert metrics_of(miss.stdout) == metrics_of(good.stdout)


def test_test_without_a_csv_or_with_data_is_one_clear_error(split_dir):
    result = invoke("evaluate", "pop", "--test", split_dir / "test.csv", ok=False)
    assert result.exit_code == 1 and "--test scores a recommendations CSV" in result.stderr
    result = invoke("evaluate", split_dir / "test.csv", "--train", split_dir / "train.csv", ok=False)
    assert result.exit_code == 1 and "--train needs --test" in result.stderr
