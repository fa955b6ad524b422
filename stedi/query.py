"""SQL over every table of the lake by name: the lake's Athena."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from stedi.engines.duckdb_engine import DuckDBEngine
from stedi.lake import Lake
from stedi.landing.sources import SOURCES
from stedi.store.iceberg_store import IcebergStore

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from stedi.time_travel import PointInTime


def named_tables(sql: str) -> set[str]:
    """The table names a query reads (lowercased, as DuckDB matches them); empty when it does not parse."""
    import duckdb

    try:
        return {name.lower() for name in duckdb.get_table_names(sql)}
    except duckdb.Error:
        return set()


@contextmanager
def connect(lake: Lake, committed: dict[str, str], open_table: "Callable[[str], Table]",
            sql: str = "", as_of: "PointInTime | None" = None) -> Iterator[DuckDBEngine]:
    """A DuckDB engine where every table name resolves: Iceberg tables read from the snapshot the
    last complete run left (`committed`: table -> metadata file). A landing table `sql` names is
    loaded as a run loads it (the same rows a run accepts); the others are views that parse the
    files only if read after all. A reader writes nothing into the lake: its temp files go to
    the system's temp folder.
    `as_of`: read each stored table at its snapshot then instead, and define no landing table:
    landing holds today's files, which must not mix into a past moment."""
    import shutil
    import tempfile

    from stedi.lake import TABLE_LOCATIONS

    named = named_tables(sql)
    temp_dir = Path(tempfile.mkdtemp(prefix="stedi-query-"))
    engine = DuckDBEngine(lake.config, temp_dir=temp_dir, setup=lake.storage.duckdb_setup())
    try:
        if as_of is not None:
            for name, at in as_of.readable().items():
                engine.register_parquet(name, IcebergStore.data_files(name, at.table, at.snapshot_id),
                                        IcebergStore.arrow_schema(at.table, at.snapshot_id))
            yield engine
            return
        for source in SOURCES.values():
            files = lake.landing_inputs(source.name, temp_dir)
            if source.landing_table in named:
                engine.load_landing(source, files)
            else:
                engine.define_landing(source, files)
        for name in TABLE_LOCATIONS:
            if name.endswith("_landing"):
                continue
            if name in committed:
                table = open_table(committed[name])
                engine.register_parquet(name, IcebergStore.data_files(name, table), table.schema().as_arrow())
        yield engine
    finally:
        engine.close()
        shutil.rmtree(temp_dir, ignore_errors=True)
