"""matplotlib: figures, layout and deterministic files. No torch here: it draws Series."""

from __future__ import annotations

import contextlib
import gc
import io
import os
import re
import textwrap
import warnings
from dataclasses import dataclass, replace
from typing import Sequence

import matplotlib
import numpy as np
from matplotlib import cbook, ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import SymLogNorm
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from . import functions, i18n, layout, themes
from .errors import ComputeError, SpecError
from .curves import _breaks, _values, curve_data, one_sided_samples  # noqa: F401  (shared)
from .spec import (PANEL_SIZE, FigureSpec, Series, figure_size, function_cell, grid_shape,
                   MAX_LEGEND_CURVES, RASTER_FORMATS, is_many_numbers, minimum_size, overlay_legend_columns,
                   panels_per_function)

# Each depth also gets its own dashes and a thinner line than the one before, so curves that
# coincide (relu is the same for every K) stay visible under one another, in grey scale too.
COMPOSE_DASHES = ("-", (0, (6, 2)), (0, (3, 2)), (0, (1, 1.5)), (0, (6, 2, 1, 2)),
                  (0, (3, 1, 1, 1, 1, 1)), (0, (10, 3)), (0, (1, 3)))

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
    "ps.fonttype": 42,  # EPS text stays text that a journal's tools can read
}
FONT_KEYS = ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
             "legend.fontsize")
# Plain text with Unicode primes: each mathtext string costs about 12 ms to parse, so mathtext
# is kept for the formulas.
ORDER_LABELS = ("f(x)", "f\u2032(x)", "f\u2033(x)", "f\u2034(x)")
ORDER_NAMES = ("forward", "first derivative", "second derivative", "third derivative")

_BASE_RC: dict | None = None


# Keys that a style may not set (matplotlib's STYLE_BLACKLIST, private): they choose the backend
# and the like, never what a figure looks like. Importing matplotlib.style would load pyplot.
_NOT_STYLE = {"interactive", "backend", "webagg.port", "webagg.address", "webagg.port_retries",
              "webagg.open_in_browser", "backend_fallback", "toolbar", "timezone",
              "figure.max_open_warning", "figure.raise_window", "savefig.directory",
              "tk.window_focus", "docstring.hardcopy", "date.epoch"}


def _base_rc() -> dict:
    """matplotlib's own defaults, which no matplotlibrc or style changes."""
    global _BASE_RC
    if _BASE_RC is None:
        _BASE_RC = {k: v for k, v in dict.items(matplotlib.rcParamsDefault) if k not in _NOT_STYLE}
    return _BASE_RC


@dataclass(frozen=True)
class Look:
    """What a figure looks like beyond its data: a theme, a style sheet on top, a language, and
    whether its text needs a CJK font."""

    theme: str = "default"
    style: str | None = None
    lang: str = "en"
    cjk: bool = False
    svg_text: bool = False

    @property
    def palette(self) -> themes.Palette:
        palette = themes.theme(self.theme).palette
        cycle = _style_settings(self.style).get("axes.prop_cycle")
        colors = tuple(cycle.by_key().get("color", ())) if cycle is not None else ()
        if colors:  # a style's colour cycle colours the curves, as its author meant
            palette = replace(palette, order=(colors * 4)[:4], compose=colors)
        return palette


_LOOK = Look()
_STYLES: dict[str | None, dict] = {}


def _style_settings(style: str | None) -> dict:
    if style not in _STYLES:
        _STYLES[style] = {k: v for k, v in themes.style_rc(style).items() if k not in _NOT_STYLE}
    return _STYLES[style]


def look_of(spec, series: Sequence[Series] = ()) -> Look:
    """The look that a spec (a plot's or a fit's) asks for; CJK is needed for Chinese labels or
    any CJK text."""
    texts = [spec.title, spec.xlabel, spec.ylabel,
             *(functions.label(s.function) for s in series), *(spec.functions or ())]
    cjk = spec.lang == "zh" or i18n.has_cjk(*texts)
    return Look(spec.theme, spec.style, spec.lang, cjk, spec.svg_text)


def palette() -> themes.Palette:
    return _LOOK.palette


def tr(text: str) -> str:
    return i18n.tr(text, _LOOK.lang)


@contextlib.contextmanager
def house_style(scale: float = 1.0, look: Look | None = None):
    """matplotlib's defaults, actplot's STYLE, the theme and the style sheet asked for, with type
    scaled by `scale`: the user's matplotlibrc (a black background, usetex, savefig.bbox) never
    reaches actplot's figures or bytes."""
    global _LOOK
    look = look or _LOOK
    theme = themes.theme(look.theme)
    rc = {**_base_rc(), **STYLE, **theme.rc, **_style_settings(look.style)}
    for key in FONT_KEYS:
        rc[key] = _points(rc[key], rc["font.size"]) * scale
    rc["lines.linewidth"] = float(rc["lines.linewidth"]) * max(scale, 0.7)
    if look.svg_text:  # text as <text> elements, to edit; paths (the default) look the same anywhere
        rc["svg.fonttype"] = "none"
    if look.cjk:
        font = i18n.cjk_font()
        if font is not None:  # matplotlib falls back to it for the glyphs DejaVu Sans lacks
            rc["font.family"] = [*_families(rc["font.family"]), font]
    saved, _LOOK = _LOOK, look
    try:
        with matplotlib.rc_context(rc), warnings.catch_warnings():
            if look.cjk and i18n.cjk_font() is None:  # said once, in one line (build_figure)
                warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            yield
    finally:
        _LOOK = saved


