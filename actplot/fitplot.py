"""Figures of `actplot fit`: a column per activation, rows for the fit, the hidden units' broken
lines (as seed 002 draws them) and the loss; and the animation of training. matplotlib, no torch:
it draws FitRun data."""

from __future__ import annotations

import json
import math
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

from .render import (FitLevel, _legend, figure_title, fitted_figure, house_style, look_of,
                     palette, param_label, shown_name, tr)
from .spec import MIN_PANEL_SIZE, FitSpec, fit_grid_shape, fit_size



PRE_ACTIVATION = "w\u2081\u1d62x + b\u1d62"
DEAD_COLOR = "#CC79A7"  # runs that ended with a dead unit, in the loss panel


def _column_title(run, level: FitLevel, seeds: int, loss: float, r2: float, dead: int) -> str:
    """The function (and swept values), the seed drawn when there are several, and the numbers of
    the network drawn: the final ones in a still figure, each step's in an animation."""
    # the name a figure shows (an import's own name, not its file's path), cut to fit a panel
    name = shown_name(run.function) + "".join(
        f", {param_label(run.function, k, v)}" for k, v in run.swept.items())
    if seeds > 1:
        name += f" (seed {run.seed})"
    numbers = f"loss {loss:.2e}, R\u00b2 {r2:.4f}, {dead} dead unit{'s' * (dead != 1)}"
    return "\n".join([name, numbers][: max(1, min(level.title_lines, 2))])


def _columns(runs, spec: FitSpec) -> list[list]:
    """The runs of each function and sweep value, in order, seed by seed."""
    per = len(spec.seeds)
    return [runs[i:i + per] for i in range(0, len(runs), per)]


def shown_seed_index(columns: list[list], spec: FitSpec) -> int:
    """The seed drawn in the top rows: --seed's, else the one on which the columns differ most
    (in dead units, then in final loss), so that a figure of relu against leaky_relu shows a run
    where relu lost a unit rather than one where both are alike. Ties go to the first seed."""
    if spec.shown_seed is not None:
        return spec.seeds.index(spec.shown_seed)

    def contrast(index: int) -> tuple[int, float]:
        dead = [column[index].dead_units for column in columns]
        losses = [math.log10(max(column[index].final_loss, 1e-300)) for column in columns]
        finite = [v for v in losses if math.isfinite(v)]
        return (max(dead) - min(dead),
                round(max(finite) - min(finite), 6) if len(finite) > 1 else 0.0)

    return max(range(len(spec.seeds)), key=lambda i: (contrast(i), -i))


def _draw_fit(ax, run, step_output=None) -> list:
    ax.plot(run.plot_x, run.target, color=palette().marker, ls=(0, (4, 2)), lw=1.5,
            label=tr("target"))
    (line,) = ax.plot(run.plot_x, run.output if step_output is None else step_output,
                      color=palette().order[0], label=tr("network"))
    ax.set_xlim(run.plot_x[0], run.plot_x[-1])
    ax.grid(True, color=palette().grid, lw=0.6)
    return [line]


def _look_of_fit(ax, spec: FitSpec) -> None:
    """The panel options, as a plot's function panels take them: labels, y limits and scale."""
    ax.set_xlabel(spec.xlabel if spec.xlabel is not None else "x")
    ax.set_ylabel(spec.ylabel if spec.ylabel is not None else "y")
    if spec.yscale != "linear":
        ax.set_yscale(spec.yscale, **({"linthresh": 1e-3} if spec.yscale == "symlog" else {}))
    if spec.ylim is not None:
        ax.set_ylim(*spec.ylim)


def _set_title(ax, spec: FitSpec, text: str) -> None:
    if spec.panel_titles != "none":
        ax.set_title(text.split("\n")[0] if spec.panel_titles == "short" else text)


def kink_points(plot_x: np.ndarray, units: np.ndarray, unit_kinks: list) -> np.ndarray:
    """(n, 2): each unit's kinks on its own contribution curve."""
    points = [(x0, float(np.interp(x0, plot_x, units[i])))
              for i, xs in enumerate(unit_kinks) for x0 in xs]
    return np.array(points, dtype=float).reshape(-1, 2)


