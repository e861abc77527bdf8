"""Figures that never lie: no line across a jump on any panel, order, range or composition; ends of
the range approached from inside; coinciding curves visible; every text inside the figure at every
size; the user's matplotlib settings without effect on actplot's bytes.

Every drawn line is held to the closed forms of tests/closed_forms.py, written independently of
actplot: the midpoint of each drawn segment must lie on the true curve of that order. A segment
bridging a jump puts its midpoint half the jump away from the curve."""

from __future__ import annotations

import math

import matplotlib
import mpmath
import numpy as np
import pytest
import sympy as sp
from matplotlib.lines import Line2D
from matplotlib.text import Text

import actplot
from actplot.errors import SpecError

from .closed_forms import CASES, X

CASE_BY_ID = {case.id: case for case in CASES}


def drawn(functions, **options):
    """The panels as actplot draws them, without fitting the figure to its size (tested apart,
    below): the lines are the same, at a tenth of the cost."""
    from matplotlib.figure import Figure

    from actplot import render
    from actplot.api import compute_series
    from actplot.spec import build_spec

    spec = build_spec(functions, **options)
    figure = Figure()
    render._draw_panels(figure, compute_series(spec), spec, render.FIT_LEVELS[0])
    return figure
PIECEWISE = [case for case in CASES if case.avoid and case.name != "rrelu"]


def _curves(ax) -> list[Line2D]:
    """The drawn curves: lines with more than the two points of an axis or asymptote line."""
    return [line for line in ax.get_lines() if len(line.get_xdata()) > 2]


def _true(expr: sp.Expr):
    fn = sp.lambdify(X, expr, modules=[{"erf": np.vectorize(math.erf)}, "numpy"])
    exact = sp.lambdify(X, expr, modules="mpmath")

    def at(v: float) -> float:
        try:
            return float(exact(mpmath.mpf(float(v))))
        except ZeroDivisionError:  # sin(x)/x at 0: the limit
            return float(sp.limit(expr, X, sp.Rational(float(v))))

    def truth(x):
        try:
            values = np.array(np.broadcast_to(np.asarray(fn(x), dtype=float), np.shape(x)))
        except TypeError:  # a composed Piecewise that numpy's select cannot take: point by point
            return np.array([at(v) for v in x])
        # near 0, formulas such as sinc's f'' cancel catastrophically in float64: exact there
        near = np.abs(x) < 1e-3
        values[near] = [at(v) for v in x[near]]
        return values

    return truth


def assert_line_follows(line: Line2D, truth, what: str) -> None:
    """Each segment between two finite drawn points runs along the true curve: its midpoint is
    within 2% of the panel's height of the truth there."""
    x = np.asarray(line.get_xdata(), dtype=float)
    y = np.asarray(line.get_ydata(), dtype=float)
    low, high = line.axes.get_ylim()
    visible = np.isfinite(y) & (y >= low) & (y <= high)  # a curve may leave the panel at a pole
    pairs = visible[:-1] & visible[1:] & (np.diff(x) > 0)
    middle = (x[:-1] + x[1:])[pairs] / 2
    drawn = (y[:-1] + y[1:])[pairs] / 2
    want = truth(middle)
    height = high - low
    error = np.abs(drawn - want)
    worst = int(np.argmax(error))
    assert error[worst] <= 0.02 * height + 1e-9, (
        f"{what}: the segment around x={middle[worst]:.6g} is drawn at {drawn[worst]:.6g}, "
        f"the curve is at {want[worst]:.6g}")


def _check_figure(figure, case, orders, composed: tuple[int, ...] | None = None) -> None:
    rows = figure.axes
    for order in orders:
        ax = rows[order]
        if any("torch has no" in text.get_text() for text in ax.texts):
            continue  # hardsigmoid'': the panel says so and draws nothing
        curves = _curves(ax)
        depths = composed or (1,)
        assert len(curves) == len(depths), f"order {order}: {len(curves)} curves"
        for depth, line in zip(depths, curves):
            expr = case.f
            for _ in range(depth - 1):
                expr = case.f.subs(X, expr)
            truth = _true(sp.diff(expr, X, order) if order else expr)
            assert_line_follows(line, truth, f"{case.id} K={depth} order {order}")


def _line_cases():
    """Every function to its first derivative in the quick run, to its highest order in the slow."""
    for case in CASES:
        if case.name == "rrelu":  # drawn as eval-mode leaky relu, checked there
            continue
        yield pytest.param(case, 1, id=f"{case.id}-order-1")
        yield pytest.param(case, 3 if case.smooth else 2, id=f"{case.id}-all-orders",
                           marks=pytest.mark.slow)


