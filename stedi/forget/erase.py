"""`stedi forget EMAIL...`: erase people from every zone, and from the lake's past.

One writer's change, all or nothing like a run (stedi/commit): under the lock, with a journal
naming everything it writes, and `state.json` as its commit point. In order:

1. Find the people: their customer records in landing (every version, every spelling of the
   email), so their serial numbers and phones are known; one another customer also holds is
   not theirs alone.
2. Rewrite every landing file holding a line of theirs without it, and every mention of them in
   someone else's line replaced in place (stedi/forget/person.py); the files that quote them
   (the run reports, which the caller names: `quotes`), likewise. The originals are kept aside until the commit point (stedi/forget/landing.py),
   so a roll-back puts them back.
3. Change the tables as the rewrite changed landing (stedi/pipeline/erasing.py): their rows go,
   mentioned rows change, the customers those changes touch are rebuilt. The tables then equal
   a full rebuild of the rewritten landing.
4. Keep the erasure report (keyed hashes only) and commit. Then finish (stedi/forget/finish.py):
   drop the originals, expire every older snapshot and delete every file no snapshot left refers
   to, purge old object versions. The journal stays until that is done: whatever stops a forget
   after its commit point, the next writer finishes it first.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

from stedi.commit.journal import Journal
from stedi.commit.state import LakeState
from stedi.commit.transaction import WriterTransaction
from stedi.errors import StediError, UsageError
from stedi.forget import landing as rewrite
from stedi.forget.finish import FINISH, finish_erasure
from stedi.pipeline.forgotten import Forgotten, keyed_hash, report_path
from stedi.forget.person import Person, checked_emails, normalized, person_from_rows
from stedi.lake import Lake
from stedi.landing.sources import CUSTOMER
from stedi.pipeline.build import Builder, staging
from stedi.pipeline.changes import LandingPlan, read_seen, rows_of
from stedi.pipeline.committing import commit_tables
from stedi.pipeline.erasing import Erasing
from stedi.pipeline.records import record_committed
from stedi.pipeline.summary import RunSummary, new_run_id
from stedi.commit.transaction import writing
from stedi.storage import FileEntry
from stedi.storage.s3_versions import VersionsLeft

if TYPE_CHECKING:
    from stedi.engines.duckdb_engine import DuckDBEngine

Say = Callable[[str], None]


@dataclass
class ErasureReport:
    """What a forget removed, from where, and when; people named only by keyed hashes."""

    erasure_id: str
    erased_at: str  # ISO 8601, UTC
    erased_at_ms: int
    # customer_key (of the email as given, normalized), spelling_keys (of each spelling found),
    # serial_keys, records_found
    people: list[dict[str, object]] = field(default_factory=list)
    landing_lines_removed: dict[str, int] = field(default_factory=dict)  # landing file -> their lines
    landing_values_redacted: dict[str, int] = field(default_factory=dict)  # landing file -> mentions replaced
    rows_removed: dict[str, int] = field(default_factory=dict)  # table -> rows (net of rows changed in place)
    snapshots_expired: int = 0
    files_deleted: int = 0
    old_versions_deleted: int = 0  # in an S3 bucket that keeps versions
    old_versions_left: int = 0  # ones the bucket refused to delete (then not finished)
    reports_rewritten: int = 0  # run reports that showed a line of theirs (reports/<run-id>.html)
    # Tags moved to a snapshot without them (stedi/forget/tags.py), by name: a forget wins over a tag.
    tags_moved: list[str] = field(default_factory=list)
    seconds: float = 0.0
    finished: bool = False  # the older snapshots are expired and their files gone
    # Each spelling of their emails found in landing, as delivered: for the caller, never kept in the lake.
    spellings: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.landing_lines_removed or self.landing_values_redacted or self.rows_removed)

    def write(self, lake: Lake) -> None:
        kept = {k: v for k, v in asdict(self).items() if k != "spellings"}
        lake.storage.write_atomic(report_path(self.erasure_id), json.dumps(kept, indent=2) + "\n")


def forget(lake: Lake, emails: str | Iterable[str], say: Say | None = None,
           wait: float | None = None, *, quotes: Iterable[rewrite.Quotes]) -> ErasureReport:
    """Erase the people with these emails (one, or several) from every zone of the lake and from
    its kept past. Each must be an email address: matched without regard to case or spaces.
    `quotes`: the other files the lake keeps that may quote their lines (`Lakehouse.forget`
    passes the run reports), rewritten with landing. Required, so that no caller can forget
    someone and leave the reports quoting them by leaving it out."""
    say = say or (lambda message: None)
    checked = checked_emails(emails)
    if not checked:
        raise UsageError("no email given: name the people to forget, e.g. stedi forget someone@example.com")
    with writing(lake, "forget", wait, say) as tx:  # (first finishes a forget that stopped after its commit point)
        report = _forget(lake, tx, checked, say, list(quotes))
        if not report.found:  # a mistyped email must not cost the lake its history
            say("nothing of theirs was found: no snapshot expired (their data delivered later stays out)")
            rewrite.discard(lake, report.erasure_id)
            Journal.delete(lake.storage)
            return report
        try:
            finish_erasure(lake, report.erasure_id, say, report)
        except BaseException as e:
            raise _unfinished(report.erasure_id, e, say) from None
    return report


def _forget(lake: Lake, tx: WriterTransaction, emails: list[str], say: Say,
            quotes: list[rewrite.Quotes]) -> ErasureReport:
    from stedi.engines.duckdb_engine import DuckDBEngine  # (imports DuckDB)

    started = time.perf_counter()
    last = tx.last_state()
    run_id = new_run_id()
    now_ms = int(time.time() * 1000)
    report = ErasureReport(run_id, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now_ms / 1000)), now_ms)
    spill, spill_in_lake = lake.storage.spill_folder(run_id)
    folders = {"spill": spill_in_lake} if spill_in_lake else {}
    folders.update({name: staging(lake, run_id, name) for name in lake.stored_tables})
    folders.update({"forget": rewrite.forget_folder(run_id), "report": report_path(run_id).rsplit("/", 1)[0]})
    try:
        with tx.changing(lambda error: _unfinished(run_id, error, say)):
            tx.begin(run_id, folders, kept_aside=rewrite.originals_folder(run_id), noun="erasure")
            spill.mkdir(parents=True, exist_ok=True)
            engine = DuckDBEngine(lake.config, temp_dir=spill, setup=lake.storage.duckdb_setup(),
                                  refresh=lake.storage.duckdb_refresh)
            try:
                people = _find_people(lake, engine, emails, spill, say)
                rewrites = rewrite.plan_rewrites(lake, [p for p, _ in people], say, run_id)
                rewrites += rewrite.plan_quote_scrubs(lake, [p for p, _ in people], say, run_id, quotes)
                for r in rewrites:  # each original kept aside first: an undo puts it back
                    tx.replace_file(r.relative, rewrite.staged_path(run_id, r.relative))
                _describe(lake, report, people, rewrites)
                summary = RunSummary(run_id, last.consent_policy or lake.config.consent_policy,
                                     landing_signature=lake.landing_state().signature, command="forget")
                finish = FINISH if report.found else None
                if last.tables:
                    plan, erasing = _plan(lake, last, rewrites, report.spellings, emails, run_id)
                    say("changing every table as landing changed")
                    builder = Builder(lake, engine, summary, plan, last, spill, say, Forgotten.load(lake), erasing)
                    built = builder.build()
                    report.rows_removed = _rows_removed(lake, last, built)
                    report.write(lake)
                    commit_tables(lake, tx, engine, built, summary, last, finish=finish)
                else:
                    report.write(lake)
                    tx.before_commits(None, finish)
                    tx.commit_point(LakeState(run_id, "", summary.landing_signature), announce=False)
            finally:
                engine.close()
            report.seconds = summary.seconds = time.perf_counter() - started
            record_committed(lake, summary, say)  # committed: a record that cannot be written is a warning
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    return report


def _unfinished(run_id: str, error: BaseException, say: Say) -> BaseException:
    """A forget stopped after its commit point: the erasure holds; the next writer finishes it."""
    if isinstance(error, KeyboardInterrupt):
        say(f"erasure {run_id} is committed; the next writer (e.g. `stedi maintain`) finishes expiring "
            "the older snapshots that hold its people")
        return error
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if isinstance(error, VersionsLeft):  # running `stedi maintain` again alone would not help
        return StediError(f"erasure {run_id} is committed (its people are gone from every table and from "
                          f"landing), but old object versions the bucket keeps may still hold them: {reason}; "
                          "the erasure is not finished: fix that, then run `stedi maintain`")
    return StediError(f"erasure {run_id} is committed (its people are gone from every table and from landing), "
                      f"but finishing it stopped ({reason}); older snapshots may still hold them until the next "
                      "writer finishes it: run `stedi maintain` now")


def _find_people(lake: Lake, engine: "DuckDBEngine", emails: list[str], spill: "object",
                 say: Say) -> list[tuple[Person, int]]:
    """Each person with every customer record of theirs in landing, in any spelling of the email
    (none: the email alone, which still finds their readings); serial numbers and phones another
    customer holds are left out."""
    from stedi.landing.sources import CUSTOMER

    say("finding their customer records in landing")
    engine.load_landing(CUSTOMER, lake.landing_inputs("customer", spill))  # type: ignore[arg-type]
    columns = ("email", "serialnumber", "phone", "customername")
    rows = [dict(zip(columns, r)) for r in engine.rows(f"SELECT {', '.join(columns)} FROM customer_landing")]
    people = []
    for email in emails:
        theirs = [r for r in rows if normalized(str(r["email"])) == email]
        if not theirs:
            say(f"{email}: no customer record in landing; their readings by email are erased")
            people.append((Person(emails=frozenset([email])), 0))
            continue
        people.append((person_from_rows(theirs, rows), len(theirs)))
    return people


def _describe(lake: Lake, report: ErasureReport, people: list[tuple[Person, int]],
              rewrites: list[rewrite.Rewrite]) -> None:
    """The report's landing counts and people (keyed hashes; each spelling of an email found)."""
    landing = [r for r in rewrites if r.source in lake.sources]
    report.landing_lines_removed = {r.relative: r.lines_removed for r in landing if r.lines_removed}
    report.landing_values_redacted = {r.relative: r.values_redacted for r in landing if r.values_redacted}
    report.reports_rewritten = sum(1 for r in rewrites if r.source not in lake.sources)
    owners = set().union(*(r.owners for r in landing if r.source != "step_trainer"))
    key = lake.pseudonym_key
    for person, found in people:
        spellings = sorted(o for o in owners if normalized(o) in person.emails)
        report.spellings += spellings
        report.people.append({
            "customer_key": keyed_hash(key, sorted(person.emails)[0]), "normalized": True,
            "spelling_keys": [keyed_hash(key, s) for s in spellings],
            "serial_keys": [keyed_hash(key, s) for s in sorted(person.serials)], "records_found": found})


