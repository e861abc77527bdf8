"""Peak memory of a whole gallery against its largest single figure, in one run (issue: a batch
held every written figure's pixel buffer until a full garbage collection).

Each command runs in its own process; its peak resident memory comes from wait4's rusage. The
gallery must stay within 1.5 times the peak of its largest single figure.
Usage: python benchmarks/bench_memory.py [--dpi 1200] [--repeat 3] [--jobs 1]"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import ACTPLOT, ROOT

sys.path.insert(0, str(ROOT))
from actplot.registry import REGISTRY  # noqa: E402


def peak_megabytes(command: list[str]) -> float:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}")
    return usage.ru_maxrss / 1024  # kilobytes on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dpi", type=int, default=1200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        singles = {name: statistics.median(
            peak_megabytes([*ACTPLOT, name, "--grad", "--dpi", str(args.dpi), "-o",
                            str(out / f"{name}.png")]) for _ in range(args.repeat))
            for name in REGISTRY}
        gallery = statistics.median(
            peak_megabytes([*ACTPLOT, "gallery", "-o", str(out / f"g{run}"), "--format", "png",
                            "--grad", "--dpi", str(args.dpi), "--jobs", str(args.jobs), "-q",
                            "--force"]) for run in range(args.repeat))
    largest_name = max(singles, key=singles.get)
    largest = singles[largest_name]
    print(f"peak resident memory, medians of {args.repeat} runs, PNG with f and f' at "
          f"{args.dpi} dpi (--jobs {args.jobs}: the parent's peak)")
    print(f"  largest single figure ({largest_name}):  {largest:8.0f} MB")
    print(f"  median single figure:                 {statistics.median(singles.values()):8.0f} MB")
    print(f"  whole gallery ({len(singles)} figures):         {gallery:8.0f} MB  "
          f"ratio {gallery / largest:4.2f} (budget 1.50)")


if __name__ == "__main__":
    main()
