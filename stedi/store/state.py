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

from stedi.errors import ChangedMeanwhileError, StediError

if TYPE_CHECKING:
    from stedi.storage import Storage

STATE_FILE = "state.json"
ANY = object()  # `write` replaces whatever state there is


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
    # The writer that wrote this state when it is not the run the state names (`stedi tag`, which
    # changes tables' metadata but not which run readers see); "" for a run's own state. Recovery
    # knows a writer passed its commit point when the state names it either way (`names`).
    writer: str = ""
    # The version of state.json this was read from (None: there was none), never written: a
    # writer replaces the state only if it is still that one (`write`'s `replacing`).
    version: str | None = field(default=None, compare=False, repr=False)

    @classmethod
    def read(cls, lake: "Storage") -> "LakeState | None":
        path = lake.path(STATE_FILE)
        version = None
        try:
            data, version = lake.read_versioned(STATE_FILE)
            if data is None:
                return None
            found = json.loads(data.decode("utf-8"))
            tables = {name: TableState(**t) for name, t in found.pop("tables").items()}
            return cls(tables=tables, version=version, **found)
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as e:
            raise UnreadableStateError(f"{path}: unreadable lake state ({e}); `stedi run` writes it anew "
                                       "(it rebuilds every table from landing)", version) from None

    def names(self, writer_id: str) -> bool:
        """Whether this state was written by the writer `writer_id` (its run, or a tag writer)."""
        return bool(writer_id) and writer_id in (self.run_id, self.writer)

    def write(self, lake: "Storage", replacing: str | None | object = ANY) -> None:
        """Replace the lake's state (`replacing`: only if it is still at that version, None:
        only if there is none; else ChangedMeanwhileError, unless what is there is this very state:
        then it was this write whose answer was lost)."""
        data = asdict(self)
        data.pop("version")
        text = json.dumps(data, indent=2) + "\n"
        if replacing is ANY:
            lake.write_atomic(STATE_FILE, text)
            return
        try:
            lake.replace_if(STATE_FILE, text, replacing)  # type: ignore[arg-type]
        except ChangedMeanwhileError:
            try:
                if LakeState.read(lake) == self:
                    return
            except StediError:
                pass
            raise


class UnreadableStateError(StediError):
    def __init__(self, message: str, version: str | None):
        super().__init__(message)
        self.version = version  # a writer setting it aside replaces that very version
