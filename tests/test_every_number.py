"""Issue 16's marks and lines: jumps of f'' and f''' are marked like those of f' in every
layout; poles of the user's functions are found, break the line, are listed and named; a symlog
axis draws the smallest values; a sweep's title shows each value's branch. Truths: the closed
forms (elu'' is alpha e^x left of 0 and 0 right of it), the pole positions of 1/(x - 0.3) and
tan, and the data drawn."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest


from .test_honest_figures import drawn


def _hollow_points(ax) -> list[tuple[float, float]]:
    """The centres of every hollow marker on the panel."""
    points = []
    for collection in ax.collections:
        if collection.get_label() == "one-sided derivatives" or \
                collection.get_label().startswith("_child") or collection.get_label() == "":
            points += [tuple(p) for p in collection.get_offsets()]
    return points


@pytest.mark.parametrize("layout", ["rows", "overlay", "combined"])
@pytest.mark.parametrize("name, alpha", [("elu", 1.0), ("elu", 2.0), ("celu", 1.0)])
def test_jumps_of_higher_derivatives_are_marked_in_every_layout(layout, name, alpha):
    """elu'' = alpha e^x and elu''' = alpha e^x for x < 0, both 0 for x > 0 (celu: e^(x/alpha)
    and e^(x/alpha)/alpha): one-sided values alpha and 0 (1/alpha and 0 for f''')."""
    figure = drawn(name, order=3, params={"alpha": alpha}, points=201, layout=layout)
    left = {2: alpha if name == "elu" else 1 / alpha, 3: alpha if name == "elu" else 1 / alpha**2}
    axes = figure.axes if layout != "combined" else figure.axes[:1]
    marks = [p for ax in axes for p in _hollow_points(ax) if p[0] == 0.0]
    for order in (2, 3):
        assert any(abs(y - left[order]) < 1e-4 for _, y in marks), (order, marks)
    assert any(abs(y) < 1e-9 for _, y in marks)


def test_softsign_second_derivative_is_marked_at_its_jump():
    """softsign'' = -2 sign(x)/(1 + |x|)^3: one-sided values 2 and -2 at 0."""
    figure = drawn("softsign", order=2, points=201)
    values = sorted(y for x, y in _hollow_points(figure.axes[2]) if x == 0.0)
    np.testing.assert_allclose(values, [-2.0, 2.0], atol=1e-4)


def test_markers_at_a_range_end_are_drawn_whole():
    figure = drawn(["step", "sign", "threshold"], grad=True, range=(0, 3), points=50)
    scatters = [c for ax in figure.axes for c in ax.collections if len(c.get_offsets())]
    assert scatters and all(not c.get_clip_on() for c in scatters)


POLES = [
    ("x**2 + 1/(x-0.3)", [0.3]),
    ("1/x", [0.0]),
    ("1/x**2", [0.0]),
    ("log(abs(x))", [0.0]),
    ("tan(x)", [-3 * math.pi / 2, -math.pi / 2, math.pi / 2, 3 * math.pi / 2]),
    ("1/(1 + x**2)", []),
    ("tanh(1000*x)", []),
    ("abs(x - 1)", []),
    ("where(x < 0, 0, 1)", []),
]


@pytest.mark.parametrize("expression, poles", POLES)
def test_poles_are_found_and_listed_in_the_json(invoke, expression, poles):
    result = invoke(expression, "--points", 21, "--json")
    assert result.exit_code == 0, result.stderr
    (series,) = json.loads(result.stdout)["series"]
    np.testing.assert_allclose(series["poles"], poles, atol=1e-8)
    if poles:  # the steep sides of a pole are neither kinks nor jumps
        assert series["jumps"] == [] and series["kinks"] == []


def test_a_pole_breaks_the_line_is_drawn_and_the_panel_is_framed_on_the_rest():
    figure = drawn("x**2 + 1/(x-0.3)", grad=True, points=400)
    ax = figure.axes[0]
    (curve,) = [line for line in ax.get_lines() if len(line.get_xdata()) > 50]
    x, y = (np.asarray(v, dtype=float) for v in curve.get_data())
    assert np.isnan(y[np.abs(x - 0.3) < 1e-6]).any()  # the pole sampled: no line across it
    pole = [line for line in ax.get_lines() if line.get_label() == "pole"]
    assert pole and pole[0].get_xdata()[0] == 0.3
    # framed on f away from the pole: x^2 + 1/(x - 0.3) on [-5, 5] outside 0.3 +- 0.2
    far = np.linspace(-5, 5, 100001)
    far = far[np.abs(far - 0.3) > 0.2]
    truth = far**2 + 1 / (far - 0.3)
    low, high = ax.get_ylim()
    assert high < 1.2 * truth.max() and low > truth.min() - 0.2 * (truth.max() - truth.min())


def test_check_names_the_pole_and_passes_away_from_it(invoke):
    result = invoke("x**2 + 1/(x-0.3)", "--check", "--json")
    assert result.exit_code == 0, result.stdout
    checks = json.loads(result.stdout)["checks"]
    assert all(c["passed"] for c in checks)
    assert [c["what"] for c in checks if c["what"].startswith("pole")] == ["pole at x=0.3"]


def test_symlog_draws_the_smallest_values_and_log_does_not_warn(invoke, tmp_path):
    figure = drawn("sigmoid", compose=[1, 2, 4, 8], grad=True, yscale="symlog", points=101)
    derivative = figure.axes[1]
    values = np.concatenate([np.asarray(line.get_ydata(), dtype=float)
                             for line in derivative.get_lines() if len(line.get_xdata()) > 50])
    smallest = np.abs(values[np.isfinite(values)]).min()
    assert 0 < derivative.yaxis.get_transform().linthresh <= smallest
    result = invoke("sigmoid", "--compose", "1,2,4,8", "--grad", "--yscale", "log", "--points",
                    101, "-o", tmp_path / "log.png")
    assert result.exit_code == 0 and result.stderr == ""


def test_a_sweep_title_shows_each_values_branch():
    figure = drawn("soft_exponential", params={"alpha": [-0.5, 0, 0.5]}, grad=True,
                   layout="combined", points=101)
    title = figure.axes[0].get_title()
    assert "\\ln" in title and "$x$ (" in title and "e^{" in title
    assert [part.split("= ")[-1] for part in title.split("\n")[-1].split("; ")] == \
        ["-0.5)", "0)", "0.5)"]
    one_branch = drawn("soft_exponential", params={"alpha": [0.25, 0.5]}, points=51)
    assert one_branch.axes[0].get_title().count("$f(x) = ") == 1
