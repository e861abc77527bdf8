"""Comparison: parameter sweeps (-p NAME=V1,V2 and START:STOP:COUNT, lists in specs and the API)
and the overlay and combined layouts, through the CLI, batch specs and the API."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

import actplot
from actplot.errors import SpecError

from .closed_forms import X, piecewise
from .test_honest_figures import _curves, _true, assert_line_follows


def _series(invoke, *args):
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["series"]


def test_a_list_sweep_is_a_series_per_value_in_order(invoke):
    series = _series(invoke, "leaky_relu", "-p", "negative_slope=0,0.1,1", "--at", "-2", "--grad")
    assert [s["params"] for s in series] == [{"negative_slope": v} for v in (0.0, 0.1, 1.0)]
    assert [s["y"][0] for s in series] == [0.0, -0.2, -2.0]
    assert [s["dy"][0] for s in series] == [0.0, 0.1, 1.0]


def test_a_range_sweep_is_evenly_spaced(invoke):
    series = _series(invoke, "elu", "-p", "alpha=0.5:2:4", "--at", "-1")
    alphas = [s["params"]["alpha"] for s in series]
    assert alphas == [0.5, 1.0, 1.5, 2.0]
    np.testing.assert_allclose([s["y"][0] for s in series],
                               [a * (np.exp(-1) - 1) for a in alphas], rtol=1e-6)


def test_two_sweeps_make_their_product_per_function(invoke):
    series = _series(invoke, "hardtanh", "relu", "-p", "min_val=-2,-1", "-p", "max_val=1,2,3",
                     "--at", "0")
    assert [s["function"] for s in series] == ["hardtanh"] * 6 + ["relu"]
    assert [(s["params"]["min_val"], s["params"]["max_val"]) for s in series[:6]] == [
        (-2.0, 1.0), (-2.0, 2.0), (-2.0, 3.0), (-1.0, 1.0), (-1.0, 2.0), (-1.0, 3.0)]


def test_sweeps_in_csv_name_each_curve(invoke, tmp_path):
    assert invoke("elu", "-p", "alpha=1,2", "--points", 3, "-o", tmp_path / "e.csv").exit_code == 0
    lines = (tmp_path / "e.csv").read_text().splitlines()
    assert lines[0] == "function,compose,params,x,y"
    assert {line.split(",")[2] for line in lines[1:]} == {"alpha=1.0", "alpha=2.0"}


def test_sweeps_in_a_batch_spec_and_the_api(invoke, tmp_path):
    spec = tmp_path / "figures.toml"
    spec.write_text('[[figure]]\nfunctions = ["leaky_relu"]\nparams = { negative_slope = [0, 0.1, 1] }'
                    '\ngrad = true\nlayout = "combined"\noutput = "seed003.json"\n')
    assert invoke("batch", spec, "-q").exit_code == 0
    from_spec = json.loads((tmp_path / "seed003.json").read_text())["series"]
    from_api = actplot.evaluate("leaky_relu", params={"negative_slope": [0, 0.1, 1]}, grad=True)
    assert [s["params"] for s in from_spec] == [s.params for s in from_api]
    for record, series in zip(from_spec, from_api):
        np.testing.assert_array_equal(np.asarray(record["y"], dtype=np.float32),
                                      series.y.astype(np.float32))


@pytest.mark.parametrize("args, fragment", [
    (["elu", "-p", "alpha=1", "-p", "alpha=2"], "elu.alpha is given twice; to draw several values, "
                                                "sweep it: -p alpha=V1,V2,V3"),
    (["elu", "celu", "-p", "alpha=1", "-p", "celu.alpha=2"], "celu.alpha is given twice"),
    (["elu", "-p", "alpha=0:1"], "a range sweep is START:STOP:COUNT"),
    (["elu", "-p", "alpha=0:1:x"], "a range sweep is START:STOP:COUNT"),
    (["elu", "-p", "alpha=0:1:100"], "makes 100 curves; at most 64"),
    (["elu", "-p", "alpha=0:1:100000"], "COUNT must be from 2 to 10000"),
    (["elu", "-p", "alpha=1,,2"], "no empty value"),
    (["elu", "-p", "alpha=1,x"], "elu.alpha: 'x' is not a finite number"),
    (["gelu", "-p", "approximate=none,fast"], "'fast' is not one of none, tanh"),
    (["hardtanh", "-p", "min_val=0:1:9", "-p", "max_val=2:3:8"], "makes 72 curves; at most 64"),
    (["hardtanh", "-p", "min_val=0,2"], "min_val (2) must be less than max_val (1)"),
    (["relu", "--layout", "grid"], "'grid' is not one of"),
    (["softmax", "--jacobian", "--layout", "overlay"], "needs the rows layout, not overlay"),
    (["relu", "--compose", "1,2", "--layout", "combined"], "needs the rows layout"),
    (["elu", "-p", "alpha=1,2", "--compose", "1,2"], "cannot be combined with a parameter sweep"),
], ids=["twice", "twice-targeted", "range-two-parts", "range-count-text", "range-count-large",
        "range-count-huge",
        "empty-value", "bad-value", "bad-choice", "too-many-curves", "relation", "layout",
        "jacobian-overlay", "compose-combined", "compose-sweep"])
def test_bad_sweeps_and_layouts_are_one_line_usage_errors(invoke, args, fragment):
    result = invoke(*args, "--json")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and fragment in result.stderr


def test_api_sweep_errors():
    with pytest.raises(SpecError) as caught:
        actplot.evaluate("elu", params={"alpha": []})
    assert caught.value.field == "params"
    with pytest.raises(SpecError) as caught:
        actplot.plot("elu", layout="grid")
    assert caught.value.field == "layout"


def _styles(ax) -> set:
    return {(line.get_color(), str(line.get_linestyle()), str(line._dash_pattern))
            for line in _curves(ax)}


def test_overlay_shares_a_panel_per_order_with_a_curve_per_function():
    names = ["relu", "leaky_relu", "elu", "gelu"]
    figure = actplot.plot(names, grad=True, layout="overlay", points=300, dtype="float64")
    assert len(figure.axes) == 2
    truths = {"relu": piecewise(0, X), "leaky_relu": piecewise(X / 10, X),
              "elu": piecewise(sp.exp(X) - 1, X),
              "gelu": X * (1 + sp.erf(X / sp.sqrt(2))) / 2}
    for order, ax in enumerate(figure.axes):
        curves = _curves(ax)
        assert [c.get_label() for c in curves] == names
        assert len(_styles(ax)) == 4  # colour and dashes differ: grey-scale prints still tell
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend == names
        for line, name in zip(curves, names):
            expr = sp.diff(truths[name], X, order) if order else truths[name]
            assert_line_follows(line, _true(expr), f"overlay {name} order {order}")
    hollow = {tuple(map(float, p)) for c in figure.axes[1].collections for p in c.get_offsets()}
    assert {(0.0, 0.0), (0.0, 1.0), (0.0, 0.1)} <= hollow  # kinks keep their markers


def test_combined_puts_f_and_its_derivatives_on_one_panel():
    figure = actplot.plot(["tanh", "relu"], order=2, layout="combined", points=300,
                          dtype="float64")
    assert len(figure.axes) == 2
    tanh = figure.axes[0]
    assert [c.get_label() for c in _curves(tanh)] == ["f(x)", "f\u2032(x)", "f\u2033(x)"]
    for order, line in enumerate(_curves(tanh)):
        assert_line_follows(line, _true(sp.diff(sp.tanh(X), X, order)), f"tanh order {order}")


def test_seed_003_figure():
    """leaky relu for alpha = 0, 0.1 and 1, f and f' on the same axes (seed 003)."""
    figure = actplot.plot("leaky_relu", params={"negative_slope": [0, 0.1, 1]}, grad=True,
                          layout="combined", points=300, dtype="float64")
    (ax,) = figure.axes
    curves = _curves(ax)
    assert len(curves) == 6  # three values, f and f' each
    for index, alpha in enumerate((0, sp.Rational(1, 10), 1)):
        f = piecewise(alpha * X, X)
        value, slope = curves[index], curves[3 + index]
        assert value.get_color() == slope.get_color()
        assert str(value.get_linestyle()) != str(slope.get_linestyle())
        assert_line_follows(value, _true(f), f"alpha={alpha} f")
        assert_line_follows(slope, _true(sp.diff(f, X)), f"alpha={alpha} f'")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:3] == ["$\\alpha$ = 0", "$\\alpha$ = 0.1", "$\\alpha$ = 1"]
    assert {"f(x)", "f\u2032(x)"} <= set(legend)


