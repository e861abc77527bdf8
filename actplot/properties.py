"""`actplot info`: the properties that comparison tables list, computed rather than declared.

Each value comes from the registry's declarations (breakpoints, smooth breaks, asymptotes) together
with autograd in float64 over a wide grid and a fine one; the Gaussian moments come from
Gauss-Legendre quadrature split at every breakpoint, so kinks and jumps cost no accuracy.
torch, no matplotlib."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from .compute import differentiate
from . import functions
from .detection import breakpoints_of
from .errors import ComputeError
from .registry import Activation

WIDE = 1e4  # "the real line": tails are read here
FINE = 50.0  # dead zones are looked for on [-FINE, FINE], where no exp has underflowed
QUADRATURE_LIMIT = 12.0  # the normal density is 2e-32 beyond: nothing to add
QUADRATURE_PIECE = 0.5
QUADRATURE_NODES = 32
SATURATED = 1e-6  # |f'| at +-WIDE below this: f' tends to 0
FLAT = 1e-12
# torch.nn.init.calculate_gain's names for the functions that it knows
TORCH_GAIN_NAMES = {"identity": "linear", "sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu",
                    "leaky_relu": "leaky_relu", "selu": "selu"}
FINITE_IMAGE = 16  # a function taking at most this many values (step, sign) shows the set
ZERO_MEAN = 1e-9  # |E[f(z)]| below this, z ~ N(0, 1): zero-mean outputs
KEYS = ("domain", "range", "range_closed", "values", "monotonic", "derivative_monotonic",
        "continuity", "zero_at_origin", "zero_centered", "zero_mean", "identity_near_origin",
        "saturates", "dead_zone", "moments", "gain", "torch_gain")


def _grid(entry: Activation, params: dict) -> torch.Tensor:
    """Log-spaced out to +-WIDE, linear on [-FINE, FINE], and each breakpoint with neighbours."""
    tail = np.logspace(math.log10(FINE), math.log10(WIDE), 400)
    breaks = [b.x for b in entry.breakpoints(params)] + list(entry.other_breaks(params))
    near = [x0 + d * max(1.0, abs(x0)) for x0 in breaks for d in (-1e-9, 0.0, 1e-9)]
    points = np.concatenate([-tail, np.linspace(-FINE, FINE, 40001), tail, near])
    return torch.unique(torch.tensor(points, dtype=torch.float64))


def _evaluate(entry: Activation, params: dict, x: torch.Tensor, order: int):
    y, derivatives, _ = differentiate(entry, params, x, order)
    return [y.numpy()] + [None if d is None else d.numpy() for d in derivatives]


def _one_sided(entry: Activation, params: dict, x0: float, order: int) -> tuple:
    """The order-th derivative just left and just right of x0; None where torch has none."""
    delta = 1e-7 * max(1.0, abs(x0))
    values = _evaluate(entry, params, torch.tensor([x0 - delta, x0 + delta], dtype=torch.float64),
                       order)[order]
    return None if values is None else (float(values[0]), float(values[1]))


def _bound(values: np.ndarray, slopes: np.ndarray, end: int, asymptotes: list[float],
           upper: bool) -> float | None:
    """The sup (upper) or inf of f, or None where f grows without bound at that end."""
    extreme = float(values.max() if upper else values.min())
    at_end = float(values[end])
    if at_end != extreme:
        return extreme  # reached inside: the extreme itself
    near = [a for a in asymptotes if abs(at_end - a) < 1e-2 * (1 + abs(a))]
    if near:
        return max(near) if upper else min(near)
    return None if abs(slopes[end]) > SATURATED else extreme


def _range(x, y, dy, asymptotes) -> list[float | None]:
    low = min((_bound(y, dy, end, asymptotes, upper=False) for end in (0, -1)),
              key=lambda v: -math.inf if v is None else v)
    high = max((_bound(y, dy, end, asymptotes, upper=True) for end in (0, -1)),
               key=lambda v: math.inf if v is None else v)
    return [_tidy(low), _tidy(high)]


def _attained(x: np.ndarray, y: np.ndarray, bound: float | None, breaks: list[float]) -> bool:
    """Whether some finite x reaches the bound. Where f reaches it inside the line and not at an
    end, it is reached (gelu's minimum, sin's 1). Where f keeps the bound out to an end, that is
    a constant piece only if the piece starts at a break of the formula (relu's 0 from x = 0,
    relu6's 6 from x = 6, smelu's 0 from -beta); otherwise float64 has merely rounded f to its
    asymptote far out (sigmoid is 1.0 from x = 37 on), and the bound is not reached."""
    if bound is None:
        return False
    reached = np.abs(y - bound) <= 1e-9 * max(1.0, abs(bound))
    if not (reached[0] or reached[-1]):
        return bool(reached.any())
    for end in (0, -1):
        if not reached[end]:
            continue
        off = np.flatnonzero(~reached)
        if not off.size:
            return True  # constant everywhere
        # where the constant piece at this end begins: next to the last sample off the bound
        start = x[off[-1] + 1] if end == -1 else x[off[0] - 1]
        if start is not None and any(abs(start - b) <= 1e-6 * max(1.0, abs(b)) for b in breaks):
            return True
    return False


def _refined(entry: Activation, params: dict, x: np.ndarray, y: np.ndarray,
             upper: bool) -> float:
    """An extreme reached inside the line, found to float64 precision: the grid's best sample,
    then two zooms of 1001 points around it (sin's 1 sits between samples)."""
    index = int(np.argmax(y) if upper else np.argmin(y))
    low, high = x[max(index - 1, 0)], x[min(index + 1, len(x) - 1)]
    best = float(y[index])
    for _ in range(2):
        grid = np.linspace(low, high, 1001)
        values = _evaluate(entry, params, torch.tensor(grid, dtype=torch.float64), 0)[0]
        finite = np.isfinite(values)
        if not finite.any():
            break
        values = np.where(finite, values, -np.inf if upper else np.inf)
        at = int(np.argmax(values) if upper else np.argmin(values))
        best = max(best, float(values[at])) if upper else min(best, float(values[at]))
        low, high = grid[max(at - 1, 0)], grid[min(at + 1, 1000)]
    return best


def _finite_image(y: np.ndarray, dy: np.ndarray) -> list[float] | None:
    """The values of a function that takes only a few (step, sign): f' is 0 wherever it exists."""
    if np.any(dy != 0):
        return None
    values = np.unique(y)
    return [_tidy(float(v)) for v in values] if len(values) <= FINITE_IMAGE else None


def _tends_to_zero(x: np.ndarray, dy: np.ndarray, side: int) -> bool:
    """f' -> 0 at that end of the line: it has underflowed there, or its envelope keeps falling
    (sinc's cos(x)/x: the largest |f'| on the last decade is well below the one before)."""
    magnitude = np.abs(x)
    on_side = (x < 0) if side < 0 else (x > 0)
    last = on_side & (magnitude >= WIDE / 10)
    before = on_side & (magnitude >= WIDE / 100) & (magnitude < WIDE / 10)
    if not last.any():
        return False
    far = float(np.max(np.abs(dy[last])))
    if far < SATURATED:
        return True
    return bool(before.any() and far < 0.5 * float(np.max(np.abs(dy[before]))))


def _tidy(value: float | None) -> float | None:
    if value is None:
        return None
    rounded = round(value, 9)
    return rounded + 0.0  # no -0.0


def _monotonic(values: np.ndarray) -> bool:
    steps = np.diff(values)
    scale = FLAT * max(1.0, float(np.max(np.abs(values))))
    return bool(np.all(steps >= -scale) or np.all(steps <= scale))


def _dead_zones(entry, params, x: np.ndarray, dy: np.ndarray) -> list[list[float | None]] | None:
    """Intervals on which f' is exactly 0, found on [-FINE, FINE]; a zone reaching an end of it
    runs on to infinity when f' is 0 at +-WIDE too. Each finite end is a declared breakpoint."""
    inside = np.abs(x) <= FINE
    xs, zero = x[inside], dy[inside] == 0
    # runs of at least two zero samples, found at once (a loop over the samples was half of the
    # time an explore page spends on properties)
    edges = np.flatnonzero(np.diff(np.concatenate([[False], zero, [False]]).astype(np.int8)))
    zones = [[float(xs[a]), float(xs[b - 1])] for a, b in zip(edges[::2], edges[1::2]) if b - 1 > a]
    far = _evaluate(entry, params, torch.tensor([-WIDE, WIDE], dtype=torch.float64), 1)[1]
    declared = {b.x for b in entry.breakpoints(params)}
    # a zone that reaches an end of the grid runs on to the next breakpoint beyond it (threshold
    # = 1e30), else to infinity if f' is 0 far out too; else it is no dead zone
    beyond_left = max((x for x in declared if x < -FINE), default=None)
    beyond_right = min((x for x in declared if x > FINE), default=None)

    def end(value, at_edge: bool, beyond, far_zero: bool):
        if not at_edge:
            return value
        if beyond is not None:
            return beyond
        return None if far_zero else math.nan

    def snapped(value: float) -> float:
        """A zone's last sample can sit 1e-9 from its breakpoint (torch.maximum's slope at a tie
        is 1/2): that end is the breakpoint."""
        near = [b for b in declared if abs(value - b) <= 2e-9 * max(1.0, abs(b))]
        return near[0] if near else value

    zones = [[snapped(low), snapped(high)] for low, high in zones]
    result = []
    for low, high in zones:
        zone = [end(low, low == xs[0], beyond_left, far[0] == 0),
                end(high, high == xs[-1], beyond_right, far[1] == 0)]
        if any(isinstance(e, float) and math.isnan(e) for e in zone):
            continue
        # f' is exactly 0 on a piece bounded by breakpoints; elsewhere a 0 is an underflow
        # (sigmoid' beyond x = 37 in float64), not a dead zone
        if all(end is None or end in declared for end in zone):
            result.append([_tidy(end) for end in zone])
    return result or None


def _continuity(entry: Activation, params: dict) -> str:
    breakpoints = entry.breakpoints(params)
    if any(b.is_jump for b in breakpoints):
        return "discontinuous"
    if breakpoints:
        return "C0"
    for order, name in ((2, "C1"), (3, "C2")):
        for x0 in entry.other_breaks(params):
            left, right = _one_sided_differences(entry, params, x0, order)
            if abs(right - left) > JUMP * (1 + abs(left) + abs(right)):
                return name
    return "Cinf"


JUMP = 1e-3  # one-sided higher derivatives this far apart (relative) jump; differences err by 1e-5


def _one_sided_differences(entry: Activation, params: dict, x0: float, order: int) -> tuple:
    """The second (order 2) or third (3) derivative just left and right of x0, from one-sided
    differences of the autograd first derivative on each side: torch's double backward of abs()
    imports torch._dynamo (a second of start-up) for softsign, sqnl and the like, which a gallery
    would pay for nothing."""
    h = 1e-4 * max(1.0, abs(x0))
    steps = np.arange(1, order + 1) * h
    points = np.concatenate([x0 - steps, x0 + steps])
    slopes = _evaluate(entry, params, torch.tensor(points, dtype=torch.float64), 1)[1]
    near, far = slopes[:order], slopes[order:]
    if order == 2:  # (f'(x0 + 2h) - f'(x0 + h)) / h on each side
        return float((near[0] - near[1]) / h), float((far[1] - far[0]) / h)
    return (float((near[0] - 2 * near[1] + near[2]) / h**2),
            float((far[0] - 2 * far[1] + far[2]) / h**2))


def _moments(entry: Activation, params: dict) -> dict[str, float]:
    """E[f(z)], E[f(z)^2] and E[f'(z)^2] for z ~ N(0, 1), by Gauss-Legendre quadrature on pieces
    of at most QUADRATURE_PIECE, split at every breakpoint and smooth break."""
    cuts = {-QUADRATURE_LIMIT, QUADRATURE_LIMIT}
    cuts |= {b.x for b in entry.breakpoints(params) if abs(b.x) < QUADRATURE_LIMIT}
    cuts |= {x for x in entry.other_breaks(params) if abs(x) < QUADRATURE_LIMIT}
    edges = sorted(cuts)
    nodes, weights = np.polynomial.legendre.leggauss(QUADRATURE_NODES)
    points, factors = [], []
    for a, b in zip(edges[:-1], edges[1:]):
        pieces = max(1, math.ceil((b - a) / QUADRATURE_PIECE))
        for k in range(pieces):
            lo = a + (b - a) * k / pieces
            hi = a + (b - a) * (k + 1) / pieces
            points.append((hi - lo) / 2 * nodes + (hi + lo) / 2)
            factors.append((hi - lo) / 2 * weights)
    z = np.concatenate(points)
    w = np.concatenate(factors) * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    y, dy = _evaluate(entry, params, torch.tensor(z, dtype=torch.float64), 1)
    return {"mean": float(np.dot(w, y)), "mean_square": float(np.dot(w, y * y)),
            "derivative_mean_square": float(np.dot(w, dy * dy))}


def _finite_moments(moments: dict[str, float] | None) -> dict[str, float] | None:
    """The moments, or None where one is not finite (exp(exp(z)) has no E[f^2])."""
    if moments is None or not all(math.isfinite(v) for v in moments.values()):
        return None
    return moments


def _torch_gain(name: str, params: dict) -> float | None:
    if name not in TORCH_GAIN_NAMES:
        return None
    param = params.get("negative_slope") if name == "leaky_relu" else None
    return float(torch.nn.init.calculate_gain(TORCH_GAIN_NAMES[name], param))


def properties(name: str, params: dict) -> dict[str, Any]:
    """The info record of one function with its parameters. Infinities and NaNs along the way
    (exp(exp(x)) overflows far out) are expected and handled, not warned about."""
    with np.errstate(all="ignore"):
        return _properties(name, params)


def _properties(name: str, params: dict) -> dict[str, Any]:
    entry = functions.entry(name)
    record: dict[str, Any] = {"function": name, "params": dict(params)}
    if entry.vector:
        record.update({key: None for key in KEYS})
        record["note"] = "acts on a whole vector: these element-wise properties do not apply"
        return record
    if entry.detect_breakpoints:  # the user's code: its breakpoints are found, not declared
        found = breakpoints_of(entry, params, -FINE, FINE)
        entry = replace(entry, breakpoints=lambda p: found)
    low, high = entry.domain(params)
    whole_line = not (math.isfinite(low) or math.isfinite(high))
    x = _grid(entry, params)
    if not whole_line:  # soft_exponential with alpha < 0: the properties of f where it exists
        x = x[(x > low) & (x < high)]
    y, dy = _evaluate(entry, params, x, 1)
    x = x.numpy()
    finite = np.isfinite(y) & np.isfinite(dy)  # exp(0.5 x) overflows at x = 1e4: unbounded there
    x, y, dy = x[finite], y[finite], dy[finite]
    if x.size < 2:
        where = " in its domain" if not whole_line else ""
        raise ComputeError(f"{name} has no finite value with a finite derivative for |x| <= "
                           f"{WIDE:g}{where}, where info reads it; there is nothing to describe")
    breakpoints = entry.breakpoints(params)
    jumps = [b for b in breakpoints if b.is_jump]
    at_zero = _evaluate(entry, params, torch.zeros(1, dtype=torch.float64), 1)
    zero_sides = _one_sided(entry, params, 0.0, 1)
    moments = _finite_moments(_moments(entry, params)) if whole_line else None
    zones = _dead_zones(entry, params, x, dy)
    values = _finite_image(y, dy)
    value_range = _range(x, y, dy, list(entry.asymptotes(params)))
    breaks = [b.x for b in breakpoints] + list(entry.other_breaks(params))
    closed = [_attained(x, y, bound, breaks) for bound in value_range]
    for side, upper in ((0, False), (1, True)):
        if closed[side] and not values and value_range[side] is not None:
            value_range[side] = _tidy(_refined(entry, params, x, y, upper))
    zero_at_origin = abs(float(at_zero[0][0])) <= FLAT
    record.update({
        "domain": [_tidy(low) if math.isfinite(low) else None,
                   _tidy(high) if math.isfinite(high) else None],
        "range": value_range,
        "range_closed": [True, True] if values else closed,
        "values": values,
        "monotonic": _monotonic(y),
        # where f jumps, f' holds a Dirac delta: no function, monotonic or not
        "derivative_monotonic": not jumps and _monotonic(dy),
        "continuity": _continuity(entry, params),
        "zero_at_origin": zero_at_origin,
        "zero_centered": zero_at_origin,  # deprecated: the old name of zero_at_origin
        "zero_mean": None if moments is None else abs(moments["mean"]) <= ZERO_MEAN,
        "identity_near_origin": (zero_at_origin
                                 and all(abs(s - 1) <= 1e-5 for s in zero_sides)
                                 and not any(b.x == 0 for b in breakpoints)),
        "saturates": {"left": _tends_to_zero(x, dy, -1), "right": _tends_to_zero(x, dy, 1)},
        "dead_zone": zones,
        "moments": moments,
        "gain": 1 / math.sqrt(moments["mean_square"]) if moments and moments["mean_square"] > 0
        else None,
        "torch_gain": _torch_gain(name, params),
    })
    return record