def _draw_units(ax, run, level: FitLevel, pre_activations: bool = False):
    """Each unit's contribution w2_i f(w1_i x + b1_i), with the activation's kinks marked, the
    output bias, and (pre_activations) the straight lines w1_i x + b1_i that the activation bends.
    Returns the unit lines, the kink markers and the bias line, which an animation moves."""
    lines = []
    colors = palette().compose
    for i, contribution in enumerate(run.units):
        (line,) = ax.plot(run.plot_x, contribution, color=colors[i % len(colors)],
                          lw=1.6 * max(level.scale, 0.7))
        lines.append(line)
    straight = []
    if pre_activations:
        for i, (w, b) in enumerate(zip(run.weights["w1"], run.weights["b1"])):
            straight += ax.plot(run.plot_x, w * run.plot_x + b, color=colors[i % len(colors)],
                                lw=0.8 * max(level.scale, 0.7), ls=(0, (3, 2)), alpha=0.8,
                                label=PRE_ACTIVATION if i == 0 else "_pre-activation")
    kinks = ax.scatter(*kink_points(run.plot_x, run.units, run.unit_kinks).T,
                       s=30 * level.scale, facecolors=palette().hollow,
                       edgecolors=palette().marker, linewidths=1.2 * level.scale, zorder=5,
                       clip_on=False, label=tr("kink"))
    if not any(run.unit_kinks) and not run.frames:
        kinks.set_label(None)  # nothing to mark: no legend entry
    bias = ax.axhline(run.weights["b2"][0], color=palette().asymptote, lw=1.0, ls="--",
                      label=tr("output bias"))
    ax.set_xlim(run.plot_x[0], run.plot_x[-1])
    ax.set_xlabel("x")
    ax.set_ylabel("w\u2082\u1d62 f(w\u2081\u1d62x + b\u1d62)")
    ax.grid(True, color=palette().grid, lw=0.6)
    return lines, straight, kinks, bias


def _draw_loss(ax, column, shown_index: int, spec: FitSpec, level: FitLevel) -> None:
    """The shown seed's loss, and every other seed's: grey where all units stayed alive, pink
    where the run ended with a dead unit, so the stuck runs stand out."""
    steps = np.arange(1, spec.steps + 1)
    labelled = set()
    for index, run in enumerate(column):
        if index == shown_index:
            continue
        dead = run.dead_units > 0
        label = tr("runs with a dead unit" if dead else "other seeds")
        ax.plot(steps, np.maximum(run.loss, 1e-300), color=DEAD_COLOR if dead else palette().faint,
                lw=0.8, label=None if label in labelled else label)
        labelled.add(label)
    shown = column[shown_index]
    ax.plot(steps, np.maximum(shown.loss, 1e-300), color=palette().order[1],
            lw=1.8 * max(level.scale, 0.7), label=f"seed {shown.seed}")
    ax.axhline(spec.tol, color=palette().note, lw=1.0, ls=":", label=f"tol {spec.tol:g}")
    ax.set_yscale("log")
    ax.set_xlim(1, max(spec.steps, 2))
    ax.set_xlabel(tr("step"))
    ax.set_ylabel(tr("loss (MSE)"))
    ax.grid(True, color=palette().grid, lw=0.6)
    if len(column) > 1:
        reached = sum(run.final_loss < spec.tol for run in column)
        dead = sum(run.dead_units > 0 for run in column)
        lines = [f"{reached} of {len(column)} seeds reach loss < {spec.tol:g}",
                 f"{dead} of {len(column)} lose a unit"]
        _set_title(ax, spec, "\n".join(lines) if level.title_lines > 1 else "; ".join(lines))
    else:
        _set_title(ax, spec, tr("training loss"))


def _span(curves) -> tuple[float, float]:
    values = np.concatenate([np.ravel(c) for c in curves])
    values = values[np.isfinite(values)]
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    pad = 0.05 * (high - low) or 1.0
    return low - pad, high + pad


def _draw(figure: Figure, runs, spec: FitSpec, level: FitLevel, animated: bool = False) -> None:
    """The still figure; `animated` sets the fit's and the units' y-limits to hold every frame."""
    columns = _columns(runs, spec)
    shown = shown_seed_index(columns, spec)
    axes = figure.subplots(3, len(columns), squeeze=False)
    for index, column in enumerate(columns):
        run = column[shown]
        fit_ax, unit_ax, loss_ax = axes[:, index]
        _draw_fit(fit_ax, run)
        _set_title(fit_ax, spec, _column_title(run, level, len(spec.seeds), run.final_loss,
                                               run.r2, run.dead_units))
        _legend(fit_ax, level, spec)
        _draw_units(unit_ax, run, level, spec.pre_activations)
        _set_title(unit_ax, spec, f"{len(run.units)} {tr('hidden units')}"
                   if level.title_lines > 1 else tr("units"))
        _legend(unit_ax, level, spec)
        _draw_loss(loss_ax, column, shown, spec, level)
        _legend(loss_ax, level, spec)
        if animated:
            fit_ax.set_ylim(*_span([run.target] + [f.output for f in run.frames]))
            straight = ([np.outer(f.weights["w1"], run.plot_x) + f.weights["b1"][:, None]
                         for f in run.frames] if spec.pre_activations else [])
            unit_ax.set_ylim(*_span([f.units for f in run.frames] + straight
                                    + [[f.bias for f in run.frames]]))
        _look_of_fit(fit_ax, spec)
    if spec.title:
        figure_title(figure, spec.title, level)


