"""Issue 4: batch specs, the gallery, incremental reruns, failures, interruption, reproducible bytes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from actplot.registry import REGISTRY

from .conftest import run_actplot

SPEC = """
[defaults]
range = [-6, 6]
grad = true
format = "svg"

[[figure]]
functions = ["relu", "leaky_relu"]
params = { negative_slope = 0.1 }
output = "relu-family.svg"

[[figure]]
functions = ["sigmoid"]
output = "sub/sigmoid.png"
dpi = 80
"""


def _spec(tmp_path: Path, text: str = SPEC, name: str = "figures.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _png_complete(path: Path) -> bool:
    data = path.read_bytes()
    return data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82")


def test_batch_writes_each_figure(invoke, tmp_path):
    result = invoke("batch", _spec(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "relu-family.svg").read_bytes().startswith(b"<?xml")
    assert _png_complete(tmp_path / "sub" / "sigmoid.png")
    assert result.stderr == "2 written, 0 up to date, 0 failed\n"


def test_batch_values_match_the_cli(invoke, tmp_path):
    """A spec's keys mean what the CLI options mean: the same figure, byte for byte."""
    invoke("batch", _spec(tmp_path))
    result = invoke("relu", "leaky_relu", "-p", "negative_slope=0.1", "--range", -6, 6, "--grad",
                    "-o", tmp_path / "cli.svg")
    assert result.exit_code == 0
    assert (tmp_path / "cli.svg").read_bytes() == (tmp_path / "relu-family.svg").read_bytes()


def test_out_dir(invoke, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    assert invoke("batch", _spec(tmp_path), "--out-dir", out, "-q").exit_code == 0
    assert (out / "relu-family.svg").exists() and not (tmp_path / "relu-family.svg").exists()


def test_incremental_and_force(invoke, tmp_path):
    spec = _spec(tmp_path)
    invoke("batch", spec)
    first = (tmp_path / "relu-family.svg").stat().st_mtime_ns
    result = invoke("batch", spec)
    assert result.stderr == "0 written, 2 up to date, 0 failed\n"
    assert (tmp_path / "relu-family.svg").stat().st_mtime_ns == first
    (tmp_path / "sub" / "sigmoid.png").unlink()
    assert invoke("batch", spec).stderr == "1 written, 1 up to date, 0 failed\n"
    spec.write_text(SPEC.replace("dpi = 80", "dpi = 90"))
    assert invoke("batch", spec).stderr == "1 written, 1 up to date, 0 failed\n"
    assert invoke("batch", spec, "--force").stderr == "2 written, 0 up to date, 0 failed\n"
    manifest = json.loads((tmp_path / ".actplot-manifest.json").read_text())
    assert set(manifest["figures"]) == {"relu-family.svg", "sub/sigmoid.png"}


def test_quiet(invoke, tmp_path):
    result = invoke("batch", _spec(tmp_path), "--quiet")
    assert result.exit_code == 0 and result.stderr == "" and result.stdout == ""


BAD_SPECS = [
    pytest.param('[[figure]]\nfunctions = ["relu"]\nrnage = [0, 1]\n',
                 "figures.toml: figure 1: unknown key 'rnage'; valid keys: functions, output, format, params, range", id="unknown-key"),
    pytest.param('[[figure]]\nfunctions = ["relu"]\nrange = [1, 0]\noutput = "a.png"\n',
                 "figures.toml: figure 1 (a.png): key 'range': min (1) must be less than max (0)",
                 id="bad-range"),
    pytest.param('[defaults]\npoints = 1\n[[figure]]\nfunctions = ["relu"]\n',
                 "figures.toml: figure 1: key 'points': points must be an integer from 2", id="bad-default"),
    pytest.param('[[figure]]\nfunctions = ["rleu"]\n',
                 "figures.toml: figure 1: key 'functions': unknown function 'rleu'; did you mean 'relu'?",
                 id="unknown-function"),
    pytest.param('[[figure]]\nfunctions = ["elu"]\nparams = { beta = 2 }\n',
                 "key 'params': unknown parameter 'beta'; elu takes alpha", id="unknown-param"),
    pytest.param('[[figure]]\nfunctions = ["relu"]\noutput = "a.bmp"\n',
                 "figures.toml: figure 1 (a.bmp): key 'output': unknown output format '.bmp'",
                 id="bad-format"),
    pytest.param('[[figure]]\nfunctions = ["relu"]\noutput = "a.gif"\n',
                 "figures.toml: figure 1 (a.gif): key 'animate': a .gif is an animated sweep",
                 id="gif-without-animate"),
    pytest.param('[[figure]]\nfunctions = ["relu"]\noutput = "../escape.png"\n',
                 "key 'output': '../escape.png' is outside", id="escape"),
    pytest.param('[[figure]]\nfunctions = ["relu"]\noutput = "/tmp/abs.png"\n',
                 "key 'output': '/tmp/abs.png' is outside", id="absolute"),
    pytest.param('[[figure]]\nfunctions = ["relu"]\n[[figure]]\nfunctions = ["relu"]\n',
                 "figure 2: key 'output': 'relu.png' is also written by figure 1", id="duplicate"),
    pytest.param("[[figure]\n", "figures.toml: not valid TOML", id="toml-syntax"),
    pytest.param("[defaults]\ngrad = true\n", "needs at least one [[figure]], [[fit]] or [[depth]] table", id="no-figures"),
    pytest.param('[figures]\nfunctions = ["relu"]\n', "unknown table 'figures'", id="unknown-table"),
]


@pytest.mark.parametrize("text, message", BAD_SPECS)
def test_bad_spec_names_file_figure_and_key(invoke, tmp_path, text, message):
    result = invoke("batch", _spec(tmp_path, text))
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures.toml"]


def test_allow_outside(invoke, tmp_path):
    inner = tmp_path / "inner"
    inner.mkdir()
    spec = _spec(inner, '[[figure]]\nfunctions = ["relu"]\noutput = "../escape.png"\n')
    assert invoke("batch", spec, "--allow-outside", "-q").exit_code == 0
    assert _png_complete(tmp_path / "escape.png")


def test_a_failing_figure_does_not_stop_the_others(invoke, tmp_path):
    spec = _spec(tmp_path, """
[[figure]]
functions = ["relu"]
output = "ok1.png"

[[figure]]
functions = ["rrelu"]
train = true
seed = 1
dtype = "float16"
output = "broken.png"

[[figure]]
functions = ["tanh"]
output = "ok2.png"
""")
    result = invoke("batch", spec)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Error: figures.toml: figure 2 (broken.png): rrelu: torch cannot "
                               "compute this in float16")
    assert lines[1] == "2 written, 0 up to date, 1 failed"
    assert lines[2] == "Error: 1 of 3 figures failed"
    assert _png_complete(tmp_path / "ok1.png") and _png_complete(tmp_path / "ok2.png")
    assert not (tmp_path / "broken.png").exists()
    assert not [p for p in tmp_path.iterdir() if "actplot-tmp" in p.name]


