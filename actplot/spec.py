"""What to draw (FigureSpec) and what was computed (Series), with the validation that the CLI, the
batch specs and the Python API share. No torch and no matplotlib here."""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from .errors import SpecError
from .functions import entry as activation_for
from .functions import resolve
from .registry import SEED_MAX

DTYPES = ("float32", "float64", "float16", "bfloat16")
DTYPE_MAX = {"float16": 65504.0, "bfloat16": 3.3895e38, "float32": 3.4028e38, "float64": 1.7976e308}
FIGURE_FORMATS = ("png", "svg", "pdf", "eps", "jpg", "tiff", "webp")
ANIMATION_FORMATS = ("gif", "mp4", "webm")  # an animated sweep (--animate); mp4 and webm by ffmpeg
MAX_ANIMATION_FRAMES = 300
DEFAULT_FPS = 10.0
RASTER_FORMATS = ("png", "jpg", "tiff", "webp", "gif")  # pixels: the megapixel budget holds
FORMAT_ALIASES = {"jpeg": "jpg", "tif": "tiff"}
DATA_FORMATS = ("csv", "json")
TEXT_FORMATS = ("txt",)  # the figure as a text plot in Unicode braille (terminal.py)
FORMATS = FIGURE_FORMATS + DATA_FORMATS + ANIMATION_FORMATS + TEXT_FORMATS
STDOUT = "-"  # -o - writes the figure or the data to standard output, as Unix tools do
MAX_POINTS = 1_000_000
# softmax and friends: the Jacobian diagonal costs points**2 work and memory.
MAX_VECTOR_POINTS = 5_000
MAX_ORDER = 3
MAX_COMPOSE = 64
MAX_SWEEP_CURVES = 64  # curves per function from swept parameters (their product)
LAYOUTS = ("rows", "overlay", "combined")
DEFAULT_RANGE = (-5.0, 5.0)
DEFAULT_POINTS = 1000
DEFAULT_DPI = 150

# Figure geometry in inches, known before matplotlib loads, so sizes are checked up front.
PANEL_SIZE = (4.4, 3.3)  # per panel: readable when a figure is put on a slide
DEFAULT_MAX_HEIGHT = 11.0  # without --size, many rows share a page's height instead of growing
# The smallest panel that still holds its tick labels, axis labels and a one-line title at the
# smallest type actplot uses (render.FIT_LEVELS); tests hold the fitting to it for every shape.
MIN_PANEL_SIZE = (1.6, 1.3)
TITLE_HEIGHT = 0.35
# Resource budget, refused up front with a usage error rather than failing after minutes.
# Peak memory of one run, estimated from its float64 arrays (x, y and each derivative of every
# curve) times what a run holds per array byte, measured with benchmarks/bench_array_memory.py: a
# figure (drawn from a decimated copy) peaks at about 1.8 times its arrays, JSON and CSV (Python
# numbers and text) at about 9 times.
MAX_MEMORY_BYTES = 4 * 1024**3
PEAK_PER_ARRAY_BYTE = {"figure": 2.5, "data": 11.0}
MAX_ANIMATION_MEGAPIXELS = 600  # all frames of a GIF together: one byte a pixel, quantized
MAX_MEGAPIXELS = 100  # per PNG figure

# A parameter assignment: (function or None for "every function that has it", name, value).
Assignment = tuple["str | None", str, Any]


@dataclass(frozen=True)
class Sweep:
    """Values that a parameter of one function takes, one curve each: -p alpha=0,0.1,1."""

    name: str
    values: tuple


class _Parameterised:
    """What figure and fit specs share: functions with resolved params and sweeps."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["params"] = {name: dict(p) for name, p in self.params.items()}
        data["sweeps"] = {name: [[s.name, list(s.values)] for s in sweeps]
                          for name, sweeps in self.sweeps.items()}
        return data

    def variants(self, function: str) -> list[dict[str, Any]]:
        return sweep_variants(self, function)


@dataclass(frozen=True, kw_only=True)
class LookOptions:
    """How a figure looks (themes.py, render.py): shared by plots and fits, set by build_look."""

    theme: str = "default"
    style: str | None = None
    ylim: tuple[float, float] | None = None
    yscale: str = "linear"
    legend: str = "best"
    xlabel: str | None = None
    ylabel: str | None = None
    panel_titles: str = "plain"
    lang: str = "en"
    svg_text: bool = False  # SVG text kept as <text>, editable in Inkscape or Illustrator


@dataclass(frozen=True)
class FigureSpec(LookOptions, _Parameterised):
    functions: tuple[str, ...]
    params: Mapping[str, Mapping[str, Any]]  # every parameter of every function, resolved
    # function -> swept parameters; params then holds each one's first value
    sweeps: Mapping[str, tuple[Sweep, ...]] = field(default_factory=dict)
    layout: str = "rows"
    range: tuple[float, float] = DEFAULT_RANGE
    points: int = DEFAULT_POINTS
    order: int = 0
    device: str = "auto"
    dtype: str = "float32"
    at: tuple[float, ...] | None = None
    compose: tuple[int, ...] | None = None
    jacobian: bool = False
    title: str | None = None
    size: tuple[float, float] | None = None
    dpi: int = DEFAULT_DPI
    # an animated sweep: a frame per value of this parameter (--animate), at fps, looping
    animate: str | None = None
    fps: float = DEFAULT_FPS
    loop: int = 0  # 0: forever, else the times a GIF plays
    # each panel's y limits, the same in every frame (set by animation.py): {(function, order): ..}
    frame_ylims: Mapping | None = None

    @property
    def frames(self) -> int:
        """Frames of an animated sweep: the animated parameter's values; 1 for a still figure."""
        if self.animate is None:
            return 1
        return len(animated_values(self))


def sweep_variants(spec: "FigureSpec | FitSpec", function: str) -> list[dict[str, Any]]:
    """Every combination of the function's swept values, as full parameter dicts; one (its
    params) when nothing is swept."""
    sweeps = spec.sweeps.get(function, ())
    combos = itertools.product(*(s.values for s in sweeps))
    return [{**spec.params[function], **{s.name: v for s, v in zip(sweeps, combo)}}
            for combo in combos]


@dataclass
class Series:
    """One function (composed `compose` times) sampled at x, with y and its derivatives."""

    function: str
    params: dict[str, Any]
    device: str
    dtype: str
    x: Any  # numpy arrays, float64 holding values of `dtype`
    y: Any
    derivatives: list[Any] = field(default_factory=list)  # order k at index k-1; None: unavailable
    missing: dict[int, str] = field(default_factory=dict)  # order -> why torch cannot take it
    kinks: list[float] = field(default_factory=list)
    jumps: list[float] = field(default_factory=list)
    breakpoints: list[Any] = field(default_factory=list)  # registry.Breakpoint in the closed range
    smooth_breaks: list[float] = field(default_factory=list)  # where only higher orders may jump
    poles: list[float] = field(default_factory=list)  # where |f| grows without bound
    compose: int | None = None
    jacobian: Any = None
    swept: dict[str, Any] = field(default_factory=dict)  # the swept parameters' values, if any

    @property
    def dy(self):
        return self.derivatives[0] if self.derivatives else None


