"""How a run changes rows already in a table: Iceberg copy-on-write, file by file.

A table's rows are in Parquet files that are never written twice. To take rows out, a run
rewrites each file holding any of them without them (`_remove_rows`), and the commit replaces
those files by the copies; a file holding none stays as it is. The same way, the run rewrites a
table's many small files as few (`_compact`), and a forget takes people out of the accepted tables
and renumbers the quarantine lines of the landing files it rewrote. A mixin of the Builder
(stedi/pipeline/build.py), whose engine, lake and last run it uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlglot import exp

from stedi.landing import quarantine
from stedi.landing.sources import SOURCES
from stedi.pipeline import incremental as inc
from stedi.pipeline.changes import accepted_table

if TYPE_CHECKING:
    from stedi.pipeline.build import Built


@dataclass
class Old:
    """A table as the last run left it: its data files and rows."""

    files: list[str]
    rows: int


@dataclass(frozen=True)
class Erasing:
    """A `stedi forget`: the people's emails and serial numbers (not held by anyone else), and
    the landing files rewritten without their lines (old line -> new line, for quarantine)."""

    emails: frozenset[str]
    serials: frozenset[str]
    rewrites: dict[str, object]  # lake-relative file -> stedi.forget.landing.Rewrite


# A table with more data files than this has its small ones (under SMALL_FILE_BYTES) rewritten
# together by the next run that changes it.
COMPACT_FROM_FILES = 24
SMALL_FILE_BYTES = 64 << 20

# The rows of the people being forgotten, in each accepted table.
ERASED = {
    "customer": "email IN (SELECT email FROM erased_emails)",
    "accelerometer": "user IN (SELECT email FROM erased_emails)",
    "step_trainer": "serialnumber IN (SELECT serialnumber FROM erased_serials)",
}



class Rewrites:
    """Row-level changes of the Builder's tables."""

    # -- rows of the affected customers ---------------------------------------------------

    def _remove_old_rows(self, staged: Built) -> int:
        """Rewrite the table's files that hold rows of an affected customer without those rows;
        return how many rows go."""
        return self._remove_rows(staged, inc.old_rows(staged.name), inc.ROWS_OF_AFFECTED[staged.name])

    def _remove_rows(self, staged: Built, old_view: str, condition: str) -> int:
        """Rewrite the files of the table (as `old_view` reads it) holding a row for which
        `condition` is true, without those rows; return how many rows go."""
        old = self.old[staged.name]
        touched = self.engine.files_holding(old.files, condition)
        staged.remove = (staged.remove or []) + touched
        if not touched:
            return 0
        name = f"touched_{staged.name}"
        self.engine.register_parquet(name, touched, self.engine.schema(old_view))
        before = self.engine.count(name)
        kept = self._write(f"kept_{staged.name}", f"SELECT * FROM {name} WHERE NOT coalesce({condition}, false)",
                           f"{staged.directory}/kept")
        staged.add = staged.add + kept.files
        return before - kept.rows

    # -- small files --------------------------------------------------------------------

    def _compact(self, staged: Built) -> None:
        """A table changed by many runs gathers many small files, and every read and commit pays
        for each: once it holds more than COMPACT_FROM_FILES, the change also rewrites its small
        files, with this run's new rows, into as few as their size needs. Same rows, one snapshot."""
        from stedi.pipeline.changes import snapshot_summary
        from stedi.store.iceberg_store import IcebergStore

        if not staged.add or self.last.tables.get(staged.name) is None:
            return
        last = self.last.tables[staged.name]
        summary = snapshot_summary(self.lake, last.metadata_location, last.snapshot_id) or {}
        if int(summary.get("total-data-files", 0)) + len(staged.add) <= COMPACT_FROM_FILES:
            return
        table = IcebergStore.open(last.metadata_location, self.lake.storage.iceberg_properties())
        removed = set(staged.remove or [])
        # Files a full build clustered by customer stay as they are: merged, a change to one
        # customer would rewrite them all.
        small = [f for f, size in IcebergStore.file_sizes(table).items()
                 if size < SMALL_FILE_BYTES and f not in removed and "/stedi_bucket=" not in f]
        if len(small) + len(staged.add) < 2:
            return
        self.say(f"compacting {staged.name} ({len(small) + len(staged.add)} small files)")
        name = f"compact_{staged.name}"
        self.engine.register_parquet(name, small + staged.add, self.engine.schema(staged.view))
        written = self._write(f"compacted_{staged.name}", f"SELECT * FROM {name}", f"{staged.directory}/compacted")
        for path in staged.add:  # this run's own files, now inside the compacted ones
            relative = self.lake.storage.relative(path)
            if relative is not None:
                self.lake.storage.delete(relative)
        staged.remove = (staged.remove or []) + small
        staged.add, staged.view = written.files, f"compacted_{staged.name}"

    # -- forgetting ---------------------------------------------------------------------

    def _without_erased(self) -> None:
        """The erased people's emails and serial numbers, and the accepted tables without their rows."""
        assert self.erasing is not None
        for name, column, values in (("erased_emails", "email", self.erasing.emails),
                                     ("erased_serials", "serialnumber", self.erasing.serials)):
            listed = ", ".join("(" + exp.Literal.string(v).sql("duckdb") + ")" for v in sorted(values)) or "(CAST(NULL AS VARCHAR))"
            self.engine.materialize(name, f"SELECT * FROM (VALUES {listed}) AS v({column}) WHERE {column} IS NOT NULL")
        for source in SOURCES:
            name = accepted_table(source)
            self.engine.register_parquet(f"all_{name}", self.old[name].files, self.engine.schema(inc.old_rows(name)))
            self.engine.create_view(inc.old_rows(name),
                                    f"SELECT * FROM all_{name} WHERE NOT coalesce({ERASED[source]}, false)")

    def _renumber_quarantine(self, staged: Built, rejected: list[dict[str, object]]) -> int:
        """Quarantine rows of the rewritten landing files: a removed line's row goes, the others
        take their line's new number. Returns the rows that go; the rest join `rejected`."""
        assert self.erasing is not None
        files = ", ".join(exp.Literal.string(f).sql("duckdb") for f in sorted(self.erasing.rewrites)) or "NULL"
        old = self.old["quarantine"]
        touched = self.engine.files_holding(old.files, f"file IN ({files})")
        staged.remove = touched
        if not touched:
            return 0
        self.engine.register_parquet("touched_quarantine", touched, self.engine.schema(inc.old_rows("quarantine")))
        columns = list(quarantine.COLUMNS)
        rows = [dict(zip(columns, r)) for r in self.engine.rows(f"SELECT {', '.join(columns)} FROM touched_quarantine")]
        gone = 0
        for row in rows:
            rewrite = self.erasing.rewrites.get(str(row["file"]))
            line = rewrite.new_line(int(row["line"])) if rewrite is not None and row["line"] is not None else row["line"]
            if line is None:
                gone += 1
            else:
                rejected.append({**row, "line": line})
        return gone