@pytest.mark.slow
def test_gallery(invoke, tmp_path):
    out = tmp_path / "gallery"
    result = invoke("gallery", "-o", out, "--format", "png", "--grad", "--jobs", 2)
    assert result.exit_code == 0, result.stderr
    for name in REGISTRY:
        assert _png_complete(out / f"{name}.png")
    page = (out / "index.html").read_text()
    markdown = (out / "index.md").read_text()
    for name, entry in REGISTRY.items():
        assert f'<img src="{name}.png"' in page and f"![{name}]({name}.png)" in markdown
        for p in entry.params:
            assert f"<code>{p.name}</code>" in page and f"`{p.name}`" in markdown
    assert "http://" not in page and "https://" not in page  # opens from disk with no network
    assert "\\max(0,\\ x)" in page  # the formula
    assert page.count('<dl class="properties">') == len(REGISTRY)  # actplot info, per function
    assert "<dt>init gain</dt><dd>1.414214</dd>" in page and "| init gain | 1.414214 |" in markdown
    assert result.stderr == f"{len(REGISTRY)} written, 0 up to date, 0 failed\n"
    again = invoke("gallery", "-o", out, "--format", "png", "--grad")
    assert again.stderr == f"0 written, {len(REGISTRY)} up to date, 0 failed\n"
    # the same bytes from one process as from the gallery's two workers: a dozen figures redrawn
    # by a batch spec with the gallery's settings
    names = list(REGISTRY)[::5]
    spec = tmp_path / "again.toml"
    spec.write_text("".join(f'[[figure]]\nfunctions = ["{name}"]\ngrad = true\ndpi = 150\n'
                            f'output = "{name}.png"\n\n' for name in names))
    one = tmp_path / "one"
    assert invoke("batch", spec, "--out-dir", one, "--jobs", 1, "-q").exit_code == 0
    for name in names:
        assert (one / f"{name}.png").read_bytes() == (out / f"{name}.png").read_bytes(), name


