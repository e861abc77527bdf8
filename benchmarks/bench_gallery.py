"""The whole gallery three ways, in one run: one actplot call (and with --jobs 2), one actplot
process per figure, one seed-style script per figure. Usage: python benchmarks/bench_gallery.py"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _timing import ACTPLOT, PYTHON, ROOT, wall

sys.path.insert(0, str(ROOT))
from actplot.registry import REGISTRY  # noqa: E402


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    names = list(REGISTRY)
    results: dict[str, list[float]] = {k: [] for k in (
        "one actplot call (--jobs 1)", "one actplot call (--jobs 2)",
        "one actplot process per figure", "one seed-style script per figure (baseline)")}
    for run in range(args.repeat):
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder)
            results["one actplot call (--jobs 1)"].append(wall(
                [*ACTPLOT, "gallery", "-o", str(out / f"g1-{run}"), "--format", "png", "--grad", "-q"]))
            results["one actplot call (--jobs 2)"].append(wall(
                [*ACTPLOT, "gallery", "-o", str(out / f"g2-{run}"), "--format", "png", "--grad", "-q",
                 "--jobs", "2"]))
            results["one actplot process per figure"].append(timed(lambda: [
                wall([*ACTPLOT, name, "--grad", "-o", str(out / f"p-{name}.png")]) for name in names]))
            results["one seed-style script per figure (baseline)"].append(timed(lambda: [
                wall([PYTHON, str(ROOT / "benchmarks" / "seed_script.py"), name, "-5", "5",
                      str(out / f"s-{name}.png")]) for name in names]))
    medians = {k: statistics.median(v) for k, v in results.items()}
    base = medians["one seed-style script per figure (baseline)"]
    print(f"{len(names)} figures (PNG, f and f'), medians of {args.repeat} runs")
    for name, seconds in medians.items():
        print(f"  {name:<45} {seconds:7.2f} s  ratio {seconds / base:5.2f}")


if __name__ == "__main__":
    main()
