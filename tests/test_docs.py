"""The docs cannot fall behind: every command has help and appears in the README, and the
README's figures are the ones docs/readme.toml makes."""

from __future__ import annotations

import re
import tomllib

import pytest

from actplot.cli import cli

from .conftest import ROOT, run_actplot, with_site

README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_an_example_and_is_documented(invoke, command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "actplot " in result.stdout  # an example, kept intact by \b
    name = "" if command == "plot" else f" {command}"
    assert f"actplot{name} " in README


def test_readme_opens_with_the_two_commands():
    commands = re.findall(r"^    (pip install .*)$", README, re.M)[:2]
    assert commands[0].endswith("actplot relu --range -20 20 --grad -o relu.png")
    assert commands[1].endswith("python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "\npython -m pytest\n" in ci  # the README's test command, as CI runs it


SPECS = ("readme.toml", "readme_plugin.toml")  # the second needs the example plugin


def test_readme_figures_are_made_by_actplot():
    made = set()
    for name in SPECS:
        spec = tomllib.loads((ROOT / "docs" / name).read_text())
        made |= {f"docs/{figure['output']}"
                 for figure in spec["figure"] + spec.get("fit", []) + spec.get("depth", [])}
    shown = set(re.findall(r"!\[[^\]]*\]\((docs/images/[^)]+)\)", README))
    # the explore page's screenshot is taken by the browser tests' Chromium instead
    # (tests/test_explore_browser.py: update_screenshot)
    assert shown - {"docs/images/explore.png"} == made
    assert all((ROOT / path).exists() for path in shown)


@pytest.mark.slow
def test_readme_spec_runs(invoke, tmp_path):
    result = invoke("batch", ROOT / "docs" / "readme.toml", "--out-dir", tmp_path, "-q")
    assert result.exit_code == 0, result.stderr


@pytest.mark.slow
def test_readme_plugin_spec_runs_with_the_example_plugin(plugin_site, tmp_path):
    result = run_actplot("batch", ROOT / "docs" / "readme_plugin.toml", "--out-dir", tmp_path,
                         "-q", env=with_site(plugin_site))
    assert result.returncode == 0, result.stderr
    made = (tmp_path / "images" / "plugin_demo.png").read_bytes()
    assert made == (ROOT / "docs" / "images" / "plugin_demo.png").read_bytes()


def _shown_sessions(command: str) -> list[tuple[list[str], str]]:
    """Each `$ actplot COMMAND ...` block of the README with the output printed under it."""
    sessions = []
    for match in re.finditer(rf"^    \$ actplot {command} (.*)\n((?:    [^$\n].*\n?)+)", README, re.M):
        shown = "".join(line[4:] + "\n" for line in match.group(2).rstrip("\n").split("\n"))
        sessions.append((match.group(1).split(), shown))
    return sessions


@pytest.mark.parametrize("args, shown", _shown_sessions("info"))
def test_readme_info_tables_are_the_programs_output(invoke, args, shown):
    result = invoke("info", *args)
    assert result.exit_code == 0
    assert result.stdout == shown


def test_readme_figures_have_the_pixels_their_spec_asks_for(tmp_path):
    """Each README image is round(inches x dpi) pixels for its spec's size and dpi (they were
    drawn at a clamped 100 dpi once, whatever the spec said)."""
    from PIL import Image

    from actplot import batch
    from actplot.spec import DepthSpec, FitSpec, depth_size, figure_size, fit_size

    for job in batch.load_spec(ROOT / "docs" / "readme.toml", out_dir=tmp_path):
        spec = job.spec
        size = (fit_size(spec) if isinstance(spec, FitSpec) else
                depth_size(spec) if isinstance(spec, DepthSpec) else figure_size(spec))
        with Image.open(ROOT / "docs" / job.relative) as image:
            assert image.size == (round(size[0] * spec.dpi), round(size[1] * spec.dpi)), \
                job.relative


def test_readme_terminal_plot_is_the_programs_output(invoke, monkeypatch):
    match = re.search(r"^    \$ COLUMNS=(\d+) LINES=(\d+) actplot (.*)\n((?:    .*\n|\n)+?)\n(?! )",
                      README, re.M)
    columns, lines, args, shown = match.groups()
    monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.setenv("LINES", lines)
    result = invoke(*args.split())
    assert result.exit_code == 0
    assert result.stdout == "".join(line[4:] + "\n" for line in shown.rstrip("\n").split("\n"))
