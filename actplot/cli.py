"""The command line: parse, validate, call the library, report. torch and matplotlib are imported
only by the commands that draw or compute, never for --help or list."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys

import click

from . import __version__
from .errors import ActplotError, SpecError, printable, warning_line
from .functions import label as entry_label
from .functions import resolve
from .registry import ALIASES, FAMILIES, REGISTRY, SEED_MAX, builtin_name
from .spec import (DEFAULT_FPS, DTYPES, FIGURE_FORMATS, FORMATS, LANGUAGES, LAYOUTS, LEGENDS, MAX_ORDER,
                   PANEL_TITLES, STDOUT, YSCALES, build_spec, check_pixels,
                   output_format)
from .themes import THEMES

OPTION_FOR_FIELD = {
    "functions": "FUNCTIONS", "params": "-p/--param", "range": "--range", "points": "--points",
    "order": "--order", "device": "--device", "dtype": "--dtype", "at": "--at",
    "compose": "--compose", "jacobian": "--jacobian", "train": "--train", "seed": "--seed",
    "size": "--size", "dpi": "--dpi", "title": "--title", "output": "-o/--output",
    "format": "--format", "layout": "--layout", "target": "--target", "hidden": "--hidden",
    "steps": "--steps", "optimizer": "--optimizer", "lr": "--lr", "seeds": "--seeds",
    "theme": "--theme", "style": "--style", "ylim": "--ylim", "yscale": "--yscale",
    "legend": "--legend", "xlabel": "--xlabel", "ylabel": "--ylabel",
    "panel_titles": "--panel-titles", "lang": "--lang", "svg_text": "--svg-text",
    "animate": "--animate", "fps": "--fps", "loop": "--loop", "term": "--term",
    "tol": "--tol", "frames": "--frames", "pre_activations": "--pre-activations",
    "layers": "--layers", "width": "--width", "inputs": "--inputs", "init": "--init",
    "sigma_w": "--sigma-w", "sigma_b": "--sigma-b", "q0": "--q0", "c0": "--c0",
    "phase": "--phase", "grid": "--grid", "sigma_w2_range": "--sigma-w2-range",
    "sigma_b2_range": "--sigma-b2-range",
}


def usage_error(error: SpecError) -> click.BadParameter:
    return click.BadParameter(error.message, param_hint=f"'{OPTION_FOR_FIELD.get(error.field, error.field)}'")


class FunctionName(click.ParamType):
    name = "function"

    def convert(self, value, param, ctx):
        if ctx is not None and ctx.resilient_parsing:  # completing: never import the user's code
            return builtin_name(value) or value
        parts = [part.strip() for part in value.split(",")]
        if len(parts) > 1 and all(builtin_name(part) for part in parts):
            self.fail(f"'{value}' names several functions in one argument; separate them with "
                      f"spaces: actplot {' '.join(parts)}", param, ctx)
        try:
            return resolve(value)
        except SpecError as error:
            self.fail(error.message, param, ctx)

    def shell_complete(self, ctx, param, incomplete):
        return complete_function_names(incomplete)


def complete_function_names(incomplete: str):
    from click.shell_completion import CompletionItem

    names = sorted({*REGISTRY, *ALIASES})
    return [CompletionItem(name, help=REGISTRY[ALIASES.get(name, name)].summary)
            for name in names if name.startswith(incomplete.lower())]


class ParamAssignment(click.ParamType):
    """NAME=VALUE, or FUNCTION.NAME=VALUE to target one function; a VALUE of V1,V2,V3 or
    START:STOP:COUNT sweeps the parameter, a curve per value."""

    name = "name=value"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        key, sep, raw = value.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key or not raw:
            self.fail(f"'{value}' is not NAME=VALUE (for example negative_slope=0.1 or "
                      "leaky_relu.negative_slope=0.1)", param, ctx)
        target, _, name = key.rpartition(".")
        try:
            return (target or None, name, parse_sweep(raw))
        except ValueError as error:
            self.fail(f"'{value}': {error}", param, ctx)

    def shell_complete(self, ctx, param, incomplete):
        """-p neg<TAB> gives negative_slope=, from the functions already on the line (or
        FUNCTION.NAME= for a targeted one)."""
        from click.shell_completion import CompletionItem

        # with "-p" last on the line, resilient parsing leaves the names unparsed in ctx.args
        functions = []
        for word in (ctx.params.get("functions") or ctx.args or ()):
            name = builtin_name(word)
            if name:
                functions.append(name)
        target, dot, _ = incomplete.rpartition(".")
        if dot:
            functions = [f for f in functions if f == ALIASES.get(target, target)]
        items = {}
        for function in functions:
            for parameter in REGISTRY[function].params:
                text = f"{target}{dot}{parameter.name}="
                if text.startswith(incomplete):
                    items.setdefault(text, CompletionItem(text, help=parameter.doc))
        return list(items.values())


MAX_SWEEP_VALUES = 10_000  # then the spec says what fits: 64 curves, or 300 animation frames


def parse_sweep(raw: str):
    """'0,0.1,1' -> ['0', '0.1', '1'] and '0:1:5' -> [0.0, 0.25, 0.5, 0.75, 1.0]; else raw."""
    if "," in raw:
        parts = [part.strip() for part in raw.split(",")]
        if not all(parts):
            raise ValueError("a sweep is V1,V2,V3 with no empty value")
        return parts
    if ":" not in raw:
        return raw
    parts = raw.split(":")
    try:
        start, stop, count = float(parts[0]), float(parts[1]), int(parts[2])
        if len(parts) != 3:
            raise IndexError
    except (ValueError, IndexError):
        raise ValueError("a range sweep is START:STOP:COUNT, such as 0:1:5") from None
    if not 2 <= count <= MAX_SWEEP_VALUES:
        raise ValueError(f"COUNT must be from 2 to {MAX_SWEEP_VALUES}, not {count}")
    return [float(f"{start + (stop - start) * i / (count - 1):.12g}") for i in range(count)]


class NumberList(click.ParamType):
    """Comma-separated numbers; negative numbers work: --at -1,2,-3."""

    def __init__(self, kind: type = float):
        self.kind = kind
        self.name = "x,y,..." if kind is float else "k,k,..."

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        try:
            return tuple(self.kind(part) for part in value.replace(" ", "").split(",") if part)
        except ValueError:
            noun = "numbers" if self.kind is float else "integers"
            self.fail(f"'{value}' is not a comma-separated list of {noun}", param, ctx)


def complete_devices(ctx, param, incomplete):
    """The device names; which are present is known only to torch, which completion must not
    load."""
    return [d for d in ("auto", "cpu", "cuda", "cuda:0", "mps") if d.startswith(incomplete)]


class DefaultCommandGroup(click.Group):
    """`actplot relu ...` runs `actplot plot relu ...`; errors are one line on stderr."""

    default_command = "plot"

    def parse_args(self, ctx, args):
        if not args and not ctx.resilient_parsing:  # as git does: bare `actplot` shows the help
            click.echo(ctx.get_help())
            ctx.exit(0)
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def shell_complete(self, ctx, incomplete):
        """The first word is a command or a function name (which runs plot)."""
        return [*super().shell_complete(ctx, incomplete), *complete_function_names(incomplete)]

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # as Abort: click would print an empty line first
            raise click.Abort() from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        from . import usercode

        usercode.install_signal_handlers()
        if hasattr(signal, "SIGXFSZ"):  # past a file-size limit: EFBIG (one line), not a core dump
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        try:
            with OneLineWarnings():
                code = super().main(args, prog_name or "actplot", complete_var, False, **extra)
        except click.ClickException as error:
            fail(error.format_message(), error.exit_code)
        except (click.Abort, KeyboardInterrupt):
            terminated = usercode.signalled() == signal.SIGTERM
            click.echo("Terminated." if terminated else "Aborted.", err=True)
            sys.exit(143 if terminated else 130)
        except ActplotError as error:
            fail(str(error), 1)
        except BrokenPipeError:  # the reader of stdout went away (| head): quiet, as Unix tools
            _drop_stdout()
            sys.exit(141)
        except OSError as error:
            if error.filename is not None:  # a file's, not stdout's: a bug to report
                _internal_error(error)
            _drop_stdout()
            fail(f"cannot write to standard output: {error.strerror or error}", 1)
        except Exception as error:  # a bug: still one line, unless ACTPLOT_DEBUG asks for more
            _internal_error(error)
        sys.exit(code if isinstance(code, int) else 0)


def _internal_error(error: Exception) -> None:
    if os.environ.get("ACTPLOT_DEBUG"):
        raise error
    fail(f"internal error ({type(error).__name__}: {error}); please report it with the command "
         "line (ACTPLOT_DEBUG=1 shows the traceback)", 1)


def fail(message: str, code: int) -> None:
    click.echo(f"Error: {printable(message)}", err=True)
    sys.exit(code)


class OneLineWarnings:
    """Warnings reach the user as one plain line each ("Warning: ..."), never as matplotlib's
    source line; the same text is said once."""

    def __enter__(self):
        import warnings

        self._said = set()
        self._saved = warnings.showwarning
        self._filters = warnings.catch_warnings()
        self._filters.__enter__()
        warnings.simplefilter("default")
        warnings.showwarning = self._show
        return self

    def _show(self, message, category, filename, lineno, file=None, line=None):
        text = warning_line(message, category)
        if "Glyph" in text and "missing from font" in text:
            text = ("Warning: the font has no glyphs for some characters of the text, which show "
                    "as boxes; install a font that has them (for Chinese, Debian's fonts-noto-cjk)")
        if text not in self._said:
            self._said.add(text)
            click.echo(text, err=True)

    def __exit__(self, *exc):
        import warnings

        warnings.showwarning = self._saved
        self._filters.__exit__(*exc)
        return False


@click.group(cls=DefaultCommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="actplot")
def cli():
    """Plot neural-network activation functions and their derivatives.

    \b
    actplot relu --range -20 20 --grad -o relu.png
    actplot sigmoid tanh --grad -o sig_tanh.svg
    actplot leaky_relu -p negative_slope=0.1 --grad -o lrelu.pdf
    actplot relu --at -1,2,-3,4,0
    actplot relu elu gelu --grad --layout overlay -o compare.png
    actplot info relu tanh selu
    actplot fit relu leaky_relu --hidden 2 --seeds 0-19 -o fit.png
    actplot elu -p alpha=0:2:41 --grad --animate alpha -o elu.gif
    actplot relu gelu --grad --term
    actplot explore elu gelu -p alpha=0:2:41 -o explore.html
    actplot list

    A function name runs the plot command (see 'actplot plot --help').
    """


def figure_options(fn):
    """Options shared by the commands that draw figures."""
    return click.option("--dpi", type=click.IntRange(10, 2400), default=150, show_default=True,
                        help="Resolution of PNG output.")(fn)


def theme_options(fn):
    """How a figure looks: shared by plot, gallery and fit."""
    for decorator in reversed([
        click.option("--theme", type=click.Choice(list(THEMES)), default="default",
                     show_default=True,
                     help="paper: a 3.5-inch column, 8 pt type; slides: large type, thick lines; "
                          "dark: a dark background."),
        click.option("--style", metavar="NAME|FILE.mplstyle",
                     help="A matplotlib style sheet on top of actplot's look (built-in name or "
                          "file), such as ggplot or my.mplstyle."),
        click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
                     help="Language of titles, labels and legends (zh: Chinese)."),
        click.option("--svg-text", is_flag=True,
                     help="Keep SVG text as text, to edit in Inkscape or Illustrator (default: "
                          "paths, which look the same everywhere)."),
    ]):
        fn = decorator(fn)
    return fn


def panel_options(fn):
    """The controls that paper authors expect."""
    for decorator in reversed([
        click.option("--ylim", type=float, nargs=2, metavar="LOW HIGH",
                     help="y limits of every panel."),
        click.option("--yscale", type=click.Choice(YSCALES), default="linear", show_default=True,
                     help="symlog shows small and large values together (deep --compose)."),
        click.option("--legend", type=click.Choice(LEGENDS), default="best", show_default=True,
                     help="best: inside, where it covers no curve or marker; outside: beside the "
                          "panel; none."),
        click.option("--xlabel", help="Label of the x axes (default: x)."),
        click.option("--ylabel", help="Label of the y axes of f (default: f(x))."),
        click.option("--panel-titles", type=click.Choice(PANEL_TITLES), default="plain",
                     show_default=True,
                     help="plain: name, formula and the parameters set; full: every parameter "
                          "and how each panel was computed; short: one line; none."),
    ]):
        fn = decorator(fn)
    return fn


def network_options(default_output: str, formats: str):
    """What fit and depth share: an activation's parameters, the dtype, where the figure or the
    results go, and the figure's size and title."""
    def decorate(fn):
        for decorator in reversed([
            click.option("-p", "--param", "params", type=ParamAssignment(), multiple=True,
                         help="An activation's parameter, NAME=VALUE; V1,V2,V3 gives a column "
                              "per value."),
            click.option("--dtype", type=click.Choice(("float32", "float64")),
                         default="float32", show_default=True),
            click.option("-o", "--output", type=click.Path(dir_okay=False),
                         default=default_output, show_default=True, help=formats),
            click.option("--json", "as_json", is_flag=True,
                         help="Print the results as JSON instead."),
            click.option("--size", type=float, nargs=2, metavar="W H",
                         help="Figure size in inches."),
            click.option("--title", help="Title above the figure."),
        ]):
            fn = decorator(fn)
        return fn

    return decorate


