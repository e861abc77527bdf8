"""The activations: one entry per function, with its parameters, formula and breakpoints.

This module must stay importable without torch: `actplot list` and `--help` read it. Each forward
callable receives `F` (torch.nn.functional) from the compute layer, the input tensor and the resolved
parameters, so no torch import happens here.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any, Callable

from .errors import SpecError

Params = dict[str, Any]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Any
    doc: str
    symbol: str = ""  # mathtext symbol used in the formula, e.g. r"\alpha"
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    divides: bool = False  # torch divides by it, so its reciprocal must fit the dtype too

    @property
    def kind(self) -> type:
        return type(self.default)

    def domain(self) -> str:
        """The valid values, in words: 'a number > 0', 'one of none, tanh'..."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind is bool:
            return "true or false"
        noun = "an integer" if self.kind is int else "a finite number"
        if self.minimum is not None and self.maximum is not None:
            return f"{noun} in [{_fmt(self.minimum)}, {_fmt(self.maximum)}]"
        if self.minimum is not None:
            return f"{noun} {'>' if self.exclusive_minimum else '>='} {_fmt(self.minimum)}"
        return noun

    def coerce(self, value: Any) -> Any:
        """Turn a CLI string or a TOML/Python value into this parameter's type, or raise ValueError."""
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
                return value.strip().lower() in _TRUE
            raise ValueError(f"{value!r} is not {self.domain()}")
        if self.choices:
            if isinstance(value, str) and value in self.choices:
                return value
            raise ValueError(f"{value!r} is not {self.domain()}")
        try:
            if isinstance(value, bool):
                raise TypeError
            number = self.kind(value) if self.kind is float else _as_int(value)
        except (TypeError, ValueError):
            raise ValueError(f"{value!r} is not {self.domain()}") from None
        if isinstance(number, float) and not math.isfinite(number):
            raise ValueError(f"{value!r} is not {self.domain()}")
        low_ok = (
            self.minimum is None
            or number > self.minimum
            or (number == self.minimum and not self.exclusive_minimum)
        )
        if not low_ok or (self.maximum is not None and number > self.maximum):
            raise ValueError(f"{value!r} is not {self.domain()}")
        return number


def _as_int(value: Any) -> int:
    if isinstance(value, float) and not value.is_integer():
        raise ValueError
    return int(value)


def _fmt(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


@dataclass(frozen=True)
class Breakpoint:
    """A point where f is not differentiable (a kink) or not continuous (a jump).

    The one-sided slopes and, for jumps, the one-sided values are derived by hand: `--check` and the
    tests hold autograd to them. A slope of NaN means it is random (rrelu in training mode).
    """

    x: float
    left_slope: float
    right_slope: float
    left_value: float | None = None
    right_value: float | None = None

    @property
    def is_jump(self) -> bool:
        return self.left_value is not None


def _none(_: Params) -> list:
    return []


@dataclass(frozen=True)
class Activation:
    name: str
    forward: Callable[..., Any]  # (F, x, params) -> tensor
    formula: str | Callable[[Params], str]  # mathtext, without the dollar signs
    summary: str
    params: tuple[Parameter, ...] = ()
    aliases: tuple[str, ...] = ()
    breakpoints: Callable[[Params], list[Breakpoint]] = _none
    # Where f and f' are continuous but a higher derivative, or torch's formula, changes. They are
    # not marked on the figure, but finite-difference checks keep away from them.
    other_breaks: Callable[[Params], list[float]] = _none
    asymptotes: Callable[[Params], list[float]] = _none  # horizontal lines y = c
    validate: Callable[[Params], str | None] = lambda p: None
    vector: bool = False  # acts on the whole sampled vector (dim 0), like softmax
    derivative_note: str = ""
    # (lower, upper) when the slope for x < 0 is drawn at random per point, else None
    random_slope: Callable[[Params], tuple[float, float] | None] = lambda p: None

    def defaults(self) -> Params:
        return {p.name: p.default for p in self.params}

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.params if p.name == name), None)

    def formula_for(self, params: Params) -> str:
        return self.formula(params) if callable(self.formula) else self.formula

    @property
    def seeded(self) -> bool:
        return self.parameter("seed") is not None


def _kink(x: float, left: float, right: float) -> Breakpoint:
    return Breakpoint(x, left, right)


def _jump(x: float, left_value: float, right_value: float, left_slope: float, right_slope: float):
    return Breakpoint(x, left_slope, right_slope, left_value, right_value)


def _kink_at_zero_unless_linear(slope: float) -> list[Breakpoint]:
    return [] if slope == 1 else [_kink(0.0, slope, 1.0)]


SEED_MAX = 2**64 - 1  # torch.manual_seed's largest
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

