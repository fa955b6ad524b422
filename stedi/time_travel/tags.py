"""Tags: a name for one run's version of the lake, kept as long as the tag is (`stedi tag`).

A tag is an Iceberg tag of the same name on each stored table, at the snapshot that table had
when the run became visible; retention never expires a snapshot a tag names (Iceberg's rule,
stedi/maintain/expiry.py). Readers find it in the metadata files state.json names, like every
snapshot they read, so `as_of="NAME"` resolves before run ids and times.

Beside the Iceberg refs the lake keeps each tag's record, `tags/<name>/record.json`: the run it
names, when it was made, each table's snapshot, and its history (made, moved to another run,
moved by a forget, deleted). The refs say what is read; the record says why. A deleted tag's
record stays (its history), marked deleted. Written by stedi/pipeline/tagging.py, and by a
forget's finishing step when it moves a tag (stedi/forget/tags.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from stedi.errors import StediError, UsageError

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from stedi.lake import Lake

TAGS = "tags"
MAIN = "main"  # Iceberg's branch of the current snapshot: never a tag's name
# Starts with a letter: never a run id, a date or epoch milliseconds, which `as_of` also takes.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,99}")
RESERVED_PREFIX = "stedi-"  # the temporary branches of a forget moving a tag (stedi/forget/tags.py)


def checked_name(name: object) -> str:
    """A tag name as given, or a UsageError saying what a tag name is."""
    text = name if isinstance(name, str) else ""
    if not _NAME.fullmatch(text) or text.endswith((".", "-")) or ".." in text:
        raise UsageError(f"{name!r} is not a tag name: a letter, then letters, digits, '-', '_' or '.' (at most 100), "
                         "e.g. paper-2026.1")
    if text.lower() == MAIN or text.lower().startswith(RESERVED_PREFIX):
        raise UsageError(f"{name!r} cannot be a tag name: '{MAIN}' is Iceberg's branch of the current snapshot, and "
                         f"names starting '{RESERVED_PREFIX}' are stedi's own; choose another")
    return text


def record_file(name: str) -> str:
    return f"{TAGS}/{name}/record.json"


@dataclass(frozen=True)
class Tag:
    """One tag: the run it names, each stored table's snapshot, and what happened to it."""

    name: str
    run_id: str  # the run whose version it names
    created_at: datetime  # UTC, when it was made (or last put on another run)
    snapshots: dict[str, int] = field(default_factory=dict)  # table -> the snapshot it names now
    # Oldest first: {"event": "created" | "moved" | "erased" | "deleted", "at_ms", "run_id", "snapshots",
    # and for "erased" the forget's "erasure_id" and the "tables" rewritten without its people}.
    history: tuple[dict, ...] = ()
    deleted: bool = False

    def as_dict(self) -> dict:
        found = asdict(self)
        found["created_at_ms"] = round(found.pop("created_at").timestamp() * 1000)
        found["history"] = list(self.history)
        return found

    @classmethod
    def from_dict(cls, found: dict) -> "Tag":
        return cls(str(found["name"]), str(found["run_id"]),
                   datetime.fromtimestamp(int(found["created_at_ms"]) / 1000, timezone.utc),
                   {str(k): int(v) for k, v in found.get("snapshots", {}).items()},
                   tuple(found.get("history", [])), bool(found.get("deleted", False)))

    def text(self) -> str:
        return json.dumps(self.as_dict(), indent=2) + "\n"


def read_tag(lake: "Lake", name: str) -> Tag | None:
    """A tag's record (a deleted tag's too); None if the lake never had the tag."""
    text = lake.storage.read_text(record_file(name))
    if text is None:
        return None
    try:
        return Tag.from_dict(json.loads(text))
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise StediError(f"{lake.storage.path(record_file(name))}: unreadable tag record ({e})") from None


def write_tag(lake: "Lake", tag: Tag) -> None:
    lake.storage.write_atomic(record_file(tag.name), tag.text())


def tag_names(lake: "Lake") -> list[str]:
    """Every tag the lake has a record of (deleted ones too), by name."""
    found = {e.relative.split("/")[1] for e in lake.storage.files(TAGS, suffix="record.json", recursive=True)
             if e.relative.count("/") == 2}
    return sorted(n for n in found if _NAME.fullmatch(n))


def refs_named(tables: dict[str, "Table"], name: str) -> dict[str, int]:
    """Each table's snapshot the Iceberg tag `name` names, in the metadata state.json names."""
    found = {}
    for table_name, table in tables.items():
        ref = table.metadata.refs.get(name)
        if ref is not None and getattr(ref.snapshot_ref_type, "value", ref.snapshot_ref_type) == "tag":
            found[table_name] = ref.snapshot_id
    return found


def is_tag_shaped(text: str) -> bool:
    return bool(_NAME.fullmatch(text))
