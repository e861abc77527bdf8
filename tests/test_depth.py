"""`actplot depth`: the mean-field theory held to closed forms (relu's arc-cosine kernel,
Williams' arcsine kernel for erf, tanh's q* = 0 and chi_1 = sigma_w^2) and to independent mpmath
quadrature (tanh's critical line); Monte Carlo networks held to the theory where it holds; JSON,
batch, API, determinism and bad input."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import mpmath
import numpy as np
import pytest

import actplot
from actplot import meanfield, propagation
from actplot.spec import build_depth_spec


def _arccos_kernel(c: float) -> float:
    """relu with sigma_w^2 = 2: c' = (sqrt(1 - c^2) + (pi - arccos c) c) / pi (Cho & Saul)."""
    return (math.sqrt(1 - c * c) + (math.pi - math.acos(c)) * c) / math.pi


def test_relu_at_he_init_keeps_q_and_follows_the_arc_cosine_kernel():
    t = meanfield.theory("relu", {}, 2.0, 0.0, 12, 1.7, 0.2)
    assert t.q == pytest.approx([1.7] * 13, rel=1e-12)
    c = [0.2]
    for _ in range(12):
        c.append(_arccos_kernel(c[-1]))
    assert t.c == pytest.approx(c, abs=1e-12)
    assert t.chi1 == pytest.approx(1.0, abs=1e-12) and t.regime == "critical"
    assert t.grad == pytest.approx([1.0] * 13, abs=1e-12) and math.isinf(t.depth_scale)


def test_erf_follows_williams_arcsine_kernel():
    """E[erf(u_1) erf(u_2)] = (2/pi) arcsin(2 S12 / sqrt((1 + 2 S11)(1 + 2 S22))) (Williams
    1997), for the expression erf(x), whose breakpoints are detected, not declared."""
    s_w, s_b = 1.6, 0.05
    t = meanfield.theory("erf(x)", {}, s_w, s_b, 8, 0.8, 0.3)
    q, c = [0.8], [0.3]
    for _ in range(8):
        square = 2 / math.pi * math.asin(2 * q[-1] / (1 + 2 * q[-1]))
        cross = 2 / math.pi * math.asin(2 * q[-1] * c[-1] / (1 + 2 * q[-1]))
        q.append(s_w * square + s_b)
        c.append((s_w * cross + s_b) / q[-1])
    assert t.q == pytest.approx(q, rel=1e-11) and t.c == pytest.approx(c, abs=1e-11)


@pytest.mark.parametrize("s_w", [0.3, 0.5, 0.8])
def test_tanh_below_the_critical_point_has_q_star_0_and_chi1_sigma_w2(s_w):
    t = meanfield.theory("tanh", {}, s_w, 0.0, 5, 1.0, 0.5)
    assert t.q_star < 1e-12 and t.chi1 == pytest.approx(s_w, abs=1e-9)
    assert t.regime == "ordered" and t.c_star == 1.0


def _tanh_critical_sigma_w2(s_b: float) -> float:
    """Where chi_1 = 1 on the tanh plane, by mpmath alone: q* = s_w E[tanh^2] + s_b and
    s_w E[sech^4] = 1 solved together."""
    def gauss(g):
        return mpmath.quad(lambda z: g(z) * mpmath.exp(-z * z / 2), [-mpmath.inf, 0, mpmath.inf]
                           ) / mpmath.sqrt(2 * mpmath.pi)

    def equations(s_w, q):
        root = mpmath.sqrt(q)
        return (s_w * gauss(lambda z: mpmath.tanh(root * z) ** 2) + s_b - q,
                s_w * gauss(lambda z: mpmath.sech(root * z) ** 4) - 1)

    with mpmath.workdps(30):  # in its own precision: the closed forms' 40 digits stay as they are
        s_w, _ = mpmath.findroot(equations, (mpmath.mpf(1.2), mpmath.mpf(s_b + 0.1)))
    return float(s_w)


