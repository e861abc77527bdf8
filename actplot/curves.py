"""The (x, y) that a panel draws of one Series and order: NaN breaks at every jump, one-sided
limits at the range's ends. numpy only, shared by the figures (render.py), the terminal's text
plots (terminal.py) and the explore page."""

from __future__ import annotations

import math

import numpy as np

from .spec import Series


def _values(series: Series, order: int) -> np.ndarray:
    return series.y if order == 0 else series.derivatives[order - 1]


def _breaks(series: Series, order: int) -> list[float]:
    """Where the order-th derivative may be discontinuous: jumps of f, every breakpoint from the
    first derivative on, and the smooth breaks (where f'' or beyond jumps) from the second on."""
    breaks = [b.x for b in series.breakpoints if b.is_jump or order > 0]
    if order > 1:
        breaks += series.smooth_breaks
    return breaks


def _inside_limit(b, order: int, from_right: bool, values: np.ndarray, inner: int) -> float | None:
    """The value that a panel approaches at an end of the range, from inside the range."""
    if order == 0:
        if not b.is_jump:
            return None  # continuous: torch's value is the limit
        return b.right_value if from_right else b.left_value
    if order == 1:
        slope = b.right_slope if from_right else b.left_slope
        return slope if np.isfinite(slope) else None
    return values[inner]


def curve_data(series: Series, order: int) -> tuple[np.ndarray, np.ndarray]:
    """The (x, y) that a panel draws. A NaN breaks the line at each interior break, so no line
    bridges a jump; at an end of the range a break's value is the one-sided limit from inside,
    not torch's value there (torch says relu6'(6) = 0, but the curve comes in at 1)."""
    x = np.asarray(series.x, dtype=float)
    y = np.array(_values(series, order), dtype=float)
    low, high = x[0], x[-1]
    interior = []
    for x0 in _breaks(series, order):
        if x0 in (low, high) and len(x) > 1:
            from_right = x0 == low
            end, inner = (0, 1) if from_right else (-1, -2)
            b = next((b for b in series.breakpoints if b.x == x0), None)
            if b is not None:
                limit = _inside_limit(b, order, from_right, y, inner)
            else:
                limit = y[inner] if order > 1 else None
            if limit is not None:
                y[end] = limit
        else:
            interior.append(x0)
    for x0 in sorted(set(interior)):
        index = int(np.searchsorted(x, x0))
        if index < len(x) and x[index] == x0:
            y[index] = np.nan
        else:
            x, y = np.insert(x, index, x0), np.insert(y, index, np.nan)
    return x, y


def one_sided_samples(x: np.ndarray, values: np.ndarray, x0: float) -> tuple[float, float]:
    """The samples nearest x0 on its left and right (compute.sample_grid puts one a hair either
    side of every break): the one-sided limits of a higher derivative, which has no declared
    value there. NaN on a side with no sample."""
    left = int(np.searchsorted(x, x0, side="left")) - 1
    right = int(np.searchsorted(x, x0, side="right"))
    return (float(values[left]) if left >= 0 else math.nan,
            float(values[right]) if right < len(x) else math.nan)
