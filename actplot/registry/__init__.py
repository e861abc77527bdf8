"""The built-in activations, one entry per function, split by family: adding a function means
adding one entry to one family's list. No torch here (see core.py)."""

from __future__ import annotations

import difflib

from ..errors import SpecError
from . import rectifiers, shapes, sigmoids, smooth_rectifiers, vector
from .core import (SEED_MAX, Activation, Breakpoint, Parameter, Params, jump, kink,
                   kink_at_zero_unless_linear)
from .smooth_rectifiers import SELU_ALPHA, SELU_SCALE

FAMILIES = {
    "rectifiers": rectifiers.ENTRIES,
    "smooth rectifiers": smooth_rectifiers.ENTRIES,
    "sigmoids": sigmoids.ENTRIES,
    "steps, bells and waves": shapes.ENTRIES,
    "vector": vector.ENTRIES,
}
_ENTRIES = [entry for entries in FAMILIES.values() for entry in entries]
REGISTRY: dict[str, Activation] = {entry.name: entry for entry in _ENTRIES}
ALIASES: dict[str, str] = {alias: e.name for e in _ENTRIES for alias in e.aliases}
FAMILY_OF: dict[str, str] = {e.name: family for family, entries in FAMILIES.items() for e in entries}

__all__ = ["ALIASES", "FAMILIES", "REGISTRY", "SEED_MAX", "SELU_ALPHA", "SELU_SCALE", "Activation",
           "Breakpoint", "Parameter", "Params", "builtin_name", "canonical_name", "jump", "kink",
           "kink_at_zero_unless_linear", "suggestion"]


def builtin_name(name: str) -> str | None:
    """The registry name for a built-in's name or alias (case and - or _ do not matter), or None."""
    key = name.strip().lower().replace("-", "_")
    return key if key in REGISTRY else ALIASES.get(key)


def suggestion(name: str) -> str:
    """'; did you mean 'relu'?' for a near miss, else ''."""
    key = name.strip().lower().replace("-", "_")
    close = difflib.get_close_matches(key, [*REGISTRY, *ALIASES], n=1, cutoff=0.6)
    return f"; did you mean '{ALIASES.get(close[0], close[0])}'?" if close else ""


def canonical_name(name: str) -> str:
    """The registry name for `name` or an alias, case-insensitive; SpecError with a suggestion."""
    found = builtin_name(name)
    if found:
        return found
    raise SpecError(
        "functions",
        f"unknown function '{name}'{suggestion(name)} ('actplot list' shows all {len(REGISTRY)})",
    )
