"""Declarations of a model's fitted attributes: what a model file must hold.

Every model class lists the attributes its ``fit`` learns in a class attribute
``_fitted_attributes``: name -> :class:`Fitted` (or a tuple of alternatives, the first
whose ``when`` holds applies). :class:`~reclite.models.base.Recommender` declares the
ones every model shares; a subclass adds its own, and :func:`declared_attributes`
merges them along the class hierarchy. :mod:`reclite.models._modelfile` checks a model directory
against them when it loads one (and the encoding of a model when it saves one), so a
tampered or truncated file is refused with the attribute that is wrong, never found
later as a crash at recommend time.

A declaration says:

kind
    ``"array"`` (a NumPy array), ``"csr"`` (a ``scipy.sparse.csr_matrix``, stored as
    its three arrays), ``"idmap"`` (an :class:`~reclite.data.idmap.IdMap`, stored as its
    ids), ``"multihot"`` (a :class:`~reclite.data.dataset.MultiHot`) or ``"json"`` (a
    value kept in ``params.json``).
dtype
    Arrays: NumPy dtype names (``"float32"``), ``"integer"`` (any integer dtype),
    ``"str"`` (unicode text); several in a tuple. CSR and MultiHot: the dtype of the
    stored values (indices are always an integer dtype). JSON values: ``"int"``,
    ``"float"`` (an int is accepted), ``"bool"``, ``"str"``, ``"null"``, ``"dict"``,
    ``"list"`` or ``"any"``.
shape
    One entry per dimension: an int, ``"any"``, or a symbol, optionally ``+N``/``-N``.
    A symbol names a model parameter (``"factors"``) or a JSON attribute declared
    before (``"n_users_"``); any other name (it must not end in ``_``) is a free size
    such as ``"n_factors"``, fixed by the first array that uses it and required to
    be the same in every later one.
when
    ``{name: value}``: the declaration applies only where every named parameter or
    earlier JSON attribute equals ``value`` (a tuple: is one of them).
index_of
    For integer arrays of indices: every value must lie in ``[0, symbol)`` (the
    arrays that compiled kernels index with, so a bad value is refused rather than
    read out of bounds).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

__all__ = ["Fitted", "FittedDecl", "array", "csr", "idmap", "multihot", "json_value", "declared_attributes",
           "applies", "parse_dim"]

Kind = Literal["array", "csr", "idmap", "multihot", "json"]
Dim: TypeAlias = int | str
JSON_TYPES = ("int", "float", "bool", "str", "null", "dict", "list", "any")
_DIM = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:([+-])\s*(\d+))?\s*$")


@dataclass(frozen=True)
class Fitted:
    """One fitted attribute: kind, dtype, shape and when it is present (see the module doc)."""

    kind: Kind
    dtype: tuple[str, ...] = ("any",)
    shape: tuple[Dim, ...] | None = None
    when: Mapping[str, Any] | None = None
    index_of: str | None = None
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None

    def describe(self) -> str:
        """``"array float32 (n_users_, factors)"``: the declaration in words."""
        text = f"{self.kind} {' or '.join(self.dtype)}"
        if self.shape is not None:
            text += " (" + ", ".join(map(str, self.shape)) + ")"
        return text


FittedDecl: TypeAlias = Mapping[str, "Fitted | tuple[Fitted, ...]"]


def _dtypes(dtype: str | tuple[str, ...]) -> tuple[str, ...]:
    return (dtype,) if isinstance(dtype, str) else tuple(dtype)


def array(dtype: str | tuple[str, ...], *shape: Dim, when: Mapping[str, Any] | None = None,
          index_of: str | None = None) -> Fitted:
    """An ndarray of ``dtype`` with one entry of ``shape`` per dimension."""
    return Fitted("array", _dtypes(dtype), tuple(shape), when, index_of)


def csr(dtype: str | tuple[str, ...], rows: Dim, cols: Dim, *, when: Mapping[str, Any] | None = None) -> Fitted:
    """A ``csr_matrix`` of ``rows x cols`` whose values have ``dtype``."""
    return Fitted("csr", _dtypes(dtype), (rows, cols), when)


def idmap(length: Dim, *, when: Mapping[str, Any] | None = None) -> Fitted:
    """An IdMap of ``length`` distinct ids (int64 or text)."""
    return Fitted("idmap", ("int64", "str"), (length,), when)


def multihot(rows: Dim, cols: Dim, *, when: Mapping[str, Any] | None = None) -> Fitted:
    """A MultiHot: a float32 ``rows x cols`` membership matrix and its ``cols`` labels."""
    return Fitted("multihot", ("float32",), (rows, cols), when)


def json_value(dtype: str | tuple[str, ...], *, choices: tuple[Any, ...] | None = None,
               minimum: float | None = None, when: Mapping[str, Any] | None = None) -> Fitted:
    """A value kept in ``params.json``: its JSON type, optionally its allowed values or minimum."""
    types = _dtypes(dtype)
    unknown = [t for t in types if t not in JSON_TYPES]
    if unknown:
        raise ValueError(f"unknown JSON type(s) {unknown}; known: {', '.join(JSON_TYPES)}")
    return Fitted("json", types, None, when, None, choices, minimum)


def declared_attributes(cls: type) -> dict[str, tuple[Fitted, ...]]:
    """Every fitted attribute ``cls`` declares, its base classes' first, in declaration order.

    A class that redeclares a name replaces its base class's declaration (the
    attribute keeps its place in the order).
    """
    out: dict[str, tuple[Fitted, ...]] = {}
    for klass in reversed(cls.__mro__):
        decl = klass.__dict__.get("_fitted_attributes")
        if not decl:
            continue
        for name, spec in decl.items():
            out[name] = spec if isinstance(spec, tuple) else (spec,)
    return out


def applies(spec: Fitted, env: Mapping[str, Any]) -> bool:
    """Whether ``spec``'s ``when`` holds for the parameter and attribute values in ``env``."""
    if not spec.when:
        return True
    for name, wanted in spec.when.items():
        if name not in env:
            return False
        value = env[name]
        options = wanted if isinstance(wanted, tuple) else (wanted,)
        # compare type as well as value: True must not match 1, nor 1 match 1.0
        if not any(type(value) is type(o) and value == o for o in options):
            return False
    return True


def parse_dim(dim: Dim) -> tuple[str | None, int]:
    """``"factors+1"`` -> ``("factors", 1)``; ``7`` -> ``(None, 7)``; ``"any"`` -> ``("any", 0)``."""
    if isinstance(dim, int) and not isinstance(dim, bool):
        return None, dim
    m = _DIM.match(str(dim))
    if m is None:
        raise ValueError(f"bad shape entry {dim!r} in a fitted-attribute declaration")
    name, sign, num = m.groups()
    offset = int(num or 0) * (-1 if sign == "-" else 1)
    return name, offset
