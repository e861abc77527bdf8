"""The explore page in headless Chromium: it loads fast from file:// with no network and no
console errors; a slider redraws the curve that actplot --json gives for that value; the orders
toggle; the readout under the pointer matches --at."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from .test_browser import browser, chromium, pytestmark  # noqa: F401  (the same Chromium)

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "images" / "explore.png"
SCREENSHOT_COMMAND = ("explore", "elu", "leaky_relu", "gelu", "-p", "alpha=0:2:41",
                      "-p", "negative_slope=0:0.5:26", "--theme", "light")


def _page(invoke, tmp_path, *args) -> Path:
    path = tmp_path / "explore.html"
    result = invoke(*args, "-o", path)
    assert result.exit_code == 0, result.output
    return path


def _ready(browser, path: Path) -> float:
    start = time.perf_counter()
    browser.get(path.as_uri())
    assert browser.execute_script("return document.documentElement.dataset.ready") == "1"
    return time.perf_counter() - start


def _quiet(browser) -> None:
    """No console errors, and nothing fetched: every resource is the page itself."""
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_every_built_in_loads_in_under_a_second(every_function_page, browser):
    path = every_function_page
    assert path.stat().st_size < 5_000_000
    _ready(browser, path)
    timing = browser.execute_script(
        "const n = performance.getEntriesByType('navigation')[0];"
        "return n.loadEventEnd - n.startTime;")
    assert 0 < timing < 1000, f"{timing:.0f} ms"
    _quiet(browser)
    names = browser.execute_script(
        "return [...document.querySelectorAll('#function option')].map(o => o.textContent);")
    assert "relu" in names and "soft_exponential" in names and len(names) >= 60


def _curve_matches_json(browser, invoke, name: str, params: list[str], order: int) -> None:
    lines = browser.execute_script(f"return window.actplotExplore.drawn({order});")
    low, high = browser.execute_script(f"return window.actplotExplore.limits({order});")
    points = np.array([p for line in lines for p in line["points"]])
    assert len(points) > 100
    sample = points[:: max(len(points) // 60, 1)]
    at = ",".join(repr(float(x)) for x in sample[:, 0])
    result = invoke(name, *params, "--order", max(order, 1), "--dtype", "float64", "--at", at,
                    "--json")
    assert result.exit_code == 0, result.output
    series = json.loads(result.stdout)["series"][0]
    expected = np.array(series[("y", "dy", "d2y", "d3y")[order]], dtype=float)
    error = np.max(np.abs(sample[:, 1] - expected))
    assert error <= 1e-4 * (high - low), f"{error:.3g} of a panel {high - low:.3g} high"


def test_a_slider_redraws_the_curve_that_actplot_json_gives(invoke, tmp_path, browser):
    path = _page(invoke, tmp_path, "explore", "elu", "gelu", "-p", "alpha=0:2:41")
    _ready(browser, path)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _curve_matches_json(browser, invoke, "elu", ["-p", "alpha=1"], 0)
    slider = browser.find_element(By.CSS_SELECTOR, 'input[data-param="alpha"]')
    for _ in range(10):  # alpha from 1 down to 0.5, a step a key
        slider.send_keys(Keys.LEFT)
    assert browser.execute_script("return window.actplotExplore.state().steps") == [10]
    assert "= 0.5" in browser.find_element(By.CSS_SELECTOR, "#sliders output").text
    for order in (0, 1, 2):
        _curve_matches_json(browser, invoke, "elu", ["-p", "alpha=0.5"], order)
    # the orders toggle: f'' off removes its panel
    browser.find_element(By.CSS_SELECTOR, 'input[data-order="2"]').click()
    panels = browser.execute_script(
        "return [...document.querySelectorAll('#panels figure')].map(f => f.dataset.order);")
    assert panels == ["0", "1"]
    # the readout under the pointer: actplot --at's values
    values = browser.execute_script("return window.actplotExplore.readout(-1.25);")
    result = invoke("elu", "-p", "alpha=0.5", "--order", 2, "--dtype", "float64", "--at", -1.25,
                    "--json")
    series = json.loads(result.stdout)["series"][0]
    assert values["0"] == pytest.approx(series["y"][0], abs=1e-4)
    assert values["1"] == pytest.approx(series["dy"][0], abs=1e-4)
    assert values["2"] == pytest.approx(series["d2y"][0], abs=1e-4)
    # another function, picked by the page's address, and overlay mode
    browser.execute_script("window.actplotExplore.pick('gelu');")
    _curve_matches_json(browser, invoke, "gelu", [], 1)
    browser.find_element(By.ID, "overlay").click()  # the functions picked so far, together
    drawn = browser.execute_script("return window.actplotExplore.drawn(0).map(l => l.fn);")
    assert set(drawn) == {"elu", "gelu"}
    browser.find_element(By.CSS_SELECTOR, 'input[data-function="elu"]').click()
    drawn = browser.execute_script("return window.actplotExplore.drawn(0).map(l => l.fn);")
    assert set(drawn) == {"gelu"}
    _quiet(browser)


def test_a_jump_is_never_bridged_and_kinks_are_marked(invoke, tmp_path, browser):
    path = _page(invoke, tmp_path, "explore", "step", "elu", "--order", 2)
    _ready(browser, path)
    lines = browser.execute_script("return window.actplotExplore.drawn(0);")
    assert len(lines) == 2  # step: one piece each side of its jump
    left, right = lines
    assert max(p[0] for p in left["points"]) <= 0 <= min(p[0] for p in right["points"])
    browser.execute_script("window.actplotExplore.pick('elu');")
    assert len(browser.execute_script("return window.actplotExplore.drawn(2);")) == 2


def test_dark_theme_is_forced_and_auto_follows_the_system(invoke, tmp_path, browser):
    path = _page(invoke, tmp_path, "explore", "relu", "--theme", "dark")
    _ready(browser, path)
    assert browser.execute_script(
        "return getComputedStyle(document.body).backgroundColor;") == "rgb(21, 24, 28)"


def update_screenshot() -> None:
    """Retake the README's screenshot of the explore page, as the tests' Chromium shows it:
    python -c "from tests.test_explore_browser import update_screenshot as u; u()"."""
    import tempfile

    from click.testing import CliRunner

    from actplot.cli import cli

    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "explore.html"
        CliRunner().invoke(cli, [*SCREENSHOT_COMMAND, "-o", str(page)], catch_exceptions=False)
        driver = chromium(Path(folder) / "profile", 1200, 760)
        try:
            driver.get(page.as_uri())
            driver.execute_script(
                "document.querySelector('input[data-param=\"alpha\"]').value = 14;"
                "document.querySelector('input[data-param=\"alpha\"]')"
                ".dispatchEvent(new Event('input'));")
            driver.save_screenshot(str(SCREENSHOT))
        finally:
            driver.quit()


def test_the_readme_screenshot_is_the_page_as_the_tests_take_it(tmp_path):
    from PIL import Image

    with Image.open(SCREENSHOT) as image:
        assert image.size[0] == 1200 and image.size[1] > 500
    assert "docs/images/explore.png" in (ROOT / "README.md").read_text()
    assert " ".join(SCREENSHOT_COMMAND[1:]) in (ROOT / "README.md").read_text()