def _plan(lake: Lake, last: LakeState, rewrites: list[rewrite.Rewrite], spellings: list[str],
          emails: list[str], run_id: str) -> tuple[LandingPlan, Erasing]:
    """The rewritten files runs had read are read again (as they are now, and as they were);
    each accepted table records their new size and time. A rewritten file no run has read yet
    stays unread: the next run reads it as it is now."""
    listed = {source: lake.landing_files(source) for source in lake.sources}
    now = {e.relative: e for entries in listed.values() for e in entries}
    after, new, originals = {}, {}, {}
    changed = {r.relative for r in rewrites}
    for source in lake.sources:
        seen = read_seen(lake, last, source) or {}
        after[source] = {name: (now[name].size, now[name].mtime_ns) if name in now else version
                         for name, version in seen.items()}
        new[source] = [now[name] for name in sorted(changed & seen.keys()) if name in now]
        originals[source] = [FileEntry(rewrite.backup_path(run_id, e.relative), e.size, e.mtime_ns) for e in new[source]]
    read = frozenset(e.relative for entries in new.values() for e in entries)
    everyone = frozenset(spellings) | frozenset(emails)
    return LandingPlan(None, listed, new, after), Erasing(everyone, originals, read)


def _rows_removed(lake: Lake, last: LakeState, built: list) -> dict[str, int]:
    """Rows each table lost: before, less after (a row whose mention was replaced is still there)."""
    found = {b.name: rows_of(lake, last.tables.get(b.name)) - b.rows for b in built}
    return {name: count for name, count in found.items() if count > 0}
