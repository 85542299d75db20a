"""Run records: one JSON line per fit, evaluate, split or tune, in ``<dir>/runs.jsonl``.

Every command of the pipeline (``reclite fit``, ``evaluate``, ``split``, ``tune``) appends
one record when it succeeds, to ``./reclite-runs/runs.jsonl`` by default (``--runs DIR``
or the environment variable ``RECLITE_RUNS=DIR`` choose another folder; ``--no-record`` or
``RECLITE_RUNS=off`` turn recording off). ``reclite runs`` lists them.

A record holds every field of :data:`FIELDS` (``None`` where it does not apply):

==================  ===============================================================
field               what
==================  ===============================================================
id                  ``YYYYmmdd-HHMMSS-xxxxxx`` (UTC time and 6 random hex digits)
time                UTC start time, ISO 8601
command             fit, evaluate, split or tune
argv                the arguments as typed (after ``reclite``)
command_line        the canonical command line: every option that differs from its default,
                    after ``--config`` was applied (rerunning it repeats the run)
options             every option's effective value
model, model_class  the model's name on the command line and its class
params              the model's parameters (``get_params``)
data                the data path (``"demo"`` for the embedded demo)
data_fingerprint    :meth:`Dataset.fingerprint` of the data read
data_shape          users, items, interactions
train, test         for split and for evaluate with ``--train/--test``: path, fingerprint
                    and shape of each part
split, seed         the split's description and the random seed
metrics             ``{"ndcg@10": ...}`` (evaluate: every metric at every cut-off; tune: the
                    best trial's score)
timings             seconds: ``total`` and the phases (read, fit, evaluate...)
outputs             files and folders written
versions            python, reclite, implicit, numpy, scipy, pandas, scikit-learn
git_commit          ``git rev-parse HEAD`` of the working directory, or None
git_dirty           whether ``git status --porcelain`` listed changes, or None
cwd                 the working directory (relative paths are relative to it)
==================  ===============================================================

``reclite evaluate`` given several models appends one record per model, with ids
``<id>``, ``<id>-2``, ``<id>-3``...: the same options and split, each its own ``model``,
``params``, ``metrics`` and ``timings`` (``total`` is that model's share: reading and
splitting, its fit and its scoring).

Appending is one ``write`` of one line to a file opened in append mode, so concurrent
runs do not interleave within a line. A ``runs.jsonl`` whose first line is not a run
record (a file reclite did not write) is never appended to.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import secrets
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .errors import DataError, OutputError, ParameterError

__all__ = ["FIELDS", "RUNS_ENV", "DEFAULT_DIR", "RUNS_FILE", "runs_dir", "new_record", "append_record",
           "read_records", "records_table", "best_record", "versions", "git_state"]

FIELDS: tuple[str, ...] = (
    "id", "time", "command", "argv", "command_line", "options", "model", "model_class", "params", "data",
    "data_fingerprint", "data_shape", "train", "test", "split", "seed", "metrics", "timings", "outputs",
    "versions", "git_commit", "git_dirty", "cwd",
)
#: environment variable: the runs folder, or off / 0 / none / false to record nothing
RUNS_ENV = "RECLITE_RUNS"
DEFAULT_DIR = "reclite-runs"
RUNS_FILE = "runs.jsonl"
_OFF = ("off", "0", "none", "false", "no")


def runs_dir(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The folder records go to: ``path``, else ``$RECLITE_RUNS``, else ``./reclite-runs``.

    None when ``RECLITE_RUNS`` turns recording off (and no ``path`` is given).
    """
    if path is not None:
        return Path(path)
    env = os.environ.get(RUNS_ENV, "").strip()
    if env.lower() in _OFF and env:
        return None
    return Path(env) if env else Path(DEFAULT_DIR)