def _families(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _points(size, base) -> float:
    """A font size in points: a number, or a name such as 'large' (relative to font.size)."""
    if isinstance(size, str):
        from matplotlib.font_manager import font_scalings

        return font_scalings.get(size, 1.0) * float(base)
    return float(size)


@dataclass(frozen=True)
class FitLevel:
    """How much a figure gives up to fit its size: type scale, title lines, legend labels."""

    scale: float
    title_lines: int
    legend: str | None  # "full", "short" or None (no legend)


# Tried in turn until everything fits; spec.MIN_PANEL_SIZE was measured with the last one.
FIT_LEVELS = (
    FitLevel(1.0, 3, "full"),
    FitLevel(0.85, 3, "full"),
    FitLevel(0.75, 2, "short"),
    FitLevel(0.65, 2, "short"),
    FitLevel(0.6, 1, "short"),
    FitLevel(0.55, 1, None),
)
SHORT_LABELS = {
    "kink: no derivative": "kink",
    "kink: no derivative (detected)": "kink (detected)",
    "one-sided limits": "one-sided",
    "one-sided limits (detected)": "one-sided (detected)",
    "one-sided derivatives": "one-sided",
    "one-sided derivatives (detected)": "one-sided (detected)",
    "value at the jump": "value",
    "random slope per point": "random",
}
# A plotting area must keep this share of its panel's cell: titles and labels shrink before the
# curves do (8 rows on a page get smaller type, not 0.4-inch plots under 3-line titles).
MIN_AXES_SHARE = 0.4
# The layout is found at the output's resolution, but never below this one: text measured at 10
# dpi rounds to whole pixels far larger than its size. (At the output's own, text measured for the
# layout is measured once for the file too: matplotlib caches it by dpi.)
LAYOUT_DPI = 100
MAX_LAYOUT_DPI = 200  # above it a layout-time renderer would cost memory and time for nothing


def _layout_dpi(dpi: int) -> int:
    return min(max(dpi, LAYOUT_DPI), MAX_LAYOUT_DPI)


HIDPI = 2  # a notebook's PNG is drawn at twice its pixels, as matplotlib's inline 'retina'


class ActplotFigure(Figure):
    """A matplotlib Figure that shows itself inline in Jupyter."""

    def _repr_png_(self):
        """Twice the figure's pixels, shown at its size: crisp on a HiDPI (retina) screen."""
        dpi = self.dpi
        self.set_dpi(dpi * HIDPI)
        try:
            buffer = io.BytesIO()
            save_figure(self, buffer, "png")
        finally:
            self.set_dpi(dpi)
        png = buffer.getvalue()
        width, height = (int.from_bytes(png[at:at + 4], "big") for at in (16, 20))  # IHDR
        return png, {"width": width / HIDPI, "height": height / HIDPI}

    def _repr_svg_(self) -> str:
        buffer = io.BytesIO()
        save_figure(self, buffer, "svg")
        return buffer.getvalue().decode()


def _fmt(value) -> str:
    """Numbers for people: 0.3333 rather than 0.333333."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def params_text(function: str, params: dict) -> str:
    """The parameters as a title line, wrapped; those not in `params` (swept) are left out."""
    entry = functions.entry(function)
    shown = []
    for p in entry.params:
        if p.name not in params or p.name == "seed" and not params.get("training"):
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


NAME_LENGTH = 40  # characters of a name in a title or legend; an expression's text runs longer


def shown_name(function: str) -> str:
    """The name a figure shows, cut short with an ellipsis: a 499-character expression would
    make a title that no panel holds (the formula line below it still says what f is)."""
    name = functions.label(function)
    return name if len(name) <= NAME_LENGTH else name[:NAME_LENGTH - 1] + "\u2026"


def formula_line(members: Sequence[Series]) -> str:
    """f(x) = ..., once; where a sweep's values fall on different branches of the formula
    (soft_exponential's alpha < 0, = 0, > 0), each branch with the values that take it."""
    entry = functions.entry(members[0].function)
    branches: dict[str, list[str]] = {}
    for member in members:
        values = ", ".join(_fmt(v) for v in member.swept.values())
        branches.setdefault(entry.formula_for(member.params), []).append(values)
    if entry.source.startswith("plugin "):  # someone else's mathtext: checked before drawing
        for formula in branches:
            try:
                check_mathtext(f"${formula}$", "functions")
            except SpecError as error:
                raise ComputeError(f"{entry.name} ({entry.source}): its formula {error.message}"
                                   ) from None
    if len(branches) == 1:
        return f"$f(x) = {next(iter(branches))}$"
    names = ", ".join(f"${p.symbol}$" if p.symbol else p.name
                      for p in entry.params if p.name in members[0].swept)
    return "; ".join(f"${formula}$ ({names} = {' / '.join(values)})"
                     for formula, values in branches.items())


# Parameters that change how a module runs, never what it computes: no title names them.
MODULE_FLAGS = frozenset({"inplace"})
# An imported function's formula is its own name, f(x) = h_swish(x): a title says nothing by it.
NAME_ONLY_FORMULA = re.compile(r"\\mathrm\{[^{}]*\}\(x\)")


def shown_params(series: Series, swept: bool) -> dict:
    """The parameters a plain title names: those set away from their defaults (swept ones are in
    the legend instead), never a module flag, and a training seed only when training."""
    entry = functions.entry(series.function)
    defaults = entry.defaults()
    return {p.name: series.params[p.name] for p in entry.params
            if p.name in series.params and p.name not in MODULE_FLAGS
            and not (swept and p.name in series.swept)
            and series.params[p.name] != defaults.get(p.name)
            and not (p.name == "seed" and not series.params.get("training"))}


def param_label(function: str, name: str, value) -> str:
    """One parameter as a figure shows it: its formula's symbol where it has one ($\\alpha$ = 0.1),
    else its name."""
    return f"{param_symbol(function, name)} = {_fmt(value)}"


def _plain_title_lines(series: Series, composed: bool, swept: bool,
                       members: Sequence[Series], lines_kept: int) -> list[str]:
    """What a paper prints over a function's panel: its name (with the parameters set), then its
    formula unless the formula is only the name again."""
    name = shown_name(series.function) + (f" {tr('composed K times')}" if composed else "")
    shown = shown_params(series, swept) if lines_kept > 1 else {}
    if shown:
        name += " (" + ", ".join(param_label(series.function, k, v) for k, v in shown.items()) + ")"
    formula = formula_line(members or [series])
    if NAME_ONLY_FORMULA.fullmatch(formula[len("$f(x) = "):-1]):
        return [name]
    return [name, formula]


def _panel_title(series: Series, order: int, composed: bool, lines_kept: int = 3,
                 swept: bool = False, members: Sequence[Series] = (), full: bool = False) -> str:
    """A panel's title. Plain (the default), the function's panel has its name and formula and a
    derivative's panel as many lines, so that the titles of a row line up; full adds the tool's
    words and every parameter (--panel-titles full)."""
    entry = functions.entry(series.function)
    if not full:
        lines = _plain_title_lines(series, composed, swept, members, lines_kept)
        if order:
            kind = tr("Jacobian diagonal") + " " if entry.vector else ""
            lines = [tr(ORDER_NAMES[order]), kind + ORDER_LABELS[order]][-len(lines):]
        return "\n".join(lines[:lines_kept])
    name = shown_name(series.function) + (f" {tr('composed K times')}" if composed else "")
    if order == 0:
        lines = [f"{name}: {tr('forward')}", formula_line(members or [series])]
        shown = {k: v for k, v in series.params.items() if k not in series.swept}
        text = params_text(series.function, shown if swept else series.params)
        if text:
            lines.append(text)
    else:
        kind = tr("Jacobian diagonal") + " " if entry.vector else ""
        lines = [f"{name}: {tr(ORDER_NAMES[order])}",
                 f"{kind}{ORDER_LABELS[order]} {tr('by autograd')}"]
    return "\n".join(lines[:lines_kept])


def _mark_breakpoints(ax, series: Series, order: int, scale: float = 1.0,
                      color: str | None = None, labelled: bool = True) -> None:
    """Hollow circles at one-sided values, as the seeds draw them; one legend entry per meaning.
    At an end of the range only the side inside it is drawn. Hollow means the panel's own
    background inside, so that they stay hollow on a dark theme."""
    color = color or palette().marker
    size = themes.theme(_LOOK.theme).marker_scale
    hollow = dict(marker="o", s=42 * scale * size, facecolors=palette().hollow, edgecolors=color,
                  linewidths=1.4 * scale * size ** 0.5, zorder=5, clip_on=False)
    labels = set()
    low, high = series.x[0], series.x[-1]

    def label(text: str) -> str | None:
        if text in labels or not labelled:
            return None
        labels.add(text)
        return tr(text)

    def inside(left, right, x0) -> list[float]:
        return [v for v, keep in ((left, x0 > low), (right, x0 < high)) if keep and np.isfinite(v)]

    for b in series.breakpoints:
        at = int(np.argmin(np.abs(series.x - b.x)))
        found = " (detected)" if b.detected else ""  # measured, not declared: say so
        if order == 0 and b.is_jump:
            limits = inside(b.left_value, b.right_value, b.x)
            ax.scatter([b.x] * len(limits), limits, label=label("one-sided limits" + found),
                       **hollow)
            ax.scatter([b.x], [series.y[at]], s=30 * scale * size, color=color, zorder=6,
                       clip_on=False, label=label("value at the jump"))
        elif order == 0:
            ax.scatter([b.x], [series.y[at]], label=label("kink: no derivative" + found), **hollow)
        elif order == 1:
            slopes = inside(b.left_slope, b.right_slope, b.x)
            ax.scatter([b.x] * len(slopes), slopes, label=label("one-sided derivatives" + found),
                       **hollow)
    if order > 1:  # higher derivatives jump at kinks and smooth breaks (elu's f'' at 0): marked alike
        values = _values(series, order)
        for x0 in sorted(set(_breaks(series, order))):
            limits = inside(*one_sided_samples(series.x, values, x0), x0)
            ax.scatter([x0] * len(limits), limits, label=label("one-sided derivatives"), **hollow)


def _random_band(ax, series: Series, order: int, color: str) -> bool:
    band = functions.entry(series.function).random_slope(series.params)
    if band is None or order > 1:
        return False
    lower, upper = band
    x = series.x
    negative = x <= 0
    values = _values(series, order)
    if order == 0:
        ax.fill_between(x[negative], upper * x[negative], lower * x[negative], color=color,
                        alpha=0.18, lw=0, label=f"slope band [{lower:.3g}, {upper:.3g}]")
    else:
        ax.fill_between(x[negative], upper, lower, color=color, alpha=0.18, lw=0,
                        label=f"band [{lower:.3g}, {upper:.3g}]")
    ax.scatter(x, values, s=4, color=color, lw=0, label=tr("random slope per point"))
    return True


DRAWN_COLUMNS = 8192  # a panel is never wider than this many pixels (MAX_MEGAPIXELS)


def decimated(x: np.ndarray, y: np.ndarray, columns: int = DRAWN_COLUMNS):
    """The samples that a line of `columns` pixels can show: in each column the first, the
    lowest, the highest and the last (so every extreme and every step is drawn as the full data
    would draw it), and every NaN with its two neighbours (so every break, at a jump, a pole or a
    domain end, stays where it is). The full data stays for JSON and CSV; a million points per
    curve would cost matplotlib gigabytes for nothing."""
    if len(x) <= 4 * columns:
        return x, y
    column = np.minimum(((x - x[0]) / (x[-1] - x[0]) * columns).astype(np.int64), columns - 1)
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    ends = np.r_[starts[1:], len(x)] - 1
    finite = np.where(np.isnan(y), np.inf, y)
    lowest = np.minimum.reduceat(finite, starts)
    highest = np.maximum.reduceat(np.where(np.isnan(y), -np.inf, y), starts)
    keep = np.zeros(len(x), dtype=bool)
    keep[starts] = keep[ends] = True
    # the index of each column's extreme: the first sample equal to it within its column
    order = np.arange(len(x))
    for extreme in (lowest, highest):
        hits = (y == np.repeat(extreme, ends - starts + 1))
        first = np.minimum.reduceat(np.where(hits, order, len(x)), starts)
        keep[first[first < len(x)]] = True
    gaps = np.flatnonzero(np.isnan(y))
    keep[gaps] = True
    keep[np.clip(gaps - 1, 0, len(x) - 1)] = keep[np.clip(gaps + 1, 0, len(x) - 1)] = True
    return x[keep], y[keep]


def _draw_curve(ax, series: Series, order: int, color: str | None = None, label: str | None = None,
                **style) -> None:
    color = color or palette().order[order]
    if _random_band(ax, series, order, color):
        return
    ax.plot(*decimated(*curve_data(series, order)), color=color, label=label, **style)


def _pad_flat(ax, members: Sequence[Series], order: int) -> None:
    """A constant curve gets y-limits of +-1 around it (10% of a large value) rather than
    matplotlib's +-0.05, which is singular for a large constant."""
    values = np.concatenate([_values(m, order) for m in members])
    values = values[np.isfinite(values)]
    if values.size and values.min() == values.max():
        pad = max(1.0, abs(float(values[0])) * 0.1)
        ax.set_ylim(values[0] - pad, values[0] + pad)


POLE_MARGIN = 0.02  # of the range: beside a pole the curve leaves the panel, unframed


def _frame_singularities(ax, members: Sequence[Series], orders: Sequence[int]) -> None:
    """Where a curve runs to a pole, at an end of its domain (soft_exponential, alpha < 0) or
    inside it (1/(x - 0.3)), the panel is framed on the rest of it, as on paper: the curve leaves
    the panel there rather than squashing everything else flat. A pole inside the domain gets a
    dashed vertical asymptote."""
    kept, framed, poles = [], False, set()
    for member in members:
        span = member.x[-1] - member.x[0]
        near = np.zeros(member.x.shape, dtype=bool)
        for end in functions.entry(member.function).domain(member.params):
            if member.x[0] < end < member.x[-1]:
                framed = True
                near |= np.abs(member.x - end) <= POLE_MARGIN * span
        for pole in member.poles:
            framed = True
            poles.add(pole)
            near |= np.abs(member.x - pole) <= POLE_MARGIN * span
        for order in orders:
            values = _values(member, order)
            if values is not None:
                kept.append(values[np.isfinite(values) & ~near])
    for index, pole in enumerate(sorted(poles)):
        ax.axvline(pole, color=palette().asymptote, lw=1.0, ls="--", zorder=1,
                   label=None if index else tr("pole"))
    values = np.concatenate(kept) if kept else np.array([])
    if framed and values.size:
        low, high = float(values.min()), float(values.max())
        pad = 0.05 * (high - low) or 1.0
        ax.set_ylim(low - pad, high + pad)


SUPERSCRIPTS = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076"
                                           "\u2077\u2078\u2079")


class TimesTenFormatter(ticker.ScalarFormatter):
    """matplotlib's tick labels, with the scale above the axis written as on paper (\u00d710\u2076),
    not as "1e6", and without mathtext, which would cost every tick label a parse."""

    def get_offset(self) -> str:
        # matplotlib writes a scale as "1e6" and an offset after it as "+1e3" or "-2.5e-4"
        return SCIENTIFIC.sub(_times_ten, super().get_offset())


SCIENTIFIC = re.compile("(^|[+\u2212-])([0-9.]+)e([\u2212-]?[0-9]+)")


def _times_ten(match: re.Match) -> str:
    sign, mantissa, exponent = match.groups()
    power = "10" + exponent.replace("\u2212", "-").translate(SUPERSCRIPTS)
    if not sign and mantissa == "1":  # the scale: x10^6
        return "\u00d7" + power
    return f"{sign}{'' if mantissa == '1' else mantissa + chr(0xd7)}{power}"


def _style_axes(ax, spec: FigureSpec, order: int) -> None:
    low, high = spec.range
    ax.set_xlim(low, high)
    ax.xaxis.set_major_formatter(TimesTenFormatter())
    ax.yaxis.set_major_formatter(TimesTenFormatter())
    colors, lines = palette(), themes.theme(_LOOK.theme).line_scale
    ax.axhline(0, color=colors.zero_line, lw=0.8 * lines, zorder=0.5)
    if low < 0 < high:
        ax.axvline(0, color=colors.zero_line, lw=0.8 * lines, zorder=0.5)
    ax.grid(True, color=colors.grid, lw=0.6 * lines)
    ax.set_xlabel(spec.xlabel if spec.xlabel is not None else "x")
    ax.set_ylabel(spec.ylabel if spec.ylabel is not None and order == 0 else ORDER_LABELS[order])


def symlog_threshold(values: np.ndarray) -> float:
    """The linear part of a symlog axis: a power of ten at or below the smallest nonzero |value|,
    so no curve crosses the seam between linear and logarithmic except on its way through 0 (a
    fixed 1e-3 drew sigmoid composed 8 times, whose f' is about 1e-5, flat on 0, and gave depth 4
    two false kinks where it crossed 1e-3)."""
    magnitudes = np.abs(values[np.isfinite(values)])
    magnitudes = magnitudes[magnitudes > 0]
    if not magnitudes.size:
        return 1.0
    return float(10.0 ** np.floor(np.log10(magnitudes.min())))


def _finish_axes(ax, spec: FigureSpec, key: tuple | None = None) -> None:
    """After the curves: the y scale (set once there is data, so a log axis has something to
    scale) and the y limits asked for, or an animation's limits for this panel (`key`)."""
    if spec.yscale in ("symlog", "log"):
        drawn = [np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()]
        drawn = [v for v in drawn if v.size > 2]  # not the zero axis or an asymptote
        values = np.concatenate(drawn) if drawn else np.array([])
        finite = values[np.isfinite(values)]
        if spec.yscale == "symlog":
            ax.set_yscale("symlog", linthresh=symlog_threshold(values))
        elif (finite > 0).any():
            ax.set_yscale("log", nonpositive="mask")
        if spec.yscale == "log" and (finite <= 0).any():
            panel = layout.panel_name(ax)
            warnings.warn(f"--yscale log: {panel} has values <= 0, which a log axis cannot show, "
                          "so they are left out; --yscale symlog shows them", UserWarning,
                          stacklevel=2)
    elif _integral(ax):  # a step's 0 and 1, not 0.0, 0.2, ..., 1.0
        ax.yaxis.set_major_locator(ticker.MaxNLocator(
            "auto", steps=[1, 2, 2.5, 5, 10], integer=True, min_n_ticks=2))
    if spec.frame_ylims and key in spec.frame_ylims:
        ax.set_ylim(*spec.frame_ylims[key])
    if spec.ylim is not None:
        ax.set_ylim(*spec.ylim)


def _integral(ax) -> bool:
    """Whether every value the panel's curves draw is a whole number (and there are some)."""
    drawn = [np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()]
    values = np.concatenate([v for v in drawn if v.size > 2] or [np.array([])])
    values = values[np.isfinite(values)]
    return bool(values.size) and bool(np.all(values == np.round(values)))


def _title(ax, spec: FigureSpec, text: str) -> None:
    """The panel's title, full, its first line only, or none (--panel-titles)."""
    if spec.panel_titles == "none":
        return
    # y given: matplotlib then skips re-placing the title above top tick labels (there are none),
    # which measured every tick of the panel again at each draw
    # bottom, not matplotlib's baseline: what hangs below the last line (softmax's Sigma_j
    # under its fraction) then stays above the axes instead of crossing the top gridline
    ax.set_title(text.split("\n")[0] if spec.panel_titles == "short" else text, y=1.0,
                 va="bottom")


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
    ax.set_title(f"{shown_name(series.function)}: Jacobian\n$\\partial y_i / \\partial x_j$ by autograd")
    ax.set_xlabel("$x_j$")
    ax.set_ylabel("$x_i$")


def build_figure(series: Sequence[Series], spec: FigureSpec, figure: Figure | None = None) -> Figure:
    """One row per function and a column per order, then the Jacobian (or the overlay and
    combined layouts).

    It is drawn at the first of FIT_LEVELS at which every title, label, tick label and legend
    fits inside the figure and no title runs into a neighbour; a size that no level fits is a
    SpecError that says what would."""
    check_texts(spec)
    look = look_of(spec, series)
    if look.cjk and i18n.cjk_font() is None:
        warnings.warn(i18n.CJK_HINT, UserWarning, stacklevel=2)
    return fitted_figure(lambda fig, level: _draw_panels(fig, series, spec, level),
                         figure_size(spec), grid_shape(spec), minimum_size(spec), spec.dpi, figure,
                         look, given_size=spec.size is not None)


def fitted_figure(draw, size: tuple[float, float], shape: tuple[int, int],
                  smallest: tuple[float, float], dpi: int, figure: Figure | None = None,
                  look: Look | None = None, given_size: bool = True) -> Figure:
    """A figure of `size` inches, drawn by draw(figure, level) at the first level that fits."""
    width, height = size
    look = look or Look()
    with house_style(look=look):  # the figure reads its colours from rcParams when it is made
        if figure is None:
            figure = ActplotFigure(figsize=(width, height), dpi=_layout_dpi(dpi))
            FigureCanvasAgg(figure)  # draws off screen; only pyplot (--show) opens windows
        else:
            figure.set_size_inches(width, height)
            figure.set_dpi(_layout_dpi(dpi))
            figure.set_facecolor(matplotlib.rcParams["figure.facecolor"])
            figure.set_edgecolor(matplotlib.rcParams["figure.edgecolor"])
    theme = themes.theme(look.theme)
    for level in _levels_to_try(shape, width, height, theme.smallest_scale, theme.panel_size,
                                theme.levels):
        figure.clear()
        with house_style(level.scale, look):
            figure.set_layout_engine("constrained")  # colour bars are made for it
            figure._actplot_dropped_legend = False
            draw(figure, level)
            problems = _lay_out(figure)
            if not problems:
                if figure._actplot_dropped_legend:
                    warnings.warn("the legend was left out: at this size it would cover the "
                                  "panels; give a larger --size, or --legend none to say so",
                                  UserWarning, stacklevel=3)
                figure._actplot_scale = level.scale  # ticks made while saving need the same type
                figure._actplot_look = look
                figure.set_dpi(dpi)
                return figure
    advice = (f"--size {max(width, smallest[0]) * 1.25:.3g} "
              f"{max(height, smallest[1]) * 1.25:.3g}")
    if not given_size:
        raise SpecError("functions", f"these panels do not fit legibly in the default "
                                     f"{width:g} x {height:g} inches; give a larger size, such "
                                     f"as {advice}, or fewer functions a figure")
    raise SpecError("size", f"{width:g} x {height:g} inches cannot hold these panels legibly; "
                            f"try {advice}")


def _lay_out(figure: Figure) -> list[str]:
    """Place the panels, then the legends; what does not fit (empty when all is well)."""
    problems = layout.place(figure, MIN_AXES_SHARE)
    if problems is None:  # not a plain grid: constrained layout, and a full check
        problems = misfits(figure)
        if not problems and layout.place_legends(figure):
            problems = misfits(figure)
        return problems
    if not problems and layout.place_legends(figure):
        problems = layout.place(figure, MIN_AXES_SHARE)
    return problems


def _levels_to_try(shape: tuple[int, int], width: float, height: float,
                   smallest_scale: float = 0.0, panel: tuple[float, float] = PANEL_SIZE,
                   own: tuple | None = None) -> tuple[FitLevel, ...]:
    """FIT_LEVELS from the first that panels of this size could hold (each try is a full
    layout, and eight rows on a page would otherwise fail the first two), down to the smallest
    type that the theme allows (paper stays legible in print)."""
    rows, columns = shape
    ratio = min(width / columns / panel[0], height / rows / panel[1])
    candidates = tuple(FitLevel(*level) for level in own) if own else FIT_LEVELS
    first = next((i for i, level in enumerate(candidates) if level.scale <= ratio + 0.35),
                 len(candidates) - 1)
    levels = [level for level in candidates[first:] if level.scale >= smallest_scale]
    return tuple(levels or candidates[-1:])


def _draw_panels(figure: Figure, series: Sequence[Series], spec: FigureSpec, level: FitLevel) -> None:
    {"overlay": _draw_overlay, "combined": _draw_combined}.get(spec.layout, _draw_rows)(
        figure, series, spec, level)
    if spec.title:
        figure_title(figure, spec.title, level)


TITLE_POINTS = 13  # a figure's title at full size; smaller levels scale it
SMALLEST_TITLE_POINTS = 6


def figure_title(figure: Figure, text: str, level: FitLevel) -> None:
    """The figure's title, wrapped at spaces to the figure's width (a formula in $...$ is never
    split), and set smaller where one word alone is wider than the figure."""
    size = TITLE_POINTS * level.scale
    renderer = figure.canvas.get_renderer()
    room = figure.bbox.width - 2 * layout.EDGE - 2.0

    def width(line: str, points: float) -> float:
        return layout.text_size(line, points, renderer)[0]

    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in _title_words(paragraph):
            trial = f"{line} {word}" if line else word
            if line and width(trial, size) > room:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    lines = [piece for line in lines for piece in _hard_wrapped(line, width(line, size), room)]
    widest = max(width(line, size) for line in lines)
    if widest > room:
        size *= room / widest
        if size < SMALLEST_TITLE_POINTS:
            inches = figure.get_size_inches()[0]
            raise SpecError("title", f"the title's formula is too wide for a {inches:.3g}-inch "
                                     "figure even in small type; shorten it, break it over "
                                     "lines (a newline between two $...$), or give a wider --size")
    figure.suptitle("\n".join(lines), fontsize=size)


def _hard_wrapped(line: str, width: float, room: float) -> list[str]:
    """A line with no formula that is wider than the room, cut into pieces that fit (one
    300-letter word); a formula cannot be cut, so its line is shrunk instead."""
    if width <= room or "$" in line:
        return [line]
    step = max(int(len(line) * room / width * 0.95), 1)
    return [line[i:i + step] for i in range(0, len(line), step)]


def _title_words(text: str) -> list[str]:
    """Words split at spaces, each $...$ formula kept as one word."""
    words, current, in_formula = [], "", False
    for char in text:
        if char == "$" and not current.endswith("\\"):
            in_formula = not in_formula
        if char == " " and not in_formula:
            if current:
                words.append(current)
            current = ""
        else:
            current += char
    if current:
        words.append(current)
    return words


def _groups(series: Sequence[Series]) -> list[list[Series]]:
    """The series of each function, in order: its sweep combinations or compose depths."""
    functions = list(dict.fromkeys(s.function for s in series))
    return [[s for s in series if s.function == f] for f in functions]


def _draw_rows(figure: Figure, series: Sequence[Series], spec: FigureSpec, level: FitLevel) -> None:
    """A row per function, a column per order (then the Jacobian); past MAX_GRID_ROWS functions
    the rows wrap into blocks side by side."""
    groups = _groups(series)
    bars = []
    for panels, members in zip(_function_axes(figure, spec, len(groups)), groups):
        composed = members[0].compose is not None
        entry = functions.entry(members[0].function)
        styles, scale_bar = curve_styles(members, level)
        for order in range(spec.order + 1):
            ax = panels[order]
            ax._actplot_name = f"{shown_name(members[0].function)} {ORDER_LABELS[order]}"
            _style_axes(ax, spec, order)
            _title(ax, spec, _panel_title(members[0], order, composed, level.title_lines,
                                          members=members, swept=bool(members[0].swept),
                                          full=spec.panel_titles == "full"))
            if order in members[0].missing:
                ax.text(0.5, 0.5, _note(members[0].missing[order], level), transform=ax.transAxes,
                        ha="center", va="center", color=palette().note)
                ax.set_yticks([])
                continue
            for member, style in zip(members, styles):
                _draw_curve(ax, member, order, **style)
            _mark_members(ax, members, styles, order, level)
            if order == 0 and not composed and not members[0].swept:
                _asymptotes(ax, members[0])
            if order == 1 and entry.derivative_note:
                ax.text(0.03, 0.95, _note(entry.derivative_note, level, True), transform=ax.transAxes,
                        fontsize=_note_size(), style="italic", color=palette().note,
                        va="top")
            _pad_flat(ax, members, order)
            _frame_singularities(ax, members, [order])
            _finish_axes(ax, spec, (members[0].function, order))
            _legend(ax, level, spec)
        if spec.jacobian:
            _draw_jacobian(figure, panels[-1], members[0], spec)
        if scale_bar:
            bars.append((panels[: spec.order + 1], scale_bar))
    _colorbars(figure, bars)


def _function_axes(figure: Figure, spec: FigureSpec, count: int) -> list[list]:
    """Each function's panels, left to right, placed by spec.function_cell; cells that no
    function takes (the last block of a wrapped grid) are left empty."""
    rows, columns = grid_shape(spec)
    grid = figure.add_gridspec(rows, columns)
    per = panels_per_function(spec)
    axes = []
    for index in range(count):
        row, first = function_cell(spec, index)
        panels = [figure.add_subplot(grid[row, first + k]) for k in range(per)]
        for panel in panels[1:]:
            panel.sharex(panels[0])
        axes.append(panels)
    return axes


def _colorbars(figure: Figure, bars) -> None:
    """One colour bar for all the panels whose sweeps share a scale (the same values of the same
    parameter), rather than one a row."""
    shared: dict = {}
    for axes, (values, name) in bars:
        shared.setdefault((tuple(values), name), []).extend(axes)
    for (values, name), axes in shared.items():
        _colorbar(figure, axes, values, name)


def _draw_overlay(figure: Figure, series: Sequence[Series], spec: FigureSpec, level: FitLevel) -> None:
    """One panel per order, every function (and sweep value) a curve on it. One function's
    sweep is styled as in its own row (colour by the first parameter, dashes by the second);
    several functions get a colour and dashes each. Past MAX_INSIDE_LEGEND curves, one legend
    in columns beside the last panel names them all."""
    axes = figure.subplots(1, spec.order + 1, squeeze=False, sharex="row")[0]
    scale_bar = None
    if len(_groups(series)) == 1 and (series[0].swept or series[0].compose is not None):
        styles, scale_bar = curve_styles(series, level)
    else:
        colors = palette().compose
        several = len({s.function for s in series}) > 1
        styles = [dict(color=colors[i % len(colors)], ls=COMPOSE_DASHES[i % len(COMPOSE_DASHES)],
                       lw=_width(i, level),
                       label=_curve_label(s, with_function=several or not (s.swept or s.compose)))
                  for i, s in enumerate(series)]
    columns = overlay_legend_columns(spec)
    for order, ax in enumerate(axes):
        _style_axes(ax, spec, order)
        full = spec.panel_titles == "full"
        title = [tr(ORDER_NAMES[order] if order or full else "function"),
                 ORDER_LABELS[order] + (f" {tr('by autograd')}" if order and full else "")]
        _title(ax, spec, "\n".join(title[: min(level.title_lines, 2)]))
        notes = []
        for member, style in zip(series, styles):
            if order in member.missing:
                notes.append(member.missing[order].replace("\n", " "))
                continue
            _draw_curve(ax, member, order, **style)
            _mark_breakpoints(ax, member, order, level.scale, style["color"], labelled=False)
        if notes:
            ax.text(0.03, 0.95, _note("\n".join(notes), level), transform=ax.transAxes,
                    fontsize=_note_size(), color=palette().note, va="top")
        drawn = [m for m in series if order not in m.missing]
        if drawn:
            _pad_flat(ax, drawn, order)
            _frame_singularities(ax, drawn, [order])
        _finish_axes(ax, spec, (None, order))
        if not columns:
            _legend(ax, level, spec)
        elif order == spec.order:
            _legend(ax, level, spec, columns=columns)
    if scale_bar:
        _colorbars(figure, [(axes, scale_bar)])


def _drawn_orders(order: int) -> str:
    """What a combined panel shows, in words: more than one derivative is "its derivatives"."""
    return ("f(x)", "f(x) and f\u2032(x)", "f(x) and its derivatives",
            "f(x) and its derivatives")[order]


# the dashes of f and of its first, second and third derivative on combined axes
COMBINED_DASHES = ("-", (0, (6, 2)), (0, (6, 2, 1, 2)), (0, (1, 1.5)))


# With two swept parameters, colour and dashes are theirs: f is drawn full, its derivatives
# fainter and thinner (and paler each order).
ORDER_WEIGHTS = (dict(alpha=1.0), dict(alpha=0.6), dict(alpha=0.45), dict(alpha=0.35))


def _draw_combined(figure: Figure, series: Sequence[Series], spec: FigureSpec, level: FitLevel) -> None:
    """One panel per function with f and its derivatives on the same axes, as seed 003 draws
    them: a colour per order, or per sweep value with dashes per order."""
    groups = _groups(series)
    axes = [panels[0] for panels in _function_axes(figure, spec, len(groups))]
    bars = []
    for ax, members in zip(axes, groups):
        swept = bool(members[0].swept)
        two_swept = len(members[0].swept) > 1
        _style_axes(ax, spec, 0)
        ax.set_ylabel(spec.ylabel if spec.ylabel is not None else
                      ", ".join(ORDER_LABELS[: spec.order + 1]))
        full = spec.panel_titles == "full"
        lines = _panel_title(members[0], 0, False, level.title_lines, swept=swept,
                             members=members, full=full).split("\n")
        head = shown_name(members[0].function) if full else lines[0]
        lines[0] = f"{head}: {tr(_drawn_orders(spec.order))}"
        _title(ax, spec, "\n".join(lines))
        styles, scale_bar = curve_styles(members, level)
        notes = []
        for order in range(spec.order + 1):
            if order in members[0].missing:
                notes.append(members[0].missing[order].replace("\n", " "))
                continue
            for index, (member, style) in enumerate(zip(members, styles)):
                if two_swept:  # dashes tell the second parameter: the orders get weights
                    style = dict(style, **ORDER_WEIGHTS[order], lw=style["lw"] * (
                        1.0 if order == 0 else 0.6), label=style["label"] if order == 0 else None)
                elif swept:
                    style = dict(style, ls=COMBINED_DASHES[order],
                                 label=style["label"] if order == 0 else None)
                else:
                    style = dict(color=palette().order[order], ls=COMBINED_DASHES[order],
                                 lw=_width(order, level), label=ORDER_LABELS[order])
                _draw_curve(ax, member, order, **style)
                _mark_breakpoints(ax, member, order, level.scale, style["color"],
                                  labelled=not swept and index == 0)
        if swept:  # which dashes (or weights) are which order
            for order in range(spec.order + 1):
                if order not in members[0].missing:
                    look = ORDER_WEIGHTS[order] if two_swept else dict(ls=COMBINED_DASHES[order])
                    ax.plot([], [], color=palette().note, label=ORDER_LABELS[order], **{
                        "lw": 1.5 * level.scale * (1.0 if order == 0 or not two_swept else 0.6),
                        **look})
        if notes:
            ax.text(0.03, 0.95, _note("\n".join(notes), level), transform=ax.transAxes,
                    fontsize=_note_size(), color=palette().note, va="top")
        _frame_singularities(ax, members, [k for k in range(spec.order + 1)
                                         if k not in members[0].missing])
        _finish_axes(ax, spec, (members[0].function, None))
        _legend(ax, level, spec)
        if scale_bar:
            bars.append(([ax], scale_bar))
    _colorbars(figure, bars)



def _width(index: int, level: FitLevel) -> float:
    """Each curve a little thinner than the one before, so that coinciding curves stay visible."""
    lines = themes.theme(_LOOK.theme).line_scale
    return max(2.6 - 0.3 * index, 1.0) * max(level.scale, 0.7) * lines


def _note_size() -> float:
    """Notes are set as legends are (house_style has scaled both by the level)."""
    return _points(matplotlib.rcParams["legend.fontsize"], matplotlib.rcParams["font.size"])


def _curve_label(series: Series, with_function: bool = False) -> str:
    """A curve's legend entry: its swept values by their formula symbols ($\\alpha$ = 0.1); the
    function's name too where several functions share the panel."""
    parts = [param_label(series.function, name, value) for name, value in series.swept.items()]
    if series.compose is not None:
        parts.append(f"K = {series.compose}")
    if not with_function:
        return ", ".join(parts)
    return shown_name(series.function) + (f" ({', '.join(parts)})" if parts else "")


def param_symbol(function: str, name: str) -> str:
    symbol = next((p.symbol for p in functions.entry(function).params if p.name == name), "")
    return f"${symbol}$" if symbol else name


def curve_styles(members: Sequence[Series], level: FitLevel):
    """(styles, colour bar) for the curves of one function: its compose depths or sweep values.
    A style is colour, dashes, width and label. Colour follows the depth or the first swept
    parameter, dashes the second; with too many values for a legend, colour comes from a
    sequential scale and the colour bar is (values, name)."""
    if len(members) == 1 and not members[0].swept and members[0].compose is None:
        return [dict(color=None, label=None)], None
    if members[0].compose is not None:
        keys, name = [m.compose for m in members], "K (times composed)"
        many = len(members) > MAX_LEGEND_CURVES
    else:
        swept = next(iter(members[0].swept))
        name = param_symbol(members[0].function, swept)
        keys = [m.swept[swept] for m in members]
        many = is_many_numbers(keys)
    distinct = list(dict.fromkeys(keys))
    if many:
        norm = matplotlib.colors.Normalize(min(distinct), max(distinct))
        colors = [sweep_colormap()(norm(k)) for k in keys]
    else:
        cycle = palette().compose
        colors = [cycle[distinct.index(k) % len(cycle)] for k in keys]
    second = list(members[0].swept)[1:2]
    dash_keys = [m.swept[second[0]] for m in members] if second else list(range(len(members)))
    dash_values = list(dict.fromkeys(dash_keys))
    styles = []
    for index, (member, color) in enumerate(zip(members, colors)):
        dashes = COMPOSE_DASHES[dash_values.index(dash_keys[index]) % len(COMPOSE_DASHES)]
        styles.append(dict(color=color, ls=dashes, lw=_width(index, level),
                           label=None if many else _curve_label(member)))
    return styles, ((distinct, name) if many else None)


def _mark_members(ax, members: Sequence[Series], styles, order: int, level: FitLevel) -> None:
    """Breakpoint markers: the plain curve's in black; a sweep's in each curve's colour; a
    composition's at K = 1 only, as the plain figure has them."""
    if members[0].swept:
        for index, (member, style) in enumerate(zip(members, styles)):
            _mark_breakpoints(ax, member, order, level.scale, style["color"], labelled=index == 0)
        return
    plain = [m for m in members if m.compose in (None, 1)]
    if plain:
        _mark_breakpoints(ax, plain[0], order, level.scale)


def _asymptotes(ax, series: Series) -> None:
    # y = 0 is drawn as the axis line already; a dashed line under it would hide
    levels = [v for v in functions.entry(series.function).asymptotes(series.params) if v != 0]
    for index, value in enumerate(levels):
        ax.axhline(value, color=palette().asymptote, lw=1.0, ls="--", zorder=1,
                   label=None if index else tr("asymptote"))


def _colorbar(figure: Figure, axes, values, name: str) -> None:
    mappable = matplotlib.cm.ScalarMappable(
        matplotlib.colors.Normalize(min(values), max(values)), sweep_colormap())
    figure.colorbar(mappable, ax=list(axes), label=name, shrink=0.9)


_SWEEP_COLORMAPS: dict = {}
# WCAG 2.1's contrast for graphics: every curve of a sweep stands out from its panel this much
# (viridis's own yellow end is 1.26:1 on white, a hairline; its purple start 1.17:1 on dark)
MIN_CURVE_CONTRAST = 3.0


def sweep_colormap():
    """The part of viridis whose every colour has MIN_CURVE_CONTRAST against the panel's
    background: on white it stops at teal, on the dark theme it starts at blue."""
    background = matplotlib.colors.to_rgb(matplotlib.rcParams["axes.facecolor"])
    if background not in _SWEEP_COLORMAPS:
        viridis = matplotlib.colormaps["viridis"]
        steps = np.linspace(0.0, 1.0, 1001)
        visible = steps[[contrast(viridis(t), background) >= MIN_CURVE_CONTRAST for t in steps]]
        low, high = (visible[0], visible[-1]) if visible.size else (0.0, 1.0)
        _SWEEP_COLORMAPS[background] = matplotlib.colors.ListedColormap(
            viridis(np.linspace(low, high, 256)), name="actplot_sweep")
    return _SWEEP_COLORMAPS[background]


def contrast(color, background) -> float:
    """WCAG 2.1's contrast ratio of two sRGB colours, from 1 (none) to 21."""
    def luminance(rgb) -> float:
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(color), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _note(text: str, level: FitLevel, last_line_only: bool = False) -> str:
    """A note inside a panel; in a small panel wrapped narrow (and, where the first line only
    leads in, its last line alone)."""
    if level.title_lines == 3:
        return text
    lines = text.splitlines()
    return textwrap.fill(lines[-1] if last_line_only else " ".join(lines), 20)


def _legend(ax, level: FitLevel, spec: FigureSpec | None = None, columns: int = 0) -> None:
    """The panel's legend: inside, where layout.place_legends finds it covers no curve or
    marker (--legend best), beside the panel (outside, or in `columns` columns), or none. One
    that does not fit even the smallest type is left out, and build_figure says so."""
    handles, labels = ax.get_legend_handles_labels()
    mode = spec.legend if spec is not None else "best"
    if not handles or mode == "none":
        return
    if level.legend is None:
        ax.figure._actplot_dropped_legend = True
        return
    if level.legend == "short":
        short = {tr(k): tr(v) for k, v in SHORT_LABELS.items()}
        labels = [short.get(text, text) for text in labels]
    if mode == "outside" or columns:
        legend = ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                           borderaxespad=0.0, frameon=True, framealpha=0.85, ncols=max(columns, 1))
        legend._actplot_outside = True
        return
    legend = ax.legend(handles, labels, loc="upper left", frameon=True, framealpha=0.85)
    legend._actplot_best = True


