"""A grid of panels laid out by measuring, once, what surrounds each one. matplotlib, no torch.

matplotlib's constrained layout is general: it measures every artist's tight box twice per
figure, and it was half of the time that actplot took to draw a figure. actplot's panels are a
plain grid of equal axes: each is framed by its title above, its y tick labels and label to the
left, its x tick labels and label below, and a tick label that may overhang at the right. So the
margins are measured directly (titles, and each axis's tight box; twice, since the tick labels
depend on the axes' height), the grid is solved in closed form, and the positions are set.

The result is a pure function of the figure's content, so the same input gives the same bytes in
any process. Figures that this does not describe (colour bars, a Jacobian heatmap, a legend
outside its panel) are left to constrained layout (place() returns None).
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib
import matplotlib.ticker
import numpy as np
from matplotlib import cbook
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.path import Path

EDGE = 4.0  # pixels (at the layout's 100 dpi) kept clear at the figure's edges
GAP = 6.0  # pixels between a panel's decorations and its neighbour's
SLACK = 2.0  # pixels added to the measured margins


def supported(figure: Figure) -> bool:
    """A single grid of subplots, each with its own plain axes in a cell of its own (some cells
    may be empty): no colour bar, no inset."""
    axes = figure.axes
    if not axes or any(ax.get_subplotspec() is None for ax in axes):
        return False
    grids = {id(ax.get_subplotspec().get_gridspec()) for ax in axes}
    if len(grids) != 1:
        return False
    rows, columns = axes[0].get_subplotspec().get_gridspec().get_geometry()
    spans = [ax.get_subplotspec() for ax in axes]
    one_cell = all(s.rowspan.stop - s.rowspan.start == 1 and s.colspan.stop - s.colspan.start == 1
                   for s in spans)
    cells = {(s.rowspan.start, s.colspan.start) for s in spans}
    return one_cell and len(cells) == len(axes) <= rows * columns


def place(figure: Figure, smallest_share: float) -> list[str] | None:
    """Lay the grid out; the problems that make it not fit (empty when it fits), or None when
    the figure is not a plain grid (then constrained layout must do it)."""
    if not supported(figure):
        return None
    figure.set_layout_engine(None)
    renderer = figure.canvas.get_renderer()
    width, height = figure.bbox.width, figure.bbox.height
    rows, columns = figure.axes[0].get_subplotspec().get_gridspec().get_geometry()
    cells = {(ax.get_subplotspec().rowspan.start, ax.get_subplotspec().colspan.start): ax
             for ax in figure.axes}
    suptitle = figure._suptitle
    top_extra = 0.0
    if suptitle is not None and suptitle.get_text():
        suptitle.set_y(1 - EDGE / height)  # its top at the edge (matplotlib puts it at 0.98)
        top_extra = suptitle.get_window_extent(renderer).height + GAP
    problems: list[str] = []
    for _ in range(2):  # the tick labels depend on the axes' height: measure again once placed
        left = [0.0] * columns
        right = [0.0] * columns
        top = [0.0] * rows
        bottom = [0.0] * rows
        for (row, column), ax in cells.items():
            frame = _frame(ax, renderer)
            left[column] = max(left[column], frame.left)
            right[column] = max(right[column], frame.right)
            top[row] = max(top[row], frame.top)
            bottom[row] = max(bottom[row], frame.bottom)
        panel_width = (width - 2 * EDGE - sum(left) - sum(right) - GAP * (columns - 1)) / columns
        panel_height = (height - 2 * EDGE - top_extra - sum(top) - sum(bottom)
                        - GAP * (rows - 1)) / rows
        if panel_width <= 0 or panel_height <= 0:
            return ["the panels have no room"]
        x0 = []
        cursor = EDGE
        for column in range(columns):
            x0.append(cursor + left[column])
            cursor += left[column] + panel_width + right[column] + GAP
        y1 = []
        cursor = height - EDGE - top_extra
        for row in range(rows):
            y1.append(cursor - top[row])
            cursor -= top[row] + panel_height + bottom[row] + GAP
        for (row, column), ax in cells.items():
            ax.set_position([x0[column] / width, (y1[row] - panel_height) / height,
                             panel_width / width, panel_height / height])
            _thin_ticks(ax, renderer)
    if panel_width < smallest_share * width / columns or \
            panel_height < smallest_share * height / rows:
        problems.append("the plotting area is too small")
    for (row, column), ax in cells.items():
        name = panel_name(ax)
        if ax.get_title():
            title = ax.title.get_window_extent(renderer).width
            # centred over its panel, a title may reach over the panel's own margins and half
            # the gap beside them, never into a neighbour's half
            left_room = left[column] + (GAP / 2 if column else EDGE)
            right_room = right[column] + (GAP / 2 if column < columns - 1 else EDGE)
            if title > panel_width + 2 * min(left_room, right_room) - SLACK:  # kept clear: text
                # measured at 100 dpi may come out a little wider at a low --dpi
                problems.append(f"the title of {name} runs into a neighbour")
        legend = ax.get_legend()
        if legend is not None and not getattr(legend, "_actplot_outside", False):
            box = legend.get_window_extent(renderer)
            if box.width > panel_width + 1.0 or box.height > panel_height + 1.0:
                problems.append(f"{name}: the legend is larger than the panel")
        for text in ax.texts:
            box = text.get_window_extent(renderer)
            if box.width > panel_width + 1.0 or box.height > panel_height + 1.0:
                problems.append(f"{name}: a note is larger than the panel")
    if suptitle is not None and suptitle.get_text() and \
            suptitle.get_window_extent(renderer).width > width - 2 * EDGE + 1.0:
        problems.append("the title is wider than the figure")
    return problems


def panel_name(ax, default: str = "a panel") -> str:
    """How a message names a panel: the function and order that render gave it ("relu f'(x)"),
    else its title's first line."""
    return getattr(ax, "_actplot_name", None) or ax.get_title().split("\n")[0] or default


