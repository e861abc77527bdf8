"""One figure: `actplot relu --range -20 20 --grad -o relu.png` against a hand-written seed-style
script that imports torch and matplotlib and saves the same figure. Also start-up: --help and list
against bare Python. Usage: python benchmarks/bench_figure.py [--repeat N]"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _timing import ACTPLOT, PYTHON, ROOT, interleaved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        figure = interleaved(args.repeat, {
            "actplot relu --range -20 20 --grad -o relu.png":
                [*ACTPLOT, "relu", "--range", "-20", "20", "--grad", "-o", str(out / "a.png")],
            "seed-style script (baseline)":
                [PYTHON, str(ROOT / "benchmarks" / "seed_script.py"), "relu", "-20", "20",
                 str(out / "b.png")],
        })
        startup = interleaved(args.repeat, {
            "python -c pass (baseline)": [PYTHON, "-c", "pass"],
            "python -c 'import torch'": [PYTHON, "-c", "import torch"],
            "actplot --help": [*ACTPLOT, "--help"],
            "actplot list": [*ACTPLOT, "list"],
        })
    print(f"medians of {args.repeat} interleaved runs, wall time")
    base = figure["seed-style script (baseline)"]
    for name, seconds in figure.items():
        print(f"  {name:<50} {seconds * 1000:8.1f} ms  ratio {seconds / base:5.2f}")
    base = startup["python -c pass (baseline)"]
    for name, seconds in startup.items():
        print(f"  {name:<50} {seconds * 1000:8.1f} ms  ratio {seconds / base:5.2f}")


if __name__ == "__main__":
    main()
