"""Sigmoids and other squashing curves, and their relatives."""

from __future__ import annotations

import math

from .core import Activation, Parameter, kink
from .sources import VISUALISING

def _square_nonlinearity(clamped):
    return clamped - clamped * clamped.abs() / 4


ENTRIES = [
    Activation(
        "sigmoid", lambda F, x, p: x.sigmoid(), r"\sigma(x) = \frac{1}{1+e^{-x}}", "Logistic sigmoid.",
        asymptotes=lambda p: [0.0, 1.0],
        source=VISUALISING,
    ),
    Activation(
        "tanh", lambda F, x, p: x.tanh(), r"\tanh(x) = \frac{e^x-e^{-x}}{e^x+e^{-x}}",
        "Hyperbolic tangent.", asymptotes=lambda p: [-1.0, 1.0],
        source=VISUALISING,
    ),
    Activation(
        "hardsigmoid", lambda F, x, p: F.hardsigmoid(x), r"\frac{\mathrm{ReLU6}(x+3)}{6}",
        "Piecewise-linear sigmoid (h-sigmoid, MobileNetV3).",
        aliases=("h_sigmoid",),
        breakpoints=lambda p: [kink(-3.0, 0.0, 1 / 6), kink(3.0, 1 / 6, 0.0)],
        source="Howard et al., Searching for MobileNetV3 (2019)",
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
        breakpoints=lambda p: [kink(p["min_val"], 0.0, 1.0), kink(p["max_val"], 1.0, 0.0)],
        validate=lambda p: None if p["min_val"] < p["max_val"] else
        f"min_val ({p['min_val']:g}) must be less than max_val ({p['max_val']:g})",
        source="PyTorch, torch.nn.Hardtanh",
    ),
    Activation(
        "softsign", lambda F, x, p: F.softsign(x), r"\frac{x}{1+|x|}", "Rational sigmoid-like curve.",
        other_breaks=lambda p: [0.0], asymptotes=lambda p: [-1.0, 1.0],
        source="Bergstra et al., Quadratic Polynomials Learn Better Image Features (2009)",
    ),
    Activation(
        "logsigmoid", lambda F, x, p: F.logsigmoid(x), r"\ln\sigma(x) = -\ln(1+e^{-x})",
        "Logarithm of the sigmoid.", aliases=("log_sigmoid",),
        asymptotes=lambda p: [0.0],
        source="PyTorch, torch.nn.LogSigmoid",
    ),
    Activation(
        "tanhshrink", lambda F, x, p: F.tanhshrink(x), r"x - \tanh(x)", "x minus tanh(x).",
        source="PyTorch, torch.nn.Tanhshrink",
    ),
    Activation(
        "arctan", lambda F, x, p: x.atan(), r"\arctan(x)", "Inverse tangent.", aliases=("atan",),
        asymptotes=lambda p: [-math.pi / 2, math.pi / 2],
        source=VISUALISING,
    ),
    Activation(
        "lecun_tanh", lambda F, x, p: 1.7159 * (x * (2 / 3)).tanh(), r"1.7159\,\tanh(2x/3)",
        "Tanh scaled so that f(1) = 1 and f(-1) = -1, nearly.",
        asymptotes=lambda p: [-1.7159, 1.7159],
        source="LeCun et al., Efficient BackProp (1998)",
    ),
    Activation(
        "symmetrical_sigmoid", lambda F, x, p: (x / 2).tanh(),
        r"\tanh(x/2) = 2\,\sigma(x) - 1", "The sigmoid stretched to (-1, 1).",
        aliases=("bipolar_sigmoid",), asymptotes=lambda p: [-1.0, 1.0],
        source=VISUALISING,
    ),
    Activation(
        "isru", lambda F, x, p: x * (1 + p["alpha"] * x * x).rsqrt(), r"\frac{x}{\sqrt{1+\alpha x^2}}",
        "Inverse square root unit.",
        params=(Parameter("alpha", 1.0, "the curve tends to +-1/sqrt(alpha)", symbol=r"\alpha",
                          minimum=0.0),),
        asymptotes=lambda p: ([-1 / math.sqrt(p["alpha"]), 1 / math.sqrt(p["alpha"])]
                              if p["alpha"] > 0 else []),
        source="Carlile et al., Improving Deep Learning by Inverse Square Root Linear Units "
               "(2017)",
    ),
    Activation(
        "sqnl", lambda F, x, p: _square_nonlinearity(x.clamp(-2, 2)),
        r"x - \frac{x\,|x|}{4}\ \mathrm{on}\ [-2,\ 2],\ \pm 1\ \mathrm{beyond}",
        "Square nonlinearity: a piecewise quadratic sigmoid.",
        other_breaks=lambda p: [-2.0, 0.0, 2.0],
        source="Wuraola & Patel, SQNL: A New Computationally Efficient Activation Function (2018)",
    ),
    Activation(
        "loglog", lambda F, x, p: -(-x.clamp(max=30).exp()).expm1(), r"1 - e^{-e^x}",
        "Complementary log-log.", asymptotes=lambda p: [0.0, 1.0],
        source=VISUALISING,
    ),
    Activation(
        "laplace",
        lambda F, x, p: (1 + ((x - p["mu"]) / (p["sigma"] * math.sqrt(2))).erf()) / 2,
        r"\frac{1}{2}\left(1 + \mathrm{erf}\,\frac{x - \mu}{\sigma\sqrt{2}}\right)",
        "Gaussian CDF (MEGA; transformers' laplace).",
        params=(
            Parameter("mu", 0.707107, "centre (sqrt(1/2))", symbol=r"\mu"),
            Parameter("sigma", 0.282095, "width (sqrt(1/(4 pi)))", symbol=r"\sigma", minimum=0.0,
                      exclusive_minimum=True, divides=True),
        ),
        asymptotes=lambda p: [0.0, 1.0],
        source="Ma et al., Mega: Moving Average Equipped Gated Attention (2022); "
               "Hugging Face transformers, activations.py",
    ),
    Activation(
        "soft_clipping",
        lambda F, x, p: ((p["alpha"] * x).logaddexp(x.new_zeros(()))
                         - (p["alpha"] * (x - 1)).logaddexp(x.new_zeros(()))) / p["alpha"],
        r"\frac{1}{\alpha}\ln\frac{1 + e^{\alpha x}}{1 + e^{\alpha (x - 1)}}",
        "A smooth clip to [0, 1].",
        params=(Parameter("alpha", 1.0, "sharpness", symbol=r"\alpha", minimum=0.0,
                          exclusive_minimum=True, divides=True),),
        asymptotes=lambda p: [0.0, 1.0],
        source="Klimek & Perelstein, Neural Network-Based Approach to Phase Space Integration "
               "(2018)",
    ),
]
