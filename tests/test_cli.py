"""The plot command end to end: every function, every format, bad input, JSON, start-up cost."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from actplot import __version__
from actplot.registry import REGISTRY

from .conftest import run_actplot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _assert_figure(path: Path, fmt: str) -> None:
    data = path.read_bytes()
    if fmt == "png":
        assert data.startswith(PNG_MAGIC)
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert width > 300 and height > 200
    elif fmt == "svg":
        root = ET.fromstring(data)
        assert root.tag.endswith("svg")
        assert len(list(root.iter())) > 50  # axes, ticks and curves, not an empty canvas
    else:
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")


def _render_cases():
    """Every function with f' in PNG in the quick run; the other pairings in the slow one."""
    for name in REGISTRY:
        for grad in (False, True):
            for fmt in ("png", "svg"):
                quick = grad and fmt == "png"
                yield pytest.param(name, grad, fmt, id=f"{name}-{'grad' if grad else 'f'}-{fmt}",
                                   marks=() if quick else pytest.mark.slow)


@pytest.mark.parametrize("name, grad, fmt", list(_render_cases()))
def test_every_function_renders(invoke, tmp_path, name, grad, fmt):
    out = tmp_path / f"{name}.{fmt}"
    args = [name, "-o", out, "--points", 100, "--dpi", 80] + (["--grad"] if grad else [])
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    _assert_figure(out, fmt)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left behind


