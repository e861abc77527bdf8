"""Activations from other packages, through the entry-point group `actplot.activations`.

An entry point names an Activation, a list of them, or a function that returns either (see
actplot.plugin for the public API and examples/actplot-plugin-demo for a package). Discovery reads
installed metadata and imports only the plugins' own modules, which build Activation objects without
torch, so `actplot list` stays fast. A plugin that fails to load, or offers something that is not an
activation, is one warning line naming it; everything else keeps working.
"""

from __future__ import annotations

import keyword
import math
import warnings
from dataclasses import dataclass, replace
from importlib.metadata import entry_points

from .custom import checked_forward
from .errors import ComputeError, printable
from .registry import ALIASES, REGISTRY, Activation, Breakpoint
from .usercode import guarded

GROUP = "actplot.activations"


class PluginWarning(UserWarning):
    """A plugin could not be loaded, or offered something actplot cannot use."""


@dataclass(frozen=True)
class Plugin:
    entry: Activation
    distribution: str  # the installed package that provides it
    entry_point: str


_LOADED: dict[str, Plugin] | None = None


def plugins() -> dict[str, Plugin]:
    """Every plugin function by name (and alias), loaded once per process."""
    global _LOADED
    if _LOADED is None:
        _LOADED = _discover()
    return _LOADED


def forget() -> None:
    """Discover again on the next call (after installing a plugin in the same process)."""
    global _LOADED
    _LOADED = None


def _discover() -> dict[str, Plugin]:
    found: dict[str, Plugin] = {}
    reserved = reserved_names()
    for point in sorted(entry_points(group=GROUP), key=lambda p: p.name):
        distribution = point.dist.name if point.dist is not None else "?"
        label = printable(f"plugin '{point.name}' ({point.value}, from {distribution})")
        try:
            with guarded(label, ComputeError):
                offered = point.load()
                if callable(offered) and not isinstance(offered, Activation):
                    offered = offered()
        except ComputeError as error:  # someone else's code: any failure is one warning
            _skip(f"{error}; skipping it")
            continue
        entries = [offered] if isinstance(offered, Activation) else offered
        if not isinstance(entries, (list, tuple)) or not all(isinstance(e, Activation)
                                                             for e in entries):
            _skip(f"{label} offers {type(offered).__name__}, not actplot Activation objects; "
                  "skipping it")
            continue
        for entry in entries:
            problem = _problem(entry, found, reserved)
            if problem:
                _skip(f"{label}: {problem}; skipping {printable(repr(entry.name))}")
                continue
            key = f"{entry.name} (plugin {distribution})"
            entry = replace(entry, source=entry.source or f"plugin {distribution}",
                            forward=checked_forward(key, entry.forward))
            plugin = Plugin(entry, distribution, f"{point.name} = {point.value}")
            for name in [entry.name, *entry.aliases]:
                found[name] = plugin
    return found


def _skip(message: str) -> None:
    warnings.warn(message, PluginWarning, stacklevel=3)


def reserved_names() -> set[str]:
    """Names that an expression reads in its own way (x, pi, e, its functions and keywords) or
    that are taken by built-ins: a plugin of that name would change what `actplot x*2` means."""
    from .expressions import CONSTANTS, FUNCTIONS, SPECIAL_FUNCTIONS

    return {"x", *CONSTANTS, *FUNCTIONS, *SPECIAL_FUNCTIONS, *REGISTRY, *ALIASES}


def _problem(entry: Activation, found: dict[str, Plugin],
             reserved: set[str] | None = None) -> str | None:
    """Why a plugin's activation cannot be used, checked without running torch: a name that is
    not an identifier or is taken, parameters without a usable default, declarations that are not
    what they claim. None when it is fine."""
    names = [entry.name, *entry.aliases]
    for name in names:
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            return (f"{printable(repr(name))} is not a name (a plugin's names are identifiers "
                    "such as my_relu)")
        if name in (reserved if reserved is not None else reserved_names()) or name in found:
            return f"'{name}' is already a name in actplot or in an expression"
    for parameter in entry.params:
        default = parameter.default
        usable = isinstance(default, (bool, int, float)) and (
            not isinstance(default, float) or math.isfinite(default)) or (
            isinstance(default, str) and default in parameter.choices)
        if not usable:
            return (f"parameter {printable(repr(parameter.name))} has the default "
                    f"{printable(repr(default))}; a default is a finite number, true or false, or "
                    "one of its choices")
    try:
        with guarded(f"{entry.name}'s declarations", ComputeError):
            defaults = entry.defaults()
            complaint = entry.validate(defaults)
            breakpoints = list(entry.breakpoints(defaults))
            numbers = [*entry.other_breaks(defaults), *entry.asymptotes(defaults)]
            formula = entry.formula_for(defaults)
    except (ComputeError, TypeError) as error:
        return str(error)
    if complaint is not None and not isinstance(complaint, str):
        return f"validate returned {type(complaint).__name__}, not None or a message"
    if not isinstance(formula, str):
        return f"the formula is a {type(formula).__name__}, not mathtext text"
    for b in breakpoints:
        if not isinstance(b, Breakpoint) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in (b.x, b.left_slope, b.right_slope)):
            return (f"its breakpoints hold {printable(repr(b))[:80]}; each must be kink(x, left, "
                    "right) or jump(...) with finite numbers")
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in numbers):
        return "its other_breaks or asymptotes are not all finite numbers"
    return None
