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

from dataclasses import replace

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
    span = high - low
    if not span > 0:
        return []
    with torch.no_grad():
        x = torch.linspace(low, high, GRID, dtype=torch.float64)
        y = _values(entry, params, x)
    found: list[Breakpoint] = []
    for lo, hi in _candidates(x, y):
        point = _snap(_zoom(entry, params, lo, hi), span)
        if not low <= point <= high or any(abs(point - b.x) <= SNAP * span for b in found):
            continue
        measured = measure(entry, params, 1, point)
        if measured is not None:
            found.append(replace(measured, detected=True))
    return sorted(found, key=lambda b: b.x)


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
    index = _spikes(y)
    if index.numel() > MAX_CANDIDATES:  # noise everywhere (an oscillating f): keep the tallest
        second = (y[index + 1] - 2 * y[index] + y[index - 1]).abs()
        index = index[torch.argsort(second, descending=True)[:MAX_CANDIDATES]]
    return [(float(x[i - 1]), float(x[i + 1])) for i in index.tolist()]


def _zoom(entry: Activation, params: dict, lo: float, hi: float) -> float:
    """Narrow [lo, hi] around its sharpest corner or step until it is a few floats wide."""
    for _ in range(40):
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
