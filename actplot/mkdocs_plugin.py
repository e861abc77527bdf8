"""MkDocs: `plugins: [actplot]` in mkdocs.yml turns a fenced block

    ```actplot
    relu gelu --grad --layout overlay
    ```

into the figure, inline SVG in the page (no file to copy, no path to get wrong). Each line of a
block is a command line; figures are cached by a hash of the command, the format and actplot's
version in `cache_dir` (default .actplot-cache beside mkdocs.yml), so an unchanged site redraws
nothing. A bad command fails the build with actplot's one line, naming the page."""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

from mkdocs.config import config_options
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin

from . import embed

LOG = logging.getLogger("mkdocs.plugins.actplot")
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*actplot[ \t]*\n"
                   r"(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$", re.MULTILINE | re.DOTALL)
XML_HEAD = re.compile(r"^\s*<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?", re.DOTALL)


class ActplotPlugin(BasePlugin):
    config_scheme = (
        ("cache_dir", config_options.Type(str, default=".actplot-cache")),
        ("format", config_options.Choice(("svg", "png"), default="svg")),
    )

    def on_config(self, config):
        folder = Path(self.config["cache_dir"])
        if not folder.is_absolute():
            folder = Path(config["config_file_path"]).parent / folder
        self.folder = folder
        self.drawn = 0  # figures drawn in this build (the others came from the cache)
        return config

    def on_page_markdown(self, markdown: str, page, config, files) -> str:
        def figure(match: re.Match) -> str:
            indent = match["indent"]
            parts = []
            for line in match["body"].splitlines():
                command = line.strip()
                if not command or command.startswith("#"):
                    continue
                try:
                    drawn = embed.draw(embed.split(command), self.folder, self.config["format"])
                except embed.EmbedError as error:
                    raise PluginError(f"actplot: {page.file.src_path}: {command}: {error}") \
                        from None
                self.drawn += drawn.redrawn
                for text in drawn.warnings:  # what the command line would print, said here
                    LOG.warning(f"actplot: {page.file.src_path}: {command}: {text}")
                parts.append(_html(drawn.path, command))
            return indent + f"\n{indent}".join(parts)

        return FENCE.sub(figure, markdown)


def _html(path: Path, command: str) -> str:
    """An SVG inline, its XML header dropped and its alt text the command; a PNG as a data URI."""
    label = html.escape(f"actplot {command}", quote=True)
    if path.suffix == ".svg":
        svg = XML_HEAD.sub("", path.read_text(encoding="utf-8"))
        svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
        # a blank line would end Markdown's raw HTML block in the middle of the figure
        svg = "\n".join(line for line in svg.splitlines() if line.strip())
        return f'\n<div class="actplot-figure">{svg}</div>\n'
    import base64

    data = base64.b64encode(path.read_bytes()).decode()
    return (f'\n<div class="actplot-figure"><img alt="{label}" '
            f'src="data:image/png;base64,{data}"></div>\n')