@pytest.mark.slow
@pytest.mark.parametrize("s_b", [0.05, 0.1, 0.2])
def test_the_tanh_critical_line_against_mpmath(s_b):
    truth = _tanh_critical_sigma_w2(s_b)
    exact = meanfield.theory("tanh", {}, truth, s_b, 1, 1.0, 0.5)
    assert exact.chi1 == pytest.approx(1.0, abs=1e-9)
    s_w = np.linspace(0.5, 4.0, 351)
    chi = meanfield.phase("tanh", {}, s_w, np.array([s_b]))
    (line,) = meanfield.critical_line(chi, s_w, np.array([s_b]))
    assert line[1] == pytest.approx(truth, abs=2e-3)


def test_hardtanh_expectations_split_at_its_kinks():
    """E[hardtanh(sqrt(q) z)^2] in closed form: q (1 - 2 Q(a) - 2 a phi(a)) + 2 Q(a) with
    a = 1/sqrt(q), Q the normal tail, phi its density; and E[hardtanh'^2] = 1 - 2 Q(a)."""
    for q in (0.3, 1.0, 4.0):
        a = 1 / math.sqrt(q)
        tail = 0.5 * math.erfc(a / math.sqrt(2))
        density = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
        square, slope = meanfield.expectations(meanfield.Function.of("hardtanh", {}), q)
        assert square == pytest.approx(q * (1 - 2 * tail - 2 * a * density) + 2 * tail,
                                       abs=1e-13)
        assert slope == pytest.approx(1 - 2 * tail, abs=1e-13)


@pytest.mark.parametrize("expression", ["exp(x)", "x**3"])
def test_a_function_whose_q_diverges_is_reported_not_a_crash(invoke, expression):
    result = invoke("depth", expression, "--layers", 12, "--width", 32, "--inputs", 8, "--json")
    assert result.exit_code == 0, result.stderr
    (record,) = json.loads(result.stdout)["depth"]
    assert record["regime"] == "diverging" and record["q_star"] is None
    k = record["diverges_at"]
    assert 1 <= k <= 12 and all(v is None for v in record["q_theory"][k:])
    assert record["overflow_layer"] is not None  # float32 ran out too: marked, not hidden


@pytest.mark.slow
@pytest.mark.parametrize("name, init, layers", [("tanh", "gain", 20), ("relu", "he", 5),
                                                ("gelu", "gain", 10)])
def test_monte_carlo_agrees_with_the_theory_where_it_holds(name, init, layers):
    """At width 1024: the median over seeds of each layer's mean square within 10% of q^l.
    (gelu's gain init puts q* = 1 on an unstable fixed point of the length map, slope 1.15, so
    finite-width fluctuations grow with depth: held at depth 10, see the README.)"""
    spec = build_depth_spec(name, init=init, layers=layers, width=1024, inputs=64, seeds="0-3")
    (run,) = propagation.run(spec)
    record = run.record(spec)
    measured, theory = np.array(record["q"]["median"]), np.array(record["q_theory"])
    assert np.max(np.abs(measured / theory - 1)) < 0.10


def test_sigmoid_gradients_vanish_under_xavier():
    spec = build_depth_spec("sigmoid", init="xavier", layers=30, width=128, inputs=16,
                            seeds="0-2")
    (run,) = propagation.run(spec)
    record = run.record(spec)
    assert record["chi1"] < 1 / 16 and record["regime"] == "ordered"
    assert record["grad"]["median"][0] < 1e-12  # orders of magnitude over 30 layers
    assert record["grad"]["median"][0] == pytest.approx(record["grad_theory"][0], rel=0.5)


def test_json_holds_every_layer(invoke):
    result = invoke("depth", "relu", "--init", "he", "--json", "--layers", 6, "--width", 64,
                    "--inputs", 16, "--seeds", "0-2")
    (record,) = json.loads(result.stdout)["depth"]
    assert {"function", "params", "init", "sigma_w2", "sigma_b2", "layers", "width", "inputs",
            "seeds", "q_theory", "q", "c_theory", "c", "grad_theory", "grad", "q_star",
            "c_star", "chi1", "depth_scale", "regime"} <= set(record)
    assert record["init"] == "he" and record["sigma_w2"] == 2.0 and record["seeds"] == [0, 1, 2]
    for key in ("q", "c", "grad"):
        assert len(record[f"{key}_theory"]) == 7
        assert all(len(record[key][k]) == 7 for k in ("median", "p05", "p95"))
    assert record["depth_scale"] is None  # infinite at criticality: null in strict JSON
    phase = json.loads(invoke("depth", "tanh", "--phase", "--grid", 12, "--json").stdout)
    (entry,) = phase["phase"]
    assert len(entry["sigma_w2"]) == 12 and len(entry["chi1"]) == 12
    assert all(len(pair) == 2 for pair in entry["critical_line"])


