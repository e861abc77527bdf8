"""Every PNG has exactly round(inches x dpi) pixels and carries the dpi asked for: through the
plot command, the API, batch specs, `fit` (PNG and GIF) and the gallery's jobs. The truth is the
arithmetic of the size and the dpi, read back from the file with Pillow."""

from __future__ import annotations

import pytest
from PIL import Image

import actplot
from actplot import batch
from actplot.spec import build_fit_spec, build_spec, figure_size, fit_size

DPIS = [72, 300]


def _pixels(path) -> tuple[tuple[int, int], float]:
    with Image.open(path) as image:
        return image.size, image.info.get("dpi", (0, 0))[0]


def _expected(inches: tuple[float, float], dpi: int) -> tuple[int, int]:
    return round(inches[0] * dpi), round(inches[1] * dpi)


@pytest.mark.parametrize("dpi", DPIS)
def test_the_plot_command(invoke, tmp_path, dpi):
    path = tmp_path / "relu.png"
    assert invoke("relu", "--grad", "--points", 50, "--dpi", dpi, "-o", path).exit_code == 0
    size, stored = _pixels(path)
    assert size == _expected(figure_size(build_spec(["relu"], grad=True)), dpi)
    assert stored == pytest.approx(dpi, abs=0.02)  # PNG stores pixels per metre, whole numbers


@pytest.mark.parametrize("dpi", [72, 300])
def test_a_given_size_rounds_rather_than_truncates(invoke, tmp_path, dpi):
    path = tmp_path / "relu.png"  # 3.33 in x 72 = 239.76: 240 pixels, not 239
    assert invoke("relu", "--points", 50, "--size", 3.33, 2.71, "--dpi", dpi, "-o", path
                  ).exit_code == 0
    assert _pixels(path)[0] == _expected((3.33, 2.71), dpi)


@pytest.mark.parametrize("dpi", [72, 300])
def test_the_api(tmp_path, dpi):
    path = actplot.save(tmp_path / "a.png", "sigmoid", points=50, dpi=dpi)
    assert _pixels(path)[0] == _expected(figure_size(build_spec(["sigmoid"])), dpi)


def test_batch_specs_and_their_defaults(invoke, tmp_path):
    (tmp_path / "spec.toml").write_text(
        '[defaults]\ndpi = 80\npoints = 50\n'
        '[[figure]]\nfunctions = ["relu"]\noutput = "a.png"\n'
        '[[figure]]\nfunctions = ["tanh"]\ndpi = 600\noutput = "b.png"\n'
        '[[fit]]\nfunctions = ["relu"]\nhidden = 2\nsteps = 5\ndpi = 90\noutput = "c.png"\n')
    result = invoke("batch", tmp_path / "spec.toml", "--jobs", 1)
    assert result.exit_code == 0, result.stderr
    one_panel = figure_size(build_spec(["relu"]))
    assert _pixels(tmp_path / "a.png") == (_expected(one_panel, 80), pytest.approx(80, abs=0.02))
    assert _pixels(tmp_path / "b.png")[0] == _expected(one_panel, 600)
    fit = fit_size(build_fit_spec("relu"))
    assert _pixels(tmp_path / "c.png")[0] == _expected(fit, 90)


@pytest.mark.parametrize("dpi, fmt", [(72, "png"), (300, "png"), (50, "gif")])
def test_fit(invoke, tmp_path, dpi, fmt):
    path = tmp_path / f"fit.{fmt}"
    result = invoke("fit", "relu", "--hidden", 2, "--steps", 5, "--frames", 2, "--dpi", dpi,
                    "-o", path)
    assert result.exit_code == 0, result.stderr
    assert _pixels(path)[0] == _expected(fit_size(build_fit_spec("relu")), dpi)


@pytest.mark.parametrize("dpi", [60, 200])
def test_the_gallerys_figures(tmp_path, dpi):
    jobs = batch.gallery_jobs(tmp_path, fmt="png", grad=True, dpi=dpi)
    job = next(j for j in jobs if j.label.endswith(": relu"))
    path = tmp_path / "relu.png"
    assert batch.render_job(job.spec, str(path), "png") is None
    assert _pixels(path)[0] == _expected(figure_size(job.spec), dpi)


def test_svg_keeps_the_size_in_points(invoke, tmp_path):
    """The whole-pixel rounding is for raster files: an SVG is exactly the size asked for."""
    path = tmp_path / "relu.svg"
    assert invoke("relu", "--points", 50, "--size", 3.33, 2.71, "-o", path).exit_code == 0
    head = path.read_text()[:400]
    assert 'width="239.76pt"' in head and 'height="195.12pt"' in head
