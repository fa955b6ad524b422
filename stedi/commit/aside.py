"""Whole files a writer replaces undoably: the original kept aside first, put back by an undo.

The second kind of staged change a writer transaction makes (the first is a table commit): a
file of the lake (e.g. a landing file a `stedi forget` rewrote) replaced whole by a file the
writer staged. The originals are kept in one folder the journal names (`Journal.kept_aside`),
each under its own lake-relative path, so whoever undoes the writer needs nothing but that name.

Crash safety. `replace` copies the original aside before the staged file takes its place, so the
path holds the old bytes or the new at every moment (never nothing), and a kept-aside file that
exists holds exactly the original's bytes (a half-made copy is a `.partial` file: see
stedi/commit/atomic.py). `put_back` moves every kept-aside file back over its path, then deletes
the folder: after a kill anywhere in `replace` (or in `put_back` itself, a move in S3 being a copy
then a delete) it puts every original back; it is idempotent. It must run before the commit point
only: after it the replacements are what the writer committed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stedi.storage import Storage


def kept_aside_path(folder: str, relative: str) -> str:
    """Where the original of `relative` is kept while it is replaced."""
    return f"{folder}/{relative}"


def replace(storage: "Storage", relative: str, staged: str, folder: str) -> None:
    """Put the staged file in place of `relative`, keeping the original in `folder` first."""
    storage.copy(relative, kept_aside_path(folder, relative))
    storage.move(staged, relative)


def put_back(storage: "Storage", folder: str) -> None:
    """Undo `replace`, wherever it stopped: every original moved back over its path, then the
    folder deleted. Idempotent."""
    for entry in storage.files(folder, recursive=True):
        if entry.name.endswith(".partial"):  # a half-made copy (stedi/commit/atomic.py)
            continue
        storage.move(entry.relative, entry.relative[len(folder) + 1:])
    storage.delete_tree(folder)
