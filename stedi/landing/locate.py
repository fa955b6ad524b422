"""Line numbers and text of the rejected lines of a landing file.

The engine reads a file's non-blank lines in order and knows a rejected line only by its
position among them. This finds the line number and the text of such positions with one
vectorized pass over the file's bytes (numpy over a memory map, no per-line Python loop).
A line is blank as DuckDB's reader has it: nothing but spaces, tabs, carriage returns,
vertical tabs and form feeds. Where the engine saw a different number of lines than are
here anyway, positions cannot be trusted, and `read_exactly` reads the file line by line
with the reference validator instead: slow, exact, and rare.
"""

from __future__ import annotations

import mmap
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from stedi.landing.sources import Source
from stedi.landing.validate import rejection_reason

if TYPE_CHECKING:
    import numpy as np

SPACE = b" \t\r\x0b\x0c"  # what DuckDB's reader skips around a line (bytes.strip() strips the same and \n)


def bounds(buf: "np.ndarray") -> tuple["np.ndarray", "np.ndarray"]:
    """Start and end offsets of every line (its newline excluded, a carriage return kept)."""
    import numpy as np

    newlines = np.flatnonzero(buf == 0x0A)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(buf)]))
    if starts[-1] == len(buf):  # the file ends with a newline: no line after it
        starts, ends = starts[:-1], ends[:-1]
    return starts, ends


def blank(buf: "np.ndarray", starts: "np.ndarray", ends: "np.ndarray") -> "np.ndarray":
    """Which lines hold only white space. Lines that start and end with white space are
    looked at one by one (rare outside pretty-printed files); the rest by their ends."""
    import numpy as np

    space = np.zeros(256, dtype=bool)
    space[list(SPACE)] = True
    empty = ends <= starts
    if not len(buf):
        return empty
    maybe = ~empty & space[buf[np.minimum(starts, len(buf) - 1)]] & space[buf[np.maximum(ends - 1, 0)]]
    out = empty.copy()
    for i in np.flatnonzero(maybe):
        out[i] = not buf[starts[i] : ends[i]].tobytes().strip(SPACE)
    return out


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
                bounded = np.append(newlines, len(buf))  # a file of one line without a newline has none
                ends = bounded[wanted]
                starts = np.where(wanted == 0, 0, bounded[np.maximum(wanted - 1, 0)] + 1)
                return [(int(p) + 1, _without_cr(mm[int(a) : int(b)])) for p, a, b in zip(wanted, starts, ends)]
            del newlines
            starts, ends = bounds(buf)
            filled = np.flatnonzero(~blank(buf, starts, ends))
        finally:
            del buf  # the map cannot close while an array views it
        if len(filled) != non_blank_lines:
            return None
        return [(int(i) + 1, _without_cr(mm[int(starts[i]) : int(ends[i])])) for i in filled[positions]]


def _without_cr(line: bytes) -> bytes:
    return line[:-1] if line.endswith(b"\r") else line


def read_exactly(source: Source, path: Path,
                 accepted: BinaryIO) -> tuple[int, list[tuple[int, str, str]], list[int], int]:
    """The validator's reading of a file, line by line: non-blank lines read, (line, raw,
    reason) of every rejected line, the numbers of the accepted lines, whose text goes to
    `accepted` one a line (for DuckDB to type), and the bytes of the longest of them."""
    read, rejected, numbers, longest = 0, [], [], 0
    with path.open("rb") as fh:
        for number, data in enumerate(fh, start=1):
            raw_bytes = _without_cr(data.rstrip(b"\n"))
            if not raw_bytes.strip():
                continue
            read += 1
            raw, reason = decode(raw_bytes)
            reason = reason or rejection_reason(source, raw)
            if reason:
                rejected.append((number, raw, reason))
            else:
                numbers.append(number)
                longest = max(longest, len(raw_bytes))
                accepted.write(raw_bytes + b"\n")
    return read, rejected, numbers, longest


def decode(raw: bytes) -> tuple[str, str | None]:
    """A line's text, and a reason where it is not UTF-8 (shown with replacement marks)."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as e:
        return raw.decode("utf-8", errors="replace"), f"not UTF-8 text: byte {e.start + 1} cannot be decoded"
