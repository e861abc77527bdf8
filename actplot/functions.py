"""Every name that FUNCTIONS may hold, resolved to an Activation: a built-in or its alias, a
plugin's function, an import path to the user's code, or an expression in x, in that order.

A resolved function is known by its key: the built-in's or plugin's name, or the text as given for
an import path or an expression. Keys travel in specs and to batch workers, which resolve them
again. No torch at import.
"""

from __future__ import annotations

from . import custom, entrypoints
from .errors import SpecError
from .registry import REGISTRY, Activation, builtin_name, suggestion

_RESOLVED: dict[str, Activation] = {}


def resolve(token: str) -> str:
    """The key for `token`, resolving (and for imports, importing) it on first use; SpecError."""
    if not isinstance(token, str):
        raise SpecError("functions", f"function names are strings, not {token!r}")
    found = builtin_name(token)
    if found:
        return found
    text = token.strip()
    if text in _RESOLVED:
        return text
    plugin = entrypoints.plugins().get(text) or entrypoints.plugins().get(text.lower())
    if plugin:
        return plugin.entry.name
    if not text:
        raise SpecError("functions", "a function name is empty ('actplot list' shows them)")
    if custom.is_import_path(text):
        _RESOLVED[text] = custom.from_import(text)
    elif custom.IDENTIFIER.fullmatch(text) and text != "x":
        raise SpecError("functions", f"unknown function '{text}'{suggestion(text)} ('actplot list' "
                                     f"shows all {len(REGISTRY) + len(_plugin_names())}; an "
                                     "expression in x such as 'x * sigmoid(x)' works too)")
    else:
        _RESOLVED[text] = custom.from_expression(text, _taken)
    return text


def entry(key: str) -> Activation:
    """The activation for a key that resolve() returned (in this process or another)."""
    if key in REGISTRY:
        return REGISTRY[key]
    if key in _RESOLVED:
        return _RESOLVED[key]
    return _lookup(resolve(key))


def _lookup(key: str) -> Activation:
    if key in REGISTRY:
        return REGISTRY[key]
    return _RESOLVED[key] if key in _RESOLVED else entrypoints.plugins()[key].entry


def _plugin_names() -> set[str]:
    return {p.entry.name for p in entrypoints.plugins().values()}


def _taken(name: str) -> bool:
    return builtin_name(name) is not None or name in entrypoints.plugins()


def label(key: str) -> str:
    """The name that figures show: an import's attribute name, an expression's given name."""
    return entry(key).label
