"""`stedi run`: every trusted and curated table rebuilt from landing, then committed.

Landing is parsed once; each model's SQL writes Parquet files into its table's location;
only when every table is built and audited does the store commit them, one Iceberg
snapshot per table, and then the lake's state makes them visible together (the protocol
is in stedi/commit). Whatever stops a run, readers see every table as the last complete
run left it, and the files this run wrote are removed (by this run, or by the next writer
where this one was killed).
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from stedi.audits import PRIVACY_AUDITS, audit_sql
from stedi.commit.journal import Journal
from stedi.commit.recover import relocate, settle
from stedi.commit.state import LakeState, TableState
from stedi.commit.writer import writing
from stedi.engines.base import Engine, Written
from stedi.errors import StediError
from stedi.lake import Lake
from stedi.landing import quarantine
from stedi.landing.sources import SOURCES
from stedi.models import all_models
from stedi.store.iceberg_store import IcebergStore

if TYPE_CHECKING:
    from pathlib import Path

Progress = Callable[[str], None]


@dataclass
class TableResult:
    name: str
    rows_in: int
    rows_out: int
    quarantined: int
    seconds: float
    snapshot_id: int | None = None


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

    def table(self, name: str) -> TableResult:
        return next(t for t in self.tables if t.name == name)


@dataclass
class _Built:
    name: str
    location: str  # the table's, as Iceberg records it
    directory: str  # this run's folder of the table's files, relative to the lake
    files: list[str]


def run(lake: Lake, consent_policy: str | None = None, progress: Progress | None = None,
        engine: Engine | str | None = None, wait: float | None = None, spark_master: str | None = None) -> RunSummary:
    """Rebuild every table from landing and make them visible together, or not at all.
    Holds the lake's writer lock throughout (`wait`: seconds to wait for another writer).
    `engine`: an Engine, or its name (default: the lake's `engine` setting); `spark_master`:
    where a Spark engine runs (default: the `spark_master` setting)."""
    say = progress or (lambda message: None)
    if not isinstance(engine, Engine):
        engine = _EngineChoice(engine or lake.config.engine, spark_master or lake.config.spark_master)
        engine.check()  # a missing extra, Java or cluster fails here, before the lock and any write
    with writing(lake, "run", wait, say):
        relocate(lake, say)
        lake.register_landing()  # a landing table someone dropped from Glue comes back
        return _run(lake, consent_policy or lake.config.consent_policy, say, engine)


@dataclass(frozen=True)
class _EngineChoice:
    """An engine to start once the run holds the lock."""

    name: str
    spark_master: str

    def check(self) -> None:
        if self.name == "spark":
            from stedi.engines.spark_session import require_java, require_master, require_pyspark

            require_pyspark()
            require_java()
            require_master(self.spark_master)

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

        return DuckDBEngine(lake.config, temp_dir=spill, setup=lake.storage.duckdb_setup())


def _run(lake: Lake, policy: str, say: Progress, choice: "Engine | _EngineChoice") -> RunSummary:
    started = time.perf_counter()
    landing, last = lake.landing_state(), _last_state(lake, say)
    run_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    summary = RunSummary(run_id=run_id, consent_policy=policy, landing_signature=landing.signature)
    spill, spill_in_lake = lake.storage.spill_folder(run_id)
    journal = Journal(run_id, {"spill": spill_in_lake} if spill_in_lake else {})
    journal.folders.update({m.name: _staging(lake, run_id, m.name) for m in all_models() if m.stored})
    journal.folders["quarantine"] = _staging(lake, run_id, "quarantine")
    try:
        # Before this run writes any file, the journal says where: a kill from here on is undone.
        journal.write(lake.storage)
        _prepare_store_if_needed(landing.bytes, last, summary, choice)
        spill.mkdir(parents=True, exist_ok=True)
        if isinstance(choice, _EngineChoice):
            say(f"starting the {choice.name} engine" + (f" on {choice.spark_master}" if choice.name == "spark" else ""))
        engine = choice.start(lake, spill, landing.bytes) if isinstance(choice, _EngineChoice) else choice
        summary.engine = engine.name
        try:
            say(f"run {run_id}")
            _build_and_commit(lake, engine, summary, last, journal, spill, say)
        finally:
            engine.close()
        summary.seconds = time.perf_counter() - started
        _record(lake, summary)
    except BaseException as e:
        _undo(lake, journal, e, say)  # rolls back, or only tidies up where the state names this run already
        raise
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    Journal.delete(lake.storage)
    return summary


def _build_and_commit(lake: Lake, engine: Engine, summary: RunSummary, last: LakeState, journal: Journal,
                      spill: "Path", say: Progress) -> None:
    built: list[_Built] = []
    rejected_rows = _load_landing(lake, engine, summary, spill, say)
    engine.set_parameters(consent_policy=summary.consent_policy, pseudonym_key=lake.pseudonym_key)
    counts: dict[str, int] = {t.name: t.rows_out for t in summary.tables}
    for model in all_models():
        if not model.stored:
            engine.create_view(model.name, model.sql)
            continue
        say(f"building {model.name}")
        t0 = time.perf_counter()
        staged = _stage(lake, summary.run_id, model.name, built)
        written = _kept(lake, engine.write_parquet(model.name, model.sql, lake.storage.path(staged.directory)),
                        staged.directory)
        staged.files = written.files
        main_input = model.inputs[0]
        if main_input not in counts:
            counts[main_input] = engine.count(main_input)
        counts[model.name] = written.rows
        summary.tables.append(TableResult(model.name, counts[main_input], written.rows, 0, time.perf_counter() - t0))
    say("auditing privacy")
    summary.shared_serial_numbers, summary.shared_serial_readings = _audit(engine)
    staged = _stage(lake, summary.run_id, "quarantine", built)
    staged.files = _kept(lake, engine.write_rows("quarantine", quarantine.COLUMNS, rejected_rows,
                                                 lake.storage.path(staged.directory)), staged.directory).files
    _commit(lake, engine, built, summary, last, journal, say)


def _last_state(lake: Lake, say: Progress) -> LakeState:
    """The state this run builds on; an unreadable one is set aside (every table is committed anew)."""
    try:
        return lake.state() or LakeState()
    except StediError as e:
        say(f"{e}: setting it aside")
        return LakeState()


def _undo(lake: Lake, journal: Journal, error: BaseException, say: Progress) -> None:
    """Roll this run back in place (unless it already became visible: then only tidy up); where
    that fails too, the journal stays for the next writer."""
    import gc
    import traceback

    # What the failed work still holds goes first: a commit interrupted mid-transaction can keep
    # the SQLite catalog's write lock through the objects its finished frames reference.
    traceback.clear_frames(error.__traceback__)
    lake.catalog.close()
    gc.collect()
    try:
        settle(lake, journal)
    except BaseException as e:  # noqa: BLE001 - the run's own error is the one to report
        say(f"could not roll back run {journal.run_id} ({e}); the next writer will")


# From this much landing JSON on, DuckDB parses for longer than the store takes to import.
_PREPARE_STORE_FROM_BYTES = 256 * 1024 * 1024


def _prepare_store_if_needed(landing_bytes: int, last: LakeState, summary: RunSummary,
                             engine: "Engine | _EngineChoice") -> None:
    """Import the table store in the background when this run will likely commit (new landing
    files, another policy, no run before): 0.8 s of importing pyiceberg then overlaps DuckDB's
    work instead of following it. A rerun on the same files commits nothing and skips this."""
    spark = engine.name == "spark"  # seconds of work in another process: the import overlaps it whatever the size
    if landing_bytes < _PREPARE_STORE_FROM_BYTES and not spark:
        return  # small data: the import would only contend with the run's own Python work
    if last.landing_signature == summary.landing_signature and last.consent_policy == summary.consent_policy:
        return
    import threading

    threading.Thread(target=IcebergStore.import_modules, name="stedi-import-store", daemon=True).start()


def _record(lake: Lake, summary: RunSummary) -> None:
    """Keep each run's summary in the lake: `stedi tables` shows landing counts from it."""
    import json
    from dataclasses import asdict

    lake.storage.write_atomic(f"runs/{summary.run_id}.json", json.dumps(asdict(summary), indent=2))


def _load_landing(lake: Lake, engine: Engine, summary: RunSummary, scratch: "Path",
                  say: Progress) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    inputs = [(source, lake.landing_inputs(source.name, scratch)) for source in SOURCES.values()]
    for (source, _), (load, seconds) in zip(inputs, engine.load_all(inputs, say)):
        rows += quarantine.explain(source, load.rejected, lake.relative)
        summary.tables.append(
            TableResult(source.landing_table, load.lines_read, load.accepted, len(load.rejected), seconds))
    return rows


def _audit(engine: Engine) -> tuple[int, int]:
    """Stop before any commit if a built table breaks a privacy rule. Returns the serial numbers
    held by several customers, and the step-trainer readings left out for it."""
    queries = [f"SELECT count(*) FROM ({audit_sql(name)})" for name in PRIVACY_AUDITS]
    shared = f"SELECT count(*), coalesce(sum(readings), 0) FROM ({audit_sql('shared_serial_numbers')})"
    *found, [(serials, readings)] = engine.rows_of_each(queries + [shared])
    for name, [(offending,)] in zip(PRIVACY_AUDITS, found):
        if offending:
            raise StediError(
                f"privacy audit {name} found {offending} offending row(s); nothing was committed "
                f"(the query is stedi/audits/{name}.sql)"
            )
    return int(serials), int(readings)


def _staging(lake: Lake, run_id: str, name: str) -> str:
    return f"{lake.table_folder(name)}/data/run-{run_id}"


def _stage(lake: Lake, run_id: str, name: str, built: list[_Built]) -> _Built:
    """The folder this run writes a table's files into (the journal names it already)."""
    staged = _Built(name, lake.location(name), _staging(lake, run_id, name), [])
    lake.storage.make_folder(f"{lake.table_folder(name)}/data")
    built.append(staged)
    return staged


def _kept(lake: Lake, written: Written, directory: str) -> Written:
    """What the engine wrote, less the empty file an empty result leaves: its folder holds
    nothing else then (in S3 DuckDB also writes a marker object for the folder)."""
    if written.empty:
        lake.storage.delete_tree(directory)
    return written


def _commit(lake: Lake, engine: Engine, built: list[_Built], summary: RunSummary, last: LakeState,
            journal: Journal, say: Progress) -> None:
    """Commit each built table, except one whose rows are the very rows its current snapshot
    holds (a rerun without new data): that keeps its snapshot, and this run's files go.
    The journal first records every table's metadata before; the new state, written last,
    makes all commits visible at once. The engine's last work is the fingerprints; it closes
    in the background (freeing its memory and spill files takes seconds at scale) while the
    store commits."""
    import threading

    store = lake.store
    current = store.metadata_locations()
    plans = []
    for b in built:
        fingerprint = engine.fingerprint(b.name)
        before = last.tables.get(b.name)
        unchanged = (before is not None and before.fingerprint == fingerprint
                     and current.get(b.name) == before.metadata_location)
        plans.append((b, fingerprint, None if unchanged else engine.schema(b.name)))
    journal.previous = {b.name: current.get(b.name) for b, _, schema in plans if schema is not None}
    journal.write(lake.storage)
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
                done = store.replace_contents(b.name, b.location, schema, b.files, properties)
                state.tables[b.name] = TableState(done.metadata_location, done.snapshot_id, fingerprint, summary.run_id)
            if b.name in results:
                results[b.name].snapshot_id = state.tables[b.name].snapshot_id
        say("making the run visible")
        state.write(lake.storage)  # the commit point of the whole run
    finally:
        closing.join()
