"""The explore page: one HTML file that holds its data, style and script (assets/), so it opens
from file:// anywhere, offline. No network, no CDN, nothing fetched at view time."""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Any

# What a page's JSON may not hold raw inside <script>: it would end the element or open a comment
SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                  "\u2029": "\\u2029"}


def asset(name: str) -> str:
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


def script_json(data: Any) -> str:
    """JSON that is safe inside a <script> element: a "</script>" in a title or a plugin's
    docstring stays text."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return "".join(SCRIPT_ESCAPES.get(char, char) for char in text)


def explore_page(data: dict[str, Any], theme: str = "auto") -> str:
    """The page: the title escaped, the data as JSON in a script element of its own, the script
    and the style inline. theme "dark" or "light" fixes the look; "auto" follows the system."""
    title = html.escape(data["title"])
    forced = "" if theme == "auto" else f' data-theme="{theme}"'
    scheme = {"auto": "light dark", "light": "light", "dark": "dark"}[theme]
    return (f'<!doctype html>\n<html lang="en"{forced}><head><meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="color-scheme" content="{scheme}">\n'
            f"<title>{title}</title>\n<style>\n{asset('explore.css')}</style>\n</head><body>\n"
            f"<h1>{title}</h1>\n{asset('explore.html')}\n"
            f'<script type="application/json" id="actplot-data">{script_json(data)}</script>\n'
            f"<script>\n{asset('explore.js')}</script>\n</body></html>\n")