def test_six_values_and_more_get_a_colour_bar_not_a_legend():
    figure = actplot.plot("elu", params={"alpha": [0.25 * k for k in range(1, 9)]}, grad=True)
    bars = [ax for ax in figure.axes if ax.get_ylabel() == "$\\alpha$"]
    assert len(bars) == 1
    for ax in figure.axes[:2]:  # the markers' legend may stay; no entry per value
        legend = ax.get_legend()
        assert legend is None or not any("alpha" in t.get_text() for t in legend.get_texts())
    colours = [line.get_color() for line in _curves(figure.axes[0])]
    assert len({tuple(c) for c in colours}) == 8


def test_layouts_through_the_cli_and_a_spec(invoke, tmp_path):
    for layout in ("overlay", "combined"):
        result = invoke("relu", "elu", "--grad", "--layout", layout, "-o", tmp_path / f"{layout}.png")
        assert result.exit_code == 0, result.stderr
    spec = tmp_path / "figures.toml"
    spec.write_text('[[figure]]\nfunctions = ["relu", "elu"]\ngrad = true\nlayout = "overlay"\n'
                    'output = "spec.png"\n')
    assert invoke("batch", spec, "-q").exit_code == 0
    assert (tmp_path / "spec.png").read_bytes() == (tmp_path / "overlay.png").read_bytes()
    assert len(actplot.plot(["relu", "elu"], grad=True, layout="overlay").axes) == 2
