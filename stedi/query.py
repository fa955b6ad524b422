"""SQL over every table of the lake by name: the lake's Athena, read-only (stedi.read_only).

The tables' files come from the snapshots' own records where they have them (no pyiceberg:
stedi.store.snapshot_files); SQL over stored tables only runs on a connection without landing
views (stedi.engines.duckdb_reader), and `Reader.rows` hands the CLI DuckDB's own rows."""

from __future__ import annotations

import errno
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from stedi.engines.duckdb_reader import register_parquet
from stedi.errors import StediError
from stedi.lake import TABLE_LOCATIONS, Lake
from stedi.landing.sources import SOURCES
from stedi.store.iceberg_store import IcebergStore
from stedi.store.snapshot_files import current_snapshot

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    from pyiceberg.table import Table

    from stedi.engines.duckdb_engine import DuckDBEngine
    from stedi.engines.duckdb_reader import ReaderConnection
    from stedi.storage import Storage
    from stedi.storage.landing_file import LandingFile
    from stedi.time_travel import PointInTime

# A table's columns: an Arrow schema (read by pyiceberg), or (name, DuckDB type) pairs.
Columns = "pa.Schema | list[tuple[str, str]]"
# Result types whose values DuckDB's fetchall gives as Arrow's to_pylist does (a FLOAT would be
# widened to a double there: 0.1 shown as 0.10000000149011612; the CLI prints it through Arrow).
PLAIN_TYPES = frozenset({"BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "DOUBLE", "VARCHAR", "DATE"})
STORED = tuple(name for name in TABLE_LOCATIONS if not name.endswith("_landing"))


@dataclass
class Reader:
    """A locked reader connection with the one statement it may run, and the files it may read."""

    engine: "DuckDBEngine | ReaderConnection"
    statement: "duckdb.Statement"
    files: list[str]

    def run(self, params: "list[object] | dict[str, object] | None" = None) -> "pa.Table":
        """The statement's result, `params` bound to its parameters. One of its files deleted
        meanwhile (a writer tidying up after a newer state) is a FileNotFoundError naming it."""
        with self._files_deleted_named():
            if params is None:  # (binding imports pandas: 0.3 s a query without parameters need not pay)
                return self.engine.con.execute(self.statement).to_arrow_table()
            return self.engine.con.execute(self.statement, params).to_arrow_table()

    def rows(self) -> "tuple[list[str], list[tuple[object, ...]]] | pa.Table":
        """The result as DuckDB's own Python rows, with the column names, where every column is
        of a type whose values print the same either way (PLAIN_TYPES: pyarrow is then not
        imported at all); else as `run` gives it. What the CLI prints."""
        with self._files_deleted_named():
            result = self.engine.con.execute(self.statement)
            if all(str(column[1]) in PLAIN_TYPES for column in result.description or []):
                return [column[0] for column in result.description or []], result.fetchall()
            return result.to_arrow_table()

    @contextmanager
    def _files_deleted_named(self) -> Iterator[None]:
        import duckdb

        try:
            yield
        except duckdb.PermissionException as e:
            # DuckDB reads a path that is no file as a folder of Parquet files (path/**/*.parquet),
            # which the connection may not reach.
            found = re.search(r'Cannot access (?:file|directory) "(.*)" - ', str(e))
            gone = [f for f in self.files if found and found[1].startswith(f + "/")]
            if gone:
                raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), gone[0]) from None
            raise


def checked_params(params: object) -> "list[object] | dict[str, object] | None":
    """Query parameters as DuckDB binds them: a list or tuple for `?`/`$1`, a dict of str keys
    for `$name`; anything else is a one-line StediError (a str given where `as_of` was once taken
    positionally would bind its characters)."""
    if params is None:
        return None
    if isinstance(params, (list, tuple)):
        return list(params)
    if isinstance(params, dict) and all(isinstance(k, str) for k in params):
        return dict(params)
    raise StediError(f"params must be a list or tuple (for ?) or a dict of names (for $name), not "
                     f"{type(params).__name__}; to read as of a past run, pass as_of=... by name")


