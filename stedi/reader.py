"""Reading the lake: every table as the last complete run left it, or as of a past run, never
half of a writer's work and never a writer's files half deleted (the Lakehouse's reading half).

A reader takes no lock. It reads the tables `state.json` names (committed_locations), and reads
again from the new state when a writer replaced it and deleted the files it was reading (`_read`;
docs/commit-protocol.md). SQL goes through stedi.query (locked connections, stedi.read_only);
`as_of` through stedi.time_travel.
"""

from __future__ import annotations

from dataclasses import dataclass
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Callable, TypeVar

from stedi.commit.state import LakeState
from stedi.errors import MovedLakeError, StediError
from stedi.hints import LazyModule
from stedi.forget.finish import pending
from stedi.lake import TABLE_LOCATIONS, Lake, zone_of
from stedi.pipeline.records import reconstruct
from stedi.provenance import stamped, tables_named
from stedi.runs import Run, rows_per_table
from stedi.read_only import refusal
from stedi.store.iceberg_store import IcebergStore
from stedi.store.snapshot_files import current_snapshot
from stedi.table import TableHandle
from stedi.time_travel import PointInTime, resolve
from stedi.time_travel.tags import Tag

# Type hints resolve at run time (typing.get_type_hints) without importing these with stedi.
if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    import pyiceberg.table
else:
    duckdb, pd, pa, pyiceberg = (LazyModule(m) for m in ("duckdb", "pandas", "pyarrow", "pyiceberg"))

# When to read the lake as of: a run id, or a time (see stedi.time_travel.FORMS).
AsOf = str | int | datetime | date | PointInTime
# Query parameters: values for `?` in order, or for `$name` by name.
Params = Sequence[object] | Mapping[str, object]
# Folders of the user's own a connection may read and write (one, or several).
Folders = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]

T = TypeVar("T")
# A reader whose state's files a writer deleted reads the new state: so many times at most.
READ_ATTEMPTS = 5

LANDING_TABLES = tuple(t for t in TABLE_LOCATIONS if t.endswith("_landing"))
STORED_TABLES = tuple(t for t in TABLE_LOCATIONS if t not in LANDING_TABLES)


@dataclass(frozen=True)
class TableSummary:
    name: str
    zone: str
    rows: int | None  # None: not built yet
    snapshot_id: int | None
    location: str


