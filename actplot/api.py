"""The Python API: evaluate, plot and save, with the CLI's names and validation.

torch and matplotlib are imported inside the functions, so `import actplot` stays light.
"""

from __future__ import annotations

import difflib
import io
import os
from pathlib import Path
from typing import Any, Iterable

from .errors import ActplotError, SpecError
from .spec import (ANIMATION_FORMATS, BUILD_OPTIONS, FIGURE_FORMATS, FIT_FORMATS, FigureSpec, Series, build_spec,
                   check_memory,
                   check_pixels, output_format)


def _spec(functions: Iterable[str] | str | FigureSpec, options: dict[str, Any]) -> FigureSpec:
    if isinstance(functions, FigureSpec):
        if options:
            raise SpecError(next(iter(options)), "pass options in the FigureSpec, not beside it")
        return functions
    _known(options, BUILD_OPTIONS)
    return build_spec(functions, **options)


def _known(options: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """SpecError for an unknown keyword, naming the closest valid one."""
    for name in options:
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise SpecError(name, f"unknown option '{name}'{hint} (options: {', '.join(allowed)})")


def compute_series(spec: FigureSpec) -> list[Series]:
    from . import compute

    return compute.evaluate(spec)


def evaluate(functions: Iterable[str] | str, **options: Any) -> Series | list[Series]:
    """Sample functions and their derivatives by autograd.

    Returns a Series (x, y, dy, derivatives as numpy arrays) for one name, a list for several.
    Options are those of the CLI: range=(-5, 5), points, params={"negative_slope": 0.1}, grad,
    order, device, dtype, at, compose. Raises SpecError for bad input.

    >>> s = evaluate("relu", at=[-2, -1, 0, 1, 2], grad=True)
    >>> s.y.tolist(), s.dy.tolist()
    ([0.0, 0.0, 0.0, 1.0, 2.0], [0.0, 0.0, 0.0, 1.0, 1.0])

    A range also samples just either side of each kink and jump, so relu on (-2, 2) with
    points=5 has 7 points: -2, -1, -4e-06, 0, 4e-06, 1, 2.
    """
    series = compute_series(_spec(functions, options))
    return series[0] if isinstance(functions, str) and len(series) == 1 else series


def plot(functions: Iterable[str] | str, **options: Any):
    """A matplotlib Figure of the functions and their derivatives (shown inline in Jupyter)."""
    from . import render

    spec = _spec(functions, options)
    check_pixels(spec, "png")  # Jupyter shows it as a PNG
    return render.build_figure(compute_series(spec), spec)


def _rendered(spec: FigureSpec, fmt: str):
    """(figure, None) for a figure format, (None, text) for a data format."""
    check_pixels(spec, fmt)
    if fmt in FIGURE_FORMATS:
        from . import render

        render.check_texts(spec)
        return render.build_figure(compute_series(spec), spec), None
    series = compute_series(spec)
    if fmt == "txt":
        from . import terminal

        # a file's size is fixed, never the terminal's: same input, same bytes
        return None, terminal.text_plot(series, spec, *terminal.TEXT_FILE_SIZE)
    from . import output

    return None, (output.to_json(series, spec.order) if fmt == "json"
                  else output.to_csv(series, spec.order))


def text_plot(functions: Iterable[str] | str, width: int = 100, height: int = 30,
              colour: bool = False, **options: Any) -> str:
    """The figure as a text plot in Unicode braille, `width` cells by `height` lines (what
    `actplot ... --term` prints where the terminal shows no images); ANSI colours if asked."""
    from . import terminal

    spec = _spec(functions, options)
    check_memory(spec)
    try:
        return terminal.text_plot(compute_series(spec), spec, width, height, colour)
    except ValueError as error:
        raise SpecError("size", str(error)) from None


def render_to_file(spec: FigureSpec, path: str | os.PathLike, fmt: str,
                   root: str | os.PathLike | None = None) -> Path:
    """Compute and write a figure or a data file atomically. The one writer that the CLI, batch
    and save() share."""
    from . import output

    if spec.animate is not None or fmt in ANIMATION_FORMATS:
        from .animation import save_animation
        from .render import check_texts
        from .spec import frame_specs

        check_pixels(spec, fmt)
        check_texts(spec)
        frames = [(value, compute_series(still)) for value, still in frame_specs(spec)]
        output.write_atomic(path, lambda handle: save_animation(frames, spec, handle, fmt), root)
        return Path(path)
    figure, text = _rendered(spec, fmt)
    if figure is None:
        output.write_text_atomic(path, text, root)
        return Path(path)
    from . import render

    try:
        output.write_atomic(path, lambda handle: render.save_figure(figure, handle, fmt), root)
    finally:
        render.release(figure)
    return Path(path)


def render_to_bytes(spec: FigureSpec, fmt: str) -> bytes:
    """The bytes that render_to_file would write, for `-o -` (standard output)."""
    figure, text = _rendered(spec, fmt)
    if figure is None:
        return text.encode("utf-8")
    from . import render

    buffer = io.BytesIO()
    try:
        render.save_figure(figure, buffer, fmt)
    finally:
        render.release(figure)
    return buffer.getvalue()


def info(functions: Iterable[str] | str, params: Any = None) -> list[dict]:
    """The computed properties of each function (and each swept value), as `actplot info --json`
    gives them: range, monotonic, continuity, saturates, dead_zone, moments, gain, torch_gain..."""
    from . import properties
    from .functions import entry as activation_for

    spec = build_spec(functions, params=params)
    records = []
    for name in spec.functions:
        for variant in spec.variants(name):
            if activation_for(name).random_slope(variant) is not None:
                raise SpecError("params", f"{name} with training = true draws random slopes; its "
                                          "properties are those of eval mode: drop training")
            records.append(properties.properties(name, variant))
    return records


def fit(functions: Iterable[str] | str, *, path: str | os.PathLike | None = None,
        format: str | None = None, **options: Any):
    """Train a 1 -> hidden -> 1 network with each activation on a target (seed 002's experiment).

    Returns (figure, runs): a matplotlib Figure of the fit, the hidden units and the loss, and a
    FitRun per function and seed (final_loss, r2, dead_units, loss, weights). With `path`, also
    writes .png, .svg, .pdf, .gif (an animation of training) or .json, atomically. Options are
    those of `actplot fit`: target, range, points, hidden, steps, optimizer, lr, seed or seeds,
    tol, frames, params, device, dtype, title, size, dpi."""
    from . import fitting, fitplot
    from .spec import FIT_OPTIONS, build_fit_spec

    _known(options, FIT_OPTIONS)
    spec = build_fit_spec(functions, **options)
    fmt = _checked_path(spec, path, format, FIT_FORMATS)
    runs = fitting.train(spec)
    figure = fitplot.build_fit_figure(runs, spec)
    if path is not None:
        write_fit(runs, spec, path, fmt, figure)
    return figure, runs


def _checked_path(spec, path, format: str | None, formats) -> str | None:
    """The format of a fit's or depth's path (None without one), checked with the folder, the
    pixels (the returned figure shows as a PNG in Jupyter) and the texts before any work."""
    fmt = None
    if path is not None:
        fmt = output_format(str(path), format, formats)
        from . import output

        output.check_output_folder(path)
    check_pixels(spec, fmt or "png")
    from .render import check_texts

    check_texts(spec)
    return fmt


def write_fit(runs, spec, path, fmt: str, figure=None,
              root: str | os.PathLike | None = None) -> None:
    """Write a fit's figure, animation or data atomically."""
    from . import fitplot, output

    if fmt == "json":
        text = fitplot.fit_json(runs)
        output.write_text_atomic(path, text, root)
    elif fmt == "gif":
        output.write_atomic(path, lambda handle: fitplot.save_animation(runs, spec, handle), root)
    else:
        _write_figure(figure or fitplot.build_fit_figure(runs, spec), path, fmt, root,
                      release=figure is None)


def save(path: str | os.PathLike, functions: Iterable[str] | str, *, format: str | None = None,
         **options: Any) -> Path:
    """Write a figure (.png, .svg, .pdf) or the data (.csv, .json) to path, atomically."""
    from . import output

    if not isinstance(path, (str, os.PathLike)):
        raise SpecError("output", f"path must be a file name, not {path!r}")
    fmt = output_format(str(path), format)
    output.check_output_folder(path)
    return render_to_file(_spec(functions, options), path, fmt)


__all__ = ["ActplotError", "compute_series", "evaluate", "fit", "info", "plot", "render_to_file",
           "save", "write_fit"]


def depth_runs(spec):
    """The runs of a depth spec: measured networks beside the theory, or phase diagrams."""
    from . import propagation

    return propagation.phases(spec) if spec.phase else propagation.run(spec)


def depth(functions: Iterable[str] | str, *, path: str | os.PathLike | None = None,
          format: str | None = None, **options: Any):
    """`actplot depth` from Python: (figure, records), the records as `--json` gives them. With a
    path, writes .png, .svg, .pdf or .json atomically. Options are those of `actplot depth`:
    params, layers, width, inputs, q0, c0, init, sigma_w, sigma_b, seed or seeds, phase, grid,
    sigma_w2_range, sigma_b2_range, dtype, title, size, dpi."""
    import json

    from .depthplot import depth_json
    from .spec import DEPTH_FORMATS, DEPTH_OPTIONS, build_depth_spec

    _known(options, DEPTH_OPTIONS)
    spec = build_depth_spec(functions, **options)
    fmt = _checked_path(spec, path, format, DEPTH_FORMATS)
    runs = depth_runs(spec)
    figure = _depth_figure(runs, spec)
    if path is not None:
        write_depth(runs, spec, path, fmt, figure)
    records = json.loads(depth_json(runs, spec))["phase" if spec.phase else "depth"]
    return figure, records


def _depth_figure(runs, spec):
    from . import depthplot

    return (depthplot.build_phase_figure if spec.phase else depthplot.build_depth_figure)(runs,
                                                                                       spec)


def write_depth(runs, spec, path, fmt: str, figure=None,
                root: str | os.PathLike | None = None) -> None:
    """Write a depth figure or its data atomically."""
    from . import output

    if fmt == "json":
        from .depthplot import depth_json

        output.write_text_atomic(path, depth_json(runs, spec), root)
        return
    _write_figure(figure or _depth_figure(runs, spec), path, fmt, root, release=figure is None)


def _write_figure(figure, path, fmt: str, root=None, release: bool = True) -> None:
    """Save atomically; release the figure's memory unless the caller keeps it (the API returns
    the figure it wrote)."""
    from . import output, render

    try:
        output.write_atomic(path, lambda handle: render.save_figure(figure, handle, fmt), root)
    finally:
        if release:
            render.release(figure)


def explore(functions: Iterable[str] | str = (), *, path: str | os.PathLike | None = None,
            **options: Any) -> str:
    """The explore page (one self-contained HTML file) for the functions, or every built-in
    with all=True; written atomically to path when given. Options are those of `actplot
    explore`: params (a list of values gives a slider), order, range, points, dtype, title,
    theme ("auto", "light" or "dark")."""
    from .spec import EXPLORE_OPTIONS, build_explore_spec

    _known(options, EXPLORE_OPTIONS)
    spec = build_explore_spec(functions, **options)
    if path is not None:
        _checked_html(path)
    page = explore_html(spec)
    if path is not None:
        from . import output

        output.write_text_atomic(path, page)
    return page


def explore_html(spec) -> str:
    from .explorer.data import explore_data
    from .explorer.page import explore_page

    return explore_page(explore_data(spec), spec.theme)


def _checked_html(path) -> None:
    from . import output

    if not str(path).lower().endswith((".html", ".htm")):
        raise SpecError("output", f"an explore page is HTML: name it .html, not '{path}'")
    output.check_output_folder(path)
