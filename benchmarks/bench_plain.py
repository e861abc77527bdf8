"""`actplot gallery --grad --format png` against a plain matplotlib script that draws the same
functions and autograd derivatives as 1x2 figures of the same pixel size (plain_gallery.py), each
in one process, runs interleaved. Reports the medians and their ratio.

Usage: python benchmarks/bench_plain.py [--repeat 5] [--tree DIR]
--tree times the actplot of another checkout (an older commit, say) against the same baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from _timing import PYTHON, ROOT


def timed(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose actplot runs")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(args.tree.resolve())}
    times: dict[str, list[float]] = {"actplot gallery": [], "plain matplotlib script": []}
    with tempfile.TemporaryDirectory() as folder:
        for run in range(args.repeat + 1):  # the first round warms the disk caches, untimed
            gallery = timed([PYTHON, "-m", "actplot", "gallery", "-o", f"{folder}/a{run}",
                             "--format", "png", "--grad", "-q"], env)
            plain = timed([PYTHON, str(ROOT / "benchmarks" / "plain_gallery.py"),
                           f"{folder}/p{run}"], env)
            if run:
                times["actplot gallery"].append(gallery)
                times["plain matplotlib script"].append(plain)
    medians = {k: statistics.median(v) for k, v in times.items()}
    base = medians["plain matplotlib script"]
    print(f"actplot from {args.tree}; medians of {args.repeat} interleaved runs")
    for name, seconds in medians.items():
        print(f"  {name:<26} {seconds:6.2f} s  ratio {seconds / base:4.2f}")


if __name__ == "__main__":
    main()
