"""The user's own functions: expressions in x, imported code (seed 001's h_sigmoid and h_swish
among them), plugins, and kinks and jumps found numerically for functions that declare none."""

from __future__ import annotations

import ast
import json
import math
import shutil
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import actplot
from actplot.detection import detect
from actplot.registry import REGISTRY

from .conftest import ROOT, run_actplot, with_site

SEED_FILE = ROOT / "examples" / "hswish_seed001.py"


def _series(invoke, *args):
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["series"]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ---- expressions ------------------------------------------------------------------------------

def test_an_expression_is_a_function_with_its_autograd_derivatives(invoke):
    (series,) = _series(invoke, "x * tanh(softplus(x))", "--order", 2, "--dtype", "float64",
                        "--points", 41)
    x = np.array(series["x"])
    softplus = np.log1p(np.exp(x))
    mish = x * np.tanh(softplus)
    dmish = np.tanh(softplus) + x * (1 - np.tanh(softplus) ** 2) * _sigmoid(x)
    np.testing.assert_allclose(series["y"], mish, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(series["dy"], dmish, rtol=1e-12, atol=1e-14)
    assert series["kinks"] == series["jumps"] == series["detected"] == []


def test_free_names_are_parameters_and_can_be_swept(invoke):
    series = _series(invoke, "x * sigmoid(b*x)", "-p", "b=0.5,1.5", "--grad", "--dtype",
                     "float64", "--points", 21)
    assert [s["params"] for s in series] == [{"b": 0.5}, {"b": 1.5}]
    for s in series:
        x, b = np.array(s["x"]), s["params"]["b"]
        np.testing.assert_allclose(s["dy"], _sigmoid(b * x) * (1 + b * x * (1 - _sigmoid(b * x))),
                                   rtol=1e-12, atol=1e-14)


def test_a_free_name_without_a_value_is_a_usage_error(invoke):
    result = invoke("x * sigmoid(b*x)", "-o", "unused.png")
    assert result.exit_code == 2
    assert "'b' has no value; give one with -p b=VALUE" in result.stderr


def test_a_named_expression_titles_the_figure_and_names_the_file(invoke, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("mish2 = x*tanh(softplus(x))", "--points", 50, "--dpi", 50)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "mish2.png" and (tmp_path / "mish2.png").stat().st_size > 0
    figure = actplot.plot("mish2 = x*tanh(softplus(x))", grad=True)
    assert figure.axes[0].get_title().startswith("mish2\n")


def test_a_name_taken_by_a_builtin_is_refused(invoke):
    result = invoke("relu = max(x, 0)", "-o", "unused.png")
    assert result.exit_code == 2 and "'relu'" in result.stderr and "another name" in result.stderr


@pytest.mark.parametrize("text, token, column", [
    ("x.__class__", "x.__class__", 1),
    ("x[0]", "x[0]", 1),
    ("(lambda: x)()", "lambda", 2),
    ("sum([x for x in (1, 2)])", "unknown function 'sum'", 1),
    ("x * 'a'", "'a' is not a number", 5),
    ("__import__('os')", "unknown function '__import__'", 1),
    ("relu(x) + foo(x)", "unknown function 'foo'", 11),
    ("x if x > 0", "is not an expression", None),
    ("x + " * 130 + "x", "at most 500", None),
])
def test_anything_outside_the_whitelist_names_the_token_and_its_column(invoke, tmp_path, text,
                                                                       token, column):
    out = tmp_path / "never.png"
    result = invoke(text, "-o", out)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert token in result.stderr
    if column:
        assert f"column {column}" in result.stderr
    assert not out.exists()


def test_a_misspelt_name_is_an_unknown_function_with_a_suggestion(invoke):
    result = invoke("rleu", "-o", "unused.png")
    assert result.exit_code == 2 and "did you mean 'relu'?" in result.stderr


def test_no_user_text_is_ever_run_as_python():
    """Nothing in actplot calls eval, exec or compile (or __import__): expressions are walked."""
    calls = []
    for path in (ROOT / "actplot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id in ("eval", "exec", "compile", "__import__"):
                calls.append(f"{path.name}:{node.lineno}")
    assert calls == []


@pytest.mark.slow
def test_expressions_in_a_batch_spec_and_the_api(tmp_path):
    spec = tmp_path / "own.toml"
    spec.write_text(textwrap.dedent("""
        [[figure]]
        functions = ["x * sigmoid(b*x)", "where(x >= 1, 1, 0)"]
        params = { b = 2.0 }
        grad = true
        output = "own.png"
    """))
    result = run_actplot("batch", spec, "-q")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "own.png").stat().st_size > 0
    swish, step = actplot.evaluate(["x * sigmoid(b*x)", "where(x >= 1, 1, 0)"],
                                   params={"b": 2.0}, range=(-3, 3), points=13, grad=True,
                                   dtype="float64")
    np.testing.assert_allclose(swish.y, swish.x * _sigmoid(2 * swish.x), rtol=1e-12)
    assert step.jumps == [1.0]


# ---- detected kinks and jumps -----------------------------------------------------------------

@pytest.mark.parametrize("text, kinks, jumps", [
    ("max(x, 0)", [0.0], []),
    ("where(x >= 1, 1, 0)", [], [1.0]),
    ("x*sigmoid(x)", [], []),
    ("abs(x - 0.3) + where(x < -2, -1, 0)", [0.3], [-2.0]),
    ("clamp(x, -1.5, 2)", [-1.5, 2.0], []),
])
def test_breakpoints_of_expressions_are_detected(invoke, text, kinks, jumps):
    (series,) = _series(invoke, text, "--grad", "--points", 101)
    assert series["kinks"] == kinks and series["jumps"] == jumps
    assert series["detected"] == sorted(kinks + jumps)


def test_detected_breakpoints_are_marked_labelled_and_checked(invoke):
    figure = actplot.plot("max(x, 0)", grad=True)
    labels = [t.get_text() for ax in figure.axes if ax.get_legend()
              for t in ax.get_legend().get_texts()]
    assert "kink: no derivative (detected)" in labels
    result = invoke("max(x, 0)", "where(x >= 1, 1, 0)", "--check")
    assert result.exit_code == 0, result.output
    assert "detected kink at x=0: right slope 1" in result.stdout
    assert "detected jump at x=1: right value 1" in result.stdout


def _detection_cases():
    for name, entry in REGISTRY.items():
        if not entry.vector:
            yield pytest.param(name, {}, id=name)
    for name, params in [("hardtanh", {"min_val": -2.0, "max_val": 3.0}),
                         ("threshold", {"threshold": 2.0, "value": 2.0}),
                         ("leaky_relu", {"negative_slope": 1.0}), ("elu", {"alpha": 0.5}),
                         ("srelu", {"t_left": -2.5, "a_left": 0.5, "t_right": 3.0, "a_right": 2.0}),
                         ("hardshrink", {"lambd": 1.25})]:
        yield pytest.param(name, params, id=f"{name}-{'-'.join(map(str, params.values()))}")


@pytest.mark.parametrize("name, params", list(_detection_cases()))
def test_detection_on_every_builtin_agrees_with_its_declarations(name, params):
    entry = REGISTRY[name]
    params = {**entry.defaults(), **params}
    declared = [b for b in entry.breakpoints(params) if -7.5 <= b.x <= 7.5]
    found = detect(entry, params, -7.5, 7.5)
    assert [b.x for b in found] == pytest.approx([b.x for b in declared], abs=1e-9)
    for got, want in zip(found, declared):
        assert got.is_jump == want.is_jump and got.detected
        assert got.left_slope == pytest.approx(want.left_slope, abs=1e-5)
        assert got.right_slope == pytest.approx(want.right_slope, abs=1e-5)
        if want.is_jump:
            assert got.left_value == pytest.approx(want.left_value, abs=1e-6)
            assert got.right_value == pytest.approx(want.right_value, abs=1e-6)


# ---- imports ----------------------------------------------------------------------------------

def test_seed_001_h_sigmoid_and_h_swish_plot_with_their_derivatives(invoke, tmp_path):
    swish, sigmoid = _series(invoke, f"{SEED_FILE}:h_swish", f"{SEED_FILE}:h_sigmoid", "--grad",
                             "--dtype", "float64", "--points", 61)
    x = np.array(swish["x"])
    away = np.abs(np.abs(x) - 3) > 1e-6
    hard_sigmoid = np.clip(x + 3, 0, 6) / 6
    np.testing.assert_allclose(np.array(sigmoid["y"])[away], hard_sigmoid[away], rtol=1e-15)
    np.testing.assert_allclose(np.array(swish["y"])[away], (x * hard_sigmoid)[away], rtol=1e-15)
    slope = np.where(np.abs(x) < 3, (2 * x + 3) / 6, np.where(x > 3, 1.0, 0.0))
    np.testing.assert_allclose(np.array(swish["dy"])[away], slope[away], atol=1e-15)
    assert swish["kinks"] == sigmoid["kinks"] == [-3.0, 3.0]
    figure = tmp_path / "hswish.png"
    result = invoke(f"{SEED_FILE}:h_swish", "--grad", "-p", "inplace=false", "-o", figure)
    assert result.exit_code == 0 and figure.stat().st_size > 0
    assert actplot.plot(f"{SEED_FILE}:h_swish").axes[0].get_title() == "h_swish"


MODULE = textwrap.dedent('''
    """My activations."""
    import torch

    def scaled_tanh(x, scale=2.0):
        """tanh, scaled."""
        return scale * torch.tanh(x)

    SOFTPLUS2 = torch.nn.Softplus(beta=2.0)

    class Shifted(torch.nn.Module):
        def __init__(self, shift=1.0, sharp=False):
            super().__init__()
            self.shift, self.sharp = shift, sharp

        def forward(self, x):
            return torch.relu(x - self.shift) if self.sharp else torch.nn.functional.softplus(x - self.shift)

    def to_numpy(x):
        return torch.from_numpy(x.detach().numpy() * 2)

    def fails(x):
        raise ValueError("no luck\\nsecond line")

    def wrong_shape(x):
        return x.sum()

    NOT_A_FUNCTION = 3
''')


@pytest.fixture
def user_module(tmp_path):
    (tmp_path / "myacts.py").write_text(MODULE)
    yield tmp_path
    sys.modules.pop("myacts", None)


@pytest.fixture
def in_user_folder(user_module, monkeypatch):
    """In-process runs from the folder that holds myacts.py, as a user's shell would be."""
    monkeypatch.chdir(user_module)
    monkeypatch.syspath_prepend(str(user_module))
    return user_module


def test_module_attr_from_the_current_folder_a_function_class_and_instance(user_module):
    result = run_actplot("myacts:scaled_tanh", "myacts:Shifted", "myacts:SOFTPLUS2",
                         "-p", "scale=3", "-p", "Shifted.sharp=true", "--grad", "--json",
                         "--points", 21, "--dtype", "float64", cwd=user_module)
    assert result.returncode == 0, result.stderr
    scaled, shifted, softplus = json.loads(result.stdout)["series"]
    x = np.array(scaled["x"])
    np.testing.assert_allclose(scaled["y"], 3 * np.tanh(x), rtol=1e-14)
    np.testing.assert_allclose(scaled["dy"], 3 * (1 - np.tanh(x) ** 2), rtol=1e-13, atol=1e-15)
    assert shifted["params"] == {"shift": 1.0, "sharp": True} and shifted["kinks"] == [1.0]
    np.testing.assert_allclose(softplus["y"], np.log1p(np.exp(2 * x)) / 2, rtol=1e-13)


@pytest.mark.parametrize("target, code, message", [
    ("nomodule_xyz:f", 2, "importing nomodule_xyz (for 'nomodule_xyz:f') failed: ModuleNotFoundError"),
    ("missing.py:f", 2, "there is no file"),
    ("myacts:nothing", 2, "myacts has no attribute 'nothing'"),
    ("myacts:NOT_A_FUNCTION", 2, "is a int; an import path must name a function"),
    ("myacts:fails", 1, "myacts:fails failed: ValueError: no luck"),
    ("myacts:wrong_shape", 1, "returned a tensor of shape ()"),
    ("myacts:to_numpy", 1, "no autograd history"),
])
def test_import_errors_are_one_line(invoke, in_user_folder, target, code, message):
    result = invoke(target, "--grad", "-o", "out.png")
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (in_user_folder / "out.png").exists()


@pytest.mark.slow
def test_imports_in_a_batch_spec_and_the_api(user_module):
    """A FILE.py path in a spec is relative to the spec's folder, as outputs are."""
    shutil.copy(SEED_FILE, user_module / "seed.py")
    spec = user_module / "mine.toml"
    spec.write_text(textwrap.dedent("""
        [[figure]]
        functions = ["seed.py:h_swish", "myacts:scaled_tanh"]
        grad = true
        output = "mine.svg"

        [[figure]]
        functions = "seed.py:h_sigmoid"
    """))
    result = run_actplot("batch", spec, "-q", "-j", "2", cwd=user_module)
    assert result.returncode == 0, result.stderr
    assert (user_module / "mine.svg").stat().st_size > 0
    assert (user_module / "h_sigmoid.png").stat().st_size > 0
    series = actplot.evaluate(f"{SEED_FILE}:h_sigmoid", at=[-4.0, 0.0, 1.5], grad=True,
                              dtype="float64")
    np.testing.assert_allclose(series.y, [0.0, 0.5, 0.75])
    np.testing.assert_allclose(series.dy, [0.0, 1 / 6, 1 / 6])


# ---- plugins ----------------------------------------------------------------------------------



@pytest.mark.slow
def test_an_installed_plugin_is_listed_plotted_and_checked(plugin_site, tmp_path):
    env = with_site(plugin_site)
    listing = run_actplot("list", env=env)
    assert listing.returncode == 0 and listing.stderr == ""
    assert "plugins:\n  biased_relu: ReLU that switches on at x = bias." in listing.stdout
    assert "from the package actplot-plugin-demo" in listing.stdout
    document = json.loads(run_actplot("list", "--json", env=env).stdout)
    assert document["soft_sign_square"]["distribution"] == "actplot-plugin-demo"
    data = run_actplot("biased_relu", "-p", "bias=0.5", "--grad", "--json", env=env)
    (series,) = json.loads(data.stdout)["series"]
    assert series["kinks"] == [0.5] and series["detected"] == []
    x = np.array(series["x"])
    np.testing.assert_allclose(series["y"], np.maximum(x - 0.5, 0), atol=1e-7)
    figure = run_actplot("sss", "--grad", "-o", tmp_path / "sss.png", env=env)
    assert figure.returncode == 0 and (tmp_path / "sss.png").stat().st_size > 0
    assert run_actplot("biased_relu", "--check", env=env).returncode == 0


@pytest.mark.slow
def test_finding_plugins_imports_neither_torch_nor_matplotlib(plugin_site):
    result = run_actplot("list", env=with_site(plugin_site), python_flags=("-X", "importtime"))
    assert result.returncode == 0 and "biased_relu" in result.stdout
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    assert "actplot.plugin" in imported  # the plugin was loaded, through the public API
    assert not any(name.split(".")[0] in ("torch", "matplotlib") for name in imported)


def _broken_distribution(folder: Path) -> Path:
    """A distribution whose entry point names a module that is not there."""
    info = folder / "broken_acts-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-acts\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[actplot.activations]\nbroken = no_such_module:ACTS\n")
    return folder


@pytest.mark.slow
def test_a_broken_plugin_is_one_warning_and_everything_else_works(plugin_site, tmp_path):
    env = with_site(plugin_site, _broken_distribution(tmp_path / "broken"))
    listing = run_actplot("list", env=env)
    assert listing.returncode == 0
    assert listing.stderr.strip().splitlines() == [
        "Warning: plugin 'broken' (no_such_module:ACTS, from broken-acts) failed: "
        "ModuleNotFoundError: No module named 'no_such_module'; skipping it"]
    assert "biased_relu" in listing.stdout and "  relu: " in listing.stdout
    plotted = run_actplot("biased_relu", "relu", "--grad", "-o", tmp_path / "both.png", env=env)
    assert plotted.returncode == 0 and (tmp_path / "both.png").exists()


@pytest.mark.slow
def test_plugins_in_a_batch_spec_and_the_api(plugin_site, tmp_path, monkeypatch):
    spec = tmp_path / "plugins.toml"
    spec.write_text('[[figure]]\nfunctions = ["biased_relu", "sss"]\nparams = { bias = 2.0 }\n'
                    'output = "plugins.png"\n')
    result = run_actplot("batch", spec, "-q", env=with_site(plugin_site))
    assert result.returncode == 0, result.stderr
    from actplot import entrypoints

    monkeypatch.syspath_prepend(str(plugin_site))
    entrypoints.forget()
    try:
        series = actplot.evaluate("biased_relu", params={"bias": 2.0}, at=[1.0, 3.0], grad=True)
        assert list(series.y) == [0.0, 1.0] and list(series.dy) == [0.0, 1.0]
    finally:
        entrypoints.forget()


# ---- the 60 built-ins -------------------------------------------------------------------------

def test_sixty_builtins_each_with_a_source():
    assert len(REGISTRY) == 60
    assert all(entry.source for entry in REGISTRY.values())


def test_a_curve_stops_where_the_function_is_undefined(invoke, tmp_path):
    (series,) = _series(invoke, "soft_exponential", "-p", "alpha=-0.5", "--grad", "--points", 41)
    x, y = np.array(series["x"]), series["y"]
    assert all(v is None for v, at in zip(y, x) if at <= -1.5)
    assert all(v is not None and math.isfinite(v) for v, at in zip(y, x) if at > -1.5)
    result = invoke("soft_exponential", "-p", "alpha=-0.5,0.5", "--order", 2, "-o",
                    tmp_path / "se.png")
    assert result.exit_code == 0 and result.stderr == ""
    (record,) = actplot.info("soft_exponential", params={"alpha": -0.5})
    assert record["domain"] == [-1.5, None]
