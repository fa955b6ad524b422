"""What makes a committed erasure whole: the past that still holds its people goes.

At its commit point a forget's tables and landing no longer hold the people; older snapshots,
the files only they refer to, the originals the forget kept aside and (in a bucket that keeps
versions) old object versions still do. Finishing removes them, in an order that a kill at any
step leaves finishable: the journal names the forget (`finish`) until the last step is done,
and each step can be done again. A forget finishes itself; one that stopped after its commit
point (killed, a network cut, a full disk) is finished by the next writer before anything
else, and readers refuse to read the lake as of a moment before it meanwhile.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Callable

from stedi.commit.journal import Journal
from stedi.commit.recover import register_finisher
from stedi.errors import StediError
from stedi.pipeline.forgotten import report_path
from stedi.forget.landing import discard
from stedi.forget.tags import move_tags
from stedi.maintain import retention
from stedi.storage.s3_versions import VersionsLeft

if TYPE_CHECKING:
    from stedi.forget.erase import ErasureReport
    from stedi.lake import Lake

FINISH = "erasure"  # the journal's `finish` of a forget whose past must still go
Say = Callable[[str], None]


def committed(lake: "Lake", run_id: str) -> bool:
    """Whether the lake's state names this writer's run (it passed its commit point)."""
    try:
        state = lake.state()
    except StediError:
        return False
    return state is not None and state.run_id == run_id


def pending(lake: "Lake") -> str | None:
    """The id of a committed erasure not finished yet, if there is one."""
    try:
        journal = Journal.read(lake.storage)
    except StediError:
        return None
    if journal is None or journal.finish != FINISH or not committed(lake, journal.run_id):
        return None
    return journal.run_id


def finish_erasure(lake: "Lake", erasure_id: str, say: Say, report: "ErasureReport | None" = None) -> None:
    """Drop the forget's originals, move each tag that holds its people to a snapshot without them
    (stedi/forget/tags.py), expire every snapshot but the current one and delete every file no
    snapshot keeps, delete old object versions; count it all in the erasure report;
    then the journal goes. The caller holds the writer lock."""
    discard(lake, erasure_id)  # the originals: their lines, as delivered
    # A tag keeps its snapshots from expiry: each that holds them moves to one without them first.
    moved = move_tags(lake, erasure_id, say)
    say("expiring older snapshots and deleting the files only they held")
    # No margin for young unreferenced files: a forget stopped halfway through this leaves the
    # expired snapshots' files unreferenced and young, and they hold its people. The writer lock
    # is held, and the next writer settled any other writer's leftovers first.
    done = retention.retain(lake, say, keep_snapshots=1, keep_days=0, margin_seconds=0)
    kept = _kept_report(lake, erasure_id)
    kept["snapshots_expired"] = int(kept.get("snapshots_expired", 0)) + sum(done.expired.values())
    kept["files_deleted"] = int(kept.get("files_deleted", 0)) + sum(done.deleted.values())
    kept["tags_moved"] = sorted(set(kept.get("tags_moved", [])) | set(moved))
    _write(lake, erasure_id, kept)
    # A bucket that keeps versions still stores what was overwritten or deleted: those go too.
    try:
        purged = lake.storage.purge_old_versions()
    except VersionsLeft as e:  # the report counts what went, and says what is left: not finished
        kept["old_versions_deleted"] = int(kept.get("old_versions_deleted", 0)) + e.deleted
        kept["old_versions_left"] = e.left
        _write(lake, erasure_id, kept)
        raise
    if purged:
        say(f"deleted {purged} old object version(s) the bucket kept")
    kept["old_versions_deleted"] = int(kept.get("old_versions_deleted", 0)) + purged
    kept["old_versions_left"] = 0
    kept["finished"] = True
    _write(lake, erasure_id, kept)
    if report is not None:
        for name in ("snapshots_expired", "files_deleted", "old_versions_deleted", "old_versions_left", "finished",
                     "tags_moved"):
            setattr(report, name, kept[name])
    Journal.delete(lake.storage)


def finish_pending(lake: "Lake", journal: Journal, say: Say) -> None:
    """The next writer's part: finish the erasure a stopped forget committed, and say so (the
    finishing step named FINISH, registered for every writer at the end of this module)."""
    say(f"finishing erasure {journal.run_id}: it was committed, but its forget stopped before the older "
        "snapshots that hold its people were expired")
    try:
        finish_erasure(lake, journal.run_id, say)
    except StediError as e:  # this writer stops: the erasure must be finished before anything else
        raise StediError(f"erasure {journal.run_id} is committed but cannot be finished, so this command "
                         f"stopped: {e}") from None


def _kept_report(lake: "Lake", erasure_id: str) -> dict:
    text = lake.storage.read_text(report_path(erasure_id))
    try:
        found = json.loads(text) if text else {}
    except ValueError:
        found = {}
    return found if isinstance(found, dict) else {}


def _write(lake: "Lake", erasure_id: str, kept: dict) -> None:
    if kept:
        lake.storage.write_atomic(report_path(erasure_id), json.dumps(kept, indent=2) + "\n")


# Any writer may find a forget's journal committed but unfinished: the step is theirs too.
register_finisher(FINISH, finish_pending)
