"""Issue 18: the user's code (imports) and plugins fail cleanly and never silently lie. Each case
is a table row: what the code does, the exit code, and the one line that must say so. Plugins are
installed as a bare dist-info folder with an entry point, on PYTHONPATH, in a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from .conftest import run_actplot

BAD_FORWARDS = textwrap.dedent("""
    import sys, torch
    def exits(x): sys.exit(3)
    def quits(x): exit()
    def interrupts(x): raise KeyboardInterrupt
    def base(x): raise GeneratorExit
    def talks(x):
        print("hello", x)
        print("to stderr", file=sys.stderr)
        return x * 2
    def meta(x): return torch.empty_like(x, device="meta")
    def complex_(x): return x.to(torch.complex64)
    def a_list(x): return [1.0, 2.0]
    def nothing(x): return None
    def numpy(x): return x.detach().numpy()
    def scalar(x): return x.sum()
    def short(x): return x.reshape(-1)[:1]
    def detached(x): return x.detach() * 2
    def raises(x): raise ValueError("nope")
""")


@pytest.fixture
def bad_module(tmp_path):
    (tmp_path / "bad.py").write_text(BAD_FORWARDS)
    return tmp_path


@pytest.mark.parametrize("name, fragment", [
    ("exits", "called sys.exit(3)"),
    ("quits", "called sys.exit(None)"),
    ("interrupts", "raised KeyboardInterrupt"),
    ("base", "failed: GeneratorExit"),
    ("meta", "returned a tensor on meta"),
    ("complex_", "returned a complex64 tensor"),
    ("a_list", "returned a list"),
    ("nothing", "returned a NoneType"),
    ("numpy", "returned a ndarray"),
    ("scalar", "returned a tensor of shape ()"),
    ("short", "returned a tensor of shape (1,)"),
    ("detached", "no autograd history"),
    ("raises", "failed: ValueError: nope"),
])
@pytest.mark.parametrize("command", [[], ["info"], ["fit", "--steps", "2", "--json"]])
def test_an_imported_function_that_misbehaves_is_one_line_and_exit_1(invoke, bad_module, name,
                                                                     fragment, command):
    extra = ["--at", "1,2", "--json"] if not command else []
    result = invoke(*command, f"{bad_module / 'bad.py'}:{name}", *extra)
    assert result.exit_code == 1, result.stderr
    assert result.stderr.count("\n") == 1 and fragment in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_real_interrupt_still_stops_with_130(bad_module, monkeypatch, invoke):
    """Only a KeyboardInterrupt that the user's code raised is its failure: one that a signal
    raised (recorded by the handler) is the user's Ctrl-C."""
    from actplot import usercode

    monkeypatch.setattr(usercode, "_signalled", [2])
    monkeypatch.setattr(usercode, "install_signal_handlers", lambda: None)
    result = invoke(f"{bad_module / 'bad.py'}:interrupts", "--at", "1")
    assert result.exit_code == 130 and result.stderr == "Aborted.\n"


@pytest.mark.slow
def test_what_the_users_code_prints_stays_off_actplots_output(bad_module):
    result = run_actplot("bad.py:talks", "--at", "1,2", "--json", cwd=bad_module)
    assert result.returncode == 0
    assert json.loads(result.stdout)["series"][0]["y"] == [2.0, 4.0]
    assert result.stderr.startswith("Warning: bad.py:talks printed") and \
        result.stderr.count("\n") == 1
    png = subprocess.run([sys.executable, "-m", "actplot", "bad.py:talks", "-o", "-", "--points",
                          "20"], cwd=bad_module, capture_output=True, timeout=120)
    assert png.returncode == 0
    assert png.stdout.startswith(b"\x89PNG\r\n\x1a\n") and b"hello" not in png.stdout