def compute_options(fn):
    """Options that say what to compute."""
    for decorator in reversed([
        click.option("--range", "range_", type=float, nargs=2, default=(-5.0, 5.0),
                     show_default=True, metavar="MIN MAX", help="Interval of x."),
        click.option("--points", type=int, default=1000, show_default=True,
                     help="Samples in the range (2 to 1,000,000; 5,000 for softmax-like functions)."),
        click.option("-p", "--param", "params", type=ParamAssignment(), multiple=True,
                     help="Set a parameter: NAME=VALUE for every function that has it, or "
                          "FUNCTION.NAME=VALUE. NAME=V1,V2,V3 or NAME=START:STOP:COUNT draws a "
                          "curve per value. Repeatable, once per parameter."),
        click.option("--grad", is_flag=True, help="Also draw the first derivative (same as --order 1)."),
        click.option("--order", type=click.IntRange(0, MAX_ORDER), default=None,
                     help="Draw derivatives up to this order (1-3), taken by autograd."),
        click.option("--device", default="auto", show_default=True, shell_complete=complete_devices,
                     help="auto, cpu, cuda, cuda:N or mps; auto picks cuda, then mps, then cpu."),
        click.option("--dtype", type=click.Choice(DTYPES), default="float32", show_default=True),
    ]):
        fn = decorator(fn)
    return fn


