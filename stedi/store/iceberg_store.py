"""The table store: Apache Iceberg tables through pyiceberg, one catalog per lake.

Engines write Parquet files into a table's location; the store commits them as one
atomic Iceberg snapshot that replaces the table's previous contents. Engines never talk
to the catalog, and the catalog never runs SQL.

Writers go through the catalog. Readers open the exact metadata file the lake's state
names (`open`), so they never see a commit the lake has not made visible yet. Each snapshot
records its whole list of data files in its summary, which readers read without pyiceberg
(stedi/store/snapshot_files.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from stedi.errors import StediError
from stedi.locations import local_path
from stedi.store.snapshot_files import DATA_FILES_PROPERTY, files_property

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.catalog import Catalog
    from pyiceberg.io import FileIO
    from pyiceberg.table import Table, Transaction

    from stedi.storage import Storage
    from stedi.store.catalog import CatalogAccess


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
    """Iceberg tables of one lake, in its catalog (SQLite in a local lake, Glue for S3).
    `properties`: what pyiceberg needs to read the lake's files (S3 endpoint, region)."""

    def __init__(self, catalog: "CatalogAccess", properties: dict[str, str] | None = None):
        self.access = catalog
        self.properties = properties or {}

    @staticmethod
    def import_modules() -> None:
        """Import what a commit needs (pyiceberg, pyarrow: most of a commit's time on small tables)."""
        import pyiceberg.catalog.sql  # noqa: F401
        import pyiceberg.io.pyarrow  # noqa: F401

    # -- writers -------------------------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        return self.access.pyiceberg()

    def load(self, name: str) -> Table | None:
        """The table as the catalog has it now (writers only: it may be ahead of what readers see)."""
        from pyiceberg.exceptions import NoSuchTableError

        try:
            return self.catalog.load_table((self.access.namespace, name))
        except NoSuchTableError:
            return None

    def replace_contents(
        self, name: str, location: str, schema: pa.Schema, files: list[str], properties: dict[str, str]
    ) -> Committed:
        """Make `files` the whole content of table `name` in one snapshot.

        The previous data files are removed from the table in the same commit, so readers
        see either the old contents or the new, never a mix. The schema evolves by name, in the
        same commit, when the SQL that builds the table gained columns or its columns'
        descriptions (`with_docs`) changed.
        """
        return self.change_contents(name, location, schema, None, files, properties)

    def change_contents(
        self, name: str, location: str, schema: pa.Schema, remove: list[str] | None, add: list[str],
        properties: dict[str, str],
    ) -> Committed:
        """One snapshot that removes the data files `remove` (None: every current one) and adds
        `add`: a row-level change is the files holding the changed rows rewritten without them,
        plus files of new rows (copy-on-write), so a change touches only those files."""
        from stedi.aws.faults import aws_failure

        try:
            return self._change_contents(name, location, schema, remove, add, properties)
        except Exception as e:
            fault = aws_failure(e, f"{self.access.describe()}, table {name}")  # a cut Glue call names no table
            if fault is None:
                raise
            raise fault from None

    def _change_contents(
        self, name: str, location: str, schema: pa.Schema, remove: list[str] | None, add: list[str],
        properties: dict[str, str],
    ) -> Committed:
        table = self.load(name)
        if table is None and self.access.creates_with_contents:
            return self._create_with_contents(name, location, schema, add, properties)
        if table is None:
            table = self.catalog.create_table((self.access.namespace, name), schema=schema, location=location,
                                              properties=_no_personal_bounds(schema))
        current = [] if table.current_snapshot() is None else [task.file for task in table.scan().plan_files()]
        old_files = []
        if table.current_snapshot() is not None:
            wanted = None if remove is None else set(remove)
            old_files = [file for file in current
                         if wanted is None or local_path(file.file_path) in wanted or file.file_path in wanted]
            if wanted is not None and len(old_files) != len(wanted):
                raise StediError(f"table {name}: {len(wanted) - len(old_files)} file(s) to replace are not in it "
                                 "(another writer changed it?); nothing was committed")
        tx = table.transaction()
        if not _same_fields(table, schema):  # columns the SQL gained, or descriptions changed
            with tx.update_schema() as evolve:
                evolve.union_by_name(schema)
        # The snapshot's whole file list, in its own summary: what readers read without pyiceberg.
        removed = {id(file) for file in old_files}
        listed = files_property(table.location(), [f.file_path for f in current if id(f) not in removed] + add)
        return _stage_contents(tx, table.io, schema, old_files, add, {**properties, DATA_FILES_PROPERTY: listed})

    def _create_with_contents(self, name: str, location: str, schema: pa.Schema, add: list[str],
                              properties: dict[str, str]) -> Committed:
        """A new table and its first contents in one catalog commit and one metadata file (a lake's
        first run made each table empty first, then committed again)."""
        from pyiceberg.io import load_file_io

        tx = self.catalog.create_table_transaction((self.access.namespace, name), schema=schema, location=location,
                                                   properties=_no_personal_bounds(schema))
        listed = files_property(location, add)  # (what readers read without pyiceberg, as above)
        return _stage_contents(tx, load_file_io(self.catalog.properties, location), schema, [], add,
                               {**properties, DATA_FILES_PROPERTY: listed})

    def metadata_locations(self, write: bool = True) -> dict[str, str]:
        """Every table in the catalog and its current metadata file (no pyiceberg import).
        `write`: False for a reader, which must not change the catalog file."""
        return self.access.metadata_locations(write)

    def roll_back(self, name: str, expected: str, previous: str | None) -> bool:
        """Point a table back at its `previous` metadata (None: drop it from the catalog, files
        untouched) if the catalog still names `expected`."""
        return self.access.set_metadata_location(name, expected, previous)

    # -- readers -------------------------------------------------------------------------

    @staticmethod
    def open(metadata_location: str, properties: dict[str, str] | None = None) -> Table:
        """A table exactly as one metadata file describes it."""
        from pyiceberg.table import StaticTable

        try:
            return StaticTable.from_metadata(metadata_location, properties or {})
        except (OSError, ValueError) as e:
            raise StediError(f"{local_path(metadata_location)}: cannot read table metadata ({e})") from None

    @staticmethod
    def file_sizes(table: Table) -> dict[str, int]:
        """The current snapshot's data files (as data_files names them) and their sizes in bytes."""
        if table.current_snapshot() is None:
            return {}
        return {local_path(task.file.file_path): task.file.file_size_in_bytes for task in table.scan().plan_files()}

    @staticmethod
    def data_files(name: str, table: Table, snapshot_id: int | None = None) -> list[str]:
        """The Parquet files of a table's snapshot (default: its current one), as DuckDB reads them
        (paths, s3:// URIs)."""
        snapshot = table.current_snapshot() if snapshot_id is None else table.snapshot_by_id(snapshot_id)
        if snapshot is None:
            return []
        paths = []
        for task in table.scan(snapshot_id=snapshot.snapshot_id).plan_files():
            if task.delete_files:
                raise StediError(f"table {name} has row-level delete files; read it with Lakehouse.table()")
            paths.append(local_path(task.file.file_path))
        return paths

    @staticmethod
    def arrow_schema(table: Table, snapshot_id: int | None = None) -> pa.Schema:
        """The table's columns as a snapshot (default: the current one) has them: a past snapshot
        may predate columns added since."""
        snapshot = table.snapshot_by_id(snapshot_id) if snapshot_id is not None else None
        schema = table.schemas().get(snapshot.schema_id) if snapshot and snapshot.schema_id is not None else None
        return (schema or table.schema()).as_arrow()

    @staticmethod
    def info(name: str, table: Table) -> TableInfo:
        snapshot = table.current_snapshot()
        rows = int(snapshot.summary["total-records"]) if snapshot and snapshot.summary else 0
        return TableInfo(name, rows, snapshot.snapshot_id if snapshot else None, table.location())


