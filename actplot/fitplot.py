"""Figures of `actplot fit`: a column per activation, rows for the fit, the hidden units' broken
lines (as seed 002 draws them) and the loss; and the animation of training. matplotlib, no torch:
it draws FitRun data."""

from __future__ import annotations

import json
import math
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

from .render import FitLevel, _fmt, _legend, fitted_figure, house_style, palette
from .spec import MIN_PANEL_SIZE, FitSpec, fit_grid_shape, fit_size

FIT_COLOR = "#0072B2"
TARGET_COLOR = "#000000"
LOSS_COLOR = "#D55E00"


def _column_title(run, level: FitLevel) -> str:
    name = run.function + "".join(f", {k} = {_fmt(v)}" for k, v in run.swept.items())
    dead = f"{run.dead_units} dead unit{'s' * (run.dead_units != 1)}"
    lines = [name, f"loss {run.final_loss:.2e}, R\u00b2 {run.r2:.4f}, {dead}"]
    return "\n".join(lines[: max(1, min(level.title_lines, 2))])


def _columns(runs, spec: FitSpec) -> list[list]:
    """The runs of each function and sweep value, in order; each column's first run is shown."""
    per = len(spec.seeds)
    return [runs[i:i + per] for i in range(0, len(runs), per)]


def _draw_fit(ax, run, step_output=None) -> list:
    ax.plot(run.plot_x, run.target, color=TARGET_COLOR, ls=(0, (4, 2)), lw=1.5, label="target")
    (line,) = ax.plot(run.plot_x, run.output if step_output is None else step_output,
                      color=FIT_COLOR, label="network")
    ax.set_xlim(run.plot_x[0], run.plot_x[-1])
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.grid(True, color="0.85", lw=0.6)
    return [line]


def _draw_units(ax, run, level: FitLevel, units=None) -> list:
    """Each unit's contribution w2_i f(w1_i x + b1_i), with the activation's kinks marked."""
    units = run.units if units is None else units
    lines = []
    for i, contribution in enumerate(units):
        (line,) = ax.plot(run.plot_x, contribution, color=palette().compose[i % len(palette().compose)],
                          lw=1.6 * max(level.scale, 0.7))
        lines.append(line)
    if units is run.units:
        kinks = [(x0, float(np.interp(x0, run.plot_x, units[i])))
                 for i, xs in enumerate(run.unit_kinks) for x0 in xs]
        if kinks:
            ax.scatter(*zip(*kinks), s=30 * level.scale, facecolors=palette().hollow,
                       edgecolors=palette().marker, linewidths=1.2 * level.scale, zorder=5,
                       clip_on=False, label="kink")
    ax.axhline(run.weights["b2"][0], color="0.45", lw=1.0, ls="--", label="output bias")
    ax.set_xlim(run.plot_x[0], run.plot_x[-1])
    ax.set_xlabel("x")
    ax.set_ylabel("w\u2082\u1d62 f(w\u2081\u1d62x + b\u1d62)")
    ax.grid(True, color="0.85", lw=0.6)
    return lines


def _draw_loss(ax, column, spec: FitSpec, level: FitLevel) -> None:
    steps = np.arange(1, spec.steps + 1)
    for run in column[1:]:
        ax.plot(steps, np.maximum(run.loss, 1e-300), color="0.7", lw=0.8)
    shown = column[0]
    ax.plot(steps, np.maximum(shown.loss, 1e-300), color=LOSS_COLOR,
            lw=1.8 * max(level.scale, 0.7), label=f"seed {shown.seed}")
    ax.axhline(spec.tol, color="0.3", lw=1.0, ls=":", label=f"tol {spec.tol:g}")
    ax.set_yscale("log")
    ax.set_xlim(1, max(spec.steps, 2))
    ax.set_xlabel("step")
    ax.set_ylabel("loss (MSE)")
    ax.grid(True, color="0.85", lw=0.6)
    if len(column) > 1:
        reached = sum(run.final_loss < spec.tol for run in column)
        ax.set_title(f"{reached} of {len(column)} seeds reach loss < {spec.tol:g}")
    else:
        ax.set_title("training loss")


def _span(curves) -> tuple[float, float]:
    values = np.concatenate([np.ravel(c) for c in curves])
    values = values[np.isfinite(values)]
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    pad = 0.05 * (high - low) or 1.0
    return low - pad, high + pad


