"""Animated sweeps (--animate NAME): a frame per value of a swept parameter, each panel's axes the
same in every frame so that the motion is honest, kinks marked in each. GIF through Pillow, MP4
and WebM through ffmpeg. matplotlib and Pillow, no torch: it draws the Series computed for each
frame, and writes the frames fit's animation makes too."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from typing import Any, Iterable, Sequence

import numpy as np

from . import render
from .errors import ActplotError
from .spec import FigureSpec, Series, still_sweeps

MARGIN = 0.05  # of a panel's span above and below its curves, as matplotlib's autoscale leaves


def panel_limits(frames: Sequence[Sequence[Series]], spec: FigureSpec) -> dict:
    """Each panel's y limits over every frame: {(function, order): (low, high)} for the rows
    layout, (None, order) for overlay panels and (function, None) for combined ones."""
    spans: dict[Any, list[float]] = {}
    for series in frames:
        for member in series:
            for order in range(spec.order + 1):
                if order in member.missing:
                    continue
                values = np.asarray(render._values(member, order), dtype=float)
                values = values[np.isfinite(values)]
                if not values.size:
                    continue
                key = {"overlay": (None, order), "combined": (member.function, None)}.get(
                    spec.layout, (member.function, order))
                low, high = spans.get(key, (np.inf, -np.inf))
                spans[key] = [min(low, float(values.min())), max(high, float(values.max()))]
    limits = {}
    for key, (low, high) in spans.items():
        pad = MARGIN * (high - low) or max(1.0, abs(low) * 0.1)
        limits[key] = (low - pad, high + pad)
    return limits


def frame_images(frames: Sequence[tuple[Any, Sequence[Series]]], spec: FigureSpec):
    """Each frame drawn at the spec's size and dpi, as an RGB Pillow image."""
    from PIL import Image

    for figure in frame_figures(frames, spec):
        try:
            buffer = render.rgba_pixels(figure)
            yield Image.fromarray(buffer[..., :3].copy())
        finally:
            render.release(figure)


def frame_figures(frames: Sequence[tuple[Any, Sequence[Series]]], spec: FigureSpec):
    """Each frame's figure, one at a time: the value in the title, every panel's y limits those
    of panel_limits."""
    from .render import param_label

    limits = panel_limits([series for _, series in frames], spec)
    function = next(f for f in spec.functions
                    if any(s.name == spec.animate for s in spec.sweeps.get(f, ())))
    for value, series in frames:
        label = param_label(function, spec.animate, value)
        title = f"{spec.title} ({label})" if spec.title else label
        still = replace(spec, title=title, animate=None, frame_ylims=limits,
                        sweeps=still_sweeps(spec))
        yield render.build_figure(series, still)


def write_gif(images: Iterable, handle, fps: float, loop: int = 0) -> None:
    """A GIF of the images, one palette for all (the first frame's: the colours are the
    figure's own throughout), so each frame is mapped rather than quantized anew, and frames
    are quantized as they come."""
    from PIL import Image

    palette = None
    quantized = []
    for image in images:
        if palette is None:
            palette = image.quantize(colors=256, dither=Image.Dither.NONE)
            quantized.append(palette)
        else:
            quantized.append(image.quantize(palette=palette, dither=Image.Dither.NONE))
    duration = int(round(1000 / fps))
    options = {} if loop == 1 else {"loop": 0 if loop == 0 else loop - 1}
    quantized[0].save(handle, format="GIF", save_all=True, append_images=quantized[1:],
                      duration=duration, **options)


VIDEO_CODECS = {"mp4": ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart"],
                "webm": ["-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p", "-b:v", "0", "-crf", "30",
                         "-row-mt", "0"]}


def write_video(images: Iterable, handle, fmt: str, fps: float) -> None:
    """MP4 or WebM through ffmpeg, fed raw frames on its stdin and writing a temporary file (an
    MP4's index is written at the end, so its output must be seekable), then copied to handle.
    Bit-exact flags and no metadata: the same frames give the same bytes with the same ffmpeg."""
    import shutil
    import tempfile

    frames = iter(images)
    first = next(frames)
    width, height = first.size
    even = (width + width % 2, height + height % 2)  # yuv420p needs even sides
    with tempfile.TemporaryDirectory() as folder:
        target = f"{folder}/animation.{fmt}"
        command = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                   "-s", f"{width}x{height}", "-r", f"{fps:g}", "-i", "-",
                   "-vf", f"pad={even[0]}:{even[1]}:0:0:white", *VIDEO_CODECS[fmt],
                   "-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
                   "-map_metadata", "-1", "-f", fmt, target]
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        try:
            for image in (first, *frames):
                process.stdin.write(image.tobytes())
            process.stdin.close()
        except BrokenPipeError:
            pass
        error = process.stderr.read().decode(errors="replace").strip()
        process.stderr.close()
        if process.wait() != 0:
            reason = " ".join(error.split()) or f"exit status {process.returncode}"
            raise ActplotError(f"ffmpeg could not write the .{fmt}: {reason}")
        with open(target, "rb") as made:
            shutil.copyfileobj(made, handle)


def save_animation(frames: Sequence[tuple[Any, Sequence[Series]]], spec: FigureSpec, handle,
                   fmt: str) -> None:
    images = frame_images(frames, spec)
    if fmt == "gif":
        write_gif(images, handle, spec.fps, spec.loop)
    else:
        write_video(images, handle, fmt, spec.fps)