@cli.command(short_help="Plot functions and derivatives (the default command).")
@click.argument("functions", nargs=-1, required=True, type=FunctionName())
@compute_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write: .png, .svg, .pdf, or .csv/.json for the data; - for standard "
                   "output (with --format). Default: FUNCTION.png in this folder.")
@click.option("--format", "fmt", type=click.Choice(FORMATS, case_sensitive=False),
              help="Output format, when the file name does not say.")
@figure_options
@click.option("--size", type=float, nargs=2, metavar="W H", help="Figure size in inches.")
@click.option("--title", help="Title above the figure (mathtext allowed, e.g. '$\\sigma(x)$').")
@click.option("--at", "at", type=NumberList(), multiple=True,
              help="Print f (and derivatives) at exactly these points as a table, e.g. --at -1,2,0.")
@click.option("--json", "as_json", is_flag=True, help="Print the data as JSON instead of drawing.")
@click.option("--check", is_flag=True,
              help="Verify autograd in float64 against finite differences and the declared "
                   "one-sided derivatives; exit 1 if a tolerance is broken.")
@click.option("--jacobian", is_flag=True,
              help="Draw the full Jacobian of softmax, softmin or log_softmax as a heatmap.")
@click.option("--compose", type=NumberList(int),
              help="Draw f composed with itself K times for each K, e.g. 1,2,4,8.")
@click.option("--train", is_flag=True, help="rrelu in training mode: random slopes (see --seed).")
@click.option("--seed", type=click.IntRange(0, SEED_MAX), default=None,
              help="Seed for rrelu's random slopes, so the figure is reproducible.")
@click.option("--layout", type=click.Choice(LAYOUTS), default="rows", show_default=True,
              help="rows: a row per function; overlay: every function on shared panels; "
                   "combined: f and its derivatives on the same axes.")
@click.option("--show", is_flag=True, help="Open the figure in a window.")
@click.option("--term", is_flag=True,
              help="Draw the figure in this terminal: inline (kitty, iTerm2, sixel) where it "
                   "says it can, else a text plot that fits the window.")
@click.option("--animate", metavar="NAME",
              help="Animate a swept parameter: a frame per value (-p alpha=0:2:41 --animate "
                   "alpha -o elu.gif), axes fixed across frames. .gif, or .mp4/.webm with ffmpeg.")
