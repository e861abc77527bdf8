"""`actplot readme FILE.md`: every image in a Markdown file whose command is written next to it,

    <!-- actplot relu --grad -->
    ![relu and its derivative](docs/images/relu.png)

drawn again by that command, so a project's README figures are refreshed by one command in CI;
with --check, nothing is written and the stale ones are named (exit 1)."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import embed

RECORDED = re.compile(r"<!--\s*actplot\s+(?P<command>.*?)\s*-->[ \t]*\n[ \t]*"
                      r"!\[[^\]]*\]\((?P<path>[^)\s]+)(?:\s+\"[^\"]*\")?\)")


@dataclass(frozen=True)
class Recorded:
    command: str
    path: Path  # the image, relative to the Markdown file's folder resolved
    line: int


def recorded_images(markdown: Path) -> list[Recorded]:
    text = markdown.read_text(encoding="utf-8")
    return [Recorded(m["command"], markdown.parent / m["path"], text.count("\n", 0, m.start()) + 1)
            for m in RECORDED.finditer(text)]


def refresh(markdown: Path, check: bool = False) -> tuple[list[Recorded], list[Recorded]]:
    """(stale, fresh): each image drawn again in a temporary file and compared with the one in
    place; a stale one replaced unless check. EmbedError naming the file and line of a command
    that fails."""
    stale, fresh = [], []
    for image in recorded_images(markdown):
        try:
            args = embed.split(image.command)
            with tempfile.TemporaryDirectory() as folder:
                drawn = Path(folder) / image.path.name
                embed.run([*args, "-o", str(drawn)])
                new = drawn.read_bytes()
        except embed.EmbedError as error:
            raise embed.EmbedError(f"{markdown}:{image.line}: actplot {image.command}: {error}") \
                from None
        if image.path.is_file() and image.path.read_bytes() == new:
            fresh.append(image)
            continue
        stale.append(image)
        if not check:
            from .output import write_atomic

            image.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(image.path, lambda handle, data=new: handle.write(data))
    return stale, fresh
