"""Running the user's code (imports, plugins) so that it cannot take actplot down or lie.

Whatever the code does, actplot says one line: any exception, and any BaseException too
(sys.exit, exit(), a KeyboardInterrupt it raises itself, GeneratorExit), becomes the caller's
error naming the code. What it prints is kept off actplot's stdout and stderr (JSON and `-o -`
stay valid) and said once as a warning. Only a real Ctrl-C (or SIGTERM) from the user passes
through as an interruption: the signal handlers that cli.main installs record that one came.
No torch, no matplotlib.
"""

from __future__ import annotations

import contextlib
import io
import signal
import warnings
from typing import Callable, Iterator

from .errors import ActplotError

_signalled: list[int] = []  # the signals that really arrived, newest last


def signalled() -> int | None:
    """The signal number of the last real SIGINT or SIGTERM, else None."""
    return _signalled[-1] if _signalled else None


def install_signal_handlers() -> None:
    """SIGINT and SIGTERM raise KeyboardInterrupt where the program is, and are remembered, so
    that one raised by the user's code is told apart from the user's Ctrl-C. SIGTERM stops like
    Ctrl-C (temporary files cleaned, workers stopped) and exits 143."""
    def handle(signum, frame):
        _signalled.append(signum)
        raise KeyboardInterrupt

    for number in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, OSError):  # not the main thread
            signal.signal(number, handle)


def note_signal(signum: int) -> None:
    """For handlers of their own (batch's): a real signal arrived."""
    _signalled.append(signum)


class UserOutputWarning(UserWarning):
    """The user's code printed something, which actplot kept off its own output."""


@contextlib.contextmanager
def guarded(label: str, error: Callable[[str], ActplotError]) -> Iterator[None]:
    """Run the user's code (`label` names it) inside; what it raises becomes error(one line)."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            yield
    except ActplotError:
        raise
    except KeyboardInterrupt:
        if signalled() is not None:
            raise  # the user pressed Ctrl-C (or sent SIGTERM): stop, as always
        raise error(f"{label} raised KeyboardInterrupt") from None
    except SystemExit as stop:
        raise error(f"{label} called sys.exit({stop.code!r})") from None
    except BaseException as failure:  # noqa: BLE001  (someone else's code: anything is one line)
        detail = str(failure).strip().splitlines()[0] if str(failure).strip() else ""
        raise error(f"{label} failed: {type(failure).__name__}"
                    f"{': ' + detail if detail else ''}") from None
    if printed.getvalue():  # said only when the code worked: a failure is its one line
        warnings.warn(f"{label} printed to the terminal; its output is not shown, so that "
                      "actplot's own stays valid", UserOutputWarning, stacklevel=3)
