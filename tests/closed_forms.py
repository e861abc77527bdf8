"""Closed forms written from the papers and the seeds, independently of actplot's registry.

Each case gives f as a sympy expression and f' written by hand (as the seeds derive it). Higher
derivatives come from sympy's exact differentiation of f, and every value is evaluated with
mpmath at 40 digits, so the reference is exact to far beyond float64.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import mpmath
import numpy as np
import sympy as sp

X = sp.Symbol("x", real=True)
mpmath.mp.dps = 40

SELU_ALPHA = sp.Float("1.6732632423543772848170429916717", 40)
SELU_SCALE = sp.Float("1.0507009873554804934193349852946", 40)


def sigmoid(z):
    return 1 / (1 + sp.exp(-z))


def piecewise(negative, positive, at=0):
    """negative for x <= at, positive for x > at."""
    return sp.Piecewise((negative, X <= at), (positive, True))


@dataclass
class Case:
    name: str
    f: sp.Expr
    df: sp.Expr  # by hand
    params: dict = field(default_factory=dict)
    avoid: tuple[float, ...] = ()  # where f, f' or a higher derivative breaks
    domain_low: float = -np.inf  # f is undefined at and below this
    smooth: bool = False  # C-infinity: f'' and f''' are checked too
    abs_tol: float = 1e-12
    rel_tol: float = 1e-11
    id: str = ""

    def __post_init__(self):
        self.id = self.id or self.name + "".join(f"-{k}={v}" for k, v in self.params.items())

    def derivative(self, order: int) -> sp.Expr:
        return sp.diff(self.f, X, order)

    def evaluate(self, expr: sp.Expr, points: np.ndarray) -> np.ndarray:
        fn: Callable = sp.lambdify(X, expr, modules="mpmath")
        return np.array([_value(fn, expr, float(p)) for p in points])


def _value(fn: Callable, expr: sp.Expr, point: float) -> float:
    """fn(point), or the limit there where the formula is 0/0 (sin(x)/x at 0)."""
    try:
        return float(fn(mpmath.mpf(point)))
    except ZeroDivisionError:
        return float(sp.limit(expr, X, sp.Rational(point)))


def _leaky(slope):
    return piecewise(slope * X, X), piecewise(slope, 1)


def _elu(alpha):
    return piecewise(alpha * (sp.exp(X) - 1), X), piecewise(alpha * sp.exp(X), 1)


def _soft_clipping(alpha):
    a = sp.Integer(alpha)
    return (sp.log((1 + sp.exp(a * X)) / (1 + sp.exp(a * (X - 1)))) / a,
            sigmoid(a * X) - sigmoid(a * (X - 1)))


def _snake(a):
    return X + sp.sin(a * X) ** 2 / a, 1 + 2 * sp.sin(a * X) * sp.cos(a * X)


def _isru(alpha):
    return X / sp.sqrt(1 + alpha * X**2), (1 + alpha * X**2) ** sp.Rational(-3, 2)


def _srelu(t_left, a_left, t_right, a_right):
    return (sp.Piecewise((t_left + a_left * (X - t_left), X <= t_left), (X, X <= t_right),
                         (t_right + a_right * (X - t_right), True)),
            sp.Piecewise((a_left, X <= t_left), (1, X <= t_right), (a_right, True)))


SOFTPLUS = sp.log(1 + sp.exp(X))
QUICK = sp.Float("1.702", 40)
LECUN = sp.Float("1.7159", 40)
STAR_S, STAR_B = sp.Float("0.8944", 40), sp.Float("-0.4472", 40)
LAPLACE_MU, LAPLACE_SIGMA = sp.Float("0.707107", 40), sp.Float("0.282095", 40)

# The 30 functions added from the reference pages (issue 9), from their papers' definitions.
NEW_CASES = [
    Case("arctan", sp.atan(X), 1 / (1 + X**2), smooth=True),
    Case("lecun_tanh", LECUN * sp.tanh(2 * X / 3),
         LECUN * sp.Rational(2, 3) * (1 - sp.tanh(2 * X / 3) ** 2), smooth=True),
    Case("symmetrical_sigmoid", 2 * sigmoid(X) - 1, 2 * sigmoid(X) * (1 - sigmoid(X)), smooth=True),
    Case("bent_identity", (sp.sqrt(X**2 + 1) - 1) / 2 + X, X / (2 * sp.sqrt(X**2 + 1)) + 1,
         smooth=True),
    Case("loglog", 1 - sp.exp(-sp.exp(X)), sp.exp(X) * sp.exp(-sp.exp(X)), smooth=True),
    Case("gaussian", sp.exp(-X**2), -2 * X * sp.exp(-X**2), smooth=True),
    Case("absolute", piecewise(-X, X), piecewise(-1, 1), avoid=(0,)),
    Case("sinusoid", sp.sin(X), sp.cos(X), smooth=True),
    Case("cos", sp.cos(X), -sp.sin(X), smooth=True),
    Case("sinc", sp.sin(X) / X, (X * sp.cos(X) - sp.sin(X)) / X**2, smooth=True),
    Case("cube", X**3, 3 * X**2, smooth=True),
    Case("srelu", *_srelu(-1, sp.Rational(1, 10), 1, sp.Rational(1, 10)), avoid=(-1, 1)),
    Case("srelu", *_srelu(-2, sp.Rational(1, 2), 3, 2),
         params={"t_left": -2.0, "a_left": 0.5, "t_right": 3.0, "a_right": 2.0}, avoid=(-2, 3)),
    Case("isru", *_isru(1), smooth=True),
    Case("isru", *_isru(sp.Rational(1, 4)), params={"alpha": 0.25}, smooth=True),
    Case("isrlu", piecewise(_isru(1)[0], X), piecewise(_isru(1)[1], 1), avoid=(0,)),
    Case("sqnl", sp.Piecewise((-1, X < -2), (X + X**2 / 4, X < 0), (X - X**2 / 4, X <= 2), (1, True)),
         sp.Piecewise((0, X < -2), (1 + X / 2, X < 0), (1 - X / 2, X <= 2), (0, True)),
         avoid=(-2, 0, 2)),
    Case("soft_exponential", 2 * (sp.exp(X / 2) - 1) + sp.Rational(1, 2), sp.exp(X / 2),
         smooth=True),
    Case("soft_exponential", 2 * sp.log(1 + (X - sp.Rational(1, 2)) / 2),
         1 / (1 + (X - sp.Rational(1, 2)) / 2), params={"alpha": -0.5}, smooth=True,
         domain_low=-1.5),
    Case("soft_exponential", X, sp.Integer(1), params={"alpha": 0.0}, smooth=True),
    Case("soft_clipping", *_soft_clipping(1), smooth=True),
    Case("soft_clipping", *_soft_clipping(2), params={"alpha": 2.0}, smooth=True),
    Case("squareplus", (X + sp.sqrt(X**2 + 4)) / 2, (1 + X / sp.sqrt(X**2 + 4)) / 2, smooth=True),
    Case("quick_gelu", X * sigmoid(QUICK * X),
         sigmoid(QUICK * X) + QUICK * X * sigmoid(QUICK * X) * (1 - sigmoid(QUICK * X)),
         smooth=True),
    Case("squared_relu", piecewise(0, X**2), piecewise(0, 2 * X), avoid=(0,)),
    Case("star_relu", piecewise(STAR_B, STAR_S * X**2 + STAR_B), piecewise(0, 2 * STAR_S * X),
         avoid=(0,)),
    Case("laplace", (1 + sp.erf((X - LAPLACE_MU) / (LAPLACE_SIGMA * sp.sqrt(2)))) / 2,
         sp.exp(-(X - LAPLACE_MU) ** 2 / (2 * LAPLACE_SIGMA**2)) / (LAPLACE_SIGMA * sp.sqrt(2 * sp.pi)),
         smooth=True),
    Case("snake", *_snake(1), smooth=True),
    Case("snake", *_snake(2), params={"a": 2.0}, smooth=True),
    Case("gcu", X * sp.cos(X), sp.cos(X) - X * sp.sin(X), smooth=True),
    Case("tanhexp", X * sp.tanh(sp.exp(X)),
         sp.tanh(sp.exp(X)) + X * sp.exp(X) * (1 - sp.tanh(sp.exp(X)) ** 2), smooth=True),
    Case("logish", X * sp.log(1 + sigmoid(X)),
         sp.log(1 + sigmoid(X)) + X * sigmoid(X) * (1 - sigmoid(X)) / (1 + sigmoid(X)), smooth=True),
    Case("serf", X * sp.erf(SOFTPLUS),
         sp.erf(SOFTPLUS) + X * 2 / sp.sqrt(sp.pi) * sp.exp(-SOFTPLUS**2) * sigmoid(X), smooth=True),
    Case("smelu", sp.Piecewise((0, X <= -1), ((X + 1) ** 2 / 4, X <= 1), (X, True)),
         sp.Piecewise((0, X <= -1), ((X + 1) / 2, X <= 1), (1, True)), avoid=(-1, 1)),
    Case("elish", piecewise((sp.exp(X) - 1) * sigmoid(X), X * sigmoid(X)),
         piecewise(sp.exp(X) * sigmoid(X) + (sp.exp(X) - 1) * sigmoid(X) * (1 - sigmoid(X)),
                   sigmoid(X) + X * sigmoid(X) * (1 - sigmoid(X))), avoid=(0,)),
    Case("hard_elish",
         sp.Piecewise((0, X <= -1), ((sp.exp(X) - 1) * (X + 1) / 2, X <= 0), (X * (X + 1) / 2, X <= 1),
                      (X, True)),
         sp.Piecewise((0, X <= -1), (sp.exp(X) * (X + 1) / 2 + (sp.exp(X) - 1) / 2, X <= 0),
                      ((2 * X + 1) / 2, X <= 1), (1, True)), avoid=(-1, 0, 1)),
]


CASES = [
    Case("relu", piecewise(0, X), piecewise(0, 1), avoid=(0,)),
    Case("leaky_relu", *_leaky(sp.Rational(1, 10)), avoid=(0,)),
    Case("leaky_relu", *_leaky(sp.Rational(3, 10)), params={"negative_slope": 0.3}, avoid=(0,)),
    Case("prelu", *_leaky(sp.Rational(1, 4)), avoid=(0,)),
    Case("rrelu", *_leaky((sp.Rational(1, 8) + sp.Rational(1, 3)) / 2), avoid=(0,)),
    Case("elu", *_elu(1), avoid=(0,)),
    Case("elu", *_elu(sp.Rational(1, 2)), params={"alpha": 0.5}, avoid=(0,)),
    Case("selu", SELU_SCALE * _elu(SELU_ALPHA)[0], SELU_SCALE * _elu(SELU_ALPHA)[1], avoid=(0,)),
    Case("celu", piecewise(sp.exp(X) - 1, X), piecewise(sp.exp(X), 1), avoid=(0,)),
    Case("celu", piecewise(2 * (sp.exp(X / 2) - 1), X), piecewise(sp.exp(X / 2), 1),
         params={"alpha": 2.0}, avoid=(0,)),
    Case("gelu", X * (1 + sp.erf(X / sp.sqrt(2))) / 2,
         (1 + sp.erf(X / sp.sqrt(2))) / 2 + X * sp.exp(-X**2 / 2) / sp.sqrt(2 * sp.pi), smooth=True),
    Case("gelu",
         X / 2 * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (X + sp.Float("0.044715", 40) * X**3))),
         (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (X + sp.Float("0.044715", 40) * X**3))) / 2
         + X / 2 * (1 - sp.tanh(sp.sqrt(2 / sp.pi) * (X + sp.Float("0.044715", 40) * X**3)) ** 2)
         * sp.sqrt(2 / sp.pi) * (1 + 3 * sp.Float("0.044715", 40) * X**2),
         params={"approximate": "tanh"}, smooth=True),
    Case("silu", X * sigmoid(X), sigmoid(X) * (1 + X * (1 - sigmoid(X))), smooth=True),
    Case("swish", X * sigmoid(X), sigmoid(X) * (1 + X * (1 - sigmoid(X))), smooth=True),
    Case("swish", X * sigmoid(2 * X), sigmoid(2 * X) * (1 + 2 * X * (1 - sigmoid(2 * X))),
         params={"beta": 2.0}, smooth=True),
    Case("mish", X * sp.tanh(sp.log(1 + sp.exp(X))),
         sp.tanh(sp.log(1 + sp.exp(X)))
         + X * (1 - sp.tanh(sp.log(1 + sp.exp(X))) ** 2) * sigmoid(X), smooth=True),
    Case("softplus", sp.log(1 + sp.exp(X)), sigmoid(X), smooth=True),
    Case("softplus", sp.log(1 + sp.exp(2 * X)) / 2, sigmoid(2 * X), params={"beta": 2.0},
         smooth=True),
    Case("sigmoid", sigmoid(X), sigmoid(X) * (1 - sigmoid(X)), smooth=True),
    Case("tanh", (sp.exp(X) - sp.exp(-X)) / (sp.exp(X) + sp.exp(-X)), 1 - sp.tanh(X) ** 2,
         smooth=True),
    Case("relu6", sp.Piecewise((0, X <= 0), (X, X <= 6), (6, True)),
         sp.Piecewise((0, X <= 0), (1, X <= 6), (0, True)), avoid=(0, 6)),
    Case("hardsigmoid", sp.Piecewise((0, X <= -3), (X / 6 + sp.Rational(1, 2), X <= 3), (1, True)),
         sp.Piecewise((0, X <= -3), (sp.Rational(1, 6), X <= 3), (0, True)), avoid=(-3, 3),
         # torch's hardsigmoid_backward multiplies by 1/6 rounded to float32, even in float64
         abs_tol=1e-8),
    Case("hardswish", sp.Piecewise((0, X <= -3), (X * (X + 3) / 6, X <= 3), (X, True)),
         sp.Piecewise((0, X <= -3), ((2 * X + 3) / 6, X <= 3), (1, True)), avoid=(-3, 3)),
    Case("hardtanh", sp.Piecewise((-1, X <= -1), (X, X <= 1), (1, True)),
         sp.Piecewise((0, X <= -1), (1, X <= 1), (0, True)), avoid=(-1, 1)),
    Case("hardtanh", sp.Piecewise((-2, X <= -2), (X, X <= 3), (3, True)),
         sp.Piecewise((0, X <= -2), (1, X <= 3), (0, True)),
         params={"min_val": -2.0, "max_val": 3.0}, avoid=(-2, 3)),
    Case("hardshrink", sp.Piecewise((X, X < -sp.Rational(1, 2)), (0, X <= sp.Rational(1, 2)), (X, True)),
         sp.Piecewise((1, X < -sp.Rational(1, 2)), (0, X <= sp.Rational(1, 2)), (1, True)),
         avoid=(-0.5, 0.5)),
    Case("softshrink",
         sp.Piecewise((X + sp.Rational(1, 2), X < -sp.Rational(1, 2)), (0, X <= sp.Rational(1, 2)),
                      (X - sp.Rational(1, 2), True)),
         sp.Piecewise((1, X < -sp.Rational(1, 2)), (0, X <= sp.Rational(1, 2)), (1, True)),
         avoid=(-0.5, 0.5)),
    Case("tanhshrink", X - sp.tanh(X), sp.tanh(X) ** 2, smooth=True),
    Case("softsign", piecewise(X / (1 - X), X / (1 + X)),
         piecewise(1 / (1 - X) ** 2, 1 / (1 + X) ** 2), avoid=(0,)),
    Case("logsigmoid", -sp.log(1 + sp.exp(-X)), 1 - sigmoid(X), smooth=True),
    Case("threshold", sp.Piecewise((0, X <= 1), (X, True)), sp.Piecewise((0, X <= 1), (1, True)),
         avoid=(1,)),
    Case("threshold", sp.Piecewise((-1, X <= sp.Rational(1, 2)), (X, True)),
         sp.Piecewise((0, X <= sp.Rational(1, 2)), (1, True)),
         params={"threshold": 0.5, "value": -1.0}, avoid=(0.5,)),
    Case("step", sp.Piecewise((0, X < 0), (1, True)), sp.Integer(0), avoid=(0,)),
    Case("sign", sp.Piecewise((-1, X < 0), (0, sp.Eq(X, 0)), (1, True)), sp.Integer(0), avoid=(0,)),
    Case("identity", X, sp.Integer(1), smooth=True),
    *NEW_CASES,
]


def vector_closed_forms(x: np.ndarray, name: str) -> list[np.ndarray]:
    """softmax-like functions of the whole vector: y and d^k y_i / dx_i^k for k = 1, 2, 3, from
    the Jacobian y_i (delta_ij - y_j) and its diagonal derivatives, written in terms of y."""
    with mpmath.workdps(40):
        values = [mpmath.mpf(float(v)) for v in x]
        sign = -1 if name == "softmin" else 1
        exps = [mpmath.exp(sign * v) for v in values]
        total = mpmath.fsum(exps)
        y = [e / total for e in exps]
        if name == "softmax":
            rows = [(p, p * (1 - p), p * (1 - p) * (1 - 2 * p), p * (1 - p) * (1 - 6 * p + 6 * p * p))
                    for p in y]
        elif name == "softmin":
            rows = [(p, -p * (1 - p), p * (1 - p) * (1 - 2 * p), -p * (1 - p) * (1 - 6 * p + 6 * p * p))
                    for p in y]
        else:  # log_softmax
            rows = [(v - mpmath.log(total), 1 - p, -p * (1 - p), -p * (1 - p) * (1 - 2 * p))
                    for v, p in zip(values, y)]
    return [np.array([float(r[k]) for r in rows]) for k in range(4)]


VECTOR_FUNCTIONS = ("softmax", "softmin", "log_softmax")