@pytest.mark.parametrize("case, order", list(_line_cases()))
def test_every_line_of_every_order_follows_the_closed_form(case, order):
    # laplace's f''' is a narrow bump (sigma 0.28): 400 points (a real figure has 1001)
    figure = drawn(case.name, params=case.params, order=order, points=160 if order == 1 else 400,
                          dtype="float64", range=(-7.3, 7.3))
    _check_figure(figure, case, range(order + 1))


def _edge_ranges():
    for case in PIECEWISE:
        for x0 in case.avoid:
            yield pytest.param(case.id, (x0, x0 + 2.5), id=f"{case.id}-from-{x0:g}")
            yield pytest.param(case.id, (x0 - 2.5, x0), id=f"{case.id}-to-{x0:g}")


@pytest.mark.slow
@pytest.mark.parametrize("case_id, window", list(_edge_ranges()))
def test_breakpoint_at_an_end_of_the_range_is_approached_from_inside(case_id, window):
    case = CASE_BY_ID[case_id]
    figure = drawn(case.name, params=case.params, order=2, points=101, dtype="float64",
                          range=window)
    _check_figure(figure, case, range(3))
    assert figure.axes[0].get_xlim() == window  # still exactly the range asked for


def test_relu6_derivative_at_the_right_end_comes_in_at_one(invoke):
    """The issue's case: torch says relu6'(6) = 0. The panel ends at 1 with a hollow marker, and
    the data still say what torch returns."""
    figure = actplot.plot("relu6", range=(-6, 6), grad=True)
    (line,) = _curves(figure.axes[1])
    assert line.get_xdata()[-1] == 6.0 and line.get_ydata()[-1] == 1.0
    assert (6.0, 1.0) in _hollow(figure.axes[1])
    assert (6.0, 0.0) not in _hollow(figure.axes[1])  # that side is outside the range
    assert (6.0, 6.0) in _hollow(figure.axes[0])  # the kink is marked on f
    import json

    (series,) = json.loads(invoke("relu6", "--range", -6, 6, "--grad", "--json").stdout)["series"]
    assert series["kinks"] == [0.0, 6.0]
    assert series["x"][-1] == 6.0 and series["dy"][-1] == 0.0  # torch's value, reported honestly


def test_step_with_its_jump_at_the_right_end():
    figure = actplot.plot("step", range=(-3, 0), points=50)
    (line,) = _curves(figure.axes[0])
    assert set(np.asarray(line.get_ydata(), dtype=float)) == {0.0}  # never rises to step(0) = 1
    assert (0.0, 0.0) in _hollow(figure.axes[0])


def _hollow(ax) -> set[tuple[float, float]]:
    points = set()
    for collection in ax.collections:
        faces = collection.get_facecolor()
        if len(faces) and np.allclose(faces[:, :3], 1):
            points |= {(round(float(a), 9), round(float(b), 9)) for a, b in collection.get_offsets()}
    return points


COMPOSED = ["sign", "relu", "hardtanh", "step", "hardshrink", "threshold", "softshrink",
            "hardswish", "relu6", "leaky_relu", "hardsigmoid", "elu-alpha=0.5"]


@pytest.mark.slow
@pytest.mark.parametrize("case_id", COMPOSED)
def test_composition_breaks_its_lines_at_every_breakpoint(case_id):
    case = CASE_BY_ID[case_id]
    figure = drawn(case.name, params=case.params, compose=[1, 2, 3], order=1, points=400,
                          dtype="float64", range=(-7, 7))
    _check_figure(figure, case, range(2), composed=(1, 2, 3))


def test_composed_k1_is_marked_as_the_plain_figure_is():
    composed = actplot.plot("sign", compose=[1, 2, 4], grad=True)
    plain = actplot.plot("sign", grad=True)
    for order in (0, 1):
        assert _hollow(composed.axes[order]) == _hollow(plain.axes[order])
        assert _hollow(plain.axes[order])


def test_composed_jumps_are_listed_in_the_data(invoke):
    import json

    series = json.loads(invoke("hardshrink", "sign", "step", "--compose", "1,2", "--json",
                               "--points", 50).stdout)["series"]
    lists = {(s["function"], s["compose"]): (s["kinks"], s["jumps"]) for s in series}
    assert lists[("hardshrink", 2)] == ([], [-0.5, 0.5])
    assert lists[("sign", 2)] == ([], [0.0])
    assert lists[("step", 2)] == ([], [])  # step(step(x)) = 1 everywhere: no jump left


