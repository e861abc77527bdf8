"""What an activation is: its parameters, formula, breakpoints, asymptotes and source.

This is also the public API for plugins (see actplot.plugin). It must stay importable without
torch: `actplot list` and `--help` read it. Each forward callable receives `F`
(torch.nn.functional) from the compute layer, the input tensor and the resolved parameters, so no
torch import happens here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable


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
    required: bool = False  # no default worth drawing (an expression's free name): -p must give it

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

    def documented_values(self, count: int = 21) -> tuple:
        """The values an explore page steps a parameter through when none are given: every
        choice; a number from its minimum (or 0, or twice a negative default) to its maximum (or
        twice a positive default, or 0), evenly. Flags and integers (seeds) are not stepped."""
        if self.choices:
            return self.choices
        if self.kind is not float:
            return ()
        default = self.default
        low = self.minimum if self.minimum is not None else (
            0.0 if default > 0 else 2 * default if default < 0 else -1.0)
        high = self.maximum if self.maximum is not None else (
            2 * default if default > 0 else 0.0 if default < 0 else 1.0)
        if self.exclusive_minimum and self.minimum is not None:
            low = self.minimum + (high - self.minimum) / (count - 1)
        values = [float(f"{low + (high - low) * i / (count - 1):.6g}") for i in range(count)]
        if default not in values:  # the default is always one of the steps
            values = sorted(set(values) | {default})
        return tuple(values)

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
    detected: bool = False  # found numerically (see detection.py), not declared

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
    source: str = ""  # the paper or page that defines it: `list` and the gallery show it
    # The open interval where f is defined; outside it the curve stops (soft_exponential, alpha < 0)
    domain: Callable[[Params], tuple[float, float]] = lambda p: (-math.inf, math.inf)
    # Expressions and imported code declare no breakpoints: they are found numerically
    detect_breakpoints: bool = False
    title: str = ""  # the name shown on figures, when it differs from the key (imports)

    @property
    def label(self) -> str:
        return self.title or self.name

    def defaults(self) -> Params:
        return {p.name: p.default for p in self.params}

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.params if p.name == name), None)

    def formula_for(self, params: Params) -> str:
        return self.formula(params) if callable(self.formula) else self.formula

    @property
    def seeded(self) -> bool:
        return self.parameter("seed") is not None


def kink(x: float, left: float, right: float) -> Breakpoint:
    return Breakpoint(x, left, right)


def jump(x: float, left_value: float, right_value: float, left_slope: float, right_slope: float):
    return Breakpoint(x, left_slope, right_slope, left_value, right_value)


def kink_at_zero_unless_linear(slope: float) -> list[Breakpoint]:
    return [] if slope == 1 else [kink(0.0, slope, 1.0)]


SEED_MAX = 2**64 - 1  # torch.manual_seed's largest
