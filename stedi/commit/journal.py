"""`<lake>/journal.json`: what a writer in progress has written, so it can be undone.

Written before the writer's first file, and again (with every table's previous metadata)
before its first Iceberg commit; deleted when the run is complete. A journal found by the
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
    # What the writer must still do once committed, before the journal may go ("erasure": a
    # forget's older snapshots expired; stedi/forget/finish.py). The next writer finishes it.
    finish: str | None = None
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
            return None if text is None else Journal(**json.loads(text))
        except (OSError, ValueError, TypeError) as e:
            raise StediError(f"{path}: unreadable journal of an unfinished run ({e}); "
                             "remove it by hand once no stedi process writes this lake") from None

    @staticmethod
    def delete(lake: "Storage") -> None:
        lake.delete(JOURNAL_FILE)