def test_coinciding_compositions_stay_visible():
    """relu is the same for every K: each K differs in colour, dashes and width, and the earlier,
    wider line shows around the later ones."""
    figure = actplot.plot("relu", compose=[1, 2, 4, 8], grad=True)
    for ax in figure.axes:
        curves = _curves(ax)
        styles = {(line.get_color(), str(line.get_linestyle()), str(line._dash_pattern))
                  for line in curves}
        assert len(styles) == 4
        widths = [line.get_linewidth() for line in curves]
        assert widths == sorted(widths, reverse=True) and len(set(widths)) == 4
        legend = [text.get_text() for text in ax.get_legend().get_texts()]
        assert legend[:4] == ["K = 1", "K = 2", "K = 4", "K = 8"]


def test_higher_orders_break_where_they_jump():
    """hardswish'' jumps at -3 and 3; hardsigmoid' (drawn with --order 2) jumps there too."""
    swish = actplot.plot("hardswish", order=2, points=200)
    sigmoid = actplot.plot("hardsigmoid", order=2, points=200)
    for ax in (swish.axes[2], sigmoid.axes[1]):
        (line,) = _curves(ax)
        x = np.asarray(line.get_xdata(), dtype=float)
        y = np.asarray(line.get_ydata(), dtype=float)
        for x0 in (-3.0, 3.0):
            left, right = np.nonzero(x < x0)[0][-1], np.nonzero(x > x0)[0][0]
            assert np.isnan(y[left + 1:right]).any(), f"{ax.get_title()} bridges x={x0}"


# ---- sizes -------------------------------------------------------------------------------------

