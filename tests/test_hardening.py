"""Bad input at the edges: wrong types in the API and in batch specs (fuzzed with hypothesis),
numbers and texts at the extremes, options that cannot apply together, resource budgets, quoting,
warnings, standard output and the bare command. One line, exit 2, no file; never a traceback."""

from __future__ import annotations

import datetime
import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import actplot
from actplot import batch
from actplot.errors import SpecError
from actplot.registry import REGISTRY

from .conftest import run_actplot


def _assert_usage_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ") and "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


# ---- the Python API: every bad argument type is a SpecError naming the field --------------------

API_BAD_TYPES = [
    pytest.param(dict(range=None), "range", id="range-None"),
    pytest.param(dict(range="0,1"), "range", id="range-text"),
    pytest.param(dict(range=[0, "1"]), "range", id="range-item-text"),
    pytest.param(dict(params=5), "params", id="params-number"),
    pytest.param(dict(params=[1, 2]), "params", id="params-list"),
    pytest.param(dict(size=7), "size", id="size-number"),
    pytest.param(dict(size=[1, 2, 3]), "size", id="size-three"),
    pytest.param(dict(at=1), "at", id="at-number"),
    pytest.param(dict(at="1,2"), "at", id="at-text"),
    pytest.param(dict(compose=2), "compose", id="compose-number"),
    pytest.param(dict(compose="12"), "compose", id="compose-text"),
    pytest.param(dict(grad="yes"), "grad", id="grad-text"),
    pytest.param(dict(grad=1), "grad", id="grad-int"),
    pytest.param(dict(jacobian="false"), "jacobian", id="jacobian-text"),
    pytest.param(dict(points="100"), "points", id="points-text"),
    pytest.param(dict(points=True), "points", id="points-bool"),
    pytest.param(dict(order=1.5), "order", id="order-fraction"),
    pytest.param(dict(dtype=32), "dtype", id="dtype-number"),
    pytest.param(dict(device=0), "device", id="device-number"),
    pytest.param(dict(title=3), "title", id="title-number"),
    pytest.param(dict(dpi="300"), "dpi", id="dpi-text"),
    pytest.param(dict(rnage=(0, 1)), "rnage", id="unknown-keyword"),
]


@pytest.mark.parametrize("options, field", API_BAD_TYPES)
def test_api_bad_types_raise_spec_error(options, field):
    with pytest.raises(SpecError) as caught:
        actplot.evaluate("relu", **options)
    assert caught.value.field == field
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("call", [
    lambda: actplot.evaluate(3),
    lambda: actplot.evaluate([None]),
    lambda: actplot.save("out.png", "relu", format=3),
    lambda: actplot.save(None, "relu"),
    lambda: actplot.save("a\0b.png", "relu"),
], ids=["functions-number", "functions-None", "format-number", "path-None", "path-NUL"])
def test_api_other_bad_arguments(call, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError):
        call()
    assert list(tmp_path.iterdir()) == []


def test_unknown_keyword_suggests_the_closest():
    with pytest.raises(SpecError, match="unknown option 'rnage'; did you mean 'range'"):
        actplot.plot("relu", rnage=(0, 1))
    with pytest.raises(SpecError, match="did you mean 'points'"):
        actplot.evaluate("relu", pionts=10)


# ---- batch specs: only TOML booleans are booleans, only arrays are lists -----------------------

def _load(tmp_path: Path, body: str):
    spec = tmp_path / "figures.toml"
    spec.write_text(body)
    return batch.load_spec(spec)


@pytest.mark.parametrize("line, key", [
    ('grad = "false"', "grad"),
    ('grad = 1', "grad"),
    ('compose = "12"', "compose"),
    ('range = "0 1"', "range"),
    ("range = 1979-05-27", "range"),
    ("range = [[0, 1]]", "range"),
    ("points = 10.5", "points"),
    ('points = "100"', "points"),
    ("title = 12:30:00", "title"),
    ("size = { w = 3 }", "size"),
    ("at = true", "at"),
    ("params = [1, 2]", "params"),
    ("params = { alpha = 1979-05-27 }", "params"),
    ("params = { alpha = [[1, 2]] }", "params"),
    ("output = 3", "output"),
    ('format = ["png"]', "format"),
    ("seed = 2.5", "seed"),
    ("dtype = false", "dtype"),
    ('functions = "relu"', None),
], ids=lambda v: v if isinstance(v, str) else "")
def test_wrong_toml_types_are_refused_not_reinterpreted(tmp_path, line, key):
    body = f'[[figure]]\nfunctions = ["elu"]\n{line}\n' if not line.startswith("functions") \
        else f"[[figure]]\n{line}\n"
    if key is None:  # a single name is as good as a list of one: accepted, and drawn as elu
        (job,) = _load(tmp_path, body)
        assert job.spec.functions == ("relu",)
        return
    if key == "seed":
        body = body.replace('["elu"]', '["rrelu"]\ntrain = true')
    with pytest.raises(SpecError) as caught:
        _load(tmp_path, body)
    message = str(caught.value)
    assert message.startswith("figures.toml: figure 1") and f"key '{key}'" in message
    assert "\n" not in message


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


