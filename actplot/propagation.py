"""`actplot depth`: signals and gradients through a deep random network, measured (Monte Carlo)
beside the mean-field theory of meanfield.py. torch, no matplotlib.

Every seed's network is one slice of a batched one: weights (seeds, N, N) a layer, drawn from each
seed's own generator, so a seed's network is the same whichever other seeds run beside it. One
pass forward keeps each layer's pre-activations; one backward pass (autograd) of a random linear
read-out gives every layer's gradient at once.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from . import functions, meanfield
from .errors import ComputeError
from .fitting import _deterministic
from .properties import properties
from .spec import DepthSpec

INIT_VARIANCE = {"he": 2.0, "xavier": 1.0, "lecun": 1.0, "torch": 1 / 3}


def weight_variance(spec: DepthSpec, name: str, params: dict) -> float:
    """sigma_w^2: --sigma-w squared, or the --init rule's (gain: 1/E[f(z)^2], as info gives)."""
    if spec.sigma_w is not None:
        return spec.sigma_w ** 2
    if spec.init == "gain":
        record = properties(name, params)
        if not record["moments"] or not record["moments"]["mean_square"] > 0:
            raise ComputeError(f"{name} has no finite E[f(z)^2], so --init gain has no value; "
                               "give --sigma-w")
        return 1 / record["moments"]["mean_square"]
    return INIT_VARIANCE[spec.init]


@dataclass
class Measured:
    q: np.ndarray  # (seeds, L + 1): mean squared pre-activation over units and inputs
    c: np.ndarray  # (seeds, L + 1): the input pair's correlation
    grad: np.ndarray  # (seeds, L + 1): |dl/dh^l| / |dl/dh^L|
    squares: np.ndarray  # (L + 1, samples): h^2 over units, inputs and seeds, for the figure
    overflow: int | None  # the first layer with a non-finite pre-activation, if any


SQUARE_SAMPLES = 4096  # of h^2 per layer kept for the figure's band (spread over every seed)


