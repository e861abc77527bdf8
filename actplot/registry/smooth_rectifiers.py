"""Smooth rectifiers: near 0 (or a constant) for x << 0 and near x for x >> 0."""

from __future__ import annotations

import math

from .core import Activation, Parameter, kink, kink_at_zero_unless_linear
from .sources import VISUALISING

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _soft_exponential(x, alpha: float):
    if alpha < 0:  # NaN below the domain's left end, where the log's argument turns negative
        return -(-alpha * (x + alpha)).log1p() / alpha
    if alpha == 0:
        return x * 1
    return (alpha * x).expm1() / alpha + alpha


ENTRIES = [
    Activation(
        "elu",
        lambda F, x, p: F.elu(x, p["alpha"]),
        r"x\ \mathrm{if}\ x>0\ \mathrm{else}\ \alpha\,(e^x-1)",
        "Exponential linear unit.",
        params=(Parameter("alpha", 1.0, "scale of the negative part", symbol=r"\alpha"),),
        breakpoints=lambda p: kink_at_zero_unless_linear(p["alpha"]),
        other_breaks=lambda p: [0.0],
        asymptotes=lambda p: [-p["alpha"]],
        source="Clevert et al., Fast and Accurate Deep Network Learning by Exponential Linear "
               "Units (2015)",
    ),
    Activation(
        "selu",
        lambda F, x, p: F.selu(x),
        r"\lambda\,(x\ \mathrm{if}\ x>0\ \mathrm{else}\ \alpha\,(e^x-1))",
        "Scaled ELU, alpha = 1.6733 and lambda = 1.0507 (self-normalizing networks).",
        breakpoints=lambda p: [kink(0.0, SELU_SCALE * SELU_ALPHA, SELU_SCALE)],
        asymptotes=lambda p: [-SELU_SCALE * SELU_ALPHA],
        source="Klambauer et al., Self-Normalizing Neural Networks (2017)",
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
        source="Barron, Continuously Differentiable Exponential Linear Units (2017)",
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
        source="Hendrycks & Gimpel, Gaussian Error Linear Units (2016)",
    ),
    Activation(
        "silu", lambda F, x, p: F.silu(x), r"x\,\sigma(x)", "Sigmoid linear unit (swish, beta=1).",
        asymptotes=lambda p: [0.0],
        source="Elfwing et al., Sigmoid-Weighted Linear Units for Neural Network Function "
               "Approximation (2017)",
    ),
    Activation(
        "swish",
        lambda F, x, p: x * (p["beta"] * x).sigmoid(),
        r"x\,\sigma(\beta x)",
        "Swish; equals silu at beta = 1.",
        params=(Parameter("beta", 1.0, "slope inside the sigmoid", symbol=r"\beta"),),
        asymptotes=lambda p: [0.0] if p["beta"] > 0 else [],
        source="Ramachandran et al., Searching for Activation Functions (2017)",
    ),
    Activation(
        "mish", lambda F, x, p: F.mish(x), r"x\,\tanh(\ln(1+e^x))", "Mish.",
        asymptotes=lambda p: [0.0],
        source="Misra, Mish: A Self Regularized Non-Monotonic Activation Function (2019)",
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
        source="Dugas et al., Incorporating Second-Order Functional Knowledge for Better Option "
               "Pricing (2001)",
    ),
    Activation(
        "hardswish", lambda F, x, p: F.hardswish(x), r"x\,\frac{\mathrm{ReLU6}(x+3)}{6}",
        "Piecewise swish (h-swish, MobileNetV3).",
        aliases=("h_swish",),
        breakpoints=lambda p: [kink(-3.0, 0.0, -0.5), kink(3.0, 1.5, 1.0)],
        source="Howard et al., Searching for MobileNetV3 (2019)",
    ),
    Activation(
        "quick_gelu", lambda F, x, p: x * (1.702 * x).sigmoid(), r"x\,\sigma(1.702\,x)",
        "GELU approximated by a sigmoid (CLIP; transformers' quick_gelu).",
        asymptotes=lambda p: [0.0],
        source="Hendrycks & Gimpel, Gaussian Error Linear Units (2016); "
               "Hugging Face transformers, activations.py",
    ),
    Activation(
        "squareplus", lambda F, x, p: (x + (x * x + p["b"]).sqrt()) / 2,
        r"\frac{x + \sqrt{x^2 + b}}{2}", "Softplus-like algebraic rectifier.",
        params=(Parameter("b", 4.0, "curvature near 0 (b = 0 would be relu)", symbol="b",
                          minimum=0.0, exclusive_minimum=True),),
        asymptotes=lambda p: [0.0],
        source="Barron, Squareplus: A Softplus-Like Algebraic Rectifier (2021)",
    ),
    Activation(
        "isrlu",
        lambda F, x, p: x.where(x >= 0, x * (1 + p["alpha"] * x * x).rsqrt()),
        r"x\ \mathrm{if}\ x \geq 0\ \mathrm{else}\ \frac{x}{\sqrt{1+\alpha x^2}}",
        "Inverse square root linear unit.",
        params=(Parameter("alpha", 1.0, "the negative part tends to -1/sqrt(alpha)",
                          symbol=r"\alpha", minimum=0.0),),
        other_breaks=lambda p: [0.0],
        asymptotes=lambda p: [-1 / math.sqrt(p["alpha"])] if p["alpha"] > 0 else [],
        source="Carlile et al., Improving Deep Learning by Inverse Square Root Linear Units "
               "(2017)",
    ),
    Activation(
        "smelu",
        lambda F, x, p: ((x.clamp(-p["beta"], p["beta"]) + p["beta"]) ** 2 / (4 * p["beta"])
                         + F.relu(x - p["beta"])),
        r"0,\ \frac{(x+\beta)^2}{4\beta}\ \mathrm{or}\ x\ \mathrm{for}\ "
        r"x \leq -\beta,\ |x| < \beta,\ x \geq \beta",
        "Smooth ReLU: a quadratic joins 0 and x over [-beta, beta].",
        params=(Parameter("beta", 1.0, "half-width of the quadratic", symbol=r"\beta",
                          minimum=0.0, exclusive_minimum=True, divides=True),),
        other_breaks=lambda p: [-p["beta"], p["beta"]],
        source="Shamir et al., Smooth Activations and Reproducibility in Deep Networks (2020)",
    ),
    Activation(
        "elish", lambda F, x, p: x.where(x >= 0, x.expm1()) * x.sigmoid(),
        r"x\,\sigma(x)\ \mathrm{if}\ x \geq 0\ \mathrm{else}\ (e^x - 1)\,\sigma(x)",
        "Exponential linear sigmoid squashing.",
        other_breaks=lambda p: [0.0], asymptotes=lambda p: [0.0],
        source="Basirat & Roth, The Quest for the Golden Activation Function (2018)",
    ),
    Activation(
        "hard_elish",
        lambda F, x, p: x.where(x >= 0, x.expm1()) * ((x + 1) / 2).clamp(0, 1),
        r"(x\ \mathrm{if}\ x \geq 0\ \mathrm{else}\ e^x - 1)\,\max(0,\ \min(1,\ \frac{x+1}{2}))",
        "ELiSH with a hard sigmoid.",
        breakpoints=lambda p: [kink(-1.0, 0.0, (math.exp(-1) - 1) / 2), kink(1.0, 1.5, 1.0)],
        other_breaks=lambda p: [0.0],
        source="Basirat & Roth, The Quest for the Golden Activation Function (2018)",
    ),
    Activation(
        "tanhexp", lambda F, x, p: x * x.clamp(max=30).exp().tanh(), r"x\,\tanh(e^x)",
        "x tanh(e^x).", asymptotes=lambda p: [0.0],
        source="Liu & Di, TanhExp: A Smooth Activation Function with High Convergence Speed "
               "(2020)",
    ),
    Activation(
        "logish", lambda F, x, p: x * x.sigmoid().log1p(), r"x\,\ln(1 + \sigma(x))",
        "x ln(1 + sigmoid(x)).", asymptotes=lambda p: [0.0],
        source="Zhu et al., Logish: A New Nonlinear Nonmonotonic Activation Function (2021)",
    ),
    Activation(
        "serf", lambda F, x, p: x * x.logaddexp(x.new_zeros(())).erf(),
        r"x\,\mathrm{erf}(\ln(1 + e^x))", "Log-softplus error function.",
        asymptotes=lambda p: [0.0],
        source="Nag & Bhattacharyya, SERF: Towards Better Training of Deep Neural Networks "
               "Using Log-Softplus ERror Activation Function (2021)",
    ),
    Activation(
        "soft_exponential", lambda F, x, p: _soft_exponential(x, p["alpha"]),
        lambda p: (r"-\frac{\ln(1 - \alpha(x + \alpha))}{\alpha}" if p["alpha"] < 0 else
                   r"x" if p["alpha"] == 0 else r"\frac{e^{\alpha x} - 1}{\alpha} + \alpha"),
        "Logarithmic (alpha < 0), linear (0) or exponential (alpha > 0).",
        params=(Parameter("alpha", 0.5, "< 0 logarithmic, 0 linear, > 0 exponential",
                          symbol=r"\alpha"),),
        asymptotes=lambda p: [p["alpha"] - 1 / p["alpha"]] if p["alpha"] > 0 else [],
        domain=lambda p: (1 / p["alpha"] - p["alpha"], math.inf) if p["alpha"] < 0 else
        (-math.inf, math.inf),
        source="Godfrey & Gashler, A Continuum among Logarithmic, Linear, and Exponential "
               "Functions (2015)",
    ),
    Activation(
        "bent_identity", lambda F, x, p: ((x * x + 1).sqrt() - 1) / 2 + x,
        r"\frac{\sqrt{x^2 + 1} - 1}{2} + x", "Identity bent upward near 0.",
        source=VISUALISING,
    ),
]