def versions() -> dict[str, str | None]:
    """Versions of Python and of the packages that decide a run's numbers (None: not installed)."""
    import importlib.metadata as md
    import platform

    out: dict[str, str | None] = {"python": platform.python_version()}
    for pkg in ("reclite", "implicit", "numpy", "scipy", "pandas", "scikit-learn", "numba"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    return out


def git_state(cwd: str | os.PathLike[str] | None = None) -> tuple[str | None, bool | None]:
    """(commit, dirty) of the git working tree holding ``cwd``, or (None, None) outside one."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5,
                                  check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None, None
    status = git("status", "--porcelain", "--untracked-files=no")
    return commit.strip(), (None if status is None else bool(status.strip()))


def new_record(command: str, **fields: Any) -> dict[str, Any]:
    """A record with every field of :data:`FIELDS`: id, time, versions, git and cwd filled in,
    ``fields`` as given, the rest None."""
    unknown = [k for k in fields if k not in FIELDS]
    if unknown:
        raise ParameterError(f"unknown run record field {', '.join(unknown)}; fields are {', '.join(FIELDS)}")
    now = _dt.datetime.now(_dt.UTC)
    commit, dirty = git_state()
    rec: dict[str, Any] = dict.fromkeys(FIELDS)
    rec.update(id=f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}", time=now.isoformat(timespec="seconds"),
               command=command, versions=versions(), git_commit=commit, git_dirty=dirty, cwd=os.getcwd(),
               metrics={}, timings={}, outputs=[])
    rec.update(fields)
    return rec


def _is_record(obj: Any) -> bool:
    return isinstance(obj, dict) and "id" in obj and "command" in obj


def append_record(record: dict[str, Any], directory: str | os.PathLike[str] | None = None) -> Path:
    """Append ``record`` as one JSON line to ``directory/runs.jsonl`` (created if needed).

    Raises
    ------
    OutputError
        ``directory`` is a file, ``runs.jsonl`` is a folder or a file that does not hold run
        records (nothing is written), or the file cannot be written.
    """
    folder = runs_dir(directory)
    if folder is None:
        raise ParameterError(f"recording is off ({RUNS_ENV}={os.environ.get(RUNS_ENV)!r}); pass a folder")
    path = folder / RUNS_FILE
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: exists and is not a folder; run records go to {path} (pass --runs DIR)")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder, not a run records file; nothing was written")
    if path.exists() and path.stat().st_size:
        with open(path, encoding="utf-8", errors="replace") as fh:
            first = fh.readline()
        try:
            ok = _is_record(json.loads(first))
        except ValueError:
            ok = False
        if not ok:
            raise OutputError(f"{path}: its first line is not a reclite run record, so nothing is appended "
                              "to it (pass --runs DIR for another folder)")
    line = json.dumps(record, default=str, allow_nan=False, separators=(",", ":")) + "\n"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def read_records(directory: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Every record in ``directory/runs.jsonl``, oldest first ([] when there is none).

    Raises
    ------
    DataError
        A line that is not a run record (the message names the file and the line).
    """
    folder = runs_dir(directory)
    if folder is None:
        return []
    path = folder / RUNS_FILE
    if not path.is_file():
        return []
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError as exc:
                raise DataError(f"{path}: line {n}: not a JSON run record ({exc})") from None
            if not _is_record(rec):
                raise DataError(f"{path}: line {n}: not a run record (no 'id' and 'command')")
            out.append(rec)
    return out


def _metric_value(rec: dict[str, Any], metric: str) -> float | None:
    v = (rec.get("metrics") or {}).get(metric)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v else None


def best_record(records: Sequence[dict[str, Any]], metric: str) -> dict[str, Any]:
    """The record with the highest ``metric`` (e.g. ``"ndcg@10"``); the earliest wins a tie.

    Raises
    ------
    ParameterError
        No record holds ``metric`` (the message lists the metrics they do hold).
    """
    scored = [(v, -i, r) for i, r in enumerate(records) if (v := _metric_value(r, metric)) is not None]
    if not scored:
        have = sorted({m for r in records for m in (r.get("metrics") or {})})
        raise ParameterError(f"no run has the metric {metric!r}; the runs hold: "
                             f"{', '.join(have) if have else 'no metrics (run reclite evaluate or tune)'}")
    return max(scored, key=lambda t: (t[0], t[1]))[2]


def _default_metrics(records: Iterable[dict[str, Any]]) -> list[str]:
    have: dict[str, None] = {}
    for r in records:
        for m in r.get("metrics") or {}:
            have[m] = None
    main = [m for m in have if m.split("@")[0] in ("ndcg", "recall")]
    return sorted(main or have, key=lambda m: (m.split("@")[0], int(m.split("@")[1]) if
                                               m.partition("@")[2].isdigit() else 0))


def records_table(records: Sequence[dict[str, Any]], metrics: Sequence[str] | None = None) -> Any:
    """The records as a DataFrame, one row each: id, time, command, model, data, split, seed,
    seconds and the ``metrics`` columns (default: the ndcg and recall cut-offs the records
    hold, else every metric). This is what ``reclite runs`` prints, and what a plot of the
    runs starts from."""
    import pandas as pd

    cols = list(metrics) if metrics is not None else _default_metrics(records)
    rows = []
    for r in records:
        data = r.get("data")
        if data is None and isinstance(r.get("test"), dict):
            data = r["test"].get("path")
        rows.append({
            "id": r.get("id"), "time": str(r.get("time") or "")[:19].replace("T", " "),
            "command": r.get("command"), "model": r.get("model") or "", "data": data or "",
            "split": r.get("split") or "", "seed": r.get("seed"),
            "seconds": (r.get("timings") or {}).get("total"),
            **{m: _metric_value(r, m) for m in cols},
        })
    return pd.DataFrame(rows, columns=["id", "time", "command", "model", "data", "split", "seed", "seconds",
                                       *cols])
