"""Figures written where they are read (Sphinx, MkDocs, a README, a notebook): a command line, as
the user would type it after `actplot`, run by the same Click command into a file named by a hash
of the command, the format and actplot's version, so that an unchanged page redraws nothing and
a changed one redraws only what changed. No Sphinx, MkDocs or IPython here."""

from __future__ import annotations

import contextlib
import hashlib
import io
import shlex
import warnings
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .errors import ActplotError

# The commands that draw a figure to -o; `info` prints a table, and the others are not figures
DRAWING = ("plot", "fit", "depth")


class EmbedError(ActplotError):
    """A command that cannot be drawn: the one line that actplot would print."""


@dataclass(frozen=True)
class Drawn:
    path: Path
    redrawn: bool  # False when the cached file was up to date
    warnings: tuple[str, ...] = ()


def split(command: str) -> list[str]:
    """A command line as the shell would split it, without a leading `actplot`."""
    try:
        args = shlex.split(command)
    except ValueError as error:
        raise EmbedError(f"cannot read the command line {command!r}: {error}") from None
    if args[:1] == ["actplot"]:
        args = args[1:]
    if not args:
        raise EmbedError("the command is empty; give one such as: relu gelu --grad")
    return args


def command_kind(args: list[str]) -> str:
    from .cli import cli

    first = args[0]
    if first in cli.commands:
        return first
    return "plot"


def cached_name(args: list[str], fmt: str) -> str:
    identity = "\0".join([__version__, fmt, *args])
    return f"actplot-{hashlib.sha256(identity.encode()).hexdigest()[:16]}.{fmt}"


def draw(args: list[str], folder: str | Path, fmt: str) -> Drawn:
    """The command's figure in `folder`, drawn unless a file made from the same command, format
    and version is there. EmbedError with actplot's one-line message when it cannot be."""
    kind = command_kind(args)
    if kind not in DRAWING:
        raise EmbedError(f"'{kind}' draws no figure; a figure comes from a function name, fit or "
                         "depth (for properties, use the info table)")
    if any(a in ("-o", "--output") or a.startswith("--output=") for a in args):
        raise EmbedError("the figure's file is chosen for it: drop -o")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / cached_name(args, fmt)
    if path.is_file() and path.stat().st_size:
        return Drawn(path, False)
    caught = run(args + ["-o", str(path)])
    return Drawn(path, True, caught)


def run(args: list[str]) -> tuple[str, ...]:
    """Run actplot's command line in this process; its warnings, as lines. EmbedError with the
    message the command line would print, for a usage error or a failure."""
    import click

    from .cli import cli

    out = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        try:
            cli.main(args=list(args), prog_name="actplot", standalone_mode=False)
        except click.ClickException as error:
            raise EmbedError(error.format_message()) from None
        except click.exceptions.Exit as done:
            if done.exit_code:
                raise EmbedError(f"exit status {done.exit_code}") from None
        except (click.Abort, KeyboardInterrupt):
            raise EmbedError("interrupted") from None
        except ActplotError as error:
            raise EmbedError(str(error)) from None
    return tuple(str(w.message) for w in caught)


def output_of(args: list[str]) -> str:
    """What a command prints (info's table), run as run() runs it."""
    import click

    from .cli import cli

    out = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(out):
        warnings.simplefilter("ignore")
        try:
            cli.main(args=list(args), prog_name="actplot", standalone_mode=False)
        except click.ClickException as error:
            raise EmbedError(error.format_message()) from None
        except ActplotError as error:
            raise EmbedError(str(error)) from None
    return out.getvalue()


def info_rows(args: list[str]) -> tuple[list[str], list[list[str]]]:
    """`info`'s table as (header, rows), a property per row and a function per column, from the
    arguments that `actplot info` takes (parsed by its own Click command)."""
    import click

    from . import api
    from .cli import cli
    from .output import describe
    from .spec import SpecError, build_spec

    try:
        context = cli.commands["info"].make_context("info", list(args))
        functions, params = context.params["functions"], list(context.params["params"])
        spec = build_spec(functions, params=params)
        records = api.info(spec.functions, params=params)
    except click.ClickException as error:
        raise EmbedError(error.format_message()) from None
    except SpecError as error:
        raise EmbedError(error.message) from None
    swept = {f: {s.name for s in spec.sweeps.get(f, ())} for f in spec.functions}
    header = ["property"] + [r["function"] + "".join(
        f" {k}={v}" for k, v in r["params"].items() if k in swept[r["function"]])
        for r in records]
    columns = [describe(record) for record in records]
    labels = [label for label, _ in max(columns, key=len)]
    rows = [[label] + [dict(column).get(label, "") for column in columns] for label in labels]
    return header, rows
