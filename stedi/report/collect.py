"""Reading the lake as one run left it, for its report: the stored tables at that run's
snapshots, registered in a DuckDB engine of their own, and their row counts."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from stedi.errors import StediError

if TYPE_CHECKING:
    from stedi.lake import Lake
    from stedi.time_travel import PointInTime


def collect(lake: "Lake", record: dict, point: "PointInTime | None" = None) -> dict:
    """The facts of the run `record`: from the tables as the lake's state has them now (the
    run just committed, or the latest), or as `point` (that run, by time travel) has them."""
    from stedi.engines.duckdb_engine import DuckDBEngine
    from stedi.landing.sources import SOURCES
    from stedi.report.facts import gather

    temp_dir = Path(tempfile.mkdtemp(prefix="stedi-report-"))
    engine = DuckDBEngine(lake.config, temp_dir=temp_dir, setup=lake.storage.duckdb_setup())
    try:
        rows: dict[str, int] = {}
        for name, (files, schema, count) in _tables(lake, point).items():
            engine.register_parquet(name, files, schema)
            rows[name] = count
        for source in SOURCES.values():  # a landing table's rows: its accepted lines
            rows[source.landing_table] = rows.get(f"{source.name}_accepted", 0)
        missing = [name for name in lake.stored_tables if name not in rows]
        if missing:
            raise StediError(f"run {record['run_id']}: table(s) {', '.join(missing)} cannot be read as it left them")
        return gather(lake, record, engine, rows)
    finally:
        engine.close()
        shutil.rmtree(temp_dir, ignore_errors=True)


def _tables(lake: "Lake", point: "PointInTime | None") -> dict[str, tuple[list[str], object, int]]:
    """Each stored table's data files, columns and rows, at `point` or as the lake's state has it."""
    from stedi.store.iceberg_store import IcebergStore

    found = {}
    if point is not None:
        for name, at in point.tables.items():
            if at.problem:
                raise StediError(at.problem)
            snapshot = at.table.snapshot_by_id(at.snapshot_id)
            rows = int(snapshot.summary["total-records"]) if snapshot and snapshot.summary else 0
            found[name] = (IcebergStore.data_files(name, at.table, at.snapshot_id),
                           IcebergStore.arrow_schema(at.table, at.snapshot_id), rows)
        return found
    state = lake.state()
    if state is None:
        raise StediError(f"{lake.storage.uri('')}: no run has completed yet: `stedi run` first")
    properties = lake.storage.iceberg_properties()
    for name, t in state.tables.items():
        table = IcebergStore.open(t.metadata_location, properties)
        found[name] = (IcebergStore.data_files(name, table), table.schema().as_arrow(), IcebergStore.info(name, table).rows)
    return found