def _points(figure: Figure, key: str) -> float:
    return matplotlib.rcParams[key] * figure.dpi / 72


@dataclass(frozen=True)
class Frame:
    """Pixels that a panel's decorations take beyond its axes on each side."""

    left: float
    right: float
    top: float
    bottom: float


def _frame(ax, renderer) -> Frame:
    """What Axis.get_tightbbox would give, from the tick values and their labels' cached sizes
    rather than by laying out every Tick and Text: the same numbers at a fifth of the cost."""
    dpi = ax.figure.dpi
    px = dpi / 72
    rc = matplotlib.rcParams
    y_size, x_size = rc["ytick.labelsize"], rc["xtick.labelsize"]
    y_labels = _tick_labels(ax.yaxis, ax.get_ylim())
    x_labels = _tick_labels(ax.xaxis, ax.get_xlim())
    y_widths = [text_size(text, y_size, renderer)[0] for _, text in y_labels]
    y_height = text_size("0", y_size, renderer)[1]
    x_height = max([text_size(text, x_size, renderer)[1] for _, text in x_labels] or [0.0])
    tick_y = (rc["ytick.major.size"] if rc["ytick.direction"] != "in" else 0) + rc["ytick.major.pad"]
    tick_x = (rc["xtick.major.size"] if rc["xtick.direction"] != "in" else 0) + rc["xtick.major.pad"]
    left = (tick_y * px + max(y_widths) if y_widths else 0.0)
    if ax.yaxis.label.get_text():
        left += rc["axes.labelpad"] * px + text_size(ax.yaxis.label.get_text(),
                                                      ax.yaxis.label.get_fontsize(), renderer)[1]
    bottom = tick_x * px + x_height if x_labels else 0.0
    if ax.xaxis.label.get_text():
        bottom += rc["axes.labelpad"] * px + text_size(ax.xaxis.label.get_text(),
                                                        ax.xaxis.label.get_fontsize(), renderer)[1]
    # a tick label at an end of its axis overhangs it by half its size
    low, high = sorted(ax.get_xlim())
    span = (high - low) or 1.0
    right = max([text_size(text, x_size, renderer)[0] / 2 for value, text in x_labels
                 if value >= high - 1e-9 * span] or [0.0])
    y_low, y_high = sorted(ax.get_ylim())
    y_span = (y_high - y_low) or 1.0
    over_top = y_height / 2 if any(v >= y_high - 1e-9 * y_span for v, _ in y_labels) else 0.0
    over_bottom = y_height / 2 if any(v <= y_low + 1e-9 * y_span for v, _ in y_labels) else 0.0
    top = over_top
    offset = ax.yaxis.get_major_formatter().get_offset() if y_labels else ""
    if offset:  # "1e-5" above the axes' top left
        top = max(top, text_size(offset, y_size, renderer)[1] + 2 * px)
    if ax.get_title():
        top = max(top, ax.title.get_window_extent(renderer).height + _points(ax.figure, "axes.titlepad"))
    legend = ax.get_legend()
    if legend is not None and getattr(legend, "_actplot_outside", False):  # beside the panel
        right = max(right, 0.02 * ax.bbox.width + legend.get_window_extent(renderer).width)
    # matplotlib's boxes come out a pixel or so larger than the sum of their parts: a margin
    return Frame(left + SLACK, right, top, max(bottom, over_bottom) + SLACK)


