"""``key=value`` options of the command line: ``--param name=value`` and
``--confidence-param component.name=value``, split by one parser and read two ways."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["split_assignment", "parse_value", "parse_params", "parse_param_assignments"]

_CONFIDENCE_KEY = re.compile(r"([A-Za-z_]\w*)\.([A-Za-z_]\w*)")
_ONE_WORD = re.compile(r"\S+")


def split_assignment(text: str) -> tuple[str, str] | None:
    """``" name = value"`` -> ``("name", " value")``: the key stripped, the value as written.

    The key ends at the first ``=`` (a value may hold more of them). None when there
    is no ``=`` or nothing but spaces before it.
    """
    key, sep, value = text.partition("=")
    key = key.strip()
    return (key, value) if sep and key else None


def parse_value(text: str) -> Any:
    """``"3"`` -> 3, ``"0.5"`` -> 0.5, ``"true"`` -> True, ``"none"`` -> None, JSON, else the text."""
    t = text.strip()
    low = t.lower()
    if low in ("none", "null"):
        return None
    if low in ("true", "false"):
        return low == "true"
    for conv in (int, float):
        try:
            return conv(t)
        except ValueError:
            pass
    if t[:1] in ("{", "["):
        try:
            return json.loads(t)
        except json.JSONDecodeError as exc:
            from reclite.errors import RecliteError

            raise RecliteError(f"parameter value {t!r} looks like JSON but is not valid JSON ({exc.msg})") from None
    return text


def parse_params(assignments: list[str] | None) -> dict[str, Any]:
    """``--param`` values: ``["l2=200", "dtype=float32"]`` -> ``{"l2": 200, "dtype": "float32"}``."""
    from reclite.errors import RecliteError

    out: dict[str, Any] = {}
    for a in assignments or []:
        pair = split_assignment(a)
        if pair is None:
            raise RecliteError(f"--param {a!r}: expected name=value, e.g. --param l2=200")
        out[pair[0]] = parse_value(pair[1])
    return out


def parse_param_assignments(assignments: Iterable[str] | None) -> dict[str, dict[str, float]]:
    """``--confidence-param`` values: ``["era.tau=15", "bm25.K1=50"]`` -> a confidence params dict.

    Returns ``{"era": {"tau": 15.0}, "bm25": {"K1": 50.0}}`` (only what was given; a
    later assignment of the same parameter wins). The result is validated by
    :func:`reclite.confidence.check_confidence_params`.

    Raises
    ------
    ConfidenceSpecError
        A string not of the form ``component.param=value`` (the value one word), a
        value that is not a number, or an unknown component / parameter /
        out-of-range value.
    """
    from reclite.confidence import check_confidence_params
    from reclite.errors import ConfidenceSpecError

    out: dict[str, dict[str, float]] = {}
    for text in assignments or ():
        pair = split_assignment(str(text))
        key = None if pair is None else _CONFIDENCE_KEY.fullmatch(pair[0])
        raw = "" if pair is None else pair[1].strip()
        if key is None or _ONE_WORD.fullmatch(raw) is None:
            raise ConfidenceSpecError(f"confidence parameter {text!r} must look like component.param=value, "
                                      "e.g. era.tau=15")
        try:
            value = float(raw)
        except ValueError:
            raise ConfidenceSpecError(f"confidence parameter {text!r}: {raw!r} is not a number") from None
        comp, name = key.groups()
        out.setdefault(comp, {})[name] = value
    check_confidence_params(out)
    return out
