"""Many figures in one process or a pool: TOML specs, the gallery, the manifest that makes reruns
incremental, and the summary. torch and matplotlib load in whichever process draws."""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import json
import multiprocessing
import os
import signal
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from . import __version__, functions
from .custom import MODULE_ATTR
from .errors import ActplotError, SpecError, printable
from .output import check_path_text, file_stem, remove_stale_temps, write_text_atomic
from .registry import REGISTRY
from .spec import (DEPTH_FORMATS, DEPTH_KEYS, EXPLORE_KEYS, FIGURE_FORMATS, FIGURE_KEYS,
                   FIT_FORMATS, FIT_KEYS, DepthSpec, ExploreSpec, FigureSpec, FitSpec,
                   build_depth_spec, build_explore_spec, build_fit_spec, build_spec, check_pixels,
                   output_format)

MANIFEST = ".actplot-manifest.json"
RESERVED = (MANIFEST,)  # a gallery's index pages are .html and .md, which no output can be
SPEC_KEYS = FIGURE_KEYS


@dataclass
class Job:
    label: str  # "figures.toml: figure 2 (relu.svg)", for messages
    spec: FigureSpec
    root: Path  # the output folder; the manifest lives here
    relative: str  # output path below root
    fmt: str
    confined: bool = True  # written through root's descriptor; False with --allow-outside
    described: bool = False  # a gallery's: its info record is computed where it is drawn

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
        for key in ("output", "format"):
            if key in table and not isinstance(table[key], str):
                raise SpecError(key, f"{key} must be text, not {table[key]!r}")
        if "params" in table and not isinstance(table["params"], dict):
            raise SpecError("params", f"params must be a table such as {{ alpha = 1 }}, not "
                                      f"{table['params']!r}")
        spec = build_spec(table["functions"], **options)
        from .render import check_texts

        check_texts(spec)
    except SpecError as error:
        raise SpecError(error.field, f"{label}: key '{error.field}': {error.message}") from None
    return spec, table.get("output"), table.get("format")


def _files_beside_the_spec(table: dict, folder: Path) -> dict:
    """Paths in a spec are relative to the spec's folder, as outputs are: a FILE.py:ATTR
    function and a style FILE.mplstyle (a style without a slash or an .mplstyle ending is a
    style's name, such as ggplot). Absolute paths and module:attr names are left as they are."""
    table = dict(table)
    style = table.get("style")
    if isinstance(style, str) and ("/" in style or style.endswith(".mplstyle")) \
            and not Path(style).expanduser().is_absolute():
        table["style"] = str((folder / style).resolve())
    names = table.get("functions")
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list):
        return table
    fixed = []
    for name in names:
        match = MODULE_ATTR.fullmatch(name.strip()) if isinstance(name, str) else None
        if match and match["module"].endswith(".py") and not Path(match["module"]).is_absolute():
            name = f"{(folder / match['module']).resolve()}:{match['attr']}"
        fixed.append(name)
    return {**table, "functions": fixed}


def _inside(root: Path, relative: str, label: str, allow_outside: bool,
            reserved: tuple[str, ...] = RESERVED) -> str:
    """The output's path relative to root. Confinement resolves real paths: a symlinked folder
    inside root that points outside it does not let an output escape."""
    try:
        check_path_text("output", relative)
    except SpecError as error:
        raise SpecError("output", f"{label}: key 'output': {error.message}") from None
    target = Path(os.path.normpath(root / relative))
    real_root, real_target = os.path.realpath(root), os.path.realpath(target)
    escapes = (Path(relative).is_absolute()
               or os.path.commonpath([root, target]) != str(root)
               or os.path.commonpath([real_root, real_target]) != real_root)
    if escapes and not allow_outside:
        raise SpecError("output", f"{label}: key 'output': '{relative}' is outside {root}; "
                                  "use a relative path below it, or --allow-outside")
    if target.name in reserved and target.parent == root:
        raise SpecError("output", f"{label}: key 'output': '{relative}' is actplot's own file; "
                                  "choose another name")
    for parent in target.parents:
        if parent == root or len(parent.parts) < len(root.parts):
            break
        if parent.exists() and not parent.is_dir():
            raise SpecError("output", f"{label}: key 'output': '{parent}' is a file, not a folder")
    if target.is_dir():
        raise SpecError("output", f"{label}: key 'output': '{relative}' is a folder; name a file")
    return os.path.relpath(target, root)


