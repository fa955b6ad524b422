"""The Python API: `stedi.Lakehouse(path).table("machine_learning_curated").to_pandas()`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stedi.errors import MovedLakeError, StediError
from stedi.lake import TABLE_LOCATIONS, Lake, zone_of
from stedi.store.iceberg_store import IcebergStore

if TYPE_CHECKING:
    from datetime import date, datetime

    import pandas as pd
    import pyarrow as pa
    from pyiceberg.table import Table

    from stedi.commit.state import LakeState
    from stedi.engines.base import Engine
    from stedi.landing.ingest import IngestReport
    from stedi.forget.erase import ErasureReport
    from stedi.maintain.retention import RetentionReport
    from stedi.pipeline.run import Progress, RunSummary
    from stedi.time_travel import PointInTime

    # When to read the lake as of: a run id, or a time (see stedi.time_travel.FORMS).
    AsOf = str | int | datetime | date | PointInTime

LANDING_TABLES = tuple(t for t in TABLE_LOCATIONS if t.endswith("_landing"))
STORED_TABLES = tuple(t for t in TABLE_LOCATIONS if t not in LANDING_TABLES)


def default_lake_path() -> str:
    return os.environ.get("STEDI_LAKE") or "lake"


@dataclass(frozen=True)
class TableSummary:
    name: str
    zone: str
    rows: int | None  # None: not built yet
    snapshot_id: int | None
    location: str


class TableHandle:
    """One table of the lake, read whole: for data scientists' notebooks. `as_of`: as a past run
    left it (Lakehouse.as_of)."""

    def __init__(self, lakehouse: "Lakehouse", name: str, as_of: "AsOf | None" = None):
        if name not in TABLE_LOCATIONS:
            raise StediError(f"no table {name!r}; tables: {', '.join(TABLE_LOCATIONS)}")
        if as_of is not None and name in LANDING_TABLES:
            from stedi.time_travel import landing_problem

            raise StediError(landing_problem(name))
        self._lakehouse, self.name, self._as_of = lakehouse, name, as_of

    def to_arrow(self) -> "pa.Table":
        if self._as_of is not None:
            at = self._lakehouse.as_of(self._as_of).at(self.name)
            return at.table.scan(snapshot_id=at.snapshot_id).to_arrow()
        if self.name in LANDING_TABLES:
            return self._lakehouse.query(f'SELECT * FROM "{self.name}"')
        table = self._lakehouse.committed(self.name)
        if table is None:
            raise StediError(f"table {self.name} is not built yet: run `stedi run` first")
        return table.scan().to_arrow()

    def to_pandas(self) -> "pd.DataFrame":
        return self.to_arrow().to_pandas()


class Lakehouse:
    def __init__(self, path: Path | str | None = None, create: bool = False):
        """`path`: a local folder or s3://bucket/prefix (default: $STEDI_LAKE, else ./lake)."""
        path = default_lake_path() if path is None else path
        self.lake = Lake.open_or_create(path) if create else Lake.open(path)

    @property
    def store(self) -> IcebergStore:
        return self.lake.store

    @property
    def path(self) -> str:
        """The lake: a local folder or s3://bucket/prefix."""
        return self.lake.root

    def ingest(self, src: Path | str, wait: float | None = None, progress: "Progress | None" = None) -> "IngestReport":
        """Copy a delivery (a local folder or s3:// prefix) into landing, holding the writer lock
        (`wait`: seconds to wait for it)."""
        from stedi.commit.writer import writing
        from stedi.landing.ingest import ingest
        from stedi.storage import open_storage

        with writing(self.lake, "ingest", wait, progress):
            return ingest(self.lake, open_storage(src))

    def run(self, consent_policy: str | None = None, progress: "Progress | None" = None,
            wait: float | None = None, engine: "Engine | str | None" = None,
            spark_master: str | None = None, full: bool = False) -> "RunSummary":
        """Bring every table up to date with landing (only the files no run has read are read;
        `full`: rebuild every table from every file). `engine`: "duckdb", "spark" or an Engine
        (default: the lake's `engine` setting); `spark_master`: where the Spark engine runs."""
        from stedi.config import Config
        from stedi.pipeline.run import run

        if spark_master is not None:
            Config(spark_master=spark_master)  # checked as the setting is
        if isinstance(engine, str):
            Config(engine=engine)
        return run(self.lake, consent_policy=consent_policy, progress=progress, wait=wait, engine=engine,
                   spark_master=spark_master, full=full)

    def maintain(self, keep_snapshots: int | None = None, keep_days: int | None = None, wait: float | None = None,
                 progress: "Progress | None" = None) -> "RetentionReport":
        """Expire each table's snapshots older than `keep_days` beyond its newest `keep_snapshots`
        (default: the lake's settings) and delete the files nothing kept refers to, holding the
        writer lock (`wait`: seconds to wait for it). `run` does this after each run."""
        from stedi.maintain import maintain

        return maintain(self.lake, keep_snapshots, keep_days, wait, progress)

    def committed_locations(self, state: "LakeState | None" = None) -> dict[str, str]:
        """Each stored table's metadata file as the last complete run left it: what readers read.
        A run in progress, or one that died, is not in it. `state`: the lake's, already read."""
        state = state or self.lake.state()
        if state is not None:
            found = {name: t.metadata_location for name, t in state.tables.items()}
        elif self.lake.storage.exists("journal.json"):
            found = {}  # the first run is still at work (or died): nothing is visible yet
        else:
            found = self.lake.store.metadata_locations(write=False)  # a lake made before state.json existed
        for location in found.values():
            if not self.lake.holds(location):
                raise MovedLakeError(
                    f"{self.path}: this lake was moved or copied from {self.lake.origin(location)}, and its "
                    f"tables still name that place; `stedi run --lake {self.path}` rebuilds them here from landing")
        return found

    def committed(self, name: str) -> "Table | None":
        """A stored table as the last complete run left it; None if it was never built."""
        location = self.committed_locations().get(name)
        return self.open_table(location) if location else None

    def open_table(self, metadata_location: str) -> "Table":
        return IcebergStore.open(metadata_location, self.lake.storage.iceberg_properties())

    def table(self, name: str, as_of: "AsOf | None" = None) -> TableHandle:
        """A table; `as_of`: as a past run left it (see `as_of`)."""
        return TableHandle(self, name, as_of)

    def as_of(self, when: "AsOf") -> "PointInTime":
        """Each stored table's snapshot at a past moment. `when`: a run id (the moment it became
        visible), or a time (the last run visible then): a datetime or ISO 8601 string (UTC unless
        it names a zone), a date (00:00 UTC), or epoch milliseconds. Fails in one line on an unknown
        run or a time before the first run; a table whose snapshots then are expired fails when read."""
        from stedi.time_travel import PointInTime, resolve

        if isinstance(when, PointInTime):
            return when
        committed = self.committed_locations()
        return resolve(self.lake, {name: self.open_table(location) for name, location in committed.items()}, when)

    def tables(self) -> list[TableSummary]:
        """Every table. Landing tables are views: their rows are the accepted lines at the last run."""
        from stedi.pipeline.records import reconstruct

        state = self.lake.state()
        # (a run that could not write its record: what its snapshots tell, until the next writer writes it)
        last = (self.lake.run_record(state.run_id) or reconstruct(self.lake, state.run_id, state)) if state else None
        accepted = {t["name"]: t["rows_out"] if t.get("total") is None else t["total"]
                    for t in last["tables"]} if last else {}
        committed = self.committed_locations(state)
        found = []
        for name in TABLE_LOCATIONS:
            location = self.lake.storage.path(self.lake.table_folder(name))
            if name in LANDING_TABLES:
                found.append(TableSummary(name, zone_of(name), accepted.get(name), None, location))
                continue
            info = IcebergStore.info(name, self.open_table(committed[name])) if name in committed else None
            found.append(
                TableSummary(name, zone_of(name), info.rows if info else None, info.snapshot_id if info else None, location)
            )
        return found

    def forget(self, emails: list[str], wait: float | None = None,
               progress: "Progress | None" = None) -> "ErasureReport":
        """Erase people from every zone and from the lake's kept past (see `stedi forget --help`)."""
        from stedi.forget.erase import forget

        return forget(self.lake, emails, progress, wait)

    def query(self, sql: str, as_of: "AsOf | None" = None) -> "pa.Table":
        """SQL (DuckDB dialect) over every table of the lake by name. `as_of`: over the stored
        tables as a past run left them (see `as_of`; landing tables are not versioned)."""
        import duckdb

        from stedi.query import connect, named_tables

        try:
            if not duckdb.extract_statements(sql):  # blank, only comments or ';': DuckDB returns no result
                raise StediError('no SQL given: pass a query, e.g. "SELECT count(*) FROM quarantine"')
            point = None
            if as_of is not None:
                point = self.as_of(as_of)
                point.check(named_tables(sql))
            committed = self.committed_locations() if point is None else {}  # else the point's tables
            with connect(self.lake, committed, self.open_table, sql, point) as engine:
                return engine.arrow(sql)
        except duckdb.Error as e:
            raise StediError(f"query failed: {str(e).strip().splitlines()[0]}") from None
