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


# ---- words and symbols on the figure -----------------------------------------------------------

import re  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import actplot  # noqa: E402
from actplot import api, render  # noqa: E402
from actplot.registry import REGISTRY  # noqa: E402
from actplot.spec import build_spec  # noqa: E402

from .conftest import run_actplot  # noqa: E402


def _legend(ax) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def _curves(ax):
    return [line for line in ax.get_lines() if len(line.get_xdata()) > 2]


def test_legends_use_the_formula_symbol_and_do_not_repeat_one_function():
    sweep = actplot.plot("leaky_relu", params={"negative_slope": [0.01, 0.1]}, grad=True)
    assert _legend(sweep.axes[0])[:2] == ["$\\alpha$ = 0.01", "$\\alpha$ = 0.1"]
    chinese = actplot.plot("leaky_relu", params={"negative_slope": [0.01, 0.1]}, lang="zh")
    assert _legend(chinese.axes[0])[:2] == ["$\\alpha$ = 0.01", "$\\alpha$ = 0.1"]
    one = actplot.plot("elu", params={"alpha": [0.5, 1]}, layout="overlay")
    assert _legend(one.axes[0])[:2] == ["$\\alpha$ = 0.5", "$\\alpha$ = 1"]
    two = actplot.plot(["elu", "relu"], params={"elu.alpha": [0.5, 1]}, layout="overlay")
    assert _legend(two.axes[0])[:3] == ["elu ($\\alpha$ = 0.5)", "elu ($\\alpha$ = 1)", "relu"]
    # no symbol in the formula: the parameter's name
    plain = actplot.plot("softplus", params={"threshold": [5, 20]})
    assert _legend(plain.axes[0])[:2] == ["threshold = 5", "threshold = 20"]
    bar = actplot.plot("elu", params={"alpha": [0.25 * k for k in range(1, 9)]})
    assert [ax.get_ylabel() for ax in bar.axes if ax.get_label() == "<colorbar>"] == ["$\\alpha$"]


def _series(name: str, **options):
    spec = build_spec([name], points=40, **options)
    return api.compute_series(spec)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_plain_titles_line_up_and_carry_no_defaults_or_tool_words(name):
    entry = REGISTRY[name]
    series = _series(name, order=2)[0]
    titles = [render._panel_title(series, order, False) for order in range(3)]
    assert len({t.count("\n") for t in titles}) == 1, titles  # a row's titles line up
    text = "\n".join(titles)
    for word in ("forward", "autograd", "inplace"):
        assert word not in text
    for parameter in entry.params:  # at their defaults, no parameter is named
        assert parameter.name + " =" not in text
    full = render._panel_title(series, 0, False, full=True)
    assert "forward" in full


def test_a_parameter_set_away_from_its_default_is_named_once():
    series = _series("leaky_relu", params={"negative_slope": 0.2}, order=1)[0]
    title = render._panel_title(series, 0, False)
    assert title.split("\n")[0] == "leaky_relu ($\\alpha$ = 0.2)"
    gelu = _series("gelu", params={"approximate": "tanh"})[0]
    assert render._panel_title(gelu, 0, False).split("\n")[0] == "gelu (approximate = tanh)"


def test_an_imported_function_is_not_titled_by_its_own_name_twice(tmp_path):
    module = tmp_path / "mine.py"
    module.write_text("import torch\n\ndef h_swish(x, inplace=False):\n"
                      "    return x * torch.nn.functional.relu6(x + 3) / 6\n")
    figure = actplot.plot(f"{module}:h_swish", params={"inplace": True}, grad=True)
    assert [ax.get_title() for ax in figure.axes] == ["h_swish", "f\u2032(x)"]