def simulate(spec: DepthSpec, name: str, params: dict, s_w: float, s_b: float) -> Measured:
    entry = functions.entry(name)
    width, layers, inputs = spec.width, spec.layers, spec.inputs
    dtype = torch.float32 if spec.dtype == "float32" else torch.float64
    seeds = len(spec.seeds)
    with _deterministic():
        generators = [torch.Generator().manual_seed(seed) for seed in spec.seeds]

        def normal(*shape: int) -> torch.Tensor:
            values = torch.empty(seeds, *shape, dtype=dtype)
            for index, generator in enumerate(generators):
                torch.randn(*shape, generator=generator, dtype=dtype, out=values[index])
            return values

        z = normal(inputs + 2, width)
        pair_a, pair_b = z[:, -2], z[:, -1]
        z[:, -1] = spec.c0 * pair_a + math.sqrt(1 - spec.c0 ** 2) * pair_b
        h = (math.sqrt(spec.q0) * z).requires_grad_(True)
        states = [h]
        readout = normal(width) / math.sqrt(width)
        weights_std, bias_std = math.sqrt(s_w / width), math.sqrt(s_b)
        try:
            for _ in range(layers):
                weight = normal(width, width) * weights_std
                bias = normal(1, width) * bias_std
                h = torch.baddbmm(bias, entry.forward(torch.nn.functional, h, params),
                                  weight.transpose(1, 2))
                h.retain_grad()
                states.append(h)
            loss = (h * readout[:, None, :]).sum()
            loss.backward()
        except RuntimeError as error:
            raise ComputeError(f"{name}: the network could not be computed: "
                               f"{str(error).splitlines()[0]}") from None
    with torch.no_grad(), np.errstate(all="ignore"):
        q, c, norms, squares, finite = [], [], [], [], []
        for state in states:  # layer by layer: no stacked copy of every layer
            values = state.detach()
            data = values[:, :inputs].to(torch.float64)
            finite.append(bool(torch.isfinite(values).all()))
            q.append((data ** 2).mean(dim=(1, 2)))
            a, b = values[:, -2].to(torch.float64), values[:, -1].to(torch.float64)
            c.append((a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1)))
            norms.append(state.grad[:, :inputs].to(torch.float64).flatten(1).norm(dim=-1))
            flat = (data ** 2).reshape(-1)
            squares.append(flat[::max(1, flat.numel() // SQUARE_SAMPLES)][:SQUARE_SAMPLES])
        q, c, norms = (torch.stack(v, 1).numpy() for v in (q, c, norms))
        grad = norms / norms[:, -1:]
        squares = torch.stack(squares).numpy()
    overflow = None if all(finite) else finite.index(False)
    return Measured(q=q, c=c, grad=grad, squares=squares, overflow=overflow)


def band(values: np.ndarray) -> dict[str, list]:
    """median, 5th and 95th percentiles over seeds (axis 0), null where not finite."""
    values = np.where(np.isfinite(values), values, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN layer past an overflow
        parts = {"median": np.nanmedian(values, 0), "p05": np.nanpercentile(values, 5, 0),
                 "p95": np.nanpercentile(values, 95, 0)}
    return {k: [float(v) if np.isfinite(v) else None for v in part] for k, part in parts.items()}


@dataclass
class DepthRun:
    function: str
    params: dict[str, Any]
    swept: dict[str, Any]
    s_w: float
    s_b: float
    theory: meanfield.Theory
    measured: Measured | None

    def record(self, spec: DepthSpec) -> dict[str, Any]:
        t, m = self.theory, self.measured
        return {
            "function": self.function, "params": self.params, "init": spec.init_name,
            "sigma_w2": self.s_w, "sigma_b2": self.s_b, "layers": spec.layers,
            "width": spec.width, "inputs": spec.inputs, "seeds": list(spec.seeds),
            "q_theory": t.q, "q": band(m.q), "c_theory": t.c, "c": band(m.c),
            "grad_theory": t.grad, "grad": band(m.grad),
            "q_star": t.q_star, "c_star": t.c_star, "chi1": t.chi1,
            "depth_scale": t.depth_scale, "regime": t.regime,
            "overflow_layer": m.overflow, "diverges_at": t.diverges_at,
        }


def run(spec: DepthSpec) -> list[DepthRun]:
    runs = []
    for name in spec.functions:
        swept = [s.name for s in spec.sweeps.get(name, ())]
        for params in spec.variants(name):
            s_w = weight_variance(spec, name, params)
            s_b = spec.sigma_b ** 2
            theory = meanfield.theory(name, params, s_w, s_b, spec.layers, spec.q0, spec.c0)
            measured = simulate(spec, name, params, s_w, s_b)
            runs.append(DepthRun(name, dict(params), {k: params[k] for k in swept}, s_w, s_b,
                                 theory, measured))
    return runs


@dataclass
class PhaseRun:
    function: str
    params: dict[str, Any]
    s_w: np.ndarray
    s_b: np.ndarray
    chi1: np.ndarray
    critical_line: list[list[float]]
    chosen: tuple[float, float]  # (sigma_w^2, sigma_b^2) of the init asked for

    def record(self) -> dict[str, Any]:
        return {"function": self.function, "params": self.params,
                "sigma_w2": [float(v) for v in self.s_w], "sigma_b2": [float(v) for v in self.s_b],
                "chi1": [[float(v) if np.isfinite(v) else None for v in row] for row in self.chi1],
                "critical_line": self.critical_line}


def phases(spec: DepthSpec) -> list[PhaseRun]:
    runs = []
    s_w = np.linspace(*spec.sigma_w2_range, spec.grid)
    s_b = np.linspace(*spec.sigma_b2_range, spec.grid)
    for name in spec.functions:
        for params in spec.variants(name):
            chi = meanfield.phase(name, params, s_w, s_b, spec.q0)
            chosen = (weight_variance(spec, name, params), spec.sigma_b ** 2)
            runs.append(PhaseRun(name, dict(params), s_w, s_b, chi,
                                 meanfield.critical_line(chi, s_w, s_b), chosen))
    return runs
