"""The Python API: `stedi.Lakehouse(path).table("machine_learning_curated").to_pandas()`.

A Lakehouse is a LakeReader (stedi/reader.py: tables, query, connect, as_of) with the writers:
ingest, run, maintain, forget, each under the writer lock (stedi/commit)."""

from __future__ import annotations

import os
from pathlib import Path
from collections.abc import Iterable

from stedi.engines.base import Engine
from stedi.hints import LazyModule
from stedi.lake import Lake
from stedi.landing.ingest import IngestReport
from stedi.landing.zones import open_or_create
from stedi.maintain.retention import RetentionReport
from stedi.pipeline.hooks import RunHook
from stedi.pipeline.summary import Progress, RunSummary
from stedi.reader import LakeReader, TableHandle, TableSummary
from stedi.store.iceberg_store import IcebergStore
from stedi.time_travel.tags import Tag

# (stedi.forget.erase imports in 0.3 s: only when a hint is read or a forget runs)
erase = LazyModule("stedi.forget.erase")

__all__ = ["Lakehouse", "TableHandle", "TableSummary", "default_lake_path"]


def default_lake_path() -> str:
    return os.environ.get("STEDI_LAKE") or "lake"


class Lakehouse(LakeReader):
    def __init__(self, path: Path | str | None = None, create: bool = False):
        """`path`: a local folder or s3://bucket/prefix (default: $STEDI_LAKE, else ./lake)."""
        path = default_lake_path() if path is None else path
        super().__init__(open_or_create(path) if create else Lake.open(path))

    @property
    def store(self) -> IcebergStore:
        """Internal (stedi's tests and tools): the lake's Iceberg store, not part of the API."""
        return self.lake.store

    def ingest(self, src: Path | str, wait: float | None = None, progress: "Progress | None" = None) -> "IngestReport":
        """Copy a delivery (a local folder or s3:// prefix) into landing, holding the writer lock
        (`wait`: seconds to wait for it)."""
        from stedi.landing.ingest import ingest
        from stedi.commit.transaction import writing
        from stedi.storage import open_storage

        with writing(self.lake, "ingest", wait, progress):  # stages nothing: the lock, what was left settled
            return ingest(self.lake, open_storage(src))

    def run(self, consent_policy: str | None = None, progress: "Progress | None" = None,
            wait: float | None = None, engine: "Engine | str | None" = None,
            spark_master: str | None = None, full: bool = False,
            hooks: "Iterable[RunHook]" = ()) -> "RunSummary":
        """Bring every table up to date with landing (only the files no run has read are read;
        `full`: rebuild every table from every file). `engine`: "duckdb", "spark" or an Engine
        (default: the lake's `engine` setting); `spark_master`: where the Spark engine runs.
        With the lake's `report` setting on, the run's report is drawn as it runs and written
        once it is committed (stedi/report/hook.py); `hooks`: yours, told of the run as it goes
        (stedi/pipeline/hooks.py's RunHook), after the report's."""
        from stedi.config import Config
        from stedi.pipeline.run import run
        from stedi.report.hook import report_hooks

        if spark_master is not None:
            Config(spark_master=spark_master)  # checked as the setting is
        if isinstance(engine, str):
            Config(engine=engine)
        return run(self.lake, consent_policy=consent_policy, progress=progress, wait=wait, engine=engine,
                   spark_master=spark_master, full=full, hooks=[*report_hooks(self.lake), *hooks])

    def maintain(self, keep_snapshots: int | None = None, keep_days: int | None = None, wait: float | None = None,
                 progress: "Progress | None" = None) -> "RetentionReport":
        """Expire each table's snapshots older than `keep_days` beyond its newest `keep_snapshots`
        (default: the lake's settings) and delete the files nothing kept refers to, holding the
        writer lock (`wait`: seconds to wait for it). `run` does this after each run."""
        from stedi.pipeline.maintaining import maintain

        return maintain(self.lake, keep_snapshots, keep_days, wait, progress)

    def forget(self, emails: "str | Iterable[str]", wait: float | None = None,
               progress: "Progress | None" = None) -> "erase.ErasureReport":
        """Erase people from every zone and from the lake's kept past (see `stedi forget --help`).
        `emails`: one email address, or several; each is checked to be one, and matched without
        regard to case or surrounding spaces."""
        from stedi.forget.erase import forget
        from stedi.forget.landing import Quotes
        from stedi.report.scrub import scrubbed

        # The run reports quote quarantined lines as delivered: theirs go with landing's.
        return forget(self.lake, emails, progress, wait, quotes=[Quotes("run report", scrubbed)])

    def tag(self, name: str, run: str | None = None, wait: float | None = None, replace: bool = False,
            progress: "Progress | None" = None) -> "Tag":
        """Name a run's version of the lake, to cite and read again later (`as_of=name`): an Iceberg tag
        on every stored table's snapshot of `run` (a run id, a time, or another tag; default: the run
        readers see now), which retention never expires. A forget still erases its people from it
        (the tag moves to a snapshot without them; its history says so). An existing name is refused
        unless `replace`. Holds the writer lock (`wait`: seconds to wait for it)."""
        from stedi.pipeline.tagging import tag

        return tag(self.lake, name, run, wait, replace, progress)

    def delete_tag(self, name: str, wait: float | None = None, progress: "Progress | None" = None) -> "Tag":
        """Take a tag off every table (retention may then expire its snapshots); its record and
        history stay in the lake (tags/<name>/record.json)."""
        from stedi.pipeline.tagging import delete_tag

        return delete_tag(self.lake, name, wait, progress)

    def report_facts(self, run_id: str | None = None) -> dict:
        """The facts behind a run's report (default: the run readers see now), as a dict: the run's
        record, rows per table, quarantine, consent, history, audits (stedi/report/facts.py)."""
        from stedi.report.run_facts import report_facts

        return report_facts(self, run_id)
