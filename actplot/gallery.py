"""The gallery's pages: index.html (opens from disk, with no network) and index.md beside the
figures, with a table of contents by family, each formula typeset (mathtext drawn as inline SVG
paths), each function's parameters, source and computed properties (actplot info).
matplotlib and torch (properties), loaded when a gallery is written."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from . import __version__
from .output import describe, write_text_atomic
from .registry import FAMILY_OF, FAMILIES, REGISTRY

PAGE_COLORS = {  # (background, text, rule, panel) per theme
    "dark": ("#15181C", "#E8E8E8", "#343A40", "#22272D"),
}
LIGHT_PAGE = ("#FFFFFF", "#222222", "#DDDDDD", "#F6F8FA")


def formula_svg(formula: str, size: float = 15.0) -> str:
    """mathtext as an inline SVG of glyph outlines, coloured by the page's text colour."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.path import Path as MplPath
    from matplotlib.textpath import TextPath

    path = TextPath((0, 0), f"${formula}$", size=size, prop=FontProperties(family="DejaVu Sans"))
    box = path.get_extents()
    pad = 2.0
    x0, y1 = box.x0 - pad, box.y1 + pad
    # SVG's y runs down: flip, and put the box's corner at the origin
    xs = np.round(path.vertices[:, 0] - x0, 2).tolist()
    ys = np.round(y1 - path.vertices[:, 1], 2).tolist()
    points = [f"{x:g} {y:g}" for x, y in zip(xs, ys)]
    letters = {MplPath.MOVETO: ("M", 1), MplPath.LINETO: ("L", 1), MplPath.CURVE3: ("Q", 2),
               MplPath.CURVE4: ("C", 3)}
    commands, codes, i = [], path.codes.tolist(), 0
    while i < len(codes):
        if codes[i] == MplPath.CLOSEPOLY:
            commands.append("Z")
            i += 1
            continue
        letter, count = letters[codes[i]]
        commands.append(letter + " ".join(points[i:i + count]))
        i += count
    width, height = box.width + 2 * pad, box.height + 2 * pad
    label = html.escape(formula, quote=True)
    return (f'<svg class="formula" role="img" '
            f'aria-label="{label}" width="{width:.1f}" height="{height:.1f}" '
            f'viewBox="0 0 {width:.2f} {height:.2f}"><title>{label}</title>'
            f'<path fill="currentColor" d="{"".join(commands)}"/></svg>')


def _parameter_rows(name: str) -> list[tuple[str, str, str, str]]:
    return [(p.name, str(p.default).lower() if isinstance(p.default, bool) else f"{p.default:.6g}"
             if isinstance(p.default, float) else str(p.default), p.domain(), p.doc)
            for p in REGISTRY[name].params]


