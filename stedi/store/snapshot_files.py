"""What a reader needs of a table's snapshot, read without pyiceberg: its data files, rows and
columns, from the metadata file alone.

Every commit (IcebergStore.change_contents, the one place the lake's snapshots are made) records
the snapshot's whole list of data files in the snapshot's own summary (`stedi.data-files`: JSON,
paths relative to the table's location). The list lives inside the snapshot it describes, so it
cannot belong to any other: a writer that only rewrites metadata (a tag, retention's expiry,
a roll-back) keeps it as it is, and nothing outside the metadata file has to be kept in step.
A reader that opens the metadata file state.json names (one JSON read) takes the current
snapshot's list, rows (`total-records`) and schema, and checks the list against the summary's
own counts (`total-data-files`, no delete files). A snapshot without the list (a lake made before
it was recorded, a commit by another tool) or whose list does not add up is read with pyiceberg
(`None` here), as before; so are reads `as_of` a past snapshot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stedi.locations import local_path

if TYPE_CHECKING:
    import pyarrow as pa

    from stedi.storage import Storage

DATA_FILES_PROPERTY = "stedi.data-files"

# Iceberg's primitive types as DuckDB names them, and as pyarrow makes them (what pyiceberg's
# schema_to_pyarrow gives, with strings as pa.string(): what DuckDB returns). Any other type
# (nested, fixed, uuid...) is left to pyiceberg.
_DUCKDB = {"boolean": "BOOLEAN", "int": "INTEGER", "long": "BIGINT", "float": "FLOAT", "double": "DOUBLE",
           "date": "DATE", "string": "VARCHAR", "binary": "BLOB"}
_ARROW = {"boolean": "bool_", "int": "int32", "long": "int64", "float": "float32", "double": "float64",
          "date": "date32", "string": "string", "binary": "binary"}


def files_property(table_location: str, files: list[str]) -> str:
    """The summary value recording a snapshot's data files: relative to the table where they
    lie inside it (the property stays small), as given otherwise."""
    base = local_path(table_location).rstrip("/") + "/"
    return json.dumps([f[len(base):] if f.startswith(base) else f for f in (local_path(p) for p in files)],
                      separators=(",", ":"))


@dataclass(frozen=True)
class Column:
    name: str
    iceberg_type: str
    required: bool
    doc: str | None

    @property
    def duckdb_type(self) -> str:
        return _DUCKDB[self.iceberg_type]

    def arrow_field(self) -> "pa.Field":
        import pyarrow as pa

        return pa.field(self.name, getattr(pa, _ARROW[self.iceberg_type])(), nullable=not self.required,
                        metadata={b"doc": self.doc.encode()} if self.doc else None)


@dataclass(frozen=True)
class SnapshotFiles:
    """A table's current snapshot as a reader reads it: data files as DuckDB reads them (paths,
    s3:// URIs), rows, snapshot id and columns."""

    metadata_location: str
    snapshot_id: int
    files: list[str]
    rows: int
    columns: list[Column]

    def arrow_schema(self) -> "pa.Schema":
        import pyarrow as pa

        return pa.schema([c.arrow_field() for c in self.columns])


def current_snapshot(storage: "Storage", metadata_location: str) -> SnapshotFiles | None:
    """The current snapshot of the table `metadata_location` describes, from that file alone;
    None where pyiceberg must read it (see the module's docstring). A file that cannot be read
    is None too: pyiceberg's path then says what is wrong with it, in its words."""
    from stedi.store.iceberg_store import metadata_json

    try:
        metadata = metadata_json(storage, metadata_location)
        return _snapshot_of(metadata, metadata_location) if metadata else None
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _snapshot_of(metadata: dict, metadata_location: str) -> SnapshotFiles | None:
    current = metadata.get("current-snapshot-id")
    snapshot = next((s for s in metadata.get("snapshots", []) if s["snapshot-id"] == current), None)
    summary = snapshot.get("summary", {}) if snapshot else {}
    if DATA_FILES_PROPERTY not in summary or summary.get("total-delete-files", "0") != "0":
        return None
    listed = json.loads(summary[DATA_FILES_PROPERTY])
    if not isinstance(listed, list) or len(listed) != int(summary["total-data-files"]) \
            or not all(isinstance(f, str) and f for f in listed):
        return None  # not the snapshot's list after all: read the manifests
    base = local_path(metadata["location"]).rstrip("/") + "/"
    files = [f if f.startswith("/") or "://" in f else base + f for f in listed]
    schema_id = snapshot.get("schema-id", metadata.get("current-schema-id"))  # type: ignore[union-attr]
    schema = next((s for s in metadata["schemas"] if s.get("schema-id") == schema_id), None)
    if schema is None:
        return None
    columns = [Column(f["name"], f["type"], bool(f.get("required")), f.get("doc")) for f in schema["fields"]]
    if not all(isinstance(c.iceberg_type, str) and c.iceberg_type in _DUCKDB for c in columns):
        return None
    return SnapshotFiles(metadata_location, current, [local_path(f) for f in files], int(summary["total-records"]),
                         columns)