def test_relu_has_no_critical_line_in_the_default_window(invoke, tmp_path):
    figure, (record,) = actplot.depth("relu", phase=True, grid=30)
    assert record["critical_line"] == []
    assert "no critical line in this window" in figure.axes[0].get_title()
    figure, (tanh,) = actplot.depth("tanh", phase=True, grid=30)
    assert tanh["critical_line"] and "critical line drawn" in figure.axes[0].get_title()


def test_the_figure_has_three_rows_a_column_per_function_and_names_the_regime(tmp_path):
    figure, records = actplot.depth(["sigmoid", "relu"], init="he", layers=6, width=32, inputs=8,
                                    seeds="0-1", path=tmp_path / "d.svg")
    assert len(figure.axes) == 6 and (tmp_path / "d.svg").stat().st_size > 0
    titles = [figure.axes[i].get_title() for i in (0, 1)]
    assert titles[0].startswith("sigmoid: ordered: gradients vanish")
    assert titles[1].startswith("relu: critical") and "\u03be = \u221e" in titles[1]
    assert [r["function"] for r in records] == ["sigmoid", "relu"]


def test_batch_depth_tables(invoke, tmp_path):
    (tmp_path / "s.toml").write_text(
        '[[depth]]\nfunctions = ["tanh"]\nlayers = 4\nwidth = 16\ninputs = 4\noutput = "d.png"\n'
        '[[depth]]\nfunctions = ["relu"]\nphase = true\ngrid = 10\noutput = "p.json"\n')
    result = invoke("batch", tmp_path / "s.toml", "-q")
    assert result.exit_code == 0, result.stderr
    assert json.loads((tmp_path / "p.json").read_text())["phase"][0]["function"] == "relu"
    (tmp_path / "bad.toml").write_text('[[depth]]\nfunctions = ["relu"]\nlayres = 4\n')
    result = invoke("batch", tmp_path / "bad.toml")
    assert result.exit_code == 2 and "depth 1: key 'layres': unknown key" in result.stderr


@pytest.mark.slow
def test_same_seed_same_bytes(tmp_path):
    """PNG, SVG and JSON of one spec, written by two fresh processes, byte for byte."""
    table = ('[[depth]]\nfunctions = ["tanh", "relu"]\nlayers = 5\nwidth = 32\ninputs = 8\n'
             'seeds = "0-2"\ndpi = 50\noutput = "d.{}"\n')
    spec = tmp_path / "s.toml"
    spec.write_text("".join(table.format(suffix) for suffix in ("png", "svg", "json")))
    outputs = []
    for run in range(2):
        folder = tmp_path / str(run)
        subprocess.run([sys.executable, "-m", "actplot", "batch", str(spec), "--out-dir",
                        str(folder), "-q"], check=True, capture_output=True, timeout=120)
        outputs.append([(folder / f"d.{s}").read_bytes() for s in ("png", "svg", "json")])
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("args, fragment", [
    (["--layers", "0"], "layers must be an integer from 1"),
    (["--layers", "5000"], "layers must be an integer from 1 to 1000"),
    (["--width", "0"], "width must be an integer from 1"),
    (["--sigma-b", "-1"], "sigma_b is a standard deviation"),
    (["--sigma-w", "nan"], "sigma_w must be finite"),
    (["--init", "nosuch"], "'nosuch' is not one of"),
    (["--phase", "--seeds", "0-3"], "drop --seeds"),
    (["--layers", "1000", "--width", "8192", "--seeds", "0-9"], "use at most"),
    (["--json", "-o", "x.png"], "--json prints the results"),
])
def test_bad_depth_input_is_one_line_exit_2(invoke, args, fragment):
    result = invoke("depth", "relu", *args)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    assert fragment in result.stderr


def test_a_vector_function_is_refused(invoke):
    result = invoke("depth", "softmax")
    assert result.exit_code == 2 and "not element-wise" in result.stderr
