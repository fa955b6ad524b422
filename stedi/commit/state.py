"""`<lake>/state.json`: the tables of the last complete run, the one thing readers trust.

Each stored table is named with its Iceberg metadata file and snapshot. A run replaces
this file atomically after its last commit: that replace is the moment the run becomes
visible. Readers open exactly these metadata files, so a run still committing, or one
that died halfway, is invisible to them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from stedi.errors import StediError

if TYPE_CHECKING:
    from stedi.storage import Storage

STATE_FILE = "state.json"


@dataclass(frozen=True)
class TableState:
    metadata_location: str
    snapshot_id: int | None
    fingerprint: str  # what the engine says of its rows: a rerun with the same rows commits nothing
    run_id: str  # the run whose rows these are


@dataclass
class LakeState:
    run_id: str = ""
    consent_policy: str = ""
    landing_signature: str = ""
    tables: dict[str, TableState] = field(default_factory=dict)

    @classmethod
    def read(cls, lake: "Storage") -> "LakeState | None":
        path = lake.path(STATE_FILE)
        try:
            text = lake.read_text(STATE_FILE)
            if text is None:
                return None
            data = json.loads(text)
            tables = {name: TableState(**t) for name, t in data.pop("tables").items()}
            return cls(tables=tables, **data)
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as e:
            raise StediError(f"{path}: unreadable lake state ({e}); `stedi run` writes it anew "
                             "(it rebuilds every table from landing)") from None

    def write(self, lake: "Storage") -> None:
        lake.write_atomic(STATE_FILE, json.dumps(asdict(self), indent=2) + "\n")
