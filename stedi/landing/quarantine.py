"""The quarantine table: every landing line that could not be accepted, and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from stedi.landing.sources import Source
from stedi.landing.validate import rejection_reason

# Column: SQL type, and what each column is (its Iceberg field doc, its Athena COMMENT).
COLUMNS = {"source": "VARCHAR", "file": "VARCHAR", "line": "BIGINT", "raw": "VARCHAR", "reason": "VARCHAR"}
DOCS = {
    "source": "the landing source the line was delivered in: customer, accelerometer or step_trainer",
    "file": "the landing file that holds the line, relative to the lake",
    "line": "the line's number in its file, from 1; null where the engine cannot number lines",
    "raw": "the line as delivered (not valid UTF-8: shown with replacement marks)",
    "reason": "why the line was not accepted",
}


@dataclass(frozen=True)
class Rejected:
    """A landing line the engine could not accept. `line` is None where the engine cannot
    number lines; `reason` is None where the validator is to explain it."""

    file: str
    raw: str
    line: int | None = None
    reason: str | None = None


def explain(source: Source, rejected: list[Rejected], relative: Callable[[str], str]) -> list[dict[str, object]]:
    """Quarantine rows for the rejected lines of one source, in file and line order."""
    shown = {file: relative(file) for file in {r.file for r in rejected}}
    rows = [
        {
            "source": source.name,
            "file": shown[r.file],
            "line": r.line,
            "raw": r.raw,
            "reason": r.reason or rejection_reason(source, r.raw) or "a value is out of range for its type",
        }
        for r in rejected
    ]
    rows.sort(key=lambda row: (row["file"], row["line"] or 0))
    return rows