_REGISTRY_ENTRIES = [
    Activation(
        "relu", lambda F, x, p: F.relu(x), r"\max(0,\ x)", "Rectified linear unit.",
        breakpoints=lambda p: [_kink(0.0, 0.0, 1.0)],
    ),
    Activation(
        "leaky_relu",
        lambda F, x, p: F.leaky_relu(x, p["negative_slope"]),
        r"\max(0,\ x) + \alpha\,\min(0,\ x)",
        "ReLU with a small slope for x < 0.",
        params=(Parameter(
            "negative_slope", 0.1,
            "slope for x < 0; torch's default is 0.01, which looks like relu on a plot "
            "(pytorch#56363), so actplot draws 0.1", symbol=r"\alpha"),),
        aliases=("lrelu",),
        breakpoints=lambda p: _kink_at_zero_unless_linear(p["negative_slope"]),
    ),
    Activation(
        "prelu",
        lambda F, x, p: F.prelu(x, x.new_tensor([p["weight"]])),
        r"\max(0,\ x) + a\,\min(0,\ x)",
        "Parametric ReLU: the slope for x < 0 is learned.",
        params=(Parameter("weight", 0.25, "learned slope for x < 0 (torch's init)", symbol="a"),),
        breakpoints=lambda p: _kink_at_zero_unless_linear(p["weight"]),
    ),
    Activation(
        "rrelu",
        lambda F, x, p: F.rrelu(x, p["lower"], p["upper"], training=p["training"]),
        lambda p: (r"\max(0,\ x) + a\,\min(0,\ x),\ a \sim U(l,\ u)" if p["training"]
                   else r"\max(0,\ x) + \frac{l+u}{2}\,\min(0,\ x)"),
        "Randomized leaky ReLU: eval mode uses the mean slope, training mode a random one.",
        params=(
            Parameter("lower", 1 / 8, "lower bound of the random slope", symbol="l"),
            Parameter("upper", 1 / 3, "upper bound of the random slope", symbol="u"),
            Parameter("training", False, "draw random slopes as in training (needs seed)"),
            Parameter("seed", 0, "random seed for training mode", minimum=0, maximum=SEED_MAX),
        ),
        breakpoints=lambda p: _kink_at_zero_unless_linear(
            math.nan if p["training"] else (p["lower"] + p["upper"]) / 2),
        validate=lambda p: None if p["lower"] <= p["upper"] else
        f"lower ({p['lower']:g}) must not exceed upper ({p['upper']:g})",
        random_slope=lambda p: (p["lower"], p["upper"]) if p["training"] else None,
    ),
    Activation(
        "elu",
        lambda F, x, p: F.elu(x, p["alpha"]),
        r"x\ \mathrm{if}\ x>0\ \mathrm{else}\ \alpha\,(e^x-1)",
        "Exponential linear unit.",
        params=(Parameter("alpha", 1.0, "scale of the negative part", symbol=r"\alpha"),),
        breakpoints=lambda p: _kink_at_zero_unless_linear(p["alpha"]),
        other_breaks=lambda p: [0.0],
        asymptotes=lambda p: [-p["alpha"]],
    ),
    Activation(
        "selu",
        lambda F, x, p: F.selu(x),
        r"\lambda\,(x\ \mathrm{if}\ x>0\ \mathrm{else}\ \alpha\,(e^x-1))",
        "Scaled ELU, alpha = 1.6733 and lambda = 1.0507 (self-normalizing networks).",
        breakpoints=lambda p: [_kink(0.0, SELU_SCALE * SELU_ALPHA, SELU_SCALE)],
        asymptotes=lambda p: [-SELU_SCALE * SELU_ALPHA],
    ),
    Activation(
        "celu",
        lambda F, x, p: F.celu(x, p["alpha"]),
        r"\max(0,\ x) + \min(0,\ \alpha\,(e^{x/\alpha}-1))",
        "Continuously differentiable ELU.",
        params=(Parameter("alpha", 1.0, "scale of the negative part", symbol=r"\alpha",
                          minimum=0.0, exclusive_minimum=True, divides=True),),
        other_breaks=lambda p: [0.0],
        asymptotes=lambda p: [-p["alpha"]],
    ),
    Activation(
        "gelu",
        lambda F, x, p: F.gelu(x, approximate=p["approximate"]),
        lambda p: (r"\frac{x}{2}\,(1+\tanh[\sqrt{2/\pi}\,(x+0.044715\,x^3)])"
                   if p["approximate"] == "tanh" else r"x\,\Phi(x)"),
        "Gaussian error linear unit.",
        params=(Parameter("approximate", "none", "exact (none) or the tanh approximation",
                          choices=("none", "tanh")),),
        asymptotes=lambda p: [0.0],
    ),
    Activation(
        "silu", lambda F, x, p: F.silu(x), r"x\,\sigma(x)", "Sigmoid linear unit (swish, beta=1).",
        asymptotes=lambda p: [0.0],
    ),
    Activation(
        "swish",
        lambda F, x, p: x * (p["beta"] * x).sigmoid(),
        r"x\,\sigma(\beta x)",
        "Swish; equals silu at beta = 1.",
        params=(Parameter("beta", 1.0, "slope inside the sigmoid", symbol=r"\beta"),),
        asymptotes=lambda p: [0.0] if p["beta"] > 0 else [],
    ),
    Activation(
        "mish", lambda F, x, p: F.mish(x), r"x\,\tanh(\ln(1+e^x))", "Mish.",
        asymptotes=lambda p: [0.0],
    ),
    Activation(
        "softplus",
        lambda F, x, p: F.softplus(x, p["beta"], p["threshold"]),
        r"\frac{1}{\beta}\,\ln(1+e^{\beta x})",
        "Smooth approximation of relu; torch returns x where beta*x > threshold.",
        params=(
            Parameter("beta", 1.0, "sharpness", symbol=r"\beta", minimum=0.0,
                      exclusive_minimum=True, divides=True),
            Parameter("threshold", 20.0, "beta*x above which torch returns x", minimum=0.0,
                      exclusive_minimum=True),
        ),
        other_breaks=lambda p: [p["threshold"] / p["beta"]],
        asymptotes=lambda p: [0.0],
    ),
    Activation(
        "sigmoid", lambda F, x, p: x.sigmoid(), r"\sigma(x) = \frac{1}{1+e^{-x}}", "Logistic sigmoid.",
        asymptotes=lambda p: [0.0, 1.0],
    ),
    Activation(
        "tanh", lambda F, x, p: x.tanh(), r"\tanh(x) = \frac{e^x-e^{-x}}{e^x+e^{-x}}",
        "Hyperbolic tangent.", asymptotes=lambda p: [-1.0, 1.0],
    ),
    Activation(
        "relu6", lambda F, x, p: F.relu6(x), r"\min(\max(0,\ x),\ 6)", "ReLU capped at 6.",
        breakpoints=lambda p: [_kink(0.0, 0.0, 1.0), _kink(6.0, 1.0, 0.0)],
    ),
    Activation(
        "hardsigmoid", lambda F, x, p: F.hardsigmoid(x), r"\frac{\mathrm{ReLU6}(x+3)}{6}",
        "Piecewise-linear sigmoid (h-sigmoid, MobileNetV3).",
        aliases=("h_sigmoid",),
        breakpoints=lambda p: [_kink(-3.0, 0.0, 1 / 6), _kink(3.0, 1 / 6, 0.0)],
    ),
    Activation(
        "hardswish", lambda F, x, p: F.hardswish(x), r"x\,\frac{\mathrm{ReLU6}(x+3)}{6}",
        "Piecewise swish (h-swish, MobileNetV3).",
        aliases=("h_swish",),
        breakpoints=lambda p: [_kink(-3.0, 0.0, -0.5), _kink(3.0, 1.5, 1.0)],
    ),
    Activation(
        "hardtanh",
        lambda F, x, p: F.hardtanh(x, p["min_val"], p["max_val"]),
        r"\min(\max(x,\ a),\ b)",
        "Linear between min_val and max_val, flat outside.",
        params=(
            Parameter("min_val", -1.0, "lower limit", symbol="a"),
            Parameter("max_val", 1.0, "upper limit", symbol="b"),
        ),
        breakpoints=lambda p: [_kink(p["min_val"], 0.0, 1.0), _kink(p["max_val"], 1.0, 0.0)],
        validate=lambda p: None if p["min_val"] < p["max_val"] else
        f"min_val ({p['min_val']:g}) must be less than max_val ({p['max_val']:g})",
    ),
    Activation(
        "hardshrink",
        lambda F, x, p: F.hardshrink(x, p["lambd"]),
        r"x\ \mathrm{if}\ |x|>\lambda\ \mathrm{else}\ 0",
        "Zero inside [-lambd, lambd], identity outside.",
        params=(Parameter("lambd", 0.5, "half-width of the zero band", symbol=r"\lambda",
                          minimum=0.0),),
        breakpoints=lambda p: [] if p["lambd"] == 0 else [
            _jump(-p["lambd"], -p["lambd"], 0.0, 1.0, 0.0),
            _jump(p["lambd"], 0.0, p["lambd"], 0.0, 1.0),
        ],
    ),
    Activation(
        "softshrink",
        lambda F, x, p: F.softshrink(x, p["lambd"]),
        r"\mathrm{sign}(x)\,\max(|x|-\lambda,\ 0)",
        "Shrinks toward zero by lambd.",
        params=(Parameter("lambd", 0.5, "amount of shrinkage", symbol=r"\lambda", minimum=0.0),),
        breakpoints=lambda p: [] if p["lambd"] == 0 else [
            _kink(-p["lambd"], 1.0, 0.0), _kink(p["lambd"], 0.0, 1.0)],
    ),
    Activation(
        "tanhshrink", lambda F, x, p: F.tanhshrink(x), r"x - \tanh(x)", "x minus tanh(x).",
    ),
    Activation(
        "softsign", lambda F, x, p: F.softsign(x), r"\frac{x}{1+|x|}", "Rational sigmoid-like curve.",
        other_breaks=lambda p: [0.0], asymptotes=lambda p: [-1.0, 1.0],
    ),
    Activation(
        "logsigmoid", lambda F, x, p: F.logsigmoid(x), r"\ln\sigma(x) = -\ln(1+e^{-x})",
        "Logarithm of the sigmoid.", aliases=("log_sigmoid",),
        asymptotes=lambda p: [0.0],
    ),
    Activation(
        "threshold",
        lambda F, x, p: F.threshold(x, p["threshold"], p["value"]),
        r"x\ \mathrm{if}\ x>t\ \mathrm{else}\ v",
        "x above the threshold, a constant value at or below it (torch needs both; "
        "actplot defaults to a visible jump).",
        params=(
            Parameter("threshold", 1.0, "where the output switches to x", symbol="t"),
            Parameter("value", 0.0, "output at or below the threshold", symbol="v"),
        ),
        breakpoints=lambda p: [
            _kink(p["threshold"], 0.0, 1.0) if p["value"] == p["threshold"]
            else _jump(p["threshold"], p["value"], p["threshold"], 0.0, 1.0)],
    ),
    Activation(
        "step",
        # torch.heaviside has no autograd formula; x * 0 attaches a zero derivative to it.
        lambda F, x, p: (x.detach() >= 0).to(x.dtype) + x * 0,
        r"1\ \mathrm{if}\ x\geq 0\ \mathrm{else}\ 0",
        "The perceptron's step (Heaviside, step(0) = 1).",
        breakpoints=lambda p: [_jump(0.0, 0.0, 1.0, 0.0, 0.0)],
        derivative_note="torch has no derivative for heaviside:\nactplot uses 0 away from the jump",
    ),
    Activation(
        "sign", lambda F, x, p: x.sign(), r"\mathrm{sign}(x)", "Sign: -1, 0 or 1.",
        aliases=("sgn",),
        breakpoints=lambda p: [_jump(0.0, -1.0, 1.0, 0.0, 0.0)],
    ),
    Activation(
        "identity", lambda F, x, p: x * 1, r"x", "The identity (a linear layer's activation).",
    ),
    Activation(
        "softmax", lambda F, x, p: F.softmax(x, dim=-1), r"\frac{e^{x_i}}{\sum_j e^{x_j}}",
        "Softmax over the whole sampled vector; the derivative is the Jacobian diagonal.",
        vector=True,
    ),
    Activation(
        "softmin", lambda F, x, p: F.softmin(x, dim=-1), r"\frac{e^{-x_i}}{\sum_j e^{-x_j}}",
        "Softmin over the whole sampled vector; the derivative is the Jacobian diagonal.",
        vector=True,
    ),
    Activation(
        "log_softmax", lambda F, x, p: F.log_softmax(x, dim=-1), r"x_i - \ln\sum_j e^{x_j}",
        "Log-softmax over the whole sampled vector; the derivative is the Jacobian diagonal.",
        vector=True,
    ),
]

REGISTRY: dict[str, Activation] = {entry.name: entry for entry in _REGISTRY_ENTRIES}
ALIASES: dict[str, str] = {alias: e.name for e in _REGISTRY_ENTRIES for alias in e.aliases}


def canonical_name(name: str) -> str:
    """The registry name for `name` or an alias, case-insensitive; SpecError with a suggestion."""
    key = name.strip().lower().replace("-", "_")
    if key in REGISTRY:
        return key
    if key in ALIASES:
        return ALIASES[key]
    known = [*REGISTRY, *ALIASES]
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{ALIASES.get(close[0], close[0])}'?" if close else ""
    raise SpecError(
        "functions",
        f"unknown function '{name}'{hint} ('actplot list' shows all {len(REGISTRY)})",
    )


def lookup(name: str) -> Activation:
    return REGISTRY[canonical_name(name)]
