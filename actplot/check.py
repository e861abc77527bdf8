"""`--check`: autograd held, in float64, to central finite differences and to the one-sided
derivatives that the registry declares at kinks and jumps."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch

from . import compute, functions
from .detection import breakpoints_of, poles_of
from .registry import Activation
from .spec import FigureSpec

SAMPLES = 201
VECTOR_SAMPLES = 41  # indices of a vector function checked, each costing two extra evaluations
ABS_TOL = 1e-6
REL_TOL = 1e-6
ONE_SIDED_TOL = 1e-5
POLE_MARGIN = 0.01  # of the range, left out either side of a pole


@dataclass
class CheckRow:
    function: str
    what: str
    abs_error: float | None
    rel_error: float | None
    passed: bool
    note: str = ""


def _step(x: np.ndarray) -> np.ndarray:
    # about the cube root of float64's epsilon: truncation and rounding errors balance there
    return 1e-5 * np.maximum(1.0, np.abs(x))


def _away_from(points: np.ndarray, avoid: list[float], margin: float) -> np.ndarray:
    keep = np.ones(points.shape, dtype=bool)
    for x0 in avoid:
        keep &= np.abs(points - x0) > margin
    return points[keep]


def _compare(function: str, what: str, got: np.ndarray, want: np.ndarray, abs_tol: float,
             rel_tol: float) -> CheckRow:
    error = np.abs(got - want)
    scale = np.abs(want)
    ok = bool(np.all(error <= abs_tol + rel_tol * scale)) and bool(np.all(np.isfinite(got)))
    relative = error / np.maximum(scale, abs_tol)
    return CheckRow(function, what, float(np.max(error)), float(np.max(relative)), ok)


def _elementwise(entry, params, x, order, device):
    """f and its derivatives at x, x + h and x - h, each a separate seeded pass, so rrelu's random
    slopes line up point by point."""
    h = _step(x)
    passes = []
    for grid in (x, x + h, x - h):
        with compute._seeded(entry, params, device):
            y, derivatives, missing = compute.differentiate(
                entry, params, torch.tensor(grid, dtype=torch.float64, device=device), order)
        passes.append([compute.to_numpy(y), *(compute.to_numpy(d) for d in derivatives)])
    levels = [None if passes[0][k] is None else tuple(p[k] for p in passes)
              for k in range(order + 1)]
    return levels, h, missing


def _vector(entry, params, base, order, device):
    """The same three evaluations for a vector function, at a subset of indices i, moving x_i alone."""
    n = len(base)
    index = np.unique(np.linspace(0, n - 1, min(n, VECTOR_SAMPLES)).round().astype(int))
    h = _step(base[index])
    x = torch.tensor(base, dtype=torch.float64, device=device)
    rows = x.expand(3 * len(index), n).clone()
    positions = torch.tensor(np.concatenate([index] * 3), device=device)
    offsets = torch.tensor(np.concatenate([np.zeros_like(h), h, -h]), dtype=torch.float64, device=device)
    rows[torch.arange(len(positions), device=device), positions] += offsets
    fn = lambda v: compute.apply_depth(entry, params, v, 1)  # noqa: E731
    derivatives, missing = compute.diagonal_derivatives(fn, rows, positions, order, entry.name)
    values = fn(rows)[torch.arange(len(positions), device=device), positions]
    levels = [compute.to_numpy(values), *(compute.to_numpy(d) for d in derivatives)]
    m = len(index)
    return [None if v is None else (v[:m], v[m:2 * m], v[2 * m:]) for v in levels], h, missing


def _one_sided(entry: Activation, params: dict, breakpoints: list, device) -> list[CheckRow]:
    rows = []
    for b in breakpoints:
        delta = 1e-7 * max(1.0, abs(b.x))
        grid = torch.tensor([b.x - delta, b.x + delta], dtype=torch.float64, device=device)
        with compute._seeded(entry, params, device):
            y, (dy,), _ = compute.differentiate(entry, params, grid, 1)
        y, dy = compute.to_numpy(y), compute.to_numpy(dy)
        kind = ("detected " if b.detected else "") + ("jump" if b.is_jump else "kink")
        pairs = [("left slope", dy[0], b.left_slope), ("right slope", dy[1], b.right_slope)]
        if b.is_jump:
            pairs += [("left value", y[0], b.left_value), ("right value", y[1], b.right_value)]
        for label, got, want in pairs:
            if np.isnan(want):
                continue  # random (rrelu in training mode)
            rows.append(_compare(entry.name, f"{kind} at x={b.x:g}: {label} {want:.6g}",
                                 np.array([got]), np.array([want]), ONE_SIDED_TOL, 0.0))
    return rows


def verify(spec: FigureSpec) -> list[CheckRow]:
    """One row per function and order, then one per declared one-sided value."""
    device = compute.resolve_device(spec.device)
    if device.type == "mps":
        device = torch.device("cpu")  # mps has no float64
    order = max(spec.order, 1)
    low, high = spec.range
    results = []
    variants = [(name, params, ", ".join(f"{s.name}={params[s.name]:g}" if isinstance(
                    params[s.name], float) else f"{s.name}={params[s.name]}"
                    for s in spec.sweeps.get(name, ())))
                for name in spec.functions for params in spec.variants(name)]
    for function, params, swept in variants:
        name = f"{function} ({swept})" if swept else function
        entry = functions.entry(function)
        breakpoints = breakpoints_of(entry, params, low, high)
        avoid = [b.x for b in breakpoints] + list(entry.other_breaks(params))
        margin = max(1e-4 * (high - low), 1e-3)
        poles = poles_of(entry, params, low, high)
        x = _away_from(np.linspace(low, high, SAMPLES), avoid, margin)
        # beside a pole f and its differences are as large as float64 goes: no test of anything
        x = _away_from(x, poles, POLE_MARGIN * (high - low))
        if entry.vector:
            base = np.linspace(low, high, spec.points)
            levels, h, missing = _vector(entry, params, base, order, device)
        else:
            levels, h, missing = _elementwise(entry, params, x, order, device)
        for k in range(1, order + 1):
            if k in missing:
                results.append(CheckRow(name, f"order {k}", None, None, True,
                                        missing[k].replace("\n", " ")))
                continue
            centre, plus, minus = levels[k][0], levels[k - 1][1], levels[k - 1][2]
            finite_difference = (plus - minus) / (2 * h)
            results.append(_compare(name, f"order {k}", centre, finite_difference, ABS_TOL, REL_TOL))
        results.extend(replace(row, function=name) for row in _one_sided(entry, params, breakpoints, device))
        results.extend(CheckRow(name, f"pole at x={pole:g}", None, None, True,
                                f"|f| grows without bound; x within {POLE_MARGIN * (high - low):g} "
                                "of it left out") for pole in poles)
    return results


def report(rows: list[CheckRow]) -> str:
    headers = ("function", "check", "max abs error", "max rel error", "result")
    table = [headers]
    for r in rows:
        table.append((
            r.function, r.what,
            "-" if r.abs_error is None else f"{r.abs_error:.2e}",
            "-" if r.rel_error is None else f"{r.rel_error:.2e}",
            f"n/a ({r.note})" if r.abs_error is None else "ok" if r.passed else "FAIL",
        ))
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table) + "\n"


def report_json(rows: list[CheckRow]) -> str:
    """The same rows as JSON: {"checks": [{function, what, abs_error, rel_error, passed, note}]}."""
    return json.dumps({"checks": [asdict(r) for r in rows]}, indent=1) + "\n"