def _tick_labels(axis, limits) -> list[tuple[float, str]]:
    """The major ticks within the view and their labels, as the axis will draw them."""
    low, high = sorted(limits)
    values = [v for v in axis.get_major_locator()() if low - 1e-9 * (high - low) <= v
              <= high + 1e-9 * (high - low)]
    texts = axis.get_major_formatter().format_ticks(values)
    return [(v, t) for v, t in zip(values, texts) if t]


TICK_STEPS = (1, 2, 2.5, 5, 10)  # matplotlib's AutoLocator's


def _thin_ticks(ax, renderer) -> None:
    """Fewer ticks on an axis whose labels would crowd (a narrow panel's "-1000 -500 0 500
    1000"): at least an em between neighbouring labels, down to two ticks."""
    size = matplotlib.rcParams["xtick.labelsize"]
    em = size * ax.figure.dpi / 72
    for axis, limits, along in ((ax.xaxis, ax.get_xlim(), 0), (ax.yaxis, ax.get_ylim(), 1)):
        if axis.get_scale() != "linear":
            continue
        while True:
            labels = _tick_labels(axis, limits)
            if len(labels) <= 2 or not _crowded(ax, labels, along, em, renderer):
                break
            axis.set_major_locator(matplotlib.ticker.MaxNLocator(
                len(labels) - 2, steps=TICK_STEPS, integer=getattr(
                    axis.get_major_locator(), "_integer", False), min_n_ticks=2))


def _crowded(ax, labels, along: int, em: float, renderer) -> bool:
    size = matplotlib.rcParams["xtick.labelsize"]
    to_pixels = ax.transData.transform
    centres = [to_pixels((v, 0) if along == 0 else (0, v))[along] for v, _ in labels]
    extents = [text_size(text, size, renderer)[along] for _, text in labels]
    return any(abs(c2 - c1) - (e1 + e2) / 2 < em * (1.0 if along == 0 else 0.3)
               for c1, c2, e1, e2 in zip(centres, centres[1:], extents, extents[1:]))


_SIZES: dict[tuple[str, float, float], tuple[float, float]] = {}


def text_size(text: str, size: float, renderer) -> tuple[float, float]:
    """(width, height) in pixels of one line of text in the house font, cached: tick labels
    repeat across panels and figures."""
    key = (text, size, renderer.dpi)
    if key not in _SIZES:
        properties = FontProperties(family=matplotlib.rcParams["font.family"], size=size)
        width, height, _ = renderer.get_text_width_height_descent(
            text, properties, ismath=cbook.is_math_text(text))
        # as Text lays a line out: at least as tall as "lp", from the ascender to the descender
        _, line, _ = renderer.get_text_width_height_descent("lp", properties, ismath=False)
        _SIZES[key] = (width, max(height, line))
    return _SIZES[key]


