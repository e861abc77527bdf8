"""Peak memory of a run per byte of its float64 arrays, the factors that spec.PEAK_PER_ARRAY_BYTE
budgets with. Each run is a fresh `python -m actplot` process; its peak RSS (ru_maxrss) less that
of a tiny run of the same kind (Python, torch and matplotlib loaded) is divided by the arrays'
bytes (points x curves x (order + 2) x 8).

    python benchmarks/bench_array_memory.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

CURVES, ORDER = 8, 2


def peak_kib(args: list[str]) -> int:
    """ru_maxrss of one child process, in KiB (Linux)."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
            "stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "actplot", *args],
                         check=True, capture_output=True, text=True)
    return int(out.stdout.split()[-1])


def factor(kind: str, points: int, folder: Path) -> float:
    common = ["leaky_relu", "-p", f"negative_slope=0:1:{CURVES}", "--order", str(ORDER)]
    output = ["--json"] if kind == "data" else ["-o", str(folder / "f.png")]
    base = peak_kib([*common, "--points", "100", *output])
    big = peak_kib([*common, "--points", str(points), *output])
    arrays = points * CURVES * (ORDER + 2) * 8
    return (big - base) * 1024 / arrays


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for kind, points in (("figure", 1_000_000), ("data", 250_000)):
            print(f"{kind}: peak memory {factor(kind, points, Path(folder)):.2f} x the arrays "
                  f"({CURVES} curves x {points} points, order {ORDER})")


if __name__ == "__main__":
    main()
