"""What to draw (FigureSpec) and what was computed (Series), with the validation that the CLI, the
batch specs and the Python API share. No torch and no matplotlib here."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from .errors import SpecError
from .registry import REGISTRY, canonical_name

DTYPES = ("float32", "float64", "float16", "bfloat16")
DTYPE_MAX = {"float16": 65504.0, "bfloat16": 3.3895e38, "float32": 3.4028e38, "float64": 1.7976e308}
FIGURE_FORMATS = ("png", "svg", "pdf")
DATA_FORMATS = ("csv", "json")
FORMATS = FIGURE_FORMATS + DATA_FORMATS
MAX_POINTS = 1_000_000
# softmax and friends: the Jacobian diagonal costs points**2 work and memory.
MAX_VECTOR_POINTS = 5_000
MAX_ORDER = 3
MAX_COMPOSE = 64
DEFAULT_RANGE = (-5.0, 5.0)
DEFAULT_POINTS = 1000
DEFAULT_DPI = 150

# A parameter assignment: (function or None for "every function that has it", name, value).
Assignment = tuple["str | None", str, Any]


@dataclass(frozen=True)
class FigureSpec:
    functions: tuple[str, ...]
    params: Mapping[str, Mapping[str, Any]]  # every parameter of every function, resolved
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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["params"] = {name: dict(p) for name, p in self.params.items()}
        return data


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
    breakpoints: list[Any] = field(default_factory=list)  # registry.Breakpoint inside the range
    compose: int | None = None
    jacobian: Any = None

    @property
    def dy(self):
        return self.derivatives[0] if self.derivatives else None


def _number(field_name: str, value: Any, what: str) -> float:
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        raise SpecError(field_name, f"{what} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise SpecError(field_name, f"{what} must be finite, not {value!r}")
    return number


def _integer(field_name: str, value: Any, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SpecError(field_name, f"{what} must be an integer from {low} to {high}, not {value!r}")
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else None
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise SpecError(field_name, f"{what} must be an integer from {low} to {high}, not {value!r}")
    return number


def _functions(names: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(names, str):
        names = [names]
    names = list(names)
    if not names:
        raise SpecError("functions", "name at least one function ('actplot list' shows them)")
    resolved = []
    for name in names:
        if not isinstance(name, str):
            raise SpecError("functions", f"function names are strings, not {name!r}")
        canonical = canonical_name(name)
        if canonical not in resolved:
            resolved.append(canonical)
    return tuple(resolved)


def normalize_assignments(params: Mapping[str, Any] | Iterable[Assignment] | None) -> list[Assignment]:
    """Accept {"alpha": 1}, {"elu.alpha": 1}, {"elu": {"alpha": 1}} or (target, name, value) triples."""
    if params is None:
        return []
    if not isinstance(params, Mapping):
        return list(params)
    assignments: list[Assignment] = []
    for key, value in params.items():
        if isinstance(value, Mapping):
            assignments.extend((key, name, v) for name, v in value.items())
        elif "." in key:
            target, name = key.split(".", 1)
            assignments.append((target, name, value))
        else:
            assignments.append((None, key, value))
    return assignments


def resolve_params(functions: Sequence[str], assignments: Iterable[Assignment]) -> dict[str, dict]:
    """Apply assignments to the functions' defaults. An untargeted one applies to every function
    that has the parameter, and is an error only when none of them has it."""
    resolved = {name: REGISTRY[name].defaults() for name in functions}
    for target, name, value in assignments:
        if target is not None:
            canonical = canonical_name(target)
            if canonical not in resolved:
                raise SpecError("params", f"'{target}.{name}': {target} is not among the functions "
                                          f"({', '.join(functions)})")
            targets = [canonical]
        else:
            targets = [f for f in functions if REGISTRY[f].parameter(name)]
        if not targets or REGISTRY[targets[0]].parameter(name) is None:
            raise SpecError("params", f"unknown parameter '{name}'; {_valid_parameters(targets or functions)}")
        for function in targets:
            parameter = REGISTRY[function].parameter(name)
            try:
                resolved[function][name] = parameter.coerce(value)
            except ValueError as error:
                raise SpecError("params", f"{function}.{name}: {error}") from None
    for function, values in resolved.items():
        problem = REGISTRY[function].validate(values)
        if problem:
            raise SpecError("params", f"{function}: {problem}")
    return resolved


def _valid_parameters(functions: Sequence[str]) -> str:
    parts = []
    for function in functions:
        entry = REGISTRY[function]
        if entry.params:
            listing = ", ".join(f"{p.name} ({p.domain()})" for p in entry.params)
            parts.append(f"{function} takes {listing}")
        else:
            parts.append(f"{function} takes none")
    return "; ".join(parts)


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
) -> FigureSpec:
    """Validate everything that can be validated without torch; raise SpecError naming the field."""
    names = _functions(functions)
    assignments = normalize_assignments(params)
    if train or seed is not None:
        if "rrelu" not in names:
            flag = "train" if train else "seed"
            raise SpecError(flag, "applies only to rrelu, which is not among the functions")
        if train:
            assignments.append(("rrelu", "training", True))
        if seed is not None:
            assignments.append(("rrelu", "seed", seed))
    resolved = resolve_params(names, assignments)

    if dtype not in DTYPES:
        raise SpecError("dtype", f"'{dtype}' is not a dtype; choose one of {', '.join(DTYPES)}")
    if isinstance(range, (str, bytes)) or len(range) != 2:
        raise SpecError("range", f"range is two numbers [min, max], not {range!r}")
    low, high = (_number("range", v, "range") for v in range)
    if low >= high:
        raise SpecError("range", f"min ({low:g}) must be less than max ({high:g})")
    limit = DTYPE_MAX[dtype]
    if max(abs(low), abs(high)) > limit:
        raise SpecError("range", f"[{low:g}, {high:g}] does not fit {dtype}, whose values stay "
                                 f"within +-{limit:g}")

    vector = [n for n in names if REGISTRY[n].vector]
    max_points = MAX_VECTOR_POINTS if vector else MAX_POINTS
    points = _integer("points", points, 2, max_points, "points")

    if order is None:
        order = 1 if grad else 0
    order = _integer("order", order, 0, MAX_ORDER, "order")
    if grad and order == 0:
        order = 1

    if at is not None:
        at = tuple(_number("at", v, "each --at value") for v in at)
        if not at:
            raise SpecError("at", "give at least one point")
        if len(at) > max_points:
            raise SpecError("at", f"at most {max_points} points, not {len(at)}")

    if compose is not None:
        compose = tuple(dict.fromkeys(
            _integer("compose", k, 1, MAX_COMPOSE, "each compose depth") for k in compose))
        if not compose:
            raise SpecError("compose", "give at least one depth, such as 1,2,4")

    if jacobian:
        others = [n for n in names if not REGISTRY[n].vector]
        if others:
            verb = "acts" if len(others) == 1 else "act"
            raise SpecError("jacobian", f"{', '.join(others)} {verb} element-wise, so the Jacobian is "
                                        "diagonal (plot it with --grad); --jacobian is for "
                                        "softmax, softmin and log_softmax")
        if compose:
            raise SpecError("jacobian", "cannot be combined with compose")
        if at is not None:
            raise SpecError("jacobian", "cannot be combined with at")

    if size is not None:
        if isinstance(size, (str, bytes)) or len(size) != 2:
            raise SpecError("size", f"size is two numbers [width, height] in inches, not {size!r}")
        size = tuple(_number("size", v, "size") for v in size)
        if not all(1 <= v <= 100 for v in size):
            raise SpecError("size", f"width and height must be from 1 to 100 inches, not {size}")
    dpi = _integer("dpi", dpi, 10, 2400, "dpi")
    if title is not None and not isinstance(title, str):
        raise SpecError("title", f"title must be text, not {title!r}")
    if not isinstance(device, str) or not device:
        raise SpecError("device", f"device must be text such as cpu or cuda:0, not {device!r}")
    return FigureSpec(
        functions=names, params=resolved, range=(low, high), points=points, order=order,
        device=device, dtype=dtype, at=at, compose=compose, jacobian=bool(jacobian),
        title=title, size=size, dpi=dpi,
    )


def output_format(output: str | None, fmt: str | None) -> str:
    """The format named by --format or by the output's extension; png when neither says."""
    suffix = None
    if output:
        name = str(output).rsplit("/", 1)[-1]
        if "." in name.lstrip("."):
            suffix = name.rsplit(".", 1)[1].lower()
    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise SpecError("format", f"unknown format '{fmt}'; supported: {', '.join(FORMATS)}")
        if suffix is not None and suffix != fmt:
            raise SpecError("format", f"'{fmt}' disagrees with the output's extension '.{suffix}'")
        return fmt
    if suffix is None:
        return "png"
    if suffix not in FORMATS:
        raise SpecError("output", f"unknown output format '.{suffix}'; use one of "
                                  f"{', '.join('.' + f for f in FORMATS)}")
    return suffix
