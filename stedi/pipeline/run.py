"""`stedi run`: the landing files no run has read yet turned into table changes, then committed.

The landing files are parsed once; the models' SQL writes Parquet files into the tables'
locations (stedi/pipeline/build.py: every table whole, or only the rows a delivery changes);
only when every table is built and audited does the store commit them, one Iceberg snapshot
per table, and then the lake's state makes them visible together (the protocol is in
stedi/commit). Whatever stops a run, readers see every table as the last complete run left
it, and the files this run wrote are removed (by this run, or by the next writer where this
one was killed).
"""

from __future__ import annotations

import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator

from stedi.commit.journal import Journal
from stedi.aws.faults import aws_failure, not_committed
from stedi.commit.recover import relocate, settle
from stedi.commit.state import LakeState, TableState, UnreadableStateError
from stedi.commit.writer import writing
from stedi.engines.base import Engine
from stedi.commit.lock import still_writing
from stedi.errors import ChangedMeanwhileError, LockLostError, StediError, one_line
from stedi.forget.forgotten import Forgotten
from stedi.interrupts import CommittedInterrupt, check, is_interrupt
from stedi.lake import Lake
from stedi.landing.zones import register_landing
from stedi.pipeline import changes
from stedi.pipeline.build import Builder, Built, staging
from stedi.pipeline.records import after_commit, catch_up, noting, record_committed, warn, write_record
from stedi.store.iceberg_store import IcebergStore

if TYPE_CHECKING:
    from pathlib import Path

    from stedi.report.worker import ReportWorker

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


def run(lake: Lake, consent_policy: str | None = None, progress: Progress | None = None,
        engine: Engine | str | None = None, wait: float | None = None, spark_master: str | None = None,
        full: bool = False) -> RunSummary:
    """Bring every table up to date with landing and make the changes visible together, or not
    at all. Holds the lake's writer lock throughout (`wait`: seconds to wait for another writer).
    `engine`: an Engine, or its name (default: the lake's `engine` setting); `spark_master`:
    where a Spark engine runs (default: the `spark_master` setting); `full`: rebuild every table
    from every landing file (otherwise only files no run has read are read)."""
    say = progress or (lambda message: None)
    if not isinstance(engine, Engine):
        engine = _EngineChoice(engine or lake.config.engine, spark_master or lake.config.spark_master,
                               lake.config.spark_jars)
        engine.check()  # a missing extra, Java or cluster fails here, before the lock and any write
    committed: RunSummary | None = None
    try:
        with writing(lake, "run", wait, say):
            started = time.perf_counter()
            worker = _report_worker(lake)
            try:
                relocate(lake, say)
                register_landing(lake)  # a landing table someone dropped from Glue comes back
                catch_up(lake, say)  # the record the last run could not write
                summary = committed = _run(lake, consent_policy or lake.config.consent_policy, say, engine, full,
                                           worker)
                # Committed; still under the lock: old snapshots expire and their files go, and the
                # run's report is written (neither ever fails the run).
                from stedi.maintain.retention import retain_after_run

                said = noting(summary, say)
                with summary.phase("retention"):
                    report = retain_after_run(lake, said)
                summary.retention = report.as_dict() if report else None
                if worker is not None:
                    from stedi.report import write_run_report

                    with summary.phase("report"):
                        summary.report = write_run_report(lake, summary, said, worker)
            finally:
                if worker is not None:
                    worker.close()
            summary.seconds = time.perf_counter() - started  # what the user waited for, report included
            record_committed(lake, summary, say)  # again: with retention, and the report's place and time
            check()  # a Ctrl-C that was lost after the commit point is said all the same
            return summary
    except KeyboardInterrupt as e:  # after the commit point, up to the lock's release: the run stands
        if committed is None or isinstance(e, CommittedInterrupt):
            raise
        raise CommittedInterrupt(committed.run_id) from None
    except Exception as e:  # e.g. letting go of a lock in S3 on a network blip
        if committed is None:
            raise
        warn(committed, say, f"run {committed.run_id} is committed; what followed failed ({one_line(e)})")
        return committed