def write_index(out_dir: str | os.PathLike, jobs: Sequence, grad: bool, theme: str = "default",
                **_: object) -> None:
    """index.html and index.md for the gallery's jobs (a figure per built-in)."""
    from .properties import properties

    root = Path(out_dir)
    background, text, rule, panel = PAGE_COLORS.get(theme, LIGHT_PAGE)
    cards, sections = [], ["# actplot gallery", "",
                           f"Every built-in activation{' and its derivative' if grad else ''}, "
                           f"drawn by actplot {__version__}.", ""]
    names = [job.spec.functions[0] for job in jobs]
    contents = []
    for family, entries in FAMILIES.items():
        members = [e.name for e in entries if e.name in names]
        if members:
            links = ", ".join(f'<a href="#{n}">{n}</a>' for n in members)
            contents.append(f"<li><strong>{html.escape(family)}</strong>: {links}</li>")
    sections += ["## Contents", ""] + [
        f"- **{family}**: " + ", ".join(f"[{n}](#{n})" for n in (e.name for e in entries)
                                        if n in names)
        for family, entries in FAMILIES.items() if any(e.name in names for e in entries)] + [""]
    for job, name in zip(jobs, names):
        entry = REGISTRY[name]
        formula = entry.formula_for(entry.defaults())
        params = _parameter_rows(name)
        aliases = f" (alias {', '.join(entry.aliases)})" if entry.aliases else ""
        table = "".join(f"<tr><td><code>{html.escape(n)}</code></td><td>{html.escape(v)}</td>"
                        f"<td>{html.escape(d)}</td><td>{html.escape(doc)}</td></tr>"
                        for n, v, d, doc in params)
        table_html = (f"<table><tr><th>parameter</th><th>default</th><th>values</th><th></th></tr>"
                      f"{table}</table>") if params else "<p>No parameters.</p>"
        derivative = ("<p>The right panel is its first derivative, by autograd" +
                      (": the Jacobian diagonal." if entry.vector else ".") + "</p>") if grad else ""
        note = f"<p class=note>{html.escape(entry.derivative_note)}</p>" if entry.derivative_note else ""
        facts = describe(properties(name, entry.defaults()))
        facts_html = '<dl class="properties">' + "".join(
            f"<dt>{html.escape(label)}</dt><dd>{html.escape(value)}</dd>" for label, value in facts
        ) + "</dl>"
        source = f'<p class="source">Source: {html.escape(entry.source)}</p>' if entry.source else ""
        cards.append(
            f'<section id="{name}"><h2>{name}{html.escape(aliases)}</h2>'
            f'<p class="family">{html.escape(FAMILY_OF[name])}</p>'
            f"<p>{html.escape(entry.summary)}</p>"
            f'<p class="equation"><span>f(x) =</span> {formula_svg(formula)}</p>'
            f"{source}{table_html}{facts_html}{derivative}{note}"
            f'<img src="{html.escape(job.relative)}" alt="{name} and its derivative" loading="eager">'
            f'<p><a href="#contents">contents</a></p></section>')
        sections += [f"## {name}{aliases}", "", entry.summary, "", f"f(x) = `{formula}`", ""]
        if entry.source:
            sections += [f"Source: {entry.source}", ""]
        if params:
            sections += ["| parameter | default | values | |", "|---|---|---|---|"]
            sections += [f"| `{n}` | {v} | {d} | {doc} |" for n, v, d, doc in params]
            sections.append("")
        sections += ["| property | value |", "|---|---|"]
        sections += [f"| {label} | {value} |" for label, value in facts]
        sections.append("")
        if entry.derivative_note:
            sections += [entry.derivative_note.replace("\n", " "), ""]
        sections += [f"![{name}]({job.relative})", ""]
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>actplot gallery</title>
<meta name="color-scheme" content="{'dark' if theme == 'dark' else 'light'}">
<style>
body {{ font-family: sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
  background: {background}; color: {text}; }}
a {{ color: inherit; }}
section {{ border-top: 1px solid {rule}; padding: 1em 0; }}
img {{ max-width: 100%; height: auto; display: block; margin-top: .5em; }}
table {{ border-collapse: collapse; font-size: 90%; }}
td, th {{ border: 1px solid {rule}; padding: .2em .5em; text-align: left; }}
.note {{ font-style: italic; }}
.family, .source {{ font-size: 90%; opacity: .8; }}
.equation {{ display: flex; align-items: center; gap: .5em; }}
svg.formula {{ vertical-align: middle; }}
dl.properties {{ display: grid; grid-template-columns: max-content auto; gap: .1em 1em;
  font-size: 90%; background: {panel}; padding: .5em .8em; border-radius: 4px; }}
dl.properties dt {{ font-weight: bold; }}
dl.properties dd {{ margin: 0; }}
</style></head><body>
<h1>actplot gallery</h1>
<p>Every built-in activation{' and its derivative' if grad else ''}, drawn by actplot {__version__}.</p>
<nav id="contents"><h2>Contents</h2><ul>
{chr(10).join(contents)}
</ul></nav>
{chr(10).join(cards)}
</body></html>
"""
    write_text_atomic(root / "index.html", page)
    markdown = "\n".join(sections)
    write_text_atomic(root / "index.md", markdown)
