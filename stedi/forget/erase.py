"""`stedi forget EMAIL...`: erase people from every zone, and from the lake's past.

One writer's change, all or nothing like a run (stedi/commit): under the lock, with a journal
naming everything it writes, and `state.json` as its commit point. In order:

1. Find the people: their customer records in landing (every version), so their serial numbers
   and phones are known; a serial number or phone another customer also holds is not theirs alone.
2. Rewrite every landing file holding a line of theirs without it (stedi/forget/landing.py: the
   originals are kept aside until the commit point, so a roll-back puts them back).
3. Remove their rows from every table, and rebuild the rows of customers their erasure changes
   (a serial number they shared becomes attributable to the other holder): an incremental build
   whose accepted tables no longer hold them. Quarantine rows of rewritten files are renumbered.
4. Keep the erasure report (keyed hashes only) and commit; once visible, drop the backups, expire
   every older snapshot and delete every file no snapshot left refers to: time travel cannot
   bring them back.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

from stedi.commit.journal import Journal
from stedi.commit.state import LakeState
from stedi.commit.writer import writing
from stedi.errors import StediError
from stedi.forget import landing as rewrite
from stedi.forget.forgotten import keyed_hash, report_path
from stedi.forget.person import Person, person_from_rows
from stedi.lake import Lake
from stedi.pipeline.build import Builder, staging
from stedi.pipeline.rewrites import Erasing
from stedi.pipeline.changes import LandingPlan, read_seen

Say = Callable[[str], None]


@dataclass
class ErasureReport:
    """What a forget removed, from where, and when; people named only by keyed hashes."""

    erasure_id: str
    erased_at: str  # ISO 8601, UTC
    erased_at_ms: int
    people: list[dict[str, object]] = field(default_factory=list)  # customer_key, serial_keys, found
    landing_lines_removed: dict[str, int] = field(default_factory=dict)  # landing file -> lines
    rows_removed: dict[str, int] = field(default_factory=dict)  # table -> rows
    snapshots_expired: int = 0
    files_deleted: int = 0
    old_versions_deleted: int = 0  # in an S3 bucket that keeps versions
    reports_rewritten: int = 0  # run reports that showed a line of theirs (reports/<run-id>.html)
    seconds: float = 0.0

    def write(self, lake: Lake) -> None:
        lake.storage.write_atomic(report_path(self.erasure_id), json.dumps(asdict(self), indent=2) + "\n")


def forget(lake: Lake, emails: list[str], say: Say | None = None, wait: float | None = None) -> ErasureReport:
    """Erase the people with these emails from every zone of the lake and from its kept past."""
    say = say or (lambda message: None)
    emails = sorted({e.strip() for e in emails if e.strip()})
    if not emails:
        raise StediError("no email given: name the people to forget, e.g. stedi forget someone@example.com")
    with writing(lake, "forget", wait, say):
        report, people = _forget(lake, emails, say)
        if report.landing_lines_removed or report.rows_removed:
            _forget_the_past(lake, report, people, say)
        else:  # a mistyped email must not cost the lake its history
            say("nothing of theirs was found: no snapshot expired (their data delivered later stays out)")
    return report


def _forget(lake: Lake, emails: list[str], say: Say) -> tuple[ErasureReport, list[Person]]:
    from stedi.engines.duckdb_engine import DuckDBEngine
    from stedi.pipeline.run import RunSummary, _commit, _last_state, _record, _undo, new_run_id

    started = time.perf_counter()
    last = _last_state(lake, say)
    run_id = new_run_id()
    now_ms = int(time.time() * 1000)
    report = ErasureReport(run_id, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now_ms / 1000)), now_ms)
    spill, spill_in_lake = lake.storage.spill_folder(run_id)
    journal = Journal(run_id, {"spill": spill_in_lake} if spill_in_lake else {})
    journal.folders.update({name: staging(lake, run_id, name) for name in lake.stored_tables})
    journal.folders.update({"forget": rewrite.forget_folder(run_id), "report": report_path(run_id).rsplit("/", 1)[0]})
    try:
        journal.write(lake.storage)
        spill.mkdir(parents=True, exist_ok=True)
        engine = DuckDBEngine(lake.config, temp_dir=spill, setup=lake.storage.duckdb_setup())
        try:
            people = _find_people(lake, engine, emails, spill, say)
            key = lake.pseudonym_key
            report.people = [{"customer_key": keyed_hash(key, sorted(p.emails)[0]),
                              "serial_keys": [keyed_hash(key, s) for s in sorted(p.serials)],
                              "records_found": found} for p, found in people]
            rewrites = rewrite.plan_rewrites(lake, [p for p, _ in people], say, run_id)
            rewrite.swap(lake, rewrites, run_id)
            report.landing_lines_removed = {r.relative: r.lines_removed for r in rewrites}
            summary = RunSummary(run_id, last.consent_policy or lake.config.consent_policy,
                                 landing_signature=lake.landing_state().signature, command="forget")
            if last.tables:
                erasing = Erasing(frozenset(emails), frozenset().union(*(p.serials for p, _ in people)),
                                  {r.relative: r for r in rewrites})
                plan = _plan(lake, last, rewrites)
                say("removing their rows from every table")
                builder = Builder(lake, engine, summary, plan, last, spill, say, erasing=erasing)
                built = builder.build()
                # A landing table's "removed" is its accepted table's.
                report.rows_removed = {t.name.replace("_landing", "_accepted"): t.removed
                                       for t in summary.tables if t.removed}
                if builder.quarantine_removed:
                    report.rows_removed["quarantine"] = builder.quarantine_removed
                report.write(lake)
                _commit(lake, engine, built, summary, last, journal, say)
            else:
                report.write(lake)
                LakeState(run_id, "", summary.landing_signature).write(lake.storage)  # the commit point
        finally:
            engine.close()
        report.seconds = summary.seconds = time.perf_counter() - started
        _record(lake, summary)
    except BaseException as e:
        _undo(lake, journal, e, say)
        raise
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    rewrite.discard(lake, run_id)  # after the commit point: the originals (their lines) go
    Journal.delete(lake.storage)
    return report, [p for p, _ in people]


def _find_people(lake: Lake, engine: "object", emails: list[str], spill: "object",
                 say: Say) -> list[tuple[Person, int]]:
    """Each person with every customer record of theirs in landing (none: the email alone, which
    still finds their readings); serial numbers and phones another customer holds are left out."""
    from stedi.landing.sources import CUSTOMER

    say("finding their customer records in landing")
    engine.load_landing(CUSTOMER, lake.landing_inputs("customer", spill))  # type: ignore[attr-defined]
    columns = ("email", "serialnumber", "phone", "customername")
    rows = [dict(zip(columns, r)) for r in engine.rows(  # type: ignore[attr-defined]
        f"SELECT {', '.join(columns)} FROM customer_landing")]
    people = []
    for email in emails:
        theirs = [r for r in rows if r["email"] == email]
        if not theirs:
            say(f"{email}: no customer record in landing; their readings by email are erased")
            people.append((Person(emails=frozenset([email])), 0))
            continue
        people.append((person_from_rows(theirs, rows), len(theirs)))
    return people


def _plan(lake: Lake, last: LakeState, rewrites: list[rewrite.Rewrite]) -> LandingPlan:
    """No file to read; each accepted table records the rewritten files' new size and time
    (a file no run has read yet stays unread: the next run reads it as rewritten)."""
    listed = {source: lake.landing_files(source) for source in lake.sources}
    now = {e.relative: (e.size, e.mtime_ns) for entries in listed.values() for e in entries}
    after = {}
    for source in lake.sources:
        seen = read_seen(lake, last, source) or {}
        after[source] = {name: now.get(name, version) for name, version in seen.items()}
    return LandingPlan(None, listed, {source: [] for source in lake.sources}, after)


def _forget_the_past(lake: Lake, report: ErasureReport, people: list[Person], say: Say) -> None:
    """Expire every snapshot but the current one and delete every file no snapshot refers to
    any more, so time travel cannot bring the people back; erase them from the run reports;
    then complete the report."""
    from stedi.maintain.retention import retain
    from stedi.report.scrub import scrub_reports

    say("expiring older snapshots and deleting the files only they held")
    done = retain(lake, say, keep_snapshots=1, keep_days=0)
    report.snapshots_expired = sum(done.expired.values())
    report.files_deleted = sum(done.deleted.values())
    report.reports_rewritten = scrub_reports(lake, people, say)
    report.write(lake)
    # A bucket that keeps versions still stores what was overwritten or deleted: those go too.
    report.old_versions_deleted = lake.storage.purge_old_versions()
    if report.old_versions_deleted:
        say(f"deleted {report.old_versions_deleted} old object version(s) the bucket kept")
        report.write(lake)
