"""Line numbers of given lines in a landing file.

The bulk reader does not number lines; only the few rejected lines need numbers. This
finds them with bytes searches over a memory map (C speed, no per-line Python loop)
unless there are so many that one pass over the lines is cheaper.
"""

from __future__ import annotations

import mmap
from collections import defaultdict
from pathlib import Path

_MANY = 200  # more wanted lines than this: one pass over all lines beats a search per line


def line_numbers(path: Path, raws: list[str]) -> list[int | None]:
    """For each raw text (in reading order, repeats allowed) the 1-based line it stands on.

    Repeated texts get successive occurrences. None where a text cannot be found as a
    whole line (it cannot happen for lines read from this file, barring a concurrent edit).
    """
    wanted: dict[bytes, list[int]] = defaultdict(list)
    for i, raw in enumerate(raws):
        wanted[raw.encode("utf-8")].append(i)
    found: list[int | None] = [None] * len(raws)
    if not raws or path.stat().st_size == 0:
        return found
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        if len(raws) > _MANY:
            _scan_lines(mm, wanted, found)
        else:
            _search(mm, wanted, found)
    return found


def _scan_lines(mm: mmap.mmap, wanted: dict[bytes, list[int]], found: list[int | None]) -> None:
    pending = {k: list(v) for k, v in wanted.items()}
    for number, line in enumerate(iter(mm.readline, b""), start=1):
        for key in (line.rstrip(b"\n"), line.rstrip(b"\r\n")):
            slots = pending.get(key)
            if slots:
                found[slots.pop(0)] = number
                break


def _search(mm: mmap.mmap, wanted: dict[bytes, list[int]], found: list[int | None]) -> None:
    hits: list[tuple[int, int]] = []  # (byte offset, index into raws)
    for key, slots in wanted.items():
        start, remaining = 0, list(slots)
        while remaining:
            pos = mm.find(key, start)
            if pos < 0:
                break
            end = pos + len(key)
            whole_line = (pos == 0 or mm[pos - 1] == 0x0A) and (
                end == len(mm) or mm[end] == 0x0A or mm[end : end + 2] == b"\r\n"
            )
            if whole_line:
                hits.append((pos, remaining.pop(0)))
            start = pos + 1
    hits.sort()
    line, counted_to = 1, 0
    for pos, index in hits:  # count newlines once, front to back
        line += mm[counted_to:pos].count(b"\n")
        counted_to = pos
        found[index] = line