def _stage_contents(tx: "Transaction", io: "FileIO", schema: pa.Schema, old_files: list, add: list[str],
                    properties: dict[str, str]) -> Committed:
    """Commit transaction `tx`: the table's properties, then one snapshot that removes `old_files`
    and adds the Parquet files `add`."""
    from pyiceberg.io.pyarrow import parquet_file_to_data_file

    missing = {k: v for k, v in _no_personal_bounds(schema).items() if tx.table_metadata.properties.get(k) != v}
    if tx.table_metadata.name_mapping() is None:
        # Files written by an engine carry column names, not Iceberg field ids.
        from pyiceberg.table import TableProperties

        missing[TableProperties.DEFAULT_NAME_MAPPING] = tx.table_metadata.schema().name_mapping.model_dump_json()
    if missing:
        tx.set_properties(**missing)
    new_files = [parquet_file_to_data_file(io, tx.table_metadata, f) for f in add]
    update = tx.update_snapshot(snapshot_properties=properties)
    # Appends merge small manifests once there are enough (a run a day adds one per table).
    with (update.overwrite() if old_files else update.merge_append()) as change:
        for data_file in old_files:
            change.delete_data_file(data_file)
        for data_file in new_files:
            change.append_data_file(data_file)
    table = tx.commit_transaction()
    snapshot = table.current_snapshot()
    return Committed(snapshot.snapshot_id if snapshot else None, table.metadata_location)


