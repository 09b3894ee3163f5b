"""Ctrl-C that is never lost, for the command line.

Python turns SIGINT into a ``KeyboardInterrupt`` raised wherever the interpreter happens to be.
When that is inside a callback Python calls for itself (JAX's garbage-collector callback, a
finaliser), the exception is printed as "Exception ignored in ..." and dropped, and a sweep
runs on to its end; a second SIGINT that arrives while the first is being handled interrupts
the handler, and the resume message is lost in a bare traceback. The command line therefore
installs `handler`, which counts every SIGINT and raises only for the first, and checks the
count (`check`) at the points where stopping is safe: after its imports, before each chunk of
a sweep and while waiting for a compiled call. The library itself leaves the process's signal
handlers alone; without `install`, `check` does nothing.
"""

from __future__ import annotations

import signal
import threading

_received = 0  # SIGINTs received since the first `install`
_raising = False  # whether the first SIGINT raises where it arrives


def handler(signum, frame) -> None:
    """Count the SIGINT; raise KeyboardInterrupt for the first only (once `install` allows)."""
    global _received
    _received += 1
    if _received == 1 and _raising:
        raise KeyboardInterrupt


def install(*, raising: bool = True):
    """Make `handler` the SIGINT handler (main thread only); returns the previous handler, or
    None when nothing was installed. ``raising=False`` only counts (while the command line
    imports its modules, where an exception would end in a traceback); `check` then stops."""
    global _raising
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGINT)
    _raising = raising
    signal.signal(signal.SIGINT, handler)
    return previous


def restore(previous) -> None:
    """Put back the handler `install` replaced, and forget the count."""
    global _received, _raising
    if previous is not None:
        signal.signal(signal.SIGINT, previous)
    _received, _raising = 0, False


def check() -> None:
    """Raise KeyboardInterrupt if a SIGINT arrived since `install` (it may have been dropped
    where it was first raised)."""
    if _received:
        raise KeyboardInterrupt
