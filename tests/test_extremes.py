"""Issue 18: extremes, styles, settings, output cut short, faults and races. Every row is a case
with its exit code and its one line; none leaves a file behind. Fuzzing: expression text (random
nesting, literals, unicode) and [[fit]] tables and style keys in specs may only load or be one
line."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import actplot
from actplot import batch
from actplot.errors import SpecError
from actplot.expressions import MAX_DEPTH
from actplot.spec import FitSpec

from .conftest import run_actplot
from .test_hardening import VALUES, _toml


def _nested(kind: str, depth: int) -> str:
    text = "x"
    for _ in range(depth):
        text = {"sqrt": f"sqrt({text})", "frac": f"1/(1/({text}))", "pow": f"x**({text})"}[kind]
    return text


def _one_line(result, code: int, fragment: str, folder: Path | None = None) -> None:
    assert result.exit_code == code, result.stderr
    assert result.stderr.count("\n") == 1 and fragment in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    if folder is not None:
        assert not [p for p in folder.iterdir() if p.suffix in (".png", ".svg", ".gif")]


# ---- expressions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["sqrt", "frac", "pow"])
@pytest.mark.parametrize("depth", [25, 35, 45])
def test_deep_nesting_is_refused_naming_the_limit(invoke, tmp_path, kind, depth):
    result = invoke(_nested(kind, depth), "-o", tmp_path / "f.png")
    _one_line(result, 2, f"nested more than {MAX_DEPTH} levels deep", tmp_path)


@pytest.mark.parametrize("kind", ["sqrt", "pow"])
def test_the_deepest_allowed_nesting_is_drawn(invoke, tmp_path, kind):
    result = invoke(_nested(kind, MAX_DEPTH), "--points", 50, "-o", tmp_path / "f.png")
    assert result.exit_code == 0 and (tmp_path / "f.png").stat().st_size > 0


@pytest.mark.slow
def test_long_flat_sums_are_not_deep(invoke, tmp_path):
    result = invoke("+".join(["x"] * 200), "--points", 20, "-o", tmp_path / "f.png")
    assert result.exit_code == 0 and "--size" not in result.stderr


@pytest.mark.parametrize("literal", ["9" * 400, "1e400", "1" + "0" * 309])
def test_literals_that_do_not_fit_a_float64_are_refused(invoke, literal):
    _one_line(invoke(f"x*{literal}", "--at", 1), 2, "does not fit a float64")


def test_bytes_that_are_not_utf8_in_argv_are_one_line():
    result = subprocess.run([sys.executable, "-m", "actplot", b"\xff", "--at", "1"],
                            capture_output=True, timeout=120)
    assert result.returncode == 2 and result.stderr.count(b"\n") == 1
    assert b"Traceback" not in result.stderr and b"internal error" not in result.stderr


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(
    st.one_of(st.sampled_from(["x", "pi", "e", "b", "1e400", "9" * 30, "0", "-1", "2.5", "\u00e9",
                               "\u4e2d", "\U0001f600", "relu(x)", "(", ")", "lambda", "''"]),
              st.text(st.characters(exclude_characters="\0", exclude_categories=("Cs",)),
                      max_size=4)),
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["sqrt", "exp", "log", "abs", "tanh", "relu", "nosuch"]),
                  inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "<", " if x>0 else "]),
                  inner).map("".join),
        inner.map(lambda t: f"({t})")), max_leaves=40))
def test_fuzzed_expressions_give_a_value_or_one_usage_line(text):
    from click.testing import CliRunner

    from actplot.cli import cli

    result = CliRunner().invoke(cli, [text, "-p", "b=1", "--at", "0.5"])
    if "unknown parameter 'b'" in result.stderr:
        result = CliRunner().invoke(cli, [text, "--at", "0.5"])
    assert result.exit_code in (0, 2), result.stderr
    if result.exit_code == 2:
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error:")
    assert "Traceback" not in result.stderr and result.exception is None or \
        isinstance(result.exception, SystemExit)


# ---- info ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["log(x)"], ["exp(exp(x))"], ["soft_exponential", "-p",
                                                                  "alpha=1e6"]])
def test_info_json_is_strict(invoke, args):
    result = invoke("info", *args, "--json")
    assert result.exit_code == 0
    json.loads(result.stdout, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))
    assert all(line.startswith("Warning: some values are not finite") for line in
               result.stderr.splitlines())


@pytest.mark.parametrize("args", [["x/0"], ["x*0/0"], ["soft_exponential", "-p", "alpha=-1e6"]])
def test_info_of_a_function_with_no_finite_value_is_one_line(invoke, args):
    _one_line(invoke("info", *args, "--json"), 1, "has no finite value")


# ---- labels, titles, conflicts -----------------------------------------------------------------

@pytest.mark.parametrize("args, fragment", [
    (["relu", "--xlabel", "$\\frac{$"], "'--xlabel'"),
    (["relu", "--ylabel", "$\\frac{$"], "'--ylabel'"),
    (["fit", "relu", "--title", "$\\frac{$"], "'--title'"),
    (["fit", "relu", "--title", "t" * 501], "at most 500"),
    (["fit", "relu", "--json", "-o", "OUT/x.png"], "--json prints the results"),
])
def test_bad_labels_and_conflicts_are_usage_errors_before_any_work(invoke, tmp_path, args,
                                                                    fragment):
    args = [a.replace("OUT", str(tmp_path)) for a in args]
    if "-o" not in args and "--json" not in args:
        args += ["-o", str(tmp_path / "f.png")]
    _one_line(invoke(*args), 2, fragment, tmp_path)


@pytest.mark.slow
def test_a_long_expression_never_blames_a_size_that_was_not_given(invoke, tmp_path):
    expression = "+".join(["x"] * 249)[:499]
    result = invoke(expression, "--points", 20, "-o", tmp_path / "f.png")
    assert result.exit_code == 0, result.stderr
    figure = actplot.plot(expression, points=20)
    assert figure.axes[0].get_title().split(":")[0].endswith("\u2026")


def test_a_bad_title_in_a_spec_is_one_line(invoke, tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('[[fit]]\nfunctions = ["relu"]\ntitle = "$\\\\frac{$"\n')
    _one_line(invoke("batch", spec), 2, "is not valid mathtext")


# ---- styles and settings -------------------------------------------------------------------------

@pytest.mark.parametrize("content, fragment", [
    (b"garbage text\nmore\n", "line 1: 'garbage text' is not 'key: value'"),
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "is not text"),
    (b"lines.linewidth: 1\nName:\tactplot\n", "line 2: 'Name' is not a matplotlib setting"),
    (b"lines.linewidth: thick\n", "line 1: 'thick' is not a valid value for lines.linewidth"),
    (b"axes.prop_cycle: cycler('color', [])\n", "axes.prop_cycle is empty"),
])
def test_a_style_file_that_is_not_a_style_is_one_usage_line(invoke, tmp_path, content, fragment):
    style = tmp_path / "s.mplstyle"
    style.write_bytes(content)
    _one_line(invoke("relu", "--style", style, "-o", tmp_path / "f.png"), 2, fragment, tmp_path)


def test_proc_status_as_a_style_is_one_line(invoke, tmp_path):
    _one_line(invoke("relu", "--style", "/proc/self/status", "-o", tmp_path / "f.png"), 2,
              "is not a matplotlib setting", tmp_path)


def test_style_keys_that_actplot_decides_are_ignored_with_one_line(invoke, tmp_path):
    style = tmp_path / "s.mplstyle"
    style.write_text("text.usetex: True\nsavefig.dpi: 2400\nfigure.figsize: 20, 20\n"
                     "savefig.bbox: tight\nlines.linewidth: 3  # kept\n")
    path = tmp_path / "f.png"
    result = invoke("relu", "--style", style, "--size", 4, 3, "--dpi", 50, "--points", 50,
                    "-o", path)
    assert result.exit_code == 0
    assert result.stderr.count("\n") == 1 and "text.usetex, savefig.dpi, figure.figsize, " \
        "savefig.bbox ignored" in result.stderr
    with Image.open(path) as image:
        assert image.size == (200, 150)


@pytest.mark.slow
@pytest.mark.parametrize("env", [{"MPLBACKEND": "nosuch"}, "rc"])
def test_the_environments_backend_does_not_matter(tmp_path, env):
    if env == "rc":
        (tmp_path / "matplotlibrc").write_text("backend: nosuch\nlines.linewidth: 9\n")
        env = {"MATPLOTLIBRC": str(tmp_path)}
    result = run_actplot("relu", "--points", 50, "-o", tmp_path / "f.png", env=env)
    assert result.returncode == 0 and result.stderr == "", result.stderr


@pytest.mark.slow
def test_paths_in_a_spec_are_relative_to_its_folder(invoke, tmp_path, monkeypatch):
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "s.mplstyle").write_text("lines.linewidth: 3\n")
    (folder / "um.py").write_text("def good(x):\n    return x * 2\n")
    (folder / "spec.toml").write_text(
        '[[figure]]\nfunctions = ["relu"]\nstyle = "s.mplstyle"\npoints = 20\noutput = "a.png"\n'
        '[[fit]]\nfunctions = ["um.py:good"]\nsteps = 3\noutput = "f.png"\n')
    monkeypatch.chdir(tmp_path)
    result = invoke("batch", folder / "spec.toml", "-q")
    assert result.exit_code == 0, result.stderr
    assert (folder / "a.png").exists() and (folder / "f.png").exists()


def test_log_scale_says_which_panel_loses_values(invoke, tmp_path):
    result = invoke("leaky_relu", "tanh", "--yscale", "log", "--points", 50,
                    "-o", tmp_path / "f.png")
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and all("has values <= 0" in line for line in lines)
    assert "leaky_relu f(x) has" in lines[0] and "tanh f(x) has" in lines[1]


# ---- temps, indexes, output cut short ------------------------------------------------------------

def test_a_users_file_that_looks_like_a_temp_is_kept(invoke, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lookalikes = [f".relu.png.{dead.pid}.old.actplot-tmp", f".relu.png.{dead.pid}.notes-v2"
                  ".actplot-tmp", ".relu.png.x.actplot-tmp"]
    for name in lookalikes:
        (tmp_path / name).write_text("mine")
    ours = tmp_path / f".relu.png.{dead.pid}.0a1b2c3d.actplot-tmp"
    ours.write_text("left by a killed run")
    assert invoke("relu", "--points", 20, "-o", tmp_path / "relu.png").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*lookalikes, "relu.png"])


def test_a_gallery_whose_index_cannot_be_written_says_so_last(invoke, tmp_path, monkeypatch):
    from actplot import gallery

    def refuse(*args, **kwargs):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(gallery, "write_index", refuse)
    monkeypatch.setattr(batch, "run", lambda jobs, **kw: batch.Summary(total=len(jobs)))
    result = invoke("gallery", "-o", tmp_path, "-q")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == \
        "Error: the index was not written (Permission denied)"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("args", [["relu", "--points", "2000", "--json"],
                                  ["relu", "--points", "50", "-o", "-"],
                                  ["info", "relu", "--json"]])
def test_a_full_disk_on_stdout_is_one_line_and_exit_1(args):
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "actplot", *args], stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr == "Error: cannot write to standard output: No space left on device\n"


@pytest.mark.slow
def test_a_file_size_limit_on_stdout_is_one_line_and_exit_1(tmp_path):
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    with open(tmp_path / "out.json", "w") as out:
        result = subprocess.run([sys.executable, "-m", "actplot", "relu", "--points", "20000",
                                 "--json"], stdout=out, stderr=subprocess.PIPE, text=True,
                                preexec_fn=limit, timeout=120)
    assert result.returncode == 1 and result.stderr == \
        "Error: cannot write to standard output: File too large\n"


@pytest.mark.slow
def test_a_closed_pipe_is_quiet():
    process = subprocess.Popen([sys.executable, "-m", "actplot", "relu", "--points", "200000",
                                "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.read(100)
    process.stdout.close()
    _, errors = process.communicate(timeout=120)
    assert errors == b"" and process.returncode != 0


# ---- faults and races ----------------------------------------------------------------------------

def _slow_spec(folder: Path, count: int) -> Path:
    spec = folder / "s.toml"
    spec.write_text("".join(f'[[figure]]\nfunctions = ["gelu"]\norder = 3\npoints = 300000\n'
                            f'output = "g{i}.png"\n' for i in range(count)))
    return spec


@pytest.mark.slow
def test_sigterm_stops_a_batch_with_143_and_its_workers_with_it(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "actplot", "batch", _slow_spec(tmp_path, 8),
                                "--jobs", "2"], stderr=subprocess.PIPE, text=True)
    workers = []
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        workers = _children(process.pid)
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 143 and errors.splitlines()[-1] == "Terminated."
    time.sleep(1)
    assert workers and not [pid for pid in workers if _alive(pid)]
    assert not list(tmp_path.glob(".*actplot-tmp"))


@pytest.mark.slow
def test_workers_end_when_their_parent_is_killed(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "actplot", "batch", _slow_spec(tmp_path, 8),
                                "--jobs", "2"], stderr=subprocess.DEVNULL)
    workers = []
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        workers = _children(process.pid)
    process.kill()
    process.wait()
    time.sleep(2)
    assert workers and not [pid for pid in workers if _alive(pid)]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_ctrl_c_during_fit_prints_only_aborted(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "actplot", "fit", "relu", "--steps",
                                "100000", "--hidden", "64", "-o", tmp_path / "f.png"],
                               stderr=subprocess.PIPE, text=True)
    time.sleep(4)  # imported and training
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 130 and errors == "Aborted.\n"


def test_a_link_swapped_in_after_the_check_cannot_move_a_write_outside(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir(), outside.mkdir()
    spec = root / "s.toml"
    spec.write_text('[[figure]]\nfunctions = ["relu"]\npoints = 20\noutput = "sub/relu.png"\n')
    jobs = batch.load_spec(spec)  # checked: sub/ is inside root
    (root / "sub").rmdir()
    (root / "sub").symlink_to(outside)  # swapped in before the write
    summary = batch.run(jobs, quiet=True)
    assert summary.failed and list(outside.iterdir()) == []


# ---- fuzzed [[fit]] tables and style keys ---------------------------------------------------------

FIT_KEYS = [k for k in batch.FIT_KEYS if k not in ("output",)]


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(FIT_KEYS), value=VALUES)
def test_fuzzed_fit_tables_load_or_are_one_line_usage_errors(key, value):
    with tempfile.TemporaryDirectory() as folder:
        body = '[[fit]]\nfunctions = ["relu"]\n' if key != "functions" else "[[fit]]\n"
        spec = Path(folder) / "fits.toml"
        spec.write_text(body + f"{key} = {_toml(value)}\n")
        try:
            jobs = batch.load_spec(spec)
        except SpecError as error:
            assert "\n" not in error.message
            assert error.message.startswith(("fits.toml: fit 1", f"{spec}: "))
        else:
            assert jobs and all(isinstance(job.spec, FitSpec) for job in jobs)


STYLE_LINES = st.one_of(
    st.sampled_from(["lines.linewidth", "axes.prop_cycle", "font.size", "text.usetex",
                     "savefig.dpi", "figure.facecolor", "Name", "backend", ""]).flatmap(
        lambda key: st.text(max_size=20).map(lambda value: f"{key}: {value}")),
    st.text(max_size=30))


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(STYLE_LINES, max_size=4))
def test_fuzzed_style_files_load_or_are_one_line_usage_errors(lines):
    with tempfile.TemporaryDirectory() as folder:
        style = Path(folder) / "s.mplstyle"
        style.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass") \
            if all("\ud800" > c or c > "\udfff" for line in lines for c in line) else \
            style.write_bytes(b"\xff")
        try:
            actplot.build_spec("relu", style=str(style))
        except SpecError as error:
            assert "\n" not in error.message and error.field == "style"
        except UserWarning:  # ignored keys: pytest makes the warning an error
            pass
