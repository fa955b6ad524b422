"""The quarantine table: every landing line that could not be accepted, and why."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Callable

from stedi.engines.base import Rejected
from stedi.landing.locate import line_numbers
from stedi.landing.sources import Source
from stedi.landing.validate import rejection_reason

# Column: SQL type. file is relative to the lake; line is 1-based; raw is the line as delivered.
COLUMNS = {"source": "VARCHAR", "file": "VARCHAR", "line": "BIGINT", "raw": "VARCHAR", "reason": "VARCHAR"}


def explain(source: Source, rejected: list[Rejected], relative: Callable[[str], str]) -> list[dict[str, object]]:
    """Quarantine rows for the rejected lines of one source: numbered, explained, in file order."""
    by_file: dict[str, list[Rejected]] = defaultdict(list)
    for r in rejected:
        by_file[r.file].append(r)
    rows = []
    for file, items in by_file.items():
        unnumbered = [r for r in items if r.line is None]
        located = iter(line_numbers(Path(file), [r.raw for r in unnumbered]))
        for r in items:
            line, raw = (r.line, r.raw) if r.line is not None else next(located)
            raw = r.raw if raw is None else raw  # the whole line, where the reader saw a piece
            reason = r.reason or rejection_reason(source, raw) or "a value is out of range for its type"
            rows.append({"source": source.name, "file": relative(file), "line": line, "raw": raw, "reason": reason})
    rows.sort(key=lambda row: (row["file"], row["line"] or 0))
    return rows
