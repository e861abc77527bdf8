"""Shared helpers: run commands repeatedly, report medians."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ACTPLOT = [PYTHON, "-m", "actplot"]


def wall(command: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_of(repeat: int, command: list[str], cwd: Path | None = None, warmup: int = 1) -> float:
    for _ in range(warmup):
        wall(command, cwd)
    return statistics.median(wall(command, cwd) for _ in range(repeat))


def interleaved(repeat: int, commands: dict[str, list[str]], cwd: Path | None = None) -> dict[str, float]:
    """Median wall time of each command, runs interleaved so that drift hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():
        wall(command, cwd)  # warm the file cache
    for _ in range(repeat):
        for name, command in commands.items():
            times[name].append(wall(command, cwd))
    return {name: statistics.median(values) for name, values in times.items()}
