"""Issue 3: higher orders, kinks and jumps, --check, the Jacobian, rrelu and composition."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from matplotlib.collections import PathCollection

import actplot
from actplot.registry import REGISTRY, Breakpoint

# Written from the definitions, not read from the registry: (params, kinks, jumps) in [-5, 5].
BREAKPOINTS = {
    "relu": ({}, [0.0], []),
    "leaky_relu": ({}, [0.0], []),
    "prelu": ({}, [0.0], []),
    "rrelu": ({}, [0.0], []),
    "elu": ({"alpha": 0.5}, [0.0], []),
    "selu": ({}, [0.0], []),
    "relu6": ({}, [0.0], []),  # the kink at 6 is outside [-5, 5]
    "hardsigmoid": ({}, [-3.0, 3.0], []),
    "hardswish": ({}, [-3.0, 3.0], []),
    "hardtanh": ({"min_val": -2.0, "max_val": 3.0}, [-2.0, 3.0], []),
    "softshrink": ({"lambd": 1.5}, [-1.5, 1.5], []),
    "hardshrink": ({}, [], [-0.5, 0.5]),
    "threshold": ({}, [], [1.0]),
    "step": ({}, [], [0.0]),
    "sign": ({}, [], [0.0]),
    "srelu": ({}, [-1.0, 1.0], []),
    "absolute": ({}, [0.0], []),
    "hard_elish": ({}, [-1.0, 1.0], []),
}
NO_BREAKPOINTS = {"elu": {"alpha": 1.0}, "leaky_relu": {"negative_slope": 1.0},
                  "threshold": None, "hardshrink": {"lambd": 0.0}}


def _json(invoke, *args):
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["series"]


@pytest.mark.parametrize("name", list(REGISTRY))
def test_kink_and_jump_lists(invoke, name):
    params, kinks, jumps = BREAKPOINTS.get(name, ({}, [], []))
    args = [a for k, v in params.items() for a in ("-p", f"{k}={v}")]
    (series,) = _json(invoke, name, *args, "--points", 50, "--grad")
    assert series["kinks"] == kinks
    assert series["jumps"] == jumps
    assert not set(series["kinks"]) & set(series["jumps"])


def test_smooth_cases_have_no_breakpoints(invoke):
    for name, params in [("elu", {"alpha": 1.0}), ("leaky_relu", {"negative_slope": 1.0}),
                         ("hardshrink", {"lambd": 0.0}), ("softshrink", {"lambd": 0.0})]:
        args = [a for k, v in params.items() for a in ("-p", f"{k}={v}")]
        (series,) = _json(invoke, name, *args, "--points", 20)
        assert series["kinks"] == [] and series["jumps"] == [], name


def test_threshold_at_its_own_value_is_a_kink_not_a_jump(invoke):
    (series,) = _json(invoke, "threshold", "-p", "threshold=2", "-p", "value=2", "--points", 20)
    assert series["kinks"] == [2.0] and series["jumps"] == []


def test_relu6_kinks_follow_the_range(invoke):
    (series,) = _json(invoke, "relu6", "--range", "-1", "10", "--points", 20)
    assert series["kinks"] == [0.0, 6.0]


@pytest.mark.parametrize("points", [2, 10, 101, 1000])
def test_grid_has_points_either_side_of_a_jump(invoke, points):
    (series,) = _json(invoke, "step", "--points", points)
    x, y = np.array(series["x"]), np.array(series["y"])
    left = x[(x < 0) & (x > -1e-3)]
    right = x[(x > 0) & (x < 1e-3)]
    assert left.size and right.size
    assert set(y[np.isin(x, left)]) == {0.0} and set(y[np.isin(x, right)]) == {1.0}


def _lines(ax):
    return [line for line in ax.get_lines() if len(line.get_xdata()) > 2]


def _hollow_points(ax):
    points = set()
    for collection in ax.collections:
        if isinstance(collection, PathCollection) and np.allclose(collection.get_facecolor()[:, :3], 1):
            points |= {tuple(map(float, p)) for p in collection.get_offsets()}
    return points


def test_a_jump_is_never_bridged_and_is_marked():
    figure = actplot.plot("sign", points=101, grad=True)
    forward, derivative = figure.axes[:2]
    (line,) = _lines(forward)
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata(), dtype=float)
    finite = np.isfinite(y)
    steps = np.abs(np.diff(y))[finite[1:] & finite[:-1]]
    assert steps.max() == 0  # both branches flat; any segment across the jump would be 2
    assert np.isnan(y[np.argmin(np.abs(x))])
    assert {(0.0, -1.0), (0.0, 1.0)} <= _hollow_points(forward)
    assert (0.0, 0.0) in _hollow_points(derivative)


def test_derivative_panel_shows_both_one_sided_derivatives():
    figure = actplot.plot("hardswish", grad=True)
    derivative = figure.axes[1]
    assert {(-3.0, 0.0), (-3.0, -0.5), (3.0, 1.5), (3.0, 1.0)} <= _hollow_points(derivative)
    (line,) = _lines(derivative)
    y = np.asarray(line.get_ydata(), dtype=float)
    assert np.isnan(y).sum() == 2  # broken at both kinks
    assert (-3.0, 0.0) in _hollow_points(figure.axes[0])  # the kink itself on f


def test_leaky_relu_kink_on_a_wide_range():
    figure = actplot.plot("leaky_relu", range=(-20, 20), grad=True, points=1000)
    assert {(0.0, 0.1), (0.0, 1.0)} <= _hollow_points(figure.axes[1])


def test_higher_orders_in_json(invoke):
    (series,) = _json(invoke, "tanh", "--at", "0.5,-1", "--order", 3, "--dtype", "float64")
    t = np.tanh(np.array([0.5, -1.0]))
    np.testing.assert_allclose(series["dy"], 1 - t**2, rtol=1e-14)
    np.testing.assert_allclose(series["d2y"], -2 * t * (1 - t**2), rtol=1e-14)
    np.testing.assert_allclose(series["d3y"], (1 - t**2) * (6 * t**2 - 2), rtol=1e-13)
    (first,) = _json(invoke, "tanh", "--at", "0.5", "--grad")
    assert "d2y" not in first and "d3y" not in first


def test_missing_higher_order_is_said_not_drawn(invoke, tmp_path):
    (series,) = _json(invoke, "hardsigmoid", "--at", "0,1", "--order", 2)
    assert series["d2y"] is None  # unavailable, not zeros
    table = invoke("hardsigmoid", "--at", "0,1", "--order", 2).stdout.splitlines()
    assert table[1].split() == ["x", "f(x)", "f'(x)", "f''(x)"]
    assert table[2].split() == ["0.0", "0.5", repr(0.16666667), "n/a"]
    assert invoke("hardsigmoid", "--points", 5, "--order", 2, "-o", tmp_path / "h.csv").exit_code == 0
    first_row = (tmp_path / "h.csv").read_text().splitlines()[1].split(",")
    assert first_row[:3] == ["hardsigmoid", "", "-5.0"] and first_row[-1] == ""
    figure = actplot.plot("hardsigmoid", order=3)
    for ax, word in zip(figure.axes[2:], ("second", "third")):
        assert _lines(ax) == []
        assert any(f"torch has no {word} derivative" in t.get_text() for t in ax.texts)


def test_step_has_a_zero_derivative_and_says_so(invoke):
    (series,) = _json(invoke, "step", "--at", "-2,0.5", "--grad")
    assert series["dy"] == [0.0, 0.0]
    figure = actplot.plot("step", grad=True)
    assert any("no derivative for heaviside" in t.get_text() for t in figure.axes[1].texts)


def test_check_passes_over_the_whole_registry(invoke):
    result = invoke(*REGISTRY, "--check", "--order", 3)
    assert result.exit_code == 0, result.stdout
    body = result.stdout.splitlines()[1:]
    for name in REGISTRY:
        for order in (1, 2, 3):
            assert any(line.split()[:3] == [name, "order", str(order)] for line in body), (name, order)
    assert "kink at x=0: left slope 0.1" in result.stdout
    assert "jump at x=0: right value 1" in result.stdout
    assert "n/a (torch has no second derivative for hardsigmoid)" in result.stdout


def test_check_over_the_registry_with_other_parameters_and_ranges(invoke):
    result = invoke("elu", "celu", "softplus", "hardtanh", "threshold", "-p", "alpha=0.3",
                    "-p", "beta=3", "-p", "min_val=-0.25", "-p", "threshold.threshold=-2",
                    "-p", "value=4",
                    "--range", "-30", "30", "--check", "--order", 2)
    assert result.exit_code == 0, result.stdout


def test_check_fails_on_a_wrong_declared_slope(invoke, monkeypatch):
    wrong = dataclasses.replace(REGISTRY["relu"], breakpoints=lambda p: [Breakpoint(0.0, 0.0, 2.0)])
    monkeypatch.setitem(REGISTRY, "relu", wrong)
    result = invoke("relu", "--check")
    assert result.exit_code == 1
    assert "FAIL" in result.stdout
    assert result.stderr.startswith("Error: check failed for 1 of")


def test_check_fails_on_a_wrong_autograd_formula(invoke, monkeypatch):
    import torch

    class WrongGradient(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.tanh()

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * (1 - x.tanh() ** 2) * 1.001

    broken = dataclasses.replace(REGISTRY["tanh"], forward=lambda F, x, p: WrongGradient.apply(x))
    monkeypatch.setitem(REGISTRY, "tanh", broken)
    result = invoke("tanh", "--check")
    assert result.exit_code == 1
    (row,) = [line.split() for line in result.stdout.splitlines() if "order 1" in line]
    assert row[0] == "tanh" and row[-1] == "FAIL" and float(row[3]) == pytest.approx(1e-3, rel=0.01)


def test_softmax_jacobian_against_closed_form():
    (series,) = actplot.evaluate(["softmax"], range=(-3, 2), points=60, jacobian=True,
                                 dtype="float64", device="cpu")
    y = np.exp(series.x) / np.exp(series.x).sum()
    expected = np.diag(y) - np.outer(y, y)  # y_i (delta_ij - y_j)
    np.testing.assert_allclose(series.jacobian, expected, rtol=1e-12, atol=1e-16)


def test_jacobian_is_drawn_beside_the_curve(invoke, tmp_path):
    figure = actplot.plot(["softmin", "log_softmax"], points=80, grad=True, jacobian=True)
    images = [ax for ax in figure.axes if ax.get_images()]
    assert len(images) == 2
    assert images[0].get_images()[0].get_array().shape == (80, 80)
    out = tmp_path / "j.png"
    assert invoke("softmax", "--jacobian", "--points", 100, "-o", out).exit_code == 0


def test_rrelu_eval_draws_the_mean_slope(invoke):
    (series,) = _json(invoke, "rrelu", "--at", "-2,3", "--grad", "--dtype", "float64")
    mean = (1 / 8 + 1 / 3) / 2
    assert series["y"] == pytest.approx([-2 * mean, 3.0], rel=1e-15)
    assert series["dy"] == pytest.approx([mean, 1.0], rel=1e-15)


def test_rrelu_training_scatter_band_and_seed(invoke, tmp_path):
    (series,) = _json(invoke, "rrelu", "--train", "--seed", 7, "--points", 400, "--grad")
    x, dy = np.array(series["x"]), np.array(series["dy"])
    slopes = dy[x < 0]
    assert np.all((slopes >= 1 / 8 - 1e-7) & (slopes <= 1 / 3 + 1e-7))
    assert slopes.std() > 0.03  # random, not the mean slope
    outputs = []
    for seed, name in [(7, "a.png"), (7, "b.png"), (8, "c.png")]:
        result = invoke("rrelu", "--train", "--seed", seed, "--grad", "-o", tmp_path / name)
        assert result.exit_code == 0
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1] and outputs[0] != outputs[2]
    figure = actplot.plot("rrelu", train=True, seed=7, grad=True)
    assert any("band" in (c.get_label() or "") for c in figure.axes[0].collections)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_compose_follows_the_chain_rule(invoke):
    series = _json(invoke, "sigmoid", "--compose", "1,2,3", "--at", "-2,0,1.5", "--grad",
                   "--dtype", "float64")
    assert [s["compose"] for s in series] == [1, 2, 3]
    assert [(s["kinks"], s["jumps"]) for s in series] == [([], [])] * 3  # sigmoid is smooth
    x = np.array([-2.0, 0.0, 1.5])
    value, slope = x, np.ones_like(x)
    for s in series:
        slope = slope * _sigmoid(value) * (1 - _sigmoid(value))  # f'(g(x)) g'(x)
        value = _sigmoid(value)
        np.testing.assert_allclose(s["y"], value, rtol=1e-15)
        np.testing.assert_allclose(s["dy"], slope, rtol=1e-14)


def test_compose_shows_vanishing_gradients(invoke):
    series = _json(invoke, "sigmoid", "relu", "--compose", "1,8", "--points", 101, "--grad")
    by = {(s["function"], s["compose"]): np.array(s["dy"]) for s in series}
    assert by[("sigmoid", 1)].max() == pytest.approx(0.25, rel=1e-3)
    assert by[("sigmoid", 8)].max() < 1e-4
    assert by[("relu", 8)].max() == 1.0


def test_compose_figure_has_a_curve_per_depth():
    figure = actplot.plot(["tanh"], compose=[1, 2, 4], grad=True)
    for ax in figure.axes:
        labels = [line.get_label() for line in _lines(ax)]
        assert labels == ["K = 1", "K = 2", "K = 4"]
