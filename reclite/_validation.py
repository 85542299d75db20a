"""Parameter checks: one module, one error hierarchy, one message shape.

Every parameter check in reclite (models, splits, evaluation, metrics, top-K,
synthetic data) goes through these helpers. A value of the wrong type raises
:class:`~reclite.errors.ParameterTypeError` (also a ``TypeError``), a value out of
range :class:`~reclite.errors.ParameterError` (also a ``ValueError``), and the message
names the parameter, the value and what was expected::

    ALS: factors must be an integer >= 1, got 0
    k must be a positive integer, got 2.5 (float)

``owner`` (a class name or an object whose class names it) prefixes the message when
the parameter belongs to a model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from numbers import Integral, Real
from typing import Any, Literal

import numpy as np
from sklearn.utils import check_scalar as _sk_check_scalar

from .errors import ParameterError, ParameterTypeError

__all__ = [
    "check_scalar",
    "check_int",
    "check_float",
    "check_fraction",
    "check_bool",
    "check_option",
    "check_k",
    "check_cutoffs",
    "check_seed",
    "check_random_state",
    "int_seed",
    "parse_memory",
    "format_bytes",
]

Boundaries = Literal["both", "neither", "left", "right"]


# ---------------------------------------------------------------------- messages
def _prefix(owner: object) -> str:
    if owner is None:
        return ""
    return f"{owner if isinstance(owner, str) else type(owner).__name__}: "


def _shown(value: object, with_type: bool = False) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})" if with_type else text


def _fmt(v: float) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _expected(target_type: type | tuple[type, ...], min_val: float | None, max_val: float | None,
              include_boundaries: Boundaries) -> str:
    types = target_type if isinstance(target_type, tuple) else (target_type,)
    if all(issubclass(t, Integral) for t in types):
        what = "an integer"
    elif all(issubclass(t, Real) for t in types):
        what = "a number"
    else:
        what = " or ".join(getattr(t, "__name__", str(t)) for t in types)
    left = include_boundaries in ("both", "left")
    right = include_boundaries in ("both", "right")
    if min_val is not None and max_val is not None:
        return f"{what} in {'[' if left else '('}{_fmt(min_val)}, {_fmt(max_val)}{']' if right else ')'}"
    if min_val is not None:
        return f"{what} {'>=' if left else '>'} {_fmt(min_val)}"
    if max_val is not None:
        return f"{what} {'<=' if right else '<'} {_fmt(max_val)}"
    return what


# ---------------------------------------------------------------------- scalars
def check_scalar(
    value: Any,
    name: str,
    target_type: type | tuple[type, ...],
    *,
    min_val: float | None = None,
    max_val: float | None = None,
    include_boundaries: Boundaries = "both",
    owner: object = None,
) -> Any:
    """scikit-learn's :func:`~sklearn.utils.check_scalar`, raising reclite's errors.

    Differences: a bool is refused where a number is expected (``True`` is not
    ``factors=1``), NaN and infinities are refused for real parameters, and the
    message reads ``"<owner>: <name> must be <expected>, got <value>"``.

    Returns
    -------
    The value, unchanged.

    Raises
    ------
    ParameterTypeError
        ``value`` is not an instance of ``target_type``.
    ParameterError
        ``value`` is out of range.
    """
    # a missing bound is never "included" (scikit-learn refuses that combination)
    left = include_boundaries in ("both", "left") and min_val is not None
    right = include_boundaries in ("both", "right") and max_val is not None
    include_boundaries = "both" if left and right else "left" if left else "right" if right else "neither"
    expected = _expected(target_type, min_val, max_val, include_boundaries)
    where = _prefix(owner)
    types = target_type if isinstance(target_type, tuple) else (target_type,)
    if isinstance(value, (bool, np.bool_)) and bool not in types:
        raise ParameterTypeError(f"{where}{name} must be {expected}, got {_shown(value, True)}")
    try:
        _sk_check_scalar(value, name, target_type, min_val=min_val, max_val=max_val,
                         include_boundaries=include_boundaries)
    except TypeError:
        raise ParameterTypeError(f"{where}{name} must be {expected}, got {_shown(value, True)}") from None
    except ValueError:
        raise ParameterError(f"{where}{name} must be {expected}, got {_shown(value)}") from None
    if isinstance(value, (Real, np.floating)) and not math.isfinite(float(value)):
        raise ParameterError(f"{where}{name} must be {expected} (finite), got {_shown(value)}")
    return value


def check_int(value: Any, name: str, *, min_val: int | None = None, max_val: int | None = None,
              owner: object = None) -> int:
    """An integer (Python or numpy; not bool, not a float such as 2.0) in range, as ``int``."""
    return int(check_scalar(value, name, Integral, min_val=min_val, max_val=max_val, owner=owner))


def check_float(value: Any, name: str, *, min_val: float | None = None, max_val: float | None = None,
                include_boundaries: Boundaries = "both", owner: object = None) -> float:
    """A finite real number (int or float, not bool) in range, as ``float``."""
    return float(check_scalar(value, name, Real, min_val=min_val, max_val=max_val,
                              include_boundaries=include_boundaries, owner=owner))


def check_fraction(value: Any, name: str, *, owner: object = None) -> float:
    """A number strictly between 0 and 1, as ``float``."""
    try:
        return check_float(value, name, min_val=0.0, max_val=1.0, include_boundaries="neither", owner=owner)
    except ParameterError as exc:
        cls = type(exc)
        raise cls(f"{_prefix(owner)}{name} must be a fraction strictly between 0 and 1, got "
                  f"{_shown(value, isinstance(exc, ParameterTypeError))}") from None


def check_bool(value: Any, name: str, *, owner: object = None) -> bool:
    """``True`` or ``False`` (numpy bools too), as ``bool``; 0/1 and strings are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise ParameterTypeError(f"{_prefix(owner)}{name} must be True or False, got {_shown(value, True)}")
    return bool(value)