def test_main_job_in_a_real_process(tmp_path):
    result = run_actplot("relu", "--range", "-20", "20", "--grad", "-o", "relu.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "relu.png\n"
    _assert_figure(tmp_path / "relu.png", "png")


def test_pdf_and_format_option(invoke, tmp_path):
    result = invoke("leaky_relu", "-p", "negative_slope=0.1", "--grad", "-o", tmp_path / "l.pdf")
    assert result.exit_code == 0
    _assert_figure(tmp_path / "l.pdf", "pdf")
    result = invoke("relu", "--format", "svg", "-o", tmp_path / "noext")
    assert result.exit_code == 0
    _assert_figure(tmp_path / "noext", "svg")


def test_default_output_is_first_function_png(invoke, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("sigmoid", "tanh", "--grad")
    assert result.exit_code == 0
    assert result.stdout == "sigmoid.png\n"
    _assert_figure(tmp_path / "sigmoid.png", "png")


def test_aliases_and_case(invoke):
    result = invoke("h_swish", "SGN", "lrelu", "--at", "1", "--json")
    names = [s["function"] for s in json.loads(result.stdout)["series"]]
    assert names == ["hardswish", "sign", "leaky_relu"]


def test_at_table_with_negative_numbers(invoke):
    result = invoke("relu", "--at", "-1,2,-3,4,0")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "relu (float32, cpu)"
    rows = [line.split() for line in lines[2:]]
    assert rows == [["-1.0", "0.0"], ["2.0", "2.0"], ["-3.0", "0.0"], ["4.0", "4.0"], ["0.0", "0.0"]]


def test_at_repeats_and_prints_derivatives(invoke):
    result = invoke("sigmoid", "--at", "-1", "--at", "2", "--grad", "--dtype", "float64")
    rows = [line.split() for line in result.stdout.splitlines()[2:]]
    for x, y, dy in rows:
        s = 1 / (1 + np.exp(-float(x)))
        assert float(y) == pytest.approx(s, rel=1e-15)
        assert float(dy) == pytest.approx(s * (1 - s), rel=1e-15)


def test_json_schema(invoke):
    result = invoke("sigmoid", "leaky_relu", "--at", "-1,2,-3,4,0", "--grad", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert list(document) == ["series"]
    first, second = document["series"]
    assert [s["function"] for s in document["series"]] == ["sigmoid", "leaky_relu"]
    assert {"function", "params", "device", "dtype", "x", "y", "dy"} <= set(first)
    assert first["device"] == "cpu" and first["dtype"] == "float32"
    assert first["params"] == {} and second["params"] == {"negative_slope": 0.1}
    assert first["x"] == [-1.0, 2.0, -3.0, 4.0, 0.0]
    expected = [1 / (1 + np.exp(-x)) for x in first["x"]]
    np.testing.assert_allclose(first["y"], expected, rtol=1e-7)
    # float32 autograd forms y * (1 - y): 1 - y loses digits as y nears 1 (x = 4)
    np.testing.assert_allclose(first["dy"], [s * (1 - s) for s in expected], rtol=5e-6)
    assert second["dy"] == [0.1, 1.0, 0.1, 1.0, 0.1]  # torch's convention at 0: the left slope


def test_json_has_no_dy_without_grad_and_every_param(invoke):
    result = invoke("rrelu", "hardtanh", "--at", "0.5", "--json")
    first, second = json.loads(result.stdout)["series"]
    assert "dy" not in first
    assert set(first["params"]) == {"lower", "upper", "training", "seed"}
    assert second["params"] == {"min_val": -1.0, "max_val": 1.0}


def test_float32_values_are_shortest_round_trip(invoke):
    result = invoke("sigmoid", "--at", "1", "--json")
    (y,) = json.loads(result.stdout)["series"][0]["y"]
    assert y == 0.7310586  # float32(sigmoid(1)), printed as the shortest decimal that reads back


def test_data_files(invoke, tmp_path):
    assert invoke("tanh", "--points", 11, "--grad", "-o", tmp_path / "t.json").exit_code == 0
    (series,) = json.loads((tmp_path / "t.json").read_text())["series"]
    assert len(series["x"]) == 11 and series["x"][0] == -5.0
    assert invoke("tanh", "--points", 11, "--grad", "-o", tmp_path / "t.csv").exit_code == 0
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines[0] == "function,compose,x,y,dy"
    assert len(lines) == 12
    name, _, x, y, dy = lines[1].split(",")
    assert name == "tanh" and float(y) == pytest.approx(np.tanh(-5.0), rel=1e-6)


def test_param_applies_to_every_function_that_has_it(invoke):
    result = invoke("elu", "celu", "relu", "-p", "alpha=2", "--at", "-1", "--json")
    series = json.loads(result.stdout)["series"]
    assert [s["params"] for s in series] == [{"alpha": 2.0}, {"alpha": 2.0}, {}]
    assert series[0]["y"][0] == pytest.approx(2 * (np.exp(-1) - 1), rel=1e-6)
    assert series[1]["y"][0] == pytest.approx(2 * (np.exp(-0.5) - 1), rel=1e-6)


def test_targeted_param(invoke):
    result = invoke("elu", "celu", "-p", "celu.alpha=2", "--at", "-1", "--json")
    series = json.loads(result.stdout)["series"]
    assert [s["params"]["alpha"] for s in series] == [1.0, 2.0]


def test_gelu_tanh_float64(invoke, tmp_path):
    result = invoke("gelu", "-p", "approximate=tanh", "--points", 2001, "--device", "auto",
                    "--dtype", "float64", "-o", tmp_path / "gelu.json")
    assert result.exit_code == 0
    (series,) = json.loads((tmp_path / "gelu.json").read_text())["series"]
    x = np.array(series["x"])
    assert len(x) == 2001 and series["dtype"] == "float64" and series["device"] == "cpu"
    want = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(series["y"], want, rtol=1e-12, atol=1e-15)


def unwritable_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        (folder / "probe").touch()
    except OSError:
        return folder
    (folder / "probe").unlink()
    try:  # root ignores folder modes; /sys refuses new files even to root
        (Path("/sys") / "actplot-probe").touch()
    except OSError:
        return Path("/sys")
    pytest.skip("no folder here refuses writes to this user (root ignores modes)")


BAD_INPUT = [
    pytest.param(["rleu"], "unknown function 'rleu'; did you mean 'relu'?", id="unknown-function"),
    pytest.param(["sigmod"], "did you mean 'sigmoid'?", id="unknown-function-2"),
    pytest.param(["relu", "-p", "alpha=2"], "unknown parameter 'alpha'; relu takes none",
                 id="unknown-param"),
    pytest.param(["elu", "-p", "alpha=abc"], "elu.alpha: 'abc' is not a finite number", id="bad-value"),
    pytest.param(["softplus", "-p", "beta=-1"], "softplus.beta: '-1' is not a finite number > 0",
                 id="out-of-range-value"),
    pytest.param(["gelu", "-p", "approximate=fast"], "is not one of none, tanh", id="bad-choice"),
    pytest.param(["relu", "-p", "x"], "'x' is not NAME=VALUE", id="bad-assignment"),
    pytest.param(["relu", "elu", "-p", "sigmoid.alpha=1"], "sigmoid is not among the functions",
                 id="param-target-absent"),
    pytest.param(["hardtanh", "-p", "min_val=2"], "min_val (2) must be less than max_val (1)",
                 id="param-relation"),
    pytest.param(["relu", "--range", "5", "-5"], "min (5) must be less than max (-5)", id="min-ge-max"),
    pytest.param(["relu", "--range", "1", "1"], "min (1) must be less than max (1)", id="min-eq-max"),
    pytest.param(["relu", "--range", "0", "inf"], "range must be finite", id="infinite-range"),
    pytest.param(["relu", "--range", "nan", "1"], "range must be finite", id="nan-range"),
    pytest.param(["relu", "--range", "-1e5", "1e5", "--dtype", "float16"], "does not fit float16",
                 id="range-beyond-dtype"),
    pytest.param(["relu", "--points", "1"], "points must be an integer from 2 to 1000000",
                 id="too-few-points"),
    pytest.param(["relu", "--points", "2000000"], "from 2 to 1000000", id="too-many-points"),
    pytest.param(["softmax", "--points", "6000"], "from 2 to 5000", id="too-many-vector-points"),
    pytest.param(["relu", "--device", "cuda:7"], "'cuda:7' is not available here; available: auto, cpu",
                 id="device-absent"),
    pytest.param(["relu", "--device", "tpu"], "'tpu' is not a device; use auto, cpu, cuda, cuda:N or mps",
                 id="device-unknown"),
    pytest.param(["relu", "--dtype", "float8"], "'float8' is not one of", id="dtype"),
    pytest.param(["relu", "-o", "OUT/relu.bmp"], "unknown output format '.bmp'; use one of .png, .svg",
                 id="format-extension"),
    pytest.param(["relu", "-o", "OUT/relu.png", "--format", "svg"], "'svg' disagrees with",
                 id="format-mismatch"),
    pytest.param(["relu", "-o", "OUT/missing/relu.png"], "folder", id="missing-folder"),
    pytest.param(["relu", "--at", "1,x"], "'1,x' is not a comma-separated list of numbers", id="bad-at"),
    pytest.param(["relu", "--at", "1,2", "-o", "OUT/r.png"], "for a figure, use --range",
                 id="at-with-figure"),
    pytest.param(["relu", "--jacobian"], "relu acts element-wise", id="jacobian-elementwise"),
    pytest.param(["relu", "--train"], "applies only to rrelu", id="train-without-rrelu"),
    pytest.param(["relu", "--compose", "0"], "each compose depth must be an integer from 1 to 64",
                 id="compose-zero"),
    pytest.param(["relu", "--order", "4"], "4 is not in the range 0<=x<=3", id="order"),
    pytest.param(["relu", "--title", "$\\frac{$", "-o", "OUT/t.png"], "is not valid mathtext",
                 id="bad-mathtext"),
]


@pytest.mark.parametrize("args, message", BAD_INPUT)
def test_bad_input_is_one_line_exit_2_and_no_file(invoke, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "OUT").mkdir()
    args = [a.replace("OUT", str(tmp_path / "OUT")) for a in args]
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert message in lines[0]
    assert "Traceback" not in result.stderr
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert leftovers == []


def test_unwritable_folder(invoke, tmp_path):
    folder = unwritable_folder(tmp_path)
    result = invoke("relu", "-o", folder / "relu.png")
    assert result.exit_code == 2
    assert f"cannot write in folder '{folder}'" in result.stderr
    assert not (folder / "relu.png").exists()


def test_output_that_is_a_folder(invoke, tmp_path):
    result = invoke("relu", "-o", tmp_path)
    assert result.exit_code == 2
    assert "is a directory" in result.stderr or "is a folder" in result.stderr


def test_failure_while_running_exits_1_and_leaves_no_file(invoke, tmp_path):
    # torch has no half-precision rrelu in training mode on the CPU: a failure while running
    out = tmp_path / "r.png"
    result = invoke("rrelu", "--train", "--seed", "1", "--dtype", "float16", "-o", out)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: rrelu: torch cannot compute this in float16 on cpu")
    assert len(result.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_failed_save_leaves_previous_file_intact(invoke, tmp_path, monkeypatch):
    out = tmp_path / "relu.png"
    assert invoke("relu", "-o", out).exit_code == 0
    before = out.read_bytes()

    def broken_save(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("actplot.render.save_figure", broken_save)
    result = invoke("relu", "--grad", "-o", out)
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["relu.png"]


def test_errors_in_a_real_process_have_no_traceback(tmp_path):
    result = run_actplot("rleu", "-o", "x.png", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_version_and_help():
    assert run_actplot("--version").stdout.strip() == f"actplot, version {__version__}"
    result = run_actplot("--help")
    assert result.returncode == 0
    assert "actplot relu --range -20 20 --grad -o relu.png" in result.stdout
    plot_help = run_actplot("plot", "--help").stdout
    for option in ("--range", "--points", "--param", "--grad", "--order", "--device", "--dtype",
                   "--output", "--format", "--dpi", "--size", "--title", "--at", "--json",
                   "--check", "--jacobian", "--compose", "--train", "--seed", "--show"):
        assert option in plot_help


def test_list_shows_every_function_alias_and_parameter(invoke):
    result = invoke("list")
    assert result.exit_code == 0
    for name, entry in REGISTRY.items():
        assert re.search(rf"^  {name}\b", result.stdout, re.M)
        assert f"source: {entry.source}" in result.stdout
        for alias in entry.aliases:
            assert alias in result.stdout
        for p in entry.params:
            assert f"{p.name}=" in result.stdout
    assert "negative_slope=0.1" in result.stdout and "pytorch#56363" in result.stdout
    document = json.loads(invoke("list", "--json").stdout)
    assert set(document) == set(REGISTRY)
    assert document["hardtanh"]["params"]["max_val"]["default"] == 1.0


def _imported_modules(*args) -> set[str]:
    result = run_actplot(*args, python_flags=("-X", "importtime"))
    assert result.returncode == 0, result.stderr
    names = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    assert "click" in names  # the parse worked: importtime output was read
    return names


@pytest.mark.parametrize("args", [["--help"], ["list"], ["plot", "--help"], ["--version"],
                                  ["fit", "--help"], ["info", "--help"]], ids=" ".join)
def test_help_and_list_import_neither_torch_nor_matplotlib(args):
    imported = _imported_modules(*args)
    assert "torch" not in imported
    assert "matplotlib" not in imported


def test_plotting_imports_torch_and_matplotlib_but_not_pyplot(tmp_path):
    """No pyplot, and so no window, without --show: files are drawn with the Agg canvas."""
    result = run_actplot("relu", "--grad", "-o", tmp_path / "r.png", python_flags=("-X", "importtime"))
    assert result.returncode == 0
    imported = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:") and "|" in line}
    assert {"torch", "matplotlib", "matplotlib.backends.backend_agg"} <= imported
    assert "matplotlib.pyplot" not in imported


def test_show_without_a_display_says_so(tmp_path):
    result = run_actplot("relu", "--show", cwd=tmp_path, env={"MPLBACKEND": "agg"})
    assert result.returncode == 1
    assert result.stderr.startswith("Error: --show: no window can open here")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_function_as_table_csv_and_json_to_third_order(invoke, tmp_path, name):
    table = invoke(name, "--at", "-1,0.5,2", "--order", 3)
    assert table.exit_code == 0, table.stderr
    assert len(table.stdout.splitlines()) == 5
    assert invoke(name, "--points", 20, "--order", 3, "-o", tmp_path / "d.csv").exit_code == 0
    assert len((tmp_path / "d.csv").read_text().splitlines()) > 20
    document = json.loads(invoke(name, "--points", 20, "--order", 3, "--json").stdout)
    assert {"dy", "d2y", "d3y"} <= set(document["series"][0])