def test_combined_titles_say_f_and_f_prime_or_its_derivatives():
    one = actplot.plot("elu", grad=True, layout="combined").axes[0].get_title()
    two = actplot.plot("elu", order=2, layout="combined").axes[0].get_title()
    assert one.startswith("elu: f(x) and f\u2032(x)") and "derivatives" not in one
    assert two.startswith("elu: f(x) and its derivatives")
    chinese = actplot.plot("elu", order=2, layout="overlay", lang="zh")
    assert chinese.axes[0].get_title().startswith("函数")


FRACTIONS = ["softmax", "sigmoid", "tanh", "hardswish", "squareplus", "laplace", "softplus"]


def test_title_formulas_never_run_into_the_axes():
    figure = actplot.plot(FRACTIONS, grad=True, points=100)
    renderer = figure.canvas.get_renderer()
    for ax in figure.axes:
        title = ax.title.get_window_extent(renderer)
        assert title.y0 >= ax.bbox.y1 - 0.5, ax.get_title()


# ---- ticks ---------------------------------------------------------------------------------------

def _labels(axis) -> list[str]:
    low, high = sorted(axis.get_view_interval())
    return [t.get_text() for t, v in zip(axis.get_ticklabels(), axis.get_ticklocs())
            if low <= v <= high]


def test_integer_data_get_integer_ticks():
    figure = actplot.plot("step", grad=True)
    figure.canvas.draw()
    assert _labels(figure.axes[0].yaxis) == ["0", "1"]
    assert all(float(v) == int(float(v)) for v in figure.axes[0].get_yticks())


def test_large_ranges_are_scaled_as_on_paper():
    figure = actplot.plot("relu", range=(-1e6, 1e6), grad=True, size=(3.5, 2.6))
    figure.canvas.draw()
    ax = figure.axes[0]
    assert ax.xaxis.get_offset_text().get_text() == "\u00d710\u2076"
    assert ax.yaxis.get_offset_text().get_text() == "\u00d710\u2076"
    assert not any("e" in label for label in _labels(ax.xaxis))


@pytest.mark.parametrize("range_", [(-1000, 1000), (-1e6, 1e6), (0.001, 0.0025)])
def test_tick_labels_of_a_narrow_panel_never_touch(range_):
    figure = actplot.plot("relu", range=range_, grad=True, size=(3.5, 2.6))
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    for ax in figure.axes:
        low, high = ax.get_xlim()
        boxes = sorted((t.get_window_extent(renderer) for t, v in
                        zip(ax.xaxis.get_ticklabels(), ax.get_xticks())
                        if low <= v <= high and t.get_text()), key=lambda b: b.x0)
        assert len(boxes) >= 2
        assert all(b.x0 - a.x1 > 2 for a, b in zip(boxes, boxes[1:]))


# ---- layouts and sizes ---------------------------------------------------------------------------

def _plot_area(figure) -> float:
    return min(ax.bbox.width * ax.bbox.height for ax in figure.axes)


@pytest.mark.slow
@pytest.mark.parametrize("names", [["relu"], ["softmax"], ["gelu", "elu"]])
def test_the_paper_theme_at_a_column_keeps_plots_at_least_as_large_as_no_theme(names):
    column = dict(grad=True, size=(3.5, 2.6 * len(names)), points=200, dpi=100)
    themed = actplot.plot(names, theme="paper", **column)
    plain = actplot.plot(names, **column)
    assert _plot_area(themed) >= _plot_area(plain) * 0.999


@pytest.mark.slow
def test_a_long_title_wraps_and_a_formula_too_wide_blames_the_title(invoke, tmp_path):
    words = "A long title that a paper author might write about relu and gelu " * 2
    result = invoke("relu", "gelu", "--grad", "--title", words, "--dpi", 40,
                    "-o", tmp_path / "t.png")
    assert result.exit_code == 0, result.output
    figure = actplot.plot(["relu", "gelu"], grad=True, title=words)
    title = figure._suptitle
    assert "\n" in title.get_text()
    assert title.get_window_extent(figure.canvas.get_renderer()).width <= figure.bbox.width
    wide = "$" + "x+" * 150 + "x$"
    result = invoke("relu", "--title", wide, "-o", tmp_path / "w.png")
    assert result.exit_code == 2 and "--title" in result.stderr and "formula" in result.stderr
    assert not (tmp_path / "w.png").exists()


