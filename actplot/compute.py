"""torch: devices, dtypes, sampling, forward passes and derivatives by autograd. No matplotlib."""

from __future__ import annotations

import contextlib
import math
from typing import Callable

import numpy as np
import torch

from .composition import composed_breakpoints
from .detection import poles_of
from .onesided import apply_depth
from .errors import ComputeError, SpecError
from . import functions
from .registry import Activation
from .spec import FigureSpec, Series

TORCH_DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
}
# Rows of the batched Jacobian computed at once for vector functions: bounds memory to
# CHUNK * points values per order.
CHUNK = 256
# Points differentiated at once for element-wise functions: the autograd graph of a deep
# composition at order 3 holds many tensors of this length, so memory stays bounded at any --points.
ELEMENTWISE_CHUNK = 65536


def available_devices() -> list[str]:
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        devices.append("mps")
    return devices


def resolve_device(name: str) -> torch.device:
    """auto picks cuda, then mps, then cpu. A device that is not there is a SpecError."""
    if name == "auto":
        available = available_devices()
        name = next((d for d in ("cuda", "mps") if d in available), "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise SpecError("device", f"'{name}' is not a device; use auto, cpu, cuda, cuda:N or mps") from None
    if device.type not in ("cpu", "cuda", "mps"):
        raise SpecError("device", f"'{name}' is not supported; use auto, cpu, cuda, cuda:N or mps")
    if str(device) not in available_devices():
        raise SpecError("device", f"'{name}' is not available here; available: "
                                  f"{', '.join(['auto', *available_devices()])}")
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())  # report cuda:0, not cuda
    return device


def _check_dtype(device: torch.device, dtype: str) -> torch.dtype:
    if device.type == "mps" and dtype == "float64":
        raise SpecError("dtype", "mps has no float64; use --dtype float32 or --device cpu")
    return TORCH_DTYPES[dtype]


def _nudge(dtype: torch.dtype, x0: float, span: float) -> float:
    """A step that separates x0 from its neighbours after rounding to dtype."""
    eps = torch.finfo(dtype).eps
    return max(span * 1e-6, 8 * eps * max(abs(x0), 1.0))


def sample_grid(low: float, high: float, points: int, breaks: list[float], dtype: torch.dtype):
    """linspace(low, high, points) plus each break in the range and a point just either side of
    it within the range, so that a step looks like a step at any --points and a kink at an end is
    approached from inside. Sorted, unique after rounding to dtype."""
    grid = np.linspace(low, high, points)
    extra = []
    for x0 in breaks:
        if low <= x0 <= high:
            d = _nudge(dtype, x0, high - low)
            extra += [x0, max(low, x0 - d), min(high, x0 + d)]
    values = torch.tensor(np.concatenate([grid, extra]), dtype=torch.float64).to(dtype)
    return torch.unique(values)  # sorted


DOMAIN_RATIO = 2 ** 0.125  # samples approaching an end of the domain, each this much closer,
DOMAIN_STEPS = 72  # from 8 grid steps away down to 1/64 of a step


def _approach(points: torch.Tensor, targets: list[tuple[float, float]], low: float, high: float,
              count: int) -> torch.Tensor:
    """Samples that close in on each (x, direction) geometrically, from 8 grid steps away down to
    1/64 of one: where f stops inside the range (soft_exponential with alpha < 0: direction +1,
    from the right) or has a pole (both directions), a curve rising to it is drawn along it
    rather than cut by chords. Direction 0 samples the point itself (a pole, where f is infinite:
    NaN, a break in the line)."""
    step = (high - low) / max(count - 1, 1)
    extra = []
    for end, inward in targets:
        if low < end < high:
            extra += [end] if inward == 0 else [end + inward * 8 * step / DOMAIN_RATIO ** k
                                                for k in range(DOMAIN_STEPS + 1)]
    extra = [v for v in extra if low <= v <= high]
    if not extra:
        return points
    return torch.unique(torch.cat([points, torch.tensor(extra, dtype=torch.float64).to(points.dtype)]))


@contextlib.contextmanager
def _seeded(entry: Activation, params: dict, device: torch.device):
    if not entry.seeded:
        yield
        return
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices, device_type=device.type if devices else "cuda"):
        torch.manual_seed(params["seed"])
        yield


