"""Animated sweeps (issue 20): a frame per value, axes fixed across frames, kinks in every frame,
the value in the title; GIF bytes reproducible; MP4/WebM through ffmpeg; budgets up front."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess

import numpy as np
import pytest
from PIL import Image

import actplot
from actplot import animation, api
from actplot.spec import build_spec, frame_specs

from .conftest import run_actplot


def _frames(spec):
    return [(value, api.compute_series(still)) for value, still in frame_specs(spec)]


def test_every_frame_has_the_same_axes_its_value_in_the_title_and_its_kink_marked():
    spec = build_spec(["elu"], params={"alpha": [0.2, 1.0, 2.0]}, grad=True, points=200,
                      animate="alpha")
    figures = list(animation.frame_figures(_frames(spec), spec))
    limits = {tuple(tuple(ax.get_ylim()) for ax in figure.axes) for figure in figures}
    assert len(limits) == 1  # every panel keeps its limits across frames
    (f_limits, slope_limits), = limits
    # the limits hold every frame's curves: elu's f' runs up to alpha = 2 at 0-, f down to -2
    assert slope_limits[0] < 0 < 2 < slope_limits[1] and f_limits[0] < -2
    titles = [figure._suptitle.get_text() for figure in figures]
    assert titles == ["$\\alpha$ = 0.2", "$\\alpha$ = 1", "$\\alpha$ = 2"]
    for figure, alpha in zip(figures, (0.2, 1.0, 2.0)):
        slopes = [c for c in figure.axes[1].collections if c.get_label() == "one-sided derivatives"]
        if alpha == 1.0:  # elu with alpha = 1 is smooth at 0: nothing to mark
            assert slopes == []
            continue
        values = sorted(float(v) for v in slopes[0].get_offsets()[:, 1])
        assert values == pytest.approx(sorted([alpha, 1.0]))  # elu's one-sided f'(0): alpha, 1


def test_other_sweeps_stay_curves_in_each_frame():
    spec = build_spec(["srelu"], params={"t_left": [-2, -1], "a_left": [0.1, 0.2, 0.3]},
                      points=100, animate="a_left")
    frames = _frames(spec)
    assert len(frames) == 3 and all(len(series) == 2 for _, series in frames)
    assert [s.params["a_left"] for s in frames[1][1]] == [0.2, 0.2]


@pytest.mark.slow
def test_a_gif_through_the_cli_has_a_frame_per_value_and_the_same_bytes_each_run(tmp_path):
    path = tmp_path / "elu0.gif"
    result = run_actplot("elu", "-p", "alpha=0:2:5", "--grad", "--animate", "alpha",
                         "--points", 200, "--dpi", 40, "--fps", 4, "-o", path,
                         python_flags=("-R",))
    assert result.returncode == 0, result.stderr
    # the same bytes from this process as from that one
    again = actplot.save(tmp_path / "elu1.gif", "elu", params={"alpha": [0, 0.5, 1, 1.5, 2]},
                         grad=True, animate="alpha", points=200, dpi=40, fps=4)
    outputs = [path.read_bytes(), again.read_bytes()]
    assert outputs[0] == outputs[1] and outputs[0][:6] == b"GIF89a"
    with Image.open(tmp_path / "elu0.gif") as gif:
        assert gif.n_frames == 5 and gif.info["duration"] == 250 and gif.info["loop"] == 0
        frames = []
        for index in range(gif.n_frames):
            gif.seek(index)
            frames.append(np.asarray(gif.convert("RGB")))
    assert gif.size == (round(8.8 * 40), round(3.7 * 40 + 0.35 * 40))
    assert all(not np.array_equal(a, b) for a, b in zip(frames, frames[1:]))  # it moves


def test_an_animation_from_a_batch_spec_and_the_api(invoke, tmp_path):
    spec = tmp_path / "anim.toml"
    spec.write_text('[[figure]]\nfunctions = ["leaky_relu"]\nparams = { negative_slope = '
                    '[0, 0.2, 0.4] }\nanimate = "negative_slope"\nfps = 2\nloop = 1\n'
                    'points = 100\ndpi = 30\noutput = "lrelu.gif"\n')
    result = invoke("batch", spec, "-q")
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "lrelu.gif") as gif:
        assert gif.n_frames == 3 and gif.info["duration"] == 500 and "loop" not in gif.info
    path = actplot.save(tmp_path / "api.gif", "elu", params={"alpha": [0.5, 1]},
                        animate="alpha", points=100, dpi=30)
    with Image.open(path) as gif:
        assert gif.n_frames == 2


@pytest.mark.parametrize("args, message", [
    (["elu", "--animate", "alpha", "-o", "e.gif"], "'alpha' is not a swept parameter"),
    (["elu", "-p", "alpha=1,2", "--animate", "beta", "-o", "e.gif"], "the swept parameters are alpha"),
    (["elu", "-p", "alpha=0:1:301", "--animate", "alpha", "-o", "e.gif"], "at most 300"),
    (["elu", "-p", "alpha=1,2", "--animate", "alpha", "-o", "e.png"], "--animate writes an animation"),
    (["elu", "-p", "alpha=1,2", "-o", "e.gif"], "a .gif is an animated sweep"),
    (["elu", "-p", "alpha=1,2", "--animate", "alpha", "--fps", 100, "-o", "e.gif"], "--fps"),
])
def test_bad_animations_are_one_line_exit_2_and_no_file(invoke, tmp_path, args, message):
    result = invoke(*[str(tmp_path / a) if str(a).startswith("e.") else a for a in args])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_video_without_ffmpeg_says_to_install_it_or_use_gif(invoke, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = invoke("elu", "-p", "alpha=1,2", "--animate", "alpha", "-o", tmp_path / "e.mp4")
    assert result.exit_code == 2 and "needs ffmpeg" in result.stderr and ".gif" in result.stderr


def test_video_frames_go_to_ffmpeg_raw_at_the_figure_size(invoke, tmp_path, monkeypatch):
    # a stand-in ffmpeg that writes what it is given, to check the frames and the arguments
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ffmpeg"
    fake.write_text("#!/bin/sh\necho \"$@\" > \"$FFMPEG_ARGS\"\n"
                    "for last; do :; done\ncat > \"$last\"\n")  # frames to the output file
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FFMPEG_ARGS", str(tmp_path / "args.txt"))
    result = invoke("elu", "-p", "alpha=1,1.5,2", "--animate", "alpha", "--points", 100,
                    "--dpi", 20, "--fps", 5, "-o", tmp_path / "e.webm")
    assert result.exit_code == 0, result.output
    arguments = (tmp_path / "args.txt").read_text().split()
    width, height = round(4.4 * 20), round(4.05 * 20)
    assert arguments[arguments.index("-s") + 1] == f"{width}x{height}"
    assert arguments[arguments.index("-r") + 1] == "5" and "libvpx-vp9" in arguments
    assert len((tmp_path / "e.webm").read_bytes()) == 3 * width * height * 3


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg is not installed (.ci/run installs it)")
@pytest.mark.parametrize("fmt, magic", [("mp4", b"ftyp"), ("webm", b"\x1a\x45\xdf\xa3")])
def test_a_real_video_has_a_frame_per_value_and_the_same_bytes_each_run(tmp_path, fmt, magic):
    result = run_actplot("elu", "-p", "alpha=0:2:6", "--grad", "--animate", "alpha",
                         "--points", 200, "--dpi", 40, "-o", tmp_path / f"elu0.{fmt}")
    assert result.returncode == 0, result.stderr
    again = actplot.save(tmp_path / f"elu1.{fmt}", "elu", grad=True, animate="alpha",
                         params={"alpha": [0, 0.4, 0.8, 1.2, 1.6, 2]}, points=200, dpi=40)
    made = [(tmp_path / f"elu0.{fmt}").read_bytes(), again.read_bytes()]
    assert made[0] == made[1] and magic in made[0][:12]
    probe = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                            "-show_entries", "stream=nb_read_frames,width,height", "-of",
                            "csv=p=0", str(tmp_path / f"elu0.{fmt}")],
                           capture_output=True, text=True, check=True)
    width, height, frames = (int(v) for v in probe.stdout.strip().split(","))
    assert frames == 6 and (width, height) == (round(8.8 * 40), round(4.05 * 40))
