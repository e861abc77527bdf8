"""Figures in the terminal (issue 20): a text plot that fits the window and has the curve's shape,
colours only where wanted, inline images where the terminal says it shows them."""

from __future__ import annotations

import base64
import os
import pty
import re
import select
import subprocess
import sys

import pytest

import actplot
from actplot import terminal

ANSI = re.compile(r"\033\[[0-9;]*m")
DOT_BITS = {0x01: (0, 0), 0x02: (0, 1), 0x04: (0, 2), 0x40: (0, 3),
            0x08: (1, 0), 0x10: (1, 1), 0x20: (1, 2), 0x80: (1, 3)}


def _in_a_pty(args, env, columns=60, lines=20) -> bytes:
    """Run actplot with its stdout on a pseudo-terminal of the given size; what it printed."""
    leader, follower = pty.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("COLUMNS", "LINES", "NO_COLOR", "ACTPLOT_TERM", "TERM_PROGRAM",
                                "LC_TERMINAL", "KITTY_WINDOW_ID")}
    environment.update(env)
    process = subprocess.Popen([sys.executable, "-m", "actplot", *map(str, args)], stdout=follower,
                               stderr=subprocess.PIPE, env=environment)
    os.close(follower)
    output = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    _, error = process.communicate(timeout=120)
    assert process.returncode == 0, error.decode()
    return output


def _dots(lines: list[str], start: int) -> list[tuple[int, int]]:
    """The braille dots of the panel whose plot rows begin at line `start`, as (x, y) dot
    coordinates, y down, from the left edge of its plot area (after the axis bar)."""
    dots = []
    row = 0
    for line in lines[start:]:
        if "\u2502" not in line:
            break
        body = line.split("\u2502", 1)[1]
        for column, char in enumerate(body[:len(body)]):
            code = ord(char) - 0x2800
            if 0 < code < 256:
                for bit, (dx, dy) in DOT_BITS.items():
                    if code & bit:
                        dots.append((2 * column + dx, 4 * row + dy))
        row += 1
    return dots


def _relu_has_its_shape(text: str, width: int) -> None:
    lines = text.splitlines()
    body = [line[: width // 2] for line in lines]  # the first panel: f
    first_plot_row = next(i for i, line in enumerate(body) if "\u2502" in line)
    dots = _dots(body, first_plot_row)
    columns = sorted({x for x, _ in dots})
    middle = (columns[0] + columns[-1]) / 2
    lowest = max(y for _, y in dots)
    left = [y for x, y in dots if x < middle - 2]
    right_top = {}
    for x, y in dots:
        if x > middle + 2:
            right_top[x] = min(y, right_top.get(x, y))
    assert left and set(left) == {lowest}  # flat at 0 left of the kink
    tops = [right_top[x] for x in sorted(right_top)]
    assert tops[0] > tops[-1] and all(b <= a for a, b in zip(tops, tops[1:]))  # rising
    assert terminal.KINK in "".join(lines)  # the kink is marked


@pytest.mark.slow
def test_the_text_plot_fits_the_terminal_has_relus_shape_and_is_coloured(tmp_path):
    raw = _in_a_pty(["relu", "--grad", "--term", "--points", 400],
                    {"TERM": "xterm-256color"}, columns=70, lines=22).decode()
    assert "\033[" in raw  # a terminal that takes colour gets it
    text = ANSI.sub("", raw).replace("\r\n", "\n")
    lines = text.rstrip("\n").split("\n")
    assert len(lines) <= 22 and max(len(line) for line in lines) <= 70
    _relu_has_its_shape(text, 70)


@pytest.mark.slow
def test_no_color_is_honoured_on_a_terminal():
    raw = _in_a_pty(["relu", "--term", "--points", 200], {"TERM": "xterm", "NO_COLOR": "1"})
    assert b"\033[" not in raw and "\u2502".encode() in raw


@pytest.mark.slow
@pytest.mark.parametrize("protocol, start, end", [
    ("kitty", b"\033_Ga=T,f=100,", b"\033\\\n"),
    ("iterm", b"\033]1337;File=inline=1;", b"\a\n"),
    ("sixel", b"\033Pq", b"\033\\\n"),
])
def test_a_terminal_that_shows_images_gets_the_figure_inline(protocol, start, end):
    raw = _in_a_pty(["relu", "--term", "--points", 200, "--dpi", 40],
                    {"TERM": "xterm", "ACTPLOT_TERM": protocol}).replace(b"\r\n", b"\n")
    assert raw.startswith(start) and raw.endswith(end)
    if protocol == "iterm":
        png = base64.b64decode(raw.split(b":", 1)[1][:-2])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
    if protocol == "kitty":
        data = b"".join(re.findall(rb";([A-Za-z0-9+/=]+)\x1b\\", raw))
        assert base64.b64decode(data)[:4] == b"\x89PNG"


def test_piped_output_is_plain_text_and_sized_by_columns_and_lines(invoke, monkeypatch):
    monkeypatch.setenv("COLUMNS", "50")
    monkeypatch.setenv("LINES", "16")
    result = invoke("relu", "--term", "--points", 300)
    assert result.exit_code == 0 and "\033" not in result.stdout
    lines = result.stdout.rstrip("\n").split("\n")
    assert len(lines) <= 15 and max(len(line) for line in lines) <= 50
    _relu_has_its_shape(result.stdout, 50 * 2)  # stacked: one panel, full width


def test_a_text_file_has_a_fixed_size_and_the_same_bytes(invoke, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "61")
    assert invoke("relu", "elu", "--grad", "-o", tmp_path / "a.txt").exit_code == 0
    monkeypatch.setenv("COLUMNS", "200")
    assert invoke("relu", "elu", "--grad", "-o", tmp_path / "b.txt").exit_code == 0
    text = (tmp_path / "a.txt").read_text()
    assert text == (tmp_path / "b.txt").read_text()
    lines = text.rstrip("\n").split("\n")
    assert len(lines) <= terminal.TEXT_FILE_SIZE[1]
    assert max(len(line) for line in lines) <= terminal.TEXT_FILE_SIZE[0]


def test_the_api_draws_text_and_a_jump_stays_open():
    text = actplot.text_plot("step", width=40, height=12, points=400)
    lines = text.rstrip("\n").split("\n")
    assert max(len(line) for line in lines) <= 40 and len(lines) <= 12
    dots = _dots(lines, next(i for i, line in enumerate(lines) if "\u2502" in line))
    # no dot between the two levels at the jump: every dot is on one of two rows
    levels = sorted({y for _, y in dots})
    assert len(levels) == 2, levels
    with pytest.raises(actplot.SpecError, match="make the window larger"):
        actplot.text_plot("relu", width=10, height=4)


def test_term_refuses_what_would_print_something_else(invoke):
    result = invoke("relu", "--term", "--json")
    assert result.exit_code == 2 and "--term" in result.stderr and "--json" in result.stderr


def test_show_without_a_display_suggests_term(invoke):
    result = invoke("relu", "--show")
    assert result.exit_code == 1 and "--term" in result.stderr
