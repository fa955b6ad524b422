"""`stedi run`: the landing files no run has read yet turned into table changes, then committed.

The landing files are parsed once; the models' SQL writes Parquet files into the tables'
locations (stedi/pipeline/build.py: every table whole, or only the rows a delivery changes);
only when every table is built and audited does the store commit them, one Iceberg snapshot
per table, and then the lake's state makes them visible together (stedi/pipeline/committing.py,
through the writer transaction of stedi/commit). Whatever stops a run, readers see every table
as the last complete run left it, and the files this run wrote are removed (by this run, or by
the next writer where this one was killed).

A run returns what happened (its summary) and knows nothing of what follows: whoever asked for
more passes hooks (stedi/pipeline/hooks.py), e.g. the run report (stedi/report/hook.py).
"""

from __future__ import annotations

import shutil
import time
from typing import Iterable

from stedi.commit.recover import relocate
from stedi.commit.state import LakeState
from stedi.commit.transaction import WriterTransaction
from stedi.engines.base import Engine
from stedi.errors import one_line
from stedi.pipeline.forgotten import Forgotten
from stedi.interrupts import CommittedInterrupt, check, is_interrupt
from stedi.lake import Lake
from stedi.landing.zones import register_landing
from stedi.maintain.retention import retain_after_run
from stedi.pipeline import changes
from stedi.pipeline.build import Builder, staging
from stedi.pipeline.committing import commit_tables
from stedi.pipeline.engine_choice import EngineChoice, prepare_store_if_needed
from stedi.pipeline.hooks import RunHook, RunHooks
from stedi.pipeline.records import after_commit, catch_up, noting, record_committed, warn
from stedi.pipeline.summary import Progress, RunSummary, TableResult, new_run_id
from stedi.commit.transaction import writing

__all__ = ["Progress", "RunSummary", "TableResult", "new_run_id", "run"]


def run(lake: Lake, consent_policy: str | None = None, progress: Progress | None = None,
        engine: Engine | str | None = None, wait: float | None = None, spark_master: str | None = None,
        full: bool = False, hooks: Iterable[RunHook] = ()) -> RunSummary:
    """Bring every table up to date with landing and make the changes visible together, or not
    at all. Holds the lake's writer lock throughout (`wait`: seconds to wait for another writer).
    `engine`: an Engine, or its name (default: the lake's `engine` setting); `spark_master`:
    where a Spark engine runs (default: the `spark_master` setting); `full`: rebuild every table
    from every landing file (otherwise only files no run has read are read); `hooks`: told of the
    run as it goes (stedi/pipeline/hooks.py)."""
    say = progress or (lambda message: None)
    if not isinstance(engine, Engine):
        engine = EngineChoice(engine or lake.config.engine, spark_master or lake.config.spark_master,
                              lake.config.spark_jars)
        engine.check()  # a missing extra, Java or cluster fails here, before the lock and any write
    following = RunHooks(hooks)
    committed: RunSummary | None = None
    try:
        with writing(lake, "run", wait, say) as tx:
            started = time.perf_counter()
            following.started(lake)
            try:
                relocate(lake, say)
                register_landing(lake)  # a landing table someone dropped from Glue comes back
                catch_up(lake, say)  # the record the last run could not write
                summary = committed = _run(lake, tx, consent_policy or lake.config.consent_policy, say, engine,
                                           full, following)
                # Committed; still under the lock: old snapshots expire and their files go, then
                # the hooks follow (neither ever fails the run).
                said = noting(summary, say)
                with summary.phase("retention"):
                    report = retain_after_run(lake, said)
                summary.retention = report.as_dict() if report else None
                following.committed(lake, summary, said)
            finally:
                following.closed()
            summary.seconds = time.perf_counter() - started  # what the user waited for, hooks included
            record_committed(lake, summary, say)  # again: with retention, and what the hooks noted
            check()  # a Ctrl-C that was lost after the commit point is said all the same
            return summary
    except KeyboardInterrupt as e:  # after the commit point, up to the lock's release: the run stands
        if committed is None or isinstance(e, CommittedInterrupt):
            raise
        raise CommittedInterrupt(committed.run_id) from None
    except Exception as e:  # e.g. letting go of a lock in S3 on a network blip
        if committed is None:
            raise
        warn(committed, say, f"run {committed.run_id} is committed; what followed failed ({one_line(e)})")
        return committed


