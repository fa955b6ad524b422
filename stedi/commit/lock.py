"""A writer that lost its lock changes nothing more.

The locks themselves are the storage's, one per medium (stedi/storage/lock.py: an `flock` on
a local disk; stedi/storage/s3_lock.py: an object with a lease in S3); a writer holds one for
its lifetime (stedi/commit/transaction.py). Readers never lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stedi.lake import Lake


def still_writing(lake: "Lake") -> None:
    """Fail with LockLostError where another writer took this process's lock over (in S3, after
    its lease ran out while it was stopped): called before each commit, journal or state write
    and roll-back, so a writer that lost its lock changes nothing. Nothing outside `writing`."""
    if lake.writer_lock is not None:
        lake.writer_lock.confirm()
