"""Which catalog keeps a lake's tables: a SQLite file inside a local lake, the AWS Glue Data
Catalog (the database the lake's settings name) for a lake in S3."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stedi.storage.local import LocalStorage
from stedi.store.catalog import CatalogAccess
from stedi.store.glue_catalog import GlueCatalog
from stedi.store.sqlite_catalog import SqliteCatalog

if TYPE_CHECKING:
    from stedi.config import Config
    from stedi.storage import Storage

SQLITE_FILE = "catalog.db"  # a local lake's catalog, inside the lake (a moved lake carries it along)


def catalog_for(storage: "Storage", config: "Config") -> CatalogAccess:
    """The Iceberg catalog of the lake's tables."""
    if isinstance(storage, LocalStorage):
        return SqliteCatalog(storage.local(SQLITE_FILE), storage.uri())
    return GlueCatalog(config.glue_database, storage.uri())