@click.option("--fps", type=float, default=DEFAULT_FPS, show_default=True,
              help="Frames per second of an animation.")
@click.option("--loop", type=int, default=0, show_default=True,
              help="Times a GIF plays (0: forever).")
@theme_options
@panel_options
def plot(functions, range_, points, params, grad, order, device, dtype, output, fmt, dpi, size,
         title, at, as_json, check, jacobian, compose, train, seed, layout, show, term, animate, fps, loop, **look):
    """Plot FUNCTIONS and their derivatives (a row per function, a column per order).

    Each of FUNCTIONS is a built-in or plugin name ('actplot list'), an expression in x whose
    other names are parameters, or MODULE:NAME or FILE.py:NAME naming your own code (which this
    runs).

    \b
    actplot relu --range -20 20 --grad -o relu.png
    actplot gelu -p approximate=tanh --order 2 --dtype float64 -o gelu.svg
    actplot sigmoid tanh relu --compose 1,2,4,8 --grad -o depth.png
    actplot softmax --jacobian --points 200 -o softmax.png
    actplot sigmoid --at -1,2,-3,4,0 --grad --json
    actplot relu elu --check --order 2
    actplot relu elu gelu --grad --layout overlay -o compare.png
    actplot leaky_relu -p negative_slope=0,0.1,1 --grad --layout combined -o sweep.png
    actplot 'x * sigmoid(b*x)' -p b=0.5,1,4 --grad
    actplot examples/hswish_seed001.py:h_swish --grad
    actplot relu gelu --grad --theme paper -o figure.pdf
    """
    points_at = tuple(v for group in at for v in group) if at else None
    try:
        fmt = _refuse_conflicts(output, fmt, as_json, check, show, points_at)
        if term and (as_json or check or points_at is not None or output == STDOUT):
            flag = ("--json" if as_json else "--check" if check else "--at" if points_at
                    is not None else "-o -")
            raise SpecError("output", f"--term draws the figure in this terminal; {flag} prints "
                                      "something else there: drop one")
        spec = build_spec(
            functions, params=list(params), range=range_, points=points, grad=grad, order=order,
            device=device, dtype=dtype, at=points_at, compose=compose, jacobian=jacobian,
            train=train, seed=seed, title=title, size=size, dpi=dpi, layout=layout,
            animate=animate, fps=fps, loop=loop, **look,
        )
        if check:
            return _run_check(spec, as_json)
        if output is None and (points_at is not None or as_json):
            _echo_data(spec, as_json)
            return
        if show and not output:
            _show(spec)
            return
        if term and not output:
            _term(spec)
            return
        if spec.animate is not None and output is None and fmt is None:
            fmt = "gif"  # the default name of an animation: FUNCTION.gif
        fmt = output_format(None if output == STDOUT else output, fmt)
        if points_at is not None and fmt in FIGURE_FORMATS:
            raise SpecError("at", "gives data (a table, --json, or -o FILE.csv/.json); for a "
                                  "figure, use --range")
        from . import api

        if output == STDOUT:
            if fmt in FIGURE_FORMATS and sys.stdout.isatty():
                raise SpecError("output", f"-o - would print {fmt.upper()} bytes to the terminal; "
                                          "redirect it (-o - > relu.png) or give a file name")
            data = api.render_to_bytes(spec, fmt)
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        from . import output as files

        path = output or f"{files.file_stem(entry_label(spec.functions[0]))}.{fmt}"
        files.check_output_folder(path)
        check_pixels(spec, fmt)
        api.render_to_file(spec, path, fmt)
        click.echo(path)
        if show:
            _show(spec, written=path)
        if term:
            _term(spec)
    except SpecError as error:
        raise usage_error(error) from None



def _refuse_conflicts(output, fmt, as_json, check, show, points_at) -> str | None:
    """Options that cannot apply together are usage errors, never silently ignored. Returns the
    format that --json implies."""
    if output == "":
        raise SpecError("output", "the path is empty; give a file name such as relu.png, or - "
                                  "for standard output")
    if check and output is not None:
        raise SpecError("output", "--check prints a report and writes no file; drop -o (--check "
                                  "--json prints the report as JSON)")
    if check and (show or points_at is not None):
        flag = "--show" if show else "--at"
        raise SpecError("check", f"--check verifies over --range and draws nothing; drop {flag}")
    if show and output is None and (as_json or points_at is not None):
        raise SpecError("show", "--show opens a figure, but --at and --json print data; drop --show")
    if not as_json or check:
        return fmt
    if fmt not in (None, "json"):
        raise SpecError("format", f"--json gives JSON, not {fmt}; drop --format or --json")
    if output not in (None, STDOUT) and output_format(output, None) != "json":
        raise SpecError("output", f"--json gives JSON, so -o must name a .json file, not "
                                  f"'{output}' (or drop --json)")
    return "json"


def _echo_data(spec, as_json: bool) -> None:
    from . import api, output

    check_pixels(spec, "json")  # the memory that data as text takes
    series = api.compute_series(spec)
    click.echo(output.to_json(series, spec.order) if as_json else output.to_table(series, spec.order),
               nl=False)


def _run_check(spec, as_json: bool = False) -> None:
    from . import check

    rows = check.verify(spec)
    click.echo(check.report_json(rows) if as_json else check.report(rows), nl=False)
    failed = [r for r in rows if not r.passed]
    if failed:
        worst = failed[0]
        raise ActplotError(f"check failed for {len(failed)} of {len(rows)} rows, first "
                           f"{worst.function} {worst.what} (abs error {worst.abs_error:.2e})")


