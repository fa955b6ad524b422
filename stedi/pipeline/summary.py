"""What a run did: its summary, with a result per table. Kept as the run's record
(stedi/pipeline/records.py), shown by `stedi run` and the report, returned by `Lakehouse.run`."""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

Progress = Callable[[str], None]


@dataclass
class TableResult:
    name: str
    rows_in: int
    rows_out: int
    quarantined: int
    seconds: float
    snapshot_id: int | None = None
    removed: int = 0  # rows an incremental run took out (they were rebuilt, or had to go)
    erased: int = 0  # landing lines of forgotten people, left out (lines read = out + quarantined + erased)
    total: int | None = None  # rows in the table after the run (a landing table: its accepted lines)


@dataclass
class RunSummary:
    run_id: str
    consent_policy: str
    tables: list[TableResult] = field(default_factory=list)
    shared_serial_numbers: int = 0
    shared_serial_readings: int = 0
    seconds: float = 0.0
    landing_signature: str = ""
    engine: str = "duckdb"
    # Why every table was rebuilt from every landing file; "" when only new files were read.
    full_reason: str = ""
    nothing_new: bool = False  # no landing file to read: nothing was built or committed
    committed_at_ms: int = 0  # when the run became visible (epoch ms)
    command: str = "run"  # "forget": a `stedi forget`, which removes rows and reads no new file
    retention: dict | None = None  # RetentionReport.as_dict() after the run
    # Seconds by phase of the run ("read landing", "build tables", "audit", "commit", ...), in order.
    phases: dict[str, float] = field(default_factory=dict)
    # Each privacy audit that ran: {"name", "offending" (rows found; 0 = pass), "seconds"}.
    audits: list[dict] = field(default_factory=list)
    files_read: int = 0  # landing files this run read
    report: str | None = None  # where the run's HTML report was written (a path or s3:// URI)
    # What went wrong after the commit point (the record, retention, the report): the run stands.
    warnings: list[str] = field(default_factory=list)
    # Written afterwards by a later writer from the lake's state and snapshots (stedi/pipeline/records.py):
    # lines read, seconds and audits are not known.
    reconstructed: bool = False

    def table(self, name: str) -> TableResult:
        return next(t for t in self.tables if t.name == name)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time a phase of the run (a phase entered twice adds up)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - started


def new_run_id() -> str:
    """A writer's id: when it started (to the second), and random hex for writers of one second."""
    return time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
