"""Ctrl-C during a command: never lost, and after a run's commit point said as such.

Python raises KeyboardInterrupt wherever the main thread happens to be when the signal's handler
runs. Where that is a finalizer or a weakref callback (run by the garbage collector, or when a
thread pool or a DuckDB result is freed), Python prints "Exception ignored" and carries on; where
it is inside a DuckDB query, DuckDB turns it into its own error, which any `except Exception` on
the way takes for a failure. Either way the user's Ctrl-C could be lost and the run go on to
commit. So the command's handler also records the request (`catching`), and a writer checks it
before its commit point (`check`): a Ctrl-C that reached the process stops the run, wherever
it landed.
"""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from types import FrameType
from typing import Iterator

_requested = threading.Event()


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    _requested.set()
    raise KeyboardInterrupt


@contextmanager
def catching(then_ignore: bool = False) -> Iterator[None]:
    """Record every Ctrl-C while the block runs, besides raising KeyboardInterrupt as Python does
    (the CLI wraps each command in this; elsewhere, e.g. a notebook, the handler is left alone).
    `then_ignore`: ignore Ctrl-C from the block's end on (the command is done: it could only
    interrupt the interpreter's own exit, joining library threads, with a traceback)."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    _requested.clear()
    signal.signal(signal.SIGINT, _on_sigint)
    hook = sys.unraisablehook

    def unraisable(found: "sys.UnraisableHookArgs") -> None:
        if not isinstance(found.exc_value, KeyboardInterrupt):  # else no traceback: `check` stops the work
            hook(found)

    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN if then_ignore else signal.default_int_handler)
        sys.unraisablehook = hook


def check() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C came since `catching` began and was lost on its way
    (the one that propagated stopped the work before it got here)."""
    if _requested.is_set():
        _requested.clear()
        raise KeyboardInterrupt


def is_interrupt(error: BaseException | None) -> bool:
    """Ctrl-C, also where DuckDB turned it into its own error (chained to the KeyboardInterrupt,
    or "Query interrupted" alone)."""
    while error is not None:
        if isinstance(error, KeyboardInterrupt) or type(error).__name__ == "InterruptException":
            return True
        if isinstance(error, RuntimeError) and str(error) == "Query interrupted":
            return True
        error = error.__cause__ or error.__context__
    return False


class CommittedInterrupt(KeyboardInterrupt):
    """Ctrl-C after a run's commit point: the run is committed (its tables are visible); only
    what follows it (its record, retention, its report) was cut short."""

    def __init__(self, run_id: str):
        super().__init__(run_id)
        self.run_id = run_id

    def __str__(self) -> str:
        return (f"interrupted after the commit point: run {self.run_id} is committed and its tables are visible "
                f"(the next run finishes its tidy-up; `stedi report {self.run_id}` writes its report)")
