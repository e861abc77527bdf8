"""The gallery's pages: index.html (opens from disk, with no network) and index.md beside the
figures, with a table of contents by family, each formula typeset (mathtext drawn as inline SVG
paths), each function's parameters, source and computed properties (actplot info).
matplotlib and torch (properties), loaded when a gallery is written."""

from __future__ import annotations

import hashlib
import html
import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from . import __version__, functions
from .output import describe, write_text_atomic
from .registry import FAMILY_OF, FAMILIES

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
            for p in functions.entry(name).params]


PLUGINS = "plugins"  # the family of the installed plugins' functions
INDEX_LAYOUT = 2  # bump when the pages change for the same figures, so that they are rewritten


def index_key(jobs: Sequence, grad: bool, theme: str, explore: bool = False) -> str:
    """What the index pages are made from: every figure's key (its spec, format and actplot's
    version), the derivative flag, the theme and whether an explore page goes with them."""
    identity = [INDEX_LAYOUT, [job.key for job in jobs], grad, theme, explore]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()


def write_index(out_dir: str | os.PathLike, jobs: Sequence, grad: bool, theme: str = "default",
                explore: bool = False, **_: object) -> None:
    """index.html and index.md for the gallery's jobs (a figure per built-in and plugin
    function). Nothing is done when the pages are there and were made from the same figures;
    the info records come from the manifest, where the workers that drew the figures put them;
    a page whose text has not changed is not rewritten."""
    from .batch import load_manifest_data, record_index

    root = Path(out_dir)
    key = index_key(jobs, grad, theme, explore)
    manifest = load_manifest_data(root)
    pages = PAGES + ((EXPLORE_PAGE,) if explore else ())
    if manifest.get("index") == key and all((root / page).is_file() for page in pages):
        return
    cached = manifest.get("properties", {})
    records = {}
    for job in jobs:
        entry = cached.get(job.relative)
        if isinstance(entry, dict) and entry.get("key") == job.key and entry.get("record"):
            records[job.relative] = entry["record"]
        else:
            from .output import finite_values
            from .properties import properties

            name = job.spec.functions[0]
            records[job.relative] = finite_values(properties(name, dict(job.spec.params[name])))
    html_page, markdown = _pages(jobs, grad, theme, records, explore)
    for page, text in zip(PAGES, (html_page, markdown)):
        _write_if_changed(root / page, text)
    if explore:
        from .api import explore_html
        from .spec import build_explore_spec

        names = [job.spec.functions[0] for job in jobs]
        spec = build_explore_spec(names, documented=True, title="actplot gallery: explore",
                                  theme="dark" if theme == "dark" else "auto")
        _write_if_changed(root / EXPLORE_PAGE, explore_html(spec))
    record_index(root, key)


PAGES = ("index.html", "index.md")
EXPLORE_PAGE = "explore.html"


def _write_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, ValueError):
        pass
    write_text_atomic(path, text)


def _families(names: Sequence[str]) -> dict[str, list[str]]:
    """The gallery's functions by family, in the registry's order; plugins last."""
    families = {family: [e.name for e in entries if e.name in names]
                for family, entries in FAMILIES.items()}
    families[PLUGINS] = [n for n in names if n not in FAMILY_OF]
    return {family: members for family, members in families.items() if members}