# Where a legend may go inside its panel, in order of preference (matplotlib's location codes):
# upper left, upper right, lower left, lower right, center left, center right, upper center,
# lower center, center
LEGEND_SPOTS = (2, 1, 3, 4, 6, 7, 9, 8, 10)


def place_legends(figure: Figure) -> bool:
    """Put each legend marked best where it covers no curve, marker or note (and, if it can, no
    asymptote that it labels); a legend with no such spot goes beside its panel. matplotlib's own
    "best" counts the points of lines, not the markers' size, so it half covered prelu's hollow
    marker at (0, 1). True when a legend moved outside (the layout must be found again)."""
    renderer = figure.canvas.get_renderer()
    moved = False
    for ax in figure.axes:
        legend = ax.get_legend()
        if legend is None or not getattr(legend, "_actplot_best", False):
            continue
        curves, markers, guides = _obstacles(ax)
        markers += [tuple(text.get_window_extent(renderer).extents) for text in ax.texts
                    if text.get_visible() and text.get_text()]  # notes, such as step's
        best = None
        for index, spot in enumerate(LEGEND_SPOTS):
            legend.set_loc(spot)
            box = legend.get_window_extent(renderer).padded(2.0)
            hard = sum(path.intersects_bbox(box, filled=False) for path in curves)
            hard += sum(_overlaps(box, marker) for marker in markers)
            soft = sum(path.intersects_bbox(box, filled=False) for path in guides)
            score = (hard, soft, index)
            if best is None or score < best[0]:
                best = (score, spot)
            if score[:2] == (0, 0):
                break
        (hard, _, _), spot = best
        if hard:
            legend.set_loc("upper left")
            legend.set_bbox_to_anchor((1.02, 1.0), transform=ax.transAxes)
            legend.borderaxespad = 0.0
            legend._actplot_outside = True
            legend._actplot_best = False
            moved = True
        else:
            legend.set_loc(spot)
    return moved


def _obstacles(ax):
    """(curves, markers, guides) in pixels: the paths of drawn curves, the boxes of markers, the
    paths of labelled straight lines (asymptotes). The zero axes are not obstacles."""
    curves, guides, markers = [], [], []
    for line in ax.get_lines():
        x = np.asarray(line.get_xdata(), dtype=float)
        if len(x) == 0 or not line.get_visible():
            continue
        y = np.asarray(line.get_ydata(), dtype=float)
        if len(x) > 2:
            curves += _pieces(line.get_transform().transform(np.column_stack([x, y])))
        elif not line.get_label().startswith("_"):
            guides += _pieces(line.get_transform().transform(np.column_stack([x, y])))
    dpi = ax.figure.dpi
    for collection in ax.collections:
        if not hasattr(collection, "get_sizes") or not len(collection.get_offsets()):
            continue
        sizes = collection.get_sizes()
        widths = collection.get_linewidths()
        centres = collection.get_offset_transform().transform(collection.get_offsets())
        for i, (x, y) in enumerate(centres):
            radius = (sizes[i % len(sizes)] ** 0.5 / 2 + (widths[i % len(widths)] if len(widths)
                                                         else 0)) * dpi / 72 if len(sizes) else 3
            markers.append((x - radius, y - radius, x + radius, y + radius))
    return curves, markers, guides


def _pieces(points: np.ndarray) -> list[Path]:
    """The runs of finite points as separate paths: a NaN breaks a curve at a jump."""
    finite = np.isfinite(points).all(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], finite.astype(int), [0]])))
    return [Path(points[start:stop]) for start, stop in zip(edges[::2], edges[1::2])
            if stop - start >= 2]


def _overlaps(box, marker) -> bool:
    x0, y0, x1, y1 = marker
    return box.x0 < x1 and x0 < box.x1 and box.y0 < y1 and y0 < box.y1
