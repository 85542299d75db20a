"""`reclite model info DIR`: what a model directory holds, without loading the model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ._common import error_boundary
from ._options import JsonOpt

model_app = typer.Typer(help="Inspect saved models.\n\nExample:\n\n    reclite model info reclite-model",
                        no_args_is_help=True,
                        context_settings={"help_option_names": ["-h", "--help"]})

DirArg = Annotated[Path, typer.Argument(help="A model directory written by reclite fit (or Recommender.save).",
                                        metavar="DIR", show_default=False)]


def _read_json(path: Path) -> dict[str, Any] | None:
    from reclite.errors import ModelFileError

    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{path}: corrupt ({exc})") from None
    return doc if isinstance(doc, dict) else None


def describe(directory: Path) -> dict[str, Any]:
    """Class, parameters, training data (fingerprint and shape), fit time, versions, size on disk."""
    from reclite.persist import ARRAYS_FILE, read_meta

    from .fit import FIT_FILE

    meta = read_meta(directory)  # FileNotFoundError / ModelFileError name the directory
    attrs = meta.get("attributes") or {}

    def attr(name: str) -> Any:
        a = attrs.get(name)
        return a.get("value") if isinstance(a, dict) and a.get("kind") == "json" else None

    fit = _read_json(directory / FIT_FILE)
    shape = (fit or {}).get("data_shape") or {"users": attr("n_users_"), "items": attr("n_items_"),
                                              "interactions": _nnz(directory / ARRAYS_FILE)}
    files = [p for p in directory.rglob("*") if p.is_file()]
    return {
        "directory": str(directory),
        "class": meta["class"],
        "model": (fit or {}).get("model"),
        "params": meta["params"],
        "data": (fit or {}).get("data"),
        "data_fingerprint": (fit or {}).get("data_fingerprint"),
        "data_shape": shape,
        "seed": (fit or {}).get("seed"),
        "fit_seconds": (fit or {}).get("fit_seconds"),
        "fitted_at": (fit or {}).get("fitted_at"),
        "versions": _read_json(directory / "versions.json") or {},
        "format_version": meta["format_version"],
        "files": sorted(str(p.relative_to(directory)) for p in files),
        "bytes": sum(p.stat().st_size for p in files),
    }


def _nnz(arrays: Path) -> int | None:
    """Interactions the model saw: the length of ``seen_``'s indices in arrays.npz (None if absent)."""
    import zipfile

    import numpy as np

    try:
        with np.load(arrays, allow_pickle=False) as npz:
            return int(npz["seen_.indices"].shape[0]) if "seen_.indices" in npz.files else None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None


def format_info(d: dict[str, Any]) -> str:
    def size(n: int) -> str:
        for unit in ("B", "KB", "MB", "GB"):
            if n < 1024 or unit == "GB":
                return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
            n /= 1024  # type: ignore[assignment]
        return str(n)  # pragma: no cover

    s = d["data_shape"]
    shape = ", ".join(f"{s[k]:,} {k}" for k in ("users", "items", "interactions") if s.get(k) is not None)
    unknown = "(not recorded: saved from Python)"
    fit_time = f"{d['fit_seconds']:.2f} s" if d["fit_seconds"] is not None else unknown
    seed = d["seed"] if d["fitted_at"] else unknown
    if d["fitted_at"] and d["seed"] is None:
        seed = "none (random_state=None)" if "random_state" in d["params"] else "none (no randomness)"
    lines = [
        f"model         {d['class']}" + (f" (reclite fit {d['model']})" if d["model"] else ""),
        "params        " + ", ".join(f"{k}={v!r}" for k, v in d["params"].items()),
        f"data          {d['data'] or unknown}",
        f"fingerprint   {d['data_fingerprint'] or unknown}",
        f"shape         {shape or unknown}",
        f"seed          {seed}",
        f"fit time      {fit_time}"
        + (f" (fitted {d['fitted_at']})" if d["fitted_at"] else ""),
        "versions      " + ", ".join(f"{k} {v}" for k, v in d["versions"].items() if v),
        f"files         {', '.join(d['files'])} ({size(d['bytes'])})",
    ]
    return "\n".join(lines) + "\n"


@model_app.command("info")
@error_boundary
def info(directory: DirArg, as_json: JsonOpt = False) -> None:
    """Print a model directory's class, parameters, training data (path, fingerprint, shape), seed, fit time and versions.

    Reads the directory's JSON files only: nothing is loaded or run.

    Example:

        reclite model info reclite-model --json
    """
    d = describe(directory)
    if as_json:
        typer.echo(json.dumps(d, indent=2))
    else:
        typer.echo(format_info(d), nl=False)


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
