"""The table store: Apache Iceberg tables through pyiceberg, one catalog per lake.

Engines write Parquet files into a table's location; the store commits them as one
atomic Iceberg snapshot that replaces the table's previous contents. Engines never talk
to the catalog, and the catalog never runs SQL.

Writers go through the catalog. Readers open the exact metadata file the lake's state
names (`open`), so they never see a commit the lake has not made visible yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stedi.errors import StediError
from stedi.locations import file_uri, local_path
from stedi.store import sqlite_catalog
from stedi.store.sqlite_catalog import CATALOG, NAMESPACE

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table


@dataclass(frozen=True)
class TableInfo:
    name: str
    rows: int
    snapshot_id: int | None
    location: str


@dataclass(frozen=True)
class Committed:
    snapshot_id: int | None
    metadata_location: str


class IcebergStore:
    """Iceberg tables of one lake, in a SQLite catalog file inside the lake."""

    def __init__(self, catalog_path: Path):
        self.catalog_path = catalog_path
        self._catalog: Catalog | None = None

    @staticmethod
    def import_modules() -> None:
        """Import what a commit needs (pyiceberg, pyarrow: most of a commit's time on small tables)."""
        import pyiceberg.catalog.sql  # noqa: F401
        import pyiceberg.io.pyarrow  # noqa: F401

    # -- writers -------------------------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            from pyiceberg.catalog.sql import SqlCatalog
            from sqlalchemy.exc import SQLAlchemyError

            try:
                self._catalog = SqlCatalog(
                    CATALOG, uri=f"sqlite:///{self.catalog_path}", warehouse=file_uri(self.catalog_path.parent)
                )
                self._catalog.create_namespace_if_not_exists(NAMESPACE)
            except SQLAlchemyError as e:
                raise sqlite_catalog.unreadable(self.catalog_path, e.orig or e) from None
        return self._catalog

    def load(self, name: str) -> Table | None:
        """The table as the catalog has it now (writers only: it may be ahead of what readers see)."""
        from pyiceberg.exceptions import NoSuchTableError

        try:
            return self.catalog.load_table((NAMESPACE, name))
        except NoSuchTableError:
            return None

    def replace_contents(
        self, name: str, location: Path, schema: pa.Schema, files: list[Path], properties: dict[str, str]
    ) -> Committed:
        """Make `files` the whole content of table `name` in one snapshot.

        The previous data files are removed from the table in the same commit, so readers
        see either the old contents or the new, never a mix. The schema evolves by name
        when the SQL that builds the table gained columns.
        """
        from pyiceberg.io.pyarrow import parquet_file_to_data_file

        table = self.load(name)
        if table is None:
            table = self.catalog.create_table((NAMESPACE, name), schema=schema, location=file_uri(location))
        elif not _same_columns(table, schema):
            with table.update_schema() as update:
                update.union_by_name(schema)
            table = self.load(name)
            assert table is not None
        old_files = [task.file for task in table.scan().plan_files()] if table.current_snapshot() else []
        with table.transaction() as tx:
            if tx.table_metadata.name_mapping() is None:
                # Files written by an engine carry column names, not Iceberg field ids.
                from pyiceberg.table import TableProperties

                tx.set_properties(
                    **{TableProperties.DEFAULT_NAME_MAPPING: tx.table_metadata.schema().name_mapping.model_dump_json()}
                )
            new_files = [parquet_file_to_data_file(table.io, tx.table_metadata, str(f)) for f in files]
            with tx.update_snapshot(snapshot_properties=properties).overwrite() as overwrite:
                for data_file in old_files:
                    overwrite.delete_data_file(data_file)
                for data_file in new_files:
                    overwrite.append_data_file(data_file)
        snapshot = table.current_snapshot()
        return Committed(snapshot.snapshot_id if snapshot else None, table.metadata_location)

    def metadata_locations(self, write: bool = True) -> dict[str, str]:
        """Every table in the catalog and its current metadata file (no pyiceberg import).
        `write`: False for a reader, which must not change the catalog file."""
        return sqlite_catalog.metadata_locations(self.catalog_path, write)

    def roll_back(self, name: str, expected: str, previous: str | None) -> bool:
        """Point a table back at its `previous` metadata (None: drop it from the catalog, files
        untouched) if the catalog still names `expected`."""
        return sqlite_catalog.set_metadata_location(self.catalog_path, name, expected, previous)

    # -- readers -------------------------------------------------------------------------

    @staticmethod
    def open(metadata_location: str) -> Table:
        """A table exactly as one metadata file describes it."""
        from pyiceberg.table import StaticTable

        try:
            return StaticTable.from_metadata(metadata_location)
        except (OSError, ValueError) as e:
            raise StediError(f"{local_path(metadata_location)}: cannot read table metadata ({e}); "
                             "`stedi run` rebuilds the tables from landing") from None

    @staticmethod
    def data_files(name: str, table: Table) -> list[str]:
        """Local paths of the Parquet files of a table's current snapshot."""
        if table.current_snapshot() is None:
            return []
        paths = []
        for task in table.scan().plan_files():
            if task.delete_files:
                raise StediError(f"table {name} has row-level delete files; read it with Lakehouse.table()")
            paths.append(local_path(task.file.file_path))
        return paths

    @staticmethod
    def info(name: str, table: Table) -> TableInfo:
        snapshot = table.current_snapshot()
        rows = int(snapshot.summary["total-records"]) if snapshot and snapshot.summary else 0
        return TableInfo(name, rows, snapshot.snapshot_id if snapshot else None, table.location())


def referenced_files(metadata_location: str) -> set[str]:
    """Local paths of every metadata file a table's metadata refers to: itself, the metadata log,
    and the manifest lists and manifests of every snapshot it keeps."""
    from pyiceberg.table import StaticTable

    table = StaticTable.from_metadata(metadata_location)
    found = {metadata_location} | {entry.metadata_file for entry in table.metadata.metadata_log}
    for snapshot in table.metadata.snapshots:
        found.add(snapshot.manifest_list)
        found.update(manifest.manifest_path for manifest in snapshot.manifests(table.io))
    return {local_path(f) for f in found}


def _same_columns(table: Table, schema: pa.Schema) -> bool:
    return [f.name for f in table.schema().fields] == list(schema.names)


