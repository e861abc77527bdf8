"""Files and text: atomic writes, the JSON schema, CSV and the --at table. No torch, no matplotlib."""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import math
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from .errors import ActplotError, SpecError
from .spec import Series

DERIVATIVE_KEYS = ("dy", "d2y", "d3y")
TEMP_SUFFIX = ".actplot-tmp"


def check_path_text(field: str, path: str | os.PathLike) -> None:
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    if not text:
        raise SpecError(field, "the path is empty; give a file name such as relu.png (or - for "
                               "standard output)")
    if "\0" in text:
        raise SpecError(field, f"{text!r} contains a NUL byte, which no file name can hold")


def file_stem(name: str) -> str:
    """A file name from a function's name: 'x * sigmoid(b*x)' gives 'x_sigmoid_b_x'."""
    stem = re.sub(r"[^\w.-]+", "_", name).strip("_.")[:80]
    return stem or "activation"


def check_output_folder(path: str | os.PathLike) -> Path:
    """SpecError unless the file's folder exists and a file can be created in it. Tries for real,
    since os.access says yes to root even on a read-only folder."""
    check_path_text("output", path)
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.exists():
        raise SpecError("output", f"folder '{folder}' does not exist; create it first")
    if not folder.is_dir():
        raise SpecError("output", f"'{folder}' is not a folder")
    if path.is_dir():
        raise SpecError("output", f"'{path}' is a folder; give a file name such as {path / 'relu.png'}")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".actplot-probe-")
    except OSError as error:
        raise SpecError("output", f"cannot write in folder '{folder}': {error.strerror}") from None
    os.close(fd)
    os.unlink(probe)
    return path


def _temp_prefix(name: str) -> str:
    return f".{name}."


# The names atomic_file makes, .NAME.PID.RANDOM.actplot-tmp (RANDOM: 8 hex digits; versions
# that used mkstemp: 8 of [a-z0-9_]; the first versions: no PID)
TEMP_NAME = re.compile(r"\.(?P<name>.+?)(\.(?P<pid>[1-9]\d{0,9}))?\.(?P<random>[a-z0-9_]{8})"
                       + re.escape(TEMP_SUFFIX))


def _writer_alive(pid: int) -> bool:
    """Temp names carry their writer's PID: a temp whose writer still runs belongs to a
    concurrent run and is left alone."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_temps(folder: str | os.PathLike, name: str | None = None) -> int:
    """Remove the temp files that killed runs left in `folder` (only those of `name`, if given).
    Returns how many were removed."""
    pattern = f"{_temp_prefix(name)}*{TEMP_SUFFIX}" if name else f".*{TEMP_SUFFIX}"
    removed = 0
    for temp in Path(folder).glob(pattern):
        # only a name of exactly the form actplot makes, for the file asked about, and a plain
        # file: a user's '.notes.123.old.actplot-tmp' is not ours to delete
        match = TEMP_NAME.fullmatch(temp.name)
        if match is None or (name is not None and match["name"] != name) or temp.is_symlink() \
                or not temp.is_file():
            continue
        if match["pid"] is None or not _writer_alive(int(match["pid"])):
            with contextlib.suppress(OSError):
                temp.unlink()
                removed += 1
    return removed


def _open_folder(folder: Path, root: Path | None) -> int:
    """A descriptor of `folder`. With `root`, folder lies below it and every step from root down
    is opened without following a symbolic link (O_NOFOLLOW): a link swapped in for a folder
    while a batch runs cannot move a write outside root, since the check and the write go
    through the same descriptors."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
    if root is None:
        return os.open(folder if str(folder) else ".", flags)
    relative = Path(os.path.relpath(folder, root))
    descriptor = os.open(root, flags)
    try:
        for part in relative.parts:
            if part in (".", ""):
                continue
            if part == "..":
                raise ActplotError(f"'{folder}' is outside {root}")
            inner = os.open(part, flags | getattr(os, "O_NOFOLLOW", 0), dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
    except OSError as error:
        os.close(descriptor)
        if error.errno in (errno.ELOOP, errno.ENOTDIR):
            raise ActplotError(f"'{folder}' is (or passes through) a symbolic link made after "
                               f"the spec was checked; nothing was written outside {root}"
                               ) from None
        raise
    return descriptor


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, root: str | os.PathLike | None = None
                ) -> Iterator[io.BufferedWriter]:
    """A new temporary file beside `path`, open for writing in binary; renamed over `path` only
    if the block succeeds, so a failed or interrupted run never leaves a truncated file under
    the real name. Temps that a killed writer of the same file left behind are removed first.
    With `root`, the folder is reached from root without following links (see _open_folder)."""
    path = Path(path)
    remove_stale_temps(path.parent, path.name)
    folder = _open_folder(path.parent, None if root is None else Path(root))
    name = None
    try:
        for _ in range(100):
            name = f"{_temp_prefix(path.name)}{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
            try:
                descriptor = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                                     | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0),
                                     0o666, dir_fd=folder)  # the umask gives the usual mode
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(errno.EEXIST, "no free temporary name", str(path))
        try:
            with os.fdopen(descriptor, "wb") as handle:
                yield handle
            os.replace(name, path.name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=folder)
            raise
    finally:
        os.close(folder)


