"""One table of the lake for a notebook: `house.table(name, as_of=...)` (LakeReader.table).

It asks for less: `columns=` and `filter=` (stedi.table_filter checks them) are pushed down to
DuckDB reading the snapshot's Parquet files (`read_parquet` with the projection and WHERE), so
columns not asked for are not read and row groups whose statistics rule the filter out are
skipped (the training table is written sorted by customer_key, sensorreadingtime for that). The
connection is locked as stedi.query's is: it reaches the table's files and nothing else.
DuckDB, not pyiceberg's scan, by measurement: on the 10 M training table (3.8 M rows, one file)
it read the whole table in about 0.5 s against 1.2 s, and one customer's rows in 0.03 s against
0.24 s (a loaded machine; benchmarks/bench_api.py compares them, with polars).

A handle holds no data and pins nothing: each call reads the lake as it is then (or as of
`as_of`), through LakeReader._read, which reads again when a writer replaced the state
meanwhile. `len`, `repr` and `.schema` read table metadata only. Landing tables are views over the
landing files: they are read through LakeReader.query, with the same checks.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol, TypeVar, Union

from stedi.errors import StediError
from stedi.hints import LazyModule
from stedi.lake import TABLE_LOCATIONS, Lake
from stedi.landing.column_types import of_sql
from stedi.landing.sources import SOURCES
from stedi.provenance import stamped
from stedi.store.snapshot_files import SnapshotFiles, current_snapshot
from stedi.time_travel import PointInTime, landing_problem

# Type hints resolve at run time (typing.get_type_hints) without importing these with stedi.
if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    import pyarrow as pa
    import pyiceberg.table
else:
    pd, pl, pa, pyiceberg = (LazyModule(m) for m in ("pandas", "polars", "pyarrow", "pyiceberg"))

AsOf = str | int | datetime | date | PointInTime  # as stedi.reader's
# As stedi.table_filter's, which is imported when a filter is read (it imports sqlglot: 0.15 s).
Filter = Union[str, "pyiceberg.expressions.BooleanExpression"]

T = TypeVar("T")


class LakeReading(Protocol):
    """What a handle needs of its LakeReader (stedi.reader, which makes handles: named here, not
    imported, so that the two modules do not import each other)."""

    lake: "Lake"

    def _read(self, read: "Callable[[dict[str, str]], T]") -> T: ...

    def _point(self, when: Any, committed: dict[str, str]) -> "PointInTime": ...

    def open_table(self, metadata_location: str) -> "pyiceberg.table.Table": ...

    def query(self, sql: str) -> "pa.Table": ...

_LANDING = {source.landing_table: source for source in SOURCES.values()}
_VIEW = "stedi_table"  # the name the table's files are read by, on a connection of their own


@dataclass(frozen=True)
class _Snapshot:
    """The stored table a call reads: its Iceberg table, snapshot and the state it came from."""

    table: "pyiceberg.table.Table | None"  # None: read from the metadata file alone (`recorded`)
    snapshot_id: int | None
    committed: dict[str, str]
    point: "PointInTime | None"
    recorded: "SnapshotFiles | None" = None


class TableHandle:
    """One table of the lake: `.schema`, `len()`, `head()`, `to_arrow()`, `to_pandas()`, `to_polars()`.

    `columns`: the column names to read (default: all). `filter`: the rows to read, as one SQL
    boolean expression over the table's columns, DuckDB dialect
    ("customer_key = 'ab12' AND sensorreadingtime >= 1655564000000"), or a pyiceberg expression
    (`pyiceberg.expressions.EqualTo("customer_key", key)`). A SQL filter may hold literals,
    columns, comparisons, AND/OR/NOT, IN (...), BETWEEN, LIKE, IS NULL, arithmetic, CAST and
    simple functions; a subquery, another table or statement, or a function reaching beyond the
    row is refused. To filter on a value from elsewhere (user input, a variable), do not paste it
    into the string: pass a pyiceberg expression, whose values are literals, or use
    `query(sql, params=...)`. `as_of`: the table as a past run left it (LakeReader.as_of).
    """

    def __init__(self, reader: LakeReading, name: str, as_of: "AsOf | None" = None):
        if name not in TABLE_LOCATIONS:
            raise StediError(f"no table {name!r}; tables: {', '.join(TABLE_LOCATIONS)}")
        if as_of is not None and name in _LANDING:
            raise StediError(landing_problem(name))
        self._reader, self.name, self._as_of = reader, name, as_of

    # -- what it is, without reading data ------------------------------------------------

    @property
    def schema(self) -> "pa.Schema":
        """The columns and their Arrow types; each field's metadata holds its description
        (b"doc") where the table declares one."""
        if self.name in _LANDING:
            return _landing_schema(self.name)
        return self._reader._read(lambda committed: _arrow_schema(self._snapshot(committed)))

    def __len__(self) -> int:
        """Rows: from the snapshot's summary (a landing view is counted by reading it)."""
        if self.name in _LANDING:
            return int(self._reader.query(f'SELECT count(*) AS n FROM "{self.name}"').column(0)[0].as_py())
        return self._reader._read(lambda committed: _rows(self._snapshot(committed)))

    def __repr__(self) -> str:
        if self.name in _LANDING:
            return f"<Table {self.name}: a view over the landing files as they are now>"

        def describe(committed: dict[str, str]) -> str:
            at = self._snapshot(committed)
            if at.point is not None:
                run = at.point.run_id or "no run"
                when = f"as of {at.point.asked}" + (f" (run {run})" if at.point.asked != run else "")
            else:
                state = self._reader.lake.state()
                when = f"as of run {state.run_id}" if state is not None else "as the catalog has it"
            return f"<Table {self.name} {when}: {_rows(at):,} rows>"

        return self._reader._read(describe)

    # -- reading -------------------------------------------------------------------------

    def head(self, n: int = 5) -> "pd.DataFrame":
        """The first `n` rows as a pandas DataFrame (which rows is up to the files' order)."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise StediError(f"head(n={n!r}): n is a number of rows, 0 or more")
        return _pandas(self._arrow(None, None, n))

    def to_arrow(self, columns: "Iterable[str] | None" = None, filter: "Filter | None" = None) -> "pa.Table":
        """The rows (`filter`) and columns (`columns`) asked for, as a pyarrow.Table whose schema
        metadata says where they came from (stedi.provenance: run id, snapshot ids, policy)."""
        return self._arrow(columns, filter, None)

    def to_pandas(self, columns: "Iterable[str] | None" = None, filter: "Filter | None" = None) -> "pd.DataFrame":
        """As to_arrow, as a pandas DataFrame: integer and boolean columns in pandas' nullable
        dtypes (Int64, boolean), so a column with nulls stays integer (never float64)."""
        return _pandas(self._arrow(columns, filter, None))

    def to_polars(self, columns: "Iterable[str] | None" = None, filter: "Filter | None" = None) -> "pl.DataFrame":
        """As to_arrow, as a polars DataFrame (needs the `polars` extra)."""
        try:
            import polars as pl
        except ImportError:
            raise StediError("to_polars() needs polars: pip install 'stedi[polars]'") from None
        return pl.from_arrow(self._arrow(columns, filter, None))  # type: ignore[return-value]

    def _arrow(self, columns: "Iterable[str] | None", condition: "Filter | None", limit: int | None) -> "pa.Table":
        import duckdb

        if self.name in _LANDING:
            return self._reader.query(self._select(_landing_schema(self.name).names, columns, condition, limit,
                                                   f'"{self.name}"'))
        try:
            return self._reader._read(lambda committed: self._scan(committed, columns, condition, limit))
        except duckdb.Error as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise StediError(f"table {self.name}: reading it failed: {first}") from None

    def _select(self, available: list[str], columns: "Iterable[str] | None", condition: "Filter | None",
                limit: int | None, source: str) -> str:
        from sqlglot import exp

        from stedi.table_filter import column_list, where_sql

        chosen = column_list(self.name, columns, available)
        where = where_sql(self.name, condition, available)
        select = ", ".join(exp.to_identifier(c, quoted=True).sql("duckdb") for c in chosen)
        return (f"SELECT {select} FROM {source}" + (f" WHERE ({where})" if where else "")
                + (f" LIMIT {int(limit)}" if limit is not None else ""))

    def _scan(self, committed: dict[str, str], columns: "Iterable[str] | None", condition: "Filter | None",
              limit: int | None) -> "pa.Table":
        from stedi.store.iceberg_store import IcebergStore

        at = self._snapshot(committed)
        schema = _arrow_schema(at)
        sql = self._select(schema.names, columns, condition, limit, _VIEW)  # checked before any file is read
        if at.recorded is not None:
            files = at.recorded.files
        else:
            files = IcebergStore.data_files(self.name, at.table, at.snapshot_id) if at.table and at.snapshot_id is not None else []
        result = _read_files(self._reader, files, schema, sql)
        return stamped(_with_docs(result, schema), self._reader.lake, at.committed, at.point, [self.name])

    def _snapshot(self, committed: dict[str, str]) -> _Snapshot:
        if self._as_of is not None:
            point = self._reader._point(self._as_of, committed)
            at = point.at(self.name)
            return _Snapshot(at.table, at.snapshot_id, committed, point)
        if self.name not in committed:
            raise StediError(f"table {self.name} is not built yet: run `stedi run` (or Lakehouse.run()) first")
        recorded = current_snapshot(self._reader.lake.storage, committed[self.name])
        if recorded is not None:  # no pyiceberg: the snapshot records its files (stedi.store.snapshot_files)
            return _Snapshot(None, recorded.snapshot_id, committed, None, recorded)
        table = self._reader.open_table(committed[self.name])
        snapshot = table.current_snapshot()
        return _Snapshot(table, snapshot.snapshot_id if snapshot else None, committed, None)


def _rows(at: _Snapshot) -> int:
    if at.recorded is not None:
        return at.recorded.rows
    assert at.table is not None
    snapshot = at.table.snapshot_by_id(at.snapshot_id) if at.snapshot_id is not None else None
    return int(snapshot.summary["total-records"]) if snapshot and snapshot.summary else 0


def _arrow_schema(at: _Snapshot) -> "pa.Schema":
    """The snapshot's columns as pyiceberg converts them (field docs in the metadata), with the
    string types DuckDB returns (pyiceberg says large_string)."""
    import pyarrow as pa

    if at.recorded is not None:
        return at.recorded.arrow_schema()
    from pyiceberg.io.pyarrow import schema_to_pyarrow

    assert at.table is not None
    snapshot = at.table.snapshot_by_id(at.snapshot_id) if at.snapshot_id is not None else None
    iceberg = at.table.schemas().get(snapshot.schema_id) if snapshot and snapshot.schema_id is not None else None
    converted = schema_to_pyarrow(iceberg or at.table.schema(), include_field_ids=False)
    small = {pa.large_string(): pa.string(), pa.large_binary(): pa.binary()}
    return pa.schema([f.with_type(small.get(f.type, f.type)) for f in converted])


def _landing_schema(name: str) -> "pa.Schema":
    import pyarrow as pa

    return pa.schema([pa.field(f.column, of_sql(f.type.sql_type).arrow_type()) for f in _LANDING[name].fields])


def _with_docs(result: "pa.Table", schema: "pa.Schema") -> "pa.Table":
    """`result` with each column's field metadata (its doc) from the table's schema: no copy."""
    import pyarrow as pa

    fields = [f.with_metadata(schema.field(f.name).metadata) if schema.field(f.name).metadata else f
              for f in result.schema]
    return pa.Table.from_arrays(result.columns, schema=pa.schema(fields, result.schema.metadata))


def _read_files(reader: LakeReading, files: list[str], schema: "pa.Schema", sql: str) -> "pa.Table":
    """`sql` over `files` (the view _VIEW), on a DuckDB connection that reaches these files and
    its own temp folder only, locked (stedi.query's rules). A file deleted meanwhile is a
    FileNotFoundError, which LakeReader._read answers by reading the new state."""
    from stedi.engines.duckdb_engine import DuckDBEngine
    from stedi.query import Reader

    lake = reader.lake
    temp_dir = Path(tempfile.mkdtemp(prefix="stedi-table-"))
    engine = None
    try:
        engine = DuckDBEngine(lake.config, temp_dir=temp_dir, setup=lake.storage.duckdb_setup())
        engine.restrict(files, [str(temp_dir)])
        engine.register_parquet(_VIEW, files, schema)
        engine.lock()
        [statement] = engine.con.extract_statements(sql)
        return Reader(engine, statement, files).run()
    finally:
        if engine is not None:
            engine.close()
        shutil.rmtree(temp_dir, ignore_errors=True)


def _pandas(table: "pa.Table") -> "pd.DataFrame":
    """pandas' nullable dtypes for integers and booleans (pyarrow's types_mapper: no extra pass)."""
    import pandas as pd
    import pyarrow as pa

    nullable = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
                pa.int64(): pd.Int64Dtype(), pa.uint8(): pd.UInt8Dtype(), pa.uint16(): pd.UInt16Dtype(),
                pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype(), pa.bool_(): pd.BooleanDtype()}
    return table.to_pandas(types_mapper=nullable.get)
