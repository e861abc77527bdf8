"""matplotlib: figures, layout and deterministic files. No torch here: it draws Series."""

from __future__ import annotations

import io
import os
from typing import Sequence

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import SymLogNorm
from matplotlib.figure import Figure

from .errors import SpecError
from .registry import REGISTRY
from .spec import FigureSpec, Series

# Okabe-Ito: distinct for the common forms of colour blindness.
ORDER_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
COMPOSE_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
                  "#F0E442")
MARKER_COLOR = "#000000"
PANEL_SIZE = (4.4, 3.3)  # inches per panel: readable when a figure is put on a slide

STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.titlesize": 11,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 9,
    "lines.linewidth": 2.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "actplot",  # fixed ids: same input, same SVG bytes
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
}
# Plain text with Unicode primes: each mathtext string costs about 12 ms to parse, so mathtext
# is kept for the formulas.
ORDER_LABELS = ("f(x)", "f\u2032(x)", "f\u2033(x)", "f\u2034(x)")
ORDER_NAMES = ("forward", "first derivative", "second derivative", "third derivative")


class ActplotFigure(Figure):
    """A matplotlib Figure that shows itself inline in Jupyter."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        with matplotlib.rc_context(STYLE):
            self.savefig(buffer, format="png", metadata={"Software": None})
        return buffer.getvalue()


def _fmt(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def params_text(function: str, params: dict) -> str:
    entry = REGISTRY[function]
    shown = []
    for p in entry.params:
        if p.name == "seed" and not params.get("training"):
            continue
        symbol = f" (${p.symbol}$)" if p.symbol else ""
        shown.append(f"{p.name}{symbol} = {_fmt(params[p.name])}")
    lines, line = [], ""
    for item in shown:  # wrap: constrained layout cannot shrink a title wider than its panel
        if line and len(line) + len(item) > 38:
            lines.append(line + ",")
            line = item
        else:
            line = f"{line}, {item}" if line else item
    return "\n".join([*lines, line]) if line else ""


def _panel_title(series: Series, order: int, composed: bool) -> str:
    entry = REGISTRY[series.function]
    name = series.function + (" composed K times" if composed else "")
    if order == 0:
        lines = [f"{name}: forward", f"$f(x) = {entry.formula_for(series.params)}$"]
        text = params_text(series.function, series.params)
        if text:
            lines.append(text)
        return "\n".join(lines)
    kind = "Jacobian diagonal " if entry.vector else ""
    return f"{name}: {ORDER_NAMES[order]}\n{kind}{ORDER_LABELS[order]} by autograd"


def _broken(x: np.ndarray, y: np.ndarray, breaks: Sequence[float]) -> np.ndarray:
    """y with NaN at each break, so the line stops there instead of bridging a jump or kink."""
    y = np.array(y, dtype=float)
    for x0 in breaks:
        index = int(np.argmin(np.abs(x - x0)))
        y[index] = np.nan
    return y


def _mark_breakpoints(ax, series: Series, order: int) -> None:
    """Hollow circles at one-sided values, as the seeds draw them; one legend entry per meaning."""
    hollow = dict(marker="o", s=42, facecolors="white", edgecolors=MARKER_COLOR, linewidths=1.4,
                  zorder=5, clip_on=False)
    labels = set()

    def label(text: str) -> str | None:
        if text in labels:
            return None
        labels.add(text)
        return text

    for b in series.breakpoints:
        at = int(np.argmin(np.abs(series.x - b.x)))
        if order == 0 and b.is_jump:
            ax.scatter([b.x, b.x], [b.left_value, b.right_value], label=label("one-sided limits"),
                       **hollow)
            ax.scatter([b.x], [series.y[at]], s=30, color=MARKER_COLOR, zorder=6,
                       label=label("value at the jump"))
        elif order == 0:
            ax.scatter([b.x], [series.y[at]], label=label("kink: no derivative"), **hollow)
        elif order == 1:
            slopes = [s for s in (b.left_slope, b.right_slope) if np.isfinite(s)]
            ax.scatter([b.x] * len(slopes), slopes, label=label("one-sided derivatives"), **hollow)


def _random_band(ax, series: Series, order: int, color: str) -> bool:
    band = REGISTRY[series.function].random_slope(series.params)
    if band is None or order > 1:
        return False
    lower, upper = band
    x = series.x
    negative = x <= 0
    values = series.y if order == 0 else series.derivatives[0]
    if order == 0:
        ax.fill_between(x[negative], upper * x[negative], lower * x[negative], color=color,
                        alpha=0.18, lw=0, label=f"slope band [{lower:.3g}, {upper:.3g}]")
    else:
        ax.fill_between(x[negative], upper, lower, color=color, alpha=0.18, lw=0,
                        label=f"band [{lower:.3g}, {upper:.3g}]")
    ax.scatter(x, values, s=4, color=color, lw=0, label="random slope per point")
    return True


def _draw_curve(ax, series: Series, order: int, color: str, label: str | None) -> None:
    values = series.y if order == 0 else series.derivatives[order - 1]
    breaks = [b.x for b in series.breakpoints if b.is_jump or order > 0]
    if order > 1 and series.compose in (None, 1):  # where a higher derivative jumps (softsign at 0)
        breaks += REGISTRY[series.function].other_breaks(series.params)
    if _random_band(ax, series, order, color):
        return
    ax.plot(series.x, _broken(series.x, values, breaks), color=color, label=label)


def _pad_flat(ax, members: Sequence[Series], order: int) -> None:
    """A constant curve gets y-limits of +-1 around it rather than matplotlib's +-0.05."""
    values = np.concatenate([m.y if order == 0 else m.derivatives[order - 1] for m in members])
    values = values[np.isfinite(values)]
    if values.size and values.min() == values.max():
        ax.set_ylim(values.min() - 1, values.max() + 1)


