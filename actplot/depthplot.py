"""Figures of `actplot depth`: a column per function (and swept value), rows for the forward
signal (pre-activations per layer against the length map), the backward gradients (against the
product of chi) and the correlation of an input pair (against the c-map); and the phase diagram
of chi_1 over (sigma_w^2, sigma_b^2). matplotlib, no torch: it draws DepthRun and PhaseRun data."""

from __future__ import annotations

import json
import math
from typing import Sequence

import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from .render import FitLevel, _fmt, _legend, figure_title, fitted_figure, palette
from .spec import MIN_PANEL_SIZE, DepthSpec, depth_grid_shape, depth_size

MEASURED = "#0072B2"
THEORY = "#D55E00"
REGIME_WORDS = {"ordered": "ordered: gradients vanish", "chaotic": "chaotic: gradients explode",
                "critical": "critical", "diverging": "q diverges", "undefined": "no fixed point"}


def _column_title(run, level: FitLevel) -> str:
    name = run.function + "".join(f", {k} = {_fmt(v)}" for k, v in run.swept.items())
    t = run.theory
    first = f"{name}: {REGIME_WORDS[t.regime]}"
    numbers = [f"\u03c3_w\u00b2 = {_fmt(round(run.s_w, 4))}"]
    if t.chi1 is not None:
        numbers.append(f"\u03c7\u2081 = {t.chi1:.3g}")
    if t.depth_scale is not None:
        numbers.append("\u03be = \u221e" if math.isinf(t.depth_scale) else
                       f"\u03be = {t.depth_scale:.3g}")
    return "\n".join([first, ", ".join(numbers)][: max(1, min(level.title_lines, 2))])


def _spans_decades(*arrays) -> bool:
    values = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays])
    values = values[np.isfinite(values) & (values > 0)]
    return values.size > 0 and values.max() / values.min() > 100


