"""Sphinx: figures written next to the text that explains them, rebuilt with the docs.

    extensions = ["actplot.sphinxext"]

    .. actplot:: relu gelu --grad --layout overlay
       :caption: relu and gelu with their derivatives
       :alt: two curves and their derivatives

    .. actplot-info:: relu gelu

The directive's argument is an actplot command line, run by actplot's own Click command, so
every option, expression, sweep, theme and the fit and depth commands work. HTML builders get
SVG (`:format: png` asks for PNG), LaTeX gets PDF. Figures are cached under the build folder by
a hash of the command, the format and actplot's version: an unchanged rebuild redraws nothing,
a changed argument redraws that figure only, and parallel builds (-j) write each file once,
atomically. A bad command is a warning naming the document and line (an error with -W); the
build goes on."""

from __future__ import annotations

import os
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive, directives

from . import __version__, embed

LATEX_FORMATS = ("latex",)


def _align(argument: str) -> str:
    return directives.choice(argument, ("left", "center", "right"))


def _format(argument: str) -> str:
    return directives.choice(argument, ("svg", "png", "pdf"))


class ActplotDirective(Directive):
    """.. actplot:: COMMAND LINE"""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = False
    option_spec = {"caption": directives.unchanged, "alt": directives.unchanged,
                   "width": directives.length_or_percentage_or_unitless, "align": _align,
                   "format": _format, "show-command": directives.flag}

    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        app = env.app
        command = self.arguments[0]
        try:
            args = embed.split(command)
            if embed.command_kind(args) == "info":
                return [nodes.literal_block(text=embed.output_of(args))]
            fmt = self.options.get("format") or (
                "pdf" if app.builder.format in LATEX_FORMATS else "svg")
            drawn = embed.draw(args, cache_folder(app), fmt)
        except embed.EmbedError as error:
            return [self.state.document.reporter.warning(f"actplot: {error}", line=self.lineno)]
        env.note_dependency(str(drawn.path))  # a figure removed by hand is drawn again
        said = [self.state.document.reporter.warning(f"actplot: {command}: {text}",
                                                     line=self.lineno)
                for text in drawn.warnings]  # what the command line would print, said here
        source = Path(self.state.document.current_source).parent
        image = nodes.image(uri=os.path.relpath(drawn.path, source),
                            alt=self.options.get("alt", f"actplot {command}"))
        for key in ("width", "align"):
            if key in self.options:
                image[key] = self.options[key]
        figure = nodes.figure("", image)
        if "align" in self.options:
            figure["align"] = self.options["align"]
        if "caption" in self.options:
            figure += nodes.caption(self.options["caption"], self.options["caption"])
        result: list[nodes.Node] = [figure, *said]
        if "show-command" in self.options:
            result.append(nodes.literal_block(f"actplot {command}", f"actplot {command}",
                                              language="console"))
        return result


class ActplotInfoDirective(Directive):
    """.. actplot-info:: FUNCTIONS [-p NAME=VALUE]: actplot info's properties as a table."""

    required_arguments = 1
    final_argument_whitespace = True
    option_spec = {"caption": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        try:
            header, rows = embed.info_rows(embed.split(self.arguments[0]))
        except embed.EmbedError as error:
            return [self.state.document.reporter.warning(f"actplot-info: {error}",
                                                         line=self.lineno)]
        table = nodes.table(classes=["actplot-info"])
        if "caption" in self.options:
            table += nodes.title(self.options["caption"], self.options["caption"])
        group = nodes.tgroup(cols=len(header))
        table += group
        for _ in header:
            group += nodes.colspec(colwidth=1)
        head = nodes.thead()
        head += _row(header)
        body = nodes.tbody()
        for row in rows:
            body += _row(row)
        group += head
        group += body
        return [table]


def _row(cells: list[str]) -> nodes.row:
    row = nodes.row()
    for text in cells:
        entry = nodes.entry()
        entry += nodes.paragraph(text=text)
        row += entry
    return row


def cache_folder(app) -> Path:
    """Where the figures are kept between builds: beside the doctrees, as matplotlib's plot
    directive keeps its own, so a clean of the build folder clears them too."""
    return Path(app.doctreedir).parent / "actplot"


def setup(app) -> dict:
    app.add_directive("actplot", ActplotDirective)
    app.add_directive("actplot-info", ActplotInfoDirective)
    # each figure is one atomic write of a file named by its command: workers never share one
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