SCALARS = st.one_of(
    st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(["relu", "png", "svg", "x.png", "../x.png", "float64", "cpu", "sub/a.svg",
                     "$x$", "$\\frac{$", ".actplot-manifest.json", "a\0b.png"]),
    st.dates(), st.datetimes(), st.times())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["alpha", "relu", "elu", "x", "negative_slope"]), inner,
                    max_size=3)), max_leaves=8)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(batch.SPEC_KEYS), value=VALUES, in_defaults=st.booleans())
def test_fuzzed_spec_values_load_or_are_one_line_usage_errors(key, value, in_defaults):
    with tempfile.TemporaryDirectory() as folder:
        table = f"{key} = {_toml(value)}\n"
        body = (f"[defaults]\n{table}[[figure]]\nfunctions = [\"elu\", \"rrelu\"]\n" if in_defaults
                else f"[[figure]]\nfunctions = [\"elu\", \"rrelu\"]\n{table}")
        if key == "functions":
            body = f"[[figure]]\n{table}"
        spec = Path(folder) / "figures.toml"
        spec.write_text(body)
        try:
            jobs = batch.load_spec(spec)
        except SpecError as error:
            assert "\n" not in error.message
            assert error.message.startswith(f"{spec}: ") or error.message.startswith("figures.toml")
        else:
            assert jobs and all(isinstance(job.spec, actplot.FigureSpec) for job in jobs)


# ---- confinement and output folders ------------------------------------------------------------

def test_a_symlinked_folder_pointing_outside_is_refused(invoke, tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir(), outside.mkdir()
    (root / "link").symlink_to(outside)
    spec = root / "figures.toml"
    spec.write_text('[[figure]]\nfunctions = ["relu"]\noutput = "link/relu.png"\n')
    _assert_usage_error(invoke("batch", spec), "'link/relu.png' is outside")
    assert list(outside.iterdir()) == []
    assert invoke("batch", spec, "--allow-outside", "-q").exit_code == 0
    assert (outside / "relu.png").exists()


@pytest.mark.parametrize("output, message", [
    ("a\\u0000b.png", "NUL"),
    ("file.png/relu.png", "is a file, not a folder"),
    (".actplot-manifest.json", "is actplot's own file"),
    ("index.html", "unknown output format '.html'"),
    ("sub", "is a folder"),
])
def test_bad_output_paths_in_a_spec(invoke, tmp_path, output, message):
    (tmp_path / "file.png").write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    spec = tmp_path / "figures.toml"
    spec.write_text(f'[[figure]]\nfunctions = ["relu"]\noutput = "{output}"\n')
    _assert_usage_error(invoke("batch", spec), message)


def test_out_dir_that_is_a_file(invoke, tmp_path):
    (tmp_path / "taken").write_text("x")
    spec = tmp_path / "figures.toml"
    spec.write_text('[[figure]]\nfunctions = ["relu"]\n')
    result = invoke("batch", spec, "--out-dir", tmp_path / "taken")
    assert result.exit_code == 2 and "is a file" in result.stderr
    assert invoke("gallery", "-o", tmp_path / "taken").exit_code == 2


# ---- quoting and control characters ------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["re\nlu"], ["rel\x1bu"], ["relu", "-p", "al\npha=1"], ["elu", "-p", "alpha=\x07"],
    ["elu", "-p", "alpha=1\n2"],
], ids=["newline-name", "escape-name", "newline-param", "bell-value", "newline-value"])
def test_echoed_input_stays_on_one_line_without_control_characters(invoke, args):
    result = invoke(*args, "--json")
    _assert_usage_error(result)
    assert not any(ord(c) < 32 and c != "\n" for c in result.stderr)
    assert "\\n" in result.stderr or "\\x1b" in result.stderr or "\\x07" in result.stderr


# ---- extremes ----------------------------------------------------------------------------------

def test_huge_seed(invoke):
    _assert_usage_error(invoke("rrelu", "--train", "--seed", 2**70, "--json"), "--seed")


