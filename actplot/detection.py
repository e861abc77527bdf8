"""Kinks and jumps of functions that declare none (expressions, imported code), found numerically.

f is sampled on a fine grid; where its second difference spikes far above its neighbours' (a
corner or a step between two samples, where a smooth f has second differences that change
slowly), the cell is zoomed into, SAMPLES points at a time, down to float resolution. The point is
then measured from both sides as --compose measures its candidates (onesided.measure): a jump
where the one-sided values differ, a kink where the one-sided slopes do, nothing where neither
(a steep but smooth stretch). Points within a rounding of a short decimal are snapped to it, so
max(x, 0) reports its kink at 0 exactly. No matplotlib.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F

from .onesided import measure
from .registry import Activation, Breakpoint

GRID = 8193  # samples over the range when looking for candidates
ZOOM = 17  # samples per zoom step: each shrinks the cell 8-fold
SPIKE = 8.0  # a second difference this many times its neighbours' is a candidate
NEIGHBOURS = 4  # how far away the neighbours are compared (a corner spreads over two samples)
MAX_CANDIDATES = 64
SNAP = 1e-10  # relative to the range: a point this close to a short decimal is that decimal


def detect(entry: Activation, params: dict, low: float, high: float) -> list[Breakpoint]:
    """The kinks and jumps of f within [low, high], sorted; see the module's docstring."""
    return _scan(entry, params, low, high)[0]


def poles_of(entry: Activation, params: dict, low: float, high: float) -> list[float]:
    """Where |f| grows without bound within [low, high] (1/(x - 0.3), tan, log|x|), sorted. Only
    the user's functions are scanned: no built-in has a pole on the real line."""
    if not entry.detect_breakpoints:
        return []
    return _scan(entry, params, low, high)[1]


@functools.lru_cache(maxsize=64)
def _scan_cached(entry: Activation, params: tuple, low: float, high: float):
    return _scan_uncached(entry, dict(params), low, high)


def _scan(entry: Activation, params: dict, low: float, high: float):
    try:
        key = tuple(sorted(params.items()))
        hash(key)
    except TypeError:
        return _scan_uncached(entry, params, low, high)
    return _scan_cached(entry, key, low, high)


def _scan_uncached(entry: Activation, params: dict, low: float,
                   high: float) -> tuple[list[Breakpoint], list[float]]:
    span = high - low
    if not span > 0:
        return [], []
    with torch.no_grad():
        x = torch.linspace(low, high, GRID, dtype=torch.float64)
        y = _values(entry, params, x)
    found: list[Breakpoint] = []
    poles: list[float] = []
    for lo, hi in _candidates(x, y):
        point = _snap(_zoom(entry, params, lo, hi), span)
        if not low <= point <= high or any(abs(point - b) <= SNAP * span
                                           for b in [b.x for b in found] + poles):
            continue
        if _is_pole(entry, params, point, span):
            poles.append(point)
            continue
        measured = measure(entry, params, 1, point)
        if measured is not None:
            found.append(replace(measured, detected=True))
    # the slopes beside a pole are steep enough to pass for kinks: those are the pole's
    cell = 2 * span / (GRID - 1)
    found = [b for b in found if all(abs(b.x - p) > cell for p in poles)]
    return sorted(found, key=lambda b: b.x), sorted(poles)


POLE_DECADES = 9  # |f| must keep growing over this many decades of distance to the point


def _is_pole(entry: Activation, params: dict, x0: float, span: float) -> bool:
    """|f| grows at every step closer to x0, from 1e-2 of the range down to 1e-10 of it, on at
    least one side, and ends far above where it started: 1/x and log|x| do; a jump stays level,
    a kink and a steep but smooth stretch (tanh(1000 x)) level off."""
    distances = span * 10.0 ** -np.arange(2, 2 + POLE_DECADES)
    with torch.no_grad():
        sides = _values(entry, params, torch.tensor(
            np.concatenate([x0 - distances, x0 + distances]), dtype=torch.float64)).abs()
    for side in (sides[:POLE_DECADES], sides[POLE_DECADES:]):
        side = side.numpy()
        finite = np.isfinite(side)
        if not finite[0]:
            continue
        with np.errstate(invalid="ignore"):  # inf - inf: not growing, as it should read
            growing = np.all(np.diff(np.where(finite, side, np.inf)) > 0)
        if growing and (not finite[-1] or side[-1] > 2 * side[0] + 10):
            return True
    return False


