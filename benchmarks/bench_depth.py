"""`actplot depth`'s networks against the same forward and backward passes written as a plain
torch loop, and the time of a 100 x 100 phase diagram. Medians of interleaved runs in one
process, one thread (as actplot runs them).

    python benchmarks/bench_depth.py [repeat]

The plain loop draws the same weights (a generator per seed), runs the same batched forward pass
keeping every layer's gradient, one backward pass of a random read-out, and the per-layer norms
that the figure needs; actplot's run adds its bookkeeping (the input pair, q and c per layer, the
samples of h^2 for the band).
"""

from __future__ import annotations

import math
import statistics
import sys
import time

import numpy as np
import torch

from actplot import meanfield, propagation
from actplot.spec import build_depth_spec

FUNCTIONS = ["sigmoid", "tanh", "relu", "gelu"]
LAYERS, WIDTH, INPUTS, SEEDS = 30, 512, 256, 10


def plain(name: str) -> None:
    forward = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
               "gelu": torch.nn.functional.gelu}[name]
    generators = [torch.Generator().manual_seed(s) for s in range(SEEDS)]

    def normal(*shape):
        values = torch.empty(SEEDS, *shape)
        for i, g in enumerate(generators):
            torch.randn(*shape, generator=g, out=values[i])
        return values

    h = normal(INPUTS + 2, WIDTH).requires_grad_(True)
    states = [h]
    readout = normal(WIDTH) / math.sqrt(WIDTH)
    for _ in range(LAYERS):
        weight = normal(WIDTH, WIDTH) / math.sqrt(WIDTH)
        h = torch.bmm(forward(h), weight.transpose(1, 2)) + normal(1, WIDTH) * 0.0
        h.retain_grad()
        states.append(h)
    (h * readout[:, None, :]).sum().backward()
    [s.grad.flatten(1).norm(dim=-1) for s in states]


def actplot_networks(spec) -> None:
    for name in FUNCTIONS:
        propagation.simulate(spec, name, spec.variants(name)[0], 1.0, 0.0)


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    torch.set_num_threads(1)
    spec = build_depth_spec(FUNCTIONS, layers=LAYERS, width=WIDTH, inputs=INPUTS,
                            seeds=f"0-{SEEDS - 1}")
    times = {"plain torch loop": [], "actplot depth networks": []}
    for _ in range(repeat):
        start = time.perf_counter()
        for name in FUNCTIONS:
            plain(name)
        times["plain torch loop"].append(time.perf_counter() - start)
        start = time.perf_counter()
        actplot_networks(spec)
        times["actplot depth networks"].append(time.perf_counter() - start)
    medians = {k: statistics.median(v) for k, v in times.items()}
    for name, value in medians.items():
        print(f"{name}: {value:.2f} s (median of {repeat})")
    print(f"ratio: {medians['actplot depth networks'] / medians['plain torch loop']:.2f}")
    phase = []
    s_w, s_b = np.linspace(0.5, 4, 100), np.linspace(0, 0.3, 100)
    for _ in range(repeat):
        start = time.perf_counter()
        meanfield.phase("tanh", {}, s_w, s_b)
        phase.append(time.perf_counter() - start)
    print(f"phase diagram, 100 x 100, tanh: {statistics.median(phase):.2f} s (median of {repeat})")


if __name__ == "__main__":
    main()
