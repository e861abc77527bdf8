"""What detection.py and composition.py both need: f composed with itself, and a candidate point
measured from both sides. Below both, so that neither imports the other. No matplotlib."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .registry import Activation, Breakpoint

PROBE = 1e-7  # one-sided values and slopes are measured this far (relative) from a candidate


def apply_depth(entry: Activation, params: dict, x: torch.Tensor, depth: int) -> torch.Tensor:
    y = x
    for _ in range(depth):
        y = entry.forward(F, y, params)
    return y


def measure(entry: Activation, params: dict, depth: int, x0: float) -> Breakpoint | None:
    """g_depth's one-sided values and slopes at x0, extrapolated from x0 -+ PROBE; None if smooth."""
    delta = PROBE * max(1.0, abs(x0))
    x = torch.tensor([x0 - delta, x0 + delta], dtype=torch.float64, requires_grad=True)
    y = apply_depth(entry, params, x, depth)
    if y.requires_grad:
        (slope,) = torch.autograd.grad(y.sum(), x, allow_unused=True)
        slope = torch.zeros_like(x) if slope is None else slope
    else:
        slope = torch.zeros_like(x)
    (left, right), (left_slope, right_slope) = y.detach().tolist(), slope.tolist()
    left, right = left + delta * left_slope, right - delta * right_slope
    steepness = abs(left_slope) + abs(right_slope)
    scale = 1.0 + abs(left) + abs(right)
    if abs(right - left) > 4 * delta * steepness + 1e-9 * scale:
        return Breakpoint(x0, left_slope, right_slope, left, right)
    if abs(right_slope - left_slope) > 1e-5 * (1.0 + steepness):
        return Breakpoint(x0, left_slope, right_slope)
    return None