def _texts_fit(figure) -> list[str]:
    """Written apart from render.misfits: every visible text inside the figure, no two titles
    overlapping, every legend inside its panel."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    bounds = figure.bbox
    problems = []
    tick_labels, drawn = set(), []
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                labels = (tick.label1, tick.label2)
                tick_labels.update(labels)
                if low - 1e-9 * (high - low) <= tick.get_loc() <= high + 1e-9 * (high - low):
                    drawn += [label for label in labels if label.get_visible()]
    texts = [t for t in figure.findobj(Text) if t not in tick_labels] + drawn
    for text in texts:
        if not text.get_visible() or not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        if box.x0 < bounds.x0 - 1 or box.x1 > bounds.x1 + 1 or box.y0 < bounds.y0 - 1 \
                or box.y1 > bounds.y1 + 1:
            problems.append(f"{text.get_text()!r} leaves the figure")
    titles = [ax.title.get_window_extent(renderer) for ax in figure.axes if ax.get_title()]
    for i, a in enumerate(titles):
        for b in titles[i + 1:]:
            if a.x0 < b.x1 - 1 and b.x0 < a.x1 - 1 and a.y0 < b.y1 - 1 and b.y0 < a.y1 - 1:
                problems.append("two titles overlap")
    for ax in figure.axes:
        legend = ax.get_legend()
        if legend is not None:
            box, frame = legend.get_window_extent(renderer), ax.bbox
            if box.x0 < frame.x0 - 1 or box.x1 > frame.x1 + 1 or box.y0 < frame.y0 - 1 \
                    or box.y1 > frame.y1 + 1:
                problems.append(f"the legend of {ax.get_title()!r} leaves its panel")
    return problems


SIZES = [
    pytest.param(["relu"], dict(grad=True, size=(3.5, 2.6)), id="paper-column"),
    pytest.param(["sigmoid", "tanh", "relu", "softmax"], dict(grad=True, size=(7, 9)), id="7x9"),
    pytest.param(["rrelu", "relu"], dict(grad=True), id="rrelu-long-title"),
    pytest.param(["rrelu"], dict(grad=True, train=True, seed=1, size=(3.2, 1.3)), id="rrelu-min"),
    pytest.param(["gelu"], dict(params={"approximate": "tanh"}, order=3, size=(6.4, 1.3)),
                 id="gelu-tanh-min"),
    pytest.param(["softmax"], dict(grad=True, jacobian=True, size=(4.8, 1.3)), id="jacobian-min"),
    pytest.param(["step", "threshold"], dict(grad=True, size=(3.2, 2.6)), id="notes-min"),
    pytest.param(["hardtanh"], dict(compose=list(range(1, 51)), grad=True), id="50-depths", marks=pytest.mark.slow),
    pytest.param(["relu"], dict(grad=True, size=(100, 1.3), dpi=50), id="very-wide"),
    pytest.param(["relu"], dict(grad=True, size=(3.2, 100), dpi=50), id="very-tall", marks=pytest.mark.slow),
    pytest.param(["relu", "elu"], dict(grad=True, size=(100, 100), dpi=50), id="very-large", marks=pytest.mark.slow),
    pytest.param(["sigmoid"], dict(grad=True, title="A long figure title " * 3, size=(3.2, 1.65)),
                 id="long-title"),
]


@pytest.mark.parametrize("functions, options", SIZES)
@pytest.mark.filterwarnings("ignore:the legend was left out")  # at the smallest sizes, by design
def test_every_text_fits_inside_the_figure(functions, options):
    figure = actplot.plot(functions, points=200, **options)
    assert _texts_fit(figure) == []


@pytest.mark.slow
@pytest.mark.parametrize("rows", [1, 2, 5])
@pytest.mark.parametrize("order", [0, 1, 3])
def test_the_smallest_accepted_size_fits_every_grid(rows, order):
    names = ["rrelu", "softplus", "hardtanh", "step", "gelu"][:rows]
    spec = actplot.build_spec(names, order=order)
    from actplot.spec import minimum_size

    figure = actplot.plot(names, order=order, points=100, size=minimum_size(spec), dpi=40)
    assert _texts_fit(figure) == []


def test_a_size_too_small_is_a_usage_error_naming_the_smallest(invoke):
    result = invoke("relu", "threshold", "--size", 2, 2, "--grad", "-o", "never.png")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "cannot hold 2 x 2 panels legibly; the smallest size that works is 3.2 x 2.6" in \
        result.stderr
    assert invoke("relu", "threshold", "--size", 3.2, 2.6, "--grad", "--json").exit_code == 0


@pytest.mark.slow
def test_eight_functions_fit_a_page_by_default():
    names = ["sigmoid", "tanh", "relu", "elu", "gelu", "silu", "softplus", "hardswish"]
    figure = actplot.plot(names, grad=True, points=100)
    width, height = figure.get_size_inches()
    assert height <= 11.0 and width <= 8.8
    assert _texts_fit(figure) == []


# ---- the user's matplotlib settings ------------------------------------------------------------

USER_SETTINGS = [
    {"figure.facecolor": "black", "axes.facecolor": "black", "text.color": "white"},
    {"font.family": "serif", "font.size": 20, "lines.linewidth": 9},
    {"savefig.bbox": "tight", "savefig.pad_inches": 2, "savefig.dpi": 30,
     "savefig.transparent": True},
    {"text.usetex": True},
    {"svg.hashsalt": "another", "path.simplify": False, "axes.prop_cycle":
     matplotlib.cycler(color=["red"])},
]


def _rc_cases():
    for index, settings in enumerate(USER_SETTINGS):
        for fmt in ("png", "svg"):
            quick = index < 3 and fmt == ("png", "svg")[index % 2]
            yield pytest.param(settings, fmt, id=f"{next(iter(settings))}-{fmt}",
                               marks=() if quick else pytest.mark.slow)


@pytest.mark.parametrize("settings, fmt", list(_rc_cases()))
def test_the_users_rc_settings_change_nothing(tmp_path, settings, fmt):
    options = dict(grad=True, points=100, title="$\\sigma$ and relu", dpi=60)
    plain = actplot.save(tmp_path / f"plain.{fmt}", ["relu", "sigmoid"], **options).read_bytes()
    with matplotlib.rc_context(settings):
        styled = actplot.save(tmp_path / f"styled.{fmt}", ["relu", "sigmoid"], **options)
    assert styled.read_bytes() == plain


@pytest.mark.slow
def test_a_matplotlibrc_file_changes_nothing(tmp_path):
    from .conftest import run_actplot

    (tmp_path / "matplotlibrc").write_text(
        "figure.facecolor: black\nfont.family: serif\nsavefig.bbox: tight\ntext.usetex: True\n")
    plain = run_actplot("gelu", "--grad", "-o", tmp_path / "plain.png")
    styled = run_actplot("gelu", "--grad", "-o", tmp_path / "styled.png",
                         env={"MATPLOTLIBRC": str(tmp_path / "matplotlibrc")})
    assert plain.returncode == styled.returncode == 0, styled.stderr
    assert styled.stderr == ""
    assert (tmp_path / "styled.png").read_bytes() == (tmp_path / "plain.png").read_bytes()


def test_a_too_small_size_through_the_api_is_a_spec_error():
    with pytest.raises(SpecError) as caught:
        actplot.plot("relu", grad=True, size=(2, 1))
    assert caught.value.field == "size"
