"""Looks for every venue: the default, paper (a 3.5-inch column, 8 pt type, thin lines), slides
(large type, thick lines) and dark (a dark background with colours chosen for it), and any
matplotlib style sheet on top. No matplotlib at import: spec.py validates names with it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SpecError, printable

# Okabe-Ito: distinct for the common forms of colour blindness.
LIGHT_ORDER = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
LIGHT_COMPOSE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
                 "#F0E442")
# The same family lightened for a dark background, where #0072B2 and black would sink.
DARK_ORDER = ("#56B4E9", "#E69F00", "#3DDC97", "#F07CC4")
DARK_COMPOSE = ("#56B4E9", "#E69F00", "#3DDC97", "#F07CC4", "#F0E442", "#FF8C5A", "#FFFFFF",
                "#A5B4FF")
DARK_BACKGROUND = "#15181C"


@dataclass(frozen=True)
class Palette:
    """The colours that actplot chooses itself (curves, markers, axis lines, notes)."""

    order: tuple[str, ...] = LIGHT_ORDER  # f, f', f'', f'''
    compose: tuple[str, ...] = LIGHT_COMPOSE  # depths, sweep values, overlaid functions
    marker: str = "#000000"  # edges of hollow markers, dots at jumps
    hollow: str = "#FFFFFF"  # inside a hollow marker: the panel's background
    zero_line: str = "0.35"
    grid: str = "0.85"
    note: str = "0.3"
    asymptote: str = "0.45"
    faint: str = "0.7"


@dataclass(frozen=True)
class Theme:
    name: str
    summary: str
    rc: dict = field(default_factory=dict)  # on top of actplot's house style
    palette: Palette = Palette()
    panel_size: tuple[float, float] = (4.4, 3.3)  # inches per panel when no size is given
    width: float | None = None  # a fixed figure width (a paper column), else panels x columns
    wide_width: float | None = None  # the width when more than two columns need a page
    smallest_scale: float = 0.55  # type is never shrunk below this share of the theme's own
    line_scale: float = 1.0
    marker_scale: float = 1.0
    # (type scale, title lines, legend) tried in turn to fit; None: render.FIT_LEVELS
    levels: tuple[tuple[float, int, str | None], ...] | None = None


THEMES = {
    "default": Theme("default", "actplot's look: 11 pt type on white"),
    "paper": Theme(
        "paper", "a 3.5-inch journal column (7 inches for more than two panels a row), 8 pt type, "
                 "thin lines",
        rc={"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7,
            "ytick.labelsize": 7, "legend.fontsize": 6.5, "lines.linewidth": 1.2,
            "axes.linewidth": 0.6, "xtick.major.width": 0.6, "ytick.major.width": 0.6,
            "xtick.major.size": 2.5, "ytick.major.size": 2.5, "axes.titlepad": 4.0,
            "axes.labelpad": 2.0, "legend.borderpad": 0.3, "legend.handlelength": 1.6},
        panel_size=(1.75, 1.6), width=3.5, wide_width=7.0, smallest_scale=0.85,
        line_scale=0.6, marker_scale=0.6,
        # in print the type stays at 8 pt: titles lose lines (the caption has the formula) first
        levels=((1.0, 3, "full"), (1.0, 2, "full"), (1.0, 2, "short"), (1.0, 1, "short"),
                (0.9, 1, "short"), (0.85, 1, None))),
    "slides": Theme(
        "slides", "large type and thick lines for a projector",
        rc={"font.size": 18, "axes.titlesize": 18, "axes.labelsize": 17, "xtick.labelsize": 15,
            "ytick.labelsize": 15, "legend.fontsize": 14, "lines.linewidth": 3.5,
            "axes.linewidth": 1.4, "xtick.major.width": 1.4, "ytick.major.width": 1.4,
            "xtick.major.size": 6.0, "ytick.major.size": 6.0},
        panel_size=(6.4, 4.8), line_scale=1.7, marker_scale=1.8),
    "dark": Theme(
        "dark", "a dark background, with colours and hollow markers chosen for it",
        rc={"figure.facecolor": DARK_BACKGROUND, "axes.facecolor": DARK_BACKGROUND,
            "savefig.facecolor": DARK_BACKGROUND, "savefig.edgecolor": DARK_BACKGROUND,
            "figure.edgecolor": DARK_BACKGROUND, "text.color": "#E8E8E8",
            "axes.labelcolor": "#E8E8E8", "axes.edgecolor": "#A0A0A0", "xtick.color": "#C8C8C8",
            "ytick.color": "#C8C8C8", "legend.facecolor": "#22272D", "legend.edgecolor": "#5A6068",
            "legend.labelcolor": "#E8E8E8"},
        palette=Palette(order=DARK_ORDER, compose=DARK_COMPOSE, marker="#F2F2F2",
                        hollow=DARK_BACKGROUND, zero_line="#8A8F96", grid="#343A40",
                        note="#BBBBBB", asymptote="#9AA0A6", faint="#6A7078")),
}


def theme(name: str) -> Theme:
    return THEMES[name]


def check_theme(name) -> str:
    if not isinstance(name, str) or name not in THEMES:
        raise SpecError("theme", f"{name!r} is not a theme; choose one of {', '.join(THEMES)}")
    return name


def check_style(style) -> str | None:
    """A matplotlib style: a built-in's name, or a .mplstyle file that exists. The name is kept as
    given (a file by its absolute path), so that batch workers read the same sheet."""
    if style is None:
        return None
    if not isinstance(style, str) or not style.strip():
        raise SpecError("style", f"a style is a matplotlib style's name or a .mplstyle file, not "
                                 f"{style!r}")
    if style in builtin_styles():
        return style
    path = Path(style).expanduser()
    if path.suffix == ".mplstyle" or os.sep in style or "/" in style:
        if not path.is_file():
            raise SpecError("style", f"there is no style file {path}")
        read_style_file(str(path.resolve()))  # a bad line is a usage error now, not mid-drawing
        return str(path.resolve())
    close = sorted(builtin_styles())
    raise SpecError("style", f"'{style}' is neither a matplotlib style nor a .mplstyle file; the "
                             f"built-in styles are {', '.join(close)}")


def builtin_styles() -> dict[str, Path]:
    """matplotlib's own style sheets, by name, read from its data folder (importing
    matplotlib.style would load pyplot)."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "stylelib"
    return {p.stem: p for p in sorted(folder.glob("*.mplstyle"))}


