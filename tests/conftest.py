from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from actplot.cli import cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def invoke(runner):
    """Run the CLI in-process; returns the click Result."""

    def run(*args, **kwargs):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False, **kwargs)

    return run


def run_actplot(*args, cwd=None, env=None, timeout=120, python_flags=()):
    """Run `python -m actplot` in a real subprocess."""
    environment = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, *python_flags, "-m", "actplot", *[str(a) for a in args]],
        cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory):
    """The example plugin package, installed with pip into a folder of its own (a copy of the
    source is built, so the checkout stays clean)."""
    root = tmp_path_factory.mktemp("plugin")
    source = root / "source"
    shutil.copytree(ROOT / "examples" / "actplot-plugin-demo", source)
    site = root / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--no-build-isolation", "--target", str(site), str(source)],
                   check=True, capture_output=True, timeout=300)
    return site


def with_site(site, *extra) -> dict:
    """The environment that puts an installed plugin folder (and others) on the path."""
    return {"PYTHONPATH": os.pathsep.join([str(site), *map(str, extra)])}


@pytest.fixture(autouse=True)
def _matplotlib_defaults():
    import matplotlib

    matplotlib.rcdefaults()
    yield


def _git_status() -> str | None:
    if not (ROOT / ".git").exists():
        return None
    try:
        return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                              capture_output=True, text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None


@pytest.fixture(scope="session", autouse=True)
def _suite_leaves_the_working_tree_clean():
    """Every test writes below tmp_path: the suite must leave the checkout as it found it (a
    stray relu.svg was once committed from a run)."""
    before = _git_status()
    yield
    after = _git_status()
    if before is not None and after is not None and after != before:
        new = sorted(set(after.splitlines()) - set(before.splitlines()))
        pytest.fail(f"the test suite changed the working tree: {new}")


@pytest.fixture(scope="session")
def every_function_page(tmp_path_factory) -> Path:
    """`actplot explore --all`, built once for the whole run: under pytest-xdist the first worker
    to ask builds it under a lock in the folder the workers share, the others read it."""
    import fcntl

    from click.testing import CliRunner

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    page = shared / "explore-all.html"
    with open(shared / "explore-all.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not page.exists():
            result = CliRunner().invoke(cli, ["explore", "--all", "-o", str(page)])
            assert result.exit_code == 0, result.output
    return page
