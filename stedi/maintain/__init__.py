"""Keeping a lake's size in check: snapshot retention and orphan-file removal (`retention`),
run after every `stedi run` and on its own by `stedi maintain` (`command`, a writer like the others;
kept out of this module, which the writers below it import)."""

from __future__ import annotations

from stedi.maintain.retention import RetentionReport, retain

__all__ = ["RetentionReport", "retain"]