def breakpoints_of(entry: Activation, params: dict, low: float, high: float) -> list[Breakpoint]:
    """The function's declared breakpoints, or, for one that declares none (an expression, the
    user's code), those detected within [low, high]."""
    if entry.detect_breakpoints:
        return detect(entry, params, low, high)
    return entry.breakpoints(params)


def _values(entry: Activation, params: dict, x: torch.Tensor) -> torch.Tensor:
    return entry.forward(F, x, params).to(torch.float64)


def _spikes(y: torch.Tensor) -> torch.Tensor:
    """Indices i (of the middle sample) where |second difference| stands out from its neighbours."""
    second = (y[2:] - 2 * y[1:-1] + y[:-2]).abs()
    second = torch.where(torch.isfinite(second), second, torch.zeros_like(second))
    padded = torch.nn.functional.pad(second, (NEIGHBOURS, NEIGHBOURS), value=0.0)
    left, right = padded[:-2 * NEIGHBOURS], padded[2 * NEIGHBOURS:]
    background = torch.maximum(left, right)
    scale = y[torch.isfinite(y)].abs().max() if bool(torch.isfinite(y).any()) else torch.tensor(1.0)
    floor = 1e-12 * (1.0 + float(scale))
    standing = (second > SPIKE * background) & (second > floor)
    # keep local maxima only: a corner between samples lights up its two neighbours
    bigger_than_left = second >= torch.nn.functional.pad(second[:-1], (1, 0), value=0.0)
    bigger_than_right = second >= torch.nn.functional.pad(second[1:], (0, 1), value=0.0)
    return torch.nonzero(standing & bigger_than_left & bigger_than_right).flatten() + 1


def _candidates(x: torch.Tensor, y: torch.Tensor) -> list[tuple[float, float]]:
    """Cells to zoom into: around each spike of the second difference, and around each sample
    where f is infinite (1/x sampled at 0 exactly, whose differences are not numbers)."""
    index = _spikes(y)
    if index.numel() > MAX_CANDIDATES:  # noise everywhere (an oscillating f): keep the tallest
        second = (y[index + 1] - 2 * y[index] + y[index - 1]).abs()
        index = index[torch.argsort(second, descending=True)[:MAX_CANDIDATES]]
    infinite = torch.nonzero(torch.isinf(y[1:-1])).flatten() + 1
    cells = [(float(x[i - 1]), float(x[i + 1])) for i in index.tolist()]
    return cells + [(float(x[i]), float(x[i])) for i in infinite.tolist()[:MAX_CANDIDATES]]


def _zoom(entry: Activation, params: dict, lo: float, hi: float) -> float:
    """Narrow [lo, hi] around its sharpest corner or step until it is a few floats wide."""
    for _ in range(40 if hi > lo else 0):
        if hi - lo <= 4 * torch.finfo(torch.float64).eps * max(abs(lo), abs(hi), 1e-300) or \
                hi - lo < 1e-14:
            break
        with torch.no_grad():
            x = torch.linspace(lo, hi, ZOOM, dtype=torch.float64)
            y = _values(entry, params, x)
        second = (y[2:] - 2 * y[1:-1] + y[:-2]).abs()
        second = torch.where(torch.isfinite(second), second, torch.zeros_like(second))
        i = int(torch.argmax(second)) + 1
        lo, hi = float(x[i - 1]), float(x[i + 1])
    return (lo + hi) / 2


def _snap(point: float, span: float) -> float:
    """0.30000000000000004 -> 0.3, -1e-17 -> 0.0: the shortest decimal within SNAP * span."""
    tolerance = SNAP * max(span, 1.0)
    for digits in range(0, 13):
        rounded = round(point, digits)
        if abs(rounded - point) <= tolerance:
            return rounded + 0.0  # no -0.0
    return point
