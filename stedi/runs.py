"""The lake's history as the Python API gives it: every run it kept, and the run readers see now.

Read from the run records (`runs/<id>.json`, stedi/pipeline/records.py), never from the tables: a
`stedi run` and a `stedi forget` each write one once committed. A run whose record is missing (it
could not write it, or was killed right after its commit point) is listed all the same, with
what the lake's state and its kept snapshots still tell (`reconstruct`): then `reconstructed` is
True, and what it read is not known. `stedi maintain` and `stedi tag` change no table's rows
and are not runs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from stedi.pipeline.records import named_runs, reconstruct
from stedi.time_travel import run_ids

if TYPE_CHECKING:
    from stedi.lake import Lake

REPORTS = "reports"  # where a run's report is kept (stedi/report: reports/<id>.html)
KINDS = ("full", "incremental", "nothing new", "forget", "unknown")


@dataclass(frozen=True)
class Run:
    """One run of the lake, as its record tells. `pandas.DataFrame(lake.runs())` makes a table of them."""

    run_id: str
    committed_at: datetime | None  # UTC, when it became visible (None: its record is too old to say)
    kind: str  # one of KINDS: a full rebuild, new files only, nothing new to read, a forget, or unknown
    consent_policy: str  # strict or any-time
    engine: str  # duckdb or spark ("" where not known)
    rows: dict[str, int] = field(default_factory=dict)  # table -> its rows after the run (landing: lines accepted)
    report: str | None = None  # its HTML report (a path or s3:// URI); None: it has none
    full_reason: str = ""  # why it rebuilt every table ("" unless kind is "full")
    reconstructed: bool = False  # its record was written later, from the lake's state and snapshots
    warnings: tuple[str, ...] = ()  # what went wrong after its commit point (it stands)

    def as_dict(self) -> dict:
        return asdict(self)


def runs(lake: "Lake") -> list[Run]:
    """Every run the lake has a record of, or whose snapshots or state name it, oldest first."""
    reports = {e.name.removesuffix(".html") for e in lake.storage.files(REPORTS, suffix=".html")}
    found = []
    for run_id in run_ids(lake, named_runs(lake)):
        record = lake.run_record(run_id)
        if not isinstance(record, dict):
            record = reconstruct(lake, run_id)
        if record is None:
            continue
        report = record.get("report") or (lake.storage.path(f"{REPORTS}/{run_id}.html") if run_id in reports else None)
        found.append(Run(run_id, _when(record.get("committed_at_ms")), run_kind(record),
                         str(record.get("consent_policy") or ""), str(record.get("engine") or ""),
                         rows_per_table(record), report, str(record.get("full_reason") or ""),
                         bool(record.get("reconstructed")), tuple(record.get("warnings") or ())))
    return found


def current_run(lake: "Lake") -> str | None:
    """The id of the run readers see now (the lake's state names it); None before the first."""
    state = lake.state()
    return state.run_id or None if state is not None else None


def _when(ms: object) -> datetime | None:
    if not isinstance(ms, int) or isinstance(ms, bool) or ms <= 0:
        return None
    return datetime.fromtimestamp(ms / 1000, timezone.utc)


def run_kind(record: dict) -> str:
    """What a run record says the run did: forget, unknown (a record written afterwards from its
    snapshots), nothing new, full or incremental (the run report words these its own way)."""
    if record.get("command") == "forget":
        return "forget"
    if record.get("reconstructed"):
        return "unknown"
    if record.get("nothing_new"):
        return "nothing new"
    return "full" if record.get("full_reason") else "incremental"


def rows_per_table(record: dict) -> dict[str, int]:
    """Each table's rows after the run, as its record tells (a landing table's: the lines accepted)."""
    found = {}
    for table in record.get("tables", []):
        if not isinstance(table, dict) or "name" not in table:
            continue
        rows = table.get("total") if table.get("total") is not None else table.get("rows_out")
        if isinstance(rows, int):
            found[str(table["name"])] = rows
    return found