def _show(spec, written: str | None = None) -> None:
    """Open a window. Where none can open, that is an error unless the file was written anyway
    (-o): then one line says so and the run succeeds."""
    import matplotlib
    import matplotlib.pyplot as plt

    from . import api, render

    backend = matplotlib.get_backend().lower()
    if backend in ("agg", "pdf", "svg", "ps", "cairo", "template") or backend.startswith("module://"):
        reason = (f"no window can open here (matplotlib's backend is '{backend}'; set DISPLAY or "
                  "MPLBACKEND, or use --term to draw it in this terminal)")
        if written:
            click.echo(f"Warning: --show: {reason}; the figure is in {written}", err=True)
            return
        raise ActplotError(f"--show: {reason}, so use -o to write a file")
    render.build_figure(api.compute_series(spec), spec, figure=plt.figure())
    plt.show()


def _term(spec) -> None:
    """The figure in this terminal: inline where it shows images, else a text plot."""
    from . import api, terminal

    protocol = terminal.graphics_protocol() if sys.stdout.isatty() else None
    if protocol is not None:
        terminal.write(terminal.inline_image(api.render_to_bytes(spec, "png"), protocol))
        return
    width, height = terminal.terminal_size()
    series = api.compute_series(spec)
    try:
        text = terminal.text_plot(series, spec, width, max(height - 1, 1),
                                  terminal.colour_wanted(sys.stdout))
    except ValueError as error:
        raise ActplotError(f"--term: {error}") from None
    terminal.write(text)


@cli.command()
@click.argument("functions", nargs=-1, required=True, type=FunctionName())
@click.option("-p", "--param", "params", type=ParamAssignment(), multiple=True,
              help="Set a parameter (NAME=VALUE or FUNCTION.NAME=VALUE); a sweep gives a column "
                   "per value.")
@click.option("--json", "as_json", is_flag=True, help="Print the properties as JSON.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
              help="Language of the table (zh: Chinese); JSON keys stay English.")
def info(functions, params, as_json, lang):
    """Properties of FUNCTIONS, computed: range, monotonicity, continuity, saturation, dead zones,
    Gaussian moments and the initialisation gain (with torch's, where it has one).

    \b
    actplot info relu tanh selu
    actplot info leaky_relu -p negative_slope=0,0.1,1 --json
    actplot info relu gelu --lang zh
    """
    from . import api, output

    try:
        spec = build_spec(functions, params=list(params))
        records = api.info(spec.functions, params=list(params))
    except SpecError as error:
        raise usage_error(error) from None
    if as_json:
        click.echo(output.info_json(records), nl=False)
        return
    swept = {name: [s.name for s in spec.sweeps.get(name, ())] for name in spec.functions}
    for record in records:
        record["swept"] = {k: record["params"][k] for k in swept[record["function"]]}
    click.echo(output.info_table(records, lang), nl=False)


@cli.command()
@click.argument("functions", nargs=-1, required=True, type=FunctionName())
@click.option("--target", default="x**2", show_default=True,
              help="What to fit: an expression in x (x**2, sin(3*x), where(x >= 0, 1, 0)...) or "
                   "square, cube, sin, abs, step, sawtooth.")
@click.option("--range", "range_", type=float, nargs=2, default=(0.0, 2.0), show_default=True,
              metavar="MIN MAX", help="Interval of x to fit on.")
@click.option("--points", type=int, default=200, show_default=True, help="Training points.")
@click.option("--hidden", type=int, default=8, show_default=True, help="Hidden units H (1-H-1).")
@click.option("--steps", type=int, default=2000, show_default=True, help="Full-batch steps.")
@click.option("--optimizer", type=click.Choice(("adam", "sgd")), default="adam", show_default=True)
@click.option("--lr", type=float, default=None, help="Learning rate (adam 0.01, sgd 0.1).")
@click.option("--seed", type=int, default=None,
              help="Seed of the initial weights (default 0); with --seeds, the run drawn in the "
                   "top rows (default: the seed on which the functions differ most).")
@click.option("--seeds", default=None, metavar="0-19",
              help="Train once per seed (0-19 or 0,3,7) and count the runs that reach --tol.")
@click.option("--pre-activations", is_flag=True,
              help="Draw each unit's straight line w1 x + b1 (dashed) before the activation "
                   "bends it, as seed 002 does.")
@click.option("--tol", type=float, default=1e-3, show_default=True,
              help="The loss that counts as fitted, for --seeds.")
@click.option("--frames", type=int, default=60, show_default=True,
              help="Frames of a .gif (at most 200).")
@click.option("--device", default="auto", show_default=True, shell_complete=complete_devices,
              help="auto, cpu, cuda, cuda:N, mps.")
@network_options("fit.png", ".png, .svg, .pdf, .gif (training, animated) or .json.")
@figure_options
@theme_options
@panel_options
def fit(functions, target, range_, points, hidden, steps, optimizer, lr, seed, seeds,
        pre_activations, tol, frames, params, device, dtype, output, as_json, size, title, dpi,
        **look):
    """Train a 1 -> H -> 1 network with each activation to fit a target, and draw the fit, each
    hidden unit's broken line and the loss (seed 002's experiment).

    \b
    actplot fit relu leaky_relu tanh --target 'x**2' --range 0 2 --hidden 2 --steps 2000 -o fit.png
    actplot fit relu leaky_relu --hidden 2 --seeds 0-19 -o stuck.png
    actplot fit relu --hidden 3 -o training.gif
    """
    from .spec import FIT_FORMATS, build_fit_spec

    try:
        spec = build_fit_spec(functions, params=list(params), target=target, range=range_,
                              points=points, hidden=hidden, steps=steps, optimizer=optimizer,
                              lr=lr, seed=seed, seeds=seeds, tol=tol, frames=frames,
                              pre_activations=pre_activations,
                              device=device, dtype=dtype, title=title, size=size, dpi=dpi,
                              **look)
        fmt = _checked_output(spec, output, as_json, FIT_FORMATS, "fit")
    except SpecError as error:
        raise usage_error(error) from None
    from . import api, fitplot, fitting

    try:
        runs = fitting.train(spec)
        if as_json:
            click.echo(fitplot.fit_json(runs), nl=False)
            return
        api.write_fit(runs, spec, output, fmt)
    except SpecError as error:
        raise usage_error(error) from None
    click.echo(output)


