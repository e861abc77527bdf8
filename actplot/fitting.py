"""`actplot fit`: see how an activation bends straight lines into a curve (seed 002).

A 1 -> H -> 1 network per function (and sweep value) and seed, all trained at once as one batched
network: weights are (runs, H) tensors and each run's loss is its own mean squared error, so the
sum that is differentiated gives each run exactly its own gradient, and Adam and SGD, which act
element by element, train each run as if alone. torch, no matplotlib.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .compute import TORCH_DTYPES, resolve_device
from .errors import ComputeError, SpecError
from .expressions import parse, torch_ops
from . import functions
from .spec import FitSpec

PLOT_POINTS = 400  # samples of the fitted curve and of each unit's contribution


@dataclass
class FitRun:
    """One trained network: its loss history, final state and the curves that a figure draws."""

    function: str
    params: dict[str, Any]
    swept: dict[str, Any]
    seed: int
    loss: np.ndarray  # the training loss before each step
    final_loss: float
    r2: float
    dead_units: int
    weights: dict[str, np.ndarray]  # w1, b1, w2 of shape (H,), b2 a 1-element array
    plot_x: np.ndarray = field(default=None)
    target: np.ndarray = field(default=None)
    output: np.ndarray = field(default=None)
    units: np.ndarray = field(default=None)  # (H, PLOT_POINTS): w2_i f(w1_i x + b1_i)
    unit_kinks: list = field(default_factory=list)  # per unit, x of the activation's kinks
    frames: list = field(default_factory=list)  # a FitFrame per animation frame

    def record(self) -> dict[str, Any]:
        """The run as `--json` gives it."""
        return {"function": self.function, "params": self.params, "seed": self.seed,
                "final_loss": self.final_loss, "r2": self.r2, "dead_units": self.dead_units,
                "loss": [float(v) for v in self.loss],
                "weights": {k: [float(x) for x in v] for k, v in self.weights.items()}}


@dataclass
class FitFrame:
    """The network at one step of training, as an animation frame draws it: the numbers are that
    step's, not the final ones."""

    step: int
    loss: float  # the training loss at these weights (before this step's update)
    r2: float
    dead_units: int
    weights: dict[str, np.ndarray]  # w1, b1, w2 of shape (H,), b2 a 1-element array
    output: np.ndarray  # the network on plot_x
    units: np.ndarray  # (H, PLOT_POINTS): w2_i f(w1_i x + b1_i)
    unit_kinks: list  # per unit, x of the activation's kinks

    @property
    def bias(self) -> float:
        return float(self.weights["b2"][0])


