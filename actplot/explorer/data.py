"""What an explore page shows, computed once: for every function and every combination of its
swept parameters' values, f and its derivatives by autograd (quantized to 16 bits of each curve's
own range: 1/65534 of it, far below the 1e-4 of a panel that a reader could see), the kinks and
jumps with their one-sided values, the formula typeset, and actplot info's properties."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from .. import api, functions
from ..curves import _breaks, _values, one_sided_samples
from ..spec import ExploreSpec, Series

NAN_CODE = 65535  # a break in the line: a jump's gap, a pole, outside the domain
LEVELS = 65534
FRAME_MARGIN = 0.02  # of the range, beside a pole or a domain end, left out of a panel's limits
GREEK = {"alpha": "\u03b1", "beta": "\u03b2", "lambda": "\u03bb", "mu": "\u03bc",
         "sigma": "\u03c3", "gamma": "\u03b3"}


def explore_data(spec: ExploreSpec) -> dict[str, Any]:
    """The page's data, as plain JSON-ready values, in the spec's order (so the same request
    gives the same bytes)."""
    from ..gallery import displayed, formula_svg

    formulas: dict[str, int] = {}
    entries = []
    for function in spec.functions:
        entry = functions.entry(function)
        series = api.compute_series(spec.figure_spec(function))
        swept = spec.sweeps.get(function, ())
        variants = []
        for member in series:
            formula = entry.formula_for(member.params)
            formulas.setdefault(formula, len(formulas))
            variants.append({
                "values": [_plain(member.swept.get(s.name, member.params[s.name])) for s in swept],
                "x": _grid(member, spec),
                "curves": [_curve(member, order) for order in range(spec.order + 1)],
                "marks": [_marks(member, order) for order in range(spec.order + 1)],
                "breaks": [[_number(x) for x in sorted(set(_breaks(member, order)))]
                           for order in range(spec.order + 1)],
                "missing": {str(k): v for k, v in sorted(member.missing.items())},
                "formula": formulas[formula],
                "info": _info(function, member.params),
            })
        entries.append({
            "name": function,
            "label": functions.label(function),
            "summary": entry.summary,
            "params": [{"name": s.name, "symbol": _symbol(entry, s.name),
                        "values": [_plain(v) for v in s.values],
                        "start": _start(s.values, entry.defaults().get(s.name)),
                        "choice": not all(isinstance(v, (int, float)) for v in s.values)}
                       for s in swept],
            "fixed": {k: _plain(v) for k, v in sorted(spec.params[function].items())
                      if k not in {s.name for s in swept}},
            "limits": _limits(series, spec),
            "variants": variants,
        })
    return {"title": spec.title or "actplot explore", "order": spec.order,
            "range": [spec.range[0], spec.range[1]], "points": spec.points,
            "formulas": [formula_svg(displayed(f)) for f in formulas],
            "functions": entries}


def _start(values, default) -> int:
    """Where a slider starts: at the parameter's default where it is one of the values."""
    return list(values).index(default) if default in values else 0


def _plain(value):
    return value if isinstance(value, (bool, str, int)) else _number(value)


def _number(value) -> float | None:
    value = float(value)
    return float(f"{value:.9g}") if np.isfinite(value) else None


def _symbol(entry, name: str) -> str:
    """A parameter's symbol as the page's text shows it: \\alpha is α, t_l is t_l."""
    symbol = next((p.symbol for p in entry.params if p.name == name), "") or name
    return GREEK.get(symbol.lstrip("\\"), symbol.replace("\\", ""))


def _grid(member: Series, spec: ExploreSpec) -> str | None:
    """x as float32 bytes, or None where it is the plain linspace the page can make itself."""
    x = np.asarray(member.x, dtype=np.float32)
    plain = np.linspace(spec.range[0], spec.range[1], spec.points).astype(np.float32)
    if x.shape == plain.shape and np.array_equal(x, plain):
        return None
    return base64.b64encode(x.astype("<f4").tobytes()).decode()


def _curve(member: Series, order: int) -> dict | None:
    if order in member.missing:
        return None
    y = np.asarray(_values(member, order), dtype=float)
    finite = np.isfinite(y)
    if not finite.any():
        return {"lo": 0.0, "hi": 0.0, "q": _bytes(np.full(y.shape, NAN_CODE, dtype="<u2"))}
    lo, hi = float(y[finite].min()), float(y[finite].max())
    span = hi - lo
    codes = np.full(y.shape, NAN_CODE, dtype="<u2")
    codes[finite] = np.round((y[finite] - lo) / span * LEVELS) if span > 0 else 0
    return {"lo": lo, "hi": hi, "q": _bytes(codes)}


def _bytes(codes: np.ndarray) -> str:
    return base64.b64encode(codes.astype("<u2").tobytes()).decode()


def _marks(member: Series, order: int) -> list[list]:
    """[x, y, filled] for each marker the figures draw: hollow at kinks and one-sided values,
    filled at a jump's own value; only the side inside the range at an end."""
    low, high = member.x[0], member.x[-1]
    marks = []

    def inside(left, right, x0):
        return [v for v, keep in ((left, x0 > low), (right, x0 < high))
                if keep and v is not None and np.isfinite(v)]

    if order in member.missing:
        return marks
    if order <= 1:
        for b in member.breakpoints:
            at = int(np.argmin(np.abs(member.x - b.x)))
            if order == 0 and b.is_jump:
                marks += [[_number(b.x), _number(v), False] for v in inside(
                    b.left_value, b.right_value, b.x)]
                marks.append([_number(b.x), _number(member.y[at]), True])
            elif order == 0:
                marks.append([_number(b.x), _number(member.y[at]), False])
            else:
                marks += [[_number(b.x), _number(v), False] for v in inside(
                    b.left_slope, b.right_slope, b.x)]
    else:
        values = _values(member, order)
        for x0 in sorted(set(_breaks(member, order))):
            marks += [[_number(x0), _number(v), False]
                      for v in inside(*one_sided_samples(member.x, values, x0), x0)]
    return marks


def _limits(series: list[Series], spec: ExploreSpec) -> list[list[float] | None]:
    """Each order's y limits over every variant, the same whatever the sliders say (so the
    motion is honest), framed as the figures frame them: beside a pole or a domain end the curve
    may leave the panel."""
    limits = []
    span = spec.range[1] - spec.range[0]
    for order in range(spec.order + 1):
        kept = []
        for member in series:
            if order in member.missing:
                continue
            values = np.asarray(_values(member, order), dtype=float)
            near = np.zeros(values.shape, dtype=bool)
            ends = [e for e in functions.entry(member.function).domain(member.params)
                    if spec.range[0] < e < spec.range[1]]
            for x0 in [*member.poles, *ends]:
                near |= np.abs(member.x - x0) <= FRAME_MARGIN * span
            kept.append(values[np.isfinite(values) & ~near])
        values = np.concatenate(kept) if kept else np.array([])
        if not values.size:
            limits.append(None)
            continue
        low, high = float(values.min()), float(values.max())
        pad = 0.05 * (high - low) or max(1.0, abs(low) * 0.1)
        limits.append([_number(low - pad), _number(high + pad)])
    return limits


def _info(function: str, params: dict) -> list[list[str]]:
    from ..output import describe, finite_values
    from ..properties import properties

    try:
        return [list(row) for row in describe(finite_values(properties(function, dict(params))))]
    except Exception as error:  # noqa: BLE001  (a page still shows the curves)
        return [["note", f"properties could not be computed: {error}"]]
