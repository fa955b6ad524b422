"""One writer at a time per local lake (a lake in S3: s3_lock.py); the storage gives a writer
its medium's lock (`Storage.writer_lock`), the commit protocol checks it (stedi/commit/lock.py).

The lock is an advisory `flock` on `<lake>/.lock`: the kernel releases it when its holder
exits, however it exits (kill -9 included), so a lock left by a dead process is taken
over by the next writer without any guessing about process ids. The file also says who
holds it and since when, for the message a second writer gets. Readers never lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from typing import Callable

from stedi.errors import LakeBusyError, StediError

LOCK_FILE = ".lock"


class WriterLock:
    def __init__(self, root: Path, command: str):
        self.path = root / LOCK_FILE
        self.command = command
        self._fd: int | None = None

    def acquire(self, wait: float | None = None, on_wait: Callable[[str], None] | None = None) -> "WriterLock":
        """Take the lock. `wait`: None fails at once if it is held; seconds to wait (inf: forever)."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # private, as every file of a lake
        except OSError as e:
            raise StediError(f"{self.path.parent}: cannot write the lake ({e.strerror}); "
                             "writers need a writable lake folder") from None
        try:
            take_turns(str(self.path.parent), lambda: _holder(fd), wait, on_wait)
            _write_holder(fd, self.command)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        except OSError:
            pass
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def confirm(self) -> None:
        """Nothing to check: the kernel holds a flock for its process's whole life, stopped or not."""

    def __enter__(self) -> "WriterLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def take_turns(lake: str, try_once: Callable[[], str | None], wait: float | None,
               on_wait: Callable[[str], None] | None, poll: float = 0.1) -> None:
    """Take a lake's writer lock with `try_once` (None: taken; else who holds it), as `--wait`
    says: fail at once naming the holder (`wait` None or 0), or try again until `wait` seconds passed."""
    holder = try_once()
    if holder is None:
        return
    if wait is None or wait <= 0:
        raise LakeBusyError(f"{lake}: the lake is being written by {holder}; try again when it is done, or wait for it (`--wait` on the command line, `wait=` in Python)")
    if on_wait:
        on_wait(f"waiting for {holder} to finish")
    deadline = time.monotonic() + wait
    while (holder := try_once()) is not None:
        if time.monotonic() >= deadline:
            raise LakeBusyError(f"{lake}: still being written by {holder} after {wait:g} s of waiting")
        time.sleep(poll)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _write_holder(fd: int, command: str) -> None:
    holder = {"command": command, "pid": os.getpid(), "host": socket.gethostname(),
              "since": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(holder).encode(), 0)


def _holder(fd: int) -> str | None:
    """None once the lock is ours; else who holds it. A holder writes who it is just after it
    takes the lock, and empties the file just before it lets go (a run with nothing to do takes
    a fraction of a second): while the file says nothing, the lock is tried again."""
    for _ in range(50):
        if _try_lock(fd):
            return None
        try:
            holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
            return f"`stedi {holder['command']}` (pid {holder['pid']} on {holder['host']}) since {holder['since']}"
        except (OSError, ValueError, KeyError, TypeError):
            time.sleep(0.02)
    return "another stedi process"
