"""Keeping a lake's size in check: snapshot retention and orphan-file removal (`retention`),
run after every `stedi run`, after a forget, and on its own by `stedi maintain`
(stedi/pipeline/maintaining.py, a writer like the others). The lowest of the writers' packages:
it imports none of them."""

from __future__ import annotations

from stedi.maintain.retention import RetentionReport, retain

__all__ = ["RetentionReport", "retain"]
