"""A run's first work: the landing files read, their lines accepted into each source's accepted
table, the lines not accepted written to the quarantine. A mixin of the Builder
(stedi/pipeline/build.py), whose engine, lake, plan and summary it uses.
"""

from __future__ import annotations

import hashlib

from stedi.landing import quarantine
from stedi.landing.sources import SOURCES
from stedi.pipeline import incremental as inc
from stedi.pipeline.changes import READ_FILES_PROPERTY, accepted_table, encode_seen, read_seen
from stedi.pipeline.summary import TableResult


class Accepting:
    """The landing files of the Builder's plan read, accepted and quarantined."""

    def _write_quarantine(self, rejected: list[dict[str, object]]) -> None:
        staged = self._stage("quarantine", "quarantine")
        removed = self.quarantine_removed = self._replace_quarantined(staged) if self.erasing else 0
        staged.add = self._write_rows("quarantine", quarantine.COLUMNS, rejected, f"{staged.directory}/new").files
        if not self.plan.full:
            staged.remove = staged.remove or []
            staged.rows = self.old_rows("quarantine") - removed + len(rejected)
        else:
            staged.rows = len(rejected)

    def _load_landing(self) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        inputs = [(source, self.lake.landing_inputs(source.name, self.spill, self.plan.new[source.name]))
                  for source in SOURCES.values()]
        for (source, _), (load, seconds) in zip(inputs, self.engine.load_all(inputs, self.say)):
            explained = quarantine.explain(source, load.rejected, self.lake.relative)
            if self.forgotten:
                key = self.lake.pseudonym_key
                explained = [r for r in explained if not self.forgotten.mentioned_in(str(r["raw"]), key)]
            rows += explained
            result = TableResult(source.landing_table, load.lines_read, load.accepted, len(explained), seconds)
            result.erased = len(load.rejected) - len(explained)
            self.summary.tables.append(result)
        return rows

    def _write_accepted(self) -> None:
        """The accepted rows of the files read, typed, into each source's accepted table; the
        table's snapshot records every file read once this run commits."""
        if self.forgotten:
            self.forgotten.prepare(self.engine)
        for source in SOURCES:
            name = accepted_table(source)
            staged = self._stage(name, inc.new_rows(source))
            sql = self._added_rows(source) if self.erasing else self._accepted_sql(source)
            written = self._write(inc.new_rows(source), sql, f"{staged.directory}/new", self._cluster(name))
            staged.add = written.files
            landing = self.summary.table(f"{source}_landing")
            if not self.erasing:  # (a forget's rows are the changes: its files' lines stay as read)
                landing.erased += landing.rows_out - written.rows
                landing.rows_out = written.rows
                self.engine.landing_used(source, inc.new_rows(source))
            if self.forgotten and self.plan.full:
                self.engine.create_view(f"{source}_landing", f"SELECT * FROM {inc.new_rows(source)}")
            seen = self.plan.seen(source)
            if self.plan.full:  # the same files, and the same people forgotten: the same rows
                staged.fingerprint = "read:" + hashlib.sha256(
                    (encode_seen(seen) + repr(self.forgotten.erased if self.forgotten else {})).encode()).hexdigest()
            staged.read_files = encode_seen(seen)
            if read_seen(self.lake, self.last, source) != seen:
                staged.properties = {READ_FILES_PROPERTY: staged.read_files}
            staged.rows = written.rows
            if not self.plan.full:
                staged.remove = []
                staged.rows += self.old_rows(name)
                if self.erasing:
                    landing.removed = self._remove_erased(staged, source)
                    staged.rows -= landing.removed
            landing.total = staged.rows

    def _accepted_sql(self, source: str) -> str:
        """The accepted rows of the landing files this run read."""
        sql = f"SELECT * FROM {source}_landing AS l"
        if self.forgotten:  # old lines of a forgotten person, delivered again, stay out
            sql += f" WHERE {self.forgotten.kept(source)}"
        return sql