def _output_root(out_dir: str | os.PathLike, field: str = "out-dir") -> Path:
    """The output folder, created if missing; a usage error if it cannot be."""
    check_path_text(field, out_dir)
    root = Path(os.path.abspath(out_dir))
    if root.exists() and not root.is_dir():
        raise SpecError(field, f"'{root}' is a file; the output folder must be a folder")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SpecError(field, f"cannot create output folder '{root}': {error.strerror}") from None
    return root


def load_spec(path: str | os.PathLike, out_dir: str | None = None,
              allow_outside: bool = False) -> list[Job]:
    """Parse and validate a whole spec before anything is drawn; SpecError names file, figure, key."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SpecError("spec", f"{path}: not valid TOML: {error}") from None
    extra = sorted(set(document) - {"defaults", "figure", "fit", "depth", "explore"})
    if extra:
        raise SpecError("spec", f"{path}: unknown table '{extra[0]}'; use [defaults], [[figure]], "
                                "[[fit]], [[depth]] and [[explore]]")
    defaults = document.get("defaults", {})
    figures = document.get("figure", [])
    fits = document.get("fit", [])
    depths = document.get("depth", [])
    explores = document.get("explore", [])
    if not isinstance(defaults, dict) or not all(isinstance(t, list)
                                                 for t in (figures, fits, depths, explores)) \
            or not figures + fits + depths + explores:
        raise SpecError("spec", f"{path}: needs at least one [[figure]], [[fit]] or [[depth]] "
                                "table")
    if not all(isinstance(t, dict) for t in figures + fits + depths):
        raise SpecError("spec", f"{path}: each [[figure]], [[fit]] and [[depth]] must be a table")
    root = _output_root(out_dir if out_dir is not None else path.parent)
    jobs, seen = [], {}
    for number, table in enumerate(figures, start=1):
        merged = _files_beside_the_spec({**defaults, **table}, path.parent)
        if "output" in table and "format" not in table:
            merged.pop("format", None)  # the figure's own file name outranks a default format
        if isinstance(defaults.get("params"), dict) and isinstance(table.get("params"), dict):
            merged["params"] = {**defaults["params"], **table["params"]}
        name = table.get("output") if isinstance(table.get("output"), str) else ""
        label = f"{path.name}: figure {number}" + (f" ({name})" if name else "")
        spec, output, fmt = _spec_from_table(merged, label)
        try:
            fmt = output_format(root / output if output else None, fmt)  # a folder is said so
            if spec.at is not None and fmt in FIGURE_FORMATS:
                raise SpecError("at", "gives data; write it to a .csv or .json output, or use "
                                      "range for a figure")
            check_pixels(spec, fmt)
        except SpecError as error:
            raise SpecError(error.field, f"{label}: key '{error.field}': {error.message}") from None
        default = f"{file_stem(functions.label(spec.functions[0]))}.{fmt}"
        relative = _inside(root, output or default, label, allow_outside)
        if relative in seen:
            raise SpecError("output", f"{label}: key 'output': '{relative}' is also written by "
                                      f"figure {seen[relative]}")
        seen[relative] = number
        jobs.append(Job(label, spec, root, relative, fmt, not allow_outside))
    for number, table in enumerate(fits, start=1):
        jobs.append(_fit_job(path, root, number, table, seen, allow_outside))
    for number, table in enumerate(depths, start=1):
        jobs.append(_fit_job(path, root, number, table, seen, allow_outside, kind="depth"))
    for number, table in enumerate(explores, start=1):
        jobs.append(_fit_job(path, root, number, table, seen, allow_outside, kind="explore"))
    for job in jobs:  # only once the whole spec is known to be good
        job.path.parent.mkdir(parents=True, exist_ok=True)
    return jobs


def _fit_job(path: Path, root: Path, number: int, table: dict, seen: dict,
             allow_outside: bool, kind: str = "fit") -> Job:
    """A [[fit]] (or [[depth]], [[explore]]) table: the keys of `actplot fit` (`actplot depth`,
    `actplot explore`); [defaults] is for figures and does not apply."""
    name = table.get("output") if isinstance(table.get("output"), str) else ""
    label = f"{path.name}: {kind} {number}" + (f" ({name})" if name else "")
    table = _files_beside_the_spec(table, path.parent)
    keys, build, formats = {"fit": (FIT_KEYS, build_fit_spec, FIT_FORMATS),
                            "depth": (DEPTH_KEYS, build_depth_spec, DEPTH_FORMATS),
                            "explore": (EXPLORE_KEYS, build_explore_spec, ("html",))}[kind]
    unknown = sorted(set(table) - set(keys))
    try:
        if unknown:
            raise SpecError(unknown[0], f"unknown key; valid keys: {', '.join(keys)}")
        if "functions" not in table and not (kind == "explore" and table.get("all") is True):
            raise SpecError("functions", "missing key")
        for key in ("output", "format"):
            if key in table and not isinstance(table[key], str):
                raise SpecError(key, f"{key} must be text, not {table[key]!r}")
        options = {k: v for k, v in table.items() if k not in ("functions", "output", "format")}
        spec = build(table.get("functions", ()), **options)
        output = table.get("output")
        fmt = output_format(root / output if output else None, table.get("format"), formats)
        check_pixels(spec, fmt)
        from .render import check_texts

        check_texts(spec)
    except SpecError as error:
        raise SpecError(error.field, f"{label}: key '{error.field}': {error.message}") from None
    relative = _inside(root, table.get("output") or f"{kind}-{number}.{fmt}", label,
                       allow_outside)
    if relative in seen:
        raise SpecError("output", f"{label}: key 'output': '{relative}' is also written by "
                                  f"figure {seen[relative]}")
    seen[relative] = f"{kind} {number}"
    return Job(label, spec, root, relative, fmt, not allow_outside)


def gallery_jobs(out_dir: str | os.PathLike, fmt: str = "svg", grad: bool = False,
                 dpi: int = 150, **look: Any) -> list[Job]:
    """A figure per built-in; `look` (theme, style, lang...) applies to each."""
    if fmt not in FIGURE_FORMATS:
        raise SpecError("format", f"gallery figures are {', '.join(FIGURE_FORMATS)}, not {fmt}")
    specs = {name: build_spec([name], grad=grad, dpi=dpi, **look) for name in gallery_names()}
    for spec in specs.values():
        check_pixels(spec, fmt)
    root = _output_root(out_dir)
    return [Job(f"gallery: {name}", spec, root, f"{name}.{fmt}", fmt, described=True)
            for name, spec in specs.items()]


def gallery_names() -> list[str]:
    """Every function a gallery draws: the built-ins, then the installed plugins' functions."""
    from .entrypoints import plugins

    return [*REGISTRY, *sorted({p.entry.name for p in plugins().values()} - set(REGISTRY))]


