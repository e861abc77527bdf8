"""Figures in the terminal (--term): the figure itself through the kitty or iTerm2 inline-image
protocols, or sixel, where the terminal says it supports them; otherwise a text plot in Unicode
braille (2 x 4 dots a character cell) that fits the terminal's width and height. The text plot is
numpy only: no matplotlib, no dependency (a braille canvas is fifty lines, and plotext would not
draw kinks or keep jumps open)."""

from __future__ import annotations

import base64
import os
import sys
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .curves import _breaks, curve_data
from .spec import FigureSpec, Series

BRAILLE = 0x2800
# the dot of each (column, row) of a cell, as Unicode numbers them
DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
ORDER_LABELS = ("f(x)", "f\u2032(x)", "f\u2033(x)", "f\u2034(x)")
KINK = "\u25cb"  # a hollow circle, as the figures mark a kink or a one-sided value
# ANSI colours of f and its derivatives, close to the figures' (blue, vermilion, green, purple)
COLOURS = ("34", "31", "32", "35")
OVERLAY_COLOURS = ("34", "31", "32", "35", "33", "36", "90", "94")
MIN_PANEL = (24, 6)  # cells: narrower or shorter panels are stacked instead
TEXT_FILE_SIZE = (100, 30)  # a .txt output's cells and lines


@dataclass
class Panel:
    title: str
    curves: list[tuple[np.ndarray, np.ndarray, str]]  # x, y (NaN breaks), ANSI colour
    marks: list[tuple[float, float]]  # kinks and one-sided values, hollow circles


def panels(series: Sequence[Series], spec: FigureSpec) -> list[list[Panel]]:
    """The figure's panels as rows: a row per function and a panel per order (rows layout), or
    one row with a panel per order holding every curve (overlay and combined)."""
    if spec.layout == "rows":
        rows = []
        for function in dict.fromkeys(s.function for s in series):
            members = [s for s in series if s.function == function]
            rows.append([_panel(members, order, _title(members[0], order))
                         for order in range(spec.order + 1)])
        return rows
    return [[_panel(list(series), order, ORDER_LABELS[order], several=True)
             for order in range(spec.order + 1)]]


def _title(series: Series, order: int) -> str:
    swept = ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}"
                      for k, v in series.swept.items())
    return f"{series.function}: {ORDER_LABELS[order]}" + (f" ({swept})" if swept else "")


def _panel(members: Sequence[Series], order: int, title: str, several: bool = False) -> Panel:
    curves, marks = [], []
    for index, member in enumerate(members):
        if order in member.missing:
            continue
        x, y = curve_data(member, order)
        colour = (OVERLAY_COLOURS[index % len(OVERLAY_COLOURS)] if several or len(members) > 1
                  else COLOURS[order])
        curves.append((x, y, colour))
        if order == 0:  # a kink at its value; a jump by its one-sided limits
            for b in member.breakpoints:
                if not b.is_jump:
                    marks.append((b.x, float(np.interp(b.x, member.x, member.y))))
        for x0 in sorted(set(_breaks(member, order))):
            for value in _one_sided(x, y, x0):
                marks.append((x0, value))
    return Panel(title, curves, marks)


def _one_sided(x: np.ndarray, y: np.ndarray, x0: float) -> list[float]:
    """The values beside a break (the samples next to its NaN), to mark as the figures do."""
    left = int(np.searchsorted(x, x0, side="left")) - 1
    right = int(np.searchsorted(x, x0, side="right"))
    found = []
    for index in (left, right):
        while 0 <= index < len(x) and not np.isfinite(y[index]) and abs(x[index] - x0) < 1e-12:
            index += 1 if index >= right else -1
        if 0 <= index < len(x) and np.isfinite(y[index]):
            found.append(float(y[index]))
    return found


