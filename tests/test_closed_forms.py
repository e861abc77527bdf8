"""y, f', f'' and f''' from torch autograd against independent closed forms, in float64."""

from __future__ import annotations

import numpy as np
import pytest

from actplot import evaluate
from actplot.registry import REGISTRY

from .closed_forms import CASES, VECTOR_FUNCTIONS, vector_closed_forms

POINTS = np.linspace(-7.9, 7.9, 81)


def _points(case):
    keep = POINTS > case.domain_low
    for x0 in case.avoid:
        keep &= np.abs(POINTS - x0) > 1e-3
    return POINTS[keep]


def test_every_registered_function_has_a_closed_form():
    covered = {case.name for case in CASES} | set(VECTOR_FUNCTIONS)
    assert covered == set(REGISTRY)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_first_derivative_by_hand_matches_symbolic(case):
    """The hand-written f' agrees with sympy's derivative of f: the table checks itself."""
    x = _points(case)
    np.testing.assert_allclose(case.evaluate(case.df, x), case.evaluate(case.derivative(1), x),
                               rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_value_and_first_derivative(case):
    x = _points(case)
    series = evaluate(case.name, at=list(x), params=case.params, grad=True, dtype="float64",
                      device="cpu")
    np.testing.assert_array_equal(series.x, x)
    np.testing.assert_allclose(series.y, case.evaluate(case.f, x), rtol=case.rel_tol, atol=case.abs_tol)
    np.testing.assert_allclose(series.dy, case.evaluate(case.df, x), rtol=case.rel_tol,
                               atol=case.abs_tol)


@pytest.mark.parametrize("case", [c for c in CASES if c.smooth or c.avoid], ids=lambda c: c.id)
def test_second_and_third_derivatives(case):
    x = _points(case)
    series = evaluate(case.name, at=list(x), params=case.params, order=3, dtype="float64",
                      device="cpu")
    for order in (2, 3):
        got = series.derivatives[order - 1]
        if got is None:  # torch has no formula: the figure says so (tested elsewhere)
            assert order in series.missing
            continue
        want = case.evaluate(case.derivative(order), x)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10, err_msg=f"order {order}")


@pytest.mark.parametrize("name", VECTOR_FUNCTIONS)
def test_vector_functions_use_the_jacobian_diagonal(name):
    series = evaluate(name, range=(-4, 3), points=157, order=3, dtype="float64", device="cpu")
    expected = vector_closed_forms(series.x, name)
    for k, got in enumerate([series.y, *series.derivatives]):
        np.testing.assert_allclose(got, expected[k], rtol=1e-9, atol=1e-14, err_msg=f"order {k}")
    # the sum of softmax is constant, so y.sum().backward() would have given zeros here
    assert np.max(np.abs(series.dy)) > 1e-3


@pytest.mark.parametrize("case", [c for c in CASES if np.isfinite(c.domain_low)], ids=lambda c: c.id)
def test_the_curve_stops_where_the_function_is_undefined(case):
    """Below the domain the values are NaN (never a number that a line could be drawn to)."""
    outside = POINTS[POINTS < case.domain_low]
    series = evaluate(case.name, at=list(outside), params=case.params, grad=True, dtype="float64",
                      device="cpu")
    assert outside.size and np.isnan(series.y).all() and np.isnan(series.dy).all()


def test_float32_agrees_with_float64_to_float32_precision():
    # absolute tolerance: float32 erf loses digits where gelu's y cancels to nearly 0 (x < -4)
    low = evaluate("gelu", range=(-6, 6), points=301, grad=True, dtype="float32", device="cpu")
    high = evaluate("gelu", at=list(low.x), grad=True, dtype="float64", device="cpu")
    np.testing.assert_allclose(low.y, high.y, rtol=1e-6, atol=2e-6)
    np.testing.assert_allclose(low.dy, high.dy, rtol=1e-6, atol=2e-6)
