"""The confidence expression language: components, constants, ``+``, ``*`` and parentheses.

:func:`parse_confidence` turns ``"(genre+pop)*era"`` into a :class:`ConfidenceExpression`
(a tree checked against the known components, no data needed), which evaluates itself
given each component's values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._typing import Float64Array
from ..errors import ConfidenceSpecError
from ._components import COMPONENTS, suggest


@dataclass(frozen=True)
class _Num:
    value: float
    pos: int


@dataclass(frozen=True)
class _Name:
    name: str
    pos: int


@dataclass(frozen=True)
class _Op:
    op: str  # "+" or "*"
    left: _Node
    right: _Node


_Node = _Num | _Name | _Op

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_]\w*)
  | (?P<op>[+*()])
""", re.VERBOSE)
_MAX_DEPTH = 64


@dataclass(frozen=True)
class ConfidenceExpression:
    """A parsed confidence expression (see :func:`parse_confidence`).

    Attributes
    ----------
    spec : str
        The expression as written.
    components : tuple of str
        The component names it uses, in order of first appearance.
    """

    spec: str
    tree: Any
    components: tuple[str, ...]

    def __str__(self) -> str:
        return _render(self.tree)

    def evaluate(self, component: Callable[[str], Float64Array | float]) -> Float64Array | float:
        """Evaluate with ``component(name)`` giving each component's values (asked once per name)."""
        cache: dict[str, Any] = {}

        def get(name: str) -> Any:
            if name not in cache:
                cache[name] = component(name)
            return cache[name]

        return _evaluate(self.tree, get)


def _render(node: _Node, parent: str = "+") -> str:
    if isinstance(node, _Num):
        return f"{node.value:g}"
    if isinstance(node, _Name):
        return node.name
    text = f"{_render(node.left, node.op)}{node.op}{_render(node.right, node.op)}"
    return f"({text})" if node.op == "+" and parent == "*" else text


def _evaluate(node: _Node, get: Callable[[str], Any]) -> Any:
    if isinstance(node, _Num):
        return node.value
    if isinstance(node, _Name):
        return get(node.name)
    left, right = _evaluate(node.left, get), _evaluate(node.right, get)
    return left + right if node.op == "+" else left * right


class _Parser:
    """Recursive descent over ``expr := term ('+' term)*; term := factor ('*' factor)*;
    factor := NUMBER | NAME | '(' expr ')'``."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.tokens = self._tokenize(spec)
        self.at = 0
        self.depth = 0
        self.names: list[str] = []

    def error(self, pos: int, what: str) -> ConfidenceSpecError:
        shown = re.sub(r"\s", " ", self.spec)
        return ConfidenceSpecError(f"malformed confidence expression at position {pos}: {what}\n"
                                   f"  {shown}\n  {' ' * pos}^")

    def _tokenize(self, spec: str) -> list[tuple[str, str, int]]:
        tokens = []
        pos = 0
        while pos < len(spec):
            m = _TOKEN.match(spec, pos)
            if m is None:
                raise self.error(pos, f"unexpected character {spec[pos]!r} (components combine with "
                                      "'+' and '*' only)")
            kind = m.lastgroup or ""  # every alternative of _TOKEN is a named group
            if kind != "space":
                tokens.append((kind if kind != "op" else m.group(), m.group(), pos))
            pos = m.end()
        tokens.append(("end", "", len(spec)))
        return tokens

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.at]

    def parse(self) -> _Node:
        node = self.expr()
        kind, _, pos = self.peek()
        if kind == ")":
            raise self.error(pos, "unmatched ')'")
        if kind != "end":
            raise self.error(pos, "expected '+', '*' or the end of the expression")
        return node

    def expr(self) -> _Node:
        node = self.term()
        while self.peek()[0] == "+":
            self.at += 1
            node = _Op("+", node, self.term())
        return node

    def term(self) -> _Node:
        node = self.factor()
        while self.peek()[0] == "*":
            self.at += 1
            node = _Op("*", node, self.factor())
        return node

    def factor(self) -> _Node:
        kind, text, pos = self.peek()
        if kind == "num":
            self.at += 1
            value = float(text)
            if not math.isfinite(value):
                raise self.error(pos, f"the constant {text} is not finite")
            return _Num(value, pos)
        if kind == "name":
            self.at += 1
            if text not in COMPONENTS:
                raise ConfidenceSpecError(
                    f"unknown component {text!r} at position {pos} in {self.spec!r}"
                    f"{suggest(text, COMPONENTS)}; known: {', '.join(COMPONENTS)}")
            if text not in self.names:
                self.names.append(text)
            return _Name(text, pos)
        if kind == "(":
            self.at += 1
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise self.error(pos, f"parentheses nested deeper than {_MAX_DEPTH}")
            node = self.expr()
            kind2, _, pos2 = self.peek()
            if kind2 == "end":
                raise self.error(pos2, f"missing ')' to close the '(' at position {pos}")
            if kind2 != ")":
                raise self.error(pos2, "expected '+', '*' or ')'")
            self.at += 1
            self.depth -= 1
            return node
        raise self.error(pos, "expected a component name, number or '('")


def parse_confidence(spec: str | ConfidenceExpression) -> ConfidenceExpression:
    """Parse a confidence expression such as ``"(genre+pop)*era"``; no data needed.

    Use it to reject a bad ``--confidence`` before any data is read.

    Raises
    ------
    ConfidenceSpecError
        A malformed expression (the message shows it with a caret under the
        problem) or an unknown component (the message lists the known ones).

    Examples
    --------
    >>> parse_confidence("(genre + pop) * era").components
    ('genre', 'pop', 'era')
    >>> str(parse_confidence("0.7 * genre + 0.3*pop"))
    '0.7*genre+0.3*pop'
    """
    if isinstance(spec, ConfidenceExpression):
        return spec
    if not isinstance(spec, str):
        raise ConfidenceSpecError(f"confidence must be an expression such as 'binary' or 'genre+pop', "
                                  f"got {spec!r}")
    if not spec.strip():
        raise ConfidenceSpecError("confidence expression is empty; expected e.g. 'binary' or 'genre+pop' "
                                  f"(components: {', '.join(COMPONENTS)})")
    parser = _Parser(spec)
    tree = parser.parse()
    return ConfidenceExpression(spec, tree, tuple(parser.names))