def write_atomic(path: str | os.PathLike, writer: Callable[[io.BufferedWriter], None],
                 root: str | os.PathLike | None = None) -> None:
    """writer(handle) fills a temporary file that becomes `path` when it returns."""
    try:
        with atomic_file(path, root) as handle:
            writer(handle)
    except OSError as error:
        raise ActplotError(f"cannot write '{path}': {error.strerror or error}") from None


def write_text_atomic(path: str | os.PathLike, text: str,
                      root: str | os.PathLike | None = None) -> None:
    write_atomic(path, lambda handle: handle.write(text.encode("utf-8")), root)


def _shortest(values: np.ndarray | None, dtype: str) -> list | None:
    """Each value as the shortest decimal that reads back as the same number in dtype; non-finite
    values become null, since JSON has no NaN."""
    if values is None:
        return None
    values = np.asarray(values, dtype=np.float64)
    narrow = values if dtype == "float64" else values.astype(np.float32)
    text = narrow.astype(str)
    return [float(t) if np.isfinite(v) else None for t, v in zip(text, values)]


def series_record(series: Series, order: int) -> dict:
    record = {
        "function": series.function,
        "params": dict(series.params),
        "device": series.device,
        "dtype": series.dtype,
        "x": _shortest(series.x, series.dtype),
        "y": _shortest(series.y, series.dtype),
    }
    for k in range(order):
        record[DERIVATIVE_KEYS[k]] = _shortest(series.derivatives[k], series.dtype)
    record["kinks"] = list(series.kinks)
    record["jumps"] = list(series.jumps)
    record["detected"] = sorted(b.x for b in series.breakpoints if b.detected)  # not declared
    record["poles"] = list(series.poles)
    if series.compose is not None:
        record["compose"] = series.compose
    return record


def to_json(series: Sequence[Series], order: int) -> str:
    document = {"series": [series_record(s, order) for s in series]}
    return json.dumps(document, allow_nan=False, indent=None, separators=(",", ":")) + "\n"


def to_csv(series: Sequence[Series], order: int) -> str:
    """One row per sample. A params column (name=value;...) appears when parameters are swept,
    so that each row says which curve it belongs to."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = ["x", "y", *DERIVATIVE_KEYS[:order]]
    swept = any(s.swept for s in series)
    writer.writerow(["function", "compose", *(["params"] if swept else []), *columns])
    for s in series:
        values = _columns(series_record(s, order), columns)
        label = [";".join(f"{k}={v}" for k, v in s.swept.items())] if swept else []
        for row in zip(*values):
            writer.writerow([s.function, s.compose or "", *label,
                             *("" if v is None else repr(v) for v in row)])
    return buffer.getvalue()


def to_table(series: Sequence[Series], order: int) -> str:
    """The --at table: one block per function, aligned columns, shortest round-trip values."""
    headers = ["x", "f(x)", "f'(x)", "f''(x)", "f'''(x)"][: order + 2]
    blocks = []
    for s in series:
        columns = _columns(series_record(s, order), ["x", "y", *DERIVATIVE_KEYS[:order]])
        cells = [[_cell(v) for v in column] for column in columns]
        widths = [max(len(h), *(len(c) for c in column)) for h, column in zip(headers, cells)]
        label = s.function + (f" composed {s.compose} times" if s.compose else "") + \
            "".join(f", {k} = {v}" for k, v in s.swept.items())
        lines = [f"{label} ({s.dtype}, {s.device})",
                 "  ".join(h.rjust(w) for h, w in zip(headers, widths))]
        for row in zip(*cells):
            lines.append("  ".join(c.rjust(w) for c, w in zip(row, widths)))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _columns(record: dict, keys: Sequence[str]) -> list[list]:
    """The record's columns; an order torch cannot take (null in JSON) becomes a column of None."""
    length = len(record["x"])
    return [record[k] if record[k] is not None else [None] * length for k in keys]


