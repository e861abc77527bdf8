"""Many figures in one process or a pool: TOML specs, the gallery, the manifest that makes reruns
incremental, and the summary. torch and matplotlib load in whichever process draws."""

from __future__ import annotations

import concurrent.futures
import hashlib
import html
import json
import multiprocessing
import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import ActplotError, SpecError
from .output import TEMP_SUFFIX, write_atomic
from .registry import REGISTRY
from .spec import FIGURE_FORMATS, FigureSpec, build_spec, output_format

MANIFEST = ".actplot-manifest.json"
SPEC_KEYS = ("functions", "range", "points", "params", "grad", "order", "device", "dtype",
             "format", "dpi", "size", "title", "output", "at", "compose", "jacobian", "train",
             "seed")


@dataclass
class Job:
    label: str  # "figures.toml: figure 2 (relu.svg)", for messages
    spec: FigureSpec
    root: Path  # the output folder; the manifest lives here
    relative: str  # output path below root
    fmt: str

    @property
    def path(self) -> Path:
        return self.root / self.relative

    @property
    def key(self) -> str:
        """Changes whenever the bytes could: the spec, the format, actplot's version, the date."""
        identity = {"spec": self.spec.to_dict(), "format": self.fmt, "version": __version__,
                    "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH")}
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


@dataclass
class Summary:
    total: int = 0
    written: list[Job] = field(default_factory=list)
    skipped: list[Job] = field(default_factory=list)
    failed: list[tuple[Job, str]] = field(default_factory=list)


def _spec_from_table(table: dict[str, Any], label: str) -> tuple[FigureSpec, str | None, str | None]:
    unknown = sorted(set(table) - set(SPEC_KEYS))
    if unknown:
        raise SpecError(unknown[0], f"{label}: unknown key '{unknown[0]}'; valid keys: "
                                    f"{', '.join(SPEC_KEYS)}")
    if "functions" not in table:
        raise SpecError("functions", f"{label}: missing key 'functions'")
    options = {k: v for k, v in table.items() if k not in ("functions", "format", "output")}
    try:
        spec = build_spec(table["functions"], **options)
    except SpecError as error:
        raise SpecError(error.field, f"{label}: key '{error.field}': {error.message}") from None
    return spec, table.get("output"), table.get("format")


def _inside(root: Path, relative: str, label: str, allow_outside: bool) -> str:
    if not isinstance(relative, str) or not relative:
        raise SpecError("output", f"{label}: key 'output' must be a file name, not {relative!r}")
    target = Path(os.path.normpath(root / relative))
    escapes = Path(relative).is_absolute() or os.path.commonpath([root, target]) != str(root)
    if escapes and not allow_outside:
        raise SpecError("output", f"{label}: key 'output': '{relative}' is outside {root}; "
                                  "use a relative path below it, or --allow-outside")
    return os.path.relpath(target, root)