def _report_worker(lake: Lake) -> "ReportWorker | None":
    """The process that draws the run's report, importing what it draws with while the run works
    (none when the lake's report setting is off)."""
    if lake.config.report != "on":
        return None
    from stedi.report.worker import ReportWorker

    return ReportWorker.start()


@dataclass(frozen=True)
class _EngineChoice:
    """An engine to start once the run holds the lock."""

    name: str
    spark_master: str
    spark_jars: str = ""

    def check(self) -> None:
        if self.name == "spark":
            from stedi.engines.spark_session import require_jars, require_java, require_master, require_pyspark

            require_pyspark()
            require_java()
            require_master(self.spark_master)
            require_jars(self.spark_jars)

    def start(self, lake: Lake, spill: "Path", landing_bytes: int) -> Engine:
        if self.name == "spark":
            from stedi.engines.spark_engine import SparkEngine
            from stedi.engines.spark_session import SMALL_DATA_BYTES

            engine = SparkEngine(lake.config, master=self.spark_master, small_data=landing_bytes < SMALL_DATA_BYTES)
            try:
                engine.require_filesystem(lake.location("quarantine"))
            except BaseException:
                engine.close()
                raise
            return engine
        from stedi.engines.duckdb_engine import DuckDBEngine

        return DuckDBEngine(lake.config, temp_dir=spill, setup=lake.storage.duckdb_setup(),
                            refresh=lake.storage.duckdb_refresh)


def _run(lake: Lake, policy: str, say: Progress, choice: "Engine | _EngineChoice", full: bool,
         worker: "ReportWorker | None" = None) -> RunSummary:
    started = time.perf_counter()
    landing, last = lake.landing_state(), _last_state(lake, say)
    run_id = new_run_id()
    summary = RunSummary(run_id=run_id, consent_policy=policy, landing_signature=landing.signature)
    with summary.phase("plan"):
        plan = changes.plan(lake, last, policy, full)
    summary.files_read = sum(map(len, plan.new.values()))
    if plan.nothing_new:
        return _nothing_new(lake, last, summary, started, say)
    summary.full_reason = plan.full_reason or ""
    if plan.full:
        say(f"rebuilding every table from every landing file: {plan.full_reason}")
    else:
        say(f"reading {summary.files_read} new landing file(s)")
    spill, spill_in_lake = lake.storage.spill_folder(run_id)
    journal = Journal(run_id, {"spill": spill_in_lake} if spill_in_lake else {})
    journal.folders.update({name: staging(lake, run_id, name) for name in lake.stored_tables})
    try:
        # Before this run writes any file, the journal says where: a kill from here on is undone.
        still_writing(lake)
        journal.write(lake.storage)
        _prepare_store_if_needed(landing.bytes, last, summary, choice, incremental=not plan.full)
        spill.mkdir(parents=True, exist_ok=True)
        if isinstance(choice, _EngineChoice):
            say(f"starting the {choice.name} engine" + (f" on {choice.spark_master}" if choice.name == "spark" else ""))
        with summary.phase("start engine"):
            engine = choice.start(lake, spill, landing.bytes) if isinstance(choice, _EngineChoice) else choice
        summary.engine = engine.name
        try:
            say(f"run {run_id}")
            built = Builder(lake, engine, summary, plan, last, spill, say, Forgotten.load(lake)).build()
            # A full run's tables are known once planned: its report reads them while it commits.
            planned = (lambda tables: worker.prefetch(lake, tables, last)) if worker and plan.full else None
            with summary.phase("commit"):
                _commit(lake, engine, built, summary, last, journal, say, planned)
        finally:
            engine.close()
    except BaseException as e:
        # Rolls back; or, where the state names this run already, only tidies up: then the run is
        # committed, and what failed after its commit point is a warning (a Ctrl-C says so). A
        # run whose lock another writer took over touches nothing: that writer settles its journal.
        if isinstance(e, LockLostError):
            raise _lost(e, run_id) from None
        fault = aws_failure(e)  # read before _undo clears the failed work's frames
        committed, rolled_back = _undo(lake, journal, e, say, quiet=fault is not None)
        if not committed:
            if fault is None:
                raise
            raise not_committed(fault, f"run {run_id}", rolled_back) from None
        if is_interrupt(e):
            raise CommittedInterrupt(run_id) from None
        warn(summary, say, f"run {run_id} is committed; what followed failed ({one_line(e)})")
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    summary.seconds = time.perf_counter() - started
    with after_commit(summary):
        record_committed(lake, summary, say, journal=True)
    return summary


