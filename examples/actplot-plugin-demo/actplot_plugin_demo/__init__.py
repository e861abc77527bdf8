"""Two activations for actplot, as a plugin package would offer them.

Nothing here imports torch: each forward gets torch.nn.functional as F and builds its result from
tensor methods, so `actplot list` stays fast with the plugin installed.
"""

from actplot.plugin import Activation, Parameter, kink

ACTIVATIONS = [
    Activation(
        "biased_relu",
        lambda F, x, p: F.relu(x - p["bias"]),
        r"\max(0,\ x - b)",
        "ReLU that switches on at x = bias.",
        params=(Parameter("bias", 1.0, "where the unit switches on", symbol="b"),),
        breakpoints=lambda p: [kink(p["bias"], 0.0, 1.0)],
        source="actplot-plugin-demo (an example plugin)",
    ),
    Activation(
        "soft_sign_square",
        lambda F, x, p: x * x.abs() / (1 + x * x),
        r"\frac{x\,|x|}{1 + x^2}",
        "A smooth odd curve that saturates at -1 and 1.",
        aliases=("sss",),
        other_breaks=lambda p: [0.0],  # f'' jumps there (|x|): lines of order 2 break
        asymptotes=lambda p: [-1.0, 1.0],
        source="actplot-plugin-demo (an example plugin)",
    ),
]
