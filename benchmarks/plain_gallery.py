"""The gallery as a plain matplotlib script would draw it: every built-in with its autograd
derivative as a 1x2 figure of the same pixel size as actplot's, in one process, with
tight_layout so that labels do not overlap. It is the baseline of bench_gallery.py.

Usage: python benchmarks/plain_gallery.py OUT_DIR
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from actplot.registry import REGISTRY  # noqa: E402  (the same functions, with their defaults)
from actplot.spec import PANEL_SIZE  # noqa: E402

DPI = 150  # actplot gallery's default --dpi: the same pixels (1320 x 495)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, entry in REGISTRY.items():
        x = torch.linspace(-5, 5, 1001, dtype=torch.float32, requires_grad=True)
        y = entry.forward(F, x, entry.defaults())
        if entry.vector:  # the Jacobian diagonal, as a careful script would take it
            dy = torch.autograd.functional.jacobian(
                lambda v: entry.forward(F, v, entry.defaults()), x, vectorize=True).diagonal()
        else:
            (dy,) = torch.autograd.grad(y.sum(), x)
        fig, (left, right) = plt.subplots(1, 2, figsize=(2 * PANEL_SIZE[0], PANEL_SIZE[1]),
                                          dpi=DPI)
        left.plot(x.detach(), y.detach())
        left.set_title(f"{name}: forward")
        right.plot(x.detach(), dy.detach())
        right.set_title(f"{name}: first derivative")
        for ax, label in ((left, "f(x)"), (right, "f'(x)")):
            ax.set_xlabel("x")
            ax.set_ylabel(label)
            ax.grid(True)
        fig.tight_layout()
        fig.savefig(out / f"{name}.png")
        plt.close(fig)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