def misfits(figure: Figure) -> list[str]:
    """What does not fit: texts outside the figure, titles running into other panels, legends
    and notes larger than their panel, panels collapsed by the layout. Empty when all is well."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.draw_without_rendering()
    problems = []
    for caught_warning in caught:
        if "constrained_layout not applied" in str(caught_warning.message):
            problems.append("the layout collapsed")
        else:  # not ours to judge (a glyph missing from the font): pass it on
            warnings.warn(caught_warning.message, caught_warning.category, stacklevel=2)
    renderer = figure.canvas.get_renderer()
    tolerance = 1.0  # pixels

    def outside(box, frame) -> bool:
        return (box.x0 < frame.x0 - tolerance or box.y0 < frame.y0 - tolerance
                or box.x1 > frame.x1 + tolerance or box.y1 > frame.y1 + tolerance)

    def overlap(a, b) -> bool:
        return (a.x0 < b.x1 - tolerance and b.x0 < a.x1 - tolerance
                and a.y0 < b.y1 - tolerance and b.y0 < a.y1 - tolerance)

    tight = {ax: ax.get_tightbbox(renderer) for ax in figure.axes}
    rows, columns = figure.axes[0].get_subplotspec().get_gridspec().get_geometry()
    smallest = (MIN_AXES_SHARE * figure.bbox.width / columns,
                MIN_AXES_SHARE * figure.bbox.height / rows)
    for ax in figure.axes:
        name = layout.panel_name(ax, "a colour bar")
        if tight[ax] is not None and outside(tight[ax], figure.bbox):
            problems.append(f"{name} reaches outside the figure")
        if ax.get_title():
            if ax.bbox.width < smallest[0] or ax.bbox.height < smallest[1]:
                problems.append(f"{name}: the plotting area is too small")
            title = ax.title.get_window_extent(renderer)
            for other in figure.axes:
                if other is not ax and tight[other] is not None and overlap(title, tight[other]):
                    problems.append(f"the title of {name} runs into a neighbour")
        legend = ax.get_legend()
        if legend is not None and outside(legend.get_window_extent(renderer), ax.bbox):
            problems.append(f"{name}: the legend is larger than the panel")
        for text in ax.texts:
            if outside(text.get_window_extent(renderer), ax.bbox):
                problems.append(f"{name}: a note is larger than the panel")
    suptitle = figure._suptitle
    if suptitle is not None and outside(suptitle.get_window_extent(renderer), figure.bbox):
        problems.append("the title is wider than the figure")
    return problems


def check_mathtext(text: str, field: str = "title") -> None:
    """SpecError (naming `field`) unless matplotlib can draw `text`. Text with an odd number of
    unescaped dollar signs is plain text to matplotlib ("cost in $ per unit"), so it is not
    parsed."""
    if not cbook.is_math_text(text):
        return
    from matplotlib.mathtext import MathTextParser

    try:
        MathTextParser("path").parse(text)
    except ValueError as error:
        raise SpecError(field, f"{text!r} is not valid mathtext: "
                               f"{str(error).strip().splitlines()[-1].strip()}") from None
    except RecursionError:
        raise SpecError(field, f"the {field}'s mathtext is nested too deeply to draw; "
                               "use fewer nested groups") from None


def check_texts(spec) -> None:
    """Every text of the user's that a figure (or a fit's figure) draws, checked before any work:
    the title, and a plot's x and y labels."""
    for field in ("title", "xlabel", "ylabel"):
        text = getattr(spec, field, None)
        if text:
            check_mathtext(text, field)


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