def _band(record: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(np.array([np.nan if v is None else v for v in record[k]], dtype=float)
                 for k in ("median", "p05", "p95"))


def _theory(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _draw_column(axes, run, spec: DepthSpec, level: FitLevel) -> None:
    forward, backward, correlation = axes
    record = run.record(spec)
    layers = np.arange(spec.layers + 1)
    width = 1.6 * max(level.scale, 0.7)
    # forward: the spread of h^2 over units, inputs and seeds, and q against the length map
    squares = run.measured.squares
    with np.errstate(all="ignore"):
        low, high = np.nanpercentile(np.where(np.isfinite(squares), squares, np.nan), [5, 95], 1)
    forward.fill_between(layers, low, high, color=MEASURED, alpha=0.18, lw=0,
                         label="h\u00b2, 5\u201395%")
    median, p05, p95 = _band(record["q"])
    forward.plot(layers, median, color=MEASURED, lw=width, marker="o", ms=3 * level.scale,
                 label="q measured")
    forward.plot(layers, _theory(record["q_theory"]), color=THEORY, lw=width, ls=(0, (4, 2)),
                 label="q, mean field")
    if _spans_decades(low, high, median):
        forward.set_yscale("log")
    forward.set_ylabel("pre-activation\u00b2")
    # backward: the gradient's norm relative to the last layer's
    median, p05, p95 = _band(record["grad"])
    backward.fill_between(layers, p05, p95, color=MEASURED, alpha=0.18, lw=0,
                          label="5\u201395% of seeds")
    backward.plot(layers, median, color=MEASURED, lw=width, marker="o", ms=3 * level.scale,
                  label="measured")
    backward.plot(layers, _theory(record["grad_theory"]), color=THEORY, lw=width,
                  ls=(0, (4, 2)), label="mean field")
    if _spans_decades(p05, p95, median, _theory(record["grad_theory"])):
        backward.set_yscale("log")
    backward.set_ylabel("|\u2202\u2113/\u2202h\u02e1| / |\u2202\u2113/\u2202h\u1d38|")
    # the pair's correlation against the c-map
    median, p05, p95 = _band(record["c"])
    correlation.fill_between(layers, p05, p95, color=MEASURED, alpha=0.18, lw=0)
    correlation.plot(layers, median, color=MEASURED, lw=width, marker="o", ms=3 * level.scale,
                     label="measured")
    correlation.plot(layers, _theory(record["c_theory"]), color=THEORY, lw=width,
                     ls=(0, (4, 2)), label="c-map")
    correlation.set_ylabel("correlation c")
    for ax in axes:
        ax.set_xlim(0, spec.layers)
        ax.set_xlabel("layer")
        ax.grid(True, color=palette().grid, lw=0.6)
        if run.measured.overflow is not None:
            ax.axvline(run.measured.overflow, color="0.3", lw=1.0, ls=":",
                       label=f"float overflow from layer {run.measured.overflow}")
        _legend(ax, level)
    forward.set_title(_column_title(run, level))
    backward.set_title("backward: gradients" if level.title_lines > 1 else "gradients")
    correlation.set_title("an input pair's correlation" if level.title_lines > 1
                          else "correlation")


def build_depth_figure(runs: Sequence, spec: DepthSpec) -> Figure:
    rows, columns = depth_grid_shape(spec)
    smallest = (MIN_PANEL_SIZE[0] * columns, MIN_PANEL_SIZE[1] * rows)

    def draw(figure: Figure, level: FitLevel) -> None:
        axes = figure.subplots(3, columns, squeeze=False)
        for index, run in enumerate(runs):
            _draw_column(axes[:, index], run, spec, level)
        if spec.title:
            figure_title(figure, spec.title, level)

    return fitted_figure(draw, depth_size(spec), (rows, columns), smallest, spec.dpi,
                         given_size=spec.size is not None)


def build_phase_figure(runs: Sequence, spec: DepthSpec) -> Figure:
    rows, columns = depth_grid_shape(spec)
    smallest = (MIN_PANEL_SIZE[0] * columns + 0.6, MIN_PANEL_SIZE[1] + 0.4)
    finite = np.concatenate([r.chi1[np.isfinite(r.chi1)] for r in runs] or [np.ones(1)])
    low, high = float(min(finite.min(), 0.999)), float(max(finite.max(), 1.001))
    norm = TwoSlopeNorm(vcenter=1.0, vmin=low, vmax=high)

    def draw(figure: Figure, level: FitLevel) -> None:
        import matplotlib

        axes = figure.subplots(1, columns, squeeze=False)[0]
        colors = matplotlib.colormaps["RdBu_r"].with_extremes(bad="0.8")
        mesh = None
        for ax, run in zip(axes, runs):
            mesh = ax.pcolormesh(run.s_w, run.s_b, np.ma.masked_invalid(run.chi1), cmap=colors,
                                 norm=norm, shading="nearest", rasterized=True)
            if run.critical_line:
                line = np.array(run.critical_line)
                ax.plot(line[:, 1], line[:, 0], color="black", lw=1.6 * level.scale,
                        label="critical line (\u03c7\u2081 = 1)")
            ax.plot([run.chosen[0]], [run.chosen[1]], marker="*", ms=11 * level.scale,
                    color="black", mfc="white", ls="none",
                    label=f"{spec.init_name}: \u03c3_w\u00b2 = {_fmt(round(run.chosen[0], 4))}")
            ax.set_xlim(run.s_w[0], run.s_w[-1])
            ax.set_ylim(run.s_b[0], run.s_b[-1])
            ax.set_xlabel("\u03c3_w\u00b2")
            ax.set_ylabel("\u03c3_b\u00b2")
            name = run.function + "".join(f", {k} = {_fmt(v)}" for k, v in run.params.items()
                                          if k in dict(spec.sweeps.get(run.function, ())))
            note = ("critical line drawn" if run.critical_line else
                    "no critical line in this window")
            grey = " (grey: q diverges)" if np.isnan(run.chi1).any() else ""
            ax.set_title(f"{name}: \u03c7\u2081\n{note}{grey}" if level.title_lines > 1
                         else f"{name}: {note}")
            _legend(ax, level)
        figure.colorbar(mesh, ax=list(axes), label="\u03c7\u2081 (< 1 ordered, > 1 chaotic)")
        if spec.title:
            figure_title(figure, spec.title, level)

    return fitted_figure(draw, depth_size(spec), (rows, columns), smallest, spec.dpi,
                         given_size=spec.size is not None)


def depth_json(runs: Sequence, spec: DepthSpec) -> str:
    from .output import finite_values

    key = "phase" if spec.phase else "depth"
    records = [r.record() if spec.phase else r.record(spec) for r in runs]
    return json.dumps({key: finite_values(records)}, allow_nan=False,
                      separators=(",", ":")) + "\n"
