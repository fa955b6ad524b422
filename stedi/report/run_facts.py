"""The facts behind a run's report, as a dict (`Lakehouse.report_facts`): what the report shows,
in numbers, for a notebook to use without reading HTML.

The facts a kept report was rendered from (stedi/report/render.py keeps them inside it), else
gathered as the report would gather them (stedi/report/collect.py): from the run's record and
the tables as that run left them (time travel). A run without a record (it could not write one)
is read from what the lake's state and snapshots tell (stedi/pipeline/records.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stedi.errors import StediError

if TYPE_CHECKING:
    from stedi.reader import LakeReader

SHOWN = 3  # run ids an unknown-run error names


def run_record(reader: "LakeReader", run_id: str | None, known: list[str]) -> tuple[str, dict]:
    """The run (default: the last one, `known` being the lake's runs oldest first) and its record,
    or a one-line error saying which runs there are."""
    from stedi.pipeline.records import reconstruct

    lake = reader.lake
    if not known:
        raise StediError(f"{lake.storage.path('')}: no run has completed yet: `stedi run` first")
    run_id = known[-1] if run_id is None else run_id
    record = lake.run_record(run_id) if run_id in known else None
    record = record or (reconstruct(lake, run_id) if run_id in known else None)
    if record is None:
        raise StediError(f"no run {run_id} in {lake.storage.path('runs')} (the latest: {', '.join(known[-SHOWN:])}; "
                         "Lakehouse.runs() lists every run)")
    return run_id, record


def facts(reader: "LakeReader", run_id: str, record: dict, known: list[str], kept: str | None = None) -> dict:
    """The facts of the run's report: those inside `kept` (its kept report's HTML), else gathered."""
    from stedi.report import report_file
    from stedi.report.collect import collect
    from stedi.report.render import facts_of

    lake = reader.lake
    if kept is not None:
        return facts_of(kept, lake.storage.path(report_file(run_id)))
    if run_id == known[-1]:
        return collect(lake, record)
    return collect(lake, record, reader.as_of(int(record["committed_at_ms"])))


def report_facts(reader: "LakeReader", run_id: str | None = None) -> dict:
    """The facts behind a run's report (default: the run readers see now)."""
    from stedi.report import known_runs, report_file

    lake = reader.lake
    known = known_runs(lake)
    if run_id is None:
        state = lake.state()
        run_id = state.run_id if state is not None and state.run_id else None
    run_id, record = run_record(reader, run_id, known)
    return facts(reader, run_id, record, known, lake.storage.read_text(report_file(run_id)))
