"""pyiceberg's catalog for a local lake's SQLite file, on the standard library's sqlite3.

pyiceberg's own `SqlCatalog` goes through SQLAlchemy: importing it cost a run about 0.3 s of its
starter-size 2 s, and each commit read the table's metadata file again and went through an ORM
session. This catalog keeps the very same table (`iceberg_tables`, the Iceberg JDBC catalog's
layout, which `SqlCatalog` and stedi/store/sqlite_catalog.py read too) and makes the very same
compare-and-set: a table moves to its new metadata file only if its row still names the file
the commit was built on. A commit built on the file the row names uses the metadata it already
holds (metadata files never change once written) instead of reading it again.

Only what the lake's writers use is here (load, create, commit, the namespace); the rest says so.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pyiceberg.catalog import Catalog, MetastoreCatalog
from pyiceberg.exceptions import CommitFailedException, NoSuchTableError, TableAlreadyExistsError
from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC
from pyiceberg.serializers import FromInputFile
from pyiceberg.table import CommitTableResponse, StagedTable, Table, TableProperties
from pyiceberg.table.locations import load_location_provider
from pyiceberg.table.metadata import new_table_metadata
from pyiceberg.table.sorting import UNSORTED_SORT_ORDER
from pyiceberg.typedef import EMPTY_DICT

from stedi.store.sqlite_catalog import moved

if TYPE_CHECKING:
    from pyiceberg.table.metadata import TableMetadata

# The tables as SqlCatalog creates them (its "v1" schema), so either can open the file.
_CREATE = (
    "CREATE TABLE IF NOT EXISTS iceberg_tables (catalog_name VARCHAR(255) NOT NULL, "
    "table_namespace VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000), "
    "previous_metadata_location VARCHAR(1000), iceberg_type VARCHAR(5), "
    "PRIMARY KEY (catalog_name, table_namespace, table_name))",
    "CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (catalog_name VARCHAR(255) NOT NULL, "
    "namespace VARCHAR(255) NOT NULL, property_key VARCHAR(255) NOT NULL, property_value VARCHAR(1000) NOT NULL, "
    "PRIMARY KEY (catalog_name, namespace, property_key))",
)
_TABLE = "catalog_name = ? AND table_namespace = ? AND table_name = ?"


class SqliteCommits(MetastoreCatalog):
    """The catalog `name` in the SQLite file `path`, with one namespace (`namespace`), made on
    first use. Each call opens its own connection and closes it: no lock outlives a call."""

    def __init__(self, name: str, path: Path, namespace: str, warehouse: str):
        super().__init__(name, warehouse=warehouse)
        self.path, self.namespace = path, namespace
        self._typed = True  # the table has SqlCatalog's iceberg_type column (its "v1" schema)
        self._prepare()

    def _connect(self) -> sqlite3.Connection:
        # Autocommit: each statement is its own transaction, as durable as SqlCatalog's.
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def _prepare(self) -> None:
        """The catalog's tables and its namespace, where missing (written only then)."""
        with closing(self._connect()) as con:
            found = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if {"iceberg_tables", "iceberg_namespace_properties"} - found:
                for statement in _CREATE:
                    con.execute(statement)
            else:
                self._typed = any(c[1] == "iceberg_type" for c in con.execute("PRAGMA table_info(iceberg_tables)"))
            key = (self.name, self.namespace)
            if con.execute("SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?",
                           key).fetchone() is None:
                con.execute("INSERT OR IGNORE INTO iceberg_namespace_properties VALUES (?, ?, 'exists', 'true')", key)

    def _key(self, identifier: str | tuple[str, ...]) -> tuple[str, str, str]:
        namespace = Catalog.namespace_to_string(Catalog.namespace_from(identifier))
        if namespace != self.namespace:
            raise NoSuchTableError(f"Table does not exist: {namespace}.{Catalog.table_name_from(identifier)}")
        return self.name, namespace, Catalog.table_name_from(identifier)

    def _location(self, key: tuple[str, str, str]) -> str | None:
        typed = " AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)" if self._typed else ""
        with closing(self._connect()) as con:
            row = con.execute(f"SELECT metadata_location FROM iceberg_tables WHERE {_TABLE}{typed}", key).fetchone()
        return row[0] if row else None

    def _table(self, key: tuple[str, str, str], metadata: "TableMetadata", metadata_location: str) -> Table:
        return Table(identifier=(key[1], key[2]), metadata=metadata, metadata_location=metadata_location,
                     io=self._load_file_io(metadata.properties, metadata_location), catalog=self)

    def load_table(self, identifier: str | tuple[str, ...]) -> Table:
        key = self._key(identifier)
        location = self._location(key)
        if not location:
            raise NoSuchTableError(f"Table does not exist: {key[1]}.{key[2]}")
        io = self._load_file_io(location=location)
        return self._table(key, FromInputFile.table_metadata(io.new_input(location)), location)

    def create_table(self, identifier: str | tuple[str, ...], schema: Any, location: str | None = None,
                     partition_spec: Any = UNPARTITIONED_PARTITION_SPEC, sort_order: Any = UNSORTED_SORT_ORDER,
                     properties: Any = EMPTY_DICT) -> Table:
        key = self._key(identifier)
        schema = self._convert_schema_if_needed(
            schema, int(properties.get(TableProperties.FORMAT_VERSION, TableProperties.DEFAULT_FORMAT_VERSION)))
        location = self._resolve_table_location(location, key[1], key[2])
        metadata_location = load_location_provider(location, properties).new_table_metadata_file_location()
        metadata = new_table_metadata(location=location, schema=schema, partition_spec=partition_spec,
                                      sort_order=sort_order, properties=properties)
        self._write_metadata(metadata, self._load_file_io(location=metadata_location), metadata_location)
        self._insert(key, metadata_location)
        return self._table(key, metadata, metadata_location)

    def _insert(self, key: tuple[str, str, str], metadata_location: str) -> None:
        typed = (", iceberg_type", ", 'TABLE'") if self._typed else ("", "")
        try:
            with closing(self._connect()) as con:
                con.execute(f"INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, "
                            f"previous_metadata_location{typed[0]}) VALUES (?, ?, ?, ?, NULL{typed[1]})",
                            (*key, metadata_location))
        except sqlite3.IntegrityError as e:
            raise TableAlreadyExistsError(f"Table {key[1]}.{key[2]} already exists") from e

    def commit_table(self, table: Table, requirements: tuple, updates: tuple) -> CommitTableResponse:
        key = self._key(table.name())
        location = self._location(key)
        if location is None:
            current = None
        elif location == table.metadata_location and not isinstance(table, StagedTable):
            current = table  # the file this commit was built on: its metadata is what `table` holds
        else:
            current = self.load_table(table.name())
        staged = self._update_and_stage_table(current, table.name(), requirements, updates)
        if current is not None and staged.metadata == current.metadata:
            return CommitTableResponse(metadata=current.metadata, metadata_location=current.metadata_location)
        self._write_metadata(staged.metadata, staged.io, staged.metadata_location)
        if current is None:
            self._insert(key, staged.metadata_location)
        else:
            with closing(self._connect()) as con:
                done = moved(con, key, current.metadata_location, staged.metadata_location,
                             previous=current.metadata_location)
            if not done:
                raise CommitFailedException(f"Table has been updated by another process: {key[1]}.{key[2]}")
        return CommitTableResponse(metadata=staged.metadata, metadata_location=staged.metadata_location)

    def list_tables(self, namespace: str | tuple[str, ...]) -> list[tuple[str, ...]]:
        with closing(self._connect()) as con:
            rows = con.execute("SELECT table_namespace, table_name FROM iceberg_tables WHERE catalog_name = ? "
                               "AND table_namespace = ?", (self.name, Catalog.namespace_to_string(namespace))).fetchall()
        return [(ns, name) for ns, name in rows]

    def drop_table(self, identifier: str | tuple[str, ...]) -> None:
        key = self._key(identifier)
        with closing(self._connect()) as con:
            if con.execute(f"DELETE FROM iceberg_tables WHERE {_TABLE}", key).rowcount < 1:
                raise NoSuchTableError(f"Table does not exist: {key[1]}.{key[2]}")

    def create_namespace(self, namespace: Any, properties: Any = EMPTY_DICT) -> None:
        _unused("create_namespace")

    def drop_namespace(self, namespace: Any) -> None:
        _unused("drop_namespace")

    def list_namespaces(self, namespace: Any = ()) -> list:
        return [(self.namespace,)]

    def load_namespace_properties(self, namespace: Any) -> dict:
        return {"exists": "true"}

    def update_namespace_properties(self, namespace: Any, removals: Any = None, updates: Any = EMPTY_DICT) -> Any:
        _unused("update_namespace_properties")

    def register_table(self, identifier: Any, metadata_location: str, overwrite: bool = False) -> Table:
        _unused("register_table")

    def rename_table(self, from_identifier: Any, to_identifier: Any) -> Table:
        _unused("rename_table")

    def list_views(self, namespace: Any) -> list:
        return []

    def load_view(self, identifier: Any) -> Any:
        _unused("load_view")

    def register_view(self, identifier: Any, metadata_location: str) -> Any:
        _unused("register_view")

    def drop_view(self, identifier: Any) -> None:
        _unused("drop_view")

    def view_exists(self, identifier: Any) -> bool:
        return False


def _unused(what: str) -> NoReturn:
    raise NotImplementedError(f"{what}: a lake's catalog has one namespace and no views (stedi/store/sqlite_commits.py)")
