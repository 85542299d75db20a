"""`reclite split`: write a train/test split of the data as files, for fit / recommend / evaluate.

The folder (``--out``) holds ``train.csv`` and ``test.csv`` (or ``.parquet``; ``kfold``:
``fold1/``, ``fold2/``... each with both) with columns ``user,item,value[,time]`` in raw ids,
and ``split.json`` saying how they were made. Read back (``reclite fit --data DIR/train.csv``,
``reclite evaluate ... --train DIR/train.csv --test DIR/test.csv``) they hold the same
interactions: values are written in the shortest text that reads back to the same float32,
times as integers. The folder is written atomically, and an existing ``--out`` is replaced
only when it is a folder ``reclite split`` wrote (its ``split.json`` says so).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ._common import err, error_boundary, load_data
from ._options import DataOpt, QuietOpt, SeedOpt
from ._pipeline import note, note_data, pipeline
from ._reading import reading_options
from ._splitdir import CATALOGUE_FILE, SPLIT_DIRECTORY, SPLIT_FILE, is_split_directory
from .evaluate import AtOpt, MinTrainOpt, NLastOpt, NRandomOpt, SplitName, TestSizeOpt, make_split


class SplitHow(StrEnum):
    random_holdout = "random_holdout"
    leave_last_out = "leave_last_out"
    last_and_random = "last_and_random"
    temporal = "temporal"
    kfold = "kfold"


class FileFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"


HowOpt = Annotated[SplitHow, typer.Option("--split", "-s", help="How to hold out test interactions.")]
SplitOutOpt = Annotated[Path, typer.Option(
    "--out", "-o", help="Folder to write (replaced atomically; an existing folder only when reclite split "
                        "wrote it).")]
FormatOpt = Annotated[FileFormat, typer.Option("--format", help="File format of the parts (parquet needs "
                                                                "pip install \"reclite[parquet]\").")]
NFoldsOpt = Annotated[int, typer.Option("--n-folds", min=2, help="kfold: number of folds (each interaction is "
                                                                 "in one test fold).")]


def part_frame(ds: Any) -> Any:
    """The interactions of ``ds`` in raw ids, values as the shortest text that reads back exactly."""
    import pandas as pd

    frame = {"user": ds.users.to_raw(ds.user_idx), "item": ds.items.to_raw(ds.item_idx),
             "value": ds.values.astype("float32").astype(str)}
    if ds.times is not None:
        frame["time"] = ds.times
    return pd.DataFrame(frame)


def write_part(ds: Any, path: Path, fmt: FileFormat) -> None:
    frame = part_frame(ds)
    if fmt is FileFormat.csv:
        frame.to_csv(path, index=False, lineterminator="\n")
        return
    from reclite.errors import RecliteError

    frame["value"] = ds.values.astype("float32")
    try:
        frame.to_parquet(path, index=False)
    except ImportError:
        raise RecliteError("--format parquet needs pyarrow: pip install \"reclite[parquet]\"") from None


def _shape(ds: Any) -> dict[str, int]:
    import numpy as np

    return {"interactions": len(ds), "users": int(len(np.unique(ds.user_idx))),
            "items": int(len(np.unique(ds.item_idx)))}


def _only_in_test(train: Any, test: Any) -> tuple[int, int]:
    """Users and items with test interactions but none in train."""
    import numpy as np

    users = np.setdiff1d(np.unique(test.user_idx), np.unique(train.user_idx))
    items = np.setdiff1d(np.unique(test.item_idx), np.unique(train.item_idx))
    return len(users), len(items)


def split(
    data: DataOpt = None,
    how: HowOpt = SplitHow.random_holdout,
    test_size: TestSizeOpt = 0.2,
    n_last: NLastOpt = 1,
    n_random: NRandomOpt = 9,
    at: AtOpt = "0.8",
    n_folds: NFoldsOpt = 5,
    min_train: MinTrainOpt = None,
    seed: SeedOpt = 0,
    out: SplitOutOpt = Path("reclite-split"),
    fmt: FormatOpt = FileFormat.csv,
    quiet: QuietOpt = False,
) -> None:
    """Split the data into train and test files (a folder), to fit on train and score on test.

    Writes --out/train.csv and --out/test.csv (kfold: --out/fold1/, fold2/... each with both) with columns user,item,value[,time] in raw ids, --out/items.csv (the data's item catalogue) and --out/split.json describing the split; the files read back to the same interactions. The same command with the same --seed writes the same files. Then: reclite fit MODEL --data DIR/train.csv, reclite recommend --out recs.csv, reclite evaluate recs.csv --train DIR/train.csv --test DIR/test.csv.

    Examples:

        reclite split --data ml-100k --split leave_last_out --out ml100k-split

        reclite split --data ratings.csv --split kfold --n-folds 5 --format parquet --out folds
    """
    from reclite import split as splits
    from reclite._fs import atomic_dir, check_dir_target
    from reclite.errors import ParameterError

    check_dir_target(out, may_replace=is_split_directory, what=SPLIT_DIRECTORY)  # before the work
    ds = load_data(data, quiet=quiet)
    note_data(ds, data)
    if how is SplitHow.kfold:
        kw = {} if min_train is None else {"min_train": min_train}
        try:
            parts = list(splits.kfold(ds, n_folds, random_state=seed, **kw))
        except ParameterError as exc:
            exc.args = (f"--split kfold: {exc}",)
            raise
        text = f"kfold n_folds={n_folds} seed={seed}" + ("" if min_train is None else f" min_train={min_train}")
        folders = [f"fold{i + 1}" for i in range(n_folds)]
    else:
        train, test, text = make_split(ds, SplitName(how.value), test_size=test_size, n_last=n_last,
                                       n_random=n_random, at=at, min_train=min_train, seed=seed)
        parts, folders = [splits.Split(train, test)], [""]
    suffix = "." + fmt.value
    meta: dict[str, Any] = {
        "written_by": "reclite split", "format_version": 1,
        "data": "demo" if data is None else str(data), "data_fingerprint": ds.fingerprint(),
        "split": text, "seed": seed, "format": fmt.value, "parts": [],
    }
    files = []
    with atomic_dir(out, may_replace=is_split_directory, what=SPLIT_DIRECTORY) as tmp:
        for (train, test), folder in zip(parts, folders):
            (tmp / folder).mkdir(exist_ok=True)
            entry: dict[str, Any] = {}
            for name, part in (("train", train), ("test", test)):
                rel = str(Path(folder) / f"{name}{suffix}")
                write_part(part, tmp / rel, fmt)
                entry[name] = {"file": rel, **_shape(part)}
                files.append(rel)
            users, items = _only_in_test(train, test)
            entry["only_in_test"] = {"users": users, "items": items}
            meta["parts"].append(entry)
        import pandas as pd

        pd.DataFrame({"item": ds.items.ids}).to_csv(tmp / CATALOGUE_FILE, index=False, lineterminator="\n")
        (tmp / SPLIT_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    note(split=text, seed=seed, outputs=[str(out / f) for f in files])
    if not quiet:
        for entry, folder in zip(meta["parts"], folders):
            tr, te, only = entry["train"], entry["test"], entry["only_in_test"]
            head = f"{folder}: " if folder else ""
            err(f"{head}train {tr['interactions']:,} interactions ({tr['users']:,} users, {tr['items']:,} items), "
                f"test {te['interactions']:,} ({te['users']:,} users, {te['items']:,} items)")
            only_in = " and ".join(f"{n:,} {what}{'' if n == 1 else 's'}" for what, n in
                                   (("user", only["users"]), ("item", only["items"])) if n)
            if only_in:
                err(f"Note: {head}only in test: {only_in}; a model fitted on {tr['file']} never saw them "
                    "(their test interactions count as misses).")
        err(f"Split {text}: wrote {', '.join(files)}, {CATALOGUE_FILE} and {SPLIT_FILE} to {out}")


def register(app: typer.Typer) -> None:
    app.command("split")(error_boundary(pipeline("split")(reading_options(split))))