def new_run_id() -> str:
    """A writer's id: when it started (to the second), and random hex for writers of one second."""
    return time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


def _nothing_new(lake: Lake, last: LakeState, summary: RunSummary, started: float, say: Progress) -> RunSummary:
    """No landing file to read and nothing else changed: every table stays as the last run left
    it, with no engine started and nothing committed. The run is still recorded."""
    say(f"no landing file was delivered since run {last.run_id}: every table stays as it is")
    summary.nothing_new = True
    before = lake.run_record(last.run_id) or {}
    summary.shared_serial_numbers = int(before.get("shared_serial_numbers", 0))
    summary.shared_serial_readings = int(before.get("shared_serial_readings", 0))
    for name in lake.table_names:
        stored = name.replace("_landing", "_accepted")
        table = last.tables.get(stored)
        total = changes.rows_of(lake, table)
        if name not in last.tables and not name.endswith("_landing"):
            continue
        summary.tables.append(TableResult(name, 0, 0, 0, 0.0, table.snapshot_id if table and stored == name else None,
                                          total=total))
    summary.seconds = time.perf_counter() - started
    summary.committed_at_ms = int(time.time() * 1000)
    record_committed(lake, summary, say)  # nothing changed: a record it cannot write changes nothing either
    return summary


def _last_state(lake: Lake, say: Progress) -> LakeState:
    """The state this run builds on; an unreadable one is set aside (every table is committed anew)."""
    try:
        return lake.state() or LakeState()
    except UnreadableStateError as e:
        say(f"{e}: setting it aside")
        return LakeState(version=e.version)  # replaced by this run's state, if still the same


def _undo(lake: Lake, journal: Journal, error: BaseException, say: Progress, quiet: bool = False) -> tuple[bool, bool]:
    """Roll this run back in place (unless it already became visible: then only tidy up); where
    that fails too, the journal stays for the next writer (said, unless `quiet`: the caller says
    it). Whether the run is committed (the lake's state names it), and whether it was settled."""
    import gc
    import traceback

    # What the failed work still holds goes first: a commit interrupted mid-transaction can keep
    # the SQLite catalog's write lock through the objects its finished frames reference.
    traceback.clear_frames(error.__traceback__)
    lake.catalog.close()
    gc.collect()
    lost = None
    settled = True
    try:
        settle(lake, journal, own=True)
    except LockLostError as e:  # another writer took over: it settles this run, not us
        lost = e
    except BaseException as e:  # noqa: BLE001 - the run's own error is the one to report
        settled = False
        if not quiet:
            say(f"could not roll back run {journal.run_id} ({e}); the next writer will")
    try:
        state = LakeState.read(lake.storage)
    except StediError:
        state = None
    committed = state is not None and state.run_id == journal.run_id
    if lost is not None and not committed:
        raise _lost(lost, journal.run_id) from None  # why the run failed, in the end
    return committed, settled


def _lost(error: LockLostError, run_id: str) -> LockLostError:
    return error.outcome(f"run {run_id} committed nothing and rolled nothing back")


# From this much landing JSON on, DuckDB parses for longer than the store takes to import.
_PREPARE_STORE_FROM_BYTES = 256 * 1024 * 1024


