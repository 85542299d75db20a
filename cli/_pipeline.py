"""What the pipeline commands (fit, evaluate, split, tune) share: ``--config FILE.toml``,
``--save-config FILE.toml`` and a run record (:mod:`reclite.runs`) per successful run.

:func:`pipeline` adds ``--config``, ``--save-config``, ``--runs`` and ``--no-record`` to a
typer command without touching its signature. While the command runs, its body adds to
the record with :func:`note` and :func:`note_data`; when it returns, the record (options,
command line, timings, versions, git commit...) is appended to the runs file and the
config is saved.

Config files
------------
A TOML file of the command's options, named as the long flags without the dashes
(``test-size = 0.2``, ``split = "leave_last_out"``; ``_`` works for ``-``), and its
argument by name (``model = "ease"``; evaluate's is ``target``). Repeatable options take
a list (``param = ["l2=200"]``), and two tables are shorthands for them: ``[params]``
(``l2 = 200``, for ``--param``; in ``tune`` a list of values is the values to search) and
``[confidence-params]`` (``era = {tau = 15}``). Flags on the command line win over the
file; for ``--param`` and ``--confidence-param`` the command line's assignments come after
the file's, so they win name by name. ``--save-config`` writes every option's value as
run (the same names), which ``--config`` reads back to the same run.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import os
import shlex
import time
import typing
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["pipeline", "note", "note_data", "note_each", "current_record", "jsonable"]

_PANEL = "Config and run records"
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", help="Read options from this TOML file (named as the long flags: split = \"temporal\", "
                     "test-size = 0.1; model parameters in a params table); flags given on the command line "
                     "win.",
    show_default=False, rich_help_panel=_PANEL)]
SaveConfigOpt = Annotated[Path | None, typer.Option(
    "--save-config", help="After the run, write its options as a TOML file that --config reads back "
                          "to the same run.", show_default=False, rich_help_panel=_PANEL)]
RunsOpt = Annotated[Path | None, typer.Option(
    "--runs", help="Folder of the run records (runs.jsonl; default: $RECLITE_RUNS, else ./reclite-runs).",
    show_default=False, rich_help_panel=_PANEL)]
NoRecordOpt = Annotated[bool, typer.Option("--no-record", help="Do not append a run record.",
                                           rich_help_panel=_PANEL)]
_OWN = ("config", "save_config", "runs", "no_record")

_record: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("reclite_run", default=None)


def current_record() -> dict[str, Any] | None:
    """The run record being filled (None outside a pipeline command)."""
    return _record.get()


def note(**fields: Any) -> None:
    """Set fields of the current run record (``timings`` and ``metrics`` are merged)."""
    rec = _record.get()
    if rec is None:
        return
    for key, value in fields.items():
        if key in ("timings", "metrics") and isinstance(value, dict):
            rec[key].update(value)
        elif key == "outputs":
            rec[key].extend(str(v) for v in value)
        else:
            rec[key] = jsonable(value)


def note_each(entries: list[dict[str, Any]]) -> None:
    """Make the run several records, one per entry (``evaluate`` with several models): each
    is the shared record with the entry's fields set (``timings`` merged, ``metrics`` its own)."""
    rec = _record.get()
    if rec is None:
        return
    rec["_each"] = [{key: value if key in ("timings", "metrics") else jsonable(value)
                     for key, value in entry.items()} for entry in entries]


def records_of(rec: dict[str, Any]) -> list[dict[str, Any]]:
    """The records a finished run appends: ``rec``, or one per :func:`note_each` entry (the
    first keeps ``rec``'s id; the others get ``<id>-2``, ``<id>-3``... so they sort together)."""
    each = rec.pop("_each", None)
    if not each:
        return [rec]
    out = []
    for n, entry in enumerate(each, start=1):
        one = {**rec, **{key: value for key, value in entry.items() if key not in ("timings", "metrics")}}
        one["timings"] = {**rec["timings"], **entry.get("timings", {})}
        one["metrics"] = dict(entry.get("metrics", {}))
        one["id"] = rec["id"] if n == 1 else f"{rec['id']}-{n}"
        out.append(one)
    return out


def note_data(ds: Any, path: Path | str | None, role: str = "data") -> None:
    """Record the data read: its path, fingerprint and shape (``role``: data, train or test)."""
    rec = _record.get()
    if rec is None:
        return
    shape = {"users": int(ds.n_users), "items": int(ds.n_items), "interactions": int(len(ds))}
    where = "demo" if path is None else str(path)
    if role == "data":
        rec.update(data=where, data_fingerprint=ds.fingerprint(), data_shape=shape)
    else:
        rec[role] = {"path": where, "fingerprint": ds.fingerprint(), "shape": shape}


