"""Line numbers in a landing file.

The bulk reader numbers lines by their order; where it cannot (a file whose line count
disagrees with the reader's rows), `line_numbers` finds the rejected lines by byte
searches over a memory map (C speed, no per-line Python loop), or by one pass over the
lines when there are many.
"""

from __future__ import annotations

import mmap
from collections import defaultdict
from pathlib import Path

_MANY = 200  # more wanted lines than this: one pass over all lines beats a search per line


def count_lines(path: Path) -> int:
    """Lines in a file as a line reader sees them: newlines, plus an unterminated last line."""
    count, last = 0, b"\n"
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(16 << 20), b""):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


def line_numbers(path: Path, raws: list[str]) -> list[tuple[int | None, str | None]]:
    """For each raw text (repeats allowed) the 1-based line it stands on, and that whole line.

    A text may be a piece of its line: the reader also breaks lines at a lone carriage
    return, which a line here does not. Repeated texts get successive occurrences.
    (None, None) where a text cannot be found (not for lines read from this very file).
    """
    wanted: dict[bytes, list[int]] = defaultdict(list)
    for i, raw in enumerate(raws):
        wanted[raw.encode("utf-8")].append(i)
    found: list[tuple[int | None, str | None]] = [(None, None)] * len(raws)
    if not raws or path.stat().st_size == 0:
        return found
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        if len(raws) > _MANY:
            _scan_lines(mm, wanted, found)
        else:
            _search(mm, wanted, found)
    return found


def _pieces(line: bytes) -> list[bytes]:
    """A line and the pieces a reader that breaks at carriage returns would see."""
    body = line.rstrip(b"\n")
    return [body, body.rstrip(b"\r"), *body.split(b"\r")]


def _text(line: bytes) -> str:
    return line.rstrip(b"\n").rstrip(b"\r").decode("utf-8", errors="replace")


def _scan_lines(mm: mmap.mmap, wanted: dict[bytes, list[int]], found: list) -> None:
    pending = {k: list(v) for k, v in wanted.items()}
    for number, line in enumerate(iter(mm.readline, b""), start=1):
        for key in _pieces(line):
            slots = pending.get(key)
            if slots:
                found[slots.pop(0)] = (number, _text(line))
                break


def _search(mm: mmap.mmap, wanted: dict[bytes, list[int]], found: list) -> None:
    hits: list[tuple[int, int]] = []  # (byte offset, index into raws)
    for key, slots in wanted.items():
        start, remaining = 0, list(slots)
        while remaining:
            pos = mm.find(key, start)
            if pos < 0:
                break
            end = pos + len(key)
            if (pos == 0 or mm[pos - 1] in b"\r\n") and (end == len(mm) or mm[end] in b"\r\n"):
                hits.append((pos, remaining.pop(0)))
            start = pos + 1
    hits.sort()
    line, counted_to = 1, 0
    for pos, index in hits:  # count newlines once, front to back
        line += mm[counted_to:pos].count(b"\n")
        counted_to = pos
        begin = mm.rfind(b"\n", 0, pos) + 1
        stop = mm.find(b"\n", pos)
        found[index] = (line, _text(mm[begin : len(mm) if stop < 0 else stop + 1]))