def _style_axes(ax, spec: FigureSpec, order: int) -> None:
    low, high = spec.range
    ax.set_xlim(low, high)
    ax.axhline(0, color="0.35", lw=0.8, zorder=0.5)
    if low < 0 < high:
        ax.axvline(0, color="0.35", lw=0.8, zorder=0.5)
    ax.grid(True, color="0.85", lw=0.6)
    ax.set_xlabel("x")
    ax.set_ylabel(ORDER_LABELS[order])


def _draw_jacobian(fig, ax, series: Series, spec: FigureSpec) -> None:
    low, high = spec.range
    matrix = series.jacobian
    bound = float(np.max(np.abs(matrix))) or 1.0
    # symmetric log: softmax's large entries sit in one corner, and a linear scale hides the rest
    norm = SymLogNorm(linthresh=bound * 1e-4, vmin=-bound, vmax=bound, base=10)
    image = ax.imshow(matrix, cmap="RdBu_r", norm=norm, aspect="auto",
                      extent=(low, high, high, low), interpolation="nearest")
    bar = fig.colorbar(image, ax=ax, shrink=0.9)
    bar.set_ticks([-bound, -bound * 1e-2, 0, bound * 1e-2, bound])
    bar.ax.yaxis.set_major_formatter("{x:.2g}")
    ax.set_title(f"{series.function}: Jacobian\n$\\partial y_i / \\partial x_j$ by autograd")
    ax.set_xlabel("$x_j$")
    ax.set_ylabel("$x_i$")


def build_figure(series: Sequence[Series], spec: FigureSpec, figure: Figure | None = None) -> Figure:
    """One row per function; columns f, f', f'', f''' up to spec.order, then the Jacobian."""
    with matplotlib.rc_context(STYLE):
        rows = list(dict.fromkeys(s.function for s in series))
        columns = spec.order + 1 + (1 if spec.jacobian else 0)
        width, height = spec.size or (PANEL_SIZE[0] * columns, PANEL_SIZE[1] * len(rows) + 0.4)
        if figure is None:
            figure = ActplotFigure(figsize=(width, height), dpi=spec.dpi, layout="constrained")
            FigureCanvasAgg(figure)  # draws off screen; only pyplot (--show) opens windows
        else:
            figure.set_size_inches(width, height)
            figure.set_layout_engine("constrained")
        axes = figure.subplots(len(rows), columns, squeeze=False, sharex="row")
        for row, function in enumerate(rows):
            members = [s for s in series if s.function == function]
            composed = members[0].compose is not None
            entry = REGISTRY[function]
            for order in range(spec.order + 1):
                ax = axes[row][order]
                _style_axes(ax, spec, order)
                ax.set_title(_panel_title(members[0], order, composed))
                if order in members[0].missing:
                    ax.text(0.5, 0.5, members[0].missing[order], transform=ax.transAxes,
                            ha="center", va="center", color="0.3")
                    ax.set_yticks([])
                    continue
                for index, member in enumerate(members):
                    color = COMPOSE_COLORS[index % len(COMPOSE_COLORS)] if composed else ORDER_COLORS[order]
                    _draw_curve(ax, member, order, color, f"K = {member.compose}" if composed else None)
                if not composed:
                    _mark_breakpoints(ax, members[0], order)
                if order == 0:
                    for index, level in enumerate(entry.asymptotes(members[0].params)):
                        ax.axhline(level, color="0.45", lw=1.0, ls="--", zorder=1,
                                   label=None if index else "asymptote")
                if order == 1 and entry.derivative_note:
                    ax.text(0.03, 0.95, entry.derivative_note, transform=ax.transAxes, fontsize=9,
                            style="italic", color="0.25", va="top")
                _pad_flat(ax, members, order)
                if ax.get_legend_handles_labels()[0]:
                    ax.legend(loc="best" if len(members[0].x) <= 5000 else "upper left",
                              frameon=True, framealpha=0.85)
            if spec.jacobian:
                _draw_jacobian(figure, axes[row][-1], members[0], spec)
        if spec.title:
            _check_mathtext(spec.title)
            figure.suptitle(spec.title, fontsize=13)
        return figure


def _check_mathtext(text: str) -> None:
    if text.count("$") < 2:
        return
    from matplotlib.mathtext import MathTextParser

    try:
        MathTextParser("path").parse(text)
    except ValueError as error:
        raise SpecError("title", f"{text!r} is not valid mathtext: "
                                 f"{str(error).splitlines()[-1].strip()}") from None


def save_metadata(fmt: str) -> dict:
    """No dates unless SOURCE_DATE_EPOCH asks for one (matplotlib then uses it); no versions."""
    dated = "SOURCE_DATE_EPOCH" in os.environ
    if fmt == "png":
        return {"Software": None}
    if fmt == "svg":
        return {} if dated else {"Date": None}
    if fmt == "pdf":
        meta = {"Creator": None, "Producer": None}
        if not dated:
            meta["CreationDate"] = None
        return meta
    return {}


def save_figure(figure: Figure, path: str, fmt: str) -> None:
    with matplotlib.rc_context(STYLE):
        figure.savefig(path, format=fmt, metadata=save_metadata(fmt))