@contextlib.contextmanager
def whole_pixels(figure: Figure):
    """Within it, the figure is round(inches x dpi) pixels wide and high: Agg makes a canvas of
    int(inches x dpi) pixels, so 8.8 in at 72 dpi would be 633 pixels, not 634. The size moves by
    less than half a pixel, and only while a raster image is made (vector files keep the size)."""
    size = tuple(figure.get_size_inches())
    dpi = figure.dpi
    figure.set_size_inches(*((round(inches * dpi) + 1e-6) / dpi for inches in size), forward=False)
    try:
        yield
    finally:
        figure.set_size_inches(*size, forward=False)


def save_figure(figure: Figure, path, fmt: str) -> None:
    """Save under the house style, keeping the layout that build_figure found: the constrained
    layout is not run a second time."""
    with house_style(getattr(figure, "_actplot_scale", 1.0), getattr(figure, "_actplot_look", None)):
        if isinstance(figure.get_layout_engine(), ConstrainedLayoutEngine):
            # None rather than "none": savefig draws the figure once more, in vain, whenever
            # any layout engine (even the placeholder that "none" leaves) is set
            figure.set_layout_engine(None)
        # the figure's own dpi, never savefig's default 'figure', which means the dpi the figure
        # was created with (the layout's), not the one asked for
        with whole_pixels(figure) if fmt in RASTER_FORMATS else contextlib.nullcontext():
            if fmt == "eps":
                _save_eps(figure, path)
            else:
                options = PIL_OPTIONS.get(fmt) or dict(metadata=save_metadata(fmt))
                figure.savefig(path, format=fmt, dpi=figure.dpi, **options)