def _number(field_name: str, value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(field_name, f"{what} must be a number, not {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float64
        raise SpecError(field_name, f"{what} must be finite, not {value!r}") from None
    if not math.isfinite(number):
        raise SpecError(field_name, f"{what} must be finite, not {value!r}")
    return number


def _title(title: Any) -> str | None:
    """A figure's or a fit's title: text of at most MAX_TITLE characters."""
    if title is None:
        return None
    title = _text("title", title, "text")
    if len(title) > MAX_TITLE:
        raise SpecError("title", f"title has {len(title)} characters; at most {MAX_TITLE}")
    return title


def _integer(field_name: str, value: Any, low: int, high: int, what: str) -> int:
    """An int, or a float with an integral value; never a bool or a string (only the CLI parses
    text, and it hands over numbers)."""
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if number is None or not low <= number <= high:
        raise SpecError(field_name, f"{what} must be an integer from {low} to {high}, not {value!r}")
    return number


def _flag(field_name: str, value: Any) -> bool:
    """Only a real boolean: grad = "false" in a spec must not mean true."""
    if not isinstance(value, bool):
        raise SpecError(field_name, f"{field_name} must be true or false, not {value!r}")
    return value


def _sequence(field_name: str, value: Any, what: str) -> list:
    """A list or tuple (a TOML array); a string is not a list of its characters."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise SpecError(field_name, f"{field_name} must be {what}, not {value!r}")
    return list(value)


def _text(field_name: str, value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise SpecError(field_name, f"{field_name} must be {what}, not {value!r}")
    return value


def _functions(names: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(names, str):
        names = [names]
    names = _sequence("functions", names, "a function name or a list of names")
    if not names:
        raise SpecError("functions", "name at least one function ('actplot list' shows them)")
    resolved = []
    for name in names:
        if not isinstance(name, str):
            raise SpecError("functions", f"function names are strings, not {name!r}")
        canonical = resolve(name)
        if canonical not in resolved:
            resolved.append(canonical)
    return tuple(resolved)


def normalize_assignments(params: Mapping[str, Any] | Iterable[Assignment] | None) -> list[Assignment]:
    """Accept {"alpha": 1}, {"elu.alpha": 1}, {"elu": {"alpha": 1}} or (target, name, value) triples."""
    if params is None:
        return []
    if not isinstance(params, Mapping):
        if isinstance(params, (list, tuple)) and all(
                isinstance(a, tuple) and len(a) == 3 for a in params):
            return list(params)
        raise SpecError("params", f"params must be a table of name = value, not {params!r}")
    assignments: list[Assignment] = []
    for key, value in params.items():
        if not isinstance(key, str):
            raise SpecError("params", f"parameter names are text, not {key!r}")
        if isinstance(value, Mapping):
            assignments.extend((key, name, v) for name, v in value.items())
        elif "." in key:
            target, name = key.split(".", 1)
            assignments.append((target, name, value))
        else:
            assignments.append((None, key, value))
    return assignments


def resolve_params(functions: Sequence[str], assignments: Iterable[Assignment],
                   animated: str | None = None, max_curves: int = MAX_SWEEP_CURVES
                   ) -> tuple[dict[str, dict], dict[str, tuple[Sweep, ...]]]:
    """Apply assignments to the functions' defaults; (resolved, sweeps). An untargeted one
    applies to every function that has the parameter, and is an error only when none has it. A
    list of values is a sweep. A parameter set twice for one function is an error, never
    silently overridden."""
    resolved = {name: activation_for(name).defaults() for name in functions}
    sweeps: dict[str, dict[str, Sweep]] = {name: {} for name in functions}
    given: dict[tuple[str, str], str] = {}
    for target, name, value in assignments:
        if target is not None:
            by_label = [f for f in functions if activation_for(f).label == target]
            canonical = by_label[0] if by_label else resolve(target)
            if canonical not in resolved:
                raise SpecError("params", f"'{target}.{name}': {target} is not among the functions "
                                          f"({', '.join(functions)})")
            targets = [canonical]
        else:
            targets = [f for f in functions if activation_for(f).parameter(name)]
        if not targets or activation_for(targets[0]).parameter(name) is None:
            raise SpecError("params", f"unknown parameter '{name}'; {_valid_parameters(targets or functions)}")
        for function in targets:
            if (function, name) in given:
                raise SpecError("params", f"{function}.{name} is given twice; to draw several "
                                          f"values, sweep it: -p {name}=V1,V2,V3 (or "
                                          f"{name}=START:STOP:COUNT), or {{ {name} = [V1, V2] }} "
                                          "in a spec")
            given[(function, name)] = "set"
            parameter = activation_for(function).parameter(name)
            values = list(value) if isinstance(value, (list, tuple)) else None
            try:
                if values is None:
                    resolved[function][name] = parameter.coerce(value)
                    continue
                if not values:
                    raise ValueError("a sweep needs at least one value")
                coerced = tuple(dict.fromkeys(parameter.coerce(v) for v in values))
            except ValueError as error:
                raise SpecError("params", f"{function}.{name}: {error}") from None
            resolved[function][name] = coerced[0]
            if len(coerced) > 1:
                sweeps[function][name] = Sweep(name, coerced)
    for function in functions:
        for parameter in activation_for(function).params:
            if parameter.required and (function, parameter.name) not in given:
                raise SpecError("params", f"{activation_for(function).label}: '{parameter.name}' "
                                          f"has no value; give one with -p {parameter.name}=VALUE")
    result = {f: tuple(by_name.values()) for f, by_name in sweeps.items() if by_name}
    for function, values in resolved.items():
        swept = result.get(function, ())
        # an animated parameter's values are frames, not curves
        curves = math.prod(len(sweep.values) for sweep in swept if sweep.name != animated)
        if curves > max_curves:
            raise SpecError("params", f"{function}: the sweep of {' x '.join(s.name for s in swept)} "
                                      f"makes {curves} curves; at most {max_curves}")
        for combo in itertools.product(*(s.values for s in swept)):
            variant = {**values, **{s.name: v for s, v in zip(swept, combo)}}
            problem = activation_for(function).validate(variant)
            if problem:
                raise SpecError("params", f"{function}: {problem}")
    return resolved, result


def _valid_parameters(functions: Sequence[str]) -> str:
    parts = []
    for function in functions:
        entry = activation_for(function)
        if entry.params:
            listing = ", ".join(f"{p.name} ({p.domain()})" for p in entry.params)
            parts.append(f"{function} takes {listing}")
        else:
            parts.append(f"{function} takes none")
    return "; ".join(parts)


def x_range(value: Any) -> tuple[float, float]:
    """An interval of x, [min, max] with min < max; SpecError naming range otherwise."""
    value = _sequence("range", value, "two numbers [min, max]")
    if len(value) != 2:
        raise SpecError("range", f"range is two numbers [min, max], not {value!r}")
    low, high = (_number("range", v, "range") for v in value)
    if low >= high:
        raise SpecError("range", f"min ({low:g}) must be less than max ({high:g})")
    return low, high


def animated_values(spec: FigureSpec) -> tuple:
    """The values that an animated sweep steps through, one frame each."""
    for function in spec.functions:
        for sweep in spec.sweeps.get(function, ()):
            if sweep.name == spec.animate:
                return sweep.values
    return ()


def _check_animation(spec: FigureSpec) -> None:
    """--animate NAME: NAME is swept (by every function that sweeps it, over the same values),
    in at most MAX_ANIMATION_FRAMES values; a figure, not data."""
    name = spec.animate
    swept = {f: s.values for f in spec.functions for s in spec.sweeps.get(f, ()) if s.name == name}
    if not swept:
        candidates = sorted({s.name for f in spec.functions for s in spec.sweeps.get(f, ())})
        hint = (f"the swept parameters are {', '.join(candidates)}" if candidates else
                f"sweep it first, such as -p {name}=0:2:21")
        raise SpecError("animate", f"'{name}' is not a swept parameter, so it has no frames to "
                                   f"step through; {hint}")
    if len(set(swept.values())) > 1:
        raise SpecError("animate", f"{', '.join(swept)} sweep {name} over different values; "
                                   "an animation steps through one list of values")
    frames = len(next(iter(swept.values())))
    if frames > MAX_ANIMATION_FRAMES:
        raise SpecError("animate", f"{name} has {frames} values, so {frames} frames; an "
                                   f"animation has at most {MAX_ANIMATION_FRAMES}")
    if spec.at is not None or spec.compose is not None:
        flag = "at" if spec.at is not None else "compose"
        raise SpecError("animate", f"cannot be combined with {flag}: an animation steps a "
                                   "swept parameter through the frames of a figure")


def _check_animation_output(spec: FigureSpec, fmt: str) -> None:
    import shutil

    if fmt in ANIMATION_FORMATS and spec.animate is None:
        raise SpecError("animate", f"a .{fmt} is an animated sweep: sweep a parameter and give "
                                   f"--animate NAME (such as -p alpha=0:2:21 --animate alpha), or "
                                   f"write a still figure ({', '.join(FIGURE_FORMATS)})")
    if spec.animate is not None and fmt not in ANIMATION_FORMATS:
        raise SpecError("animate", f"--animate writes an animation (.gif, .mp4 or .webm), not "
                                   f".{fmt}")
    if fmt in ("mp4", "webm") and shutil.which("ffmpeg") is None:
        raise SpecError("output", f"writing .{fmt} needs ffmpeg on PATH, which is not there; "
                                  "install it (Debian and Ubuntu: apt install ffmpeg) or write "
                                  "a .gif")


def frame_specs(spec: FigureSpec) -> list[tuple[Any, FigureSpec]]:
    """(value, the still figure of that frame) for each value of the animated parameter: the
    parameter set to the value, the other sweeps still curves, the value in the title."""
    from dataclasses import replace

    frames = []
    for value in animated_values(spec):
        params = {f: ({**p, spec.animate: value} if any(
            s.name == spec.animate for s in spec.sweeps.get(f, ())) else p)
            for f, p in spec.params.items()}
        frames.append((value, replace(spec, params=params, sweeps=still_sweeps(spec),
                                      animate=None)))
    return frames


def still_sweeps(spec: FigureSpec) -> dict[str, tuple[Sweep, ...]]:
    """The sweeps that stay curves in every frame: all but the animated parameter's."""
    kept = {f: tuple(s for s in sweeps if s.name != spec.animate)
            for f, sweeps in spec.sweeps.items()}
    return {f: sweeps for f, sweeps in kept.items() if sweeps}


LOOK_OPTIONS = ("theme", "style", "ylim", "yscale", "legend", "xlabel", "ylabel", "panel_titles",
                "lang", "svg_text")
BUILD_OPTIONS = ("params", "range", "points", "grad", "order", "device", "dtype", "at", "compose",
                 "jacobian", "train", "seed", "title", "size", "dpi", "layout", "animate", "fps",
                 "loop", *LOOK_OPTIONS)


def build_spec(
    functions: Iterable[str] | str,
    *,
    params: Any = None,
    range: Sequence[float] = DEFAULT_RANGE,
    points: int = DEFAULT_POINTS,
    grad: bool = False,
    order: int | None = None,
    device: str = "auto",
    dtype: str = "float32",
    at: Sequence[float] | None = None,
    compose: Sequence[int] | None = None,
    jacobian: bool = False,
    train: bool = False,
    seed: int | None = None,
    title: str | None = None,
    size: Sequence[float] | None = None,
    dpi: int = DEFAULT_DPI,
    layout: str = "rows",
    animate: str | None = None,
    fps: float = DEFAULT_FPS,
    loop: int = 0,
    **look: Any,
) -> FigureSpec:
    """Validate everything that can be validated without torch; raise SpecError naming the field.
    Types are strict: the API and batch specs get the same refusals as the CLI's parser."""
    if animate is not None:
        animate = _text("animate", animate, "the name of a swept parameter")
    names = _functions(functions)
    assignments = normalize_assignments(params)
    train, jacobian, grad = _flag("train", train), _flag("jacobian", jacobian), _flag("grad", grad)
    if seed is not None and not train:
        raise SpecError("seed", "seeds rrelu's random slopes, which are drawn only with train "
                                "(--train); add it, or drop the seed")
    if train:
        if "rrelu" not in names:
            raise SpecError("train", "applies only to rrelu, which is not among the functions")
        assignments.append(("rrelu", "training", True))
        if seed is not None:
            assignments.append(("rrelu", "seed", _integer("seed", seed, 0, SEED_MAX, "seed")))

    dtype = _text("dtype", dtype, "one of " + ", ".join(DTYPES))
    if dtype not in DTYPES:
        raise SpecError("dtype", f"'{dtype}' is not a dtype; choose one of {', '.join(DTYPES)}")
    resolved, sweeps = resolve_params(names, assignments, animate)
    _check_params_fit(resolved, sweeps, dtype)
    low, high = x_range(range)
    limit = DTYPE_MAX[dtype]
    if max(abs(low), abs(high)) > limit:
        raise SpecError("range", f"[{low:g}, {high:g}] does not fit {dtype}, whose values stay "
                                 f"within +-{limit:g}")

    vector = [n for n in names if activation_for(n).vector]
    max_points = MAX_VECTOR_POINTS if vector else MAX_POINTS
    points = _integer("points", points, 2, max_points, "points")

    if order is None:
        order = 1 if grad else 0
    order = _integer("order", order, 0, MAX_ORDER, "order")
    if grad and order == 0:
        order = 1

    if at is not None:
        at = tuple(_number("at", v, "each --at value")
                   for v in _sequence("at", at, "a list of numbers"))
        if not at:
            raise SpecError("at", "give at least one point")
        if len(at) > max_points:
            raise SpecError("at", f"at most {max_points} points, not {len(at)}")
        outside = [v for v in at if abs(v) > limit]
        if outside:
            raise SpecError("at", f"{outside[0]:g} does not fit {dtype}, whose values stay within "
                                  f"+-{limit:g}; use --dtype float64 or a smaller value")

    if compose is not None:
        depths = _sequence("compose", compose, "a list of depths such as [1, 2, 4]")
        compose = tuple(dict.fromkeys(
            _integer("compose", k, 1, MAX_COMPOSE, "each compose depth") for k in depths))
        if not compose:
            raise SpecError("compose", "give at least one depth, such as 1,2,4")

    layout = _text("layout", layout, "one of " + ", ".join(LAYOUTS))
    if layout not in LAYOUTS:
        raise SpecError("layout", f"'{layout}' is not a layout; choose one of {', '.join(LAYOUTS)}")
    if layout != "rows" and (jacobian or compose):
        flag = "jacobian" if jacobian else "compose"
        raise SpecError(flag, f"{flag} draws its own panels beside or within each function's row, "
                              f"so it needs the rows layout, not {layout}")
    if compose and sweeps:
        raise SpecError("compose", "cannot be combined with a parameter sweep: each would draw "
                                   "a curve per value; use one or the other")

    if jacobian:
        others = [n for n in names if not activation_for(n).vector]
        if others:
            verb = "acts" if len(others) == 1 else "act"
            raise SpecError("jacobian", f"{', '.join(others)} {verb} element-wise, so the Jacobian is "
                                        "diagonal (plot it with --grad); --jacobian is for "
                                        "softmax, softmin and log_softmax")
        if compose:
            raise SpecError("jacobian", "cannot be combined with compose")
        if at is not None:
            raise SpecError("jacobian", "cannot be combined with at")

    dpi = _integer("dpi", dpi, 10, 2400, "dpi")
    title = _title(title)
    device = _text("device", device, "text such as cpu or cuda:0")
    if not device:
        raise SpecError("device", "device must be text such as cpu or cuda:0, not ''")
    fps = _number("fps", fps, "fps")
    if not 0.5 <= fps <= 60:
        raise SpecError("fps", f"frames per second must be from 0.5 to 60, not {fps:g}")
    loop = _integer("loop", loop, 0, 1000, "loop (0: forever)")
    spec = FigureSpec(
        functions=names, params=resolved, sweeps=sweeps, layout=layout, range=(low, high),
        points=points, order=order, device=device, dtype=dtype, at=at, compose=compose,
        jacobian=bool(jacobian), title=title, size=_size(size), dpi=dpi, animate=animate,
        fps=fps, loop=loop, **build_look(**look),
    )
    if animate is not None:
        _check_animation(spec)
    _check_size_holds_panels(spec)
    check_memory(spec)
    return spec


MAX_TITLE = 500
YSCALES = ("linear", "symlog", "log")
LEGENDS = ("best", "outside", "none")
PANEL_TITLES = ("plain", "full", "short", "none")
LANGUAGES = ("en", "zh")  # the words of i18n.ZH


def build_look(theme: str = "default", style: str | None = None, ylim: Sequence[float] | None = None,
               yscale: str = "linear", legend: str = "best", xlabel: str | None = None,
               ylabel: str | None = None, panel_titles: str = "plain", lang: str = "en",
               svg_text: bool = False) -> dict:
    """The options of how a figure looks, checked; shared by figures, galleries and fits."""
    from .themes import check_style, check_theme

    def choice(field: str, value: Any, choices: tuple[str, ...]) -> str:
        value = _text(field, value, "one of " + ", ".join(choices))
        if value not in choices:
            raise SpecError(field, f"'{value}' is not one of {', '.join(choices)}")
        return value

    if ylim is not None:
        ylim = _sequence("ylim", ylim, "two numbers [low, high]")
        if len(ylim) != 2:
            raise SpecError("ylim", f"ylim is two numbers [low, high], not {ylim!r}")
        ylim = tuple(_number("ylim", v, "ylim") for v in ylim)
        if ylim[0] >= ylim[1]:
            raise SpecError("ylim", f"low ({ylim[0]:g}) must be less than high ({ylim[1]:g})")
    yscale = choice("yscale", yscale, YSCALES)
    if yscale == "log" and ylim is not None and ylim[0] <= 0:
        raise SpecError("ylim", f"a log scale needs a positive low limit, not {ylim[0]:g}; use "
                                "--yscale symlog for values of both signs")
    labels = {}
    for key, value in (("xlabel", xlabel), ("ylabel", ylabel)):
        if value is not None:
            value = _text(key, value, "text")
            if len(value) > MAX_TITLE:
                raise SpecError(key, f"{key} has {len(value)} characters; at most {MAX_TITLE}")
        labels[key] = value
    return dict(theme=check_theme(theme), style=check_style(style), ylim=ylim, yscale=yscale,
                legend=choice("legend", legend, LEGENDS), panel_titles=choice(
                    "panel_titles", panel_titles, PANEL_TITLES),
                lang=choice("lang", lang, LANGUAGES), svg_text=_flag("svg_text", svg_text),
                **labels)


def _size(size: Any) -> tuple[float, float] | None:
    if size is None:
        return None
    size = _sequence("size", size, "two numbers [width, height] in inches")
    if len(size) != 2:
        raise SpecError("size", f"size is two numbers [width, height] in inches, not {size!r}")
    size = tuple(_number("size", v, "size") for v in size)
    if not all(1 <= v <= 100 for v in size):
        raise SpecError("size", f"width and height must be from 1 to 100 inches, not {size}")
    return size


def _check_params_fit(resolved: Mapping[str, Mapping[str, Any]],
                      sweeps: Mapping[str, tuple[Sweep, ...]], dtype: str) -> None:
    """torch converts each parameter to the input's dtype: 1e308 overflows float32, and so does
    the reciprocal of a tiny scale (celu divides by alpha)."""
    for function, values in resolved.items():
        swept = {s.name: s.values for s in sweeps.get(function, ())}
        for parameter in activation_for(function).params:
            for value in swept.get(parameter.name, (values[parameter.name],)):
                _check_param_fits(function, parameter, value, dtype)


def _check_param_fits(function: str, parameter, value: Any, dtype: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or parameter.name == "seed":
        return
    # torch hands a divisor's scalars through float32 even for float64 inputs (celu)
    limit = min(DTYPE_MAX[dtype], DTYPE_MAX["float32"]) if parameter.divides else DTYPE_MAX[dtype]
    too_big = abs(value) > limit
    too_small = parameter.divides and value != 0 and abs(1 / value) > limit
    if too_big or too_small:
        bound = f"|{parameter.name}| <= {limit:g}" if too_big else \
            f"|{parameter.name}| >= {1 / limit:.3g}"
        raise SpecError("params", f"{function}.{parameter.name} = {value:g} overflows {dtype} in "
                                  f"torch; use {bound}, or --dtype float64")


# Past these, a figure made without --size would not stay legible on a page: rows of panels
# at MIN_PANEL_SIZE with a title fill DEFAULT_MAX_HEIGHT, and six panels make a landscape page.
MAX_GRID_ROWS = 8
MAX_GRID_COLUMNS = 6


def panels_per_function(spec: FigureSpec) -> int:
    """The panels that each function takes side by side: one per order and the Jacobian, or
    one (f and its derivatives together) in the combined layout."""
    if spec.layout == "combined":
        return 1
    return spec.order + 1 + (1 if spec.jacobian else 0)


def function_places(spec: FigureSpec) -> tuple[int, int]:
    """(rows, functions per row): past MAX_GRID_ROWS functions, they wrap into blocks side by
    side rather than making a figure taller than a page; the combined layout, one panel a
    function, makes a grid as square as its count allows (three and fewer stay on one row)."""
    count = len(spec.functions)
    if spec.layout == "combined":
        across = count if count <= 3 else math.ceil(math.sqrt(count))
    else:
        across = math.ceil(count / MAX_GRID_ROWS)
    return math.ceil(count / across), across


def grid_shape(spec: FigureSpec) -> tuple[int, int]:
    """(rows, columns) of panels. rows: a row per function (wrapped into blocks side by side
    past MAX_GRID_ROWS), a column per order, then the Jacobian; overlay: one row, a column per
    order; combined: a grid of one panel a function."""
    if spec.layout == "overlay":
        return 1, spec.order + 1
    rows, across = function_places(spec)
    return rows, across * panels_per_function(spec)


def function_cell(spec: FigureSpec, index: int) -> tuple[int, int]:
    """The row and first column of the index-th function's panels: down each block of rows,
    then on to the next block to the right; the combined layout's grid reads left to right."""
    rows, across = function_places(spec)
    if spec.layout == "combined":
        return index // across, index % across
    return index % rows, index // rows * panels_per_function(spec)


MAX_INSIDE_LEGEND = 8  # curves an overlay's legend names inside a panel; past it, beside it
OVERLAY_LEGEND_ROWS = 14
LEGEND_COLUMN_WIDTH = 1.6  # inches: a column of names such as "soft_exponential" at legend type


def overlay_legend_columns(spec: FigureSpec) -> int:
    """Columns of the one legend beside an overlay's last panel; 0 when its curves are few
    enough for a legend inside each panel."""
    if spec.layout != "overlay" or spec.legend == "none":
        return 0
    curves = curve_count(spec)
    if curves <= MAX_INSIDE_LEGEND or len(spec.functions) == 1 and colour_scaled(
            spec, spec.functions[0]):
        return 0
    return math.ceil(curves / OVERLAY_LEGEND_ROWS)


MAX_LEGEND_CURVES = 8  # more compose depths get a sequential colour scale and a colour bar
MAX_LEGEND_VALUES = 5  # and so does a swept parameter with more values than this


def colour_scaled(spec: FigureSpec, function: str) -> bool:
    """Whether a function's curves are told apart by a colour bar rather than a legend: more
    compose depths than a legend holds, or a first swept parameter with many numeric values."""
    if spec.compose:
        return len(spec.compose) > MAX_LEGEND_CURVES
    sweeps = spec.sweeps.get(function, ())
    return bool(sweeps) and is_many_numbers(sweeps[0].values)


def is_many_numbers(values) -> bool:
    return len(set(values)) > MAX_LEGEND_VALUES and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _check_page(spec: FigureSpec) -> None:
    """A figure without --size stays a page: more panels than that is a usage error that says
    how to draw them, never a silent 80-inch image."""
    rows, columns = grid_shape(spec)
    if spec.size is not None or columns <= MAX_GRID_COLUMNS or spec.layout == "overlay":
        return
    count = len(spec.functions)
    per = panels_per_function(spec)
    fits = MAX_GRID_ROWS * max(MAX_GRID_COLUMNS // per, 1)
    raise SpecError("functions", f"{count} functions with {per} panel{'s' if per > 1 else ''} "
                                 f"each make a {rows} x {columns} grid, more than a page holds "
                                 f"legibly (at most {fits} functions here); split them over "
                                 "several figures (a batch spec with a [[figure]] each, or "
                                 "actplot gallery), use --layout overlay, or give --size")


def curve_count(spec: FigureSpec) -> int:
    """Curves computed: each function's sweep combinations, or its compose depths."""
    depths = len(spec.compose or (1,))
    return sum(len(spec.variants(f)) for f in spec.functions) * depths


def minimum_size(spec: FigureSpec) -> tuple[float, float]:
    rows, columns = grid_shape(spec)
    if spec.legend == "outside":
        columns += 0.6  # each row's legend beside its last panel
    columns += overlay_legend_columns(spec) * LEGEND_COLUMN_WIDTH / MIN_PANEL_SIZE[0]
    title = TITLE_HEIGHT if spec.title or spec.animate else 0.0  # a frame always has one
    return (round(MIN_PANEL_SIZE[0] * columns, 1),
            round(MIN_PANEL_SIZE[1] * rows + title, 1))


def figure_size(spec: FigureSpec) -> tuple[float, float]:
    """--size, or panels of PANEL_SIZE with the height capped at a page's."""
    if spec.size:
        return spec.size
    from .themes import theme

    look = theme(spec.theme)
    rows, columns = grid_shape(spec)
    title = TITLE_HEIGHT if spec.title or spec.animate else 0.0  # a frame always has one
    panel_width, panel_height = look.panel_size
    width = panel_width * columns
    if look.width is not None:  # a paper column, or a page's width for wider grids
        width = look.width if columns <= 2 else max(look.wide_width or look.width, width)
        panel_height = min(panel_height, width / columns * 0.9) if columns > 2 else panel_height
    if spec.legend == "outside":
        width += 0.3 * panel_width * (1 if look.width is None else 0) + 1.6
    width += overlay_legend_columns(spec) * LEGEND_COLUMN_WIDTH
    height = min(panel_height * rows + 0.4, DEFAULT_MAX_HEIGHT)
    return (width, max(height, minimum_size(spec)[1]) + title)


def _check_size_holds_panels(spec: FigureSpec) -> None:
    if spec.size is None:
        return
    rows, columns = grid_shape(spec)
    width, height = minimum_size(spec)
    if spec.size[0] < width or spec.size[1] < height:
        raise SpecError("size", f"{spec.size[0]:g} x {spec.size[1]:g} inches cannot hold "
                                f"{rows} x {columns} panels legibly; the smallest size that works "
                                f"is {width:g} x {height:g}")


def check_memory(spec: FigureSpec, kind: str = "figure") -> None:
    """SpecError when the run's estimated peak memory (see PEAK_PER_ARRAY_BYTE) is over
    MAX_MEMORY_BYTES, naming the points that would fit. `kind` is "figure" or "data"."""
    curves = curve_count(spec)
    samples = len(spec.at) if spec.at is not None else spec.points
    arrays = spec.order + 2  # x, y and each derivative, as float64
    factor = PEAK_PER_ARRAY_BYTE[kind]
    needed = samples * curves * arrays * 8 * factor
    if needed > MAX_MEMORY_BYTES:
        fits = int(MAX_MEMORY_BYTES // (curves * arrays * 8 * factor))
        what = "the figure" if kind == "figure" else "the data as JSON or CSV"
        raise SpecError("points", f"{samples} points x {curves} curves x {arrays} arrays would "
                                  f"take about {needed / 1024**3:.1f} GiB of memory for {what}, "
                                  f"over the {MAX_MEMORY_BYTES // 1024**3} GiB budget; use at "
                                  f"most {fits} points, or fewer curves")


def check_pixels(spec, fmt: str) -> None:
    """A PNG's (or a GIF frame's) pixels are allocated at once: refuse one over MAX_MEGAPIXELS
    before computing. Data outputs hold far more per point than a figure: their memory too."""
    if fmt in ("json", "csv") and isinstance(spec, FigureSpec):
        check_memory(spec, "data")
    elif isinstance(spec, FigureSpec):
        _check_page(spec)
        _check_animation_output(spec, fmt)
    if fmt not in RASTER_FORMATS + ANIMATION_FORMATS:
        return
    width, height = (fit_size(spec) if isinstance(spec, FitSpec) else
                     depth_size(spec) if isinstance(spec, DepthSpec) else figure_size(spec))
    megapixels = width * spec.dpi * height * spec.dpi / 1e6
    if megapixels > MAX_MEGAPIXELS:
        dpi = int(math.sqrt(MAX_MEGAPIXELS * 1e6 / (width * height)))
        raise SpecError("dpi", f"a {width:g} x {height:g} inch PNG at {spec.dpi} dpi has "
                               f"{megapixels:,.0f} megapixels, over the {MAX_MEGAPIXELS}-megapixel "
                               f"budget; use --dpi {dpi} or less, a smaller --size, or SVG/PDF")
    if fmt in ANIMATION_FORMATS:  # every frame is kept until the file is written
        total = megapixels * spec.frames
        fewer = "--frames" if isinstance(spec, FitSpec) else f"values of {spec.animate}:"
        if total > MAX_ANIMATION_MEGAPIXELS:
            frames = int(MAX_ANIMATION_MEGAPIXELS / megapixels)
            dpi = int(spec.dpi * math.sqrt(MAX_ANIMATION_MEGAPIXELS / total))
            raise SpecError("frames", f"{spec.frames} frames of {megapixels:,.1f} megapixels are "
                                      f"{total:,.0f} megapixels, over the "
                                      f"{MAX_ANIMATION_MEGAPIXELS}-megapixel budget of an "
                                      f"animation; use {fewer} {max(frames, 2)} or fewer, or "
                                      f"--dpi {max(dpi, 10)} or less")


def output_format(output: str | None, fmt: str | None, formats: Sequence[str] = FORMATS) -> str:
    """The format named by --format or by the output's extension (.jpeg is jpg, .tif tiff); png
    when the output is stdout or the default name. A name with no extension is an error, not a
    PNG silently called `name`."""
    if fmt is not None and not isinstance(fmt, str):
        raise SpecError("format", f"format must be text such as png or svg, not {fmt!r}")
    suffix = None
    if output:
        name = str(output).rsplit("/", 1)[-1]
        if "." in name.lstrip("."):
            suffix = name.rsplit(".", 1)[1].lower()
            suffix = FORMAT_ALIASES.get(suffix, suffix)
    if fmt is not None:
        fmt = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
        if fmt not in formats:
            raise SpecError("format", f"unknown format '{fmt}'; supported: {', '.join(formats)}")
        if suffix is not None and suffix != fmt:
            raise SpecError("format", f"'{fmt}' disagrees with the output's extension '.{suffix}'")
        return fmt
    if suffix is None:
        # a folder is said to be one where the output is checked; a name is given a format here
        if output and str(output) != STDOUT and not os.path.isdir(output):
            raise SpecError("output", f"'{output}' has no extension to say its format; name "
                                      f"one of {', '.join('.' + f for f in formats)} (or give "
                                      "--format)")
        return "png"
    if suffix not in formats:
        raise SpecError("output", f"unknown output format '.{suffix}'; use one of "
                                  f"{', '.join('.' + f for f in formats)}")
    return suffix


# ---- actplot fit -------------------------------------------------------------------------------

FIT_FORMATS = FIGURE_FORMATS + ("gif", "json")
DEPTH_FORMATS = FIGURE_FORMATS + ("json",)
OPTIMIZERS = ("adam", "sgd")
DEFAULT_LR = {"adam": 0.01, "sgd": 0.1}
MAX_HIDDEN = 1024
MAX_STEPS = 100_000
MAX_FIT_POINTS = 100_000
MAX_SEEDS = 1000
MAX_FRAMES = 200
MAX_FIT_RUNS = 4096
# units x points x steps x runs: 4.9e9 of them (--hidden 1024 --points 48000 --steps 100) took
# 135 s on one core here, so the budget is a few minutes
MAX_FIT_WORK = 10**10


@dataclass(frozen=True)
class FitSpec(LookOptions, _Parameterised):
    """`actplot fit`: a 1 -> hidden -> 1 network per function (and sweep value) and seed, trained
    full-batch on the target over the range."""

    functions: tuple[str, ...]
    params: Mapping[str, Mapping[str, Any]]
    sweeps: Mapping[str, tuple[Sweep, ...]] = field(default_factory=dict)
    target: str = "x**2"
    range: tuple[float, float] = (0.0, 2.0)
    points: int = 200
    hidden: int = 8
    steps: int = 2000
    optimizer: str = "adam"
    lr: float = 0.01
    seeds: tuple[int, ...] = (0,)
    tol: float = 1e-3
    frames: int = 60
    device: str = "auto"
    dtype: str = "float32"
    title: str | None = None
    size: tuple[float, float] | None = None
    dpi: int = DEFAULT_DPI
    shown_seed: int | None = None  # the seed drawn in the top rows; None: the most telling one
    pre_activations: bool = False  # draw each unit's w1 x + b1 (seed 002) in the units panel


FIT_OPTIONS = ("params", "target", "range", "points", "hidden", "steps", "optimizer", "lr", "seed",
               "seeds", "tol", "frames", "device", "dtype", "title", "size", "dpi",
               "pre_activations", *LOOK_OPTIONS)


def _element_wise(functions, why: str) -> tuple[str, ...]:
    """The function names, each acting element by element (a network's units); SpecError
    naming the first that acts on a whole vector (softmax), and why that matters here."""
    names = _functions(functions)
    vector = [n for n in names if activation_for(n).vector]
    if vector:
        raise SpecError("functions", f"{vector[0]} acts on a whole vector, not element-wise; "
                                     f"{why}")
    return names


def parse_seeds(text: str) -> tuple[int, ...]:
    """'0-19' or '0,3,7' (or a mix: '0-4,10') -> seeds; ValueError otherwise. The count is
    checked before anything is expanded: '0-99999999999' is refused, not built."""
    ranges: list[tuple[int, int]] = []
    count = 0
    for part in text.replace(" ", "").split(","):
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f"'{text}' is not a seed list such as 0-19 or 0,3,7")
        if len(low) > 19 or len(high) > 19 or max(int(low), int(high or 0)) > 2**63 - 1:
            raise ValueError(f"'{part}' holds a seed over 2^63 - 1, the largest a seed may be")
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            raise ValueError(f"'{part}' runs backwards; write {last}-{first}")
        count += last - first + 1
        if count > MAX_SEEDS:
            raise ValueError(f"'{text}' names over {MAX_SEEDS} seeds, the most a fit trains; "
                             f"use a shorter range such as 0-{MAX_SEEDS - 1}")
        ranges.append((first, last))
    return tuple(dict.fromkeys(seed for first, last in ranges for seed in range(first, last + 1)))


def build_fit_spec(functions: Iterable[str] | str, *, params: Any = None, target: str = "x**2",
                   range: Sequence[float] = (0.0, 2.0), points: int = 200, hidden: int = 8,
                   steps: int = 2000, optimizer: str = "adam", lr: float | None = None,
                   seed: int | None = None, seeds: Any = None, tol: float = 1e-3, frames: int = 60,
                   device: str = "auto", dtype: str = "float32", title: str | None = None,
                   size: Sequence[float] | None = None, dpi: int = DEFAULT_DPI,
                   pre_activations: bool = False, **look: Any) -> FitSpec:
    """Validate a fit request without torch; SpecError naming the field."""
    from .expressions import parse

    names = _element_wise(functions, "a hidden layer needs an element-wise activation")
    resolved, sweeps = resolve_params(names, normalize_assignments(params))
    dtype = _text("dtype", dtype, "float32 or float64")
    if dtype not in ("float32", "float64"):
        raise SpecError("dtype", f"training runs in float32 or float64, not '{dtype}'")
    _check_params_fit(resolved, sweeps, dtype)
    parse(target)
    range = _sequence("range", range, "two numbers [min, max]")
    if len(range) != 2:
        raise SpecError("range", f"range is two numbers [min, max], not {range!r}")
    low, high = (_number("range", v, "range") for v in range)
    if low >= high:
        raise SpecError("range", f"min ({low:g}) must be less than max ({high:g}): a network "
                                 "needs more than one point to fit")
    optimizer = _text("optimizer", optimizer, "adam or sgd")
    if optimizer not in OPTIMIZERS:
        raise SpecError("optimizer", f"'{optimizer}' is not an optimizer; choose adam or sgd")
    lr = DEFAULT_LR[optimizer] if lr is None else _number("lr", lr, "lr")
    if not 0 < lr <= 10:
        raise SpecError("lr", f"the learning rate must be > 0 and at most 10, not {lr:g}")
    tol = _number("tol", tol, "tol")
    if tol <= 0:
        raise SpecError("tol", f"the loss tolerance must be > 0, not {tol:g}")
    shown_seed = None
    if seed is not None and seeds is not None:  # --seed picks the run drawn in the top rows
        shown_seed = _integer("seed", seed, 0, 2**63 - 1, "seed")
    seeds = seed_list(seed, seeds)
    if not 1 <= len(seeds) <= MAX_SEEDS:
        raise SpecError("seeds", f"give from 1 to {MAX_SEEDS} seeds, not {len(seeds)}")
    if shown_seed is not None and shown_seed not in seeds:
        raise SpecError("seed", f"--seed {shown_seed} picks the run to draw, so it must be one of "
                                f"--seeds ({_seed_text(seeds)})")
    spec = FitSpec(
        functions=names, params=resolved, sweeps=sweeps, target=target, range=(low, high),
        points=_integer("points", points, 2, MAX_FIT_POINTS, "points"),
        hidden=_integer("hidden", hidden, 1, MAX_HIDDEN, "hidden"),
        steps=_integer("steps", steps, 1, MAX_STEPS, "steps"), optimizer=optimizer, lr=lr,
        seeds=seeds, tol=tol, frames=_integer("frames", frames, 2, MAX_FRAMES, "frames"),
        device=_text("device", device, "text such as cpu or cuda:0"), dtype=dtype,
        title=_title(title), size=_size(size),
        dpi=_integer("dpi", dpi, 10, 2400, "dpi"), shown_seed=shown_seed,
        pre_activations=_flag("pre_activations", pre_activations), **build_look(**look))
    rows, columns = fit_grid_shape(spec)
    smallest = (round(MIN_PANEL_SIZE[0] * columns, 1), round(MIN_PANEL_SIZE[1] * rows, 1))
    if spec.size and (spec.size[0] < smallest[0] or spec.size[1] < smallest[1]):
        raise SpecError("size", f"{spec.size[0]:g} x {spec.size[1]:g} inches cannot hold "
                                f"{rows} x {columns} panels legibly; the smallest size that works "
                                f"is {smallest[0]:g} x {smallest[1]:g}")
    runs = sum(len(spec.variants(n)) for n in names) * len(seeds)
    if runs > MAX_FIT_RUNS or runs * spec.hidden * spec.points > 50_000_000:
        raise SpecError("seeds", f"{runs} runs of {spec.hidden} units on {spec.points} points are "
                                 "more than one batch holds; use fewer seeds, units or points")
    work = runs * spec.hidden * spec.points * spec.steps
    if work > MAX_FIT_WORK:
        steps = max(1, MAX_FIT_WORK // (runs * spec.hidden * spec.points))
        raise SpecError("steps", f"{spec.steps} steps of {runs} run(s) x {spec.hidden} units x "
                                 f"{spec.points} points are {work:.2g} unit-point-steps, over the "
                                 f"{MAX_FIT_WORK:.0e} a fit may take (minutes here); use --steps "
                                 f"{steps} or fewer, or fewer units, points or seeds")
    return spec


def seed_list(seed: Any, seeds: Any) -> tuple[int, ...]:
    """--seeds ('0-19', '0,3,7' or a list), else --seed (default 0), as a tuple of seeds."""
    if seeds is None:
        return (_integer("seed", 0 if seed is None else seed, 0, 2**63 - 1, "seed"),)
    if isinstance(seeds, str):
        try:
            return parse_seeds(seeds)
        except ValueError as error:
            raise SpecError("seeds", str(error)) from None
    return tuple(dict.fromkeys(_integer("seeds", s, 0, 2**63 - 1, "each seed")
                               for s in _sequence("seeds", seeds, "a list of seeds")))


def _seed_text(seeds: Sequence[int]) -> str:
    if len(seeds) > 2 and list(seeds) == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}"
    return ",".join(map(str, seeds[:10])) + (",..." if len(seeds) > 10 else "")


def fit_grid_shape(spec: FitSpec) -> tuple[int, int]:
    """Three rows (fit, units, loss), a column per function and sweep value."""
    return 3, sum(len(spec.variants(n)) for n in spec.functions)


FIT_ROW_HEIGHT = 2.8


def fit_size(spec: FitSpec) -> tuple[float, float]:
    """--size, or PANEL_SIZE wide and FIT_ROW_HEIGHT tall a panel."""
    if spec.size:
        return spec.size
    _, columns = fit_grid_shape(spec)
    return PANEL_SIZE[0] * columns, FIT_ROW_HEIGHT * 3 + (TITLE_HEIGHT if spec.title else 0.0)


# ---- actplot depth --------------------------------------------------------------------------

INITS = ("he", "xavier", "lecun", "torch", "gain")
MAX_DEPTH_LAYERS = 1000
MAX_DEPTH_WIDTH = 8192
MAX_DEPTH_INPUTS = 4096
MAX_PHASE_GRID = 400


@dataclass(frozen=True)
class DepthSpec(_Parameterised):
    """What `actplot depth` simulates and draws, validated without torch."""

    functions: tuple[str, ...]
    params: Mapping[str, Mapping[str, Any]]
    sweeps: Mapping[str, tuple[Sweep, ...]] = field(default_factory=dict)
    layers: int = 30
    width: int = 512
    inputs: int = 256
    q0: float = 1.0
    c0: float = 0.5
    init: str = "xavier"
    sigma_w: float | None = None  # sets sigma_w^2 = sigma_w ** 2, over --init
    sigma_b: float = 0.0
    seeds: tuple[int, ...] = (0,)
    phase: bool = False
    grid: int = 100
    sigma_w2_range: tuple[float, float] = (0.5, 4.0)
    sigma_b2_range: tuple[float, float] = (0.0, 0.3)
    dtype: str = "float32"
    title: str | None = None
    size: tuple[float, float] | None = None
    dpi: int = DEFAULT_DPI

    @property
    def init_name(self) -> str:
        return "sigma_w" if self.sigma_w is not None else self.init


DEPTH_OPTIONS = ("params", "layers", "width", "inputs", "q0", "c0", "init", "sigma_w", "sigma_b",
                 "seed", "seeds", "phase", "grid", "sigma_w2_range", "sigma_b2_range", "dtype",
                 "title", "size", "dpi")


def _range_pair(field_name: str, value: Any, low_ok: float) -> tuple[float, float]:
    pair = _sequence(field_name, value, "two numbers [low, high]")
    if len(pair) != 2:
        raise SpecError(field_name, f"{field_name} is two numbers [low, high], not {value!r}")
    low, high = (_number(field_name, v, field_name) for v in pair)
    if not low_ok <= low < high:
        raise SpecError(field_name, f"{field_name} must run from a low value >= {low_ok:g} up to "
                                    f"a higher one, not {low:g} to {high:g}")
    return low, high


def build_depth_spec(functions: Iterable[str] | str, *, params: Any = None, layers: int = 30,
                     width: int = 512, inputs: int = 256, q0: float = 1.0, c0: float = 0.5,
                     init: str = "xavier", sigma_w: float | None = None, sigma_b: float = 0.0,
                     seed: int | None = None, seeds: Any = None, phase: bool = False,
                     grid: int = 100, sigma_w2_range: Sequence[float] = (0.5, 4.0),
                     sigma_b2_range: Sequence[float] = (0.0, 0.3), dtype: str = "float32",
                     title: str | None = None, size: Sequence[float] | None = None,
                     dpi: int = DEFAULT_DPI) -> DepthSpec:
    """Validate a depth request without torch; SpecError naming the field."""
    names = _element_wise(functions, "it has no place in a layer of units")
    resolved, sweeps = resolve_params(names, normalize_assignments(params))
    init = _text("init", init, "one of " + ", ".join(INITS))
    if init not in INITS:
        raise SpecError("init", f"'{init}' is not an initialisation; choose one of "
                                f"{', '.join(INITS)}")
    if sigma_w is not None:
        sigma_w = _number("sigma_w", sigma_w, "sigma_w")
        if sigma_w < 0:
            raise SpecError("sigma_w", f"sigma_w is a standard deviation, >= 0, not {sigma_w:g}")
    sigma_b = _number("sigma_b", sigma_b, "sigma_b")
    if sigma_b < 0:
        raise SpecError("sigma_b", f"sigma_b is a standard deviation, >= 0, not {sigma_b:g}")
    phase = _flag("phase", phase)
    if phase and (seeds is not None or seed is not None):
        raise SpecError("seeds", "--phase draws the mean-field theory over a grid of sigmas and "
                                 "simulates no network; drop --seeds")
    if seed is not None and seeds is not None:
        raise SpecError("seeds", "give --seed or --seeds, not both")
    seeds = seed_list(seed, seeds)
    dtype = _text("dtype", dtype, "float32 or float64")
    if dtype not in ("float32", "float64"):
        raise SpecError("dtype", f"the network runs in float32 or float64, not '{dtype}'")
    q0, c0 = _number("q0", q0, "q0"), _number("c0", c0, "c0")
    if not q0 > 0:
        raise SpecError("q0", f"q0 is the inputs' variance, > 0, not {q0:g}")
    if not -1 < c0 < 1:
        raise SpecError("c0", f"c0 is a correlation strictly between -1 and 1, not {c0:g}")
    spec = DepthSpec(
        functions=names, params=resolved, sweeps=sweeps,
        layers=_integer("layers", layers, 1, MAX_DEPTH_LAYERS, "layers"),
        width=_integer("width", width, 1, MAX_DEPTH_WIDTH, "width"),
        inputs=_integer("inputs", inputs, 1, MAX_DEPTH_INPUTS, "inputs"), q0=q0, c0=c0,
        init=init, sigma_w=sigma_w, sigma_b=sigma_b, seeds=seeds, phase=phase,
        grid=_integer("grid", grid, 2, MAX_PHASE_GRID, "grid"),
        sigma_w2_range=_range_pair("sigma_w2_range", sigma_w2_range, 0.0),
        sigma_b2_range=_range_pair("sigma_b2_range", sigma_b2_range, 0.0),
        dtype=dtype, title=_title(title), size=_size(size),
        dpi=_integer("dpi", dpi, 10, 2400, "dpi"))
    if not phase:
        _check_depth_budget(spec)
    return spec


def _check_depth_budget(spec: DepthSpec) -> None:
    """Every layer's pre-activations and gradients are kept for one backward pass: seeds x
    (inputs + 2) x width x (layers + 1), twice, plus a layer's weights, within half the memory
    budget. Functions and sweep values run one after another: the budget is one run's."""
    size = 8 if spec.dtype == "float64" else 4
    per_layer = len(spec.seeds) * ((spec.inputs + 2) * spec.width * 3 + spec.width ** 2) * size
    needed = per_layer * (spec.layers + 1)
    budget = MAX_MEMORY_BYTES // 2
    if needed > budget:
        layers = max(1, budget // per_layer - 1)
        raise SpecError("layers", f"{spec.layers} layers of {spec.width} units for "
                                  f"{len(spec.seeds)} seed(s) and {spec.inputs} inputs need "
                                  f"{needed / 1024**3:.1f} GiB, over the "
                                  f"{budget / 1024**3:.0f} GiB budget of a network; use at most "
                                  f"{layers} layers, or fewer seeds, inputs or units")


def depth_grid_shape(spec: DepthSpec) -> tuple[int, int]:
    """Three rows (forward, backward, correlation) and a column per function and value; for
    --phase, one row of heatmaps."""
    columns = sum(len(spec.variants(n)) for n in spec.functions)
    return (1, columns) if spec.phase else (3, columns)


def depth_size(spec: DepthSpec) -> tuple[float, float]:
    if spec.size:
        return spec.size
    rows, columns = depth_grid_shape(spec)
    if spec.phase:
        return PANEL_SIZE[0] * columns + 0.6, PANEL_SIZE[1] + 0.6 + (TITLE_HEIGHT if spec.title
                                                                    else 0.0)
    return PANEL_SIZE[0] * columns, 2.8 * rows + (TITLE_HEIGHT if spec.title else 0.0)


# The keys of a batch spec's tables, checked by batch.py and listed by `actplot batch --help`:
# each is what its command's options build, with the functions and where the output goes.
FIGURE_KEYS = ("functions", "output", "format", *BUILD_OPTIONS)
FIT_KEYS = ("functions", "output", "format", *FIT_OPTIONS)
DEPTH_KEYS = ("functions", "output", "format", *DEPTH_OPTIONS)


# ---- actplot explore ---------------------------------------------------------------------------

EXPLORE_THEMES = ("auto", "light", "dark")  # auto follows the system's setting
MAX_EXPLORE_VARIANTS = 400  # parameter combinations of one function, each a set of curves
MAX_EXPLORE_POINTS = 2000
DEFAULT_EXPLORE_POINTS = 300
EXPLORE_OPTIONS = ("params", "all", "order", "range", "points", "dtype", "title", "theme")
EXPLORE_KEYS = ("functions", "output", *EXPLORE_OPTIONS)


@dataclass(frozen=True)
class ExploreSpec(_Parameterised):
    """`actplot explore`: an offline page with every function's curves computed for each
    combination of its swept parameters' values, switched between by sliders."""

    functions: tuple[str, ...]
    params: Mapping[str, Mapping[str, Any]]
    sweeps: Mapping[str, tuple[Sweep, ...]] = field(default_factory=dict)
    order: int = 2
    range: tuple[float, float] = DEFAULT_RANGE
    points: int = DEFAULT_EXPLORE_POINTS
    dtype: str = "float64"
    title: str | None = None
    theme: str = "auto"

    def figure_spec(self, function: str) -> FigureSpec:
        """The still figure whose series are this function's curves: one per variant."""
        return FigureSpec(functions=(function,), params={function: self.params[function]},
                          sweeps={function: self.sweeps[function]} if function in self.sweeps
                          else {}, range=self.range, points=self.points, order=self.order,
                          dtype=self.dtype, device="cpu")


def build_explore_spec(functions: Iterable[str] | str = (), *, params: Any = None,
                       all: bool = False, order: int = 2, range: Sequence[float] = DEFAULT_RANGE,
                       points: int = DEFAULT_EXPLORE_POINTS, dtype: str = "float64",
                       title: str | None = None, theme: str = "auto",
                       documented: bool | None = None) -> ExploreSpec:
    """Validate an explore request; SpecError naming the field. With `all`, every built-in
    (and plugin) function, each with its first steppable parameter swept over its documented
    values (Parameter.documented_values) unless params say otherwise; `documented` sweeps the
    named functions so (a gallery's explore page)."""
    every = _flag("all", all)
    documented = every if documented is None else _flag("documented", documented)
    names = _functions(functions) if functions or not every else ()
    if every:
        from .registry import REGISTRY

        from .entrypoints import plugins

        extra = sorted({p.entry.name for p in plugins().values()} - set(REGISTRY))
        names = tuple(dict.fromkeys([*names, *REGISTRY, *extra]))
    assignments = normalize_assignments(params)
    if documented:
        given = {(t, n) for t, n, _ in assignments if t is not None} | {
            (f, n) for t, n, _ in assignments if t is None for f in names}
        for function in names:
            entry = activation_for(function)
            for parameter in entry.params:
                # a documented value that a relation refuses (a min above a max) is left out
                values = [v for v in parameter.documented_values()
                          if entry.validate({**entry.defaults(), parameter.name: v}) is None]
                if len(values) > 1 and (function, parameter.name) not in given:
                    assignments.append((function, parameter.name, values))
                    break
    resolved, sweeps = resolve_params(names, assignments, max_curves=MAX_EXPLORE_VARIANTS)
    dtype = _text("dtype", dtype, "float32 or float64")
    if dtype not in ("float32", "float64"):
        raise SpecError("dtype", f"explore computes in float32 or float64, not '{dtype}'")
    _check_params_fit(resolved, sweeps, dtype)
    low, high = x_range(range)
    theme = _text("theme", theme, "one of " + ", ".join(EXPLORE_THEMES))
    if theme not in EXPLORE_THEMES:
        raise SpecError("theme", f"'{theme}' is not one of {', '.join(EXPLORE_THEMES)} (auto "
                                 "follows the system's light or dark setting)")
    return ExploreSpec(functions=names, params=resolved, sweeps=sweeps,
                       order=_integer("order", order, 0, MAX_ORDER, "order"), range=(low, high),
                       points=_integer("points", points, 2, MAX_EXPLORE_POINTS, "points"),
                       dtype=dtype, title=_title(title), theme=theme)
