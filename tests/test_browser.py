"""The HTML gallery in a real browser: headless Chromium loads index.html from disk."""

from __future__ import annotations

import shutil

import pytest

from actplot.registry import REGISTRY

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                       reason="Chromium and chromedriver are not installed (Debian packages "
                              "chromium and chromium-driver; .ci/run installs them)"),
]


def chromium(profile, width: int = 1280, height: int = 2000):
    """Headless Chromium through chromedriver, its console kept for the tests to read."""
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars",
                 "--force-device-scale-factor=1", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture
def browser(tmp_path):
    driver = chromium(tmp_path / "profile")
    yield driver
    driver.quit()


# one gallery (a full one takes a quarter of a minute on 2 cores): SVG on the dark page; PNGs are
# checked whole in test_batch.py's gallery, and the light page's background by the same code path
@pytest.mark.parametrize("fmt, theme", [("svg", "dark")])
def test_gallery_images_decode_in_chromium(invoke, tmp_path, browser, fmt, theme):
    out = tmp_path / "gallery"
    result = invoke("gallery", "-o", out, "--format", fmt, "--grad", "-q", "--jobs", 2,
                    "--theme", theme)
    assert result.exit_code == 0, result.output
    browser.get((out / "index.html").as_uri())
    browser.execute_async_script(
        "const done = arguments[0];"
        "Promise.all([...document.images].map(i => i.decode().catch(() => null))).then(done);")
    images = browser.execute_script(
        "return [...document.images].map(i => [i.getAttribute('src'), i.complete, i.naturalWidth]);")
    # each figure twice: its tile in the overview, and its section
    assert sorted(src for src, _, _ in images) == sorted(2 * [f"{name}.{fmt}" for name in REGISTRY])
    broken = [src for src, complete, width in images if not complete or width == 0]
    assert broken == []
    assert browser.title == "actplot gallery"
    boxes = browser.execute_script(  # actplot info's properties, drawn as a box per function
        "return [...document.querySelectorAll('dl.properties')].map(d => d.offsetHeight);")
    assert len(boxes) == len(REGISTRY) and min(boxes) > 0
    shot = tmp_path / f"gallery-{fmt}.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG")
    # every formula typeset as inline SVG (no raw LaTeX on the page), drawn with a size
    formulas = browser.execute_script(
        "return [...document.querySelectorAll('svg.formula')].map(s => s.getBoundingClientRect().width);")
    assert len(formulas) == len(REGISTRY) and min(formulas) > 10
    text = browser.execute_script("return document.body.innerText;")
    assert "\\frac" not in text and "$" not in text
    # a table of contents whose every link lands on its function's section
    targets = browser.execute_script(
        "return [...document.querySelectorAll('#contents a')].map("
        "a => !!document.querySelector(a.getAttribute('href')));")
    assert len(targets) == len(REGISTRY) and all(targets)
    background = browser.execute_script(
        "return getComputedStyle(document.body).backgroundColor;")
    assert background == ("rgb(21, 24, 28)" if theme == "dark" else "rgb(255, 255, 255)")