def _load_manifest(root: Path) -> dict[str, str]:
    return dict(load_manifest_data(root).get("figures", {}))


def load_manifest_data(root: Path) -> dict:
    """The manifest: each figure's key, a gallery's info records (by figure, with the key they
    were computed for) and the key of the index pages; {} when there is none or it is unreadable."""
    try:
        data = json.loads((Path(root) / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


@contextlib.contextmanager
def _manifest_lock(root: Path):
    """Runs that share an output folder take turns updating its manifest. The lock is on the
    folder itself, so no lock file is left among the user's figures."""
    try:
        import fcntl
    except ImportError:  # no fcntl (Windows): one run at a time is the user's to ensure
        yield
        return
    descriptor = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _record(root: Path, relative: str, key: str, record: dict | None = None) -> None:
    """Merge one figure's entry (and a gallery figure's info record) into the manifest on disk,
    under the lock, so that another run's entries written meanwhile are kept."""
    def change(data: dict) -> None:
        data.setdefault("figures", {})[relative] = key
        if record is not None:
            data.setdefault("properties", {})[relative] = {"key": key, "record": record}

    update_manifest(root, change)


def record_index(root: Path, key: str) -> None:
    """Note that the index pages in `root` were written for `key` (gallery.index_key)."""
    update_manifest(root, lambda data: data.__setitem__("index", key))


def update_manifest(root: Path, change) -> None:
    with _manifest_lock(root):
        data = load_manifest_data(root)
        change(data)
        data = {"actplot": __version__, "figures": dict(sorted(data.get("figures", {}).items())),
                **({"properties": dict(sorted(data["properties"].items()))}
                   if data.get("properties") else {}),
                **({"index": data["index"]} if data.get("index") else {})}
        write_text_atomic(root / MANIFEST, json.dumps(data, indent=1) + "\n")


def _confined(job: Job) -> str | None:
    """The folder a job's writes are confined to: its output root, unless the spec allowed
    writing outside it (--allow-outside)."""
    return str(job.root) if job.confined else None


def describe_job(spec: FigureSpec, path: str, fmt: str, root: str | None = None):
    """A gallery's figure: draw it, then compute its info record (actplot info) in the same
    process, while torch is warm. (why it failed or None, the record or None)."""
    error = render_job(spec, path, fmt, root)
    if error is not None:
        return error, None
    from .output import finite_values
    from .properties import properties

    name = spec.functions[0]
    try:
        return None, finite_values(properties(name, dict(spec.params[name])))
    except Exception:  # noqa: BLE001  (the index computes it again, and says why it fails)
        return None, None


def render_job(spec: FigureSpec, path: str, fmt: str, root: str | None = None) -> str | None:
    """Draw one figure; return None, or why it failed. Runs in a worker process too. Any
    exception, MemoryError included, is this figure's failure and never the batch's."""
    from .api import render_to_file

    try:
        if isinstance(spec, FitSpec):
            from . import fitting
            from .api import write_fit

            write_fit(fitting.train(spec), spec, path, fmt, root=root)
        elif isinstance(spec, DepthSpec):
            from .api import depth_runs, write_depth

            write_depth(depth_runs(spec), spec, path, fmt, root=root)
        elif isinstance(spec, ExploreSpec):
            from .api import explore_html
            from .output import write_text_atomic

            write_text_atomic(path, explore_html(spec), root)
        else:
            render_to_file(spec, path, fmt, root=root)
    except MemoryError:
        return "out of memory while drawing (try a smaller size, dpi or points)"
    except Exception as error:  # noqa: BLE001  (reported per figure, with its type if unclear)
        text = str(error).splitlines()[0] if str(error).strip() else ""
        if isinstance(error, (ActplotError, ValueError, OSError)) and text:
            return text
        return f"{type(error).__name__}: {text}" if text else type(error).__name__
    return None


def _end_with_parent(parent: int) -> None:
    """A worker ends when the process that started it does, whatever killed that (SIGKILL
    too): Linux sends it SIGKILL then; elsewhere a thread watches the parent's pid."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # the parent died before the call
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass
    import threading
    import time

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _worker_init(parent: int) -> None:
    _end_with_parent(parent)
    # Ctrl-C reaches the whole process group; the parent alone handles it, so workers print no
    # KeyboardInterrupt tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import warnings

    import torch

    import actplot.render  # noqa: F401  (matplotlib, once per worker)
    from .errors import warning_line

    warnings.showwarning = lambda message, category, *rest: print(
        warning_line(message, category), file=sys.stderr)
    torch.set_num_threads(1)  # workers share the cores: one thread each avoids oversubscription


def _pool(workers: int) -> concurrent.futures.ProcessPoolExecutor:
    # fork is the cheapest start, and safe while this process has not started torch's threads.
    method = "fork" if "torch" not in sys.modules and sys.platform == "linux" else "spawn"
    return concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context(method), initializer=_worker_init,
        initargs=(os.getpid(),))


class _Interrupt:
    """The first Ctrl-C asks the run to stop after the figure in hand (which is written whole) and
    raise click.Abort there; a second one stops at once. Either way the command prints one line
    and exits 130. A flag, not a KeyboardInterrupt raised wherever the signal lands: Python only
    prints one raised in a finalizer or callback and carries on, so a run could finish and exit 0
    after Ctrl-C (the likely cause of the flaky SIGINT test)."""

    def __init__(self):
        self.requested = False

    SIGNALS = (signal.SIGINT, signal.SIGTERM)  # SIGTERM stops the same way, and exits 143

    def __enter__(self):
        self._previous = {}
        for number in self.SIGNALS:
            try:
                self._previous[number] = signal.getsignal(number)
                signal.signal(number, self._handle)
            except ValueError:  # not the main thread: leave the signals as they are
                self._previous.pop(number, None)
        return self

    def _handle(self, signum, frame):
        from .usercode import note_signal

        note_signal(signum)
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        return False


def _stop_workers(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    pool.shutdown(wait=False, cancel_futures=True)
    for process in list((pool._processes or {}).values()):
        with contextlib.suppress(Exception):
            process.terminate()
    for process in list((pool._processes or {}).values()):
        with contextlib.suppress(Exception):
            process.join(5)


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
    # temps that killed runs left: of figures, the manifest, the index pages and figures since
    # removed from the spec; never those of a run still going
    for folder in {j.root for j in jobs} | {j.path.parent for j in jobs}:
        remove_stale_temps(folder)
    show_progress = not quiet and sys.stderr.isatty() and todo

    def finished(job: Job, result) -> None:
        error, record = result if isinstance(result, tuple) else (result, None)
        if error is None:
            summary.written.append(job)
            _record(job.root, job.relative, job.key, record)
        else:
            summary.failed.append((job, error))
            click.echo(f"Error: {printable(job.label)}: {printable(error)}", err=True)

    with _Interrupt() as interrupt, (click.progressbar(length=len(todo), label="drawing",
                                                       file=sys.stderr)
                                     if show_progress else _NoProgress()) as bar:
        if workers == 1 or len(todo) < 2:
            for job in todo:
                if interrupt.requested:
                    raise click.Abort
                finished(job, _work(job)(job.spec, str(job.path), job.fmt, _confined(job)))
                bar.update(1)
        else:
            pool = _pool(min(workers, len(todo)))
            try:
                futures = {pool.submit(_work(j), j.spec, str(j.path), j.fmt, _confined(j)): j
                           for j in todo}
                pending = set(futures)
                while pending:
                    done, pending = concurrent.futures.wait(
                        pending, timeout=0.1, return_when=concurrent.futures.FIRST_COMPLETED)
                    for future in done:
                        try:
                            result = future.result()
                        except Exception as crash:  # noqa: BLE001  (a worker died: OOM killer)
                            result = f"the worker drawing it stopped ({type(crash).__name__})"
                        finished(futures[future], result)
                        bar.update(1)
                    if interrupt.requested:
                        raise click.Abort
            except BaseException:
                _stop_workers(pool)
                raise
            pool.shutdown(wait=True)
    if not quiet:
        click.echo(f"{len(summary.written)} written, {len(summary.skipped)} up to date, "
                   f"{len(summary.failed)} failed", err=True)
    return summary


def _work(job: Job):
    return describe_job if job.described else render_job


class _NoProgress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, _: int) -> None:
        pass
