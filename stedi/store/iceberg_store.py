"""The table store: Apache Iceberg tables through pyiceberg, one catalog per lake.

Engines write Parquet files into a table's location; the store commits them as one
atomic Iceberg snapshot that replaces the table's previous contents. Engines never talk
to the catalog, and the catalog never runs SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stedi.errors import StediError

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table

CATALOG = "stedi"
NAMESPACE = "stedi"


@dataclass(frozen=True)
class TableInfo:
    name: str
    rows: int
    snapshot_id: int | None
    location: str


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

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            from pyiceberg.catalog.sql import SqlCatalog

            self._catalog = SqlCatalog(
                CATALOG, uri=f"sqlite:///{self.catalog_path}", warehouse=self.catalog_path.parent.as_uri()
            )
            self._catalog.create_namespace_if_not_exists(NAMESPACE)
        return self._catalog

    def load(self, name: str) -> Table | None:
        from pyiceberg.exceptions import NoSuchTableError

        try:
            return self.catalog.load_table((NAMESPACE, name))
        except NoSuchTableError:
            return None

    def replace_contents(
        self, name: str, location: Path, schema: pa.Schema, files: list[Path], properties: dict[str, str]
    ) -> int | None:
        """Make `files` the whole content of table `name` in one snapshot; returns its id.

        The previous data files are removed from the table in the same commit, so readers
        see either the old contents or the new, never a mix. The schema evolves by name
        when the SQL that builds the table gained columns.
        """
        from pyiceberg.io.pyarrow import parquet_file_to_data_file

        table = self.load(name)
        if table is None:
            table = self.catalog.create_table((NAMESPACE, name), schema=schema, location=location.as_uri())
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
        return snapshot.snapshot_id if snapshot else None

    def metadata_location(self, name: str) -> str | None:
        """Where the table's current metadata is, read straight from the catalog file.

        The SQLite catalog keeps the Iceberg JDBC catalog's table `iceberg_tables`; reading one
        row of it with the standard library tells whether a table changed since a run, without
        the 0.6 s it takes to import pyiceberg.
        """
        import sqlite3
        from contextlib import closing

        if not self.catalog_path.exists():
            return None
        with closing(sqlite3.connect(f"file:{self.catalog_path}?mode=ro", uri=True)) as con:
            try:
                row = con.execute(
                    "SELECT metadata_location FROM iceberg_tables "
                    "WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?",
                    (CATALOG, NAMESPACE, name),
                ).fetchone()
            except sqlite3.Error:
                return None
        return row[0] if row else None

    def data_files(self, name: str, table: Table | None = None) -> list[str]:
        """Local paths of the Parquet files of a table's current snapshot (`table`: already loaded)."""
        table = table or self.load(name)
        if table is None or table.current_snapshot() is None:
            return []
        paths = []
        for task in table.scan().plan_files():
            if task.delete_files:
                raise StediError(f"table {name} has row-level delete files; read it with Lakehouse.table()")
            paths.append(_local_path(task.file.file_path))
        return paths

    def info(self, name: str) -> TableInfo | None:
        table = self.load(name)
        if table is None:
            return None
        snapshot = table.current_snapshot()
        rows = int(snapshot.summary["total-records"]) if snapshot and snapshot.summary else 0
        return TableInfo(name, rows, snapshot.snapshot_id if snapshot else None, table.location())


def _same_columns(table: Table, schema: pa.Schema) -> bool:
    return [f.name for f in table.schema().fields] == list(schema.names)


def _local_path(uri: str) -> str:
    return uri[len("file://") :] if uri.startswith("file://") else uri
