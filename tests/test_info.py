"""`actplot info`: properties computed from the registry and autograd, held to a table written
from Wikipedia's comparison of activation functions, to closed-form Gaussian moments, and to the
independent closed forms of tests/closed_forms.py over the whole registry."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy as sp

import actplot
from actplot.registry import REGISTRY

from .closed_forms import CASES, VECTOR_FUNCTIONS, X

# Wikipedia, "Activation function", table of functions of one fold x: range, order of continuity,
# monotonic, monotonic derivative, approximates the identity near the origin. Ranges are
# [low, high] with None for an unbounded end; minima that the table gives as numbers to 3-4 digits.
WIKIPEDIA = {
    "identity": ((None, None), "Cinf", True, True, True),
    "step": ((0, 1), "discontinuous", True, False, False),
    "sigmoid": ((0, 1), "Cinf", True, False, False),
    "tanh": ((-1, 1), "Cinf", True, False, True),
    "relu": ((0, None), "C0", True, True, False),
    "gelu": ((-0.17, None), "Cinf", False, False, False),
    "softplus": ((0, None), "Cinf", True, True, False),
    "elu": ((-1, None), "C1", True, True, True),  # alpha = 1: C1 and the identity near 0
    "selu": ((-1.7581, None), "C0", True, False, False),
    "leaky_relu": ((None, None), "C0", True, True, False),
    "prelu": ((None, None), "C0", True, True, False),
    "silu": ((-0.278, None), "Cinf", False, False, False),
    "mish": ((-0.3088, None), "Cinf", False, False, False),
    "softsign": ((-1, 1), "C1", True, False, True),
}


# Wikipedia's table with its brackets: which bounds are reached (closed) and which are only
# approached (open); (lower closed, upper closed), an unbounded end being open.
WIKIPEDIA_BRACKETS = {
    "sigmoid": (False, False), "tanh": (False, False), "softplus": (False, False),
    "elu": (False, False), "selu": (False, False), "softsign": (False, False),
    "arctan": (False, False), "isru": (False, False), "gaussian": (False, True),
    "relu": (True, False), "gelu": (True, False), "silu": (True, False), "mish": (True, False),
    "relu6": (True, True), "hardtanh": (True, True), "identity": (False, False),
}


@pytest.fixture(scope="module")
def records():
    return {r["function"]: r for r in actplot.info(list(REGISTRY))}


@pytest.mark.parametrize("name", sorted(WIKIPEDIA))
def test_info_agrees_with_wikipedias_table(records, name):
    (low, high), continuity, monotonic, derivative_monotonic, identity = WIKIPEDIA[name]
    record = records[name]
    got_low, got_high = record["range"]
    for got, want in ((got_low, low), (got_high, high)):
        if want is None:
            assert got is None, f"{name}: range {record['range']}"
        else:
            digits = len(str(want).split(".")[1]) if "." in str(want) else 6
            assert got == pytest.approx(want, abs=0.6 * 10**-digits), f"{name}: {record['range']}"
    assert record["continuity"] == continuity
    assert record["monotonic"] is monotonic
    assert record["derivative_monotonic"] is derivative_monotonic
    assert record["identity_near_origin"] is identity


@pytest.mark.parametrize("name", sorted(WIKIPEDIA_BRACKETS))
def test_range_brackets_agree_with_wikipedias_table(records, name):
    assert records[name]["range_closed"] == list(WIKIPEDIA_BRACKETS[name])
    assert records[name]["values"] is None


def test_functions_with_a_few_values_show_the_set(records, invoke):
    assert records["step"]["values"] == [0.0, 1.0]
    assert records["sign"]["values"] == [-1.0, 0.0, 1.0]
    text = invoke("info", "step", "sign", "sigmoid", "softplus", "gaussian").stdout
    row = next(line for line in text.splitlines() if line.startswith("range"))
    assert row.split()[1:] == ["{0,", "1}", "{-1,", "0,", "1}", "(0,", "1)", "(0,", "\u221e)",
                               "(0,", "1]"]


def _attained_in_closed_form(bound: float, values: np.ndarray, slopes: list) -> bool:
    """Whether the closed form reaches the bound at a finite x: it is constant at that value on
    a piece (f' exactly 0 at two neighbouring samples, in mpmath, whose exponents never
    underflow: sigmoid's f' at 20 is tiny but not 0), or it comes within 1e-3 of it inside
    [-20, 20] while both ends stay away (an extreme inside: gelu's minimum, sin's 1)."""
    near = np.abs(values - bound) <= 1e-3 * max(1.0, abs(bound))
    flat = any(near[i] and near[i + 1] and slopes[i] == 0 and slopes[i + 1] == 0
               for i in range(len(values) - 1))
    return flat or bool(near.any() and not near[0] and not near[-1])


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for c in CASES if not np.isfinite(c.domain_low)
                                  and c.name not in VECTOR_FUNCTIONS and c.name != "rrelu"],
                         ids=lambda c: c.id)
def test_attainment_and_the_limit_of_f_prime_agree_with_the_closed_forms(case):
    import mpmath

    (record,) = actplot.info(case.name, params=case.params)
    grid = np.linspace(-20, 20, 4001)
    values = case.evaluate(case.f, grid)
    df = sp.lambdify(X, case.df, modules="mpmath")
    slopes = []
    for x in grid:
        try:
            slopes.append(df(mpmath.mpf(float(x))))
        except ZeroDivisionError:  # sinc's f' at 0 is 0/0, and not a flat piece
            slopes.append(None)
    for bound, closed in zip(record["range"], record["range_closed"]):
        if bound is not None:
            assert closed == _attained_in_closed_form(bound, values, slopes), \
                f"{case.id}: range {record['range']} {record['range_closed']}"
    # f' -> 0: the closed form's f' far out, at 40 digits (no underflow, no cancellation)
    for side, sign in (("left", -1), ("right", 1)):
        try:
            far = case.evaluate(case.df, sign * np.array([1e12, 1.3e12, 1.7e12, 2.3e12]))
            tends_to_zero = bool(np.max(np.abs(far)) < 1e-6)
        except (MemoryError, OverflowError):  # exp(-exp(x)) at 1e12: sympy's limit instead
            tends_to_zero = sp.limit(case.df, X, sign * sp.oo) == 0
        assert record["saturates"][side] == tends_to_zero, case.id


def _gauss(values: np.ndarray, z: np.ndarray, step: float) -> float:
    """E[g(z)] for z ~ N(0, 1) by the midpoint rule (values at the midpoints z of cells of width
    step whose edges hold every breakpoint): no quadrature shared with the code under test, and
    accurate to about 1e-7 for these piecewise-smooth integrands."""
    density = np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    return float(np.sum(values * density) * step)


@pytest.mark.parametrize("slope", [0.0, 0.1, 0.3, 1.0])
def test_leaky_relu_moments_and_gain(slope):
    (record,) = actplot.info("leaky_relu", params={"negative_slope": slope})
    assert record["moments"]["mean_square"] == pytest.approx((1 + slope**2) / 2, abs=1e-9)
    assert record["moments"]["mean"] == pytest.approx((1 - slope) / math.sqrt(2 * math.pi), abs=1e-9)
    assert record["gain"] == pytest.approx(math.sqrt(2 / (1 + slope**2)), abs=1e-8)
    assert record["torch_gain"] == pytest.approx(math.sqrt(2 / (1 + slope**2)), rel=1e-12)


def test_closed_form_moments(records):
    relu, identity, selu = records["relu"], records["identity"], records["selu"]
    assert relu["moments"]["mean"] == pytest.approx(1 / math.sqrt(2 * math.pi), abs=1e-9)
    assert relu["moments"]["mean_square"] == pytest.approx(0.5, abs=1e-9)
    assert relu["moments"]["derivative_mean_square"] == pytest.approx(0.5, abs=1e-9)
    assert relu["gain"] == pytest.approx(math.sqrt(2), abs=1e-8)
    assert identity["moments"] == pytest.approx(
        {"mean": 0.0, "mean_square": 1.0, "derivative_mean_square": 1.0}, abs=1e-9)
    assert identity["gain"] == pytest.approx(1.0, abs=1e-9)
    # SELU's constants make a unit normal input come out with mean 0 and variance 1
    assert selu["moments"]["mean"] == pytest.approx(0.0, abs=1e-6)
    assert selu["moments"]["mean_square"] == pytest.approx(1.0, abs=1e-6)
    assert records["step"]["moments"]["mean"] == pytest.approx(0.5, abs=1e-9)
    assert records["sign"]["moments"]["mean_square"] == pytest.approx(1.0, abs=1e-9)
    assert records["sigmoid"]["moments"]["mean"] == pytest.approx(0.5, abs=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_info_agrees_with_the_closed_forms(case):
    """monotonic, zero at the origin, zero mean and the moments from the independent closed
    forms."""
    (record,) = actplot.info(case.name, params=case.params)
    if np.isfinite(case.domain_low):  # defined on a half-line: the Gaussian moments do not exist
        assert record["domain"] == [case.domain_low, None] and record["moments"] is None
        assert record["monotonic"] and not record["zero_at_origin"]
        assert record["zero_mean"] is None
        return
    fine = np.linspace(-12, 12, 240001)
    f = case.evaluate(case.f, fine[::400])
    steps = np.diff(f)
    assert record["monotonic"] == bool(np.all(steps >= -1e-12) or np.all(steps <= 1e-12))
    assert record["zero_at_origin"] == (abs(case.evaluate(case.f, np.array([0.0]))[0]) < 1e-12)
    assert record["zero_centered"] == record["zero_at_origin"]  # the deprecated name
    if case.name in ("rrelu",):
        return
    step = 0.002
    z = np.arange(-12, 12, step) + step / 2
    values, slopes = case.evaluate(case.f, z), case.evaluate(case.df, z)
    mean = _gauss(values, z, step)
    assert record["moments"]["mean"] == pytest.approx(mean, abs=2e-6)
    if abs(mean) > 1e-5 or abs(mean) < 1e-12:  # clearly one or the other at the rule's accuracy
        assert record["zero_mean"] == (abs(mean) < 1e-12)
    assert record["moments"]["mean_square"] == pytest.approx(_gauss(values**2, z, step), abs=2e-6)
    assert record["moments"]["derivative_mean_square"] == pytest.approx(
        _gauss(slopes**2, z, step), abs=2e-6)


def test_dead_zones_end_at_declared_breakpoints_and_agree_with_the_closed_forms(records):
    assert records["relu"]["dead_zone"] == [[None, 0.0]]
    assert records["hardtanh"]["dead_zone"] == [[None, -1.0], [1.0, None]]
    assert records["hardshrink"]["dead_zone"] == [[-0.5, 0.5]]
    assert records["relu6"]["dead_zone"] == [[None, 0.0], [6.0, None]]
    for name in ("sigmoid", "tanh", "gelu", "elu"):  # f' underflows to 0 far out: not dead
        assert records[name]["dead_zone"] is None


def test_torch_gain_heuristics_differ_where_the_readme_says(records):
    assert records["tanh"]["torch_gain"] == pytest.approx(5 / 3)
    assert records["tanh"]["gain"] == pytest.approx(1.5925, abs=1e-4)
    assert records["selu"]["torch_gain"] == pytest.approx(3 / 4)
    assert records["selu"]["gain"] == pytest.approx(1.0, abs=1e-6)
    assert records["sigmoid"]["torch_gain"] == 1.0
    assert records["gelu"]["torch_gain"] is None


def test_vector_functions_say_why_they_have_no_properties(records):
    for name in VECTOR_FUNCTIONS:
        assert records[name]["note"].startswith("acts on a whole vector")
        assert records[name]["range"] is None


def test_info_command_text_and_json(invoke):
    text = invoke("info", "relu", "tanh")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["property", "relu", "tanh"]
    rows = {line.split("  ")[0]: line for line in lines[1:]}
    assert "[0, \u221e)" in rows["range"] and "(-1, 1)" in rows["range"]
    assert "1.414214" in rows["init gain"] and "1.666667" in rows["torch's gain"]
    document = json.loads(invoke("info", "relu", "leaky_relu", "-p", "negative_slope=0,0.2",
                                 "--json").stdout)
    entries = document["functions"]
    assert [(e["function"], e["params"]) for e in entries] == [
        ("relu", {}), ("leaky_relu", {"negative_slope": 0.0}),
        ("leaky_relu", {"negative_slope": 0.2})]
    assert set(entries[0]) == {"function", "params", "domain", "range", "range_closed", "values",
                               "monotonic", "derivative_monotonic", "continuity",
                               "zero_at_origin", "zero_centered", "zero_mean",
                               "identity_near_origin", "saturates", "dead_zone", "moments", "gain",
                               "torch_gain"}
    assert entries[0]["range"] == [0.0, None] and entries[0]["range_closed"] == [True, False]


@pytest.mark.parametrize("args, fragment", [
    (["info", "rleu"], "did you mean 'relu'"),
    (["info", "elu", "-p", "beta=1"], "unknown parameter 'beta'"),
    (["info", "elu", "-p", "alpha=0:1"], "START:STOP:COUNT"),
])
def test_info_bad_input(invoke, args, fragment):
    result = invoke(*args)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and fragment in result.stderr


def _continuity_from_closed_form(case) -> str:
    """The order of continuity read off the closed form: the lowest derivative whose one-sided
    values differ at one of the case's breakpoints."""
    for order in range(4):
        expr = sp.diff(case.f, X, order) if order else case.f
        for x0 in case.avoid:
            left, right = case.evaluate(expr, np.array([x0 - 1e-9, x0 + 1e-9]))
            if abs(right - left) > 1e-6 * (1 + abs(left) + abs(right)):
                return "discontinuous" if order == 0 else f"C{order - 1}"
    return "Cinf"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_continuity_agrees_with_the_closed_forms(case):
    """A declaration that contradicted the function (a kink declared smooth, a jump declared a
    kink) would show here: continuity is computed from the declarations and autograd."""
    (record,) = actplot.info(case.name, params=case.params)
    assert record["continuity"] == _continuity_from_closed_form(case)


def test_dead_zone_reaching_a_far_breakpoint_and_random_slopes(invoke):
    (far,) = actplot.info("threshold", params={"threshold": 1e30})
    assert far["dead_zone"] == [[None, 1e30]]  # f' = 1 beyond it, so not all of the line
    result = invoke("info", "rrelu", "-p", "training=true")
    assert result.exit_code == 2 and "draws random slopes" in result.stderr
