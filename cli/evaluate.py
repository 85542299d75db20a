"""`reclite evaluate MODEL_OR_CSV`: split the data, fit (or read lists), score, print a table."""

from __future__ import annotations

import contextlib
import json
import math
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ._common import err, error_boundary, load_data, write_text_output
from ._options import AlphaOpt, ConfidenceOpt, ConfParamOpt, DataOpt, JsonOpt, ParamOpt, QuietOpt, SeedOpt
from ._params import parse_param_assignments, parse_params
from ._pipeline import note, note_data, note_each, pipeline
from ._progress import live_bars, with_progress
from ._reading import reading_options
from .recommend import Engine


class SplitName(StrEnum):
    random_holdout = "random_holdout"
    leave_last_out = "leave_last_out"
    last_and_random = "last_and_random"
    temporal = "temporal"


TargetArg = Annotated[list[str], typer.Argument(
    help="One or several of: a model name from `reclite models` (fitted on the train split), a model "
         "directory from `reclite fit` (its parameters are refitted on the train split), or a "
         "recommendations CSV with columns user,item and rank or score (scored against the test split). "
         "Several are evaluated on the same split, one table with a model column.",
    metavar="MODEL_OR_CSV", show_default=False)]
SplitOpt = Annotated[SplitName, typer.Option("--split", "-s", help="How to hold out test interactions.")]
KListOpt = Annotated[str, typer.Option(
    "-k", help="Cut-off, or several separated by commas (e.g. 10,20,50): one table row each.")]
MetricsOpt = Annotated[str | None, typer.Option(
    "--metrics", "-m", help="Comma-separated metrics (default: all): ndcg, recall, calibrated_recall, "
                            "precision, map, mrr, hit_rate, coverage, novelty, popularity.",
    show_default=False)]
TestSizeOpt = Annotated[float, typer.Option(
    "--test-size", help="random_holdout: share of each user's interactions held out.", min=0.0, max=1.0)]
NLastOpt = Annotated[int, typer.Option(
    "--n-last", help="leave_last_out / last_and_random: each user's latest interactions held out.", min=0)]
NRandomOpt = Annotated[int, typer.Option(
    "--n-random", help="last_and_random: random earlier interactions held out per user.", min=0)]
AtOpt = Annotated[str, typer.Option(
    "--at", help="temporal: the cut-off, a timestamp (integer) or a quantile of time (0 < q < 1).")]
MinTrainOpt = Annotated[int | None, typer.Option(
    "--min-train", help="Users keep at least this many interactions in train, or stay whole in train "
                        "(default: 1; temporal: 0).", min=0, show_default=False)]
MaxMemoryOpt = Annotated[str, typer.Option(
    "--max-memory", help="Budget for one batch of dense scores, e.g. 512MB or 2GB.")]
TrainFileOpt = Annotated[Path | None, typer.Option(
    "--train", help="With a recommendations CSV and --test: the training part the lists were made from "
                    "(e.g. from reclite split); gives novelty/popularity and a warning when lists hold "
                    "training items.", show_default=False)]
TestFileOpt = Annotated[Path | None, typer.Option(
    "--test", help="With a recommendations CSV: the held-out part to score against (e.g. DIR/test.csv from "
                   "reclite split), instead of splitting --data.", show_default=False)]


class OnUnknownIds(StrEnum):
    miss = "miss"
    error = "error"


OnUnknownOpt = Annotated[OnUnknownIds, typer.Option(
    "--on-unknown", help="Users or items of a recommendations CSV that the data does not know: stop with "
                         "an error naming them, or count them as misses (a user's list is then ignored).")]


EvalEngineOpt = Annotated[Engine, typer.Option(
    "--engine", help="local: rank and score here. spark: fit spark_als models and compute every metric in "
                     "Apache Spark (reclite.evaluate_spark: the same numbers); needs pip install "
                     "\"reclite[spark]\" and Java 17+.")]
