"""What the kept snapshots of the lake's tables tell about the runs that made them: each table's
snapshot log (when each snapshot became current), and from when it is whole (expiry drops
snapshots from it: a sequence number no kept snapshot has marks where the kept history starts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyiceberg.table import Table
    from pyiceberg.table.snapshots import Snapshot

RUN_PROPERTY = "stedi.run-id"  # in the summary of every snapshot a run commits


class History:
    """What the kept snapshots of every table say about the runs that made them."""

    def __init__(self, tables: dict[str, "Table"]):
        self.runs: dict[str, int] = {}  # run id -> its newest kept snapshot's moment
        self.snapshots: dict[int, int] = {}  # snapshot id -> moment
        self.unnamed: list[int] = []  # moments of snapshots no run names (a change all the same)
        self.cut = False  # expiry took some table's older snapshots
        for table in tables.values():
            log = snapshot_log(table)
            self.cut = self.cut or kept_from(table, log) is not None
            for ms, snapshot in log:
                if snapshot is None:
                    continue
                self.snapshots[snapshot.snapshot_id] = ms
                run = snapshot.summary[RUN_PROPERTY] if snapshot.summary else None
                if run:
                    self.runs[run] = max(ms, self.runs.get(run, ms))
                else:
                    self.unnamed.append(ms)

    def visible_at(self, ms: int) -> tuple[int | None, str | None]:
        """The moment of the last change made by `ms` (a run counts once its last commit is made),
        and the run that made it."""
        changes = [(moment, run) for run, moment in self.runs.items()] + [(m, None) for m in self.unnamed]
        done = [c for c in changes if c[0] <= ms]
        return max(done, key=lambda c: c[0]) if done else (None, None)


def snapshot_log(table: "Table") -> list[tuple[int, "Snapshot | None"]]:
    """The table's snapshot log, oldest first: when each snapshot became current (None: expired)."""
    return [(e.timestamp_ms, table.snapshot_by_id(e.snapshot_id)) for e in table.history()]


def kept_from(table: "Table", log: list[tuple[int, "Snapshot | None"]]) -> int | None:
    """The moment from which the log is whole; None when it is whole since the table's first snapshot."""
    kept = table.snapshots()
    numbers, ids = {s.sequence_number for s in kept}, {s.snapshot_id for s in kept}
    start, previous, lost = None, None, False
    for ms, snapshot in log:
        if snapshot is None:
            lost = True
            continue
        if lost or after_expired(snapshot, previous, numbers, ids):
            start = ms
        previous, lost = snapshot, False
    return start


def after_expired(snapshot: "Snapshot", previous: "Snapshot | None", numbers: set, ids: set[int]) -> bool:
    """Whether expired snapshots came between `previous` (None: the table's start) and `snapshot`."""
    number = snapshot.sequence_number or 0
    if previous is not None and snapshot.parent_snapshot_id == previous.snapshot_id:
        return False  # its parent is the one before: a number between went to a snapshot off the log (a tag's)
    if number:  # format 2: each snapshot takes the next number; one no kept snapshot has was expired
        since = (previous.sequence_number or 0) if previous else 0
        return any(n not in numbers for n in range(since + 1, number))
    return snapshot.parent_snapshot_id is not None and snapshot.parent_snapshot_id not in ids  # format 1