# What a style may not change, because actplot decides it for every output alike: the size, the
# resolution and the cropping of the file (--size, --dpi; the pixel budget holds on what is
# written), and how text is set (mathtext, the same on every machine; LaTeX may be missing).
IGNORED_STYLE_KEYS = ("figure.figsize", "figure.dpi", "figure.autolayout",
                      "figure.constrained_layout.use", "text.usetex", "savefig.*")
MAX_STYLE_BYTES = 1 << 20


def _ignored(key: str) -> bool:
    return any(key == k or (k.endswith("*") and key.startswith(k[:-1])) for k in IGNORED_STYLE_KEYS)


def style_rc(style: str | None) -> dict:
    """The settings of a style sheet (none for None) that actplot honours."""
    if style is None:
        return {}
    import matplotlib

    if style in builtin_styles():
        settings = dict(matplotlib.rc_params_from_file(str(builtin_styles()[style]),
                                                       use_default_template=False))
        return {k: v for k, v in settings.items() if not _ignored(k)}
    return read_style_file(style)


_STYLE_FILES: dict[str, dict] = {}


def read_style_file(path: str) -> dict:
    """A .mplstyle file's settings, read and validated here rather than by matplotlib (which
    prints a line per bad line and carries on): SpecError naming the first line that is not
    `key: value` with a matplotlib setting and a valid value. Keys that actplot decides itself
    (IGNORED_STYLE_KEYS) are left out with one warning."""
    if path in _STYLE_FILES:
        return _STYLE_FILES[path]
    import matplotlib

    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_STYLE_BYTES + 1)
    except OSError as error:
        raise SpecError("style", f"cannot read the style file {path}: {error.strerror}") from None
    if len(data) > MAX_STYLE_BYTES:
        raise SpecError("style", f"the style file {path} is over 1 MiB; a style sheet is a short "
                                 "list of key: value lines")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError("style", f"the style file {path} is not text (UTF-8); a style sheet is "
                                 "a list of key: value lines") from None
    if "\0" in text:
        raise SpecError("style", f"the style file {path} is not text; a style sheet is a list "
                                 "of key: value lines")
    checked = matplotlib.RcParams()
    settings, ignored = {}, []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw)
        if not line:
            continue
        key, colon, value = line.partition(":")
        key, value = key.strip(), value.strip()
        where = f"{path}, line {number}"
        if not colon:
            raise SpecError("style", f"{where}: {printable(line[:60])!r} is not 'key: value'")
        if key not in matplotlib.rcParams:
            raise SpecError("style", f"{where}: {printable(key[:60])!r} is not a matplotlib "
                                     "setting")
        try:
            checked[key] = value
        except (ValueError, TypeError, RuntimeError) as error:
            detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise SpecError("style", f"{where}: {printable(value[:60])!r} is not a valid value "
                                     f"for {key}: {printable(detail[:120])}") from None
        if _ignored(key):
            ignored.append(key)
            continue
        settings[key] = checked[key]
    cycle = settings.get("axes.prop_cycle")
    if cycle is not None and len(cycle) == 0:
        raise SpecError("style", f"{path}: axes.prop_cycle is empty; give it at least one colour")
    if ignored:
        import warnings

        warnings.warn(f"{path}: {', '.join(ignored)} ignored (actplot sets the size, resolution, "
                      "cropping and text engine of every output itself)", UserWarning,
                      stacklevel=2)
    _STYLE_FILES[path] = settings
    return settings


def _strip_comment(line: str) -> str:
    """The line up to a # that is not inside quotes (colours are written '#ff0000')."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[:index].strip()
    return line.strip()