@pytest.mark.slow
def test_many_functions_wrap_into_blocks_within_a_page(invoke, tmp_path):
    names = ["relu", "gelu", "elu", "selu", "silu", "mish", "sigmoid", "tanh", "softplus",
             "softsign"]
    result = invoke(*names, "--grad", "--points", 50, "--dpi", 20, "-o", tmp_path / "ten.png")
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "ten.png") as image:
        width, height = image.size
    assert height / 20 <= 11.0 and width > height
    figure = actplot.plot(names, grad=True, points=50)
    positions = {(round(ax.get_position().x0, 3), round(ax.get_position().y0, 3))
                 for ax in figure.axes}
    assert len(positions) == 20 and len({x for x, _ in positions}) == 4


def test_more_functions_than_a_page_holds_are_refused_with_a_way_out(invoke, tmp_path):
    names = [n for n, e in REGISTRY.items() if not e.vector]
    result = invoke(*names, "--grad", "-o", tmp_path / "all.png")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "batch spec" in result.stderr and "--size" in result.stderr
    assert list(tmp_path.iterdir()) == []
    data = invoke(*names, "--grad", "--at", 1, "--json")  # data is no figure: no page to fill
    assert data.exit_code == 0


def test_a_crowded_overlay_keeps_its_legend_in_columns_beside_the_panels():
    names = [n for n, e in REGISTRY.items() if not e.vector][:20]
    figure = actplot.plot(names, layout="overlay", grad=True, points=100)
    legends = [ax.get_legend() for ax in figure.axes if ax.get_legend() is not None]
    assert len(legends) == 1 and _legend(figure.axes[-1]) == names
    assert legends[0]._ncols == 2
    renderer = figure.canvas.get_renderer()
    box = legends[0].get_window_extent(renderer)
    assert box.x0 >= figure.axes[-1].bbox.x1 and box.x1 <= figure.bbox.x1 + 1


def test_a_legend_left_out_to_fit_is_said(invoke, tmp_path):
    with pytest.warns(UserWarning, match="the legend was left out"):
        actplot.plot("rrelu", grad=True, train=True, seed=1, size=(3.2, 1.3), points=100)
    result = invoke("rrelu", "-p", "training=true", "--grad", "--size", 3.2, 1.3,
                    "-o", tmp_path / "r.png")
    assert result.exit_code == 0 and "the legend was left out" in result.stderr


def _style(line) -> tuple:
    return (tuple(np.round(matplotlib_rgba(line.get_color()), 3)), str(line.get_linestyle()),
            str(line._dash_pattern))


def matplotlib_rgba(color):
    from matplotlib.colors import to_rgba

    return to_rgba(color)


@pytest.mark.parametrize("layout", ["rows", "overlay", "combined"])
def test_two_swept_parameters_are_coloured_by_the_first_and_dashed_by_the_second(layout):
    figure = actplot.plot("srelu", params={"t_left": [-2, -1], "a_left": [0.1, 0.3]},
                          layout=layout, grad=True, points=100)
    lines = [line for line in _curves(figure.axes[0]) if not line.get_label().startswith("_")
             and "=" in line.get_label()]
    assert len(lines) == 4
    colour = {line.get_label(): matplotlib_rgba(line.get_color()) for line in lines}
    dashes = {line.get_label(): str(line._unscaled_dash_pattern) for line in lines}
    first = {label: re.search(r"t_l\$ = (\S+),", label)[1] for label in colour}
    second = {label: re.search(r"a_l\$ = (\S+)", label)[1] for label in colour}
    for a in colour:
        for b in colour:
            assert (colour[a] == colour[b]) == (first[a] == first[b]), (a, b)
            assert (dashes[a] == dashes[b]) == (second[a] == second[b]), (a, b)


