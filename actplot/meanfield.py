"""Mean-field theory of signal propagation through a deep random network (Poole et al. 2016,
Schoenholz et al. 2017): h^{l+1} = W^l f(h^l) + b^l, W entries N(0, s_w/N), b entries N(0, s_b)
(s_w = sigma_w^2, s_b = sigma_b^2).

    length map       q^{l+1} = s_w E[f(sqrt(q^l) z)^2] + s_b
    correlation map  c^{l+1} = (s_w E[f(u_1) f(u_2)] + s_b) / q^{l+1},  u ~ N(0, q^l [[1, c], [c, 1]])
    gradients        |dl/dh^l|^2 = chi^l |dl/dh^{l+1}|^2,  chi^l = s_w E[f'(sqrt(q^l) z)^2]
    chi_1            chi at the fixed point q*: < 1 ordered (gradients vanish), > 1 chaotic

Every expectation is Gauss-Legendre quadrature on pieces split at f's breakpoints (as `info`
does), so kinks and jumps cost no accuracy; the two-dimensional one splits the inner integral at
the breakpoints' positions for each outer node. torch evaluates f and f' (autograd), no
matplotlib here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from . import functions
from .compute import differentiate
from .detection import breakpoints_of
from .registry import Activation

LIMIT = 10.0  # |z| beyond this holds 1.5e-23 of the normal's mass
PIECE = 1.0  # 24 Gauss-Legendre nodes on a unit piece: smooth Gaussian integrands to 1e-15
NODES = 24
DIVERGED = 1e30  # q above this has run away: the network's signal diverges
FIXED_POINT_STEPS = 5000
CRITICAL = 1e-3  # |chi_1 - 1| below this: critical


_GAUSS_LEGENDRE = np.polynomial.legendre.leggauss(NODES)


def _legendre(a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    x, w = _GAUSS_LEGENDRE
    return (b - a) / 2 * x + (b + a) / 2, (b - a) / 2 * w


def _pieces(cuts: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the standard normal's expectation on [-LIMIT, LIMIT], split at the
    cuts and into pieces of at most PIECE."""
    edges = sorted({-LIMIT, LIMIT, *(c for c in cuts if -LIMIT < c < LIMIT)})
    nodes, weights = [], []
    for a, b in zip(edges[:-1], edges[1:]):
        count = max(1, math.ceil((b - a) / PIECE))
        for k in range(count):
            x, w = _legendre(a + (b - a) * k / count, a + (b - a) * (k + 1) / count)
            nodes.append(x)
            weights.append(w)
    z = np.concatenate(nodes)
    return z, np.concatenate(weights) * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)


