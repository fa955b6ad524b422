"""How a run changes rows already in a table: Iceberg copy-on-write, file by file.

A table's rows are in Parquet files that are never written twice. To take rows out, a run
rewrites each file holding any of them without them (`_remove_rows`), and the commit replaces
those files by the copies; a file holding none stays as it is. The same way, the run rewrites a
table's many small files as few (`_compact`); a forget takes rows out so too
(stedi/pipeline/erasing.py). A mixin of the Builder
(stedi/pipeline/build.py), whose engine, lake and last run it uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from stedi.pipeline import incremental as inc

if TYPE_CHECKING:
    from stedi.pipeline.build import Built


@dataclass
class Old:
    """A table as the last run left it: its data files and rows."""

    files: list[str]
    rows: int


# A table with more data files than this has its small ones (under SMALL_FILE_BYTES) rewritten
# together by the next run that changes it.
COMPACT_FROM_FILES = 24
SMALL_FILE_BYTES = 64 << 20
# Tables whose every file is written sorted so: a reader's filter on these columns skips the row
# groups whose min/max rule it out (one customer's readings are in one or two of them). Every
# write of the table sorts its file: a full build, an incremental run's new and kept rows, a
# compaction (each file is sorted; files written by different runs overlap).
SORTED_BY = {"machine_learning_curated": ("customer_key", "sensorreadingtime")}


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
                           f"{staged.directory}/kept", order=SORTED_BY.get(staged.name, ()))
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
        written = self._write(f"compacted_{staged.name}", f"SELECT * FROM {name}", f"{staged.directory}/compacted",
                              order=SORTED_BY.get(staged.name, ()))
        for path in staged.add:  # this run's own files, now inside the compacted ones
            relative = self.lake.storage.relative(path)
            if relative is not None:
                self.lake.storage.delete(relative)
        staged.remove = (staged.remove or []) + small
        staged.add, staged.view = written.files, f"compacted_{staged.name}"
