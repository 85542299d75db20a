"""`reclite recommend`: top-K lists from a saved model, as CSV user,item,rank,score."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ._common import err, error_boundary, write_text_output
from ._options import KOpt, OutOpt, QuietOpt


class OnUnknown(StrEnum):
    raise_ = "raise"
    popular = "popular"


ModelDirOpt = Annotated[Path, typer.Option("--model", "-m", help="Model directory written by `reclite fit`.")]
UsersOpt = Annotated[str | None, typer.Option(
    "--users", "-u", help="Users to recommend for: a file with one id per line, or comma-separated ids "
                          "(default: every user the model knows).", show_default=False)]
OnUnknownOpt = Annotated[OnUnknown, typer.Option(
    "--on-unknown", help="Users the model never saw: stop with an error naming them, or give them "
                         "the most popular items.")]
ExcludeDataOpt = Annotated[Path | None, typer.Option(
    "--data", "-d", help="Also never recommend the users' interactions in this data (matched by raw "
                         "ids); without --users, recommend for its users.", show_default=False)]


def read_users(users: str) -> list[str]:
    """Ids from a file (one per line) when ``users`` names one, else from a comma-separated list."""
    from reclite.errors import RecliteError

    path = Path(users)
    if path.is_file():
        ids = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        source = str(path)
    else:
        ids = [u.strip() for u in users.split(",")]
        source = "--users"
    ids = [u for u in ids if u]
    if not ids:
        raise RecliteError(f"{source}: no user ids given")
    return ids


def to_csv(recs) -> str:
    return recs[["user", "item", "rank", "score"]].to_csv(index=False, float_format="%.6g", lineterminator="\n")


def recommend(
    model: ModelDirOpt = Path("reclite-model"),
    k: KOpt = 10,
    users: UsersOpt = None,
    out: OutOpt = None,
    on_unknown: OnUnknownOpt = OnUnknown.raise_,
    data: ExcludeDataOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write top-K recommendations as CSV: user,item,rank,score (raw ids).

    Loads the model directory, ranks every item a user has not seen, and writes the lists to stdout (nothing else goes there) or atomically to --out.

    Example:

        reclite recommend --model ease-model -k 10 --users 1,2,3 --out recs.csv
    """
    import numpy as np

    import reclite

    fitted = reclite.load_model(model)
    exclude = None
    if data is not None:
        exclude = reclite.read_dataset(data)
    if users is not None:
        ids = np.asarray(read_users(users))
    elif exclude is not None:
        ids = exclude.users.to_raw(np.unique(exclude.user_idx))
    else:
        ids = None
    recs = fitted.recommend(users=ids, k=k, exclude=exclude, on_unknown=on_unknown.value,
                            show_progress=not quiet)
    write_text_output(to_csv(recs), out)
    if out is not None and not quiet:
        err(f"Wrote {len(recs):,} recommendations for {recs['user'].nunique():,} users to {out}")


def register(app: typer.Typer) -> None:
    app.command("recommend")(error_boundary(recommend))
