"""Devices: auto falls back to cpu here; CUDA and MPS tests run where those devices exist."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import actplot
from actplot.registry import REGISTRY

HAS_CUDA = torch.cuda.is_available()
HAS_MPS = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
cuda = pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device here")
mps = pytest.mark.skipif(not HAS_MPS, reason="no MPS device here")


def test_auto_picks_the_best_device(invoke):
    (series,) = json.loads(invoke("relu", "--at", "1", "--json").stdout)["series"]
    assert series["device"] == ("cuda:0" if HAS_CUDA else "mps" if HAS_MPS else "cpu")


@pytest.mark.cuda
@cuda
@pytest.mark.parametrize("name", list(REGISTRY))
def test_cuda_matches_cpu(name):
    options = dict(range=(-6, 6), points=301, order=2, dtype="float64")
    on_cpu = actplot.evaluate(name, device="cpu", **options)
    on_gpu = actplot.evaluate(name, device="cuda", **options)
    assert on_gpu.device.startswith("cuda")
    np.testing.assert_allclose(on_gpu.y, on_cpu.y, rtol=1e-12, atol=1e-14)
    for got, want in zip(on_gpu.derivatives, on_cpu.derivatives):
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.cuda
@cuda
def test_cuda_figure_check_and_rrelu_seed(invoke, tmp_path):
    assert invoke("relu", "--device", "cuda:0", "--grad", "-o", tmp_path / "r.png").exit_code == 0
    assert invoke(*REGISTRY, "--device", "cuda", "--check", "--order", 2).exit_code == 0
    outputs = [json.loads(invoke("rrelu", "--train", "--seed", 5, "--device", "cuda", "--points",
                                 100, "--json").stdout)["series"][0]["y"] for _ in range(2)]
    assert outputs[0] == outputs[1]


@pytest.mark.cuda
@cuda
def test_absent_cuda_index_names_the_devices(invoke):
    result = invoke("relu", "--device", f"cuda:{torch.cuda.device_count()}")
    assert result.exit_code == 2 and "available: auto, cpu, cuda, cuda:0" in result.stderr


@mps
def test_mps_float32_and_no_float64(invoke):
    result = invoke("gelu", "--device", "mps", "--at", "0.5", "--grad", "--json")
    assert result.exit_code == 0
    result = invoke("gelu", "--device", "mps", "--dtype", "float64", "--at", "0.5")
    assert result.exit_code == 2 and "mps has no float64" in result.stderr
