"""Reading the lake as one run left it, for its report: the stored tables at that run's
snapshots, registered in a DuckDB engine of their own, and their row counts.

A full run's tables are known before it commits (the files it wrote): `Prefetch` reads them
then, in a thread, while the run commits (the commit is Python work, the queries DuckDB's), so
the report does not wait for them at scale.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from stedi.errors import StediError

if TYPE_CHECKING:
    import pyarrow as pa

    from stedi.commit.state import LakeState
    from stedi.lake import Lake
    from stedi.pipeline.build import Built
    from stedi.time_travel import PointInTime

# Each stored table: its data files (as DuckDB reads them), its columns, its rows.
Tables = dict[str, tuple[list[str], "pa.Schema", int]]


def collect(lake: "Lake", record: dict, point: "PointInTime | None" = None) -> dict:
    """The facts of the run `record`: from the tables as the lake's state has them now (the
    run just committed, or the latest), or as `point` (that run, by time travel) has them."""
    from stedi.report.facts import gather

    tables = _at_point(point) if point is not None else _in_state(lake)
    missing = [name for name in lake.stored_tables if name not in tables]
    if missing:
        raise StediError(f"run {record['run_id']}: table(s) {', '.join(missing)} cannot be read as it left them")
    return gather(lake, record, read_tables(lake, tables))


def read_tables(lake: "Lake", tables: Tables) -> dict:
    """What the report shows of these tables (stedi.report.facts.from_tables)."""
    from stedi.engines.duckdb_engine import DuckDBEngine
    from stedi.landing.sources import SOURCES
    from stedi.report.facts import from_tables

    temp_dir = Path(tempfile.mkdtemp(prefix="stedi-report-"))
    engine = DuckDBEngine(lake.config, temp_dir=temp_dir, setup=lake.storage.duckdb_setup())
    try:
        rows: dict[str, int] = {}
        for name, (files, schema, count) in tables.items():
            engine.register_parquet(name, files, schema)
            rows[name] = count
        for source in SOURCES.values():  # a landing table's rows: its accepted lines
            rows[source.landing_table] = rows.get(f"{source.name}_accepted", 0)
        return from_tables(engine, rows)
    finally:
        engine.close()
        shutil.rmtree(temp_dir, ignore_errors=True)


def customer_identifiers(lake: "Lake") -> list[str]:
    """Every email, name and phone of the lake's customer records (its accepted customer lines,
    as the lake holds them now): what `--redact` masks wherever it shows (stedi/report/redact.py)."""
    from stedi.engines.duckdb_engine import DuckDBEngine
    from stedi.store.iceberg_store import IcebergStore

    state = lake.state()
    at = state.tables.get("customer_accepted") if state else None
    if at is None:
        return []
    table = IcebergStore.open(at.metadata_location, lake.storage.iceberg_properties())
    temp_dir = Path(tempfile.mkdtemp(prefix="stedi-report-"))
    engine = DuckDBEngine(lake.config, temp_dir=temp_dir, setup=lake.storage.duckdb_setup())
    try:
        engine.register_parquet("customer_accepted", IcebergStore.data_files("customer_accepted", table),
                                table.schema().as_arrow())
        return [value for (value,) in engine.rows(
            "SELECT DISTINCT v FROM (SELECT unnest([email, customername, phone]) AS v FROM customer_accepted)"
            " WHERE v IS NOT NULL")]
    finally:
        engine.close()
        shutil.rmtree(temp_dir, ignore_errors=True)


class Prefetch:
    """The table facts of a full run, read from the files it built while it commits."""

    def __init__(self, lake: "Lake", built: list[tuple["Built", "pa.Schema | None"]], last: "LakeState"):
        self._result: dict | None = None
        self._thread = threading.Thread(target=self._read, args=(lake, built, last), name="stedi-report-facts",
                                        daemon=True)
        self._thread.start()

    def _read(self, lake: "Lake", built: list[tuple["Built", "pa.Schema | None"]], last: "LakeState") -> None:
        from stedi.store.iceberg_store import IcebergStore

        try:
            tables: Tables = {}
            for b, schema in built:
                if schema is not None:  # committed as written
                    tables[b.name] = (b.add, schema, b.rows)
                else:  # the same rows as the snapshot it keeps: read that
                    table = IcebergStore.open(last.tables[b.name].metadata_location, lake.storage.iceberg_properties())
                    tables[b.name] = (IcebergStore.data_files(b.name, table), table.schema().as_arrow(), b.rows)
            self._result = read_tables(lake, tables)
        except BaseException:  # noqa: BLE001 - result() is None then: the report reads the committed tables
            self._result = None

    def result(self) -> dict | None:
        """The facts, or None if reading them failed (the caller reads the committed tables)."""
        self._thread.join()
        return self._result


def _at_point(point: "PointInTime") -> Tables:
    from stedi.store.iceberg_store import IcebergStore

    found: Tables = {}
    for name, at in point.tables.items():
        if at.problem:
            raise StediError(at.problem)
        snapshot = at.table.snapshot_by_id(at.snapshot_id)
        rows = int(snapshot.summary["total-records"]) if snapshot and snapshot.summary else 0
        found[name] = (IcebergStore.data_files(name, at.table, at.snapshot_id),
                       IcebergStore.arrow_schema(at.table, at.snapshot_id), rows)
    return found


def _in_state(lake: "Lake") -> Tables:
    from stedi.store.iceberg_store import IcebergStore

    state = lake.state()
    if state is None:
        raise StediError(f"{lake.storage.uri('')}: no run has completed yet: `stedi run` first")
    properties = lake.storage.iceberg_properties()
    found: Tables = {}
    for name, t in state.tables.items():
        table = IcebergStore.open(t.metadata_location, properties)
        found[name] = (IcebergStore.data_files(name, table), table.schema().as_arrow(), IcebergStore.info(name, table).rows)
    return found
