"""Issue 17's first pieces: names separated by commas are explained, and PNG bytes are never
printed to a terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest


@pytest.mark.parametrize("text, suggestion", [("relu,gelu", "actplot relu gelu"),
                                              ("relu, elu,tanh", "actplot relu elu tanh")])
def test_names_joined_by_commas_are_explained(invoke, text, suggestion):
    result = invoke(text, "--at", 1)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "separate them with spaces" in result.stderr and suggestion in result.stderr


def test_an_expression_with_a_comma_is_still_an_expression(invoke):
    result = invoke("max(x, 0)", "--at", 2)
    assert result.exit_code == 0 and result.stdout.split()[-1] == "2.0"


@pytest.mark.slow
def test_figure_bytes_are_refused_on_a_terminal(tmp_path):
    leader, follower = pty.openpty()
    try:
        result = subprocess.run([sys.executable, "-m", "actplot", "relu", "--points", "20", "-o",
                                 "-"], stdout=follower, stderr=subprocess.PIPE, text=True,
                                cwd=tmp_path, timeout=120)
    finally:
        os.close(follower)
        os.close(leader)
    assert result.returncode == 2 and "would print PNG bytes to the terminal" in result.stderr
    assert result.stderr.count("\n") == 1
