"""`actplot fit` speed, in one run: CPU time to train a 1-16-1 tanh network on 200 points for 2,000
full-batch Adam steps (after start-up) against a plain torch loop (Linear, Tanh, Linear, MSE, Adam);
20 seeds at once against one; and the wall time of a 60-frame GIF.
Usage: python benchmarks/bench_fit.py [--repeat 5]"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _timing import ROOT

sys.path.insert(0, str(ROOT))
import torch  # noqa: E402

import actplot  # noqa: E402
from actplot import fitting  # noqa: E402
from actplot.spec import build_fit_spec  # noqa: E402


def cpu(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def plain_loop(threads: int) -> None:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(1, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    x = torch.linspace(0, 2, 200)[:, None]
    y = x**2
    for _ in range(2000):
        loss = torch.nn.functional.mse_loss(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    threads = torch.get_num_threads()
    one = build_fit_spec("tanh", hidden=16, points=200, steps=2000, device="cpu")
    twenty = build_fit_spec("tanh", hidden=16, points=200, steps=2000, seeds="0-19", device="cpu")
    fitting.train(one)  # warm up: first calls into torch allocate and dispatch slowly
    plain_loop(threads)
    times = {"actplot fit, 1 run (1 thread)": [], "plain loop, 1 thread (baseline)": [],
             f"plain loop, {threads} threads": [], "actplot fit, 20 seeds at once": []}
    for _ in range(args.repeat):
        times["actplot fit, 1 run (1 thread)"].append(cpu(lambda: fitting.train(one)))
        times["plain loop, 1 thread (baseline)"].append(cpu(lambda: plain_loop(1)))
        times[f"plain loop, {threads} threads"].append(cpu(lambda: plain_loop(threads)))
        times["actplot fit, 20 seeds at once"].append(cpu(lambda: fitting.train(twenty)))
    torch.set_num_threads(threads)
    gif = []
    with tempfile.TemporaryDirectory() as folder:
        for run in range(max(1, args.repeat // 2)):
            start = time.perf_counter()
            actplot.fit(["relu", "leaky_relu"], hidden=2, frames=60,
                        path=Path(folder) / f"fit{run}.gif")
            gif.append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in times.items()}
    base = medians["plain loop, 1 thread (baseline)"]
    print(f"CPU seconds, medians of {args.repeat} runs; 1-16-1, 200 points, 2,000 Adam steps")
    for name, seconds in medians.items():
        print(f"  {name:<40} {seconds:6.3f} s  ratio {seconds / base:5.2f}")
    print(f"60-frame GIF (relu and leaky_relu, 1-2-1, training included), wall: "
          f"{statistics.median(gif):.2f} s")


if __name__ == "__main__":
    main()