@contextlib.contextmanager
def _deterministic():
    """One thread: reductions then sum in one order on every machine, so the same seed gives the
    same bytes whatever the core count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def initial_weights(seed: int, hidden: int) -> dict[str, torch.Tensor]:
    """nn.Linear's default initialisation for 1 -> hidden -> 1, from the seed alone, so that runs
    of different activations with one seed start from the same network."""
    generator = torch.Generator().manual_seed(seed)

    def uniform(count: int, bound: float) -> torch.Tensor:
        return (torch.rand(count, generator=generator, dtype=torch.float64) * 2 - 1) * bound

    bound = 1 / math.sqrt(hidden)
    return {"w1": uniform(hidden, 1.0), "b1": uniform(hidden, 1.0), "w2": uniform(hidden, bound),
            "b2": uniform(1, bound)}


def _activate(groups, pre: torch.Tensor) -> torch.Tensor:
    """Each group's activation on its runs' slice of the pre-activations (runs, points, H)."""
    return torch.cat([functions.entry(name).forward(F, pre[start:stop], params)
                      for name, params, start, stop in groups])


def network(groups, weights: dict[str, torch.Tensor], x: torch.Tensor):
    """(output (runs, points), unit contributions (runs, points, H), pre-activations)."""
    pre = x[None, :, None] * weights["w1"][:, None, :] + weights["b1"][:, None, :]
    units = _activate(groups, pre) * weights["w2"][:, None, :]
    return units.sum(-1) + weights["b2"][:, None], units, pre


def dead_units(groups, pre: torch.Tensor) -> torch.Tensor:
    """Per run, the units whose activation has zero gradient on every training point."""
    pre = pre.detach().requires_grad_(True)
    (slope,) = torch.autograd.grad(_activate(groups, pre).sum(), pre, allow_unused=True)
    if slope is None:
        return torch.full(pre.shape[:1], pre.shape[-1])
    return (slope == 0).all(dim=1).sum(dim=-1)


def train(spec: FitSpec) -> list[FitRun]:
    """Train every run; the runs come function by function (and sweep value), seed by seed."""
    device = resolve_device(spec.device)
    dtype = TORCH_DTYPES[spec.dtype]
    variants = [(name, params) for name in spec.functions for params in spec.variants(name)]
    per = len(spec.seeds)
    groups = [(name, params, i * per, (i + 1) * per) for i, (name, params) in enumerate(variants)]
    low, high = spec.range
    with _deterministic():
        x = torch.linspace(low, high, spec.points, dtype=torch.float64).to(dtype).to(device)
        try:
            target = parse(spec.target)(x, torch_ops())
        except (RuntimeError, TypeError) as error:
            raise ComputeError(f"the target {spec.target!r} cannot be computed: {error}") from None
        if not torch.isfinite(target).all():
            bad = float(x[~torch.isfinite(target)][0])
            raise SpecError("target", f"{spec.target!r} is not finite at x = {bad:g}, inside "
                                      f"[{low:g}, {high:g}]; choose another range or target")
        starts = [initial_weights(seed, spec.hidden) for seed in spec.seeds]
        # one leaf tensor (runs, 3H + 1) and views of it: the optimizer then updates one tensor
        # a step instead of four, which is most of its per-step cost
        theta = torch.cat([torch.cat([s["w1"], s["b1"], s["w2"], s["b2"]]) for s in starts]
                          * len(variants)).reshape(len(groups) * per, -1)
        # a copy, always: in float64 .to() would return the reshaped cat itself, a view, and
        # Adam's in-place steps on a view left every float64 run stuck after its first step
        theta = theta.to(device=device, dtype=dtype, copy=True).requires_grad_(True)
        weights = _views(theta, spec.hidden)
        optimizer = (torch.optim.Adam if spec.optimizer == "adam" else torch.optim.SGD)(
            [theta], lr=spec.lr)
        history = torch.empty(spec.steps, len(groups) * per, dtype=dtype, device=device)
        frame_steps = _frame_steps(spec.steps, spec.frames)
        snapshots = {}
        try:
            for step in range(spec.steps + 1):
                if step in frame_steps:
                    snapshots[step] = _views(theta.detach().clone(), spec.hidden)
                if step == spec.steps:
                    break
                output, _, _ = network(groups, weights, x)
                losses = ((output - target) ** 2).mean(dim=1)
                optimizer.zero_grad(set_to_none=True)
                losses.sum().backward()
                optimizer.step()
                history[step] = losses.detach()
            final, r2, dead = _scores(groups, weights, x, target)
            scores = {step: _scores(groups, state, x, target) for step, state in snapshots.items()}
        except RuntimeError as error:
            raise ComputeError(f"training failed on {device}: {str(error).splitlines()[0]}") \
                from None
        return _runs(spec, variants, groups, weights, history, final, r2, dead, snapshots, scores,
                     device, dtype)


def _scores(groups, weights, x: torch.Tensor, target: torch.Tensor):
    """Per run: the mean squared error, R² and dead units of the network with these weights."""
    with torch.no_grad():
        output, _, pre = network(groups, weights, x)
        loss = ((output - target) ** 2).mean(dim=1)
        total = ((target - target.mean()) ** 2).sum()
        r2 = 1 - ((output - target) ** 2).sum(dim=1) / total
    return loss, r2, dead_units(groups, pre)


def _views(theta: torch.Tensor, hidden: int) -> dict[str, torch.Tensor]:
    return {"w1": theta[:, :hidden], "b1": theta[:, hidden:2 * hidden],
            "w2": theta[:, 2 * hidden:3 * hidden], "b2": theta[:, 3 * hidden]}


def _frame_steps(steps: int, frames: int) -> set[int]:
    return {round(steps * k / (frames - 1)) for k in range(frames)}


def _unit_kinks(name: str, params: dict, w1: np.ndarray, b1: np.ndarray,
                low: float, high: float) -> list[list[float]]:
    """Per unit, the x in [low, high] where w1 x + b1 meets one of the activation's breakpoints."""
    breakpoints = functions.entry(name).breakpoints(params)
    return [[float(x0) for b in breakpoints if w != 0 for x0 in [(b.x - c) / w]
             if low <= x0 <= high] for w, c in zip(w1, b1)]


def _runs(spec, variants, groups, weights, history, final, r2, dead, snapshots, scores, device,
          dtype):
    low, high = spec.range
    plot_x = torch.linspace(low, high, PLOT_POINTS, dtype=torch.float64).to(dtype).to(device)
    with torch.no_grad():
        target = parse(spec.target)(plot_x, torch_ops())
        output, units, _ = network(groups, weights, plot_x)
        frames = {step: network(groups, state, plot_x)[:2] for step, state in snapshots.items()}
    def to_numpy(tensor: torch.Tensor) -> np.ndarray:
        return tensor.detach().to("cpu", torch.float64).numpy()

    numpy = {k: to_numpy(v) for k, v in weights.items()}
    states = {step: {k: to_numpy(v) for k, v in state.items()}
              for step, state in sorted(snapshots.items())}
    runs = []
    for index in range(len(variants) * len(spec.seeds)):
        name, params = variants[index // len(spec.seeds)]
        swept = {s.name: params[s.name] for s in spec.sweeps.get(name, ())}
        w1, b1 = numpy["w1"][index], numpy["b1"][index]
        kinks = _unit_kinks(name, params, w1, b1, low, high)
        runs.append(FitRun(
            function=name, params=dict(params), swept=swept,
            seed=spec.seeds[index % len(spec.seeds)],
            loss=history[:, index].to("cpu", torch.float64).numpy(),
            final_loss=float(final[index]), r2=float(r2[index]), dead_units=int(dead[index]),
            weights={"w1": w1, "b1": b1, "w2": numpy["w2"][index],
                     "b2": numpy["b2"][index:index + 1]},
            plot_x=to_numpy(plot_x), target=to_numpy(target), output=to_numpy(output[index]),
            units=to_numpy(units[index].T), unit_kinks=kinks,
            frames=[FitFrame(step=step, loss=float(scores[step][0][index]),
                             r2=float(scores[step][1][index]),
                             dead_units=int(scores[step][2][index]),
                             weights={k: v[index:index + 1] if k == "b2" else v[index]
                                      for k, v in state.items()},
                             output=to_numpy(frames[step][0][index]),
                             units=to_numpy(frames[step][1][index].T),
                             unit_kinks=_unit_kinks(name, params, state["w1"][index],
                                                    state["b1"][index], low, high))
                    for step, state in states.items()],
        ))
    return runs