def metadata_json(storage: "Storage", metadata_location: str) -> dict | None:
    """A table's metadata file read straight from storage (JSON, gzip'd or not), with no pyiceberg
    import: what a run with nothing new, or nothing to expire, needs of it. None if it is missing."""
    import gzip
    import json

    relative = storage.relative(metadata_location)
    data = storage.read_bytes(relative) if relative is not None else None
    if data is None:
        return None
    return json.loads(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)


def referenced_files(metadata_location: str, properties: dict[str, str] | None = None) -> set[str]:
    """Every metadata file a table's metadata refers to (paths, s3:// URIs): itself, the metadata
    log, and the manifest lists and manifests of every snapshot it keeps."""
    from pyiceberg.table import StaticTable

    table = StaticTable.from_metadata(metadata_location, properties or {})
    found = {metadata_location} | {entry.metadata_file for entry in table.metadata.metadata_log}
    for snapshot in table.metadata.snapshots:
        found.add(snapshot.manifest_list)
        found.update(manifest.manifest_path for manifest in snapshot.manifests(table.io))
    return {local_path(f) for f in found}


# Columns whose values identify a person: their manifests keep counts but no lower/upper bounds,
# so erasing a person's rows leaves none of their values in table metadata (bounds of a removed
# file stay in the manifests of the snapshot that removed it).
PERSONAL_COLUMNS = ("email", "user", "customername", "phone", "birthday", "serialnumber")


# A table's manifests are merged into one once this many have gathered (Iceberg's default: 100).
MERGE_MANIFESTS_FROM = 8


def _no_personal_bounds(schema: pa.Schema) -> dict[str, str]:
    """The table properties every table gets: no bounds of personal columns, manifests merged."""
    found = {f"write.metadata.metrics.column.{c}": "counts" for c in schema.names if c in PERSONAL_COLUMNS}
    return {**found, "commit.manifest.min-count-to-merge": str(MERGE_MANIFESTS_FROM)}


def _same_fields(table: Table, schema: pa.Schema) -> bool:
    """The table's columns are `schema`'s, in order, with the descriptions `schema` gives (Iceberg
    field docs; a column `schema` does not describe keeps its doc)."""
    fields = table.schema().fields
    return [f.name for f in fields] == list(schema.names) and all(
        doc_of(f) in (None, old.doc) for f, old in zip(schema, fields))


# The Arrow field metadata key of a column's description: pyiceberg reads it into the Iceberg
# field's doc, and puts the doc back there in the Arrow schema of a table it reads.
DOC_KEY = b"doc"


def doc_of(field: pa.Field) -> str | None:
    """An Arrow field's description (its DOC_KEY metadata), None if it has none."""
    doc = (field.metadata or {}).get(DOC_KEY)
    return doc.decode() if doc else None


def with_docs(schema: pa.Schema, docs: dict[str, str]) -> pa.Schema:
    """`schema` with each column named in `docs` described (what the store makes field docs of)."""
    import pyarrow as pa

    return pa.schema([f.with_metadata({**(f.metadata or {}), DOC_KEY: docs[f.name].encode()}) if f.name in docs else f
                      for f in schema], metadata=schema.metadata)


