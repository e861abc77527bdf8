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

# A parameter sweep, as seed 003 draws ELU for several alpha: one curve per value on the same
# axes, the derivative's jump at 0 left open with hollow markers, a legend by symbol.
figure = actplot.plot("elu", range=(-4, 2), grad=True, params={"alpha": [0.2, 0.5, 2.0]})
print("legend:", [text.get_text() for text in figure.axes[0].get_legend().get_texts()][:3])
actplot.save(out / "elu_sweep.png", "elu", range=(-4, 2), grad=True,
             params={"alpha": [0.2, 0.5, 2.0]})

# One call writes a reproducible file, atomically.
path = actplot.save(out / "gelu.svg", "gelu", params={"approximate": "tanh"}, order=2)
print("wrote", path)

# Bad input raises a clear exception instead of exiting.
try:
    actplot.evaluate("rleu")
except actplot.SpecError as error:
    print("SpecError:", error)