def jsonable(value: Any) -> Any:
    """``value`` as JSON/TOML-friendly data: enums as their values, paths as text, numpy scalars
    as Python numbers, tuples as lists."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


# ---------------------------------------------------------------- the decorator
def pipeline(kind: str, argument: str | None = None) -> Any:
    """Decorate a typer command of the pipeline (``kind``: fit, evaluate, split, tune).

    ``argument``: the name of the command's required argument, made optional on the command
    line so that a ``--config`` file can give it.
    """
    def deco(func: Any) -> Any:
        sig = inspect.signature(func, eval_str=True)
        params = []
        for p in sig.parameters.values():
            p = p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            if p.name == argument and p.default is inspect.Parameter.empty:
                p = p.replace(default=None)
            params.append(p)
        params += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a)
                   for n, a, d in (("config", ConfigOpt, None), ("save_config", SaveConfigOpt, None),
                                   ("runs", RunsOpt, None), ("no_record", NoRecordOpt, False))]
        params.append(inspect.Parameter("reclite_ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context))
        annotations = {p.name: p.annotation for p in params}

        @functools.wraps(func)
        def wrapper(**kwargs: Any) -> Any:
            from reclite import runs

            own = {k: kwargs.pop(k) for k in _OWN}
            ctx = kwargs.pop("reclite_ctx")
            if own["config"] is not None:
                kwargs = apply_config(ctx, kwargs, own["config"], annotations, kind)
            if argument is not None and not kwargs.get(argument):
                from ._common import usage_error

                arg = next(p for p in ctx.command.params if p.name == argument)
                raise usage_error(f"Missing argument '{arg.display_name_raw}' (give it on the command "
                                  f"line or as {argument} = ... in --config)")
            folder = None if own["no_record"] else runs.runs_dir(own["runs"])
            check_targets(own["save_config"], folder)  # before the work, not after it
            rec = runs.new_record(kind, argv=list(ctx.meta.get("reclite.argv") or []),
                                  command_line=command_line(ctx, kwargs, kind),
                                  options={k: jsonable(v) for k, v in kwargs.items()})
            token = _record.set(rec if folder is not None else None)  # nothing to fill when not recording
            start = time.perf_counter()
            try:
                result = func(**kwargs)
            finally:
                _record.reset(token)
            rec["timings"]["total"] = round(time.perf_counter() - start, 6)
            if own["save_config"] is not None:
                save_config(own["save_config"], ctx, kwargs)
                rec["outputs"].append(str(own["save_config"]))
            if folder is not None:
                for one in records_of(rec):
                    runs.append_record(one, folder)
            return result

        wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        return wrapper

    return deco


def check_targets(save_config: Path | None, folder: Path | None) -> None:
    """Refuse now a --save-config onto a folder and a runs folder that is a file."""
    from reclite.errors import OutputError

    if save_config is not None and Path(save_config).is_dir():
        raise OutputError(f"--save-config {save_config}: is a folder, not a file; nothing was changed")
    if folder is not None and folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: exists and is not a folder; run records go to a folder "
                          "(pass --runs DIR or --no-record)")


def _long_name(param: Any) -> str:
    """``--test-size`` -> ``test-size``; an argument: its name."""
    longs = [o for o in getattr(param, "opts", []) if o.startswith("--")]
    return longs[0][2:] if longs and param.param_type_name == "option" else param.name


def _given(ctx: Any, name: str) -> bool:
    """Whether the command line (or the environment) gave option ``name``, not its default."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def command_line(ctx: Any, kwargs: dict[str, Any], kind: str) -> str:
    """``reclite fit ease --seed 1 ...``: the options that differ from their defaults."""
    words = ["reclite", kind]
    options: list[str] = []
    for p in ctx.command.params:
        if p.name not in kwargs or p.name in _OWN:
            continue
        value = kwargs[p.name]
        if p.param_type_name == "argument":
            if isinstance(value, (list, tuple)):
                words += [str(jsonable(v)) for v in value]
            elif value is not None:
                words.append(str(jsonable(value)))
            continue
        default = p.default() if callable(p.default) else p.default
        if jsonable(value) == jsonable(default) or value is None or (value == [] and not default):
            continue
        flag = "--" + _long_name(p)
        if isinstance(value, bool):
            options.append(flag if value else (p.secondary_opts[0] if p.secondary_opts else flag + "=false"))
        elif isinstance(value, (list, tuple)):
            for v in value:
                options += [flag, str(jsonable(v))]
        else:
            options += [flag, str(jsonable(value))]
    return shlex.join(words + options)


# ---------------------------------------------------------------- config files
def _config_error(path: Path, message: str) -> Exception:
    from reclite.errors import ParameterError

    return ParameterError(f"--config {path}: {message}")


