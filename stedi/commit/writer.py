"""The one way into the lake for a writer: take the lock, then undo what a dead writer left."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from stedi.commit.recover import recover
from stedi.lake import Lake


@contextmanager
def writing(lake: Lake, command: str, wait: float | None = None,
            say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lake's writer lock for `command` (e.g. "run"); `wait`: seconds to wait for another
    writer (None: fail at once, with who holds it since when). Everything the writer
    creates is private where the medium has modes (stedi/storage/modes.py). Meanwhile
    `lake.writer_lock` is the lock, for `still_writing` (stedi/commit/lock.py)."""
    say = say or (lambda message: None)
    with lake.storage.writer_lock(command).acquire(wait, say) as lock, lake.storage.owner_only(say):
        lake.writer_lock = lock
        try:
            recover(lake, say)
            yield
        finally:
            lake.writer_lock = None

