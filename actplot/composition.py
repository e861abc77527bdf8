"""Breakpoints of f composed with itself K times, found from f's declared ones. No matplotlib.

g_1 = f and g_{k+1} = f(g_k). g_{k+1} can break only where g_k breaks or where g_k reaches a
breakpoint of f, so the candidates are f's breakpoints and their preimages under g_1 ... g_{K-1},
located by bisection in float64. Each candidate is then measured on g_K from both sides: a jump when
the one-sided values differ, a kink when the one-sided slopes do, and dropped when neither (step
composed with itself is the constant 1, so its jump at 0 goes away).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .detection import breakpoints_of
from .onesided import apply_depth, measure
from .registry import Activation, Breakpoint

SAMPLES = 4097  # grid on which preimages are bracketed before bisection
BISECTIONS = 60  # float64 brackets shrink to their last bit well before this


def _preimages(g, grid: torch.Tensor, values: torch.Tensor, levels: list[float]) -> list[float]:
    """Points where g crosses a level, or starts or stops equalling it (relu is 0 on all x <= 0).

    Each pair of neighbouring samples on which sign(g - level) differs is bisected on that sign, so
    both a crossing and the end of a flat run converge to the exact boundary. All levels' brackets
    are bisected together, until each has shrunk to neighbouring floats."""
    if not levels:
        return []
    level = torch.tensor(levels, dtype=torch.float64)[:, None]
    state = torch.sign(values[None, :] - level)
    rows, change = torch.nonzero(state[:, :-1] != state[:, 1:], as_tuple=True)
    if not change.numel():
        return []
    target = level[rows, 0]
    lo, hi, lo_state = grid[change], grid[change + 1], state[rows, change]
    for _ in range(BISECTIONS):
        mid = (lo + hi) / 2
        if bool(((mid == lo) | (mid == hi)).all()):
            break
        same = torch.sign(g(mid) - target) == lo_state
        lo = torch.where(same, mid, lo)
        hi = torch.where(same, hi, mid)
    # where g hits the level exactly at an end of the bracket (sign 0), that end is the point
    exact = torch.where(torch.sign(g(hi) - target) == 0, hi, (lo + hi) / 2)
    exact = torch.where(torch.sign(g(lo) - target) == 0, lo, exact)
    return exact.tolist()


def _dedupe(points: list[float], span: float) -> list[float]:
    """Sorted, with points closer than a float64 rounding merged into the first one listed: f's
    own breakpoints come first, so a bisection that ends 1e-21 from 0 reports 0."""
    tolerance = 1e-12 * max(span, 1.0)
    kept: list[float] = []
    for x in points:
        if all(abs(x - k) > tolerance for k in kept):
            kept.append(x)
    return sorted(kept)


def _reach(entry: Activation, params: dict, deepest: int, low: float, high: float):
    """The interval that f is applied on when composed `deepest` times over [low, high]: the range
    itself and the values of each inner composition."""
    values = torch.linspace(low, high, SAMPLES, dtype=torch.float64)
    for _ in range(deepest - 1):
        with torch.no_grad():
            values = entry.forward(F, values, params)
        finite = values[torch.isfinite(values)]
        if finite.numel():
            low, high = min(low, float(finite.min())), max(high, float(finite.max()))
    return low, high


def composed_breakpoints(entry: Activation, params: dict, depths: list[int], low: float,
                         high: float) -> dict[int, tuple[list[Breakpoint], list[float]]]:
    """{depth: (breakpoints, smooth breaks)} of f composed `depth` times within [low, high].

    Smooth breaks are where a higher derivative may jump (f's other_breaks and their preimages):
    not marked, but lines of order 2 and up break there. The preimages under g_k are found once
    for all the depths asked for."""
    # detection must cover every value an inner composition feeds f; declared ones need no range
    reach = _reach(entry, params, max(depths), low, high) if entry.detect_breakpoints else (low, high)
    base = breakpoints_of(entry, params, *reach)
    smooth = list(entry.other_breaks(params))
    levels = [b.x for b in base]
    candidates = [x for x in levels if low <= x <= high]
    smooth_candidates = [x for x in smooth if low <= x <= high]
    span = high - low
    result = {}
    if 1 in depths:
        result[1] = ([b for b in base if low <= b.x <= high], list(smooth_candidates))
    deepest = max(depths)
    if deepest == 1:
        return result
    grid = torch.unique(torch.cat([
        torch.linspace(low, high, SAMPLES, dtype=torch.float64),
        torch.tensor(candidates + smooth_candidates, dtype=torch.float64)]))
    values = grid
    for k in range(1, deepest):
        with torch.no_grad():
            values = entry.forward(F, values, params)  # g_k on the grid, from g_(k-1)
            g = lambda v, k=k: apply_depth(entry, params, v, k)  # noqa: E731
            candidates += _preimages(g, grid, values, levels)
            smooth_candidates += _preimages(g, grid, values, smooth)
        if k + 1 in depths:
            merged = _dedupe(candidates, span)
            found = [b for x in merged if (b := measure(entry, params, k + 1, x))]
            marked = {b.x for b in found}
            result[k + 1] = (found, [x for x in _dedupe(smooth_candidates + candidates, span)
                                     if x not in marked])
    return result