@dataclass
class Function:
    """An activation with its parameters, evaluated in float64 with its derivative."""

    entry: Activation
    params: dict
    breaks: list[float] = field(default_factory=list)

    @classmethod
    def of(cls, name: str, params: dict) -> "Function":
        entry = functions.entry(name)
        params = {**entry.defaults(), **params}
        found = breakpoints_of(entry, params, -1e3, 1e3)
        return cls(entry, params, sorted({b.x for b in found} | set(entry.other_breaks(params))))

    def forward(self, x: np.ndarray) -> np.ndarray:
        """f(x), without a derivative."""
        from torch.nn import functional

        with torch.no_grad(), np.errstate(all="ignore"):
            y = self.entry.forward(functional, torch.tensor(x, dtype=torch.float64), self.params)
        return y.numpy()

    def values(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(all="ignore"):
            y, (dy,), _ = differentiate(self.entry, self.params,
                                        torch.tensor(x, dtype=torch.float64).reshape(-1), 1)
        return y.numpy().reshape(x.shape), dy.numpy().reshape(x.shape)


def expectations(f: Function, q: float) -> tuple[float, float]:
    """(E[f(sqrt(q) z)^2], E[f'(sqrt(q) z)^2]) for z ~ N(0, 1)."""
    squares, slopes = expectations_over(f, np.array([q]))
    return float(squares[0]), float(slopes[0])


def expectations_over(f: Function, qs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """expectations() for many q at once: one evaluation of f over every q's nodes."""
    points, weights, starts = [], [], []
    count = 0
    for q in qs:
        starts.append(count)
        if not q > 0:
            points.append(np.zeros(1)), weights.append(np.ones(1))
            count += 1
            continue
        scale = math.sqrt(q)
        z, w = _pieces([b / scale for b in f.breaks])
        points.append(scale * z), weights.append(w)
        count += len(z)
    y, dy = f.values(np.concatenate(points))
    w = np.concatenate(weights)
    with np.errstate(all="ignore"):
        return (np.add.reduceat(w * y * y, starts), np.add.reduceat(w * dy * dy, starts))


def cross_expectation(f: Function, q: float, c: float) -> float:
    """E[f(u_1) f(u_2)] for (u_1, u_2) ~ N(0, q [[1, c], [c, 1]]), u_1 = sqrt(q) z_1 and
    u_2 = sqrt(q) (c z_1 + s z_2), s = sqrt(1 - c^2). The outer integral over z_1 is split at
    f's breakpoints; the inner over z_2 runs over pieces of PIECE, each split again, for every
    outer node at once, where u_2 meets a breakpoint."""
    scale = math.sqrt(q)
    c = min(max(c, -1.0), 1.0)
    z1, w1 = _pieces([b / scale for b in f.breaks])
    y1 = f.forward(scale * z1)
    s = math.sqrt(max(1 - c * c, 0.0))
    if s < 1e-12:  # perfectly (anti)correlated: E[f(u) f(+-u)]
        return float(np.dot(w1, y1 * f.forward(scale * c * z1)))
    edges = np.linspace(-LIMIT, LIMIT, int(2 * LIMIT / PIECE) + 1)
    low, high = edges[:-1][None, :, None], edges[1:][None, :, None]  # (1, pieces, 1)
    cuts = np.array([(b / scale - c * z1) / s for b in f.breaks]).T.reshape(len(z1), 1, -1)
    inside = np.where((cuts > low) & (cuts < high), cuts, high)  # (outer, pieces, breaks)
    bounds = np.concatenate([np.broadcast_to(low, inside.shape[:2] + (1,)), np.sort(inside, -1),
                             np.broadcast_to(high, inside.shape[:2] + (1,))], axis=-1)
    a, b = bounds[..., :-1, None], bounds[..., 1:, None]  # (outer, pieces, sub, 1)
    x, w = _GAUSS_LEGENDRE
    z2 = (b - a) / 2 * x + (b + a) / 2
    weights = (b - a) / 2 * w * np.exp(-z2 * z2 / 2) / math.sqrt(2 * math.pi)
    y2 = f.forward(scale * (c * z1[:, None, None, None] + s * z2))
    inner = np.sum(weights * y2, axis=(1, 2, 3))
    with np.errstate(all="ignore"):
        return float(np.dot(w1, y1 * inner))


@dataclass
class Theory:
    """The mean-field predictions for one network, layer 0 to L."""

    q: list[float | None]
    c: list[float | None]
    grad: list[float | None]  # |dl/dh^l| / |dl/dh^L|
    q_star: float | None
    c_star: float | None
    chi1: float | None
    depth_scale: float | None
    regime: str
    diverges_at: int | None  # the first layer whose q has run away, if any


def fixed_point(f: Function, s_w: float, s_b: float, q0: float) -> float | None:
    """q* of the length map from q0, or None if q runs away. The map is iterated while it
    converges fast; where it crawls (tanh at sigma_w^2 = 1 nears 0 like 1/2l), the fixed point
    it is heading for is bracketed in the direction it moves and bisected."""
    def step(q: float) -> float:
        return s_w * expectations(f, q)[0] + s_b

    q = q0
    moves = []
    for _ in range(100):
        new = step(q)
        if not math.isfinite(new) or new > DIVERGED:
            return None
        if abs(new - q) <= 1e-13 * (1 + q):
            return new
        moves.append(new - q)
        rising, q = new > q, new
    if rising and moves[-1] >= 0.5 * moves[49]:
        return None  # still climbing as fast as halfway (relu at sigma_w^2 = 2, sigma_b > 0)
    if rising:  # the next fixed point above: where step(q) - q turns negative
        low, high = q, 2 * q
        while step(high) > high:
            low, high = high, 2 * high
            if high > DIVERGED:
                return None
    else:  # the next one below, down to 0 (where step(0) - 0 >= 0)
        low, high = 0.0, q
    for _ in range(80):
        middle = (low + high) / 2
        low, high = (middle, high) if step(middle) > middle else (low, middle)
    return (low + high) / 2


def theory(name: str, params: dict, s_w: float, s_b: float, layers: int, q0: float,
           c0: float) -> Theory:
    f = Function.of(name, params)
    q = [q0]
    c = [c0]
    chis = []
    diverges_at = None
    for layer in range(layers):
        current = q[-1]
        if current is None:
            q.append(None), c.append(None), chis.append(None)
            continue
        square, slope = expectations(f, current)
        new = s_w * square + s_b
        chis.append(s_w * slope)
        if not math.isfinite(new) or new > DIVERGED:
            diverges_at = layer + 1
            q.append(None), c.append(None)
            continue
        q.append(new)
        cross = cross_expectation(f, current, c[-1]) if c[-1] is not None else math.nan
        c.append((s_w * cross + s_b) / new if new > 0 else 1.0)
    grad = [None] * (layers + 1)
    grad[layers] = 1.0
    for layer in range(layers - 1, -1, -1):
        chi, after = chis[layer], grad[layer + 1]
        grad[layer] = None if chi is None or after is None or not math.isfinite(chi) else \
            after * math.sqrt(chi)
    q_star = fixed_point(f, s_w, s_b, q0)
    chi1 = None
    if q_star is not None:
        chi1 = s_w * expectations(f, q_star)[1]
    c_star = stable_correlation(f, s_w, s_b, q_star, chi1)
    return Theory(q=_finite(q), c=_finite(c), grad=_finite(grad), q_star=q_star,
                  c_star=c_star, chi1=chi1, depth_scale=depth_scale(chi1),
                  regime=regime(chi1, q_star), diverges_at=diverges_at)


def stable_correlation(f: Function, s_w: float, s_b: float, q_star: float | None,
                       chi1: float | None) -> float | None:
    """c*, the stable fixed point of the correlation map at q*. c = 1 is always a fixed point
    (q* is the length map's) and the map's slope there is chi_1: in the ordered phase (and at
    criticality) it is the stable one; in the chaotic phase the map falls below the diagonal
    just under 1, and c* is where it crosses it, found by bisection on [0, 1)."""
    if q_star is None or chi1 is None or not q_star > 0:
        return None
    if chi1 <= 1 + CRITICAL:
        return 1.0

    def gap(c: float) -> float:
        return (s_w * cross_expectation(f, q_star, c) + s_b) / q_star - c

    low, high = 0.0, 1 - 1e-9
    if gap(low) <= 0:
        return 0.0
    for _ in range(48):
        middle = (low + high) / 2
        low, high = (middle, high) if gap(middle) > 0 else (low, middle)
    return (low + high) / 2


def depth_scale(chi1: float | None) -> float | None:
    """The depth over which gradients change e-fold, 1/|ln chi_1|; infinite at criticality."""
    if chi1 is None or not chi1 > 0:
        return None
    if abs(chi1 - 1) < 1e-12:
        return math.inf
    return 1 / abs(math.log(chi1))


def regime(chi1: float | None, q_star: float | None) -> str:
    if q_star is None:
        return "diverging"
    if chi1 is None:
        return "undefined"
    if abs(chi1 - 1) <= CRITICAL:
        return "critical"
    return "ordered" if chi1 < 1 else "chaotic"


def _finite(values: list) -> list:
    return [v if v is not None and math.isfinite(v) else None for v in values]


# ---- the phase diagram -----------------------------------------------------------------------

def phase(name: str, params: dict, s_w: np.ndarray, s_b: np.ndarray, q0: float = 1.0):
    """chi_1 over the grid of (s_b rows, s_w columns), NaN where q runs away. Vectorised: the two
    expectations are tabulated once over log-spaced q, and every grid point's length map is
    iterated on the table."""
    f = Function.of(name, params)
    table_q = np.logspace(-10, 12, 881)
    squares, slopes = expectations_over(f, table_q)
    at_zero = expectations(f, 0.0)
    log_table = np.log(table_q)

    def lookup(values: np.ndarray, q: np.ndarray, zero: float) -> np.ndarray:
        inside = np.interp(np.log(np.maximum(q, table_q[0])), log_table, values)
        return np.where(q < table_q[0], zero + (values[0] - zero) * q / table_q[0], inside)

    W, B = np.meshgrid(s_w, s_b)
    q = np.full(W.shape, q0)
    growing = np.zeros(W.shape, dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(2000):
            new = np.minimum(W * lookup(squares, q, at_zero[0]) + B, table_q[-1])
            growing = new > q * (1 + 1e-9) + 1e-15
            settled = np.abs(new - q) <= 1e-11 * (1 + q)
            q = new
            if settled.all():
                break
        chi = W * lookup(slopes, q, at_zero[1])
    # still growing after all the steps (relu past sigma_w^2 = 2): q runs away, no fixed point;
    # a q that falls towards 0 (tanh at sigma_b = 0) converges, however slowly
    return np.where(growing | (q >= table_q[-1]), np.nan, chi)


def critical_line(chi: np.ndarray, s_w: np.ndarray, s_b: np.ndarray) -> list[list[float]]:
    """[[s_b, s_w], ...] where chi_1 crosses 1 along each row (linear interpolation)."""
    line = []
    for row, b in zip(chi, s_b):
        for j in range(len(s_w) - 1):
            left, right = row[j] - 1, row[j + 1] - 1
            if np.isfinite(left) and np.isfinite(right) and left * right <= 0 and left != right:
                t = left / (left - right)
                line.append([float(b), float(s_w[j] + t * (s_w[j + 1] - s_w[j]))])
                break
    return line