def _run(lake: Lake, tx: WriterTransaction, policy: str, say: Progress, choice: "Engine | EngineChoice",
         full: bool, hooks: RunHook) -> RunSummary:
    started = time.perf_counter()
    landing, last = lake.landing_state(), tx.last_state()
    run_id = new_run_id()
    summary = RunSummary(run_id=run_id, consent_policy=policy, landing_signature=landing.signature)
    with summary.phase("plan"):
        plan = changes.plan(lake, last, policy, full)
    summary.files_read = sum(map(len, plan.new.values()))
    if plan.nothing_new:
        return _nothing_new(lake, last, summary, started, say)
    summary.full_reason = plan.full_reason or ""
    if plan.full:
        say(f"rebuilding every table from every landing file: {plan.full_reason}")
    else:
        say(f"reading {summary.files_read} new landing file(s)")
    spill, spill_in_lake = lake.storage.spill_folder(run_id)
    folders = {"spill": spill_in_lake} if spill_in_lake else {}
    folders.update({name: staging(lake, run_id, name) for name in lake.stored_tables})
    try:
        with tx.changing(lambda error: _after_commit(summary, say, error)):
            tx.begin(run_id, folders)
            prepare_store_if_needed(landing.bytes, last, summary, choice, incremental=not plan.full)
            spill.mkdir(parents=True, exist_ok=True)
            if isinstance(choice, EngineChoice):
                say(f"starting the {choice.name} engine" + (f" on {choice.spark_master}" if choice.name == "spark" else ""))
            with summary.phase("start engine"):
                engine = choice.start(lake, spill, landing.bytes) if isinstance(choice, EngineChoice) else choice
            summary.engine = engine.name
            try:
                say(f"run {run_id}")
                built = Builder(lake, engine, summary, plan, last, spill, say, Forgotten.load(lake)).build()
                # A full run's tables are known once planned: hooks may read them while it commits.
                planned = (lambda tables: hooks.planned(lake, tables, last)) if plan.full else None
                with summary.phase("commit"):
                    commit_tables(lake, tx, engine, built, summary, last, planned)
            finally:
                engine.close()
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    summary.seconds = time.perf_counter() - started
    with after_commit(summary):
        try:
            record_committed(lake, summary, say)
        finally:  # even through a Ctrl-C in the record's write: the run is committed, its journal done
            tx.tidy_up(lambda message: warn(summary, say, message))
    return summary


def _after_commit(summary: RunSummary, say: Progress, error: BaseException) -> BaseException | None:
    """A failure after the commit point (its own commits tidied up): the run is committed, and what
    failed is a warning; a Ctrl-C stops the command, saying so."""
    if is_interrupt(error):
        return CommittedInterrupt(summary.run_id)
    warn(summary, say, f"run {summary.run_id} is committed; what followed failed ({one_line(error)})")
    return None


def _nothing_new(lake: Lake, last: LakeState, summary: RunSummary, started: float, say: Progress) -> RunSummary:
    """No landing file to read and nothing else changed: every table stays as the last run left
    it, with no engine started and nothing committed. The run is still recorded."""
    say(f"no landing file was delivered since run {last.run_id}: every table stays as it is")
    summary.nothing_new = True
    before = lake.run_record(last.run_id) or {}
    summary.shared_serial_numbers = int(before.get("shared_serial_numbers", 0))
    summary.shared_serial_readings = int(before.get("shared_serial_readings", 0))
    for name in lake.table_names:
        stored = name.replace("_landing", "_accepted")
        table = last.tables.get(stored)
        total = changes.rows_of(lake, table)
        if name not in last.tables and not name.endswith("_landing"):
            continue
        summary.tables.append(TableResult(name, 0, 0, 0, 0.0, table.snapshot_id if table and stored == name else None,
                                          total=total))
    summary.seconds = time.perf_counter() - started
    summary.committed_at_ms = int(time.time() * 1000)
    record_committed(lake, summary, say)  # nothing changed: a record it cannot write changes nothing either
    return summary
