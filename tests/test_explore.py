"""actplot explore (issue 20): one self-contained page, its data right to the last digit it
shows, escaped, small, the same bytes each time; and in Chromium: sliders, orders, the readout,
no console errors and no network."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

import actplot
from actplot.explorer.data import LEVELS, NAN_CODE
from actplot.spec import build_explore_spec


def _data(page: str) -> dict:
    text = page.split('<script type="application/json" id="actplot-data">')[1].split("</script>")[0]
    return json.loads(text)


def _decoded(curve: dict) -> np.ndarray:
    codes = np.frombuffer(base64.b64decode(curve["q"]), dtype="<u2")
    values = curve["lo"] + (curve["hi"] - curve["lo"]) * codes / LEVELS
    return np.where(codes == NAN_CODE, np.nan, values)


def test_every_variant_holds_autograds_curves_to_a_part_in_65534(tmp_path, invoke):
    result = invoke("explore", "elu", "-p", "alpha=0:2:5", "--points", 101,
                    "-o", tmp_path / "e.html")
    assert result.exit_code == 0, result.output
    data = _data((tmp_path / "e.html").read_text())
    elu = data["functions"][0]
    assert elu["params"][0]["values"] == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert elu["params"][0]["start"] == 2  # the slider starts at the default, alpha = 1
    for variant, alpha in zip(elu["variants"], elu["params"][0]["values"]):
        x = np.frombuffer(base64.b64decode(variant["x"]), dtype="<f4").astype(float)
        f, slope, curvature = (_decoded(c) for c in variant["curves"])
        # elu's closed forms, independent of torch
        expected = np.where(x > 0, x, alpha * np.expm1(x))
        expected_slope = np.where(x > 0, 1.0, alpha * np.exp(x))
        span = elu["limits"][0][1] - elu["limits"][0][0]
        finite = np.isfinite(f)
        assert np.max(np.abs(f[finite] - expected[finite])) <= 1e-4 * span
        assert np.nanmax(np.abs(slope - expected_slope)) <= 1e-4 * (
            elu["limits"][1][1] - elu["limits"][1][0])
        # the one-sided derivatives at the kink: alpha and 1 (none where alpha = 1: smooth)
        ones = sorted(y for _, y, _ in variant["marks"][1])
        assert ones == ([] if alpha == 1.0 else sorted([alpha, 1.0]))
        assert 0.0 in variant["breaks"][1] or alpha == 1.0
        # f'' jumps at 0 from alpha to 0 (none at alpha = 0): the curve is held on both sides
        left, right = curvature[x < -1e-3][-1], curvature[x > 1e-3][0]
        assert left == pytest.approx(alpha * np.exp(x[x < -1e-3][-1]), abs=1e-3) and right == 0


def test_the_page_is_escaped_offline_and_the_same_bytes_each_time(tmp_path):
    module = tmp_path / "mine.py"
    module.write_text('import torch\n\ndef bent(x):\n    """<script>alert("doc")</script> a '
                      'bent line"""\n    return torch.where(x < 0, 0.5 * x, x)\n')
    functions = [f"{module}:bent", "where(x < 0, 0.1 * x, x)"]
    title = '<script>alert("title")</script> & more'
    pages = [actplot.explore(functions, title=title, points=50) for _ in range(2)]
    assert pages[0] == pages[1]
    page = pages[0]
    assert "<script>alert" not in page and "</script> &" not in page
    assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt; &amp; more" in page
    data = _data(page)  # the JSON reads back to the user's own text
    assert data["title"] == title
    assert data["functions"][0]["summary"].startswith('<script>alert("doc")')
    assert data["functions"][1]["label"] == "where(x < 0, 0.1 * x, x)"
    assert not re.search(r"""(src|href)=["']?https?:""", page) and "@import" not in page
    assert page.count("<script") == 2  # the data and the page's own script: nothing fetched


def test_every_built_in_fits_in_a_small_page(every_function_page):
    spec = build_explore_spec(all=True)
    assert len(spec.functions) >= 60
    assert sum(len(spec.variants(f)) for f in spec.functions) > 400  # their documented sweeps
    assert every_function_page.stat().st_size < 5_000_000
    data = _data(every_function_page.read_text())
    assert [f["name"] for f in data["functions"]] == list(spec.functions)
    assert sum(len(f["variants"]) for f in data["functions"]) == sum(
        len(spec.variants(f)) for f in spec.functions)


def test_the_api_writes_the_page_it_returns(tmp_path):
    page = actplot.explore("relu", points=50, path=tmp_path / "relu.html")
    assert (tmp_path / "relu.html").read_text() == page


def test_explore_from_a_batch_spec_and_bad_input(invoke, tmp_path):
    spec = tmp_path / "explore.toml"
    spec.write_text('[[explore]]\nfunctions = ["leaky_relu"]\nparams = { negative_slope = '
                    '[0, 0.1, 0.2] }\norder = 1\noutput = "lrelu.html"\n')
    assert invoke("batch", spec, "-q").exit_code == 0
    data = _data((tmp_path / "lrelu.html").read_text())
    assert data["order"] == 1 and len(data["functions"][0]["variants"]) == 3
    for args, message in ((["explore"], "give --all"),
                          (["explore", "relu", "-o", tmp_path / "x.png"], "name it .html"),
                          (["explore", "relu", "--theme", "blue"], "'blue' is not one of")):
        result = invoke(*args)
        assert result.exit_code == 2 and message in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1


def test_the_gallery_links_each_function_to_its_place_in_an_explore_page(tmp_path):
    from actplot import batch, gallery

    out = tmp_path / "g"
    jobs = [job for job in batch.gallery_jobs(out, fmt="png", dpi=30)
            if job.spec.functions[0] in ("relu", "elu")]
    batch.run(jobs, quiet=True)
    gallery.write_index(out, jobs, grad=False, explore=True)
    page = (out / "index.html").read_text()
    assert 'href="explore.html#relu"' in page and 'href="explore.html#elu"' in page
    assert "[Explore elu with sliders](explore.html#elu)" in (out / "index.md").read_text()
    data = _data((out / "explore.html").read_text())
    assert [f["name"] for f in data["functions"]] == ["relu", "elu"]
    assert len(data["functions"][1]["params"][0]["values"]) == 21  # elu's documented alpha
    stamp = (out / "explore.html").stat().st_mtime_ns
    gallery.write_index(out, jobs, grad=False, explore=True)  # up to date: nothing rewritten
    assert (out / "explore.html").stat().st_mtime_ns == stamp