def _pages(jobs: Sequence, grad: bool, theme: str, records: dict,
           explore: bool = False) -> tuple[str, str]:
    background, text, rule, panel = PAGE_COLORS.get(theme, LIGHT_PAGE)
    cards, sections = [], ["# actplot gallery", "",
                           f"Every built-in activation{' and its derivative' if grad else ''}, "
                           f"and every installed plugin's, drawn by actplot {__version__}.", ""]
    names = [job.spec.functions[0] for job in jobs]
    families = _families(names)
    contents = [f"<li><strong>{html.escape(family)}</strong>: "
                + ", ".join(f'<a href="#{_anchor(n)}">{html.escape(n)}</a>' for n in members)
                + "</li>" for family, members in families.items()]
    overview = "".join(
        f'<a class="tile" href="#{_anchor(name)}"><img src="{html.escape(job.relative)}" '
        f'alt="{html.escape(name)}" loading="lazy"><span>{html.escape(name)}</span></a>'
        for job, name in zip(jobs, names))
    sections += ["## Overview", "", *_markdown_grid(jobs, names), ""]
    sections += ["## Contents", ""] + [
        f"- **{family}**: " + ", ".join(f"[{n}](#{_anchor(n)})" for n in members)
        for family, members in families.items()] + [""]
    for job, name in zip(jobs, names):
        entry = functions.entry(name)
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
        facts = describe(records[job.relative])
        facts_html = '<dl class="properties">' + "".join(
            f"<dt>{html.escape(label)}</dt><dd>{html.escape(value)}</dd>" for label, value in facts
        ) + "</dl>"
        source = f'<p class="source">Source: {html.escape(entry.source)}</p>' if entry.source else ""
        cards.append(
            f'<section id="{_anchor(name)}"><h2>{html.escape(name)}{html.escape(aliases)}</h2>'
            f'<p class="family">{html.escape(FAMILY_OF.get(name, PLUGINS))}</p>'
            f"<p>{html.escape(entry.summary)}</p>"
            f'<p class="equation"><span>f(x) =</span> {formula_svg(displayed(formula))}</p>'
            f"{source}{table_html}{facts_html}{derivative}{note}"
            f'<img src="{html.escape(job.relative)}" alt="{html.escape(name)}'
            f'{" and its derivative" if grad else ""}" loading="eager">'
            + (f'<p class="explore"><a href="{EXPLORE_PAGE}#{_anchor(name)}">explore '
               f'{html.escape(name)} with sliders</a></p>' if explore else "")
            + '<p><a href="#contents">contents</a></p></section>')
        sections += [f"## {name}{aliases}", "", entry.summary, "",
                     f"$f(x) = {displayed(formula)}$", ""]
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
        if explore:
            sections += [f"[Explore {name} with sliders]({EXPLORE_PAGE}#{name})", ""]
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
.overview {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr));
  gap: .6em; }}
.tile {{ text-decoration: none; font-size: 85%; text-align: center; background: {panel};
  border-radius: 4px; padding: .3em; }}
.tile img {{ margin: 0 0 .2em 0; }}
</style></head><body>
<h1>actplot gallery</h1>
<p>Every built-in activation{' and its derivative' if grad else ''}, and every installed
plugin's, drawn by actplot {__version__}.</p>
<nav class="overview" aria-label="overview">{overview}</nav>
<nav id="contents"><h2>Contents</h2><ul>
{chr(10).join(contents)}
</ul></nav>
{chr(10).join(cards)}
</body></html>
"""
    return page, "\n".join(sections)


def _anchor(name: str) -> str:
    """An id that a URL fragment can carry: a plugin's name is an identifier, a built-in's too."""
    return html.escape(name, quote=True)


def displayed(formula: str) -> str:
    """The formula as a page shows it: fractions in display style, as large as the text beside
    them (mathtext's and LaTeX's inline \\frac sets numerator and denominator in script size)."""
    return formula.replace("\\frac", "\\dfrac")


OVERVIEW_COLUMNS = 4


def _markdown_grid(jobs: Sequence, names: Sequence[str]) -> list[str]:
    """The overview as a Markdown table of small figures, each linking to its section."""
    cells = [f'<a href="#{_anchor(n)}"><img src="{html.escape(job.relative)}" width="200" '
             f'alt="{html.escape(n)}"></a><br>{html.escape(n)}' for job, n in zip(jobs, names)]
    rows = [cells[i:i + OVERVIEW_COLUMNS] for i in range(0, len(cells), OVERVIEW_COLUMNS)]
    header = "| " + " | ".join([" "] * OVERVIEW_COLUMNS) + " |"
    rule = "|" + "---|" * OVERVIEW_COLUMNS
    return [header, rule] + ["| " + " | ".join(row + [" "] * (OVERVIEW_COLUMNS - len(row))) + " |"
                             for row in rows]
