"""actplot from Python: a parameter sweep like the seeds', then the data, then a saved figure.

Usage: python examples/api_script.py [OUT_DIR]
"""

import sys
from pathlib import Path

import actplot

out = Path(sys.argv[1] if len(sys.argv) > 1 else "figures")
out.mkdir(parents=True, exist_ok=True)

# The numbers behind a figure: numpy arrays of x, y and the derivative by autograd.
relu = actplot.evaluate("relu", at=[-2, -1, 0, 1, 2], grad=True)
print("x  ", relu.x.tolist())
print("y  ", relu.y.tolist())
print("dy ", relu.dy.tolist())

# A parameter sweep on one pair of axes: ELU for several alpha, as seed 003 draws it.
figure = actplot.plot("elu", range=(-4, 2), grad=True)
forward, derivative = figure.axes[:2]
for alpha in (0.2, 0.5, 2.0):
    series = actplot.evaluate("elu", range=(-4, 2), grad=True, params={"alpha": alpha})
    forward.plot(series.x, series.y, lw=1.2, ls="--", label=f"alpha = {alpha}")
    derivative.plot(series.x, series.dy, lw=1.2, ls="--", label=f"alpha = {alpha}")
forward.legend()
figure.savefig(out / "elu_sweep.png", metadata={"Software": None})

# One call writes a reproducible file, atomically.
path = actplot.save(out / "gelu.svg", "gelu", params={"approximate": "tanh"}, order=2)
print("wrote", path)

# Bad input raises a clear exception instead of exiting.
try:
    actplot.evaluate("rleu")
except actplot.SpecError as error:
    print("SpecError:", error)
