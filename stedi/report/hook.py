"""The run's report, drawn through the run's hooks (stedi/pipeline/hooks.py): the pipeline knows
nothing of it. `Lakehouse.run` (and the Spark job) pass it when the lake's `report` setting is on.

Its worker process (stedi/report/worker.py) starts with the run, under the lock, so importing
what it draws with overlaps the run's work; a full run's tables are read for the report while
the run commits; the page is written once the run is committed and its retention done, still
under the lock, before the run's final record (which then says where the report is). The time
it takes is the run's "report" phase.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from stedi.pipeline.hooks import RunHook
from stedi.report import write_run_report
from stedi.report.worker import ReportWorker

if TYPE_CHECKING:
    import pyarrow as pa

    from stedi.commit.state import LakeState
    from stedi.lake import Lake
    from stedi.pipeline.build import Built
    from stedi.pipeline.summary import RunSummary


class ReportHook(RunHook):
    """Writes the run's HTML report into the lake (reports/<run-id>.html)."""

    def __init__(self) -> None:
        self._worker: ReportWorker | None = None

    def started(self, lake: "Lake") -> None:
        self._worker = ReportWorker.start()

    def planned(self, lake: "Lake", tables: "list[tuple[Built, pa.Schema | None]]", last: "LakeState") -> None:
        if self._worker is not None:
            self._worker.prefetch(lake, tables, last)

    def committed(self, lake: "Lake", summary: "RunSummary", say: Callable[[str], None]) -> None:
        with summary.phase("report"):
            summary.report = write_run_report(lake, summary, say, self._worker)

    def closed(self) -> None:
        if self._worker is not None:
            self._worker.close()


def report_hooks(lake: "Lake") -> list[RunHook]:
    """The hooks a run of this lake gets by default: its report, where the `report` setting is on."""
    return [ReportHook()] if lake.config.report == "on" else []
