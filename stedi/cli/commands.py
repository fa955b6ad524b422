"""The `stedi` command's subcommands, one function each: the library called, its result printed.

Each takes the parsed arguments and `status`, where progress lines go (stedi/cli/main.py's
`_status`, looked up when the command runs so that a test can replace it)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

from stedi.errors import StediError
from stedi.interrupts import CommittedInterrupt

Say = Callable[[str], None]
Command = Callable[[argparse.Namespace, Say], int]  # a subcommand's handler


def cmd_ingest(args: argparse.Namespace, status: Say) -> int:
    from stedi.cli.summary import print_ingest
    from stedi.landing.ingest import find_delivery
    from stedi.lakehouse import Lakehouse
    from stedi.storage import open_storage

    find_delivery(open_storage(args.src))  # a delivery with nothing to ingest creates no lake
    house = Lakehouse(args.lake, create=True)
    report = house.ingest(args.src, wait=args.wait, progress=status)
    print_ingest(report, house.path)
    return 1 if report.conflicts else 0


def cmd_run(args: argparse.Namespace, status: Say) -> int:
    from stedi.cli.summary import print_summary
    from stedi.lakehouse import Lakehouse

    summary = Lakehouse(args.lake).run(consent_policy=args.consent_policy, progress=status, wait=args.wait,
                                       engine=args.engine, spark_master=args.spark_master, full=args.full)
    try:
        print_summary(summary)
    except KeyboardInterrupt:
        raise CommittedInterrupt(summary.run_id) from None
    return 0


def cmd_maintain(args: argparse.Namespace, status: Say) -> int:
    from stedi.cli.summary import print_retention
    from stedi.config import with_overrides
    from stedi.lakehouse import Lakehouse

    house = Lakehouse(args.lake)
    settings = with_overrides(house.lake.config, keep_snapshots=args.keep_snapshots, keep_days=args.keep_days)
    report = house.maintain(settings.keep_snapshots, settings.keep_days, wait=args.wait, progress=status)
    print_retention(report, settings.keep_snapshots, settings.keep_days)
    return 0


def cmd_query(args: argparse.Namespace, status: Say) -> int:
    from stedi.cli.output import print_arrow, print_fetched
    from stedi.lakehouse import Lakehouse

    house = Lakehouse(args.lake)
    if args.as_of is None:
        result = house.query_rows(args.sql)
        if isinstance(result, tuple):  # DuckDB's rows of plain types: no pyarrow needed
            print_fetched(*result, args.format, limit=args.max_rows)
            return 0
    else:
        point = house.as_of(args.as_of)
        result = house.query(args.sql, as_of=point)
        status(f"as of {point.describe()}")  # after the query: an error stays one line
    print_arrow(result, args.format, limit=args.max_rows)
    return 0


def cmd_tables(args: argparse.Namespace, status: Say) -> int:
    from stedi.cli.columns import print_columns
    from stedi.cli.summary import print_tables
    from stedi.lakehouse import Lakehouse

    if args.columns:
        print_columns(Lakehouse(args.lake), args.name, args.format)
    else:
        print_tables(Lakehouse(args.lake), args.format, name=args.name)
    return 0


def cmd_ddl(args: argparse.Namespace, status: Say) -> int:
    from stedi.engines.describe import statements
    from stedi.lakehouse import default_lake_path
    from stedi.storage import is_remote

    location, database = args.location, args.database
    lake = args.lake or default_lake_path()
    if location is None and is_remote(lake):  # the statements for this very lake
        from stedi.lake import Lake

        location, database = lake, database or Lake.open(lake).config.glue_database
    print(";\n\n".join(statements(location or "s3://YOUR-BUCKET/stedi", database or "stedi")) + ";")
    return 0


def cmd_generate(args: argparse.Namespace, status: Say) -> int:
    import time

    from stedi.cli.progress import generate_with_progress
    from stedi.cli.summary import print_generation

    started = time.perf_counter()
    report = generate_with_progress(args.out, args.customers, args.seed, args.overwrite, args.rate)
    print_generation(report, time.perf_counter() - started)
    return 0


def cmd_demo(args: argparse.Namespace, status: Say) -> int:
    from stedi.cli.demo import demo

    return demo(args.lake, args.customers, args.seed, args.consent_policy, status)


def cmd_forget(args: argparse.Namespace, status: Say) -> int:
    from stedi.cli.summary import print_erasure
    from stedi.lakehouse import Lakehouse

    emails = list(args.emails)
    if args.from_file:
        try:
            text = Path(args.from_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise StediError(f"{args.from_file}: cannot read the list of emails ({e})") from None
        emails += [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    report = Lakehouse(args.lake).forget(emails, wait=args.wait, progress=status)
    print_erasure(report)
    return 0


def cmd_report(args: argparse.Namespace, status: Say) -> int:
    from stedi.cli.report import write_report

    return write_report(args.lake, args.run_id, args.out, args.redact, args.open, args.wait, status)


def cmd_aws_deploy(args: argparse.Namespace, status: Say) -> int:
    from stedi.deploy.deploy import deploy
    from stedi.cli.summary import print_deploy
    from stedi.lakehouse import default_lake_path

    report = deploy(args.lake or default_lake_path(), role=args.role, job_name=args.job_name,
                    consent_policy=args.consent_policy, dry_run=args.dry_run, progress=status,
                    wheelhouse=args.wheelhouse, workers=args.workers, worker_type=args.worker_type,
                    lifecycle=args.lifecycle)
    print_deploy(report)
    return 0