def test_deeply_nested_mathtext_title(invoke, tmp_path):
    title = "$" + "{" * 2000 + "x" + "}" * 2000 + "$"
    _assert_usage_error(invoke("relu", "--title", title, "-o", tmp_path / "t.png"))
    assert list(tmp_path.iterdir()) == []


def test_a_single_dollar_is_plain_text(invoke, tmp_path):
    for args in (["--title", "cost in $ per unit"], ["--title", "$5, $6 and $7"]):
        result = invoke("relu", *args, "-o", tmp_path / "t.png")
        assert result.exit_code == 0, result.stderr
    spec = tmp_path / "figures.toml"
    spec.write_text('[[figure]]\nfunctions = ["relu"]\ntitle = "cost in $ per unit"\n')
    assert invoke("batch", spec, "-q").exit_code == 0


@pytest.mark.parametrize("args, fragment", [
    (["relu", "--size", 100, 100, "--dpi", 2400, "-o", "OUT/r.png"], "use --dpi 100 or less"),
    (["relu", "--size", 20, 20, "--dpi", 2400, "-o", "OUT/r.png"], "use --dpi 500 or less"),
    (["gelu", "--compose", ",".join(map(str, range(1, 65))), "--order", 3, "--points", 1000000,
      "-o", "OUT/g.png"], "GiB budget; use at"),
], ids=["100in-2400dpi", "20in-2400dpi", "compose-64-order-3-1e6"])
def test_resource_budget_is_checked_up_front(invoke, tmp_path, args, fragment):
    import time

    args = [str(a).replace("OUT", str(tmp_path)) for a in args]
    started = time.monotonic()
    _assert_usage_error(invoke(*args), fragment)
    assert time.monotonic() - started < 5
    assert list(tmp_path.iterdir()) == []


def test_gallery_over_the_pixel_budget(invoke, tmp_path):
    _assert_usage_error(invoke("gallery", "-o", tmp_path / "g", "--dpi", 2400, "--format", "png",
                               "--grad"), "megapixel budget")
    assert not (tmp_path / "g").exists()


def test_vector_output_has_no_pixel_budget(invoke, tmp_path):
    result = invoke("relu", "--size", 20, 20, "--dpi", 2400, "--points", 20, "-o",
                    tmp_path / "r.svg")
    assert result.exit_code == 0, result.stderr


def test_chunked_derivatives_equal_one_pass(monkeypatch):
    whole = actplot.evaluate("gelu", compose=[1, 3], order=3, points=500, dtype="float64")
    monkeypatch.setattr("actplot.compute.ELEMENTWISE_CHUNK", 37)
    chunked = actplot.evaluate("gelu", compose=[1, 3], order=3, points=500, dtype="float64")
    for a, b in zip(whole, chunked):
        # the same arithmetic, up to the vector kernels' handling of a chunk's tail
        np.testing.assert_allclose(a.y, b.y, rtol=1e-15, atol=1e-300)
        for da, db in zip(a.derivatives, b.derivatives):
            np.testing.assert_allclose(da, db, rtol=1e-14, atol=1e-300)


EXTREMES = (1e-300, -1e-300, 1e308, -1e308, 3.5e38, 1e-39, 7e4)


@pytest.mark.parametrize("name, parameter", [
    (name, p.name) for name, entry in REGISTRY.items() for p in entry.params if p.kind is float])
def test_parameters_at_the_extremes_are_usage_errors_or_work(name, parameter):
    """celu alpha=1e-300, elu alpha=1e308 and threshold value=1e308 broke in torch (exit 1)."""
    for dtype in ("float32", "float16", "float64"):
        for value in EXTREMES:
            try:
                series = actplot.evaluate(name, params={parameter: value}, points=20, grad=True,
                                          dtype=dtype)
            except SpecError:
                continue
            assert len(series.y) >= 20


def test_extreme_parameter_message(invoke):
    _assert_usage_error(invoke("celu", "-p", "alpha=1e-300", "--json"),
                        "celu.alpha = 1e-300 overflows float32", "--dtype float64")
    _assert_usage_error(invoke("threshold", "-p", "value=1e308", "--json"), "overflows float32")


def test_at_values_beyond_the_dtype(invoke):
    _assert_usage_error(invoke("relu", "--at", "1e39", "--json"), "does not fit float32")
    assert invoke("relu", "--at", "1e39", "--dtype", "float64", "--json").exit_code == 0


# ---- options that cannot apply -----------------------------------------------------------------