def read_config(path: Path) -> dict[str, Any]:
    """The TOML file at ``path`` as a dict (errors name the file and what is wrong)."""
    import tomllib

    from reclite.errors import DataError

    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise FileNotFoundError(f"--config {path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"--config {path}: is a folder; expected a TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"--config {path}: not valid TOML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"--config {path}: not UTF-8 text ({exc.reason})") from None


def _text(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _expand_tables(raw: dict[str, Any], path: Path, kind: str) -> dict[str, Any]:
    """``[params]`` and ``[confidence-params]`` -> ``param`` / ``confidence_param`` lists."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        norm = key.replace("-", "_").lower()
        if norm == "params":
            if not isinstance(value, dict):
                raise _config_error(path, f"{key} must be a table of name = value, e.g. [params] l2 = 200")
            items = [f"{n}={','.join(map(_text, v)) if kind == 'tune' and isinstance(v, list) else _text(v)}"
                     for n, v in value.items()]
            out.setdefault("param", []).extend(items)
        elif norm == "confidence_params":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise _config_error(path, f"{key} must be a table of component = {{name = value}}, "
                                          "e.g. era = {tau = 15}")
            out.setdefault("confidence_param", []).extend(
                f"{c}.{n}={_text(v)}" for c, d in value.items() for n, v in d.items())
        else:
            if norm in ("param", "confidence_param") and norm in out:
                value = [*(value if isinstance(value, list) else [value]), *out[norm]]
            out[norm] = value
    return out


def _base_type(annotation: Any) -> Any:
    """``Annotated[Path | None, ...]`` -> ``Path``; ``list[str] | None`` -> ``list``."""
    if typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, __import__("types").UnionType) and args:
        annotation = args[0]
    return typing.get_origin(annotation) or annotation


def _convert(value: Any, base: Any) -> Any:
    if isinstance(base, type) and issubclass(base, Enum):
        return base(value)
    if base is Path:
        return Path(value)
    if base is list:
        return [str(v) for v in value]
    return value


def apply_config(ctx: Any, kwargs: dict[str, Any], path: Path, annotations: dict[str, Any],
                 kind: str) -> dict[str, Any]:
    """``kwargs`` with the options the command line left at their defaults taken from ``path``."""
    raw = _expand_tables(read_config(path), path, kind)
    by_key: dict[str, Any] = {}
    for p in ctx.command.params:
        if p.name in _OWN or p.name in ("help",) or p.name not in kwargs:
            continue
        for key in (_long_name(p), p.name):
            by_key[key.replace("-", "_").lower()] = p
    out = dict(kwargs)
    for key, value in raw.items():
        p = by_key.get(key)
        if p is None:
            known = sorted({_long_name(q) for q in by_key.values()})
            raise _config_error(path, f"unknown option {key!r} for reclite {kind}; known: {', '.join(known)}, "
                                      "[params], [confidence-params]")
        many = p.multiple or (p.param_type_name == "argument" and p.nargs == -1)
        if many and not isinstance(value, list):
            value = [value]
        if isinstance(value, list) and not many:
            value = ",".join(map(_text, value))  # -k = [10, 20] -> "10,20"
        try:
            cast = p.process_value(ctx, [_text(v) for v in value] if many else
                                     (value if isinstance(value, bool) else _text(value)))
        except typer.BadParameter as exc:
            raise _config_error(path, f"{key} = {value!r}: {exc.message}") from None
        if p.multiple and p.name in ("param", "confidence_param"):
            if _given(ctx, p.name):  # the command line's assignments after the file's: they win
                out[p.name] = [*cast, *(kwargs[p.name] or [])]
                continue
        elif _given(ctx, p.name):
            continue
        out[p.name] = _convert(cast, _base_type(annotations[p.name]))
    return out


def config_dict(ctx: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Every option's value as run, keyed as in a config file (None values left out)."""
    out: dict[str, Any] = {}
    for p in ctx.command.params:
        if p.name in _OWN or p.name not in kwargs or kwargs[p.name] is None:
            continue
        value = jsonable(kwargs[p.name])
        if value == [] and p.multiple:
            continue
        if p.param_type_name == "argument" and isinstance(value, list) and len(value) == 1:
            value = value[0]  # target = "ease" for one model, a list for several
        out[_long_name(p)] = value
    return out


def save_config(path: Path, ctx: Any, kwargs: dict[str, Any]) -> None:
    """Write :func:`config_dict` as TOML to ``path`` (atomically)."""
    from reclite._fs import atomic_write
    from reclite.errors import RecliteError

    try:
        import tomli_w
    except ImportError:  # pragma: no cover - a dependency of reclite
        raise RecliteError("--save-config needs tomli-w: pip install tomli-w") from None
    text = tomli_w.dumps(config_dict(ctx, kwargs))
    with atomic_write(os.fspath(path)) as fh:
        fh.write(text)
