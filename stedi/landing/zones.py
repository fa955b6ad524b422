"""A lake's landing zones: its folders, and its external JSON tables where other engines read
the catalog (Glue, which Athena reads). A lake is made with them, by `open_or_create`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from stedi.config import CONFIG_FILE, Config
from stedi.errors import NotALakeError
from stedi.lake import TABLE_LOCATIONS, Lake, load_config, write_config
from stedi.landing.sources import SOURCES
from stedi.storage import Storage, open_storage
from stedi.store.catalog import LandingTable

# Every landing column is a string (Hive's name, what Glue and Athena's DDL record): the OpenX
# SerDe of Trino (and so of Athena engine v3) fails the whole query on one JSON object or array
# where a number or date column is declared, and reads a date column leniently (1990-13-45 as
# 1991-02-14, a number as days since 1970). A string column takes any value; a query casts it
# (`try_cast(x AS double)`), and the quarantine table says which lines stedi refused and why
# (tests/aws/test_trino.py).
LANDING_COLUMN_TYPE = "string"


def landing_columns() -> dict[str, list[str]]:
    """The columns of each landing table, straight from its source's fields."""
    return {source.landing_table: source.columns for source in SOURCES.values()}


def landing_tables(lake_uri: str) -> list[LandingTable]:
    """The landing zones of the lake at `lake_uri` (s3://bucket/prefix) as external JSON tables."""
    root = lake_uri.rstrip("/")
    return [LandingTable(name, f"{root}/{TABLE_LOCATIONS[name]}/", [(c, LANDING_COLUMN_TYPE) for c in columns],
                         SOURCES[name.removesuffix("_landing")].docs)
            for name, columns in landing_columns().items()]


def register_landing(lake: Lake, dry_run: bool = False) -> dict[str, str]:
    """Make the landing zones external JSON tables where other engines read the catalog (Glue);
    what each table needed (created, updated, unchanged). `dry_run`: change nothing."""
    if not lake.catalog.keeps_landing:
        return {}
    return lake.catalog.register_landing(landing_tables(lake.storage.uri()), dry_run)


def open_or_create(location: Path | str) -> Lake:
    """Open a lake, creating it where the folder (or S3 prefix) is missing or empty."""
    storage = open_storage(location)
    storage.check()
    if Lake.exists_at(storage):
        return Lake(storage, load_config(storage))
    outer = storage.lake_above()
    if outer is not None:  # its files would be the outer lake's to tidy away, landing's to read
        raise NotALakeError(f"{storage.root}: inside the lake {outer}; choose a place for the lake outside it")
    storage.make_folder("")
    # Making a lake is a writer's work. Taking the lock is also its first write: without the
    # right to write here, it fails before any key or catalog entry exists.
    with storage.writer_lock("ingest").acquire(wait=60), storage.owner_only():
        if not storage.is_file(CONFIG_FILE):  # else another process made it meanwhile
            _create(storage)
    return Lake(storage, load_config(storage))


def _create(storage: Storage) -> None:
    # Settings as defaults, except the Glue database: where the tables go is fixed at creation.
    config = replace(Config(), glue_database=load_config(storage).glue_database)
    try:
        config = storage.create_key(config)
        for source in SOURCES.values():
            storage.make_folder(TABLE_LOCATIONS[source.landing_table])
        register_landing(Lake(storage, config))
        write_config(storage, config)  # last: a lake is made once its config is there
    except BaseException:
        storage.abandon_key()  # a key made for a lake that never came to be goes too
        raise
