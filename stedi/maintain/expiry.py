"""Which snapshots retention expires (Iceberg's rule), from pyiceberg's metadata or straight from
the metadata file: a run with nothing to expire then costs no pyiceberg import, which would be
most of the time of a run with nothing new."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, NamedTuple

if TYPE_CHECKING:
    from pyiceberg.table.metadata import TableMetadata

    from stedi.commit.state import LakeState
    from stedi.lake import Lake


class Snap(NamedTuple):
    snapshot_id: int
    parent_id: int | None
    timestamp_ms: int


def expired_ids(snapshots: Iterable[Snap], current: int | None, protected: set[int], keep_snapshots: int,
                cutoff_ms: int) -> list[int]:
    """Iceberg's rule: snapshots older than `cutoff_ms`, except the newest `keep_snapshots` of the
    current snapshot's history and any branch or tag head (`protected`)."""
    by_id = {s.snapshot_id: s for s in snapshots}
    kept, snapshot = set(protected), by_id.get(current) if current is not None else None
    for _ in range(keep_snapshots):
        if snapshot is None:
            break
        kept.add(snapshot.snapshot_id)
        snapshot = by_id.get(snapshot.parent_id) if snapshot.parent_id is not None else None
    return sorted(i for i, s in by_id.items() if i not in kept and s.timestamp_ms < cutoff_ms)


def expired_snapshot_ids(metadata: "TableMetadata", keep_snapshots: int, cutoff_ms: int) -> list[int]:
    """`expired_ids` of a table as pyiceberg reads it."""
    snapshots = [Snap(s.snapshot_id, s.parent_snapshot_id, s.timestamp_ms) for s in metadata.snapshots]
    protected = {ref.snapshot_id for ref in metadata.refs.values()}
    return expired_ids(snapshots, metadata.current_snapshot_id, protected, keep_snapshots, cutoff_ms)


def anything_to_do(lake: "Lake", state: "LakeState", keep_snapshots: int, cutoff_ms: int) -> bool:
    """Whether a table the state names has a snapshot to expire, or a catalog entry ahead of the
    state (an expiry whose state write never happened), read from the catalog and the metadata
    files alone. True where a file cannot be read: the full path then says what is wrong."""
    from stedi.store.iceberg_store import metadata_json

    catalog = lake.store.metadata_locations()
    for name, table in state.tables.items():
        if catalog.get(name) != table.metadata_location:
            return True
        try:
            metadata = metadata_json(lake.storage, table.metadata_location)
            if metadata is None:
                return True
            snapshots = [Snap(s["snapshot-id"], s.get("parent-snapshot-id"), s["timestamp-ms"])
                         for s in metadata.get("snapshots", [])]
            protected = {ref["snapshot-id"] for ref in metadata.get("refs", {}).values()}
            current = metadata.get("current-snapshot-id")
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return True
        if expired_ids(snapshots, None if current == -1 else current, protected, keep_snapshots, cutoff_ms):
            return True
    return False
