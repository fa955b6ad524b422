"""SQL over every table of the lake by name: the lake's Athena, read-only (stedi.read_only)."""

from __future__ import annotations

import errno
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from stedi.engines.duckdb_engine import DuckDBEngine
from stedi.errors import StediError
from stedi.lake import TABLE_LOCATIONS, Lake
from stedi.landing.sources import SOURCES
from stedi.store.iceberg_store import IcebergStore

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    from pyiceberg.table import Table

    from stedi.storage.landing_file import LandingFile
    from stedi.time_travel import PointInTime

STORED = tuple(name for name in TABLE_LOCATIONS if not name.endswith("_landing"))


@dataclass
class Reader:
    """A locked reader connection with the one statement it may run, and the files it may read."""

    engine: DuckDBEngine
    statement: "duckdb.Statement"
    files: list[str]

    def run(self, params: "list[object] | dict[str, object] | None" = None) -> "pa.Table":
        """The statement's result, `params` bound to its parameters. One of its files deleted
        meanwhile (a writer tidying up after a newer state) is a FileNotFoundError naming it."""
        import duckdb

        try:
            if params is None:  # (binding imports pandas: 0.3 s a query without parameters need not pay)
                return self.engine.con.execute(self.statement).to_arrow_table()
            return self.engine.con.execute(self.statement, params).to_arrow_table()
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
                 as_of: "PointInTime | None" = None) -> dict[str, tuple[list[str], "pa.Schema"]]:
    """Each stored table's data files and columns: as the last complete run left them
    (`committed`: table -> metadata file), or at the snapshot each had at `as_of`."""
    if as_of is not None:
        return {name: (IcebergStore.data_files(name, at.table, at.snapshot_id),
                       IcebergStore.arrow_schema(at.table, at.snapshot_id)) for name, at in as_of.readable().items()}
    found = {}
    for name in STORED:
        if name in committed:
            table = open_table(committed[name])
            found[name] = (IcebergStore.data_files(name, table), table.schema().as_arrow())
    return found


@contextmanager
def connect(lake: Lake, committed: dict[str, str], open_table: "Callable[[str], Table]",
            sql: str, as_of: "PointInTime | None" = None) -> Iterator[Reader]:
    """A reader for `sql`, which must only read (else a one-line StediError, before any table is
    set up): every table name resolves, to the snapshot the last complete run left (or the one
    at `as_of`), and the connection reaches no file but these tables' files, the landing files
    and its own temp folder (in the system's temp folder: a reader writes nothing into the lake).
    A landing table `sql` names is loaded as a run loads it (the same rows a run accepts); the
    others are views that parse the files only if read after all. With `as_of` no landing table
    is defined: landing holds today's files, which must not mix into a past moment."""
    import shutil
    import tempfile

    from stedi import read_only

    temp_dir = Path(tempfile.mkdtemp(prefix="stedi-query-"))
    engine = None
    try:
        tables = stored_files(committed, open_table, as_of)
        landing: dict[str, list[LandingFile]] = {} if as_of is not None else {
            name: lake.landing_inputs(name, temp_dir) for name in SOURCES}
        engine = DuckDBEngine(lake.config, temp_dir=temp_dir, setup=lake.storage.duckdb_setup())
        readable = [path for files, _ in tables.values() for path in files] + [
            f.path for files in landing.values() for f in files]
        engine.restrict(readable, [str(temp_dir)])
        statement, named = read_only.check(engine.con, sql)
        if as_of is not None:
            as_of.check(named)
        for name, files in landing.items():
            source = SOURCES[name]
            if source.landing_table in named:
                engine.load_landing(source, files)
            else:
                engine.define_landing(source, files)
        for name, (paths, schema) in tables.items():
            engine.register_parquet(name, paths, schema)
        engine.lock()
        yield Reader(engine, statement, readable)
    finally:
        if engine is not None:
            engine.close()
        shutil.rmtree(temp_dir, ignore_errors=True)
