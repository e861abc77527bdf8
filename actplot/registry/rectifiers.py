"""The rectifiers: relu and its piecewise-linear or piecewise-polynomial relatives."""

from __future__ import annotations

import math

from .core import SEED_MAX, Activation, Parameter, jump, kink, kink_at_zero_unless_linear
from .sources import VISUALISING

ENTRIES = [
    Activation(
        "relu", lambda F, x, p: F.relu(x), r"\max(0,\ x)", "Rectified linear unit.",
        breakpoints=lambda p: [kink(0.0, 0.0, 1.0)],
        source="Nair & Hinton, Rectified Linear Units Improve Restricted Boltzmann Machines (2010)",
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
        breakpoints=lambda p: kink_at_zero_unless_linear(p["negative_slope"]),
        source="Maas et al., Rectifier Nonlinearities Improve Neural Network Acoustic Models "
               "(2013)",
    ),
    Activation(
        "prelu",
        lambda F, x, p: F.prelu(x, x.new_tensor([p["weight"]])),
        r"\max(0,\ x) + a\,\min(0,\ x)",
        "Parametric ReLU: the slope for x < 0 is learned.",
        params=(Parameter("weight", 0.25, "learned slope for x < 0 (torch's init)", symbol="a"),),
        breakpoints=lambda p: kink_at_zero_unless_linear(p["weight"]),
        source="He et al., Delving Deep into Rectifiers (2015)",
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
        breakpoints=lambda p: kink_at_zero_unless_linear(
            math.nan if p["training"] else (p["lower"] + p["upper"]) / 2),
        validate=lambda p: None if p["lower"] <= p["upper"] else
        f"lower ({p['lower']:g}) must not exceed upper ({p['upper']:g})",
        random_slope=lambda p: (p["lower"], p["upper"]) if p["training"] else None,
        source="Xu et al., Empirical Evaluation of Rectified Activations in Convolutional "
               "Network (2015)",
    ),
    Activation(
        "relu6", lambda F, x, p: F.relu6(x), r"\min(\max(0,\ x),\ 6)", "ReLU capped at 6.",
        breakpoints=lambda p: [kink(0.0, 0.0, 1.0), kink(6.0, 1.0, 0.0)],
        source="Krizhevsky, Convolutional Deep Belief Networks on CIFAR-10 (2010)",
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
            kink(p["threshold"], 0.0, 1.0) if p["value"] == p["threshold"]
            else jump(p["threshold"], p["value"], p["threshold"], 0.0, 1.0)],
        source="PyTorch, torch.nn.Threshold",
    ),
    Activation(
        "hardshrink",
        lambda F, x, p: F.hardshrink(x, p["lambd"]),
        r"x\ \mathrm{if}\ |x|>\lambda\ \mathrm{else}\ 0",
        "Zero inside [-lambd, lambd], identity outside.",
        params=(Parameter("lambd", 0.5, "half-width of the zero band", symbol=r"\lambda",
                          minimum=0.0),),
        breakpoints=lambda p: [] if p["lambd"] == 0 else [
            jump(-p["lambd"], -p["lambd"], 0.0, 1.0, 0.0),
            jump(p["lambd"], 0.0, p["lambd"], 0.0, 1.0),
        ],
        source="PyTorch, torch.nn.Hardshrink",
    ),
    Activation(
        "softshrink",
        lambda F, x, p: F.softshrink(x, p["lambd"]),
        r"\mathrm{sign}(x)\,\max(|x|-\lambda,\ 0)",
        "Shrinks toward zero by lambd.",
        params=(Parameter("lambd", 0.5, "amount of shrinkage", symbol=r"\lambda", minimum=0.0),),
        breakpoints=lambda p: [] if p["lambd"] == 0 else [
            kink(-p["lambd"], 1.0, 0.0), kink(p["lambd"], 0.0, 1.0)],
        source="PyTorch, torch.nn.Softshrink",
    ),
    Activation(
        "identity", lambda F, x, p: x * 1, r"x", "The identity (a linear layer's activation).",
        source=VISUALISING,
    ),
    Activation(
        "srelu",
        lambda F, x, p: (x.clamp(p["t_left"], p["t_right"]) - p["a_left"] * F.relu(p["t_left"] - x)
                         + p["a_right"] * F.relu(x - p["t_right"])),
        r"t_l + a_l(x - t_l)\ \mathrm{if}\ x \leq t_l,\ x\ \mathrm{between},\ "
        r"t_r + a_r(x - t_r)\ \mathrm{if}\ x \geq t_r",
        "S-shaped ReLU: identity between two thresholds, a slope of its own beyond each.",
        params=(
            Parameter("t_left", -1.0, "left threshold", symbol="t_l"),
            Parameter("a_left", 0.1, "slope left of t_left", symbol="a_l"),
            Parameter("t_right", 1.0, "right threshold", symbol="t_r"),
            Parameter("a_right", 0.1, "slope right of t_right", symbol="a_r"),
        ),
        breakpoints=lambda p: [
            *([] if p["a_left"] == 1 else [kink(p["t_left"], p["a_left"], 1.0)]),
            *([] if p["a_right"] == 1 else [kink(p["t_right"], 1.0, p["a_right"])])],
        validate=lambda p: None if p["t_left"] < p["t_right"] else
        f"t_left ({p['t_left']:g}) must be less than t_right ({p['t_right']:g})",
        source="Jin et al., Deep Learning with S-shaped Rectified Linear Activation Units (2016)",
    ),
    Activation(
        "squared_relu", lambda F, x, p: F.relu(x) ** 2, r"\max(0,\ x)^2",
        "ReLU squared (Primer; transformers' relu2).", aliases=("relu2", "relu_squared"),
        other_breaks=lambda p: [0.0],
        source="So et al., Primer: Searching for Efficient Transformers (2021); "
               "Hugging Face transformers, activations.py",
    ),
    Activation(
        "star_relu", lambda F, x, p: p["s"] * F.relu(x) ** 2 + p["b"], r"s\,\max(0,\ x)^2 + b",
        "Scaled and shifted squared ReLU (MetaFormer).", aliases=("starrelu",),
        params=(
            Parameter("s", 0.8944, "scale (1/sqrt(1.25), learned)", symbol="s"),
            Parameter("b", -0.4472, "bias (learned)", symbol="b"),
        ),
        other_breaks=lambda p: [0.0],
        source="Yu et al., MetaFormer Baselines for Vision (2022)",
    ),
    Activation(
        "absolute", lambda F, x, p: x.abs(), r"|x|", "Absolute value.", aliases=("abs",),
        breakpoints=lambda p: [kink(0.0, -1.0, 1.0)],
        source=VISUALISING,
    ),
]
