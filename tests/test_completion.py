"""Shell completion through Click's completion variables, as bash, zsh and fish ask for it:
function names and aliases, parameter names after -p, devices, dtypes, formats, subcommands."""

from __future__ import annotations

import pytest

from actplot.registry import ALIASES, REGISTRY

from .conftest import run_actplot


def _complete(runner, line: str, shell: str = "bash") -> list[str]:
    from actplot.cli import cli

    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    if shell == "fish":  # fish passes the incomplete word itself
        cword = "" if line.endswith(" ") else words[-1]
    result = runner.invoke(cli, [], prog_name="actplot", env={
        "_ACTPLOT_COMPLETE": f"{shell}_complete", "COMP_WORDS": line, "COMP_CWORD": str(cword)})
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line]
    if shell == "bash":
        return [item.split(",", 1)[1] for item in lines]
    return lines


@pytest.mark.parametrize("line, want", [
    ("actplot relu", ["relu", "relu2", "relu6", "relu_squared"]),
    ("actplot h_s", ["h_sigmoid", "h_swish"]),
    ("actplot fi", ["fit"]),
    ("actplot ba", ["batch"]),
    ("actplot relu elu -p ", ["alpha="]),
    ("actplot leaky_relu elu -p neg", ["negative_slope="]),
    ("actplot elu celu -p celu.", ["celu.alpha="]),
    ("actplot lrelu -p ", ["negative_slope="]),
    ("actplot relu -p ", []),
    ("actplot info gelu -p a", ["approximate="]),
    ("actplot fit elu --hidden 2 -p ", ["alpha="]),
    ("actplot relu --device c", ["cpu", "cuda", "cuda:0"]),
    ("actplot relu --dtype float", ["float32", "float64", "float16"]),
    ("actplot relu --format p", ["png", "pdf"]),
    ("actplot relu --layout o", ["overlay"]),
    ("actplot relu --dev", ["--device"]),
])
def test_completions(runner, line, want):
    assert _complete(runner, line) == want


def test_every_function_and_alias_completes(runner):
    assert set(_complete(runner, "actplot ")) >= {*REGISTRY, *ALIASES}
    assert {"batch", "fit", "gallery", "info", "list", "plot"} <= set(_complete(runner, "actplot "))


def test_zsh_and_fish_get_descriptions(runner):
    zsh = _complete(runner, "actplot rel", shell="zsh")
    assert zsh[:3] == ["plain", "relu", REGISTRY["relu"].summary]
    fish = _complete(runner, "actplot rel", shell="fish")
    assert fish[0] == f"plain,relu\t{REGISTRY['relu'].summary}"


def test_the_scripts_for_each_shell(tmp_path):
    for shell, needle in (("bash", "complete -o nosort -F _actplot_completion actplot"),
                          ("zsh", "compdef _actplot_completion actplot"),
                          ("fish", "complete --no-files --command actplot")):
        result = run_actplot(env={"_ACTPLOT_COMPLETE": f"{shell}_source"})
        assert result.returncode == 0 and needle in result.stdout, shell


def test_completion_imports_neither_torch_nor_matplotlib():
    result = run_actplot(python_flags=("-X", "importtime"), env={
        "_ACTPLOT_COMPLETE": "bash_complete", "COMP_WORDS": "actplot leaky_relu -p n",
        "COMP_CWORD": "3"})
    assert "plain,negative_slope=" in result.stdout
    imported = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in result.stderr.splitlines()
                if line.startswith("import time:") and "|" in line}
    assert "click" in imported and not {"torch", "matplotlib"} & imported
