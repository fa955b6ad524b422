"""`stedi maintain`: retention on its own, as a writer (the lock, what a dead writer left settled)."""

from __future__ import annotations

from stedi.aws.faults import stopped
from stedi.commit.transaction import writing
from stedi.config import with_overrides
from stedi.lake import Lake
from stedi.maintain.retention import MARGIN_SECONDS, RetentionReport, Say, retain
from stedi.pipeline.records import catch_up

# Retention changes no table's current data: it expires history in one commit per table, makes
# that visible in state.json, then deletes what nothing refers to. Stopped anywhere, the next
# retention adopts the expiries made and deletes what is left, once it is older than the margin
# that keeps another writer's files in progress.
_FATE = ("maintenance stopped part way: every table's current data is as it was; the next `stedi maintain` "
         f"(or run) finishes it (a file it freed is deleted once {MARGIN_SECONDS // 60} minutes old)")


def maintain(lake: Lake, keep_snapshots: int | None = None, keep_days: int | None = None,
             wait: float | None = None, say: Say | None = None) -> RetentionReport:
    """`stedi maintain`: retention under the writer lock (`wait`: seconds to wait for another
    writer), with the lake's settings unless given."""
    with_overrides(lake.config, keep_snapshots=keep_snapshots, keep_days=keep_days)  # a bad value fails before the lock
    with writing(lake, "maintain", wait, say):
        catch_up(lake, say or (lambda message: None))  # the record the last run could not write
        try:
            return retain(lake, say, keep_snapshots=keep_snapshots, keep_days=keep_days)
        except Exception as e:
            cut = stopped(e, lake.storage.path(), _FATE)
            if cut is None:
                raise
            raise cut from None