def _cell(value) -> str:
    return "n/a" if value is None else repr(value)


PROPERTY_LABELS = (
    ("domain", "domain"), ("range", "range"), ("monotonic", "monotonic"), ("derivative_monotonic", "f' monotonic"),
    ("continuity", "continuity"), ("zero_at_origin", "f(0) = 0"), ("zero_mean", "E[f] = 0"),
    ("identity_near_origin", "identity near 0"), ("saturates", "f' -> 0 (left, right)"),
    ("dead_zone", "f' = 0 on"), ("moments", "E[f], E[f^2], E[f'^2]"),
    ("gain", "init gain"), ("torch_gain", "torch's gain"),
)


def _interval(low: float | None, high: float | None,
              closed: Sequence[bool] = (True, True)) -> str:
    """(0, 1), [0, \u221e) and the like: an unbounded end is open, a bound not reached too."""
    left = "(-\u221e" if low is None else ("[" if closed[0] else "(") + f"{low:.6g}"
    right = "\u221e)" if high is None else f"{high:.6g}" + ("]" if closed[1] else ")")
    return f"{left}, {right}"


def _moment(value: float) -> str:
    """To the quadrature's 1e-6, with no "-0.000000"; large values in exponent form."""
    if abs(value) >= 1e6:
        return f"{value:.6g}"
    return f"{0.0 if abs(value) < 5e-7 else value:.6f}"


def describe(record: dict, lang: str = "en") -> list[tuple[str, str]]:
    """An info record (properties.properties) as (label, text) rows for people, in English or
    Chinese."""
    from .i18n import tr

    if record.get("note"):
        return [("note", record["note"])]

    def yes(value) -> str:
        return tr("yes" if value else "no", lang)

    zones = record["dead_zone"] or []
    moments = record["moments"]
    low, high = record["domain"]
    texts = {
        "domain": _interval(low, high, (False, False)),
        "range": ("{" + ", ".join(f"{v:.6g}" for v in record["values"]) + "}" if record["values"]
                  else _interval(*record["range"], record["range_closed"])),
        "monotonic": yes(record["monotonic"]),
        "derivative_monotonic": yes(record["derivative_monotonic"]),
        "continuity": record["continuity"],
        "zero_at_origin": yes(record["zero_at_origin"]),
        "zero_mean": "-" if record["zero_mean"] is None else yes(record["zero_mean"]),
        "identity_near_origin": yes(record["identity_near_origin"]),
        "saturates": f"{yes(record['saturates']['left'])}, {yes(record['saturates']['right'])}",
        "dead_zone": (" and " if lang == "en" else "、").join(_interval(a, b) for a, b in zones)
        or tr("nowhere", lang),
        # to the quadrature's 1e-6, with no "-0.000000"
        "moments": tr("- (f is not defined on the whole line)", lang) if moments is None else
        ", ".join(_moment(moments[k]) for k in ("mean", "mean_square", "derivative_mean_square")),
        "gain": "-" if record["gain"] is None else f"{record['gain']:.6f}",
        "torch_gain": "-" if record["torch_gain"] is None else f"{record['torch_gain']:.6f}",
    }
    return [(tr(label, lang), texts[key]) for key, label in PROPERTY_LABELS]


def finite_values(value):
    """value with every float that is not finite replaced by None (null in JSON), through lists,
    tuples and dicts: JSON has no NaN or Infinity, and a strict reader refuses them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return [finite_values(v) for v in value]
    if isinstance(value, dict):
        return {k: finite_values(v) for k, v in value.items()}
    return value


def info_json(records: Sequence[dict]) -> str:
    return json.dumps({"functions": finite_values(list(records))}, indent=1, allow_nan=False) + "\n"


def info_table(records: Sequence[dict], lang: str = "en") -> str:
    """A property per row, a function per column, for comparing a few functions; columns line
    up in a terminal, where a Chinese character takes two cells."""
    from .i18n import tr

    headers = [tr("property", lang)] + [
        r["function"] + "".join(f" {k}={v}" for k, v in r.get("swept", {}).items())
        for r in records]
    columns = [describe(r, lang) for r in records]
    labels = [label for label, _ in max(columns, key=len)]
    rows = [[label] + [dict(column).get(label, "") for column in columns] for label in labels]
    widths = [max(cells(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(str(c) + " " * (w - cells(str(c))) for c, w in zip(row, widths)).rstrip()
             for row in [headers, *rows]]
    return "\n".join(lines) + "\n"


def cells(text: str) -> int:
    """The terminal cells that text takes: two for a wide (CJK) character."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
