"""Jupyter and IPython: `%load_ext actplot`, then `%actplot relu gelu --grad` shows the figure
inline and `%%actplot` runs a command a line; `actplot.interact("elu")` gives a slider a
parameter (ipywidgets). IPython and ipywidgets are imported here only."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.display import SVG, display

from . import embed


def notebook_cache() -> Path:
    """Figures drawn by the magics, by command: a rerun cell draws nothing new."""
    return Path(tempfile.gettempdir()) / "actplot-notebook"


@magics_class
class ActplotMagics(Magics):
    @line_cell_magic
    def actplot(self, line: str, cell: str | None = None) -> None:
        """%actplot relu gelu --grad: the figure, inline. %%actplot: a command a line."""
        commands = [line] if cell is None else [line, *cell.splitlines()]
        for command in (c.strip() for c in commands):
            if command and not command.startswith("#"):
                show(command)


def show(command: str) -> None:
    """Draw a command line and display it; info prints its table. A bad command is one line
    (IPython's UsageError), never a traceback."""
    try:
        args = embed.split(command)
        if embed.command_kind(args) == "info":
            print(embed.output_of(args), end="")
            return
        drawn = embed.draw(args, notebook_cache(), "svg")
    except embed.EmbedError as error:
        raise UsageError(f"actplot: {error}") from None
    for text in drawn.warnings:  # what the command line would print, said here
        print(f"Warning: actplot: {text}", file=sys.stderr)
    display(SVG(filename=str(drawn.path)))


def load(ipython) -> None:
    ipython.register_magics(ActplotMagics)


def interact(function: str, grad: bool = True, **options):
    """Sliders for the function's parameters (a menu for a choice, a box for a flag), redrawing
    f and f' as they move. Returns the widget; needs ipywidgets."""
    try:
        import ipywidgets as widgets
    except ImportError:
        raise ImportError("actplot.interact needs ipywidgets: pip install 'actplot[jupyter]'") \
            from None
    from . import api, functions
    from .spec import build_spec

    spec = build_spec([function])  # checks the name first, with actplot's message
    entry = functions.entry(spec.functions[0])
    controls = {}
    for parameter in entry.params:
        if parameter.choices:
            controls[parameter.name] = widgets.Dropdown(options=list(parameter.choices),
                                                        value=parameter.default,
                                                        description=parameter.name)
        elif parameter.kind is bool:
            controls[parameter.name] = widgets.Checkbox(value=parameter.default,
                                                        description=parameter.name)
        elif parameter.kind is float:
            values = parameter.documented_values()
            controls[parameter.name] = widgets.FloatSlider(
                value=parameter.default, min=min(values), max=max(values),
                step=(max(values) - min(values)) / 40 or 0.1, description=parameter.name,
                continuous_update=False, readout_format=".3g")
    output = widgets.Output()

    def redraw(**values) -> None:
        with output:
            output.clear_output(wait=True)
            try:
                display(api.plot(spec.functions[0], params=values, grad=grad, **options))
            except Exception as error:  # noqa: BLE001  (a relation refused: said, not raised)
                print(f"actplot: {error}")

    widgets.interactive_output(redraw, controls)
    return widgets.VBox([*controls.values(), output])
