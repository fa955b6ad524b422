"""A write that failed for want of space, however it was reported, as one line naming the folder.

Python says so with an OSError (ENOSPC, or EDQUOT past a quota) naming the file, pyarrow (under
pyiceberg's writes) with an OSError whose words say it and that may name no file, DuckDB with
an IO error quoting the file it wrote or spilled to. Where no file is named, the place the
command writes (the lake) is.
"""

from __future__ import annotations

import errno
import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

_CODES = (errno.ENOSPC, errno.EDQUOT)
_WORDS = ("No space left on device", "Disk quota exceeded")
_QUOTED = re.compile(r'"([^"]+)"|\'([^\']+)\'')


def disk_full(error: BaseException, place: str) -> str | None:
    """The line to show for `error` if it is a full disk (or quota), else None. `place`: where the
    command writes (the lake, or the folder given), named when the error names no file."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found = _full(current)
        if found is not None:
            reason, path = found
            return f"{_folder(path) if path else place}: {reason}; free some space there and run the command again"
        current = current.__cause__ or current.__context__
    return None


def writes_into(args: "argparse.Namespace") -> str:
    """Where a command writes: the folder `generate` was given, else the lake."""
    from stedi.lakehouse import default_lake_path

    out = getattr(args, "out", None)
    return str(out) if out is not None and args.command == "generate" else (args.lake or default_lake_path())


def _full(error: BaseException) -> tuple[str, str | None] | None:
    """(why, the file or folder named) if `error` says the disk or quota is full."""
    if isinstance(error, OSError) and error.errno in _CODES:
        return os.strerror(error.errno), (str(error.filename) if error.filename else None)
    text = str(error)
    reason = next((w for w in _WORDS if w.lower() in text.lower()), None)
    if reason is None:
        return None
    named = [a or b for a, b in _QUOTED.findall(text)]
    return reason, next((n for n in named if os.sep in n or n.startswith("s3://")), None)


def _folder(path: str) -> str:
    """The folder a file is in, or the nearest one that still exists (a writer that failed
    removes the folders it made): one on the full disk, for `df`."""
    if path.startswith("s3://"):
        return path.rsplit("/", 1)[0]
    folder = os.path.dirname(path.rstrip("/")) or path
    while not os.path.isdir(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
    return folder
