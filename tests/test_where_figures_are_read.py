"""Issue 21: Sphinx, MkDocs, a README and Jupyter, each built or run for real: the figures are
there, referenced, cached (an unchanged rebuild redraws nothing), and a bad command is one line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import run_actplot

pytest.importorskip("sphinx", reason="the sphinx extra is not installed")


def _sphinx(source: Path, out: Path, builder: str = "html", *extra: str):
    return subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", builder, *extra,
                           str(source), str(out)], capture_output=True, text=True, timeout=600)


INDEX = """\
Demo
====

.. actplot:: relu gelu --grad --layout overlay --points 200
   :caption: relu and gelu with their derivatives
   :alt: two curves and their derivatives
   :width: 80%
   :show-command:

.. actplot:: fit relu --hidden 2 --steps 30

.. actplot-info:: relu gelu
"""


def _project(tmp_path: Path, index: str = INDEX) -> Path:
    source = tmp_path / "src"
    source.mkdir(parents=True, exist_ok=True)
    (source / "conf.py").write_text('project = "demo"\nextensions = ["actplot.sphinxext"]\n')
    (source / "index.rst").write_text(index)
    return source


def _figures(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (out / "actplot").iterdir()}


@pytest.mark.slow
def test_a_sphinx_build_draws_caches_and_redraws_only_what_changed(tmp_path):
    source = _project(tmp_path)
    out = tmp_path / "html"
    result = _sphinx(source, out, "html", "-j", "2")  # parallel_read_safe and write_safe
    assert result.returncode == 0 and result.stderr == "", result.stderr
    page = (out / "index.html").read_text()
    images = sorted(p.name for p in (out / "_images").iterdir())
    assert len(images) == 2 and all(name.endswith(".svg") for name in images)
    for name in images:
        assert f'src="_images/{name}"' in page
    assert 'alt="two curves and their derivatives"' in page
    assert "relu and gelu with their derivatives" in page and "width: 80%" in page
    assert "actplot relu gelu --grad --layout overlay" in page  # :show-command:
    assert page.count('<table class="actplot-info') == 1 and "init gain" in page
    first = _figures(out)
    parallel_page = page
    assert _sphinx(source, out, "html", "-E").returncode == 0  # every page read again, serially
    assert _figures(out) == first  # and nothing redrawn
    assert (out / "index.html").read_text() == parallel_page  # -j 2 gave the same page
    (source / "index.rst").write_text(INDEX.replace("--steps 30", "--steps 31"))
    assert _sphinx(source, out).returncode == 0
    after = _figures(out)
    assert {name: after[name] for name in first} == first and len(set(after) - set(first)) == 1


@pytest.mark.slow
def test_latex_gets_pdf_and_bad_commands_are_a_warning_naming_the_line(tmp_path):
    source = _project(tmp_path, INDEX + "\n.. actplot:: rleu --grad\n")
    result = _sphinx(source, tmp_path / "latex", "latex")
    assert result.returncode == 0
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and "index.rst:14" in warnings[0]
    assert "unknown function 'rleu'; did you mean 'relu'?" in warnings[0]
    tex = (tmp_path / "latex" / "demo.tex").read_text()
    assert tex.count("\\sphinxincludegraphics") == 2 and tex.count("}.pdf}") == 2
    # with -W the warning is an error (a page with only the bad command: nothing else to draw)
    only_bad = _project(tmp_path / "strict", "Demo\n====\n\n.. actplot:: rleu --grad\n")
    strict = _sphinx(only_bad, tmp_path / "strict" / "out", "html", "-W")
    assert strict.returncode != 0 and "rleu" in strict.stderr


MKDOCS = "site_name: demo\nplugins:\n  - actplot\n"
PAGE = "# Demo\n\n```actplot\nrelu --grad --points 200\n```\n\nText after.\n"


@pytest.mark.slow
def test_a_mkdocs_build_inlines_the_figure_and_caches_it(tmp_path):
    pytest.importorskip("mkdocs", reason="the mkdocs extra is not installed")
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text(MKDOCS)
    (tmp_path / "docs" / "index.md").write_text(PAGE)

    def build():
        return subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=600)

    result = build()
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "site" / "index.html").read_text()
    assert '<svg role="img" aria-label="actplot relu --grad --points 200"' in page
    assert "<?xml" not in page and "Text after." in page
    cache = {p.name: p.stat().st_mtime_ns for p in (tmp_path / ".actplot-cache").iterdir()}
    assert len(cache) == 1
    assert build().returncode == 0
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / ".actplot-cache").iterdir()} == cache
    (tmp_path / "docs" / "index.md").write_text(PAGE.replace("relu --grad", "rleu --grad"))
    failed = build()
    assert failed.returncode != 0 and "index.md: rleu --grad" in failed.stderr
    assert "did you mean 'relu'?" in failed.stderr and "Traceback" not in failed.stderr


@pytest.mark.slow
def test_actplot_readme_refreshes_recorded_images_and_check_names_the_stale(invoke, tmp_path):
    markdown = tmp_path / "README.md"
    markdown.write_text("# Demo\n\n<!-- actplot relu --grad --points 100 --dpi 30 -->\n"
                        "![relu](images/relu.png)\n\nSome text.\n\n"
                        "<!-- actplot elu --points 100 --dpi 30 -->\n![elu](images/elu.png)\n")
    result = invoke("readme", markdown)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "images" / "relu.png").read_bytes()[:4] == b"\x89PNG"
    stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "images").iterdir()}
    check = invoke("readme", markdown, "--check")
    assert check.exit_code == 0 and "2 of 2 images up to date" in check.stderr
    invoke("readme", markdown)  # nothing changed: nothing rewritten
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "images").iterdir()} == stamps
    markdown.write_text(markdown.read_text().replace("elu --points 100", "elu --points 101"))
    stale = invoke("readme", markdown, "--check")
    assert stale.exit_code == 1 and "images/elu.png" in stale.stdout
    assert "1 of 2 images" in stale.stderr
    markdown.write_text(markdown.read_text().replace("elu --points", "eluu --points"))
    bad = invoke("readme", markdown)
    assert bad.exit_code == 1 and bad.stderr.count("\n") == 1
    assert "README.md:8" in bad.stderr and "eluu" in bad.stderr  # the command's line


NOTEBOOK_CELLS = [
    "%load_ext actplot",
    "%actplot relu --grad --points 100",
    "%%actplot\nrelu --points 100\nelu --points 100",
    "%actplot rleu",
    "%actplot info relu",
    "import actplot\nactplot.plot('relu', points=100)",
    "actplot.interact('elu', points=100)",
]


@pytest.mark.slow
def test_a_real_notebook_shows_the_figures_inline(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS])
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [cell.outputs for cell in notebook.cells]
    assert outputs[0] == []
    assert [o["output_type"] for o in outputs[1]] == ["display_data"]
    assert outputs[1][0]["data"]["image/svg+xml"].count("<svg") == 1
    assert len([o for o in outputs[2] if "image/svg+xml" in o.get("data", {})]) == 2
    error = outputs[3]  # IPython prints a magic's UsageError as one line, no traceback
    assert [o["output_type"] for o in error] == ["stream"] and error[0]["name"] == "stderr"
    assert error[0]["text"].startswith("UsageError: actplot: ")
    assert "unknown function 'rleu'" in error[0]["text"] and error[0]["text"].count("\n") == 1
    assert "init gain" in "".join(o.get("text", "") for o in outputs[4])
    figure = outputs[5][0]["data"]
    assert "image/png" in figure and "image/svg+xml" in figure
    assert outputs[5][0]["metadata"]["image/png"]["width"] > 0  # drawn at 2x, shown at 1x
    widget = outputs[6][0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in widget


def test_importing_actplot_or_its_help_never_loads_the_integrations():
    probe = textwrap.dedent("""
        import sys
        import actplot
        from actplot.cli import cli
        try:
            cli.main(["--help"], standalone_mode=False)
        except SystemExit:
            pass
        loaded = [m for m in ("sphinx", "mkdocs", "IPython", "ipywidgets", "docutils")
                  if m in sys.modules]
        print("LOADED:" + ",".join(loaded))
    """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout.strip().splitlines()[-1] == "LOADED:"


def test_embedding_errors_name_what_is_wrong(tmp_path):
    from actplot import embed

    for command, message in (("", "the command is empty"), ("relu -o x.png", "drop -o"),
                             ("list", "draws no figure"), ("relu 'x", "cannot read")):
        with pytest.raises(embed.EmbedError, match=message):
            embed.draw(embed.split(command), tmp_path, "svg")
    assert run_actplot("--version").returncode == 0


def test_interact_without_ipywidgets_says_how_to_get_it(monkeypatch):
    pytest.importorskip("IPython", reason="the jupyter extra is not installed")
    import actplot

    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"needs ipywidgets: pip install 'actplot\[jupyter\]'"):
        actplot.interact("elu")
    with pytest.raises(actplot.SpecError, match="unknown function 'rleu'"):
        monkeypatch.delitem(sys.modules, "ipywidgets")
        actplot.interact("rleu")


def test_what_a_command_would_warn_is_passed_on(tmp_path):
    from actplot import embed

    drawn = embed.draw(embed.split("rrelu --train --seed 1 --grad --size 3.2 1.3 --points 100"),
                       tmp_path, "svg")
    assert any("the legend was left out" in text for text in drawn.warnings)
