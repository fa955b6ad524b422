"""`stedi run`: every trusted and curated table rebuilt from landing, then committed.

Landing is parsed once; each model's SQL writes Parquet files into its table's location;
only when every table is built does the store commit them, one atomic snapshot per
table. A failure before the commits leaves every table as it was and removes the files
this run wrote.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from stedi.audits import PRIVACY_AUDITS, audit_sql
from stedi.engines.base import Engine
from stedi.errors import StediError
from stedi.lake import Lake
from stedi.landing import quarantine
from stedi.landing.sources import SOURCES
from stedi.models import all_models
from stedi.store.iceberg_store import IcebergStore

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
    # Per stored table, what its current snapshot holds: fingerprint, metadata location, snapshot id.
    table_state: dict[str, dict] = field(default_factory=dict)

    def table(self, name: str) -> TableResult:
        return next(t for t in self.tables if t.name == name)


@dataclass
class _Built:
    name: str
    location: Path
    directory: Path
    files: list[Path]


def run(lake: Lake, consent_policy: str | None = None, progress: Progress | None = None,
        engine: Engine | None = None) -> RunSummary:
    say = progress or (lambda message: None)
    policy = consent_policy or lake.config.consent_policy
    started = time.perf_counter()
    landing, last = lake.landing_state(), lake.last_run() or {}
    summary = RunSummary(run_id=time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8], consent_policy=policy,
                         landing_signature=landing.signature)
    _prepare_store_if_needed(landing.bytes, last, summary)
    if engine is None:
        from stedi.engines.duckdb_engine import DuckDBEngine

        lake.temp_dir.mkdir(exist_ok=True)
        engine = DuckDBEngine(lake.config, temp_dir=lake.temp_dir)
    built: list[_Built] = []
    try:
        rejected_rows = _load_landing(lake, engine, summary, say)
        engine.set_parameters(consent_policy=policy, pseudonym_key=lake.config.pseudonym_key)
        counts: dict[str, int] = {t.name: t.rows_out for t in summary.tables}
        for model in all_models():
            if not model.stored:
                engine.create_view(model.name, model.sql)
                continue
            say(f"building {model.name}")
            t0 = time.perf_counter()
            staged = _stage(lake, summary.run_id, model.name, built)
            written = engine.write_parquet(model.name, model.sql, staged.directory)
            staged.files = written.files
            main_input = model.inputs[0]
            if main_input not in counts:
                counts[main_input] = engine.count(main_input)
            counts[model.name] = written.rows
            summary.tables.append(TableResult(model.name, counts[main_input], written.rows, 0, time.perf_counter() - t0))
        say("auditing privacy")
        _audit(engine)
        shared = _shared_serials(engine)
        summary.shared_serial_numbers, summary.shared_serial_readings = shared
        staged = _stage(lake, summary.run_id, "quarantine", built)
        staged.files = engine.write_rows("quarantine", quarantine.COLUMNS, rejected_rows, staged.directory).files
        say("committing tables")
        _commit(lake, engine, built, summary, last.get("table_state", {}))
    except BaseException:
        for b in built:
            shutil.rmtree(b.directory, ignore_errors=True)
        raise
    finally:
        engine.close()
    summary.seconds = time.perf_counter() - started
    _record(lake, summary)
    return summary


# From this much landing JSON on, DuckDB parses for longer than the store takes to import.
_PREPARE_STORE_FROM_BYTES = 256 * 1024 * 1024


def _prepare_store_if_needed(landing_bytes: int, last: dict, summary: RunSummary) -> None:
    """Import the table store in the background when this run will likely commit (new landing
    files, another policy, no run before): 0.8 s of importing pyiceberg then overlaps DuckDB's
    work instead of following it. A rerun on the same files commits nothing and skips this.
    `last` is the last run's record."""
    if landing_bytes < _PREPARE_STORE_FROM_BYTES:
        return  # small data: the import would only contend with the run's own Python work
    if (last.get("landing_signature") == summary.landing_signature
            and last.get("consent_policy") == summary.consent_policy):
        return
    import threading

    threading.Thread(target=IcebergStore.import_modules, name="stedi-import-store", daemon=True).start()


