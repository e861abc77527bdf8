"""A hand-written figure script in the style of seed 000 (torch + pyplot, y.sum().backward()).

Usage: python benchmarks/seed_script.py NAME MIN MAX OUT.png
It is the baseline that actplot's own figure is timed against. pandas, which the seed imports but
never uses, is left out.
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

name, low, high, out = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
function = getattr(F, name, None) or getattr(torch, name, None) or torch.relu

if __name__ == "__main__":
    x = torch.linspace(low, high, 1000, requires_grad=True)
    try:
        y = function(x, dim=0) if name in ("softmax", "softmin", "log_softmax") else function(x)
    except TypeError:  # needs arguments the seed style would hard-code (prelu, threshold)
        y = torch.relu(x)
    fig = plt.figure()
    axes1 = plt.subplot(121)
    axes2 = plt.subplot(122)
    axes1.plot(x.cpu().detach(), y.cpu().detach())
    axes1.set_title(name)
    axes1.set_xlabel("x")
    axes1.set_ylabel("y")
    axes1.grid()
    y.sum().backward()
    axes2.plot(x.cpu().detach(), x.grad.cpu().detach())
    axes2.set_title(name + "'")
    axes2.grid()
    fig.savefig(out)
