"""The library's exceptions. The CLI maps SpecError to exit code 2 and ActplotError to 1."""

from __future__ import annotations


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