# Pillow's settings for the raster formats besides PNG: JPEG at print quality, TIFF compressed
# losslessly, WebP lossless (line art; and lossy WebP's bytes vary between libwebp versions).
PIL_OPTIONS = {"jpg": dict(pil_kwargs={"quality": 95}),
               "tiff": dict(pil_kwargs={"compression": "tiff_lzw"}),
               "webp": dict(pil_kwargs={"lossless": True})}
EPS_DATE = re.compile(rb"^%%CreationDate: [^\n]*\n", re.MULTILINE)


def _save_eps(figure: Figure, path) -> None:
    """EPS without the date matplotlib always writes (unless SOURCE_DATE_EPOCH names one) and
    without its version: same figure, same bytes."""
    import logging

    buffer = io.BytesIO()
    # PostScript has no transparency: a legend's translucent frame comes out opaque, which is
    # what a journal's EPS should have, so matplotlib's log line about it is not passed on
    ps_log = logging.getLogger("matplotlib.backends.backend_ps")
    level = ps_log.level
    ps_log.setLevel(logging.ERROR)
    try:
        figure.savefig(buffer, format="eps", dpi=figure.dpi, metadata={"Creator": "actplot"})
    finally:
        ps_log.setLevel(level)
    data = buffer.getvalue()
    if "SOURCE_DATE_EPOCH" not in os.environ:
        data = EPS_DATE.sub(b"", data, count=1)
    if hasattr(path, "write"):
        path.write(data)
    else:
        with open(path, "wb") as handle:
            handle.write(data)


