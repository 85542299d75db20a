"""`reclite recommend`: top-K lists from a saved model, as CSV user,item,rank,score."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ._common import error_boundary, usage_error
from ._options import KOpt, OutOpt, QuietOpt
from ._progress import current, with_progress
from ._reading import read_data, reading_options


class OnUnknown(StrEnum):
    raise_ = "raise"
    popular = "popular"


class Engine(StrEnum):
    local = "local"
    spark = "spark"


ModelDirOpt = Annotated[Path, typer.Option("--model", "-m", help="Model directory written by `reclite fit`.")]
UsersOpt = Annotated[str | None, typer.Option(
    "--users", "-u", help="Users to recommend for, as comma-separated ids, e.g. --users 1,2,3 (always ids, "
                          "even when a file has that name; for a file use --users-file). An id given "
                          "twice is recommended for once. Default: every user the model knows.",
    show_default=False)]
UsersFileOpt = Annotated[Path | None, typer.Option(
    "--users-file", "-U", help="Users to recommend for, from a file with one id per line (read like data "
                               "files: compressed, UTF-8 or Latin-1...); blank lines are skipped, and so is "
                               "a first line that is a column name (user, user_id, userId...). An id given "
                               "twice is recommended for once. Cannot be combined with --users.",
    show_default=False)]
OnUnknownOpt = Annotated[OnUnknown, typer.Option(
    "--on-unknown", help="Users the model never saw: stop with an error naming them, or give them "
                         "the most popular items.")]
EngineOpt = Annotated[Engine, typer.Option(
    "--engine", help="local: rank here and write CSV. spark: rank in Apache Spark (spark_als models), every "
                     "user the model knows, seen items removed in Spark, and write --out as a parquet folder "
                     "(needs pip install \"reclite[spark]\" and Java 17+).")]
ExcludeDataOpt = Annotated[Path | None, typer.Option(
    "--data", "-d", help="Also never recommend the users' interactions in this data (matched by raw "
                         "ids); without --users/--users-file, recommend for its users. --titles reads "
                         "the item titles from it.", show_default=False)]
FormatOpt = Annotated[str | None, typer.Option(
    "--format", "-f", help="Output format: csv, jsonl (one JSON object per line) or parquet (--out only; "
                           "needs pyarrow). Default: from --out's suffix (.jsonl, .parquet), else csv.",
    metavar="csv|jsonl|parquet", show_default=False)]
TitlesOpt = Annotated[bool, typer.Option(
    "--titles", help="Add a title column: the item titles of --data (without --data: of the embedded "
                     "demo data, when the model's items are the demo's).")]
MaxMemoryOpt = Annotated[str, typer.Option(
    "--max-memory", help="Budget for the dense score blocks of one batch of users, e.g. 512MB or 2GB; "
                         "the output is written in batches beside it.")]


def read_users(users: str | None = None, users_file: Path | None = None) -> list[str] | None:
    """The user ids of ``--users`` (comma-separated) or ``--users-file`` (one per line), or None.

    Ids keep their first-occurrence order and each appears once. In a users file, blank
    lines are skipped and a first line that names a user column (the names
    ``read_dataset`` recognises: user, user_id, userId, uid...) is a header. Giving both
    options is a usage error.
    """
    from reclite.errors import DataError, ParameterError

    if users is not None and users_file is not None:
        raise usage_error("--users and --users-file cannot be combined: give the users either as ids "
                          "(--users) or in a file (--users-file)")
    if users is not None:
        ids = [u.strip() for u in users.split(",")]
        ids = [u for u in ids if u]
        if not ids:
            raise ParameterError(f"--users {users!r}: no user ids given; expected comma-separated ids, "
                                 "e.g. --users 1,2,3")
    elif users_file is not None:
        from reclite.data import read_text_lines
        from reclite.data.generic import USER_COLUMNS, normalize_column_name

        if users_file.is_dir():
            raise DataError(f"--users-file {users_file}: is a folder; expected a file with one user id per line")
        try:
            ids = read_text_lines(users_file, what="users file (one user id per line)")
        except FileNotFoundError:
            raise DataError(f"--users-file {users_file}: no such file") from None
        if ids and normalize_column_name(ids[0].strip("\"'")) in USER_COLUMNS:  # as read_dataset finds columns
            ids = ids[1:]
        if not ids:
            raise DataError(f"--users-file {users_file}: no user ids in the file; expected one id per line")
    else:
        return None
    return list(dict.fromkeys(ids))  # each id once, first occurrence first


def _titles(fitted, exclude, data: Path | None):
    """The item titles --titles adds: from --data, else from the demo data when the model's
    items are all demo items."""
    import numpy as np

    from reclite.errors import DataError

    from ._output import item_titles

    if exclude is not None:
        return item_titles(exclude, str(data))
    import reclite

    demo = reclite.demo_dataset()
    if not np.all(demo.items.to_index(fitted.items_.ids, missing="negative") >= 0):
        raise DataError("--titles: give --data, the dataset the model was fitted on (its item titles); "
                        "without --data only a model of the embedded demo data has titles")
    current().note("Titles from the embedded demo data.")
    return item_titles(demo, "the demo data")


def recommend(
    model: ModelDirOpt = Path("reclite-model"),
    k: KOpt = 10,
    users: UsersOpt = None,
    users_file: UsersFileOpt = None,
    out: OutOpt = None,
    on_unknown: OnUnknownOpt = OnUnknown.raise_,
    data: ExcludeDataOpt = None,
    fmt: FormatOpt = None,
    titles: TitlesOpt = False,
    max_memory: MaxMemoryOpt = "1GB",
    engine: EngineOpt = Engine.local,
    quiet: QuietOpt = False,
) -> None:
    """Write top-K recommendations as CSV: user,item,rank,score (raw ids).

    Loads the model directory, ranks every item a user has not seen, and writes the lists to stdout (nothing else goes there) or atomically to --out, a batch of users at a time: memory stays within --max-memory plus one batch. --format jsonl or parquet writes those formats instead; --titles adds a title column.

    Example:

        reclite recommend --model ease-model -k 10 --users 1,2,3 --out recs.csv

        reclite recommend --model ease-model --users-file new-users.txt --on-unknown popular

        reclite recommend --model ease-model --data ml-100k --titles --out recs.parquet

        reclite recommend --model spark-model --engine spark --out recs.parquet
    """
    import numpy as np

    import reclite
    from reclite._progress import phase
    from reclite._validation import parse_memory
    from reclite.errors import ParameterError

    from ._output import output_format, stream_recommendations

    if engine is Engine.spark:
        recommend_in_spark(model, k, out, given=[n for n, v in (("--users", users), ("--users-file", users_file),
                                                                 ("--data", data), ("--format", fmt),
                                                                 ("--titles", titles or None))
                                                     if v is not None])
        return

    wanted = read_users(users, users_file)  # before the model: option errors come first
    fmt_name = output_format(fmt, out)
    try:
        parse_memory(max_memory)
    except ValueError as exc:
        raise ParameterError(f"--max-memory: {exc}") from None
    with phase(f"loading {model}"):
        fitted = reclite.load_model(model)
    exclude = None
    if data is not None:
        exclude = read_data(data)
    title_map = _titles(fitted, exclude, data) if titles else None
    if wanted is not None:
        ids = np.asarray(wanted)
    elif exclude is not None:
        ids = exclude.users.to_raw(np.unique(exclude.user_idx))
    else:
        ids = None
    rows, n_users = stream_recommendations(fitted, ids, k, out=out, fmt=fmt_name, exclude=exclude,
                                           on_unknown=on_unknown.value, max_memory=max_memory, titles=title_map)
    if out is not None:
        current().note(f"Wrote {rows:,} recommendations for {n_users:,} users to {out}")


def recommend_in_spark(model_dir: Path, k: int, out: Path | None, given: list[str]) -> None:
    """``--engine spark``: the model's ``recommend_spark`` lists, written by Spark as a parquet folder."""
    import reclite
    from reclite.errors import RecliteError

    if given:
        raise usage_error(f"--engine spark ranks every user the model knows; {', '.join(given)} cannot be "
                          "combined with it")
    if out is None:
        raise usage_error("--engine spark writes a parquet folder: give --out PATH, e.g. --out recs.parquet")
    from reclite.models.spark import SparkALS, require_spark, write_spark_output

    fitted = reclite.load_model(model_dir)
    if not isinstance(fitted, SparkALS):
        raise RecliteError(f"--engine spark needs a spark_als model; {model_dir} holds a {type(fitted).__name__} "
                           "(use --engine local)")
    require_spark()
    write_spark_output(fitted.recommend_spark(k=k), out)
    current().note(f"Wrote the top {k} of {fitted.n_users_:,} users to {out} (parquet, written by Spark)")


def register(app: typer.Typer) -> None:
    app.command("recommend")(error_boundary(with_progress(reading_options(recommend))))
