"""A gallery rerun with every figure up to date, as CI meets it: `actplot gallery --grad --format
png` into a folder that already holds the same gallery. Baseline: `actplot list` in the same run,
the cost of starting actplot at all. Reports medians and the ratio.

Usage: python benchmarks/bench_gallery_rerun.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import tempfile

from _timing import ACTPLOT, interleaved, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        gallery = [*ACTPLOT, "gallery", "-o", folder, "--format", "png", "--grad", "-q"]
        first = wall(gallery)
        medians = interleaved(args.repeat, {"gallery rerun (all up to date)": gallery,
                                            "actplot list (start-up baseline)": [*ACTPLOT, "list"]})
    base = medians["actplot list (start-up baseline)"]
    print(f"fresh gallery (once): {first:.2f} s; medians of {args.repeat} runs:")
    for name, seconds in medians.items():
        print(f"  {name:<36} {seconds:6.2f} s  ratio {seconds / base:5.2f}")


if __name__ == "__main__":
    main()