def test_combined_with_several_functions_is_a_grid():
    figure = actplot.plot(["relu", "gelu", "elu", "swish"], layout="combined", grad=True,
                          points=100)
    positions = [ax.get_position() for ax in figure.axes]
    assert len({round(p.x0, 3) for p in positions}) == 2
    assert len({round(p.y0, 3) for p in positions}) == 2
    assert figure.axes[1].get_title().startswith("gelu")  # read left to right


def _wcag_contrast(color, background) -> float:
    def luminance(rgb):
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(color), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.slow
@pytest.mark.parametrize("theme", ["default", "dark"])
def test_one_colour_bar_for_sweeps_that_share_a_scale_and_every_curve_shows(theme):
    figure = actplot.plot(["elu", "celu"], params={"alpha": [0.25 * k for k in range(1, 9)]},
                          grad=True, points=100, theme=theme)
    bars = [ax for ax in figure.axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 1
    background = matplotlib_rgba(figure.axes[0].get_facecolor())
    for line in _curves(figure.axes[0])[-8:]:
        assert _wcag_contrast(matplotlib_rgba(line.get_color()), background) >= 3.0
    from matplotlib import colormaps

    assert _wcag_contrast(colormaps["viridis"](1.0), (1, 1, 1)) < 1.3  # what it replaces


# ---- formats -------------------------------------------------------------------------------------

MAGIC = {"eps": b"%!PS-Adobe-3.0 EPSF", "jpg": b"\xff\xd8\xff", "jpeg": b"\xff\xd8\xff",
         "tiff": b"II*\x00", "tif": b"II*\x00", "webp": b"RIFF"}


@pytest.mark.slow
def test_every_format_is_written_with_its_magic_and_the_same_bytes_each_time(tmp_path):
    spec = tmp_path / "formats.toml"
    spec.write_text("".join(f'[[figure]]\nfunctions = ["relu"]\ngrad = true\npoints = 100\n'
                            f'dpi = 50\noutput = "relu.{suffix}"\n\n' for suffix in MAGIC))
    for run in ("a", "b"):  # two fresh processes, hash seeds randomised
        result = run_actplot("batch", spec, "--out-dir", tmp_path / run, "-q",
                             python_flags=("-R",))
        assert result.returncode == 0 and result.stderr == "", result.stderr
    for suffix, magic in MAGIC.items():
        made = (tmp_path / "a" / f"relu.{suffix}").read_bytes()
        assert made == (tmp_path / "b" / f"relu.{suffix}").read_bytes(), suffix
        assert made.startswith(magic), suffix
        if suffix == "webp":
            assert made[8:12] == b"WEBP"
        if suffix == "eps":
            assert b"CreationDate" not in made and b"Matplotlib" not in made
        else:
            with Image.open(tmp_path / "a" / f"relu.{suffix}") as image:
                assert image.size == (round(8.8 * 50), round(3.7 * 50)), suffix


@pytest.mark.slow
def test_eps_carries_source_date_epoch_when_given(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    actplot.save(tmp_path / "r.eps", "relu", points=50)
    assert b"%%CreationDate: Fri Jan 02 00:00:00 1970" in (tmp_path / "r.eps").read_bytes()


def test_an_output_without_an_extension_is_refused_naming_the_formats(invoke, tmp_path):
    result = invoke("relu", "-o", tmp_path / "figure")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    for fmt in (".png", ".svg", ".pdf", ".eps", ".jpg", ".tiff", ".webp"):
        assert fmt in result.stderr
    assert not (tmp_path / "figure").exists()
    given = invoke("relu", "--points", 20, "--dpi", 30, "--format", "png",
                   "-o", tmp_path / "figure")
    assert given.exit_code == 0 and (tmp_path / "figure").read_bytes()[:4] == b"\x89PNG"


def test_svg_text_keeps_text_editable_and_the_default_draws_paths(invoke, tmp_path):
    assert invoke("relu", "--points", 20, "-o", tmp_path / "paths.svg").exit_code == 0
    assert invoke("relu", "--points", 20, "--svg-text", "-o", tmp_path / "text.svg").exit_code == 0
    paths, text = (tmp_path / "paths.svg").read_text(), (tmp_path / "text.svg").read_text()
    assert "<text" not in paths and "<text" in text and ">relu<" in text.replace("\n", "")


# ---- fit, info and batch -------------------------------------------------------------------------

def test_fit_takes_the_theme_language_and_panel_options(tmp_path):
    figure, _ = actplot.fit("relu", hidden=2, steps=20, theme="dark", lang="zh",
                            ylim=(-1, 5), ylabel="output", panel_titles="none")
    fit_ax, unit_ax, loss_ax = figure.axes[:3]
    assert fit_ax.get_ylim() == (-1, 5) and fit_ax.get_ylabel() == "output"
    assert all(ax.get_title() == "" for ax in figure.axes[:3])
    assert "目标" in _legend(fit_ax) and loss_ax.get_xlabel() == "步数"
    dark = render.themes.theme("dark").rc["axes.facecolor"]
    assert matplotlib_rgba(fit_ax.get_facecolor()) == matplotlib_rgba(dark)
    spec = tmp_path / "fit.toml"
    spec.write_text('[[fit]]\nfunctions = ["relu"]\nsteps = 10\nhidden = 2\ntheme = "paper"\n'
                    'panel_titles = "short"\noutput = "fit.png"\ndpi = 30\n')
    from actplot import batch

    jobs = batch.load_spec(spec)
    assert jobs[0].spec.theme == "paper" and jobs[0].spec.panel_titles == "short"


def test_fit_cli_takes_the_look_options(invoke, tmp_path):
    result = invoke("fit", "relu", "--hidden", 2, "--steps", 10, "--theme", "paper",
                    "--lang", "zh", "--legend", "none", "--dpi", 30, "-o", tmp_path / "f.png")
    assert result.exit_code == 0, result.output


def test_info_speaks_chinese_with_columns_that_line_up(invoke):
    result = invoke("info", "relu", "elu", "--lang", "zh")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("性质") and any(line.startswith("值域") for line in lines)
    from actplot.output import cells

    starts = {cells(line[: line.index("(-∞")]) for line in lines if line.startswith("定义域")}
    column = {cells(lines[0][: lines[0].index("relu")])}
    assert starts == column


def test_batch_help_lists_every_key_the_specs_accept(invoke):
    from actplot.spec import DEPTH_KEYS, EXPLORE_KEYS, FIGURE_KEYS, FIT_KEYS

    text = " ".join(invoke("batch", "--help").stdout.split())
    for table, keys in (("[[figure]]", FIGURE_KEYS), ("[[fit]]", FIT_KEYS),
                        ("[[depth]]", DEPTH_KEYS), ("[[explore]]", EXPLORE_KEYS)):
        listed = text.split(f"{table} keys: ")[1].split(" [[")[0].split("actplot batch")[0]
        assert [k.strip(" ,") for k in listed.split(",")] == list(keys)



# ---- the gallery ---------------------------------------------------------------------------------

from actplot import batch, gallery  # noqa: E402

from .conftest import with_site  # noqa: E402

GALLERY_SAMPLE = ("relu", "sigmoid", "softmax")


def _small_gallery(out, grad=True):
    jobs = [job for job in batch.gallery_jobs(out, fmt="png", grad=grad, dpi=30)
            if job.spec.functions[0] in GALLERY_SAMPLE]
    summary = batch.run(jobs, quiet=True)
    gallery.write_index(out, jobs, grad=grad)
    return jobs, summary


def test_the_gallery_index_typesets_formulas_shows_an_overview_and_caches_properties(tmp_path):
    out = tmp_path / "g"
    jobs, summary = _small_gallery(out)
    assert len(summary.written) == 3
    page, markdown = (out / "index.html").read_text(), (out / "index.md").read_text()
    assert "$f(x) = \\max(0,\\ x)$" in markdown and "`\\max" not in markdown
    # fractions in display style, as tall as the text beside them
    assert "\\dfrac{1}{1+e^{-x}}" in page and "\\dfrac{1}{1+e^{-x}}" in markdown
    small = gallery.formula_svg("\\frac{1}{1+e^{-x}}")
    large = gallery.formula_svg(gallery.displayed("\\frac{1}{1+e^{-x}}"))
    height = re.compile(r'height="([0-9.]+)"')
    assert float(height.search(large)[1]) > 1.3 * float(height.search(small)[1])
    overview = page.split('<nav class="overview"')[1].split("</nav>")[0]
    assert re.findall(r'href="#(\w+)"', overview) == list(GALLERY_SAMPLE)
    for name in GALLERY_SAMPLE:
        assert f'<section id="{name}">' in page
        assert f'<a href="#{name}"><img src="{name}.png"' in markdown
    manifest = batch.load_manifest_data(out)
    assert sorted(manifest["properties"]) == sorted(f"{n}.png" for n in GALLERY_SAMPLE)
    record = manifest["properties"]["relu.png"]["record"]
    assert record["gain"] == pytest.approx(2 ** 0.5)


@pytest.mark.slow
def test_a_gallery_rerun_recomputes_and_rewrites_nothing(tmp_path, monkeypatch):
    out = tmp_path / "g"
    _small_gallery(out)
    stamps = {page: (out / page).stat().st_mtime_ns for page in gallery.PAGES}
    import actplot.properties

    def refuse(*_):
        raise AssertionError("properties recomputed on a rerun")

    monkeypatch.setattr(actplot.properties, "properties", refuse)
    _, summary = _small_gallery(out)
    assert not summary.written and len(summary.skipped) == 3
    assert {page: (out / page).stat().st_mtime_ns for page in gallery.PAGES} == stamps
    # a figure drawn again brings its own record: the index is remade from the manifest alone
    (out / "relu.png").unlink()
    _, summary = _small_gallery(out)
    assert [job.relative for job in summary.written] == ["relu.png"]


def test_an_index_from_an_older_manifest_computes_what_is_missing(tmp_path):
    out = tmp_path / "g"
    jobs, _ = _small_gallery(out)
    batch.update_manifest(out, lambda data: (data.pop("properties"), data.pop("index")))
    (out / "index.html").unlink()
    gallery.write_index(out, jobs, grad=True)
    assert "<dt>init gain</dt><dd>1.414214</dd>" in (out / "index.html").read_text()


@pytest.mark.slow
def test_the_gallery_includes_the_installed_plugins(plugin_site, tmp_path):
    out = tmp_path / "g"
    # the gallery's own jobs, with the plugins found in the process that runs them; only the
    # plugins' figures and one built-in are drawn (the rest of the gallery is tested elsewhere)
    script = ("import sys\nfrom actplot import batch, gallery\n"
              "jobs = [j for j in batch.gallery_jobs(sys.argv[1], fmt='png', dpi=20)\n"
              "        if j.spec.functions[0] in ('relu', 'biased_relu', 'soft_sign_square')]\n"
              "assert [j.spec.functions[0] for j in jobs] == "
              "['relu', 'biased_relu', 'soft_sign_square']\n"
              "batch.run(jobs, quiet=True)\ngallery.write_index(sys.argv[1], jobs, grad=False)\n")
    result = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True,
                            text=True, timeout=600, env={**os.environ, **with_site(plugin_site)})
    assert result.returncode == 0, result.stderr
    page = (out / "index.html").read_text()
    for name in ("biased_relu", "soft_sign_square"):
        assert (out / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
        assert f'<section id="{name}">' in page and f'href="#{name}"' in page
    assert "<strong>plugins</strong>" in page
