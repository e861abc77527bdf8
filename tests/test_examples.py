"""Every example in examples/ runs as a user would run it."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

EXAMPLES = ROOT / "examples"


def _env():
    # the actplot console script of this interpreter's environment comes first on PATH
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


@pytest.mark.slow
def test_shell_script(tmp_path):
    subprocess.run(["bash", EXAMPLES / "make_figures.sh", tmp_path], check=True, env=_env())
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["lrelu.pdf", "relu.png", "sig_tanh.svg", "sigmoid_points.json", "softmax.png",
                     "step_sign.png"]
    series = json.loads((tmp_path / "sigmoid_points.json").read_text())["series"]
    assert series[0]["x"] == [-1.0, 2.0, -3.0, 4.0, 0.0]


@pytest.mark.slow
def test_batch_toml(invoke, tmp_path):
    result = invoke("batch", EXAMPLES / "figures.toml", "--out-dir", tmp_path)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "mobile.pdf", "relu-family.svg", "sigmoid-tanh.svg", "smooth-family.png", "vanishing.svg"]


@pytest.mark.slow
def test_python_api_script(tmp_path):
    result = subprocess.run([sys.executable, EXAMPLES / "api_script.py", tmp_path], check=True,
                            capture_output=True, text=True)
    assert "dy  [0.0, 0.0, 0.0, 1.0, 1.0]" in result.stdout
    assert "SpecError: unknown function 'rleu'; did you mean 'relu'?" in result.stdout
    assert (tmp_path / "elu_sweep.png").exists() and (tmp_path / "gelu.svg").exists()
    # the built-in sweep, labelled by the formula's symbol, not a hand-drawn one
    assert "legend: ['$\\\\alpha$ = 0.2', '$\\\\alpha$ = 0.5', '$\\\\alpha$ = 2']" in result.stdout


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_makefile_target(tmp_path):
    subprocess.run(["make", "-s", "-C", EXAMPLES, "figures", f"OUT={tmp_path}"], check=True,
                   env=_env())
    assert (tmp_path / "vanishing.svg").exists()


@pytest.mark.slow
def test_github_actions_workflow_steps(tmp_path):
    """Runs the workflow's actplot steps, in order, in a checkout-like folder."""
    workflow = (EXAMPLES / "github-actions.yml").read_text()
    steps = re.findall(r"^\s*- run: (actplot .*)$", workflow, re.M)
    assert len(steps) == 2
    (tmp_path / "examples").mkdir()
    shutil.copy(EXAMPLES / "figures.toml", tmp_path / "examples")
    for step in steps:
        subprocess.run(shlex.split(step), cwd=tmp_path, check=True, env=_env(),
                       capture_output=True)
    assert "upload-artifact" in workflow and "path: gallery" in workflow
    assert (tmp_path / "gallery" / "index.html").exists()
    assert (tmp_path / "gallery" / "figures" / "vanishing.svg").exists()