def rgba_pixels(figure: Figure) -> np.ndarray:
    """The figure drawn as save_figure would draw a PNG (house style, whole pixels), as an
    (height, width, 4) array of bytes."""
    with house_style(getattr(figure, "_actplot_scale", 1.0), getattr(figure, "_actplot_look", None)):
        if isinstance(figure.get_layout_engine(), ConstrainedLayoutEngine):
            figure.set_layout_engine(None)
        with whole_pixels(figure):
            figure.canvas.draw()
            return np.asarray(figure.canvas.buffer_rgba())


def release(figure: Figure) -> None:
    """Drop a written figure's artists and pixel buffer now rather than at the next full garbage
    collection: a figure at 2400 dpi holds hundreds of megabytes."""
    width, height = figure.get_size_inches() * figure.dpi
    figure.clear()
    canvas = figure.canvas
    for attribute in ("renderer", "_lastKey"):
        if hasattr(canvas, attribute):
            delattr(canvas, attribute)
    if width * height > LARGE_FIGURE_PIXELS:
        # what still holds the pixels sits in a reference cycle: collected now, a batch of
        # 900-dpi figures stays at one figure's memory (else 100 MB more a figure); a collection
        # costs about 0.1 s once torch is loaded, which only a large figure is worth
        gc.collect()


LARGE_FIGURE_PIXELS = 8e6
