"""What an Iceberg table's metadata refers to, as lake-relative paths: what retention must keep.

A snapshot refers to its manifest list, the manifests the list names, and the data files those
manifests hold live (ADDED or EXISTING). An entry with status DELETED says the file left the
table in that snapshot: the snapshot does not hold it, so it keeps nothing alive. (pyiceberg
carries a manifest of only DELETED entries into every later snapshot; the manifest stays
referenced, the files it names do not.) The metadata file refers to itself, its metadata log
and its statistics files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from pyiceberg.io import FileIO
    from pyiceberg.table.metadata import TableMetadata
    from pyiceberg.table.snapshots import Snapshot

    from stedi.storage import Storage


@dataclass
class References:
    metadata: set[str] = field(default_factory=set)  # metadata JSON, manifest lists, manifests, statistics
    data: set[str] = field(default_factory=set)  # data and delete files
    outside: set[str] = field(default_factory=set)  # referred to, but not inside the lake

    def all(self) -> set[str]:
        return self.metadata | self.data

    def __or__(self, other: "References") -> "References":
        return References(self.metadata | other.metadata, self.data | other.data, self.outside | other.outside)


class Referrer:
    """Reads what snapshots refer to; each manifest is read once per pass (snapshots share them)."""

    def __init__(self, storage: "Storage", io: "FileIO"):
        self.storage, self.io = storage, io
        self._live: dict[str, set[str]] = {}  # manifest location -> its live files

    def _add(self, found: References, kind: set[str], location: str) -> None:
        relative = self.storage.relative(location)
        if relative is None:
            found.outside.add(location)
        else:
            kind.add(relative)

    def metadata_files(self, metadata: "TableMetadata", metadata_location: str) -> References:
        """The metadata file itself, the earlier ones its log keeps, and its statistics files."""
        found = References()
        names = [metadata_location, *(entry.metadata_file for entry in metadata.metadata_log)]
        names += [s.statistics_path for s in metadata.statistics]
        names += [s.statistics_path for s in metadata.partition_statistics]
        for location in names:
            self._add(found, found.metadata, location)
        return found

    def everything(self, metadata: "TableMetadata", metadata_location: str) -> References:
        """What a metadata file refers to: itself, its log, and every snapshot it keeps."""
        return self.metadata_files(metadata, metadata_location) | self.snapshots(metadata.snapshots)

    def snapshots(self, snapshots: Iterable["Snapshot"]) -> References:
        found = References()
        for snapshot in snapshots:
            self._add(found, found.metadata, snapshot.manifest_list)
            for manifest in snapshot.manifests(self.io):
                self._add(found, found.metadata, manifest.manifest_path)
                for location in self._live_files(manifest):
                    self._add(found, found.data, location)
        return found

    def _live_files(self, manifest) -> set[str]:  # type: ignore[no-untyped-def]
        path = manifest.manifest_path
        if path not in self._live:
            if manifest.has_added_files() or manifest.has_existing_files():
                entries = manifest.fetch_manifest_entry(self.io, discard_deleted=True)
                self._live[path] = {entry.data_file.file_path for entry in entries}
            else:  # only DELETED entries (the counts say so): nothing live, no need to read it
                self._live[path] = set()
        return self._live[path]