@cli.command()
@click.argument("functions", nargs=-1, required=True, type=FunctionName())
@click.option("--layers", type=int, default=30, show_default=True, help="Depth L of the network.")
@click.option("--width", type=int, default=512, show_default=True, help="Units N a layer.")
@click.option("--inputs", type=int, default=256, show_default=True,
              help="Random inputs pushed through it (plus one correlated pair).")
@click.option("--init", type=click.Choice(("he", "xavier", "lecun", "torch", "gain")),
              default="xavier", show_default=True,
              help="The weights' variance sigma_w^2 (entries N(0, sigma_w^2 / width)): he 2, "
                   "xavier 1, lecun 1 (square layers), torch 1/3 (nn.Linear's default), gain "
                   "1/E[f(z)^2] (keeps unit variance, as `actplot info` computes it).")
@click.option("--sigma-w", type=float, default=None,
              help="sigma_w directly (sigma_w^2 = its square), over --init.")
@click.option("--sigma-b", type=float, default=0.0, show_default=True,
              help="The biases' standard deviation (entries N(0, sigma_b^2)).")
@click.option("--q0", type=float, default=1.0, show_default=True,
              help="The inputs' pre-activation variance.")
@click.option("--c0", type=float, default=0.5, show_default=True,
              help="The correlation of the input pair that the c-map follows.")
@click.option("--seed", type=int, default=None, help="Seed of the weights and inputs (default 0).")
@click.option("--seeds", default=None, metavar="0-9",
              help="One network per seed (0-9 or 0,3,7): bands over seeds.")
@click.option("--phase", is_flag=True,
              help="Draw chi_1 over a grid of (sigma_w^2, sigma_b^2) instead: the ordered and "
                   "chaotic phases and the critical line between them.")
@click.option("--sigma-w2-range", type=float, nargs=2, default=(0.5, 4.0), show_default=True,
              metavar="LOW HIGH", help="With --phase: the sigma_w^2 axis.")
@click.option("--sigma-b2-range", type=float, nargs=2, default=(0.0, 0.3), show_default=True,
              metavar="LOW HIGH", help="With --phase: the sigma_b^2 axis.")
@click.option("--grid", type=int, default=100, show_default=True,
              help="With --phase: points along each axis.")
@network_options("depth.png", ".png, .svg, .pdf or .json.")
@figure_options
def depth(functions, layers, width, inputs, init, sigma_w, sigma_b, q0, c0, seed, seeds, phase,
          sigma_w2_range, sigma_b2_range, grid, params, dtype, output, as_json, size, title, dpi):
    """Signals and gradients through a deep random network h' = W f(h) + b: measured over
    seeds, against the mean-field theory (length map q, correlation map c, chi_1); or, with
    --phase, chi_1 over (sigma_w^2, sigma_b^2).

    \b
    actplot depth sigmoid tanh relu gelu --layers 30 --width 512 --seeds 0-9 -o depth.png
    actplot depth relu --init he --json
    actplot depth tanh --phase -o tanh_phase.png
    """
    from .spec import DEPTH_FORMATS, build_depth_spec

    try:
        spec = build_depth_spec(
            functions, params=list(params), layers=layers, width=width, inputs=inputs, q0=q0,
            c0=c0, init=init, sigma_w=sigma_w, sigma_b=sigma_b, seed=seed, seeds=seeds,
            phase=phase, grid=grid, sigma_w2_range=sigma_w2_range,
            sigma_b2_range=sigma_b2_range, dtype=dtype, title=title, size=size, dpi=dpi)
        fmt = _checked_output(spec, output, as_json, DEPTH_FORMATS, "depth")
    except SpecError as error:
        raise usage_error(error) from None
    from . import api

    try:
        runs = api.depth_runs(spec)
        if as_json:
            from .depthplot import depth_json

            click.echo(depth_json(runs, spec), nl=False)
            return
        api.write_depth(runs, spec, output, fmt)
    except SpecError as error:
        raise usage_error(error) from None
    click.echo(output)


@cli.command()
@click.argument("functions", nargs=-1, type=FunctionName())
@click.option("--all", "all_", is_flag=True,
              help="Every built-in (and plugin) function, each with its first parameter swept "
                   "over its documented values.")
@click.option("-p", "--param", "params", type=ParamAssignment(), multiple=True,
              help="A parameter: NAME=VALUE, or NAME=V1,V2,V3 / START:STOP:COUNT for a slider.")
@click.option("--order", type=click.IntRange(0, 3), default=2, show_default=True,
              help="Derivatives drawn, up to this order (checkboxes on the page).")
@click.option("--range", "range_", type=float, nargs=2, default=(-5.0, 5.0), show_default=True,
              metavar="MIN MAX", help="Interval of x.")
@click.option("--points", type=int, default=300, show_default=True,
              help="Samples per curve (2 to 2000).")
@click.option("--dtype", type=click.Choice(("float32", "float64")), default="float64",
              show_default=True)
@click.option("--title", help="Title of the page.")
@click.option("--theme", type=click.Choice(("auto", "light", "dark")), default="auto",
              show_default=True, help="auto follows the system's light or dark setting.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="explore.html",
              show_default=True, help="The page to write (.html).")