def test_a_module_that_exits_at_import_is_a_usage_error(tmp_path):
    (tmp_path / "dies.py").write_text("import sys\nsys.exit(4)\n")
    result = run_actplot("dies.py:f", "--at", "1", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "importing dies.py" in result.stderr and "sys.exit(4)" in result.stderr


# ---- plugins -----------------------------------------------------------------------------------

PLUGIN = textwrap.dedent("""
    import sys
    from actplot.plugin import Activation, Parameter, kink

    def _double(F, x, p):
        return x * 2

    def _detached(F, x, p):
        return (x * 2).detach()

    def _raises(F, x, p):
        raise RuntimeError("plugin broke")

    def _list(F, x, p):
        return [0.0] * len(x)

    def _prints(F, x, p):
        print("plugin says", x)
        return x * 3

    def act(name, forward=_double, **more):
        return Activation(name, forward, "f", "a test activation", **more)

    ACTIVATIONS = [
        act("x"), act("x*2"), act(""), act("pi"), act("sqrt"), act("where"), act("relu"),
        act("for"), act("bad\\x1bname"),
        act("good_double"),
        act("detached_one", _detached),
        act("raising_one", _raises),
        act("listing_one", _list),
        act("talking_one", _prints),
        act("default_none", params=(Parameter("a", None, "no default"),)),
        act("bad_validate", validate=lambda p: 1 / 0),
        act("garbage_breaks", breakpoints=lambda p: ["not a breakpoint"]),
        act("nan_breaks", breakpoints=lambda p: [kink(float("nan"), 0.0, 1.0)]),
        Activation("bad_formula", _double, "\\\\frac{", "bad mathtext"),
    ]
""")


def _install(folder, name: str, module_text: str, target: str) -> dict:
    (folder / f"{name}.py").write_text(module_text)
    info = folder / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[actplot.activations]\n{name} = {target}\n")
    return {"PYTHONPATH": str(folder)}


@pytest.fixture
def hostile_plugin(tmp_path):
    return _install(tmp_path, "hostile_acts", PLUGIN, "hostile_acts:ACTIVATIONS")


def test_plugin_names_that_would_change_what_an_expression_means_are_skipped(hostile_plugin,
                                                                            tmp_path):
    result = run_actplot("x*2", "--at", "3", env=hostile_plugin, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.split()[-1] == "6.0"
    result = run_actplot("x", "--at", "-3", env=hostile_plugin, cwd=tmp_path)
    assert result.stdout.split()[-1] == "-3.0"
    skipped = [line for line in result.stderr.splitlines() if line.startswith("Warning: plugin")]
    for name in ("'x'", "'x*2'", "''", "'pi'", "'sqrt'", "'where'", "'relu'", "'for'"):
        assert any(f"skipping {name}" in line for line in skipped), (name, skipped)
    assert all("\x1b" not in line for line in result.stderr.splitlines())
    assert any("bad\\x1bname" in line for line in skipped)


@pytest.mark.slow
@pytest.mark.parametrize("name, fragment", [
    ("default_none", "has the default None"),
    ("bad_validate", "ZeroDivisionError"),
    ("garbage_breaks", "its breakpoints hold"),
    ("nan_breaks", "its breakpoints hold"),
])
def test_plugins_with_unusable_declarations_are_skipped_at_discovery(hostile_plugin, tmp_path,
                                                                    name, fragment):
    listed = run_actplot("list", env=hostile_plugin, cwd=tmp_path)
    assert listed.returncode == 0
    assert f"  {name}:" not in listed.stdout
    assert any(fragment in line and f"skipping '{name}'" in line
               for line in listed.stderr.splitlines()), listed.stderr
    assert "good_double" in listed.stdout and "\x1b" not in listed.stdout + listed.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name, fragment, command", [
    ("detached_one", "no autograd history", ["--at", "1,2"]),
    ("raising_one", "failed: RuntimeError: plugin broke", ["--at", "1,2"]),
    ("listing_one", "returned a list", ["--at", "1,2"]),
    ("raising_one", "failed: RuntimeError: plugin broke", ["info"]),
    ("detached_one", "no autograd history", ["fit", "--steps", "2", "--json"]),
])
def test_a_plugins_bad_forward_is_one_line_naming_it(hostile_plugin, tmp_path, command, name,
                                                     fragment):
    args = [*command[:1], name, *command[1:]] if command[0] in ("info", "fit") else [name, *command]
    result = run_actplot(*args, env=hostile_plugin, cwd=tmp_path)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert result.returncode == 1 and len(errors) == 1, result.stderr
    assert fragment in errors[0] and "plugin hostile_acts" in errors[0]
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_plugins_bad_formula_is_one_line_when_drawn(hostile_plugin, tmp_path):
    result = run_actplot("bad_formula", "--points", "20", "-o", tmp_path / "f.png",
                         env=hostile_plugin, cwd=tmp_path)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert result.returncode == 1 and len(errors) == 1 and "not valid mathtext" in errors[0]
    assert not (tmp_path / "f.png").exists()


@pytest.mark.slow
@pytest.mark.parametrize("body", ["import sys\nsys.exit(2)\n", "raise KeyboardInterrupt\n",
                                  "print('noise')\nraise SystemExit\n"])
def test_a_plugin_that_exits_at_import_is_skipped_and_nothing_else_stops(tmp_path, body):
    env = _install(tmp_path, "dying_acts", body, "dying_acts:ACTIVATIONS")
    listed = run_actplot("list", env=env, cwd=tmp_path)
    assert listed.returncode == 0 and "relu" in listed.stdout
    assert listed.stderr.count("\n") == 1 and "dying_acts" in listed.stderr
    plotted = run_actplot("relu", "--at", "1", env=env, cwd=tmp_path)
    assert plotted.returncode == 0 and plotted.stdout.split()[-1] == "1.0"
