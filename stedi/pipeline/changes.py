"""What a run has to read: the landing files no run has read yet, or every file (a full rebuild).

Which files were read is committed with the tables they fed: each source's table of accepted
lines (`<source>_accepted`) carries, in its snapshot's properties, every landing file read
into it with its size, modification time and change stamp. So the record can never disagree
with the tables: both become visible at the same commit point, or neither does.

Size and mtime alone miss a rewrite in place of the same size whose mtime was set back
(`os.utime`, `touch -r`, `cp -p`, `rsync -t`, `tar x` all keep an mtime): its new lines would
never reach the tables, which would then differ from a full rebuild. The change stamp
(`FileEntry.changed`: a local file's inode change time, an S3 object's ETag) catches every
rewrite without reading a byte. A content digest would too, but costs reading every landing
file on every run, hundreds of times what an incremental run reads (docs/benchmarks.md).
What it costs instead: a file whose metadata alone changed (chmod, chown, a hard link) counts
as rewritten, and the next run rebuilds in full.
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stedi.landing.sources import SOURCES

if TYPE_CHECKING:
    from stedi.commit.state import LakeState, TableState
    from stedi.lake import Lake
    from stedi.storage import FileEntry

READ_FILES_PROPERTY = "stedi.landing-files"

# A file as it was read: size, modification time (S3: LastModified) and change stamp. Any of
# them changing means the file was rewritten since. Records made before stamps were kept (and
# files listed without one) have the first two only, and are compared on those.
Seen = dict[str, tuple]


def version(entry: "FileEntry") -> tuple:
    """What a file's record holds of it."""
    return (entry.size, entry.mtime_ns, entry.changed) if entry.changed else (entry.size, entry.mtime_ns)


def unchanged(recorded: tuple, entry: "FileEntry") -> bool:
    return version(entry)[: len(recorded)] == tuple(recorded)


def accepted_table(source: str) -> str:
    """The Iceberg table of a source's accepted landing lines, typed (what later runs build from)."""
    return f"{source}_accepted"


def encode_seen(seen: Seen) -> str:
    """A snapshot property: compact, as snapshot summaries are kept in the metadata file."""
    return base64.b64encode(gzip.compress(json.dumps(seen, separators=(",", ":")).encode(), mtime=0)).decode()


def decode_seen(text: str) -> Seen:
    return {name: (int(v[0]), int(v[1]), *map(str, v[2:]))
            for name, v in json.loads(gzip.decompress(base64.b64decode(text))).items()}


@dataclass
class LandingPlan:
    """`full_reason`: why every table is rebuilt from every landing file (None: only `new` is read)."""

    full_reason: str | None
    listed: dict[str, list["FileEntry"]]  # every landing file, per source
    new: dict[str, list["FileEntry"]] = field(default_factory=dict)  # the files this run reads, per source
    # What each accepted table records as read once the run commits (default: every file listed).
    after: dict[str, Seen] | None = None

    @property
    def full(self) -> bool:
        return self.full_reason is not None

    @property
    def nothing_new(self) -> bool:
        return not self.full and not any(self.new.values())

    def seen(self, source: str) -> Seen:
        """What the source's accepted table records as read once this run commits."""
        listed = {e.relative: e for e in self.listed[source]}
        if self.after is not None:  # (a forget's: its files' size and time, as it listed them; stamped here)
            return {name: version(listed[name]) if name in listed and unchanged(v, listed[name]) else v
                    for name, v in self.after[source].items()}
        return {name: version(e) for name, e in listed.items()}


def plan(lake: "Lake", last: "LakeState", policy: str, full: bool) -> LandingPlan:
    listed = {source: lake.landing_files(source) for source in SOURCES}
    reason = _full_reason(lake, last, policy, full)
    if reason is None:
        before: dict[str, Seen] = {}
        for source in SOURCES:
            seen = read_seen(lake, last, source)
            if seen is None:
                reason = f"{accepted_table(source)} holds no record of the files it read"
                break
            before[source] = seen
        if reason is None:
            reason = _rewritten(listed, before)
    if reason is not None:
        return LandingPlan(reason, listed, dict(listed))
    new = {s: [e for e in listed[s] if e.relative not in before[s]] for s in SOURCES}
    return LandingPlan(None, listed, new)


def _full_reason(lake: "Lake", last: "LakeState", policy: str, full: bool) -> str | None:
    if full:
        return "--full asked for it"
    if not last.run_id:
        return "no run before"
    if last.consent_policy != policy:
        return f"the consent policy changed from {last.consent_policy} to {policy}"
    missing = [name for name in lake.stored_tables if name not in last.tables]
    if missing:
        return f"{missing[0]} was never built"
    return None


def _rewritten(listed: dict[str, list["FileEntry"]], before: dict[str, Seen]) -> str | None:
    """A landing file read before that changed or went (landing only grows, except by `stedi forget`,
    which records the files it rewrites): its rows cannot be told apart, so rebuild in full."""
    for source, seen in before.items():
        now = {e.relative: e for e in listed[source]}
        for name, recorded in sorted(seen.items()):
            if name not in now:
                return f"{name} was read before and is gone"
            if not unchanged(recorded, now[name]):
                return f"{name} changed since it was read"
    return None


def read_seen(lake: "Lake", last: "LakeState", source: str) -> Seen | None:
    """The files a source's accepted table records as read, from its snapshot as the last run left it."""
    table = last.tables.get(accepted_table(source))
    if table is None or table.snapshot_id is None:
        return None
    summary = snapshot_summary(lake, table.metadata_location, table.snapshot_id)
    text = (summary or {}).get(READ_FILES_PROPERTY)
    return decode_seen(text) if text else None


def snapshot_summary(lake: "Lake", metadata_location: str, snapshot_id: int) -> dict[str, str] | None:
    """A snapshot's summary read straight from the metadata file: no pyiceberg import, which would
    cost a run with nothing new most of its time."""
    from stedi.store.iceberg_store import metadata_json

    for snapshot in (metadata_json(lake.storage, metadata_location) or {}).get("snapshots", []):
        if snapshot.get("snapshot-id") == snapshot_id:
            return snapshot.get("summary", {})
    return None


def rows_of(lake: "Lake", table: "TableState | None") -> int:
    """The rows a table holds as a run left it (its snapshot's summary); 0 if it has none."""
    if table is None or table.snapshot_id is None:
        return 0
    return int((snapshot_summary(lake, table.metadata_location, table.snapshot_id) or {}).get("total-records", 0))
