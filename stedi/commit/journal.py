"""`<lake>/journal.json`: what a writer in progress has written, so it can be undone.

Written before the writer's first file, and again (with every table's previous metadata)
before its first Iceberg commit; deleted when the run is complete (stedi/commit/transaction.py). A journal found by the
next writer means its run never completed: `recover` rolls it back.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from stedi.errors import StediError

if TYPE_CHECKING:
    from stedi.storage import Storage

JOURNAL_FILE = "journal.json"


@dataclass
class Journal:
    run_id: str
    # What this run writes into: table name (or "spill") -> lake-relative folder.
    folders: dict[str, str] = field(default_factory=dict)
    # Set once the run starts committing: table -> the metadata it had before (None: the run
    # creates the table). Tables not listed are not committed by this run.
    previous: dict[str, str | None] | None = None
    # The name of what the writer must still do once committed, before the journal may go
    # ("erasure": a forget's older snapshots expired). The next writer does it first, by the
    # finishing step of that name it was given (stedi/commit/transaction.py).
    finish: str | None = None
    # The folder holding the originals of the files the writer replaced whole, each under its own
    # lake-relative path (stedi/commit/aside.py): an undo puts them back.
    kept_aside: str | None = None
    # What this process committed (table -> the metadata its commit made) and the table it is
    # committing: never written, for only the writer itself knows them for sure. Its own undo
    # puts back only those tables, so it never undoes a commit of a writer that took its lock over.
    committed: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    in_flight: str | None = field(default=None, compare=False, repr=False)

    def write(self, lake: "Storage") -> None:
        data = asdict(self)
        for name in ("committed", "in_flight"):
            data.pop(name)
        lake.write_atomic(JOURNAL_FILE, json.dumps(data, indent=2) + "\n")

    @staticmethod
    def read(lake: "Storage") -> "Journal | None":
        path = lake.path(JOURNAL_FILE)
        try:
            text = lake.read_text(JOURNAL_FILE)
            if text is None:
                return None
            found = json.loads(text)
            if "kept_aside" not in found and "forget" in found.get("folders", {}):
                # Written before journals named it: a forget kept its originals in forget-<id>/originals.
                found["kept_aside"] = f"{found['folders']['forget']}/originals"
            journal = Journal(**found)
            outside = [f for f in [*journal.folders.values(), journal.kept_aside] if f is not None and not _in_lake(f)]
            if outside:  # recovery deletes and moves what the journal names: never outside the lake
                raise ValueError(f"it names {outside[0]!r}, which is not a folder inside the lake")
            return journal
        except (OSError, ValueError, TypeError, AttributeError) as e:
            raise StediError(f"{path}: unreadable journal of an unfinished run ({e}); "
                             "remove it by hand once no stedi process writes this lake") from None

    @staticmethod
    def delete(lake: "Storage") -> None:
        lake.delete(JOURNAL_FILE)


def _in_lake(relative: object) -> bool:
    """A lake-relative folder as writers name them: no root, no drive, no `..`, nothing empty."""
    if not isinstance(relative, str) or not relative or relative.startswith(("/", "\\")) or ":" in relative:
        return False
    return all(part not in ("", ".", "..") for part in relative.replace("\\", "/").split("/"))