def explore(functions, all_, params, order, range_, points, dtype, title, theme, output):
    """One offline HTML page to explore FUNCTIONS by hand: a slider per swept parameter,
    checkboxes for the orders, a function picker and an overlay mode, kinks marked, a readout
    under the pointer, the formula and actplot info's properties. No network, no server.

    \b
    actplot explore elu leaky_relu gelu -p alpha=0:2:41 -p negative_slope=0:0.5:26 -o explore.html
    actplot explore --all -o explore.html
    """
    from . import api
    from .spec import build_explore_spec

    try:
        if not functions and not all_:
            raise SpecError("functions", "name the functions to explore, or give --all")
        spec = build_explore_spec(functions, params=list(params), all=all_, order=order,
                                  range=range_, points=points, dtype=dtype, title=title,
                                  theme=theme)
        api._checked_html(output)
        page = api.explore_html(spec)
    except SpecError as error:
        raise usage_error(error) from None
    from . import output as files

    files.write_text_atomic(output, page)
    click.echo(output)


@cli.command(short_help="Redraw the figures whose commands a Markdown file records.")
@click.argument("markdown", metavar="FILE.md", type=click.Path(exists=True, dir_okay=False))
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 naming each image that its command would change.")
def readme(markdown, check):
    """Draw again every image of a Markdown file whose command is recorded before it, as

    \b
    <!-- actplot relu --grad -->
    ![relu and its derivative](images/relu.png)

    (paths relative to the file). Each image is replaced only if its bytes change.

    \b
    actplot readme README.md
    actplot readme README.md --check     # in CI: exit 1 when a figure is stale
    """
    from pathlib import Path

    from . import embed, readme as readme_module

    try:
        stale, fresh = readme_module.refresh(Path(markdown), check=check)
    except embed.EmbedError as error:
        raise ActplotError(str(error)) from None
    for image in stale:
        click.echo(f"{'stale' if check else 'drawn'}: {image.path}")
    total = len(stale) + len(fresh)
    if check and stale:
        raise ActplotError(f"{len(stale)} of {total} images in {markdown} are stale; run "
                           f"actplot readme {markdown}")
    click.echo(f"{len(fresh)} of {total} images up to date" if check or not stale else
               f"{len(stale)} drawn, {len(fresh)} up to date", err=True)


@cli.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print the registry as JSON.")
def list_functions(as_json):
    """List every function by family, with its aliases, parameters, defaults and source; then the
    plugins' functions and the package that provides each.

    \b
    actplot list
    actplot list --json
    """
    from .entrypoints import plugins

    provided = {p.entry.name: p for p in plugins().values()}
    groups = [(family, [(e, None) for e in entries]) for family, entries in FAMILIES.items()]
    if provided:
        groups.append(("plugins", [(p.entry, p.distribution) for p in provided.values()]))
    if as_json:
        document = {entry.name: {
            "family": family, "aliases": list(entry.aliases), "summary": entry.summary,
            "formula": entry.formula_for(entry.defaults()), "source": entry.source,
            **({"distribution": distribution} if distribution else {}),
            "params": {p.name: {"default": p.default, "domain": p.domain(), "doc": p.doc}
                       for p in entry.params},
        } for family, members in groups for entry, distribution in members}
        click.echo(json.dumps(document, indent=2))
        return
    for family, members in groups:
        click.echo(f"{family}:")
        for entry, distribution in members:  # a plugin's texts are escaped, as messages are
            aliases = f" (alias {', '.join(entry.aliases)})" if entry.aliases else ""
            click.echo(printable(f"  {entry.name}{aliases}: {entry.summary}"))
            for p in entry.params:
                click.echo(printable(f"      -p {p.name}={_value(p.default)}  ({p.domain()}) "
                                     f"{p.doc}"))
            if distribution:
                click.echo(printable(f"      from the package {distribution}"))
            if entry.source:
                click.echo(printable(f"      source: {entry.source}"))


def _value(value) -> str:
    return str(value).lower() if isinstance(value, bool) else f"{value:.6g}" if isinstance(value, float) else str(value)