def check_option(value: Any, name: str, options: Sequence[Any], *, owner: object = None) -> Any:
    """One of ``options`` (compared with ``==``); returns it unchanged."""
    try:
        ok = any(value is o or (isinstance(value, type(o)) and bool(value == o)) for o in options)
    except Exception:  # an object whose == misbehaves is not one of the options
        ok = False
    if not ok:
        listed = ", ".join(repr(o) for o in options)
        raise ParameterError(f"{_prefix(owner)}{name} must be one of {listed}, got {_shown(value)}")
    return value


# ---------------------------------------------------------------------- k
def check_k(k: Any, limit: int | None = None, *, name: str = "k") -> int:
    """The list length ``k``: a positive integer, then clamped to ``limit``.

    Parameters
    ----------
    k : int or numpy integer
        Must be >= 1; a bool, a float (even ``2.0``), a string or None is refused.
    limit : int, optional
        The number of items that can be recommended: the result is
        ``min(k, limit)``, so a huge ``k`` never allocates more than the catalogue
        (``limit`` may be 0 when nothing can be recommended).

    Raises
    ------
    ParameterTypeError
        ``k`` is not an integer.
    ParameterError
        ``k < 1``.
    """
    try:
        k = check_int(k, name, min_val=1)
    except ParameterError as exc:
        raise type(exc)(f"{name} must be a positive integer, got "
                        f"{_shown(k, isinstance(exc, ParameterTypeError))}") from None
    return k if limit is None else min(k, max(int(limit), 0))