def _record(lake: Lake, summary: RunSummary) -> None:
    """Keep each run's summary in the lake: `stedi tables` shows landing counts from the last one."""
    import json
    from dataclasses import asdict

    lake.runs_dir.mkdir(exist_ok=True)
    (lake.runs_dir / f"{summary.run_id}.json").write_text(json.dumps(asdict(summary), indent=2), encoding="utf-8")


def _load_landing(lake: Lake, engine: Engine, summary: RunSummary, say: Progress) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for source in SOURCES.values():
        files = lake.landing_files(source.name)
        say(f"reading {source.landing_table} ({len(files)} files)")
        t0 = time.perf_counter()
        load = engine.load_landing(source, files)
        rows += quarantine.explain(source, load.rejected, lake.relative)
        summary.tables.append(
            TableResult(source.landing_table, load.lines_read, load.accepted, len(load.rejected), time.perf_counter() - t0)
        )
    return rows


def _audit(engine: Engine) -> None:
    """Stop before any commit if a built table breaks a privacy rule."""
    for name in PRIVACY_AUDITS:
        [(found,)] = engine.rows(f"SELECT count(*) FROM ({audit_sql(name)})")
        if found:
            raise StediError(
                f"privacy audit {name} found {found} offending row(s); nothing was committed "
                f"(the query is stedi/audits/{name}.sql)"
            )


def _shared_serials(engine: Engine) -> tuple[int, int]:
    """Serial numbers held by several customers, and the step-trainer readings left out for it."""
    [(serials, readings)] = engine.rows(
        f"SELECT count(*), coalesce(sum(readings), 0) FROM ({audit_sql('shared_serial_numbers')})")
    return int(serials), int(readings)


def _stage(lake: Lake, run_id: str, name: str, built: list[_Built]) -> _Built:
    """The folder this run writes a table's files into; listed before any file is written,
    so that a failed write is cleaned up too."""
    location = lake.location(name)
    staged = _Built(name, location, location / "data" / f"run-{run_id}", [])
    built.append(staged)
    return staged


def _commit(lake: Lake, engine: Engine, built: list[_Built], summary: RunSummary, last: dict[str, dict]) -> None:
    """Commit each built table, except one whose rows are the very rows its current snapshot
    holds (a rerun without new data): that keeps its snapshot, and this run's files go.
    `last` is the table state the last run recorded. The engine's last work is the fingerprints; it closes in the background (freeing its
    memory and spill files takes seconds at scale) while the store commits."""
    import threading

    store = IcebergStore(lake.catalog_path)
    plans = []
    for b in built:
        fingerprint = engine.fingerprint(b.name)
        before = last.get(b.name)
        unchanged = (before is not None and before["fingerprint"] == fingerprint
                     and store.metadata_location(b.name) == before["metadata_location"])
        plans.append((b, fingerprint, None if unchanged else engine.schema(b.name)))
    closing = threading.Thread(target=engine.close, name="stedi-close-engine")
    closing.start()
    try:
        properties = {"stedi.run-id": summary.run_id, "stedi.consent-policy": summary.consent_policy}
        results = {t.name: t for t in summary.tables}
        for b, fingerprint, schema in plans:
            if schema is None:
                shutil.rmtree(b.directory, ignore_errors=True)
                summary.table_state[b.name] = last[b.name]
            else:
                snapshot = store.replace_contents(b.name, b.location, schema, b.files, properties)
                summary.table_state[b.name] = {"fingerprint": fingerprint, "snapshot_id": snapshot,
                                               "metadata_location": store.metadata_location(b.name)}
            if b.name in results:
                results[b.name].snapshot_id = summary.table_state[b.name]["snapshot_id"]
    finally:
        closing.join()