PlotOpt = Annotated[Path | None, typer.Option(
    "--plot", help="Also draw each metric against k (and the model's validation curves, when it has "
                   "them) into this PNG; needs matplotlib: pip install \"reclite[plot]\".",
    show_default=False)]
PerUserOpt = Annotated[Path | None, typer.Option(
    "--per-user", help="Also write the per-user values as CSV to this file (atomically).",
    show_default=False)]


def parse_ks(text: str) -> list[int]:
    from reclite.errors import RecliteError

    try:
        ks = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise RecliteError(f"-k {text!r}: expected a positive integer or a comma-separated list, "
                           "e.g. -k 10 or -k 10,20") from None
    if not ks or min(ks) < 1:
        raise RecliteError(f"-k {text!r}: cut-offs must be positive integers, e.g. -k 10,20")
    return sorted(set(ks))


def parse_at(text: str) -> int | float:
    from reclite.errors import RecliteError

    try:
        return int(text)
    except ValueError:
        pass
    try:
        q = float(text)
    except ValueError:
        q = math.nan
    if not 0.0 < q < 1.0:
        raise RecliteError(f"--at {text!r}: expected a timestamp (integer) or a quantile between 0 and "
                           "1, e.g. --at 0.8")
    return q


def make_split(ds: Any, how: SplitName, *, test_size: float, n_last: int, n_random: int, at: str,
               min_train: int | None, seed: int) -> tuple[Any, Any, str]:
    """(train, test, description) for the chosen split."""
    from reclite import split
    from reclite.errors import ParameterError

    kw = {} if min_train is None else {"min_train": min_train}
    try:
        if how is SplitName.random_holdout:
            train, test = split.random_holdout(ds, test_size, random_state=seed, **kw)
            text = f"random_holdout test_size={test_size:g} seed={seed}"
        elif how is SplitName.leave_last_out:
            train, test = split.leave_last_out(ds, max(n_last, 1), **kw)
            text = f"leave_last_out n={max(n_last, 1)}"
        elif how is SplitName.last_and_random:
            train, test = split.last_and_random(ds, n_last, n_random, random_state=seed, **kw)
            text = f"last_and_random n_last={n_last} n_random={n_random} seed={seed}"
        else:
            train, test = split.temporal(ds, parse_at(at), **kw)
            text = f"temporal at={at}"
    except ParameterError as exc:  # the split's parameters (the command line's options)
        exc.args = (f"--split {how.value}: {exc}",)
        raise
    if min_train is not None:
        text += f" min_train={min_train}"
    return train, test, text