DETERMINISM_SCRIPT = """
import sys, actplot
folder = sys.argv[1]
for fmt in ("png", "svg", "pdf"):
    actplot.save(f"{folder}/default.{fmt}", ["gelu", "step", "softmax"], grad=True, points=300,
                 title="$f(x)$")
for theme in ("paper", "slides", "dark"):
    for fmt in ("png", "svg"):
        actplot.save(f"{folder}/{theme}.{fmt}", ["prelu", "step"], grad=True, points=300,
                     theme=theme, dpi=50)
"""
DETERMINISM_FILES = ["default.png", "default.svg", "default.pdf", *(
    f"{theme}.{fmt}" for theme in ("paper", "slides", "dark") for fmt in ("png", "svg"))]


@pytest.mark.slow
def test_same_bytes_in_three_fresh_processes(tmp_path):
    """As matplotlib's own test_determinism: three `python -R` processes, hash seeds differing;
    every format, and every theme."""
    for run in range(3):
        (tmp_path / str(run)).mkdir()
        subprocess.run([sys.executable, "-R", "-c", DETERMINISM_SCRIPT, str(tmp_path / str(run))],
                       check=True,
                       env={k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"})
    for name in DETERMINISM_FILES:
        outputs = [(tmp_path / str(run) / name).read_bytes() for run in range(3)]
        assert outputs[0] == outputs[1] == outputs[2], name
    assert b"<dc:date>" not in (tmp_path / "0" / "default.svg").read_bytes()
    pdf = (tmp_path / "0" / "default.pdf").read_bytes()
    assert b"/CreationDate" not in pdf and b"/Producer" not in pdf
    assert b"Software" not in (tmp_path / "0" / "default.png").read_bytes()


@pytest.mark.slow
def test_source_date_epoch_is_honoured(tmp_path):
    for fmt, needle in [("pdf", b"D:20231114221320"), ("svg", b"2023-11-14T22:13:20")]:
        result = run_actplot("relu", "-o", tmp_path / f"r.{fmt}",
                             env={"SOURCE_DATE_EPOCH": "1700000000"})
        assert result.returncode == 0, result.stderr
        assert needle in (tmp_path / f"r.{fmt}").read_bytes()


INTERRUPTED = list(REGISTRY)[:12]  # enough figures to stop in the middle of, and few to redo


def _interruptible_spec(folder: Path) -> Path:
    spec = folder / "figures.toml"
    spec.write_text("[defaults]\ngrad = true\n" + "".join(
        f'[[figure]]\nfunctions = ["{name}"]\noutput = "{name}.png"\n' for name in INTERRUPTED))
    return spec


def _start_batch(spec: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "actplot", "batch", str(spec), "--out-dir",
                             str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _wait_for_figures(out: Path, process: subprocess.Popen, count: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if len(list(out.glob("*.png"))) >= count:
            return
        time.sleep(0.02)
    pytest.fail("the batch wrote too few figures before the deadline")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])
def test_interrupted_run_leaves_no_truncated_file_and_resumes(tmp_path, how):
    spec, out = _interruptible_spec(tmp_path), tmp_path / "out"
    process = _start_batch(spec, out)
    _wait_for_figures(out, process, 3)
    os.killpg(process.pid, getattr(signal, how))
    _, stderr = process.communicate(timeout=60)
    assert process.returncode in ((-signal.SIGKILL,) if how == "SIGKILL" else (130,))
    if how == "SIGINT":
        assert stderr == "Aborted.\n"  # one line: no traceback, no blank line
    done = sorted(out.glob("*.png"))
    assert 3 <= len(done) < len(INTERRUPTED)
    assert all(_png_complete(p) for p in done)
    resumed = run_actplot("batch", spec, "--out-dir", out)
    assert resumed.returncode == 0
    written, up_to_date, failed = map(int, re.findall(r"\d+", resumed.stderr.splitlines()[-1]))
    assert failed == 0 and not list(out.glob(".*actplot-tmp"))  # leftovers of the kill are gone
    assert int(up_to_date) >= len(done) - 1  # the figure being recorded when killed may be redone
    assert int(written) + int(up_to_date) == len(INTERRUPTED)
    assert all(_png_complete(out / f"{name}.png") for name in INTERRUPTED)


@pytest.mark.slow
def test_progress_bar_on_a_terminal_only(tmp_path):
    import pty

    main, secondary = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "actplot", "batch", str(_spec(tmp_path))],
                               stderr=secondary, stdout=subprocess.DEVNULL)
    os.close(secondary)
    output = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        output += chunk
    assert process.wait(timeout=120) == 0
    os.close(main)
    assert b"drawing" in output and b"2 written" in output
    piped = run_actplot("batch", _spec(tmp_path), "--force")
    assert "drawing" not in piped.stderr