def text_plot(series: Sequence[Series], spec: FigureSpec, width: int, height: int,
              colour: bool = False) -> str:
    """The figure as lines of text at most `width` cells wide and `height` lines high."""
    grid = panels(series, spec)
    columns = max(len(row) for row in grid)
    if (width - 1) // columns < MIN_PANEL[0]:  # too narrow side by side: one panel a row
        grid = [[panel] for row in grid for panel in row]
        columns = 1
    rows = len(grid)
    panel_width = (width - (columns - 1) * 2) // columns
    panel_height = max(height // rows, 1)
    if panel_width < MIN_PANEL[0] or panel_height < MIN_PANEL[1]:
        raise ValueError(f"a {width} x {height} terminal cannot hold {rows} x {columns} text "
                         f"panels of at least {MIN_PANEL[0]} x {MIN_PANEL[1]}; make the window "
                         "larger, or draw fewer functions or orders")
    lines: list[str] = []
    for row in grid:
        blocks = [_draw(panel, panel_width, panel_height, spec.range, colour) for panel in row]
        for parts in zip(*blocks):
            lines.append("  ".join(parts).rstrip())
    return "\n".join(lines) + "\n"


def _label(value: float) -> str:
    return f"{value:.3g}".replace("-", "\u2212")


def _draw(panel: Panel, width: int, height: int, x_range: tuple[float, float],
          colour: bool) -> list[str]:
    """One panel as `height` lines of `width` cells: its title, the plot with the y range at the
    left, and the x range below."""
    values = np.concatenate([y[np.isfinite(y)] for _, y, _ in panel.curves] or [np.array([0.0])])
    values = np.concatenate([values, [v for _, v in panel.marks]])
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-12 * max(1.0, abs(high)):
        low, high = low - 1.0, high + 1.0
    pad = 0.04 * (high - low)
    low, high = low - pad, high + pad
    labels = (_label(high), _label(low))
    gutter = max(len(text) for text in labels) + 1
    plot_width, plot_height = width - gutter - 1, height - 3
    dots_x, dots_y = plot_width * 2, plot_height * 4
    cells = np.zeros((plot_height, plot_width), dtype=np.int32)
    owner = np.full((plot_height, plot_width), "", dtype=object)
    x0, x1 = x_range

    def to_dots(x: np.ndarray, y: np.ndarray):
        column = np.round((x - x0) / (x1 - x0) * (dots_x - 1))
        row = np.round((high - y) / (high - low) * (dots_y - 1))
        return column, row

    for x, y, ansi in panel.curves:
        grid, dense, cut = _densified(x, y, dots_x)
        column, row = to_dots(grid, dense)
        for c, r in _segments(column, row, cut):
            if 0 <= r < dots_y and 0 <= c < dots_x:
                cells[r // 4, c // 2] |= DOTS[c % 2][r % 4]
                owner[r // 4, c // 2] = ansi
    text = [[chr(BRAILLE + int(v)) if v else " " for v in line] for line in cells]
    for mx, my in panel.marks:
        (c,), (r,) = to_dots(np.array([mx]), np.array([my]))
        if 0 <= r < dots_y and 0 <= c < dots_x:
            text[int(r) // 4][int(c) // 2] = KINK
            owner[int(r) // 4, int(c) // 2] = ""
    out = [panel.title[:width].ljust(width)]
    for index, line in enumerate(text):
        label = labels[0] if index == 0 else labels[1] if index == plot_height - 1 else ""
        body = "".join(_paint(char, owner[index, k], colour) for k, char in enumerate(line))
        out.append(label.rjust(gutter - 1) + " \u2502" + body)
    out.append(" " * (gutter - 1) + " \u2514" + "\u2500" * plot_width)
    left, right = _label(x0), _label(x1)
    axis = left + " " * max(plot_width - len(left) - len(right) + 1, 1) + right
    out.append((" " * gutter + axis)[:width].ljust(width))
    return [line if colour else line.ljust(width) for line in out]


def _densified(x: np.ndarray, y: np.ndarray, dots: int):
    """The curve at two samples a dot column, interpolated between samples, and where a NaN
    breaks it (a jump, a pole): (grid, values, cut), cut[k] saying that no line joins samples k
    and k + 1."""
    grid = np.linspace(x[0], x[-1], max(dots * 2, 2))
    finite = np.isfinite(y)
    if finite.sum() < 2:
        return grid, np.full(grid.shape, np.nan), np.ones(len(grid), dtype=bool)
    dense = np.interp(grid, x[finite], y[finite])
    cut = np.zeros(len(grid), dtype=bool)
    for gap in x[~finite]:
        index = int(np.searchsorted(x, gap))
        before = x[index - 1] if index > 0 else gap
        after = x[index + 1] if index + 1 < len(x) else gap
        dense[(grid > before) & (grid < after)] = np.nan
        cut[max(int(np.searchsorted(grid, gap)) - 1, 0)] = True
    return grid, dense, cut


def _segments(column: np.ndarray, row: np.ndarray, cut: np.ndarray):
    """Every dot on the straight runs between consecutive samples, so that a steep part is a
    line of dots rather than a few scattered ones; none across a cut."""
    for k in range(len(column) - 1):
        c0, r0, c1, r1 = column[k], row[k], column[k + 1], row[k + 1]
        if cut[k] or not (np.isfinite(r0) and np.isfinite(r1)):
            if np.isfinite(r0):
                yield int(c0), int(r0)
            if np.isfinite(r1):
                yield int(c1), int(r1)
            continue
        steps = int(max(abs(c1 - c0), abs(r1 - r0), 1))
        for t in range(steps + 1):
            yield (int(round(c0 + (c1 - c0) * t / steps)), int(round(r0 + (r1 - r0) * t / steps)))


def _paint(char: str, ansi: str, colour: bool) -> str:
    if not colour or not ansi or char == " ":
        return char
    return f"\033[{ansi}m{char}\033[0m"


def colour_wanted(stream) -> bool:
    """Colour only on a terminal that takes it: not with NO_COLOR (no-color.org) or TERM=dumb."""
    return (stream.isatty() and "NO_COLOR" not in os.environ
            and os.environ.get("TERM", "") != "dumb")


def graphics_protocol() -> str | None:
    """The inline-image protocol the terminal says it has, or None for a text plot.
    ACTPLOT_TERM=kitty|iterm|sixel|text chooses; otherwise kitty (TERM, KITTY_WINDOW_ID),
    iTerm2 (TERM_PROGRAM, LC_TERMINAL) or a TERM that names sixel."""
    chosen = os.environ.get("ACTPLOT_TERM", "").lower()
    if chosen in ("kitty", "iterm", "sixel"):
        return chosen
    if chosen == "text":
        return None
    term = os.environ.get("TERM", "")
    if "kitty" in term or "KITTY_WINDOW_ID" in os.environ:
        return "kitty"
    if os.environ.get("TERM_PROGRAM") == "iTerm.app" or os.environ.get("LC_TERMINAL") == "iTerm2":
        return "iterm"
    if "sixel" in term:
        return "sixel"
    return None


def inline_image(png: bytes, protocol: str) -> bytes:
    """The PNG as the escape sequences that show it inline in the terminal."""
    if protocol == "iterm":
        data = base64.b64encode(png)
        return (b"\033]1337;File=inline=1;size=" + str(len(png)).encode()
                + b";preserveAspectRatio=1:" + data + b"\a\n")
    if protocol == "kitty":
        data = base64.b64encode(png)
        chunks = [data[i:i + 4096] for i in range(0, len(data), 4096)]
        out = []
        for index, chunk in enumerate(chunks):
            more = b"1" if index < len(chunks) - 1 else b"0"
            head = b"a=T,f=100," if index == 0 else b""
            out.append(b"\033_G" + head + b"m=" + more + b";" + chunk + b"\033\\")
        return b"".join(out) + b"\n"
    return sixel(png) + b"\n"


def sixel(png: bytes) -> bytes:
    """A PNG as DEC sixel: at most 255 colours, each band of six pixel rows a run of colours."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as opened:
        image = opened.convert("RGB").quantize(colors=255, dither=Image.Dither.NONE)
    width, height = image.size
    pixels = np.asarray(image, dtype=np.int32)
    palette = image.getpalette()[: 3 * 256]
    used = np.unique(pixels)
    out = [b"\033Pq", f'"1;1;{width};{height}'.encode()]
    for index in used:
        r, g, b = (palette[3 * index + k] * 100 // 255 for k in range(3))
        out.append(f"#{index};2;{r};{g};{b}".encode())
    weights = (1 << np.arange(6)).reshape(6, 1)
    for top in range(0, height, 6):
        band = pixels[top:top + 6]
        if band.shape[0] < 6:
            band = np.vstack([band, np.full((6 - band.shape[0], width), -1)])
        for index in np.unique(band[band >= 0]):
            bits = ((band == index) * weights).sum(axis=0) + 63
            out.append(f"#{index}".encode() + _run_length(bits.astype(np.uint8).tobytes()) + b"$")
        out.append(b"-")
    out.append(b"\033\\")
    return b"".join(out)


def _run_length(row: bytes) -> bytes:
    out, index = [], 0
    while index < len(row):
        end = index
        while end < len(row) and row[end] == row[index]:
            end += 1
        count = end - index
        out.append(f"!{count}".encode() + row[index:index + 1] if count > 3 else
                   row[index:index + 1] * count)
        index = end
    return b"".join(out)


def terminal_size() -> tuple[int, int]:
    """(columns, lines) of the terminal (COLUMNS and LINES win, as os.get_terminal_size says)."""
    import shutil

    size = shutil.get_terminal_size((100, 30))
    return max(size.columns, 1), max(size.lines, 1)


def write(data: bytes | str, stream=None) -> None:
    stream = stream or sys.stdout
    if isinstance(data, str):
        stream.write(data)
    else:
        stream.flush()
        stream.buffer.write(data)
    stream.flush()