def check_cutoffs(k: Any, *, name: str = "k") -> list[int]:
    """Cut-offs: one positive integer or an iterable of them; sorted, distinct."""
    if isinstance(k, np.ndarray) and k.ndim == 0:
        k = k.item()
    if isinstance(k, (str, bytes)) or not isinstance(k, Iterable):
        return [check_k(k, name=name)]
    ks = list(k)
    if not ks:
        raise ParameterError(f"{name} must name at least one cut-off, got {_shown(k)}")
    out = set()
    for v in ks:
        try:
            out.add(check_int(v, name, min_val=1))
        except ParameterError as exc:
            raise type(exc)(f"{name} must be a positive integer or a list of them, got "
                            f"{_shown(v, isinstance(exc, ParameterTypeError))} in {_shown(k)}") from None
    return sorted(out)


# ---------------------------------------------------------------------- seeds
_SEED_EXPECTED = "a non-negative int, a numpy Generator, a SeedSequence or None"


def check_seed(random_state: Any, name: str = "random_state", *, owner: object = None) -> Any:
    """Validate a seed without drawing from it: None, an int >= 0, a numpy
    ``Generator``, ``BitGenerator`` or ``SeedSequence``. Returns it unchanged."""
    if random_state is None or isinstance(
            random_state, (np.random.Generator, np.random.BitGenerator, np.random.SeedSequence)):
        return random_state
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state, (Integral, np.integer)):
        raise ParameterTypeError(f"{_prefix(owner)}{name} must be {_SEED_EXPECTED}, "
                                 f"got {_shown(random_state, True)}")
    if random_state < 0:
        raise ParameterError(f"{_prefix(owner)}{name} must be {_SEED_EXPECTED}, got {random_state}")
    return random_state


def check_random_state(random_state: Any, name: str = "random_state", *,
                       owner: object = None) -> np.random.Generator:
    """A numpy Generator from a checked seed (``np.random.default_rng``; a Generator is
    returned as is, so drawing from the result advances the caller's Generator)."""
    return np.random.default_rng(check_seed(random_state, name, owner=owner))


def int_seed(random_state: Any, name: str = "random_state", *, owner: object = None) -> int:
    """An int seed for libraries that take one (implicit, scikit-surprise).

    An int passes through unchanged, so a seed reproduces the library called
    directly; a Generator, SeedSequence or None becomes one through
    ``np.random.default_rng(random_state).integers(2**31 - 1)`` (a Generator is
    advanced by that draw; a SeedSequence always gives the same int).
    """
    check_seed(random_state, name, owner=owner)
    if isinstance(random_state, (Integral, np.integer)):
        return int(random_state)
    return int(np.random.default_rng(random_state).integers(2**31 - 1))


# ---------------------------------------------------------------------- memory
_UNITS = {"": 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4,
          "K": 1024, "M": 1024**2, "G": 1024**3, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3}


def parse_memory(value: Any, name: str = "max_memory", *, owner: object = None) -> int:
    """Turn ``"1GB"``, ``"512MB"``, ``2e9`` or ``1_000_000`` into a number of bytes (> 0)."""
    expected = "a size such as '1GB', '512MB' or a positive number of bytes"
    where = _prefix(owner)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (str, Real, np.integer, np.floating)):
        raise ParameterTypeError(f"{where}{name} must be {expected}, got {_shown(value, True)}")
    if not isinstance(value, str):
        if isinstance(value, (int, np.integer)):
            size = int(value)
        else:
            number = float(value)
            size = int(number) if math.isfinite(number) else 0
        if size < 1:
            raise ParameterError(f"{where}{name} must be {expected}, got {_shown(value)}")
        return size
    text = value.strip().upper().replace(" ", "").replace("_", "")
    num = text.rstrip("KMGTIB")
    unit = text[len(num):]
    try:
        number = float(num)
    except ValueError:
        number = -1.0
    if unit not in _UNITS or not math.isfinite(number) or number <= 0 or int(number * _UNITS[unit]) < 1:
        raise ParameterError(f"{where}{name} must be {expected}, got {_shown(value)}")
    return int(number * _UNITS[unit])


def format_bytes(n: float) -> str:
    """A number of bytes for people: ``512 B``, ``1.5 KB``, ``3.2 GB`` (units of 1024, as :func:`parse_memory`)."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} TB"
