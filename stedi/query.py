"""SQL over every table of the lake by name: the lake's Athena."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from stedi.engines.duckdb_engine import DuckDBEngine
from stedi.lake import Lake
from stedi.landing.sources import SOURCES
from stedi.store.iceberg_store import IcebergStore


@contextmanager
def connect(lake: Lake, committed: dict[str, str]) -> Iterator[DuckDBEngine]:
    """A DuckDB engine where every table name resolves: Iceberg tables read from the snapshot the
    last complete run left (`committed`: table -> metadata file); landing tables parsed from the files only when a query reads them."""
    from stedi.lake import TABLE_LOCATIONS

    engine = DuckDBEngine(lake.config, lazy_landing=True)
    try:
        for source in SOURCES.values():
            engine.load_landing(source, lake.landing_files(source.name))
        for name in TABLE_LOCATIONS:
            if name.endswith("_landing"):
                continue
            if name in committed:
                table = IcebergStore.open(committed[name])
                engine.register_parquet(name, IcebergStore.data_files(name, table), table.schema().as_arrow())
        yield engine
    finally:
        engine.close()
