"""Issue 18's budgets bound what the machine really spends: peak memory measured in a real
process against the estimate that refuses runs up front; a million points drawn from a decimated
copy that keeps every extreme and break; seeds, fit work and animation frames refused before any
of it is built."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from actplot import render
from actplot.spec import PEAK_PER_ARRAY_BYTE


def _peak_kib(args: list[str], cwd) -> int:
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
            "stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "actplot", *args],
                         check=True, capture_output=True, text=True, cwd=cwd, timeout=300)
    return int(out.stdout.split()[-1])


@pytest.mark.slow
def test_a_figures_peak_memory_stays_within_its_estimate(tmp_path):
    common = ["leaky_relu", "-p", "negative_slope=0:1:8", "--order", "2", "-o", "f.png"]
    base = _peak_kib([*common, "--points", "100"], tmp_path)
    points = 300_000
    big = _peak_kib([*common, "--points", str(points)], tmp_path)
    arrays = points * 8 * 4 * 8  # 8 curves of x, y, f', f'' in float64
    assert (big - base) * 1024 <= PEAK_PER_ARRAY_BYTE["figure"] * arrays


def test_decimation_keeps_every_extreme_and_break():
    x = np.linspace(-1, 1, 2_000_001)
    y = np.sin(400 * x) + (x > 0.3)  # fast wiggles and a step
    y[1_300_000] = np.nan  # a break
    y[777_777] = 5.0  # a lone spike
    kept_x, kept_y = render.decimated(x, y, columns=1000)
    assert len(kept_x) < 5000
    assert np.nanmax(kept_y) == 5.0 and np.nanmin(kept_y) == np.nanmin(y)
    assert np.isnan(kept_y).sum() == 1 and kept_x[np.isnan(kept_y)][0] == x[1_300_000]
    # each column's extremes are those of the full data in that column
    column = np.minimum(((x + 1) / 2 * 1000).astype(int), 999)
    kept_column = np.minimum(((kept_x + 1) / 2 * 1000).astype(int), 999)
    for c in (0, 17, 650, 999):
        full, part = y[column == c], kept_y[kept_column == c]
        assert np.nanmax(part) == np.nanmax(full) and np.nanmin(part) == np.nanmin(full)
    small_x, small_y = render.decimated(x[:100], y[:100], columns=1000)
    assert small_x is x[:100] or np.array_equal(small_x, x[:100])


@pytest.mark.parametrize("args, fragment", [
    (["fit", "relu", "--seeds", "0-99999999999", "--json"], "names over 1000 seeds"),
    (["fit", "relu", "--seeds", "0-" + "9" * 40, "--json"], "over 2^63 - 1"),
    (["fit", "relu", "--dpi", "1000", "-o", "OUT/f.gif"], "megapixel budget of an animation"),
    (["fit", "relu", "--dpi", "400", "--frames", "200", "-o", "OUT/f.gif"], "use --frames"),
    (["fit", "relu", "--hidden", "1024", "--points", "48000", "--steps", "100000", "--json"],
     "use --steps"),
    (["leaky_relu", "-p", "negative_slope=0:1:64", "--order", "2", "--points", "1000000",
      "-o", "OUT/x.png"], "GiB budget; use at most"),
    (["leaky_relu", "-p", "negative_slope=0:1:16", "--order", "2", "--points", "1000000",
      "--json"], "for the data as JSON or CSV"),
])
def test_budgets_refuse_up_front_naming_what_fits(invoke, tmp_path, args, fragment):
    args = [a.replace("OUT", str(tmp_path)) for a in args]
    started = time.monotonic()
    result = invoke(*args)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    assert fragment in result.stderr
    assert time.monotonic() - started < 5 and not list(tmp_path.iterdir())
