"""Keeping a lake's size in check: snapshot retention and orphan-file removal (`retention`),
run after every `stedi run` and on its own by `stedi maintain`."""

from __future__ import annotations

from stedi.commit.writer import writing
from stedi.lake import Lake
from stedi.maintain.retention import RetentionReport, Say, retain

__all__ = ["RetentionReport", "maintain", "retain"]


def maintain(lake: Lake, keep_snapshots: int | None = None, keep_days: int | None = None,
             wait: float | None = None, say: Say | None = None) -> RetentionReport:
    """`stedi maintain`: retention under the writer lock (`wait`: seconds to wait for another
    writer), with the lake's settings unless given."""
    from stedi.config import with_overrides

    with_overrides(lake.config, keep_snapshots=keep_snapshots, keep_days=keep_days)  # a bad value fails before the lock
    from stedi.pipeline.records import catch_up

    with writing(lake, "maintain", wait, say):
        catch_up(lake, say or (lambda message: None))  # the record the last run could not write
        return retain(lake, say, keep_snapshots=keep_snapshots, keep_days=keep_days)