def build_fit_figure(runs: Sequence, spec: FitSpec, animated: bool = False) -> Figure:
    rows, columns = fit_grid_shape(spec)
    smallest = (MIN_PANEL_SIZE[0] * columns, MIN_PANEL_SIZE[1] * rows)
    return fitted_figure(lambda fig, level: _draw(fig, runs, spec, level, animated),
                         fit_size(spec), (rows, columns), smallest, spec.dpi,
                         look=look_of(spec), given_size=spec.size is not None)


def animation_frames(runs: Sequence, spec: FitSpec):
    """The animation's figure, then the same figure once per frame, with the fit, the units, their
    kinks, the output bias, the loss marker and the title moved to that step. Only the moving
    artists are redrawn over the still parts (blitting); the layout is the still figure's."""
    figure = build_fit_figure(runs, spec, animated=True)
    scale = getattr(figure, "_actplot_scale", 1.0)
    columns = _columns(runs, spec)
    shown = shown_seed_index(columns, spec)
    axes = np.array(figure.axes[: 3 * len(columns)]).reshape(3, len(columns))
    moving = []
    for index, column in enumerate(columns):
        run = column[shown]
        fit_ax, unit_ax, loss_ax = axes[:, index]
        fit_line = [line for line in fit_ax.get_lines() if line.get_label() == "network"][0]
        unit_lines = unit_ax.get_lines()[: len(run.units)]
        kinks = [c for c in unit_ax.collections if c.get_label() == "kink"][0]
        straight = [line for line in unit_ax.get_lines()
                    if line.get_label() in (PRE_ACTIVATION, "_pre-activation")]
        bias = [line for line in unit_ax.get_lines() if line.get_label() == "output bias"][0]
        marker = loss_ax.axvline(1, color="0.2", lw=1.0)
        title = fit_ax.title
        moving.append((run, fit_line, unit_lines, straight, kinks, bias, marker, title))
    level = FitLevel(scale, 2 if "\n" in moving[0][-1].get_text() else 1, None)
    titled = spec.panel_titles != "none"
    artists = [a for _, fit_line, unit_lines, straight, *rest in moving
               for a in (fit_line, *unit_lines, *straight, *rest)]
    with house_style(scale, figure._actplot_look):
        figure.set_layout_engine("none")  # keep the still figure's layout in every frame
        for artist in artists:
            artist.set_animated(True)
        yield figure
        for frame in range(len(columns[0][0].frames)):
            for run, fit_line, unit_lines, straight, kinks, bias, marker, title in moving:
                state = run.frames[frame]
                fit_line.set_ydata(state.output)
                for line, contribution in zip(unit_lines, state.units):
                    line.set_ydata(contribution)
                for line, w, b in zip(straight, state.weights["w1"], state.weights["b1"]):
                    line.set_ydata(w * run.plot_x + b)
                kinks.set_offsets(kink_points(run.plot_x, state.units, state.unit_kinks))
                bias.set_ydata([state.bias] * 2)
                marker.set_xdata([max(state.step, 1)] * 2)
                if titled:
                    title.set_text(_column_title(run, level, len(spec.seeds), state.loss,
                                                 state.r2, state.dead_units))
            yield figure


def save_animation(runs: Sequence, spec: FitSpec, path) -> None:
    """A GIF of training, a frame per snapshot (see animation_frames), at 10 frames a second."""
    from .animation import write_gif

    write_gif(_frame_images(runs, spec), path, fps=FIT_FPS)


FIT_FPS = 10


def _frame_images(runs: Sequence, spec: FitSpec):
    """Each frame as an RGB image: the still parts drawn once, the moving artists blitted over."""
    from PIL import Image

    from .render import whole_pixels

    frames = animation_frames(runs, spec)
    figure = next(frames)
    canvas = figure.canvas
    with whole_pixels(figure):
        canvas.draw()
        background = canvas.copy_from_bbox(figure.bbox)
        width, height = canvas.get_width_height()
        for figure in frames:
            canvas.restore_region(background)
            for artist in _animated_artists(figure):
                artist.axes.draw_artist(artist)
            yield Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(),
                                   "raw", "RGBA", 0, 1).convert("RGB")
    figure.clear()


def _animated_artists(figure: Figure) -> list:
    found = []
    for ax in figure.axes:
        found += [a for a in ax.get_children() if a.get_animated()]
    return found


def fit_json(runs: Sequence) -> str:
    """{"fits": [...]}, a record per run; a loss that diverged to inf or NaN is null."""
    from .output import finite_values

    return json.dumps({"fits": [finite_values(run.record()) for run in runs]}, allow_nan=False,
                      separators=(",", ":")) + "\n"

