"""Snapshot retention: Iceberg's expire-snapshots and remove-orphan-files, for every table the
lake's state names. Run by a writer that holds the lake's lock: after `stedi run`'s commit
point, and by `stedi maintain`.

A table's snapshots older than `keep_days` are expired, except the newest `keep_snapshots` of
its history (the current snapshot is never expired). Then the files no kept snapshot refers to
are deleted: at once those known to be this lake's (of the expired snapshots, and the table's
metadata files older than its metadata log keeps), and any other file in the table's data/ and
metadata/ folders that nothing refers to (an orphan, e.g. left by a killed writer) once it is
older than a margin, since a writer in progress elsewhere may be about to commit it. After a
run only the folders of tables that expire something are searched for orphans (`stedi maintain`
searches every table's), and a run with nothing to expire costs two reads per table.

The order, and why a kill at any moment leaves the lake readable as before or as after:

1. Expire each table in the catalog only. An expiry commit writes one metadata file and deletes
   nothing; readers read the metadata state.json names, untouched, whose files all exist.
   (Killed here: the catalog is ahead of state.json by an expiry, with the same current
   snapshot. The next retention adopts the catalog's metadata; the expired snapshots' files
   are then orphans, removed once older than the margin.)
2. Write state.json once, atomically, naming each table's new metadata: readers see the old
   metadata or the new, both with the same current snapshot, every file of both still there.
3. Delete what the new metadata does not refer to. Readers of the new state need none of it;
   a reader that read the old state just before step 2 still reads its current snapshot whole,
   since the old metadata file stays in the new one's log and the current snapshot is kept with
   its manifests and data files. (Killed while deleting: what is left is orphans, as above.)
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Callable

from stedi.aws.faults import aws_failure
from stedi.commit.lock import still_writing
from stedi.config import with_overrides
from stedi.lake import Lake
from stedi.maintain.expiry import anything_to_do, expired_snapshot_ids
from stedi.maintain.references import Referrer

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from stedi.commit.state import TableState
    from stedi.storage import FileEntry
    from stedi.store.iceberg_store import IcebergStore

Say = Callable[[str], None]
DAY_MS = 86_400_000
DATA, METADATA = "data", "metadata"  # the kinds of files freed: Parquet, and everything in metadata/
# pyiceberg trims a table's metadata log to this many earlier files at each commit; the files
# trimmed off become orphans. Never "write.metadata.delete-after-commit.enabled": rolling a run
# back restores the table's previous metadata file, which must still exist then.
PREVIOUS_VERSIONS_MAX = "write.metadata.previous-versions-max"
_METADATA_NAME = re.compile(r"(\d+)-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}(?:\.gz)?\.metadata\.json")
MARGIN_SECONDS = 3600  # an unreferenced file younger than this may be a writer's in progress elsewhere


@dataclass
class RetentionReport:
    expired: dict[str, int] = field(default_factory=dict)  # table -> snapshots expired
    deleted: dict[str, int] = field(default_factory=lambda: {DATA: 0, METADATA: 0})  # files, by kind
    freed_bytes: dict[str, int] = field(default_factory=lambda: {DATA: 0, METADATA: 0})
    kept_recent: int = 0  # unreferenced files younger than the margin, kept
    kept_recent_bytes: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # table -> why retention left it alone
    state_written: bool = False

    @property
    def snapshots_expired(self) -> int:
        return sum(self.expired.values())

    @property
    def files_deleted(self) -> int:
        return sum(self.deleted.values())

    @property
    def bytes_freed(self) -> int:
        return sum(self.freed_bytes.values())

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Plan:
    name: str
    table: "Table"  # as the catalog has it (after its expiry, if any)
    expired: list[int]
    doomed: set[str] = field(default_factory=set)  # what its metadata referred to before the expiry


def retain(lake: Lake, say: Say | None = None, keep_snapshots: int | None = None, keep_days: int | None = None,
           now_ms: int | None = None, margin_seconds: float = MARGIN_SECONDS,
           every_table: bool = True) -> RetentionReport:
    """Expire old snapshots of every table the lake's state names and delete the files nothing
    kept refers to (see the module's docstring for the order). The caller holds the writer lock.
    `keep_snapshots`, `keep_days`: the lake's settings unless given. Expiring nothing writes
    nothing. `every_table`: look for orphans in every table's folders; False: only in those of
    the tables that expire something now (after a run: with nothing to expire, it reads only
    the metadata files, without importing pyiceberg)."""
    say = say or (lambda message: None)
    config = with_overrides(lake.config, keep_snapshots=keep_snapshots, keep_days=keep_days)  # checked there
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    report = RetentionReport()
    state = lake.state()
    cutoff = now_ms - config.keep_days * DAY_MS
    if state is None or (not every_table and not anything_to_do(lake, state, config.keep_snapshots, cutoff)):
        return report
    store = lake.store
    plans = []
    for name, table_state in state.tables.items():
        table = store.load(name)
        problem = _unsafe(lake, table, table_state)
        if problem or table is None:
            report.skipped[name] = problem or "not in the catalog"
            continue
        plans.append(_Plan(name, table, expired_snapshot_ids(table.metadata, config.keep_snapshots, cutoff)))
    expiring = [p for p in plans if p.expired]
    if expiring:
        say(f"expiring {sum(len(p.expired) for p in expiring)} old snapshot(s) of {len(expiring)} table(s)")
    for plan in plans:
        before = state.tables[plan.name].metadata_location
        if plan.table.metadata_location != before:  # an earlier expiry to adopt: the state's files are ours too
            plan.doomed |= _referenced_by(lake, before)
        if plan.expired:
            plan.doomed |= _referenced(lake, plan.table, plan.expired)
            still_writing(lake)  # a writer whose lock was taken over changes nothing more
            _expire(store, plan, config.keep_snapshots)
            report.expired[plan.name] = len(plan.expired)
    adopted = {p.name: p.table.metadata_location for p in plans
               if p.table.metadata_location != state.tables[p.name].metadata_location}
    if adopted:
        for name, location in adopted.items():
            state.tables[name] = replace(state.tables[name], metadata_location=location)
        still_writing(lake)  # step 2: the expiry becomes visible; nothing is deleted before this
        state.write(lake.storage, replacing=state.version)
        report.state_written = True
    if plans:
        still_writing(lake)  # the new holder's young files are nothing our metadata refers to
    for plan in plans:
        if every_table or plan.doomed:
            _sweep(lake, plan, now_ms, margin_seconds, report)
    if report.files_deleted:
        say(f"deleted {report.files_deleted} file(s) no kept snapshot refers to ({report.bytes_freed / 1e6:,.1f} MB)")
    return report


def _unsafe(lake: Lake, table: "Table | None", table_state: "TableState") -> str | None:
    """Why retention must leave a table alone, if it must."""
    if table is None:
        return None
    if not lake.holds(table.location()):
        return "its catalog entry names a place outside the lake (the next run rebuilds it)"
    if table.metadata_location != table_state.metadata_location:
        # Ahead by an expiry whose state write never happened: the same current snapshot, adopted.
        # Anything else is a writer's commit; the lock's holder settles it first, so it is not expected.
        if table.metadata.current_snapshot_id != table_state.snapshot_id or not lake.holds(table.metadata_location):
            return "the catalog names another snapshot than the lake's state (the next run settles it)"
    return None


def _referenced(lake: Lake, table: "Table", expired: list[int]) -> set[str]:
    """What the table's metadata refers to before expiring `expired`, besides its kept snapshots:
    the expired snapshots' files and its metadata files (those the expiry's log trims off)."""
    referrer = Referrer(lake.storage, table.io)
    gone = referrer.snapshots(s for s in table.metadata.snapshots if s.snapshot_id in set(expired))
    return (gone | referrer.metadata_files(table.metadata, table.metadata_location)).all()


def _referenced_by(lake: Lake, metadata_location: str) -> set[str]:
    """Every file a metadata file refers to (none if it cannot be read: its files are then left
    to the margin)."""
    from stedi.errors import StediError
    from stedi.store.iceberg_store import IcebergStore

    try:
        table = IcebergStore.open(metadata_location, lake.storage.iceberg_properties())
        found = Referrer(lake.storage, table.io).everything(table.metadata, metadata_location)
    except (StediError, OSError):
        return set()
    return found.all()


def _expire(store: "IcebergStore", plan: _Plan, keep_snapshots: int) -> None:
    """One commit: the snapshots removed, and the metadata log kept about as long as the
    snapshots are (older metadata files list expired snapshots whose files are gone)."""
    from pyiceberg.table.update.snapshot import ExpireSnapshots

    try:
        with plan.table.transaction() as tx:
            if tx.table_metadata.properties.get(PREVIOUS_VERSIONS_MAX) != str(keep_snapshots):
                tx.set_properties({PREVIOUS_VERSIONS_MAX: str(keep_snapshots)})
            # What table.maintenance.expire_snapshots() does, in this transaction.
            ExpireSnapshots(tx).by_ids(plan.expired).commit()
    except Exception as e:
        fault = aws_failure(e, f"{store.access.describe()}, table {plan.name}")  # a cut Glue call names no table
        if fault is None:
            raise
        raise fault from None


def _sweep(lake: Lake, plan: _Plan, now_ms: int, margin_seconds: float, report: RetentionReport) -> None:
    """Step 3: delete the files in the table's data/ and metadata/ folders that its metadata
    (as the state now names it) does not refer to."""
    storage, table = lake.storage, plan.table
    folder = storage.relative(table.location())
    keep = Referrer(storage, table.io).everything(table.metadata, table.metadata_location)
    if folder is None or keep.outside:  # what lies outside cannot be matched to the listing: delete nothing
        report.skipped[plan.name] = f"it refers to files outside the lake, e.g. {sorted(keep.outside)[:1]}"
        return
    # Versions of the table's own metadata older than any its log keeps are known to be ours too:
    # a writer can only commit a version above the current one, and a run's roll-back target
    # (its previous metadata) is no longer one once the run is complete, as it is here.
    oldest = min(_version(location) for location in [table.metadata_location]
                 + [e.metadata_file for e in table.metadata.metadata_log])
    kept, emptied = keep.all(), set()
    for kind in (DATA, METADATA):
        for entry in storage.files(f"{folder}/{kind}", recursive=True):
            if entry.relative in kept:
                continue
            ours = entry.relative in plan.doomed or _version(entry.relative) < oldest
            if not ours and not _older(entry, now_ms, margin_seconds):
                report.kept_recent += 1
                report.kept_recent_bytes += entry.size
                continue
            storage.delete(entry.relative)
            report.deleted[kind] += 1
            report.freed_bytes[kind] += entry.size
            parent = entry.relative.rsplit("/", 1)[0]
            while parent.startswith(f"{folder}/{DATA}/"):  # up to data/, which stays
                emptied.add(parent)
                parent = parent.rsplit("/", 1)[0]
    for path in sorted(emptied, key=lambda p: (-p.count("/"), p)):  # the deepest first
        storage.remove_empty_folder(path)  # a run's data/run-<id>/... folders, once their files are gone


def _version(location: str) -> float:
    """The version of a metadata file named as Iceberg names them (00042-<uuid>.metadata.json);
    infinity for any other file, which this never counts as old."""
    match = _METADATA_NAME.fullmatch(location.rsplit("/", 1)[-1])
    return int(match.group(1)) if match else float("inf")


def _older(entry: "FileEntry", now_ms: int, margin_seconds: float) -> bool:
    """Whether a file was last written more than the margin ago (in S3: its LastModified). An
    unknown time (0) counts as new: such a file is kept."""
    return entry.mtime_ns > 0 and entry.mtime_ns // 1_000_000 < now_ms - margin_seconds * 1000


def retain_after_run(lake: Lake, say: Say) -> RetentionReport | None:
    """Retention after a run's commit point, with the lake's settings. The run is committed
    already: a failure here is a warning, not raised, and undoes nothing (what it left is settled
    by the next retention). Ctrl-C still stops the command (which says the run is committed)."""
    from stedi.errors import WARNING, one_line
    from stedi.interrupts import is_interrupt

    try:
        return retain(lake, say, every_table=False)
    except Exception as e:  # noqa: BLE001 - the run succeeded; retention is tidying up after it
        if is_interrupt(e):  # DuckDB's or pyiceberg's words for a Ctrl-C
            raise KeyboardInterrupt from e
        say(f"{WARNING}retention after the run failed ({one_line(e)}); the run is committed, and the next run or "
            "`stedi maintain` retries it")
        return None
