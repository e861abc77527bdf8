"""Batch under pressure: a figure that fails (MemoryError included) costs only itself; memory stays
flat across a batch; concurrent runs into one folder keep each other's temps and manifest entries;
stale temps of killed writers are removed; Ctrl-C with workers is one line and exit 130."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from actplot.registry import REGISTRY

from .conftest import run_actplot

FOUR = """
[[figure]]
functions = ["relu"]
output = "a.png"

[[figure]]
functions = ["tanh"]
title = "boom"
output = "b.png"

[[figure]]
functions = ["elu"]
output = "c.svg"

[[figure]]
functions = ["gelu"]
output = "d.png"
"""


def _manifest(folder: Path) -> dict:
    return json.loads((folder / ".actplot-manifest.json").read_text())["figures"]


def _png_complete(path: Path) -> bool:
    data = path.read_bytes()
    return data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82")


@pytest.mark.parametrize("exception", [
    MemoryError, *(pytest.param(e, marks=pytest.mark.slow)
                   for e in (RecursionError, KeyError, ZeroDivisionError))])
def test_any_exception_in_one_figure_is_that_figures_failure(invoke, tmp_path, monkeypatch, exception):
    import actplot.render

    real = actplot.render.build_figure

    def flaky(series, spec, figure=None):
        if spec.title == "boom":
            raise exception("std::bad_alloc" if exception is MemoryError else "boom")
        return real(series, spec, figure)

    monkeypatch.setattr(actplot.render, "build_figure", flaky)
    spec = tmp_path / "figures.toml"
    spec.write_text(FOUR)
    result = invoke("batch", spec)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Error: figures.toml: figure 2 (b.png): ")
    assert lines[1:] == ["3 written, 0 up to date, 1 failed", "Error: 1 of 4 figures failed"]
    assert set(_manifest(tmp_path)) == {"a.png", "c.svg", "d.png"}
    assert not (tmp_path / "b.png").exists()
    assert "internal error" not in result.stderr


@pytest.mark.slow
def test_with_workers_every_good_figure_is_recorded(invoke, tmp_path):
    spec = tmp_path / "figures.toml"
    spec.write_text(FOUR.replace('title = "boom"', 'functions = ["rrelu"]\ntrain = true\nseed = 1\n'
                                 'dtype = "float16"').replace('functions = ["tanh"]\n', ""))
    result = invoke("batch", spec, "--jobs", 2)
    assert result.exit_code == 1
    assert set(_manifest(tmp_path)) == {"a.png", "c.svg", "d.png"}
    assert "3 written, 0 up to date, 1 failed" in result.stderr


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_temps_of_the_target_are_removed_before_writing(invoke, tmp_path):
    """A killed `actplot relu -o relu.png` left a truncated temp that no later run removed."""
    dead = tmp_path / f".relu.png.{_dead_pid()}.abcdefgh.actplot-tmp"
    old_style = tmp_path / ".relu.png.k3j4h5g6.actplot-tmp"  # from a version without PIDs
    for temp in (dead, old_style):
        temp.write_bytes(b"\x89PNG truncated")
    assert invoke("relu", "-o", tmp_path / "relu.png").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["relu.png"]


def test_temps_of_a_live_writer_are_left_alone(invoke, tmp_path):
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f".a.png.{writer.pid}.abcdefgh.actplot-tmp"
        live.write_bytes(b"in flight")
        stale = [tmp_path / f"{name}.{_dead_pid()}.abcdefgh.actplot-tmp"
                 for name in (".a.png", ".actplot-manifest.json", ".index.html", ".removed.png")]
        for temp in stale:
            temp.write_bytes(b"left by a kill")
        spec = tmp_path / "figures.toml"
        spec.write_text('[[figure]]\nfunctions = ["relu"]\noutput = "a.png"\n')
        assert invoke("batch", spec, "-q").exit_code == 0
        assert live.exists()
        assert not any(temp.exists() for temp in stale)
    finally:
        writer.kill()
        writer.wait()


def test_specs_sharing_an_out_dir_keep_each_others_manifest_entries(invoke, tmp_path):
    out = tmp_path / "out"
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    first.write_text('[[figure]]\nfunctions = ["relu"]\noutput = "relu.svg"\n')
    second.write_text('[[figure]]\nfunctions = ["tanh"]\noutput = "tanh.svg"\n')
    for spec in (first, second):
        assert invoke("batch", spec, "--out-dir", out).exit_code == 0
    for spec in (first, second):
        assert invoke("batch", spec, "--out-dir", out).stderr == "0 written, 1 up to date, 0 failed\n"
    assert set(_manifest(out)) == {"relu.svg", "tanh.svg"}


@pytest.mark.slow
def test_two_concurrent_runs_into_one_folder(tmp_path):
    """Each run's temp cleanup used to delete the other's in-flight temps (3 of 8 trials failed);
    and each overwrote the other's manifest entries."""
    out = tmp_path / "out"
    names = list(REGISTRY)[:12]
    specs = []
    for half, chosen in enumerate((names[0::2], names[1::2])):
        spec = tmp_path / f"spec{half}.toml"
        spec.write_text("[defaults]\ngrad = true\npoints = 200\n" + "".join(
            f'[[figure]]\nfunctions = ["{n}"]\noutput = "{n}.png"\n' for n in chosen))
        specs.append(spec)
    for trial in range(2):
        runs = [subprocess.Popen([sys.executable, "-m", "actplot", "batch", str(spec), "--out-dir",
                                  str(out), "--force", "-q"], stderr=subprocess.PIPE, text=True)
                for spec in specs]
        results = [(run.communicate(timeout=120)[1], run.returncode)[::-1] for run in runs]
        assert results == [(0, ""), (0, "")], f"trial {trial}: {results}"
        assert set(_manifest(out)) == {f"{n}.png" for n in names}
        assert all(_png_complete(out / f"{n}.png") for n in names)
        assert not list(out.glob(".*actplot-tmp"))
    for spec in specs:
        rerun = run_actplot("batch", spec, "--out-dir", out)
        assert rerun.stderr == "0 written, 6 up to date, 0 failed\n"
        alone = run_actplot("batch", spec, "--out-dir", tmp_path / "alone", "-q")
        assert alone.returncode == 0
    for name in names:  # concurrent runs wrote the very bytes that one run alone writes
        assert (out / f"{name}.png").read_bytes() == (tmp_path / "alone" / f"{name}.png").read_bytes()