def run_options(fn):
    """Options shared by batch and gallery."""
    for decorator in reversed([
        click.option("-j", "--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
                     help="Worker processes."),
        click.option("--force", is_flag=True, help="Redraw figures that are up to date."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary."),
    ]):
        fn = decorator(fn)
    return fn


def _batch_help() -> str:
    """batch's --help, with the keys each table accepts, from the lists that the specs are
    checked against (so the help cannot fall behind)."""
    import textwrap

    from .spec import DEPTH_KEYS, EXPLORE_KEYS, FIGURE_KEYS, FIT_KEYS

    def keys(table: str, names) -> str:
        return "\b\n" + textwrap.fill(f"{table} keys: " + ", ".join(names), 78,
                                       subsequent_indent="  ")

    return "\n\n".join([
        "Draw every [[figure]], [[fit]], [[depth]] and [[explore]] of a TOML spec; [defaults] "
        "applies to each [[figure]] (a figure's own keys win).",
        "Each key is the command-line option of the same name (--panel-titles is panel_titles); "
        "-p is params, a table such as { negative_slope = [0, 0.1] }.",
        keys("[[figure]]", FIGURE_KEYS), keys("[[fit]]", FIT_KEYS),
        keys("[[depth]]", DEPTH_KEYS), keys("[[explore]]", EXPLORE_KEYS),
        "\b\nactplot batch figures.toml --jobs 4"])


@cli.command(help=_batch_help())
@click.argument("spec_file", metavar="SPEC.toml", type=click.Path(exists=True, dir_okay=False))
@click.option("--out-dir", type=click.Path(file_okay=False),
              help="Folder for the outputs (default: the spec's folder).")
@click.option("--allow-outside", is_flag=True, help="Let outputs escape the output folder.")
@run_options
def batch(spec_file, out_dir, allow_outside, jobs, force, quiet):
    from . import batch as batch_module

    try:
        jobs_list = batch_module.load_spec(spec_file, out_dir=out_dir, allow_outside=allow_outside)
    except SpecError as error:
        raise click.UsageError(error.message) from None
    _finish(batch_module.run(jobs_list, workers=jobs, force=force, quiet=quiet))


@cli.command()
@click.option("-o", "--out-dir", required=True, type=click.Path(file_okay=False),
              help="Folder for the figures, index.html and index.md.")
@click.option("--format", "fmt", type=click.Choice(FIGURE_FORMATS[:2]), default="svg",
              show_default=True)
@click.option("--grad", is_flag=True, help="Draw each function's derivative too.")
@click.option("--explore", is_flag=True,
              help="Also write explore.html beside the index (every function with sliders), "
                   "and link each function to its place in it.")
@figure_options
@theme_options
@run_options
def gallery(out_dir, fmt, grad, explore, dpi, jobs, force, quiet, **look):
    """One figure per registered function, with index.html and index.md.

    \b
    actplot gallery -o gallery --grad --jobs 2
    actplot gallery -o dark --grad --theme dark
    """
    from . import batch as batch_module

    try:
        jobs_list = batch_module.gallery_jobs(out_dir, fmt=fmt, grad=grad, dpi=dpi, **look)
    except SpecError as error:
        raise click.UsageError(error.message) from None
    summary = batch_module.run(jobs_list, workers=jobs, force=force, quiet=quiet)
    from .gallery import write_index

    try:
        write_index(out_dir, jobs_list, grad=grad, explore=explore, **look)
    except (ActplotError, OSError) as error:  # said with the figures' count, last
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        _finish(summary, f"the index was not written ({reason})")
    _finish(summary)


def _finish(summary, also: str | None = None) -> None:
    """The run's last line: how many figures failed, and what else did."""
    failed = f"{len(summary.failed)} of {summary.total} figures failed" if summary.failed else ""
    if failed or also:
        raise ActplotError("; ".join(part for part in (failed, also) if part))


def _checked_output(spec, output: str, as_json: bool, formats, command: str) -> str | None:
    """The format that fit's or depth's -o asks for (None with --json), checked before any work:
    the folder, the pixels, the texts. --json and a given -o ask for two outputs: refused."""
    if output == STDOUT:
        raise SpecError("output", f"{command} writes a file; for its results on standard "
                                  "output, use --json")
    given = click.get_current_context().get_parameter_source("output")
    if as_json and given is not click.core.ParameterSource.DEFAULT:
        raise SpecError("output", "--json prints the results; -o writes a file: give one "
                                  "(a .json output writes the same results to a file)")
    if as_json:
        return None
    fmt = output_format(output, None, formats)
    from . import output as files

    files.check_output_folder(output)
    check_pixels(spec, fmt)
    if fmt != "json":
        from .render import check_texts

        check_texts(spec)
    return fmt


def _decoded(argv: list[str]) -> list[str]:
    """Arguments as text that can be printed: bytes that were not UTF-8 reach Python as lone
    surrogates (actplot $'\\xff'), which no message could encode; they become U+FFFD."""
    return [arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for arg in argv]


def _isolate_matplotlib(args: list[str]) -> None:
    """actplot draws with Agg and matplotlib's defaults whatever the environment says, so neither
    MPLBACKEND=nosuch nor a matplotlibrc with a bad line may matter: matplotlib is pointed at its
    own matplotlibrc (found without importing it), and at Agg unless a window is asked for."""
    import importlib.util
    from pathlib import Path

    found = importlib.util.find_spec("matplotlib")
    if found is not None and found.origin:
        own = Path(found.origin).parent / "mpl-data" / "matplotlibrc"
        if own.is_file():
            os.environ["MATPLOTLIBRC"] = str(own)
    if "--show" not in args:
        os.environ["MPLBACKEND"] = "agg"


class _WholeWrites(io.RawIOBase):
    """stdout's bytes, each write written whole or failing: a file-size limit makes write()
    return a short count, which Python's text layer ignores, so JSON would be cut without a
    word. Here the rest is written at once, and the limit raises EFBIG."""

    def __init__(self, fd: int):
        self._fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            done += os.write(self._fd, view[done:])
        return done


def _checked_stdout() -> None:
    """sys.stdout with whole writes (see _WholeWrites), when it is a real file descriptor."""
    try:
        fd = sys.stdout.fileno()
        sys.stdout.flush()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return  # a test's captured stream, say: nothing to check
    line_buffering = getattr(sys.stdout, "line_buffering", False)
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(_WholeWrites(fd)),
                                  encoding=sys.stdout.encoding, errors=sys.stdout.errors,
                                  line_buffering=line_buffering)


def main(argv=None) -> None:
    """Entry point: `main(sys.argv[1:])`."""
    args = _decoded(sys.argv[1:] if argv is None else list(argv))
    _isolate_matplotlib(args)
    _checked_stdout()
    try:
        cli.main(args=args, prog_name="actplot")
        code = 0
    except SystemExit as exit:
        code = exit.code
    if not isinstance(code, int):
        if code is not None:
            click.echo(code, err=True)
        code = 0 if code is None else 1
    code = _flush_stdout(code)
    if "torch" in sys.modules:
        # Tearing down the interpreter after torch has loaded takes about 0.6 s, a third of a
        # figure's wall time. Every file is written and closed by now, so skip it.
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _flush_stdout(code: int) -> int:
    """Whatever is still buffered for stdout, written now, so that a full disk or a file-size
    limit fails the run (one line, exit 1) instead of leaving cut JSON and exit 0."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # actplot ... | head: the reader has what it wanted; quiet
        _drop_stdout()
        return 141 if code == 0 else code
    except (OSError, ValueError) as error:
        _drop_stdout()
        click.echo(f"Error: cannot write to standard output: "
                   f"{getattr(error, 'strerror', None) or error}", err=True)
        return 1
    return code


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's own last flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())