def _nth(order: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(order, f"order-{order}")


def _is_missing_formula(error: Exception) -> bool:
    return "not implemented" in str(error)


def iterated_derivatives(current: torch.Tensor, wrt: torch.Tensor, order: int, name: str):
    """d^k current_i / d wrt_i^k for k = 1..order, where current_i depends on wrt_i alone.

    Then the grad of the sum is exactly the diagonal, and a scalar output also spares torch an
    import of sympy (0.3 s) that explicit grad_outputs trigger. A derivative that no longer depends
    on wrt (a constant) has zero derivatives after it; one that torch has no formula for is None,
    with the reason in `missing`."""
    derivatives: list[torch.Tensor | None] = []
    missing: dict[int, str] = {}
    for k in range(1, order + 1):
        if not current.requires_grad:
            current = torch.zeros_like(wrt)
        else:
            try:
                (grad,) = torch.autograd.grad(current.sum(), wrt, create_graph=k < order,
                                              allow_unused=True)
            except RuntimeError as error:
                if not _is_missing_formula(error):
                    raise
                missing.update({j: f"torch has no {_nth(j)} derivative\nfor {name}"
                                for j in range(k, order + 1)})
                derivatives += [None] * (order - k + 1)
                break
            current = torch.zeros_like(wrt) if grad is None else grad
        derivatives.append(current.detach())
    return derivatives, missing


def diagonal_derivatives(fn: Callable, rows: torch.Tensor, index: torch.Tensor, order: int, name: str):
    """d^k y_i / dx_i^k of a function of a whole vector, by autograd, for each (row, i) pair.

    A scalar leaf t_b is added to rows[b, index[b]]; z_b = fn(rows[b])[index[b]] then depends on t_b
    alone, so iterated grads with respect to t give the diagonal terms exactly (never
    y.sum().backward() on x: the sum of softmax is constant, so that gradient is zero)."""
    batch = torch.arange(len(index), device=rows.device)
    t = torch.zeros(len(index), dtype=rows.dtype, device=rows.device, requires_grad=True)
    shifted = rows.detach().clone()
    shifted[batch, index] += t
    return iterated_derivatives(fn(shifted)[batch, index], t, order, name)


def _vector_derivatives(fn: Callable, x: torch.Tensor, order: int, name: str):
    """The Jacobian diagonal and its higher analogues for every i, CHUNK rows at a time."""
    n = x.numel()
    parts, missing = [], {}
    for start in range(0, n, CHUNK):
        index = torch.arange(start, min(n, start + CHUNK), device=x.device)
        derivatives, missing = diagonal_derivatives(fn, x.detach().expand(len(index), n), index,
                                                    order, name)
        parts.append(derivatives)
    merged = [None if parts[0][k] is None else torch.cat([p[k] for p in parts]) for k in range(order)]
    return merged, missing


def jacobian(fn: Callable, x: torch.Tensor) -> torch.Tensor:
    """The full Jacobian dy_i/dx_j, rows by batched vector-Jacobian products."""
    x = x.detach().requires_grad_(True)
    y = fn(x)
    eye = torch.eye(x.numel(), dtype=x.dtype, device=x.device)
    (rows,) = torch.autograd.grad(y, x, eye, is_grads_batched=True)
    return rows


def to_numpy(tensor: torch.Tensor | None) -> np.ndarray | None:
    if tensor is None:
        return None
    return tensor.detach().to("cpu", torch.float64).numpy(force=True)  # abs's f'' is a ZeroTensor


def differentiate(entry: Activation, params: dict, x: torch.Tensor, order: int, depth: int = 1):
    """y = f^depth(x) and its first `order` derivatives (the Jacobian diagonal for vector functions).

    Element-wise functions are taken ELEMENTWISE_CHUNK points at a time (each point's derivative
    depends on that point alone); seeded ones in one pass, so their random draws do not depend on
    the chunking."""
    if not entry.vector and not entry.seeded and order > 0 and x.numel() > ELEMENTWISE_CHUNK:
        parts = [differentiate(entry, params, chunk, order, depth)
                 for chunk in x.split(ELEMENTWISE_CHUNK)]
        ys, derivative_lists, missing = zip(*parts)
        derivatives = [None if derivative_lists[0][k] is None
                       else torch.cat([d[k] for d in derivative_lists]) for k in range(order)]
        return torch.cat(ys), derivatives, missing[0]
    fn = lambda v: apply_depth(entry, params, v, depth)  # noqa: E731
    x = x.detach().requires_grad_(True)
    y = fn(x)
    if order == 0:
        return _undefined_as_nan(y.detach()), [], {}
    if entry.vector:
        derivatives, missing = _vector_derivatives(fn, x, order, entry.name)
    else:
        derivatives, missing = iterated_derivatives(y, x, order, entry.name)
    y = y.detach()
    undefined = ~torch.isfinite(y)
    if bool(undefined.any()):  # outside the domain autograd's formulas still give numbers
        derivatives = [None if d is None else d.masked_fill(undefined, math.nan)
                       for d in derivatives]
    return _undefined_as_nan(y), derivatives, missing


def _undefined_as_nan(y: torch.Tensor) -> torch.Tensor:
    """Where f is undefined (log of 0 or less at soft_exponential's domain end, 1/x at 0) it is
    NaN, so that the curve stops there and JSON says null."""
    return y.masked_fill(~torch.isfinite(y), math.nan)


def evaluate(spec: FigureSpec) -> list[Series]:
    """Every function of the spec, each sweep combination and each compose depth, on the spec's
    device and dtype, in that order.

    Breakpoints count within the closed range: one at an end is marked and approached from inside.
    A composed series carries the breakpoints of the composition (see composition.py)."""
    device = resolve_device(spec.device)
    dtype = _check_dtype(device, spec.dtype)
    series = []
    for name in spec.functions:
        swept = [sweep.name for sweep in spec.sweeps.get(name, ())]
        for params in spec.variants(name):
            for item in _evaluate_one(spec, functions.entry(name), params, device, dtype):
                item.swept = {key: params[key] for key in swept}
                series.append(item)
    return series


def _evaluate_one(spec: FigureSpec, entry: Activation, params: dict, device: torch.device,
                  dtype: torch.dtype) -> list[Series]:
    low, high = spec.range
    depths = list(spec.compose or (1,))
    poles: list[float] = []
    if spec.at is None:
        with _seeded(entry, params, torch.device("cpu")):
            breaks = composed_breakpoints(entry, params, depths, low, high)
            if 1 in depths:
                poles = poles_of(entry, params, low, high)
    series = []
    for depth in spec.compose or (None,):
        if spec.at is not None:
            points = torch.tensor(spec.at, dtype=torch.float64).to(dtype)
            inside, smooth_breaks = [], []
        else:
            inside, smooth_breaks = breaks[depth or 1]
            points = sample_grid(low, high, spec.points, [b.x for b in inside] + smooth_breaks,
                                 dtype)
            if depth in (None, 1):
                domain_low, domain_high = entry.domain(params)
                targets = [(domain_low, 1.0), (domain_high, -1.0)]
                targets += [(pole, side) for pole in poles for side in (-1.0, 0.0, 1.0)]
                points = _approach(points, targets, low, high, spec.points)
        x = points.to(device)
        try:
            with _seeded(entry, params, device):
                y, derivatives, missing = differentiate(entry, params, x, spec.order, depth or 1)
                matrix = (jacobian(lambda v: apply_depth(entry, params, v, 1), x)
                          if spec.jacobian else None)
        except (RuntimeError, NotImplementedError) as error:
            raise ComputeError(f"{entry.name}: torch cannot compute this in {spec.dtype} on "
                               f"{device}: {str(error).splitlines()[0]}") from None
        series.append(Series(
            function=entry.name, params=dict(params), device=str(device), dtype=spec.dtype,
            x=to_numpy(x), y=to_numpy(y), derivatives=[to_numpy(d) for d in derivatives],
            missing=missing,
            kinks=sorted(b.x for b in inside if not b.is_jump),
            jumps=sorted(b.x for b in inside if b.is_jump),
            breakpoints=inside, smooth_breaks=smooth_breaks, compose=depth,
            poles=poles if depth in (None, 1) else [], jacobian=to_numpy(matrix),
        ))
    return series
