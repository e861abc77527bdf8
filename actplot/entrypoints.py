"""Activations from other packages, through the entry-point group `actplot.activations`.

An entry point names an Activation, a list of them, or a function that returns either (see
actplot.plugin for the public API and examples/actplot-plugin-demo for a package). Discovery reads
installed metadata and imports only the plugins' own modules, which build Activation objects without
torch, so `actplot list` stays fast. A plugin that fails to load, or offers something that is not an
activation, is one warning line naming it; everything else keeps working.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from importlib.metadata import entry_points

from .registry import ALIASES, REGISTRY, Activation

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
    for point in sorted(entry_points(group=GROUP), key=lambda p: p.name):
        distribution = point.dist.name if point.dist is not None else "?"
        label = f"plugin '{point.name}' ({point.value}, from {distribution})"
        try:
            offered = point.load()
            if callable(offered) and not isinstance(offered, Activation):
                offered = offered()
        except Exception as error:  # someone else's code: any failure is one warning
            detail = str(error).splitlines()[0] if str(error) else ""
            warnings.warn(f"{label} failed to load: {type(error).__name__}"
                          f"{': ' + detail if detail else ''}; skipping it", PluginWarning,
                          stacklevel=2)
            continue
        entries = [offered] if isinstance(offered, Activation) else offered
        if not isinstance(entries, (list, tuple)) or not all(isinstance(e, Activation)
                                                             for e in entries):
            warnings.warn(f"{label} offers {type(offered).__name__}, not actplot Activation "
                          "objects; skipping it", PluginWarning, stacklevel=2)
            continue
        for entry in entries:
            names = [entry.name, *entry.aliases]
            taken = [n for n in names if n in REGISTRY or n in ALIASES or n in found]
            if taken:
                warnings.warn(f"{label}: '{taken[0]}' is already a function's name; skipping "
                              f"{entry.name}", PluginWarning, stacklevel=2)
                continue
            entry = replace(entry, source=entry.source or f"plugin {distribution}")
            plugin = Plugin(entry, distribution, f"{point.name} = {point.value}")
            for name in names:
                found[name] = plugin
    return found
