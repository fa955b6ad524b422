"""Line numbers and text of the rejected lines of a landing file.

The engine reads a file's non-blank lines in order and knows a rejected line only by its
position among them. This finds the line number and the text of such positions with one
vectorized pass over the file's bytes (numpy over a memory map, no per-line Python loop).
Where the engine saw a different number of lines than are here (a line of only spaces,
which the reader skips, say), positions cannot be trusted, and `reject_by_reading` reads
the file line by line with the reference validator instead: slow, exact, and rare.
"""

from __future__ import annotations

import mmap
from pathlib import Path
from typing import TYPE_CHECKING

from stedi.landing.sources import Source
from stedi.landing.validate import rejection_reason

if TYPE_CHECKING:
    import numpy as np


def _bounds(buf: "np.ndarray") -> tuple["np.ndarray", "np.ndarray"]:
    """Start and end offsets of every line (its newline and carriage return excluded)."""
    import numpy as np

    newlines = np.flatnonzero(buf == 0x0A)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(buf)]))
    if starts[-1] == len(buf):  # the file ends with a newline: no line after it
        starts, ends = starts[:-1], ends[:-1]
    has_cr = (ends > starts) & (buf[np.maximum(ends - 1, 0)] == 0x0D)
    return starts, ends - has_cr


def lines_at(path: Path, positions: list[int], non_blank_lines: int) -> list[tuple[int, bytes]] | None:
    """(line number, raw bytes) of the given 0-based positions among non-blank lines, or None
    where the file does not have `non_blank_lines` non-blank lines (the positions would lie)."""
    import numpy as np

    if path.stat().st_size == 0:
        return [] if non_blank_lines == 0 and not positions else None
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        buf = np.frombuffer(mm, dtype=np.uint8)
        try:
            newlines = np.flatnonzero(buf == 0x0A)
            if len(newlines) + (buf[-1] != 0x0A) == non_blank_lines:  # no blank line: position p is line p + 1
                wanted = np.asarray(positions, dtype=np.int64)
                ends = np.append(newlines, len(buf))[wanted]
                starts = np.where(wanted == 0, 0, newlines[np.maximum(wanted - 1, 0)] + 1)
                return [(int(p) + 1, _without_cr(mm[int(a) : int(b)])) for p, a, b in zip(wanted, starts, ends)]
            starts, ends = _bounds(buf)
        finally:
            del buf  # the map cannot close while an array views it
        filled = np.flatnonzero(ends > starts)
        if len(filled) != non_blank_lines:
            return None
        return [(int(i) + 1, mm[int(starts[i]) : int(ends[i])]) for i in filled[positions]]


def _without_cr(line: bytes) -> bytes:
    return line[:-1] if line.endswith(b"\r") else line


def reject_by_reading(source: Source, path: Path) -> tuple[int, list[tuple[int, str, str]]]:
    """Non-blank lines read, and (line, raw, reason) of every rejected line, by the validator."""
    read, rejected = 0, []
    with path.open("rb") as fh:
        for number, data in enumerate(fh, start=1):
            raw_bytes = data.rstrip(b"\n").rstrip(b"\r")
            if not raw_bytes.strip():
                continue
            read += 1
            raw, reason = decode(raw_bytes)
            reason = reason or rejection_reason(source, raw)
            if reason:
                rejected.append((number, raw, reason))
    return read, rejected


def decode(raw: bytes) -> tuple[str, str | None]:
    """A line's text, and a reason where it is not UTF-8 (shown with replacement marks)."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as e:
        return raw.decode("utf-8", errors="replace"), f"not UTF-8 text: byte {e.start + 1} cannot be decoded"