class LakeReader:
    """The lake's tables, read: what `stedi query`, `stedi tables` and the run report read through.
    A Lakehouse is one (with the writers besides)."""

    def __init__(self, lake: Lake):
        self.lake = lake  # internal (the CLI and stedi's modules use it): not part of the API

    def __repr__(self) -> str:
        """`<Lakehouse /path/lake: 9 tables, run 20261128T145000-1a2b3c4d>`: from state.json alone."""
        try:
            state = self.lake.state()
        except Exception:  # a repr never fails: a damaged state is for the reads to report
            return f"<{type(self).__name__} {self.path}>"
        if state is None:
            return f"<{type(self).__name__} {self.path}: no run yet>"
        return f"<{type(self).__name__} {self.path}: {len(state.tables)} tables, run {state.run_id}>"

    @property
    def path(self) -> str:
        """The lake: a local folder or s3://bucket/prefix."""
        return self.lake.root

    def committed_locations(self, state: "LakeState | None" = None) -> dict[str, str]:
        """Internal. Each stored table's metadata file as the last complete run left it: what readers read.
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

    def committed(self, name: str) -> "pyiceberg.table.Table | None":
        """Internal: a stored table as the last complete run left it, as pyiceberg's Table (None if
        never built). Read its files at once: a later forget or maintain deletes them; use
        `table(name)` or `query` instead, which read the lake's state anew each time."""
        location = self.committed_locations().get(name)
        return self.open_table(location) if location else None

    def open_table(self, metadata_location: str) -> "pyiceberg.table.Table":
        """Internal: a table opened from its metadata file."""
        return IcebergStore.open(metadata_location, self.lake.storage.iceberg_properties())

    def table(self, name: str, *, as_of: "AsOf | None" = None) -> TableHandle:
        """A table, to read whole or in part (columns, filter: stedi/table.py); `as_of`: as a
        past run left it (see `as_of`)."""
        return TableHandle(self, name, as_of)

    def as_of(self, when: "AsOf") -> "PointInTime":
        """Each stored table's snapshot at a past moment. `when`: a run id (the moment it became
        visible), or a time (the last run visible then): a datetime or ISO 8601 string (UTC unless
        it names a zone), a date (00:00 UTC), or epoch milliseconds. Fails in one line on an unknown
        run or a time before the first run; a table whose snapshots then are expired fails when read."""
        if isinstance(when, PointInTime):
            return when
        return self._read(lambda committed: self._point(when, committed))

    def _check_erasures_finished(self, point: "PointInTime") -> None:
        """A forget that stopped after its commit point leaves older snapshots that still hold its
        people until the next writer finishes it: nothing before it is read meanwhile."""
        erasure = pending(self.lake)
        if erasure is not None and point.run_id != erasure:
            raise StediError(f"cannot read the lake as of {point.describe()}: erasure {erasure} is committed but "
                             "not finished (its forget stopped), and older snapshots still hold the people it "
                             "erased; the next writer finishes it (run `stedi maintain`)")

    def tables(self) -> list[TableSummary]:
        """Every table. Landing tables are views: their rows are the accepted lines at the last run."""
        return self._read(lambda committed: self._summaries())

    def _summaries(self) -> list[TableSummary]:
        state = self.lake.state()
        # (a run that could not write its record: what its snapshots tell, until the next writer writes it)
        last = (self.lake.run_record(state.run_id) or reconstruct(self.lake, state.run_id, state)) if state else None
        accepted = rows_per_table(last) if last else {}
        committed = self.committed_locations(state)
        found = []
        for name in TABLE_LOCATIONS:
            location = self.lake.storage.path(self.lake.table_folder(name))
            if name in LANDING_TABLES:
                found.append(TableSummary(name, zone_of(name), accepted.get(name), None, location))
                continue
            # From the metadata file alone where the snapshot records its files (no pyiceberg).
            fast = current_snapshot(self.lake.storage, committed[name]) if name in committed else None
            info = fast or (IcebergStore.info(name, self.open_table(committed[name])) if name in committed else None)
            found.append(
                TableSummary(name, zone_of(name), info.rows if info else None, info.snapshot_id if info else None, location)
            )
        return found

    def query(self, sql: str, params: "Params | None" = None, *, as_of: "AsOf | None" = None) -> "pa.Table":
        """SQL (DuckDB dialect) over every table of the lake by name, read-only: one statement that
        reads (SELECT, or DESCRIBE, SHOW, SUMMARIZE, EXPLAIN of one), reaching no file but the
        tables'; anything else is refused in one line (see docs/using.md, "Querying"). `params`:
        values bound to its `?` (a list or tuple) or `$name` (a dict) parameters, as data, never
        SQL. `as_of`: over the stored tables as a past run left them (see `as_of`; landing tables
        are not versioned)."""
        from stedi.query import checked_params, connect

        values = checked_params(params)

        def once(committed: dict[str, str]) -> "pa.Table":
            point = self._point(as_of, committed) if as_of is not None else None
            with connect(self.lake, committed if point is None else {}, self.open_table, sql, point) as reader:
                return stamped(reader.run(values), self.lake, committed, point, tables_named(sql))

        return self._read_sql(once)

    def query_rows(self, sql: str) -> "tuple[list[str], list[tuple[object, ...]]] | pa.Table":
        """Internal (`stedi query`): `sql` as `query` runs it, the result as (column names, rows)
        where DuckDB's rows print as Arrow's would (stedi.query.Reader.rows), else as an Arrow
        table; no provenance (nothing prints it). Nothing of pyarrow, pandas or sqlglot is
        imported for rows of plain types over stored tables."""
        from stedi.query import connect

        def once(committed: dict[str, str]) -> "tuple[list[str], list[tuple[object, ...]]] | pa.Table":
            with connect(self.lake, committed, self.open_table, sql) as reader:
                return reader.rows()

        return self._read_sql(once)

    def connect(self, *, as_of: "AsOf | None" = None,
                allow: "Folders" = ()) -> "duckdb.DuckDBPyConnection":
        """A new in-memory DuckDB connection of your own: every stored table (and, without
        `as_of`, every landing table) a view by name over the files the last complete run left
        (or those of `as_of`). Register DataFrames (`con.register("labels", df)`), create tables,
        join them with the lake's. No SQL on it writes the lake: it reads the tables' files and
        no other file of the lake, and reaches no other file at all but those in `allow` (folders
        of yours, for your CSVs and results; never inside the lake). Dropping a view drops your
        view. It reads the files as they were when made: connect again after a later run, forget
        or maintain (see docs/python-api.md, "Your data beside ours")."""
        from stedi.connection import user_connection

        def once(committed: dict[str, str]) -> "duckdb.DuckDBPyConnection":
            point = self._point(as_of, committed) if as_of is not None else None
            return user_connection(self.lake, committed, self.open_table, point, allow)

        return self._read(once)

    def split(self, table: str, by: str = "customer_key", fractions: "Sequence[float]" = (0.8, 0.2),
              seed: int = 0, *, as_of: "AsOf | None" = None) -> "tuple[pa.Table, ...]":
        """`table`'s rows in one Arrow table per fraction (train, test, ...), no `by` value on
        two sides; the same sides for the same seed on every machine, and a value keeps its side
        when others are added (stedi/split.py). `as_of`: the table as a past run left it."""
        from stedi.split import split_rows

        if table not in TABLE_LOCATIONS:
            raise StediError(f"no table {table!r}; tables: {', '.join(TABLE_LOCATIONS)}")
        return split_rows(lambda: self.query(f'SELECT * FROM "{table}"', as_of=as_of), by, fractions, seed, table)

    def runs(self) -> "list[Run]":
        """Every run the lake kept, oldest first: id, when it became visible, kind, consent policy,
        engine, rows per table, where its report is (stedi/runs.py). `pandas.DataFrame(h.runs())`."""
        from stedi.runs import runs

        return runs(self.lake)

    @property
    def current_run(self) -> str | None:
        """The id of the run readers see now; None before the first run."""
        from stedi.runs import current_run

        return current_run(self.lake)

    def tags(self) -> "list[Tag]":
        """Every tag of the lake (`Lakehouse.tag`), by name: the run it names, each table's snapshot,
        its history. `as_of=tag.name` reads it."""
        from stedi.pipeline.tagging import list_tags

        return list_tags(self.lake)

    def _point(self, when: "AsOf", committed: dict[str, str]) -> "PointInTime":
        """`as_of` against the tables `committed` names; a PointInTime made from an older state is
        resolved again here (its tables' metadata may be gone)."""
        if isinstance(when, PointInTime):
            if all(committed.get(name) == at.table.metadata_location for name, at in when.tables.items()):
                return when
            when = when.asked
        point = resolve(self.lake, {name: self.open_table(location) for name, location in committed.items()}, when)
        self._check_erasures_finished(point)
        return point

    def _read_sql(self, read: "Callable[[dict[str, str]], T]") -> "T":
        """`_read` of SQL: DuckDB's refusal or failure as one line."""
        import duckdb

        try:
            return self._read(read)
        except duckdb.Error as e:
            reason = refusal(e) or f"query failed: {str(e).strip().splitlines()[0]}"
            raise StediError(reason) from None

    def _read(self, read: "Callable[[dict[str, str]], T]") -> "T":
        """`read(committed)`, done again from the lake's new state if it fails while a writer
        replaced the state it read: writers delete the files of the state before theirs once
        theirs is visible (forget, retention). A failure with the state unchanged is the reader's
        own (or a damaged lake's), and is raised as it is."""
        import duckdb

        committed = self.committed_locations()
        for _ in range(READ_ATTEMPTS):
            try:
                return read(committed)
            except (StediError, OSError, duckdb.IOException, duckdb.HTTPException, duckdb.PermissionException) as e:
                now = self.committed_locations()
                if now == committed:
                    if isinstance(e, OSError) and not isinstance(e, StediError):
                        where = f"{e.filename}: " if e.filename else ""
                        raise StediError(f"{where}cannot read ({e.strerror or e})") from None
                    raise
                committed = now
        raise StediError(f"{self.path}: the lake changed {READ_ATTEMPTS} times while it was read "
                         "(writers at work); try again")