def stored_files(committed: dict[str, str], open_table: "Callable[[str], Table]",
                 as_of: "PointInTime | None" = None,
                 storage: "Storage | None" = None) -> dict[str, tuple[list[str], "Columns"]]:
    """Each stored table's data files and columns: as the last complete run left them
    (`committed`: table -> metadata file), or at the snapshot each had at `as_of`. With `storage`
    a table's current snapshot is read from its metadata file alone where the snapshot records
    its files (stedi.store.snapshot_files: no pyiceberg); else through pyiceberg."""
    if as_of is not None:
        return {name: (IcebergStore.data_files(name, at.table, at.snapshot_id),
                       IcebergStore.arrow_schema(at.table, at.snapshot_id)) for name, at in as_of.readable().items()}
    found: dict[str, tuple[list[str], Columns]] = {}
    for name in STORED:
        if name in committed:
            fast = current_snapshot(storage, committed[name]) if storage is not None else None
            if fast is not None:
                found[name] = (fast.files, [(c.name, c.duckdb_type) for c in fast.columns])
                continue
            table = open_table(committed[name])
            found[name] = (IcebergStore.data_files(name, table), table.schema().as_arrow())
    return found


def needs_landing(named: set[str]) -> bool:
    """Whether a statement may read a landing table: it names one, or names no table of the lake
    alone (SHOW TABLES, information_schema, duckdb_views() list them). A statement over stored
    tables only is set up without them: no landing file is listed, no parser SQL built."""
    return not named or not named <= set(STORED)


@contextmanager
def connect(lake: Lake, committed: dict[str, str], open_table: "Callable[[str], Table]",
            sql: str, as_of: "PointInTime | None" = None) -> Iterator[Reader]:
    """A reader for `sql`, which must only read (else a one-line StediError, before any table is
    set up): every table name resolves, to the snapshot the last complete run left (or the one
    at `as_of`), and the connection reaches no file but these tables' files, the landing files
    and its own temp folder (in the system's temp folder: a reader writes nothing into the lake).
    A landing table `sql` names is loaded as a run loads it (the same rows a run accepts); the
    others are views that parse the files only if read after all. With `as_of` no landing table
    is defined: landing holds today's files, which must not mix into a past moment. SQL over
    stored tables only gets a connection without landing views (stedi.engines.duckdb_reader:
    nothing of the landing parser imported)."""
    import shutil
    import tempfile

    from stedi import read_only
    from stedi.engines.duckdb_reader import ReaderConnection

    temp_dir = Path(tempfile.mkdtemp(prefix="stedi-query-"))
    engine: "ReaderConnection | DuckDBEngine | None" = None
    try:
        tables = stored_files(committed, open_table, as_of, lake.storage)
        stored = [path for files, _ in tables.values() for path in files]
        engine = ReaderConnection(lake.config, temp_dir=temp_dir, setup=lake.storage.duckdb_setup())
        engine.restrict(stored, [str(temp_dir)])
        statement, named = read_only.check(engine.con, sql)
        if as_of is not None:
            as_of.check(named)
        landing: dict[str, list[LandingFile]] = {}
        if as_of is None and needs_landing(named):
            engine.close()
            engine = None
            engine, statement, landing = _with_landing(lake, sql, stored, temp_dir)
        for name, (paths, columns) in tables.items():
            register_parquet(engine.con, name, paths, columns)
        engine.lock()
        yield Reader(engine, statement, stored + [f.path for files in landing.values() for f in files])
    finally:
        if engine is not None:
            engine.close()
        shutil.rmtree(temp_dir, ignore_errors=True)


def _with_landing(lake: Lake, sql: str, stored: list[str],
                  temp_dir: Path) -> "tuple[DuckDBEngine, duckdb.Statement, dict[str, list[LandingFile]]]":
    """The engine's reader connection with every landing table defined (those `sql` names
    loaded), reaching the stored tables' files and the landing files."""
    from stedi import read_only
    from stedi.engines.duckdb_engine import DuckDBEngine

    landing = {name: lake.landing_inputs(name, temp_dir) for name in SOURCES}
    engine = DuckDBEngine(lake.config, temp_dir=temp_dir, setup=lake.storage.duckdb_setup())
    try:
        engine.restrict(stored + [f.path for files in landing.values() for f in files], [str(temp_dir)])
        statement, named = read_only.check(engine.con, sql)
        for name, files in landing.items():
            source = SOURCES[name]
            if source.landing_table in named:
                engine.load_landing(source, files)
            else:
                engine.define_landing(source, files)
    except BaseException:
        engine.close()
        raise
    return engine, statement, landing