def read_recommendations(path: Path) -> Any:
    import pandas as pd

    from reclite.errors import DataError

    try:
        recs = pd.read_csv(path, dtype={"user": str, "item": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read as a recommendations CSV ({exc})") from None
    recs.columns = [str(c).strip().lower() for c in recs.columns]
    return recs


def read_parts(train_path: Path | None, test_path: Path) -> tuple[Any, Any]:
    """The --train and --test files as two Datasets sharing one user and one item map (the union;
    the items also hold the data's whole catalogue when the files come from ``reclite split``)."""
    import numpy as np

    from reclite.data import Dataset, IdMap

    from ._reading import read_data
    from ._splitdir import read_catalogue

    parts = [read_data(test_path)] if train_path is None else [read_data(train_path), read_data(test_path)]
    catalogue = read_catalogue(Path(test_path))
    maps = []
    for attr, name in (("users", "user"), ("items", "item")):
        ids = [getattr(d, attr).ids for d in parts]
        if attr == "items" and catalogue is not None:
            ids.append(catalogue)
        if len({a.dtype.kind for a in ids}) > 1:
            ids = [a.astype(str) for a in ids]
        maps.append(IdMap.from_values(np.concatenate(ids), name=name)[0])
    out = []
    for d in parts:
        if d.users == maps[0] and d.items == maps[1]:
            out.append(d)
            continue
        frame = d.to_frame()
        out.append(Dataset.from_frame(frame, "user", "item", "value", "time" if d.has_time else None,
                                      users=maps[0], items=maps[1], name=d.name))
    return (None, out[0]) if train_path is None else (out[0], out[1])


def check_lists(recs: Any, train: Any, test: Any, kmax: int) -> None:
    """Warn when the lists hold the users' training items, or reach no test item at all."""
    import warnings

    import numpy as np

    from reclite.errors import DataWarning

    def pairs(ds: Any, users: Any, items: Any) -> Any:
        u = ds.users.to_index(users, missing="negative").astype(np.int64)
        i = ds.items.to_index(items, missing="negative").astype(np.int64)
        ok = (u >= 0) & (i >= 0)
        return np.where(ok, u * max(ds.n_items, 1) + i, -1)

    users, items = recs["user"].to_numpy(), recs["item"].to_numpy()
    if train is not None and len(recs):
        train_keys = train.user_idx.astype(np.int64) * max(train.n_items, 1) + train.item_idx
        seen = np.isin(pairs(train, users, items), train_keys) & (pairs(train, users, items) >= 0)
        if seen.any():
            warnings.warn(
                f"{int(seen.sum()):,} of {len(recs):,} recommended items ({len(np.unique(users[seen])):,} users) "
                "are the user's training items: the lists were not made by a model fitted on --train with "
                "its seen-item filter (fit on the train file and recommend from that model)", DataWarning,
                stacklevel=2)
    test_keys = test.user_idx.astype(np.int64) * max(test.n_items, 1) + test.item_idx
    key = pairs(test, users, items)
    test_users = np.unique(test.user_idx)
    listed = np.isin(test.users.to_index(users, missing="negative"), test_users)
    if len(test) and not listed.any():
        warnings.warn("no recommendations for any test user (every metric is 0): do the user ids of the "
                      "lists and of the test data agree?", DataWarning, stacklevel=2)
    elif len(test) and not np.isin(key[key >= 0], test_keys).any():
        warnings.warn(
            "no recommended item is a test item of its user (every accuracy metric is 0): if the lists come "
            "from a model fitted on all the data, its seen-item filter removed the test items. Split first "
            "(reclite split --out DIR), fit on DIR/train.csv, recommend, and evaluate with --train DIR/train.csv "
            "--test DIR/test.csv", DataWarning, stacklevel=2)


def resolve_model(target: str, *, confidence: str | None, alpha: float | None, params: dict[str, Any],
                  confidence_params: dict | None, seed: int, quiet: bool, saved: Any = None) -> tuple[Any, str]:
    """An unfitted estimator for a registry name or a saved model directory (``saved``: that
    directory's model, when already loaded), and its label."""
    from sklearn.base import clone

    from reclite.errors import RecliteError
    from reclite.models import registry

    from .fit import build_model, with_confidence

    path = Path(target)
    if path.is_dir():
        import reclite

        model = clone(reclite.load_model(path) if saved is None else saved)
        overrides = with_confidence(params, confidence, alpha, confidence_params)
        if overrides:
            known = model.get_params(deep=False)
            bad = [p for p in overrides if p not in known]
            if bad:
                raise RecliteError(f"{type(model).__name__} has no parameter {', '.join(bad)}; "
                                   f"its parameters are: {', '.join(known)}")
            model.set_params(**overrides)
        if model.get_params(deep=False).get("random_state", 0) is None and "random_state" not in overrides:
            model.set_params(random_state=seed)  # saved without a seed: --seed keeps the CLI reproducible
        if not quiet:
            err(f"Refitting {type(model).__name__} from {path} with its saved parameters on the train "
                "split (its saved fit has seen the test interactions).")
        return model, f"{type(model).__name__} ({path})"
    if target not in registry.names():
        raise RecliteError(f"{target!r} is neither a model name ({', '.join(registry.names())}) nor an "
                           "existing recommendations CSV or model directory")
    params = dict(params)
    cls = registry.get(target)
    if "random_state" in cls().get_params(deep=False) and "random_state" not in params:
        params["random_state"] = seed
    return build_model(target, confidence, alpha, params, confidence_params, quiet), target


def resolve_models(targets: list[str], is_csv: list[bool], *, confidence: str | None, alpha: float | None,
                   params: dict[str, Any], confidence_params: dict | None, seed: int,
                   quiet: bool) -> list[tuple[Any, str]]:
    """(estimator or None for a CSV, label) per target.

    With one model, every --param/--confidence option applies to it (an unknown name is an
    error). With several, each option applies to the models that have that parameter, and
    one that no model has is an error naming them all. ``--param MODEL.name=value`` goes to
    that model only (and wins over a plain ``name=value``).
    """
    import reclite
    from reclite.errors import RecliteError
    from reclite.models import registry

    from .fit import with_confidence

    names = [t for t, csv in zip(targets, is_csv, strict=True) if not csv]
    params, scoped = split_scoped(params, names)
    shared = list(with_confidence(params, confidence, alpha, confidence_params))
    # several models: each one's parameter names (a model directory is loaded here, once)
    saved = {t: reclite.load_model(t) for t in names if Path(t).is_dir()} if len(names) > 1 else {}
    known = {t: set(saved[t].get_params(deep=False)) if t in saved else
             set(registry.get(t)().get_params(deep=False)) if t in registry.names() else set()
             for t in names} if len(names) > 1 else {}
    if known:
        unused = [p for p in shared if not any(p in k for k in known.values())]
        if unused:
            raise RecliteError(f"no model of {', '.join(names)} has a parameter {', '.join(unused)} "
                               "(`reclite models` lists each model's parameters)")
    out: list[tuple[Any, str]] = []
    for target, csv in zip(targets, is_csv, strict=True):
        if csv:
            out.append((None, target))
            continue
        mine = known.get(target)

        def keep(name: str, mine: set[str] | None = mine) -> bool:
            return mine is None or name in mine

        out.append(resolve_model(
            target, confidence=confidence if keep("confidence") else None,
            alpha=alpha if keep("alpha") else None,
            params={**{n: v for n, v in params.items() if keep(n)}, **scoped.get(target, {})},
            confidence_params=confidence_params if keep("confidence_params") else None, seed=seed, quiet=quiet,
            saved=saved.get(target)))
    labels = [label for _, label in out]
    twice = sorted({label for label in labels if labels.count(label) > 1})
    if twice:
        raise RecliteError(f"{', '.join(twice)} given more than once: each MODEL_OR_CSV is evaluated once")
    return out


def split_scoped(params: dict[str, Any], names: list[str]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """``--param`` assignments as (shared, per model): ``ease.l2=200`` goes to the model
    ``ease`` only (a parameter name never holds a dot, so the prefix is unambiguous)."""
    from reclite.errors import RecliteError

    shared: dict[str, Any] = {}
    scoped: dict[str, dict[str, Any]] = {}
    for name, value in params.items():
        if "." not in name:
            shared[name] = value
            continue
        model, _, param = name.rpartition(".")
        if model not in names:
            raise RecliteError(f"--param {name}={value!r}: {model!r} is not a model evaluated here "
                               f"({', '.join(names) or 'none'}); write MODEL.name=value with one of them, "
                               "or name=value for every model that has the parameter")
        scoped.setdefault(model, {})[param] = value
    return shared, scoped


def format_table(summary: Any) -> str:
    frame = summary.copy()
    for col in frame.columns:
        if col not in ("model", "k", "n_users"):
            frame[col] = frame[col].map(lambda v: "nan" if v != v else f"{v:.4f}")
    return frame.to_string(index=False) + "\n"


def flat_metrics(summary: Any) -> dict[str, float | None]:
    """``{"ndcg@10": ..., ...}``: every metric of the table at every cut-off."""
    flat: dict[str, float | None] = {}
    for rec in summary.to_dict(orient="records"):
        for key, v in rec.items():
            if key not in ("k", "n_users"):
                flat[f"{key}@{int(rec['k'])}"] = None if v != v else float(v)
    return flat


def as_json(summary: Any, meta: dict[str, Any]) -> str:
    rows = []
    flat: dict[str, float | None] = {}
    for rec in summary.to_dict(orient="records"):
        row: dict[str, Any] = {key: (None if isinstance(v, float) and v != v else v) for key, v in rec.items()}
        row["k"], row["n_users"] = int(rec["k"]), int(rec["n_users"])
        rows.append(row)
        for key, v in row.items():
            if key not in ("k", "n_users"):
                flat[f"{key}@{row['k']}"] = v
    return json.dumps({**meta, "metrics": flat, "rows": rows}, indent=2) + "\n"


SPLIT_DEFAULTS: dict[str, Any] = {"split_name": ("--split", "random_holdout"), "test_size": ("--test-size", 0.2),
                                  "n_last": ("--n-last", 1), "n_random": ("--n-random", 9), "at": ("--at", "0.8"),
                                  "min_train": ("--min-train", None)}


def evaluate(
    target: TargetArg,
    data: DataOpt = None,
    split_name: SplitOpt = SplitName.random_holdout,
    k: KListOpt = "10",
    metrics: MetricsOpt = None,
    test_size: TestSizeOpt = 0.2,
    n_last: NLastOpt = 1,
    n_random: NRandomOpt = 9,
    at: AtOpt = "0.8",
    min_train: MinTrainOpt = None,
    seed: SeedOpt = 0,
    confidence: ConfidenceOpt = None,
    alpha: AlphaOpt = None,
    param: ParamOpt = None,
    confidence_param: ConfParamOpt = None,
    max_memory: MaxMemoryOpt = "1GB",
    per_user: PerUserOpt = None,
    train_file: TrainFileOpt = None,
    test_file: TestFileOpt = None,
    on_unknown: OnUnknownOpt = OnUnknownIds.error,
    json_out: JsonOpt = False,
    plot: PlotOpt = None,
    engine: EvalEngineOpt = Engine.local,
    quiet: QuietOpt = False,
) -> None:
    """Split the data, rank every item for every test user, and print the metrics table.

    MODEL_OR_CSV is a model name (fitted on the train split), a model directory (its saved parameters are refitted on the train split, since the saved fit has seen the test interactions), or a recommendations CSV (user,item and rank or score, raw ids) made on the same split, scored against its test part. Several are evaluated on one split, and the table gets a model column (with --plot: side by side); each --param or --confidence option then applies to the models that have it, and --param MODEL.name=value to that model only. The table (one row per cut-off) goes to stdout; notes go to stderr.

    Example:

        reclite evaluate ease --data ml-100k --split leave_last_out -k 10,20

        reclite evaluate recs.csv --train split/train.csv --test split/test.csv --on-unknown miss

        reclite evaluate pop itemknn ease --data ml-100k -k 5,10,20 --plot compare.png
    """
    from reclite.errors import RecliteError


    targets = [str(t) for t in (target if isinstance(target, (list, tuple)) else [target])]
    ks = parse_ks(k)
    if plot is not None:  # before any work: without matplotlib, one line saying how to get it
        from reclite.plots import require_matplotlib

        require_matplotlib()
    from reclite._validation import parse_memory
    from reclite.metrics import check_metric_names

    try:
        parse_memory(max_memory)
    except ValueError as exc:
        raise RecliteError(f"--max-memory: {exc}") from None
    names = None if metrics is None else check_metric_names(
        [m for m in metrics.split(",") if m.strip()], context="--metrics: ")
    is_csv = [Path(t).is_file() for t in targets]
    if train_file is not None and test_file is None:
        raise RecliteError("--train needs --test: give both parts of the split the lists were made on")
    if test_file is not None and (not all(is_csv) or data is not None):
        bad = next((t for t, csv in zip(targets, is_csv, strict=True) if not csv), None)
        raise RecliteError("--test scores a recommendations CSV (or several) against a test file; give CSVs and "
                           f"no --data ({f'{bad!r} is not a file' if bad is not None else 'a CSV'}"
                           f"{', --data given' if data else ''})")
    if test_file is not None:  # the split was made elsewhere: split options would be silently ignored
        values: dict[str, Any] = {"split_name": split_name, "test_size": test_size, "n_last": n_last,
                                  "n_random": n_random, "at": at, "min_train": min_train}
        given = [flag for name, (flag, default) in SPLIT_DEFAULTS.items() if values[name] != default]  # StrEnum == str
        if given:
            raise RecliteError(f"{', '.join(given)}: split options do nothing with --test (the files are the "
                               "split); leave them out, or split here with --data instead of --train/--test")
    if engine is Engine.spark and (any(is_csv) or per_user is not None):
        what = "--per-user" if per_user is not None else f"{targets[is_csv.index(True)]!r} (a recommendations CSV)"
        raise RecliteError(f"--engine spark evaluates spark_als models in Spark; {what} cannot be: use "
                           "--engine local")
    # check the model names and parameters before reading the data
    models = resolve_models(targets, is_csv, confidence=confidence, alpha=alpha, params=parse_params(param),
                            confidence_params=parse_param_assignments(confidence_param) or None,
                            seed=seed, quiet=quiet)
    several = len(models) > 1
    if engine is Engine.spark:  # before reading the data
        from reclite.models.spark import SparkALS, require_spark

        wrong = [label for model, label in models if not isinstance(model, SparkALS)]
        if wrong:
            raise RecliteError(f"--engine spark evaluates spark_als models; {', '.join(wrong)} "
                               f"{'is' if len(wrong) == 1 else 'are'} not (use --engine local)")
        require_spark()
    start = time.perf_counter()
    if test_file is not None:
        train, test = read_parts(train_file, test_file)
        split_text = f"files train={train_file} test={test_file}" if train_file else f"file test={test_file}"
        for part, where, role in ((train, train_file, "train"), (test, test_file, "test")):
            if part is not None:
                note_data(part, where, role)
        note(split=split_text)
    else:
        ds = load_data(data, quiet=quiet)
        note_data(ds, data)
        train, test, split_text = make_split(ds, split_name, test_size=test_size, n_last=n_last,
                                             n_random=n_random, at=at, min_train=min_train, seed=seed)
        note(split=split_text, seed=seed)
    read_seconds = time.perf_counter() - start
    note(timings={"read": round(read_seconds, 6)})
    if not quiet:
        parts = (f"train {len(train):,}, " if train is not None else "") + f"test {len(test):,} interactions"
        err(f"Split {split_text}: {parts}.")
    summaries: dict[str, Any] = {}
    per_users: dict[str, Any] = {}
    histories: dict[str, Any] = {}
    records: list[dict[str, Any]] = []
    for (model, label), tgt in zip(models, targets, strict=True):
        summary, users, fit_seconds, eval_seconds = evaluate_one(
            model, tgt, label, train, test, ks, names, max_memory=max_memory, per_user=per_user is not None,
            on_unknown=on_unknown, quiet=quiet, spark=engine is Engine.spark)
        summaries[label], per_users[label], histories[label] = summary, users, getattr(model, "history_", None)
        timings = {"evaluate": round(eval_seconds, 6)}
        if fit_seconds is not None:
            timings["fit"] = round(fit_seconds, 6)
        entry: dict[str, Any] = {"model": tgt, "metrics": flat_metrics(summary), "timings": timings}
        if several:  # this model's share: reading and splitting, its fit, its scoring
            entry["timings"] = {**timings, "total": round(read_seconds + sum(timings.values()), 6)}
        if model is not None:
            entry.update(model_class=type(model).__name__,
                         params={n: v for n, v in model.get_params(deep=False).items() if n != "show_progress"})
        records.append(entry)
    if several:
        note_each(records)  # one run record per model
    else:
        note(**{key: value for key, value in records[0].items() if key != "timings"},
             timings=records[0]["timings"], **({"seed": seed} if models[0][0] is not None else {}))
    if per_user is not None:
        frames = [u.assign(model=label)[["model", *u.columns]] if several else u
                  for label, u in per_users.items() if u is not None]
        if frames:
            import pandas as pd

            write_text_output(pd.concat(frames, ignore_index=True).to_csv(
                index=False, float_format="%.6g", lineterminator="\n"), per_user)
    if plot is not None:
        from ._plotting import plot_evaluation

        plot_evaluation(plot, summaries, histories)
    source = str(test_file) if test_file is not None else (ds.name or (str(data) if data is not None else "demo"))
    if json_out:
        typer.echo(as_json_all(summaries, {"data": source, "split": split_text, "k": ks}), nl=False)
    else:
        typer.echo(format_tables(summaries), nl=False)


def evaluate_one(model: Any, target: str, label: str, train: Any, test: Any, ks: list[int], names: Any, *,
                 max_memory: str, per_user: bool, on_unknown: OnUnknownIds, quiet: bool,
                 spark: bool = False) -> tuple[Any, Any, float | None, float]:
    """Fit and score one model (or score one recommendations CSV): (summary, per-user table or
    None, fit seconds or None, scoring seconds); a line on stderr says how it went.
    ``spark``: score with :func:`reclite.evaluate_spark` (a SparkALS; no per-user table)."""
    import reclite

    from .fit import fit_model

    start = time.perf_counter()
    if model is None:
        recs = read_recommendations(Path(target))
        result = reclite.evaluate_recommendations(recs, test, ks, names, train=train, per_user=per_user,
                                                  on_unknown="raise" if on_unknown is OnUnknownIds.error else "miss")
        check_lists(recs, train, test, ks[-1])
        fit_seconds = None
    else:
        fit_model(model, train, target)
        fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        from reclite._progress import phase

        if spark:
            with phase(f"scoring {len(test):,} test interactions in Spark"):
                result = reclite.evaluate_spark(model, train, test, ks, names)
        else:
            # the library's own bar on a terminal; otherwise one phase (a line in a log when it is long)
            with contextlib.nullcontext() if live_bars() else phase(f"scoring {len(test):,} test interactions"):
                result = reclite.evaluate(model, train, test, ks, names, max_memory=max_memory,
                                          per_user=per_user, show_progress=live_bars())
    eval_seconds = time.perf_counter() - start
    summary, users = result if isinstance(result, tuple) else (result, None)
    if not quiet:
        fitted = "" if fit_seconds is None else f"fitted in {fit_seconds:.2f} s, "
        n_users = int(summary["n_users"].iloc[0]) if len(summary) else 0
        err(f"Evaluated {label} on {n_users:,} test users: {fitted}scored in {eval_seconds:.2f} s.")
    return summary, users, fit_seconds, eval_seconds


def format_tables(summaries: dict[str, Any]) -> str:
    """One model: its table; several: one table with a model column first."""
    if len(summaries) == 1:
        return format_table(next(iter(summaries.values())))
    import pandas as pd

    return format_table(pd.concat([s.assign(model=label)[["model", *s.columns]] for label, s in summaries.items()],
                                  ignore_index=True))


def as_json_all(summaries: dict[str, Any], meta: dict[str, Any]) -> str:
    """One model: ``{model, data, split, k, metrics, rows}``; several: ``{data, split, k,
    models: [{model, metrics, rows}, ...]}``."""
    if len(summaries) == 1:
        label, summary = next(iter(summaries.items()))
        return as_json(summary, {"model": label, **meta})
    models = [json.loads(as_json(summary, {"model": label})) for label, summary in summaries.items()]
    return json.dumps({**meta, "models": models}, indent=2) + "\n"


def register(app: typer.Typer) -> None:
    command = pipeline("evaluate", argument="target")(reading_options(evaluate))
    app.command("evaluate")(error_boundary(with_progress(command)))
