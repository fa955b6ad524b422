"""The table `stedi run` ends with."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from stedi.cli.output import print_rows
from stedi.pipeline.run import RunSummary

if TYPE_CHECKING:
    from stedi.deploy.deploy import DeployReport
    from stedi.forget.erase import ErasureReport
    from stedi.generate import GenerationReport
    from stedi.landing.ingest import IngestReport
    from stedi.lakehouse import Lakehouse
    from stedi.maintain.retention import RetentionReport


def print_ingest(report: "IngestReport", lake: str) -> None:
    """What ingest copied on stdout; what it did not take, and what it refused, on stderr."""
    from stedi.cli.output import say, shown

    print(shown(f"{len(report.copied)} file(s) copied into {lake}, {len(report.unchanged)} already there unchanged"))
    if report.decompressed:
        names = ", ".join(f"{gz} -> {json}" for gz, json in report.decompressed[:5])
        more = f" and {len(report.decompressed) - 5} more" if len(report.decompressed) > 5 else ""
        print(shown(f"{len(report.decompressed)} of them decompressed from .json.gz: {names}{more}"))
    for line in report.not_taken_lines():
        say(f"stedi: {line}")
    for message in report.conflicts:
        say(f"stedi: refused: {message}")


def print_summary(summary: RunSummary) -> None:
    title = f"run {summary.run_id}, consent policy {summary.consent_policy}, engine {summary.engine}"
    if summary.nothing_new:
        print_rows(["table", "rows"], [(t.name, f"{t.total or 0:,}") for t in summary.tables],
                   title=title + ": no new landing files, nothing changed")
        _print_report(summary)
        print(f"done in {summary.seconds:.2f} s")
        return
    if summary.full_reason:
        rows = [(t.name, f"{t.rows_in:,}", f"{t.rows_out:,}", f"{t.quarantined:,}", f"{t.seconds:.2f}")
                for t in summary.tables]
        print_rows(["table", "rows in", "rows out", "quarantined", "seconds"], rows,
                   title=f"{title}, every table rebuilt ({summary.full_reason})")
    else:
        # Only what the new files changed: rows rebuilt or added, rows taken out, and where each table stands.
        rows = [(t.name, f"{t.rows_in:,}", f"{t.rows_out:,}", f"{t.removed:,}", f"{t.quarantined:,}",
                 "" if t.total is None else f"{t.total:,}", f"{t.seconds:.2f}") for t in summary.tables]
        print_rows(["table", "rows in", "rows out", "rows removed", "quarantined", "rows now", "seconds"], rows,
                   title=f"{title}, new landing files only")
    quarantined = sum(t.quarantined for t in summary.tables)
    if quarantined:
        print(f"{quarantined:,} landing line(s) quarantined: stedi query \"SELECT * FROM quarantine\" shows why")
    if summary.shared_serial_numbers:
        print(
            f"{summary.shared_serial_numbers:,} serial number(s) held by several customers: "
            f"{summary.shared_serial_readings:,} step-trainer reading(s) left out of trusted"
        )
    if summary.retention and (summary.retention["expired"] or any(summary.retention["deleted"].values())):
        expired, deleted = sum(summary.retention["expired"].values()), sum(summary.retention["deleted"].values())
        freed = sum(summary.retention["freed_bytes"].values())
        print(f"retention: {expired:,} old snapshot(s) expired, {deleted:,} file(s) deleted ({_mb(freed)} MB freed)")
    _print_report(summary)
    print(f"done in {summary.seconds:.2f} s")


def _print_report(summary: RunSummary) -> None:
    if summary.report:
        print(f"report: {summary.report}")
    elif "report" not in summary.phases:
        print(f"report: off (the report setting); `stedi report {summary.run_id}` writes it")
    else:
        print(f"report: not written; `stedi report {summary.run_id}` writes it")


def print_retention(report: "RetentionReport", keep_snapshots: int, keep_days: int) -> None:
    """`stedi maintain`: what retention expired, freed and kept."""
    from stedi.maintain.retention import DATA, METADATA

    if report.expired:
        print(f"expired {report.snapshots_expired:,} snapshot(s) of {len(report.expired)} table(s): those older "
              f"than {keep_days} day(s) beyond the newest {keep_snapshots} of each table")
    else:
        print(f"no snapshot to expire: none older than {keep_days} day(s) beyond the newest {keep_snapshots} "
              "of a table")
    print(f"deleted {report.files_deleted:,} file(s), {_mb(report.bytes_freed)} MB freed: "
          f"{report.deleted[DATA]:,} data file(s) ({_mb(report.freed_bytes[DATA])} MB), "
          f"{report.deleted[METADATA]:,} manifest and metadata file(s) ({_mb(report.freed_bytes[METADATA])} MB)")
    if report.kept_recent:
        print(f"kept {report.kept_recent:,} unreferenced file(s) ({_mb(report.kept_recent_bytes)} MB) written less "
              "than an hour ago: they may be a writer's at work elsewhere; a later run or maintain removes them")
    for table, why in report.skipped.items():
        print(f"left {table} alone: {why}")


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f}"


def print_tables(house: "Lakehouse", fmt: str = "table", title: str | None = None, name: str | None = None) -> None:
    """`stedi tables`: every table (or the table `name`) with zone, rows, current snapshot and location."""
    tables = house.tables()
    if name is not None and name not in {t.name for t in tables}:
        from stedi.errors import StediError

        raise StediError(f"no table {name!r}; tables: {', '.join(t.name for t in tables)}")
    rows = [
        (t.name, t.zone, ("not built" if t.rows is None else t.rows),
         t.snapshot_id, house.lake.relative(t.location))
        for t in tables if name is None or t.name == name
    ]
    print_rows(["table", "zone", "rows", "snapshot", "location"], rows, fmt, title=title)


def print_generation(report: "GenerationReport", seconds: float) -> None:
    """What `stedi generate` wrote, per source, and the traits it planted."""
    rows = [(r.source, f"{r.lines:,}", f"{r.malformed_lines:,}", len(r.files), f"{r.bytes / 1e6:,.1f}")
            for r in report.sources.values()]
    print_rows(["source", "lines", "malformed", "files", "MB"], rows,
               title=f"{report.customers:,} customers, seed {report.seed}")
    print(f"{report.customers_with_consent:,} customers with research consent, "
          f"{report.resent_records:,} re-sent records ({report.consent_withdrawals:,} withdraw consent), "
          f"{report.shared_serial_numbers:,} shared serial numbers")
    print(f"{report.readings:,} readings in {seconds:.1f} s ({report.readings / max(seconds, 1e-9):,.0f} readings/s)")


def print_deploy(report: "DeployReport") -> None:
    """`stedi aws deploy`: one line per resource, then what it came to."""
    for change in report.changes:
        status = change.status
        if report.dry_run and status != "unchanged":
            status = "would be " + status  # would be created / would be updated
        print(f"{change.resource}: {status}")
    created, updated = report.count("created"), report.count("updated")
    if not report.changed:
        print("nothing to do: everything is up to date")
    elif report.dry_run:
        print(f"dry run: {created} to create, {updated} to update; nothing was written")
    else:
        print(f"deployed: {created} created, {updated} updated; "
              f"start a run with: aws glue start-job-run --job-name {report.job_name}")


def print_erasure(report: "ErasureReport") -> None:
    """`stedi forget`: what went from where; people only by keyed hash (as the report keeps them),
    and each spelling of their emails found (shown here, never kept)."""
    removed, redacted = report.landing_lines_removed, report.landing_values_redacted
    rows = [(f"landing {name}", f"{removed.get(name, 0):,}", f"{redacted.get(name, 0):,}")
            for name in sorted(removed.keys() | redacted.keys())]
    rows += [(name, f"{count:,}", "") for name, count in sorted(report.rows_removed.items())]
    header = ["from", "lines or rows removed", "mentions of them redacted"]
    if not redacted:  # (the column says something only where another's line mentioned them)
        header, rows = header[:2], [row[:2] for row in rows]
    print(f"erasure {report.erasure_id} at {report.erased_at}: {len(report.people)} person(s)")
    if rows:
        print_rows(header, rows)
    else:
        print("nothing of theirs was found in the lake: no line or row removed (their data delivered later stays out)")
    for person in report.people:
        print(f"customer_key {person['customer_key']}: {person['records_found']} customer record(s) found")
    for person in report.people:
        keys = person.get("spelling_keys") or []
        if len(keys) > 1:  # (the spellings themselves are not printed: output ends up in logs)
            print(f"{len(keys)} spellings of one email found in landing, customer_keys {', '.join(map(str, keys))}")
    if report.reports_rewritten:
        print(f"{report.reports_rewritten:,} run report(s) showed a line of theirs: erased there too")
    if report.tags_moved:  # a forget wins over a tag (stedi/forget/tags.py)
        print(f"tag(s) {', '.join(report.tags_moved)} moved to a version without them")
    print(f"{report.snapshots_expired:,} older snapshot(s) expired, {report.files_deleted:,} file(s) deleted"
          + (f", {report.old_versions_deleted:,} old object version(s) deleted" if report.old_versions_deleted else "")
          + f"; report kept in erasures/{report.erasure_id}/report.json")
    print(f"done in {report.seconds:.2f} s")
