"""What `reclite models` says about each model, read from the classes without building them.

A model is described from its class alone: the constructor's signature gives the
parameters and their defaults (with the registry entry's own defaults on top), the
numpy-style docstring gives each parameter's one-line description and the class's
summary line. No model is constructed and no model is fitted, so listing the models
imports neither implicit nor surprise (they are imported when such a model is fitted).
"""

from __future__ import annotations

import copy
import importlib
import inspect
import re
from typing import Any

__all__ = ["describe_models", "parameter_docs", "one_line"]

_SECTION = re.compile(r"^(?P<title>[A-Z][A-Za-z ]+)\n-{3,}\s*$", re.MULTILINE)
_ENTRY = re.compile(r"^(?P<names>[A-Za-z_][\w, ]*?)\s*(?::\s*(?P<type>.*))?$")
_ROLE = re.compile(r":(?!math:)[a-z]+:`~?(?:[\w.]+\.)?([^`]+)`")  # :class:`~a.b.C` -> C
_MATH = re.compile(r":math:`([^`]+)`")
_LITERAL = re.compile(r"``([^`]*)``")
#: words ending in a full stop that do not end a sentence
_ABBREVIATIONS = ("e.g", "i.e", "al", "cf", "vs", "approx")
MAX_WIDTH = 100


def one_line(text: str, width: int = MAX_WIDTH) -> str:
    """The first sentence of a docstring paragraph as plain text, at most ``width`` characters.

    RST roles and literals lose their markup (``:class:`~a.B``` -> ``B``, ````x```` -> ``x``);
    a sentence that is too long is cut at a word and ends in ``...``.
    """
    flat = " ".join(text.split())
    flat = _LITERAL.sub(r"\1", _ROLE.sub(r"\1", _MATH.sub(lambda m: _plain_math(m.group(1)), flat)))
    flat = flat.replace("\\ ", "")
    sentence = flat
    for match in re.finditer(r"(?<=[a-z0-9)\]])\.(\s|$)", flat):
        if not flat[: match.start()].endswith(_ABBREVIATIONS):
            sentence = flat[: match.start() + 1]
            break
    if len(sentence) > width:
        cut = sentence[: width - 3].rsplit(" ", 1)[0]
        sentence = cut.rstrip(",;:") + "..."
    return sentence


def _plain_math(tex: str) -> str:
    """A :math: role as text: ``\\lambda`` -> ``lambda``, braces and ``\\,`` dropped."""
    return re.sub(r"\\([A-Za-z]+)", r"\1", tex.replace("\\,", " ")).replace("{", "").replace("}", "")


def parameter_docs(doc: str | None) -> dict[str, str]:
    """``{parameter: one-line description}`` from a numpy-style docstring's Parameters section.

    Entries naming several parameters (``alpha, beta : float``) describe each of them;
    an entry without description text gives ``""``.
    """
    if not doc:
        return {}
    text = inspect.cleandoc(doc)
    sections = list(_SECTION.finditer(text))
    out: dict[str, str] = {}
    for i, sec in enumerate(sections):
        if sec.group("title").strip() != "Parameters":
            continue
        end = sections[i + 1].start() if i + 1 < len(sections) else len(text)
        entries: list[tuple[list[str], str, list[str]]] = []  # (names, type, description lines)
        for line in text[sec.end():end].splitlines():
            if not line.strip():
                continue
            if not line.startswith((" ", "\t")):
                entry = _ENTRY.match(line.strip())
                names = [n.strip() for n in entry.group("names").split(",") if n.strip()] if entry else []
                entries.append((names, (entry.group("type") or "") if entry else "", []))
            elif entries:
                entries[-1][2].append(line.strip())
        for names, kind, desc in entries:
            # an entry without text: its type, e.g. {"auto", "cpu", "gpu"} (without the default)
            text_ = one_line(" ".join(desc)) if desc else kind.split(", default")[0].strip()
            for name in names:
                out.setdefault(name, text_)
    return out


def summary_line(doc: str | None) -> str:
    """The class docstring's first sentence."""
    if not doc:
        return ""
    return one_line(inspect.cleandoc(doc).split("\n\n", 1)[0])


def _class_parameters(cls: type) -> dict[str, Any]:
    """The constructor's parameters and defaults, as ``get_params`` lists them (sorted by name)."""
    sig = inspect.signature(cls)
    params = {name: p.default for name, p in sig.parameters.items()
              if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    return {name: params[name] for name in sorted(params)}


def _docs_with_bases(cls: type) -> dict[str, str]:
    """Parameter descriptions of ``cls``, completed from its base classes' docstrings."""
    docs: dict[str, str] = {}
    for klass in cls.__mro__:
        for name, text in parameter_docs(klass.__doc__).items():
            docs.setdefault(name, text)
    return docs


def describe_models(names: list[str] | None = None) -> list[dict[str, Any]]:
    """One entry per registry name (all, or ``names`` in that order): name, class, summary,
    parameters with their defaults, and each parameter's one-line description.

    The parameters are what ``registry.create(name).get_params(deep=False)`` gives,
    read from the class's signature and the registry entry without constructing the model.
    """
    from reclite.models import registry

    out = []
    for name in names if names is not None else registry.names():
        registry.get(name)  # an unknown name: the registry's own error, listing the known ones
        module, cls_name, overrides = registry.REGISTRY[name]
        cls = getattr(importlib.import_module(module), cls_name)
        params = _class_parameters(cls)
        params.update(copy.deepcopy(overrides))
        docs = _docs_with_bases(cls)
        out.append({"name": name, "class": cls_name, "summary": summary_line(cls.__doc__), "params": params,
                    "descriptions": {p: docs.get(p, "") for p in params}})
    return out