def _draw(figure: Figure, runs, spec: FitSpec, level: FitLevel, animated: bool = False) -> None:
    """The still figure; `animated` sets the fit's and the units' y-limits to hold every frame."""
    columns = _columns(runs, spec)
    axes = figure.subplots(3, len(columns), squeeze=False)
    for index, column in enumerate(columns):
        run = column[0]
        fit_ax, unit_ax, loss_ax = axes[:, index]
        _draw_fit(fit_ax, run)
        fit_ax.set_title(_column_title(run, level))
        _legend(fit_ax, level)
        _draw_units(unit_ax, run, level)
        unit_ax.set_title(f"{len(run.units)} hidden units" if level.title_lines > 1 else "units")
        _legend(unit_ax, level)
        _draw_loss(loss_ax, column, spec, level)
        _legend(loss_ax, level)
        if animated:
            fit_ax.set_ylim(*_span([run.target] + [f[1] for f in run.frames]))
            unit_ax.set_ylim(*_span([f[2] for f in run.frames] + [run.weights["b2"]]))
    if spec.title:
        figure.suptitle(spec.title, fontsize=13 * level.scale)


def build_fit_figure(runs: Sequence, spec: FitSpec, animated: bool = False) -> Figure:
    rows, columns = fit_grid_shape(spec)
    smallest = (MIN_PANEL_SIZE[0] * columns, MIN_PANEL_SIZE[1] * rows)
    return fitted_figure(lambda fig, level: _draw(fig, runs, spec, level, animated),
                         fit_size(spec), (rows, columns), smallest, spec.dpi)


def save_animation(runs: Sequence, spec: FitSpec, path: str) -> None:
    """A GIF of training: each frame moves the fit and the units to that step's weights, and a
    marker along the loss; the layout is the still figure's, found once."""
    from PIL import Image

    figure = build_fit_figure(runs, spec, animated=True)
    scale = getattr(figure, "_actplot_scale", 1.0)
    columns = _columns(runs, spec)
    axes = np.array(figure.axes[: 3 * len(columns)]).reshape(3, len(columns))
    moving = []
    for index, column in enumerate(columns):
        run = column[0]
        fit_line = [line for line in axes[0, index].get_lines() if line.get_label() == "network"][0]
        unit_lines = axes[1, index].get_lines()[: len(run.units)]
        for collection in axes[1, index].collections:  # kinks move with the units: not drawn
            collection.set_visible(False)
        marker = axes[2, index].axvline(1, color="0.2", lw=1.0)
        moving.append((run, fit_line, unit_lines, marker))
    images = []
    canvas = figure.canvas
    with house_style(scale):
        figure.set_layout_engine("none")  # keep the still figure's layout in every frame
        # blitting: the still parts are drawn once, and each frame draws only the moving lines
        for _, fit_line, unit_lines, marker in moving:
            for artist in (fit_line, *unit_lines, marker):
                artist.set_animated(True)
        canvas.draw()
        background = canvas.copy_from_bbox(figure.bbox)
        width, height = canvas.get_width_height()
        for frame in range(len(columns[0][0].frames)):
            canvas.restore_region(background)
            for run, fit_line, unit_lines, marker in moving:
                step, output, units = run.frames[frame]
                fit_line.set_ydata(output)
                for line, contribution in zip(unit_lines, units):
                    line.set_ydata(contribution)
                marker.set_xdata([max(step, 1)] * 2)
                for artist in (*unit_lines, fit_line, marker):
                    artist.axes.draw_artist(artist)
            images.append(Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(),
                                           "raw", "RGBA", 0, 1).convert("RGB"))
    figure.clear()
    # one palette for all frames, from the first (the colours are the figure's own, throughout):
    # mapping to a given palette is far cheaper than an adaptive palette per frame
    palette = images[0].quantize(colors=256, dither=Image.Dither.NONE)
    frames = [palette] + [image.quantize(palette=palette, dither=Image.Dither.NONE)
                          for image in images[1:]]
    frames[0].save(path, format="GIF", save_all=True, append_images=frames[1:], duration=100,
                   loop=0)


def fit_json(runs: Sequence) -> str:
    """{"fits": [...]}, a record per run; a loss that diverged to inf or NaN is null."""

    def finite(value):
        if isinstance(value, float):
            return value if math.isfinite(value) else None
        if isinstance(value, list):
            return [finite(v) for v in value]
        if isinstance(value, dict):
            return {k: finite(v) for k, v in value.items()}
        return value

    return json.dumps({"fits": [finite(run.record()) for run in runs]}, allow_nan=False,
                      separators=(",", ":")) + "\n"

