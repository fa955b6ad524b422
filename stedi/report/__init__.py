"""The run report: one self-contained HTML page per run, kept in the lake as reports/<run-id>.html.

facts.py gathers what it shows (collect.py reads the lake as the run left it), lineage.py derives
the table graph from the models' SQL, plots.py draws the charts, render.py writes the page and
keeps the facts inside it, redact.py masks personal data for `stedi report --redact`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Callable

from stedi.errors import WARNING, StediError, one_line
from stedi.interrupts import is_interrupt

if TYPE_CHECKING:
    from stedi.lake import Lake
    from stedi.pipeline.run import RunSummary
    from stedi.reader import LakeReader
    from stedi.report.worker import ReportWorker

REPORTS = "reports"


def report_file(run_id: str, redacted: bool = False) -> str:
    """A run's report, relative to the lake."""
    return f"{REPORTS}/{run_id}{'-redacted' if redacted else ''}.html"


def write_run_report(lake: "Lake", summary: "RunSummary", say: Callable[[str], None],
                     worker: "ReportWorker | None" = None) -> str | None:
    """Write the report of a run that just committed into the lake (drawn by `worker` if given);
    returns where (a path or s3:// URI). The run is committed already: a report that cannot be
    written is said, not raised."""
    from stedi.report.collect import collect
    from stedi.report.render import render

    say("writing the run's report")
    try:
        record = asdict(summary)
        facts = worker.facts(lake, record) if worker else collect(lake, record)
        html = worker.render(facts, say) if worker else render(facts)
        lake.storage.write_atomic(report_file(summary.run_id), html)
    except Exception as e:  # noqa: BLE001 - the data is committed; the report can be written again
        if is_interrupt(e):  # DuckDB's words for a Ctrl-C: the command stops
            raise KeyboardInterrupt from e
        say(f"{WARNING}could not write the run's report ({type(e).__name__}: {one_line(e)}); "
            f"`stedi report {summary.run_id}` tries again")
        return None
    return lake.storage.path(report_file(summary.run_id))


def known_runs(lake: "Lake") -> list[str]:
    """Every run of the lake, oldest first: those with a record, and those the lake's state or its
    snapshots name (a run that could not write its record is one all the same)."""
    from stedi.pipeline.records import named_runs
    from stedi.time_travel import run_ids

    return run_ids(lake, named_runs(lake))


def latest_run(lake: "Lake", known: list[str] | None = None) -> str:
    """The id of the last run (or forget) of the lake (of runs started in one second, the one
    recorded last); `known`: the lake's run ids, where the caller listed them already."""
    names = known_runs(lake) if known is None else known
    if not names:
        raise StediError(f"{lake.storage.path('')}: no run has completed yet: `stedi run` first")
    return names[-1]


def build_report(reader: "LakeReader", run_id: str | None = None, redact: bool = False) -> tuple[str, str, bool]:
    """A run's report (default: the last run's) of the lake `reader` reads (a Lakehouse is one):
    (run id, HTML, whether it is the one the lake keeps). The kept report is rendered again from
    the facts inside it (masked with `redact`: stedi/report/redact.py); a run without one (it ran
    before reports, or its report failed) is read by time travel, and a run without a record (it
    could not write one) from what the lake's state and snapshots tell."""
    from stedi.report.collect import customer_identifiers
    from stedi.report.redact import redact as masked
    from stedi.report.render import render
    from stedi.report.run_facts import facts, run_record

    lake = reader.lake
    known = known_runs(lake)
    run_id, record = run_record(reader, run_id, known)
    kept = lake.storage.read_text(report_file(run_id))
    if kept is not None and not redact:
        return run_id, kept, True
    found = facts(reader, run_id, record, known, kept)
    return run_id, render(masked(found, customer_identifiers(lake)) if redact else found), False
