"""Figures for every venue and language: themes and style sheets, the controls that paper authors
expect, legends that cover nothing, Chinese text, and figures held to baseline images."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.testing.compare import compare_images

import actplot
from actplot import i18n, render, themes
from actplot.registry import REGISTRY

from .conftest import run_actplot

BASELINES = Path(__file__).parent / "baseline"


def _legend_texts(figure) -> list[str]:
    return [t.get_text() for ax in figure.axes if ax.get_legend()
            for t in ax.get_legend().get_texts()]


# ---- themes and styles ------------------------------------------------------------------------

def test_dark_theme_keeps_hollow_markers_hollow_on_its_background():
    figure = actplot.plot("prelu", grad=True, theme="dark")
    background = to_hex(figure.get_facecolor())
    assert background == themes.DARK_BACKGROUND.lower()
    assert to_hex(figure.axes[0].get_facecolor()) == background
    markers = [c for ax in figure.axes for c in ax.collections if len(c.get_offsets())]
    assert markers
    for collection in markers:
        fills = {to_hex(c) for c in collection.get_facecolors()}
        assert "#ffffff" not in fills  # never a white fill on a dark background
    curve = max(figure.axes[0].get_lines(), key=lambda line: len(line.get_xdata()))
    assert to_hex(curve.get_color()) == themes.DARK_ORDER[0].lower()


def test_paper_fits_a_column_with_8_point_type_and_thin_lines():
    figure = actplot.plot("relu", grad=True, theme="paper")
    assert tuple(figure.get_size_inches()) == (3.5, pytest.approx(2.0))
    title = figure.axes[0].title
    assert 6.8 <= title.get_fontsize() <= 8.0
    curve = max(figure.axes[0].get_lines(), key=lambda line: len(line.get_xdata()))
    assert curve.get_linewidth() < 1.5
    wide = actplot.plot("gelu", order=3, theme="paper")
    assert wide.get_size_inches()[0] == 7.0  # four panels a row take a page's width


def test_slides_have_large_type_and_thick_lines():
    figure = actplot.plot("relu", grad=True, theme="slides")
    assert figure.axes[0].xaxis.get_ticklabels()[0].get_fontsize() >= 14
    curve = max(figure.axes[0].get_lines(), key=lambda line: len(line.get_xdata()))
    assert curve.get_linewidth() >= 3.5


def test_a_style_sheet_by_name_or_file_applies_on_top(tmp_path, invoke):
    ggplot = actplot.plot("tanh", style="ggplot")
    assert to_hex(ggplot.axes[0].get_facecolor()) == "#e5e5e5"
    curve = max(ggplot.axes[0].get_lines(), key=lambda line: len(line.get_xdata()))
    cycle = matplotlib.rc_params_from_file(
        str(themes.builtin_styles()["ggplot"]), use_default_template=False)["axes.prop_cycle"]
    assert to_hex(curve.get_color()) == to_hex(cycle.by_key()["color"][0])
    sheet = tmp_path / "mine.mplstyle"
    sheet.write_text("axes.facecolor: abcdef\nfont.size: 13\n")
    mine = actplot.plot("tanh", style=str(sheet))
    assert to_hex(mine.axes[0].get_facecolor()) == "#abcdef"
    result = invoke("tanh", "--style", "nonesuch", "-o", tmp_path / "x.png")
    assert result.exit_code == 2 and "ggplot" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.png").exists()


def test_the_users_rc_does_not_leak_into_themes(tmp_path):
    with matplotlib.rc_context({"axes.facecolor": "red", "lines.linewidth": 9}):
        figure = actplot.plot("relu", theme="dark")
    assert to_hex(figure.axes[0].get_facecolor()) == themes.DARK_BACKGROUND.lower()


# ---- panel controls ---------------------------------------------------------------------------

def test_ylim_yscale_labels_and_panel_titles(invoke, tmp_path):
    figure = actplot.plot("sigmoid", grad=True, ylim=(-0.5, 1.5), yscale="symlog",
                          xlabel="input", ylabel="activation", panel_titles="short")
    for ax in figure.axes:
        assert ax.get_ylim() == (-0.5, 1.5) and ax.get_yscale() == "symlog"
        assert ax.get_xlabel() == "input" and "\n" not in ax.get_title()
    assert figure.axes[0].get_ylabel() == "activation"
    assert figure.axes[1].get_ylabel() == "f\u2032(x)"
    bare = actplot.plot("relu", grad=True, panel_titles="none", legend="none")
    assert all(ax.get_title() == "" and ax.get_legend() is None for ax in bare.axes)
    out = tmp_path / "cli.png"
    result = invoke("sigmoid", "--compose", "1,4,8", "--grad", "--yscale", "symlog", "--ylim",
                    "-0.1", "1", "--legend", "outside", "-o", out)
    assert result.exit_code == 0, result.output
    bad = invoke("relu", "--yscale", "log", "--ylim", "-1", "1", "-o", tmp_path / "bad.png")
    assert bad.exit_code == 2 and "positive low limit" in bad.stderr


def test_an_outside_legend_sits_beside_its_panel_inside_the_figure():
    figure = actplot.plot(["relu", "elu", "gelu"], grad=True, layout="overlay", legend="outside")
    renderer = figure.canvas.get_renderer()
    figure.draw_without_rendering()
    for ax in figure.axes:
        box = ax.get_legend().get_window_extent(renderer)
        assert box.x0 >= ax.bbox.x1 and box.x1 <= figure.bbox.x1 + 1


def test_look_options_in_a_batch_spec(tmp_path):
    spec = tmp_path / "look.toml"
    spec.write_text(textwrap.dedent("""
        [defaults]
        theme = "dark"
        [[figure]]
        functions = ["relu"]
        grad = true
        ylim = [-1, 2]
        legend = "none"
        lang = "zh"
        output = "relu.png"
    """))
    result = run_actplot("batch", spec, "-q")
    assert result.returncode == 0, result.stderr
    from PIL import Image

    with Image.open(tmp_path / "relu.png") as image:  # the dark theme's background
        assert to_hex(tuple(v / 255 for v in image.convert("RGB").getpixel((2, 2)))) == \
            themes.DARK_BACKGROUND.lower()
    spec.write_text('[[figure]]\nfunctions = ["tanh"]\n\n[[figure]]\nfunctions = ["relu"]\n'
                    'yscale = "sideways"\n')
    result = run_actplot("batch", spec, "-q")
    assert result.returncode == 2
    assert result.stderr == ("Error: look.toml: figure 2: key 'yscale': 'sideways' is not one of "
                             "linear, symlog, log\n")


def _markers(ax):
    for collection in ax.collections:
        centres = collection.get_offset_transform().transform(collection.get_offsets())
        for (x, y), size in zip(centres, np.broadcast_to(collection.get_sizes(), len(centres))):
            radius = np.sqrt(size) / 2 * ax.figure.dpi / 72
            yield x - radius, y - radius, x + radius, y + radius


def _covered(figure) -> list[str]:
    """Written apart from layout.place_legends: a legend's box against every marker's box and
    every drawn point of every curve (densified, so a segment crossing the box is seen)."""
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    problems = []
    for ax in figure.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent(renderer)
        for x0, y0, x1, y1 in _markers(ax):
            if box.x0 < x1 and x0 < box.x1 and box.y0 < y1 and y0 < box.y1:
                problems.append(f"{ax.get_title()!r}: the legend covers a marker")
        for line in ax.get_lines():
            x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
            if len(x) <= 2:
                continue
            dense_x = np.interp(np.linspace(0, len(x) - 1, 20 * len(x)), np.arange(len(x)), x)
            dense_y = np.interp(np.linspace(0, len(y) - 1, 20 * len(y)), np.arange(len(y)), y)
            points = line.get_transform().transform(np.column_stack([dense_x, dense_y]))
            inside = ((points[:, 0] > box.x0) & (points[:, 0] < box.x1)
                      & (points[:, 1] > box.y0) & (points[:, 1] < box.y1))
            if inside.any():
                problems.append(f"{ax.get_title()!r}: the legend covers a curve")
    return problems


def test_prelu_legend_leaves_the_marker_at_0_1_clear():
    assert _covered(actplot.plot("prelu", grad=True)) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n, e in REGISTRY.items() if not e.vector])
def test_no_legend_covers_a_curve_or_a_marker(name):
    assert _covered(actplot.plot(name, grad=True, points=300)) == []


def test_an_asymptote_on_the_zero_axis_gets_no_legend_entry():
    for name in ("gelu", "silu", "mish", "softplus", "logsigmoid"):
        assert "asymptote" not in _legend_texts(actplot.plot(name)), name
    assert "asymptote" in _legend_texts(actplot.plot("sigmoid"))


def test_numbers_in_titles_are_rounded_for_people():
    full = actplot.plot("rrelu", panel_titles="full").axes[0].get_title()
    assert "0.3333" in full and "0.33333" not in full
    plain = actplot.plot("leaky_relu", params={"negative_slope": 1 / 3}).axes[0].get_title()
    assert plain.split("\n")[0] == "leaky_relu ($\\alpha$ = 0.3333)"


# ---- languages --------------------------------------------------------------------------------

CHINESE = "激活函数 ReLU"


@pytest.mark.skipif(i18n.cjk_font() is None, reason="no CJK font installed (fonts-noto-cjk)")
def test_chinese_text_is_drawn_with_a_cjk_font_and_no_warnings(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one = render_png(CHINESE)
        other = render_png("函激数活 ReLU")  # the same characters, in another order
    # empty boxes would all look alike, so the two titles would draw the same pixels
    assert one != other


def render_png(title: str) -> bytes:
    from actplot.api import render_to_bytes
    from actplot.spec import build_spec

    return render_to_bytes(build_spec(["relu"], title=title, dpi=60), "png")


def test_without_a_cjk_font_one_line_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setattr(i18n, "_FOUND", [None])
    out = tmp_path / "zh.png"
    result = run_actplot_in_process(["relu", "--title", CHINESE, "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert lines == [f"Warning: {i18n.CJK_HINT}"] and "fonts-noto-cjk" in lines[0]
    assert out.stat().st_size > 0


def run_actplot_in_process(args):
    from click.testing import CliRunner

    from actplot.cli import cli

    return CliRunner().invoke(cli, args)


def test_lang_zh_puts_titles_labels_and_legends_in_chinese():
    figure = actplot.plot("relu", grad=True, lang="zh")
    titles = [ax.get_title() for ax in figure.axes]
    assert titles[0].startswith("relu\n") and titles[1] == "一阶导数\nf\u2032(x)"
    assert "不可导点" in _legend_texts(figure)
    full = actplot.plot("relu", grad=True, lang="zh", panel_titles="full")
    # Chinese tutorials head the function's panel 函数, not 前向 ("forward")
    assert full.axes[0].get_title().startswith("relu: 函数")
    assert full.axes[1].get_title().startswith("relu: 一阶导数")
    english = actplot.plot("relu", grad=True, panel_titles="full")
    assert english.axes[0].get_title().startswith("relu: forward")


# ---- completion -------------------------------------------------------------------------------

def test_themes_complete_at_the_shell(runner):
    from .test_completion import _complete

    assert _complete(runner, "actplot relu --theme d") == ["default", "dark"]
    assert _complete(runner, "actplot relu --legend o") == ["outside"]


# ---- baseline images --------------------------------------------------------------------------

BASELINE_CASES = {
    "prelu_grad": dict(functions="prelu", grad=True),
    "step_dark": dict(functions="step", grad=True, theme="dark"),
    "relu_paper": dict(functions=["relu", "sigmoid"], grad=True, theme="paper"),
}
TOLERANCE = 2.0  # RMS over 0-255: a moved legend or a clipped title is far above it


def _render(path: Path, functions, **options) -> None:
    from actplot.api import render_to_file
    from actplot.spec import build_spec

    render_to_file(build_spec(functions, dpi=80, **options), path, "png")


@pytest.mark.parametrize("name", list(BASELINE_CASES))
def test_figures_match_their_baseline_images(tmp_path, name):
    actual = tmp_path / f"{name}.png"
    _render(actual, **BASELINE_CASES[name])
    assert compare_images(str(BASELINES / f"{name}.png"), str(actual), TOLERANCE) is None


def test_the_baseline_tolerance_catches_a_moved_legend_and_a_clipped_title(tmp_path):
    expected = BASELINES / "prelu_grad.png"
    figure = actplot.plot("prelu", grad=True, dpi=80)
    figure.axes[1].get_legend().set_loc("upper left")
    moved = tmp_path / "moved.png"
    render.save_figure(figure, moved, "png")
    assert compare_images(str(expected), str(moved), TOLERANCE) is not None
    figure = actplot.plot("prelu", grad=True, dpi=80)
    box = figure.axes[0].get_position()
    figure.axes[0].set_position([box.x0, box.y0, box.width, box.height + 0.08])  # title cut off
    clipped = tmp_path / "clipped.png"
    render.save_figure(figure, clipped, "png")
    assert compare_images(str(expected), str(clipped), TOLERANCE) is not None


def update_baselines() -> None:  # python -c "from tests.test_looks import update_baselines as u; u()"
    BASELINES.mkdir(exist_ok=True)
    for name, case in BASELINE_CASES.items():
        _render(BASELINES / f"{name}.png", **case)


@pytest.mark.skipif(i18n.cjk_font() is None, reason="no CJK font installed (fonts-noto-cjk)")
def test_an_expression_named_in_chinese_titles_its_figure(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run_actplot_in_process(["平滑 = x * sigmoid(x)", "--grad", "--dpi", "50"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "平滑.png" and (tmp_path / "平滑.png").stat().st_size > 0
    assert actplot.plot("平滑 = x * sigmoid(x)").axes[0].get_title().startswith("平滑\n")