@pytest.mark.parametrize("args, fragment", [
    (["--json", "-o", "OUT/x.png"], "--json gives JSON"),
    (["--json", "--format", "csv"], "--json gives JSON"),
    (["--check", "-o", "OUT/x.png"], "--check prints a report"),
    (["--check", "--show"], "drop --show"),
    (["--seed", "3"], "seeds rrelu's random slopes"),
    (["--at", "1", "--show"], "drop --show"),
    (["-o", ""], "the path is empty"),
])
def test_options_that_cannot_apply_are_usage_errors(invoke, tmp_path, args, fragment):
    args = [a.replace("OUT", str(tmp_path)) for a in args]
    _assert_usage_error(invoke("rrelu", *args), fragment)
    assert list(tmp_path.iterdir()) == []


def test_check_as_json(invoke):
    result = invoke("relu", "hardsigmoid", "--check", "--json", "--order", 2)
    assert result.exit_code == 0
    rows = json.loads(result.stdout)["checks"]
    assert {r["function"] for r in rows} == {"relu", "hardsigmoid"}
    assert all(r["passed"] for r in rows)


def test_json_to_a_json_file(invoke, tmp_path):
    assert invoke("relu", "--json", "-o", tmp_path / "r.json", "--points", 5).exit_code == 0
    assert json.loads((tmp_path / "r.json").read_text())["series"][0]["function"] == "relu"


# ---- standard output, the bare command, --show --------------------------------------------------

@pytest.mark.slow
def test_dash_writes_to_standard_output(tmp_path):
    import subprocess
    import sys

    def stdout(*args) -> bytes:
        return subprocess.run([sys.executable, "-m", "actplot", "relu", "-o", "-", *args],
                              capture_output=True, cwd=tmp_path, check=True).stdout

    assert stdout("--grad").startswith(b"\x89PNG")
    svg = stdout("--format", "svg")
    assert svg.startswith(b"<?xml") and svg.rstrip().endswith(b"</svg>")
    assert stdout("--points", "5", "--format", "csv").splitlines()[0] == b"function,compose,x,y"
    assert list(tmp_path.iterdir()) == []


def test_bare_command_prints_help_and_succeeds(invoke):
    result = invoke()
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage: ") and "Plot neural-network" in result.stdout


@pytest.mark.slow
def test_show_without_a_display_still_writes_the_file(tmp_path):
    result = run_actplot("relu", "--show", "-o", tmp_path / "r.png", env={"MPLBACKEND": "agg"})
    assert result.returncode == 0
    assert result.stdout == f"{tmp_path / 'r.png'}\n"
    assert result.stderr.startswith("Warning: --show: no window can open here")
    assert result.stderr.count("\n") == 1
    assert (tmp_path / "r.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
def test_missing_glyphs_are_one_plain_warning_line(tmp_path):
    result = run_actplot("relu", "--title", "激活函数 ReLU", "-o", tmp_path / "zh.png")
    assert result.returncode == 0
    lines = result.stderr.splitlines()
    assert len(lines) <= 1  # none where a CJK font is installed
    if lines:
        assert lines[0].startswith("Warning: ") and "fonts-noto-cjk" in lines[0]
        assert ".py:" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("args", [
    ["relu", "threshold", "--size", "3.2", "2.6", "--grad"],
    ["tanh", "--compose", ",".join(map(str, range(1, 51))), "--grad"],
    ["threshold", "-p", "value=1e30", "--range", "-5", "0"],
], ids=["small", "50-depths", "large-constant"])
def test_runs_that_once_warned_now_do_not(tmp_path, args):
    result = run_actplot(*args, "-o", tmp_path / "x.png")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("bad_figure, fragment", [
    ('title = "$\\\\frac{$"', "key 'title'"),
    ("at = [1, 2]", "key 'at': gives data"),
    ('output = "a\\u0000b.png"', "NUL"),
    ('output = "taken.png/x.png"', "is a file, not a folder"),
    ("dpi = 2400\nsize = [100, 100]", "megapixel budget"),
], ids=["mathtext", "at-with-figure", "nul", "folder-is-file", "pixels"])
def test_the_whole_spec_is_checked_before_anything_is_drawn(invoke, tmp_path, bad_figure, fragment):
    (tmp_path / "taken.png").write_bytes(b"x")
    spec = tmp_path / "figures.toml"
    spec.write_text('[[figure]]\nfunctions = ["relu"]\noutput = "first.png"\n\n'
                    f'[[figure]]\nfunctions = ["tanh"]\n{bad_figure}\n')
    _assert_usage_error(invoke("batch", spec), "figure 2", fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures.toml", "taken.png"]
