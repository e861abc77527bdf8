"""The library's exceptions. The CLI maps SpecError to exit code 2 and ActplotError to 1."""

from __future__ import annotations

import re


class ActplotError(Exception):
    """A failure while running: the input was valid but the work could not be done."""


class SpecError(ActplotError, ValueError):
    """Bad input. `field` names the option or spec key at fault (range, params, device...)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class ComputeError(ActplotError):
    """torch could not evaluate or differentiate a function."""


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """One line with no raw control characters: user input echoed in a message (a name with a
    newline, an ESC sequence, a NUL) is escaped, so it cannot split the line or drive the terminal."""
    out = []
    for char in str(text):
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif code < 0x20 or 0x7F <= code < 0xA0 or code in (0x2028, 0x2029):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


NUMPY_ARITHMETIC = re.compile(r"(overflow|invalid value|divide by zero|underflow) encountered in")
NON_FINITE = ("Warning: some values are not finite in float64 (they overflowed, or f is undefined "
              "there); the curves leave them out and JSON and CSV give them as null")


def warning_line(message: Warning | str, category: type = UserWarning) -> str:
    """A warning as one plain line for people, never matplotlib's source line; numpy's
    arithmetic warnings ("overflow encountered in multiply") say what they mean for the output."""
    text = str(message).strip().splitlines()[0] if str(message).strip() else category.__name__
    if issubclass(category, RuntimeWarning) and NUMPY_ARITHMETIC.match(text):
        return NON_FINITE
    return f"Warning: {printable(text)}"