def load_spec(path: str | os.PathLike, out_dir: str | None = None,
              allow_outside: bool = False) -> list[Job]:
    """Parse and validate a whole spec before anything is drawn; SpecError names file, figure, key."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SpecError("spec", f"{path}: not valid TOML: {error}") from None
    extra = sorted(set(document) - {"defaults", "figure"})
    if extra:
        raise SpecError("spec", f"{path}: unknown table '{extra[0]}'; use [defaults] and [[figure]]")
    defaults = document.get("defaults", {})
    figures = document.get("figure", [])
    if not isinstance(defaults, dict) or not isinstance(figures, list) or not figures:
        raise SpecError("spec", f"{path}: needs at least one [[figure]] table")
    root = Path(os.path.abspath(out_dir if out_dir else path.parent))
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SpecError("out-dir", f"cannot create output folder '{root}': {error.strerror}") from None
    jobs, seen = [], {}
    for number, table in enumerate(figures, start=1):
        merged = {**defaults, **table}
        if "output" in table and "format" not in table:
            merged.pop("format", None)  # the figure's own file name outranks a default format
        if "params" in defaults and "params" in table:
            merged["params"] = {**defaults["params"], **table["params"]}
        name = table.get("output") or ""
        label = f"{path.name}: figure {number}" + (f" ({name})" if name else "")
        spec, output, fmt = _spec_from_table(merged, label)
        try:
            fmt = output_format(output, fmt)
        except SpecError as error:
            raise SpecError(error.field, f"{label}: key '{error.field}': {error.message}") from None
        relative = _inside(root, output or f"{spec.functions[0]}.{fmt}", label, allow_outside)
        if relative in seen:
            raise SpecError("output", f"{label}: key 'output': '{relative}' is also written by "
                                      f"figure {seen[relative]}")
        seen[relative] = number
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        jobs.append(Job(label, spec, root, relative, fmt))
    return jobs


def gallery_jobs(out_dir: str | os.PathLike, fmt: str = "svg", grad: bool = False,
                 dpi: int = 150) -> list[Job]:
    if fmt not in FIGURE_FORMATS:
        raise SpecError("format", f"gallery figures are {', '.join(FIGURE_FORMATS)}, not {fmt}")
    root = Path(os.path.abspath(out_dir))
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SpecError("out-dir", f"cannot create '{root}': {error.strerror}") from None
    return [Job(f"gallery: {name}", build_spec([name], grad=grad, dpi=dpi), root, f"{name}.{fmt}", fmt)
            for name in REGISTRY]


def _load_manifest(root: Path) -> dict[str, str]:
    try:
        data = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        return dict(data.get("figures", {}))
    except (OSError, ValueError, AttributeError):
        return {}


def _save_manifest(root: Path, figures: dict[str, str]) -> None:
    text = json.dumps({"actplot": __version__, "figures": dict(sorted(figures.items()))}, indent=1)
    write_atomic(root / MANIFEST, lambda temp: Path(temp).write_text(text + "\n", encoding="utf-8"))


def render_job(spec: FigureSpec, path: str, fmt: str) -> str | None:
    """Draw one figure; return None, or why it failed. Runs in a worker process too."""
    from .api import render_to_file

    try:
        render_to_file(spec, path, fmt)
    except (ActplotError, ValueError, RuntimeError, OSError) as error:
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    return None


def _worker_init() -> None:
    import torch

    import actplot.render  # noqa: F401  (matplotlib, once per worker)

    torch.set_num_threads(1)  # workers share the cores: one thread each avoids oversubscription


def _pool(workers: int) -> concurrent.futures.ProcessPoolExecutor:
    # fork is the cheapest start, and safe while this process has not started torch's threads.
    method = "fork" if "torch" not in sys.modules and sys.platform == "linux" else "spawn"
    return concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context(method), initializer=_worker_init)


def run(jobs: list[Job], workers: int = 1, force: bool = False, quiet: bool = False) -> Summary:
    """Draw what is missing or out of date; report each failure and carry on with the rest."""
    summary = Summary(total=len(jobs))
    manifests = {root: _load_manifest(root) for root in {j.root for j in jobs}}
    todo = []
    for job in jobs:
        if not force and manifests[job.root].get(job.relative) == job.key and job.path.exists():
            summary.skipped.append(job)
        else:
            todo.append(job)
    for job in todo:  # temporary files that a killed run left behind
        for stale in job.path.parent.glob(f".{job.path.name}.*{TEMP_SUFFIX}"):
            stale.unlink(missing_ok=True)
    show_progress = not quiet and sys.stderr.isatty() and todo

    def finished(job: Job, error: str | None) -> None:
        if error is None:
            summary.written.append(job)
            manifests[job.root][job.relative] = job.key
            _save_manifest(job.root, manifests[job.root])
        else:
            summary.failed.append((job, error))
            click.echo(f"Error: {job.label}: {error}", err=True)

    with click.progressbar(length=len(todo), label="drawing", file=sys.stderr) if show_progress \
            else _NoProgress() as bar:
        if workers == 1 or len(todo) < 2:
            for job in todo:
                finished(job, render_job(job.spec, str(job.path), job.fmt))
                bar.update(1)
        else:
            with _pool(min(workers, len(todo))) as pool:
                futures = {pool.submit(render_job, j.spec, str(j.path), j.fmt): j for j in todo}
                try:
                    for future in concurrent.futures.as_completed(futures):
                        finished(futures[future], future.result())
                        bar.update(1)
                except BaseException:
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise
    if not quiet:
        click.echo(f"{len(summary.written)} written, {len(summary.skipped)} up to date, "
                   f"{len(summary.failed)} failed", err=True)
    return summary


class _NoProgress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, _: int) -> None:
        pass


def _parameter_rows(name: str) -> list[tuple[str, str, str, str]]:
    return [(p.name, str(p.default).lower() if isinstance(p.default, bool) else f"{p.default:.6g}"
             if isinstance(p.default, float) else str(p.default), p.domain(), p.doc)
            for p in REGISTRY[name].params]


def write_index(out_dir: str | os.PathLike, jobs: list[Job], grad: bool) -> None:
    """index.html (opens from disk, no network) and index.md beside the gallery's figures."""
    root = Path(out_dir)
    cards, sections = [], ["# actplot gallery", "",
                           f"Every registered activation{' and its derivative' if grad else ''}, "
                           f"drawn by actplot {__version__}.", ""]
    for job in jobs:
        name = job.spec.functions[0]
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
        cards.append(
            f'<section id="{name}"><h2>{name}{html.escape(aliases)}</h2>'
            f"<p>{html.escape(entry.summary)}</p><p>f(x) = <code>{html.escape(formula)}</code></p>"
            f"{table_html}{derivative}{note}"
            f'<img src="{html.escape(job.relative)}" alt="{name} and its derivative" loading="eager">'
            f"</section>")
        sections += [f"## {name}{aliases}", "", entry.summary, "", f"f(x) = `{formula}`", ""]
        if params:
            sections += ["| parameter | default | values | |", "|---|---|---|---|"]
            sections += [f"| `{n}` | {v} | {d} | {doc} |" for n, v, d, doc in params]
            sections.append("")
        if entry.derivative_note:
            sections += [entry.derivative_note.replace("\n", " "), ""]
        sections += [f"![{name}]({job.relative})", ""]
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>actplot gallery</title>
<style>
body {{ font-family: sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }}
section {{ border-top: 1px solid #ddd; padding: 1em 0; }}
img {{ max-width: 100%; height: auto; display: block; margin-top: .5em; }}
table {{ border-collapse: collapse; font-size: 90%; }}
td, th {{ border: 1px solid #ddd; padding: .2em .5em; text-align: left; }}
.note {{ font-style: italic; }}
</style></head><body>
<h1>actplot gallery</h1>
<p>Every registered activation{' and its derivative' if grad else ''}, drawn by actplot {__version__}.</p>
{chr(10).join(cards)}
</body></html>
"""
    write_atomic(root / "index.html", lambda temp: Path(temp).write_text(page, encoding="utf-8"))
    text = "\n".join(sections)
    write_atomic(root / "index.md", lambda temp: Path(temp).write_text(text, encoding="utf-8"))
