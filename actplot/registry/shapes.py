"""Steps, bells, waves and polynomials."""

from __future__ import annotations

from .core import Activation, Parameter, jump
from .sources import VISUALISING

SINC_SERIES = 0.1  # below this |x|, sinc's Taylor series to x^8 is exact to float64


def _sinc(x):
    """sin(x)/x, with the Taylor series near 0, so that every derivative is right at x = 0 (torch's
    own sinc sets its derivative to 0 at 0, which makes f'' wrong there)."""
    near = x.abs() < SINC_SERIES
    safe = x.where(~near, x.new_ones(()))
    square = x * x
    series = 1 - square / 6 * (1 - square / 20 * (1 - square / 42 * (1 - square / 72)))
    return series.where(near, safe.sin() / safe)


ENTRIES = [
    Activation(
        "step",
        # torch.heaviside has no autograd formula; x * 0 attaches a zero derivative to it.
        lambda F, x, p: (x.detach() >= 0).to(x.dtype) + x * 0,
        r"1\ \mathrm{if}\ x\geq 0\ \mathrm{else}\ 0",
        "The perceptron's step (Heaviside, step(0) = 1).",
        breakpoints=lambda p: [jump(0.0, 0.0, 1.0, 0.0, 0.0)],
        derivative_note="torch has no derivative for heaviside:\nactplot uses 0 away from the jump",
        source="Rosenblatt, The Perceptron (1958)",
    ),
    Activation(
        "sign", lambda F, x, p: x.sign(), r"\mathrm{sign}(x)", "Sign: -1, 0 or 1.",
        aliases=("sgn",),
        breakpoints=lambda p: [jump(0.0, -1.0, 1.0, 0.0, 0.0)],
        source=VISUALISING,
    ),
    Activation(
        "gaussian", lambda F, x, p: (-x * x).exp(), r"e^{-x^2}", "The bell curve.",
        asymptotes=lambda p: [0.0],
        source=VISUALISING,
    ),
    Activation(
        "sinusoid", lambda F, x, p: x.sin(), r"\sin(x)", "Sine.", aliases=("sin", "sine"),
        source=VISUALISING,
    ),
    Activation(
        "cos", lambda F, x, p: x.cos(), r"\cos(x)", "Cosine.", aliases=("cosine",),
        source=VISUALISING,
    ),
    Activation(
        "sinc", lambda F, x, p: _sinc(x), r"\frac{\sin x}{x},\ 1\ \mathrm{at}\ x = 0",
        "sin(x)/x, unnormalised (torch.sinc is sin(pi x)/(pi x)).",
        asymptotes=lambda p: [0.0],
        source=VISUALISING,
    ),
    Activation(
        "cube", lambda F, x, p: x ** 3, r"x^3", "The cube.",
        source="Chen & Manning, A Fast and Accurate Dependency Parser using Neural Networks "
               "(2014)",
    ),
    Activation(
        "snake", lambda F, x, p: x + (p["a"] * x).sin() ** 2 / p["a"], r"x + \frac{\sin^2(a x)}{a}",
        "A periodic bend on the identity.",
        params=(Parameter("a", 1.0, "frequency", symbol="a", minimum=0.0, exclusive_minimum=True,
                          divides=True),),
        source="Liu Ziyin et al., Neural Networks Fail to Learn Periodic Functions and How to "
               "Fix It (2020)",
    ),
    Activation(
        "gcu", lambda F, x, p: x * x.cos(), r"x\,\cos(x)", "Growing cosine unit.",
        source="Noel et al., Growing Cosine Unit (2021)",
    ),
]