def _prepare_store_if_needed(landing_bytes: int, last: LakeState, summary: RunSummary,
                             engine: "Engine | _EngineChoice", incremental: bool = False) -> None:
    """Import the table store in the background when this run will likely commit (new landing
    files, another policy, no run before): 0.8 s of importing pyiceberg then overlaps DuckDB's
    work instead of following it. A rerun on the same files commits nothing and skips this. An
    incremental run reads the last run's tables through the store: it always overlaps the import
    with parsing the new files."""
    spark = engine.name == "spark"  # seconds of work in another process: the import overlaps it whatever the size
    if landing_bytes < _PREPARE_STORE_FROM_BYTES and not spark and not incremental:
        return  # small data: the import would only contend with the run's own Python work
    if last.landing_signature == summary.landing_signature and last.consent_policy == summary.consent_policy:
        return
    import threading

    threading.Thread(target=IcebergStore.import_modules, name="stedi-import-store", daemon=True).start()


def _commit(lake: Lake, engine: Engine, built: list[Built], summary: RunSummary, last: LakeState,
            journal: Journal, say: Progress, planned: "Callable[[list], None] | None" = None) -> None:
    """Commit each table the run changed. A full rebuild whose rows for a table are the very rows
    its current snapshot holds keeps that snapshot (a rerun without new data), and this run's
    files for it go. The journal first records every table's metadata before; the new state,
    written last, makes all commits visible at once. The engine's last work is the fingerprints;
    it closes in the background (freeing its memory and spill files takes seconds at scale)
    while the store commits."""
    import threading

    store = lake.store
    current = store.metadata_locations()
    plans = []
    for b in built:
        # An incremental change is known by its files; only a full rebuild compares fingerprints.
        fingerprint = (b.fingerprint or engine.fingerprint(b.view)) if b.remove is None else ""
        before = last.tables.get(b.name)
        unchanged = not b.changes or (before is not None and b.remove is None and before.fingerprint == fingerprint
                                      and current.get(b.name) == before.metadata_location and not b.properties)
        plans.append((b, fingerprint, None if unchanged else engine.schema(b.view)))
    journal.previous = {b.name: current.get(b.name) for b, _, schema in plans if schema is not None}
    still_writing(lake)
    journal.write(lake.storage)
    if planned is not None:  # each table and its columns (None: the snapshot it has stays)
        planned([(b, schema) for b, _, schema in plans])
    closing = threading.Thread(target=engine.close, name="stedi-close-engine")
    closing.start()
    try:
        state = LakeState(summary.run_id, summary.consent_policy, summary.landing_signature)
        properties = {"stedi.run-id": summary.run_id, "stedi.consent-policy": summary.consent_policy}
        results = {t.name: t for t in summary.tables}
        for b, fingerprint, schema in plans:
            if schema is None:
                lake.storage.delete_tree(b.directory)
                state.tables[b.name] = last.tables[b.name]
            else:
                say(f"committing {b.name}")
                check()  # a Ctrl-C that was lost on its way stops the run here (stedi/interrupts.py)
                still_writing(lake)  # a writer stopped past its lease, and taken over, commits nothing
                read = {changes.READ_FILES_PROPERTY: b.read_files} if b.read_files else {}
                journal.in_flight = b.name
                done = store.change_contents(b.name, b.location, schema, b.remove, b.add,
                                             {**properties, **read, **b.properties})
                journal.committed[b.name], journal.in_flight = done.metadata_location, None
                state.tables[b.name] = TableState(done.metadata_location, done.snapshot_id, fingerprint, summary.run_id)
            if b.name in results:
                results[b.name].snapshot_id = state.tables[b.name].snapshot_id
        say("making the run visible")
        check()
        still_writing(lake)
        summary.committed_at_ms = int(time.time() * 1000)
        try:  # the commit point of the whole run: only over the state this run started from
            state.write(lake.storage, replacing=last.version)
        except ChangedMeanwhileError:
            still_writing(lake)  # changed by a writer that took our lock over: say that
            raise
    finally:
        closing.join()