@pytest.mark.slow
def test_ctrl_c_with_workers_is_one_line_and_exit_130(tmp_path):
    out = tmp_path / "gallery"
    process = subprocess.Popen([sys.executable, "-m", "actplot", "gallery", "-o", str(out),
                                "--format", "png", "--grad", "--jobs", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while len(list(out.glob("*.png"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal does: the whole group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr == "Aborted.\n"
    assert all(_png_complete(p) for p in out.glob("*.png"))


def _peak_megabytes(*args, cwd: Path) -> float:
    process = subprocess.Popen([sys.executable, "-m", "actplot", *map(str, args)], cwd=cwd)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    assert process.returncode == 0
    return usage.ru_maxrss / 1024


@pytest.mark.slow
def test_memory_stays_flat_across_a_batch(tmp_path):
    """Written figures used to keep their pixel buffers until a full collection: six figures at
    900 dpi peaked at three times one figure's memory."""
    names = ["relu", "tanh", "gelu", "elu", "selu", "silu"]
    header = "[defaults]\ngrad = true\ndpi = 900\npoints = 200\n"
    (tmp_path / "one.toml").write_text(header + '[[figure]]\nfunctions = ["relu"]\n')
    (tmp_path / "six.toml").write_text(header + "".join(
        f'[[figure]]\nfunctions = ["{n}"]\noutput = "{n}-6.png"\n' for n in names))
    one = _peak_megabytes("batch", "one.toml", "-q", cwd=tmp_path)
    six = _peak_megabytes("batch", "six.toml", "-q", cwd=tmp_path)
    assert six <= 1.5 * one, f"one figure peaked at {one:.0f} MB, six at {six:.0f} MB"


@pytest.mark.slow
def test_a_worker_killed_outright_fails_its_figures_not_the_run(tmp_path):
    """The OOM killer's SIGKILL breaks the pool: the figures it leaves are reported as failed,
    the rest stay written and recorded, and the run ends with its summary and exit 1."""
    out = tmp_path / "out"
    spec = tmp_path / "figures.toml"
    names = list(REGISTRY)[:12]
    spec.write_text("[defaults]\ngrad = true\n" + "".join(
        f'[[figure]]\nfunctions = ["{n}"]\noutput = "{n}.png"\n' for n in names))
    process = subprocess.Popen([sys.executable, "-m", "actplot", "batch", str(spec), "--out-dir",
                                str(out), "--jobs", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(list(out.glob("*.png"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    assert children, "no worker process to kill"
    os.kill(int(children[0]), signal.SIGKILL)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1
    lines = stderr.splitlines()
    assert "Traceback" not in stderr and "internal error" not in stderr
    written, _, failed = (int(n) for n in re.findall(r"\d+", lines[-2]))
    assert failed >= 1 and written >= 1 and written + failed == len(names)
    assert lines[-1] == f"Error: {failed} of {len(names)} figures failed"
    assert any("the worker drawing it stopped" in line for line in lines)
    # what is recorded is on disk and whole; a figure whose result the broken pool lost is
    # complete on disk too, and is simply drawn again next time
    assert set(_manifest(out)) <= {p.name for p in out.glob("*.png")}
    assert all(_png_complete(p) for p in out.glob("*.png"))
    resumed = run_actplot("batch", spec, "--out-dir", out, "--jobs", "2")
    assert resumed.returncode == 0
