"""The `stedi` command's arguments: every subcommand, its options and their help texts."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

from stedi.cli.commands import (
    Command, cmd_aws_deploy, cmd_ddl, cmd_demo, cmd_forget,
    cmd_generate, cmd_ingest, cmd_maintain, cmd_query, cmd_report, cmd_run, cmd_tables,
)
from stedi.cli.tag import add_tag_command, cmd_tag
from stedi.config import CONSENT_POLICIES, ENGINES

LAKE_HELP = "the lake: a local folder or s3://BUCKET/PREFIX (default: $STEDI_LAKE, else ./lake)"


def _lake_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lake", metavar="PATH_OR_S3_URI", help=LAKE_HELP)


def _whole(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `minimum` (else a usage error naming the option)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, not {value}")
        return value
    return parse


def _wait_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--wait", nargs="?", type=_seconds, const=float("inf"), metavar="SECONDS",
                        help="if another command is writing the lake, wait for it to finish (at most SECONDS; "
                             "default: as long as it takes) instead of failing at once")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"seconds must be 0 or more, not {text}")
    return value


def _version() -> str:
    """The installed package's version (its metadata); the source's where it is not installed."""
    from importlib import metadata

    try:
        return metadata.version("stedi")
    except metadata.PackageNotFoundError:
        import stedi

        return stedi.__version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stedi",
        description="The STEDI lakehouse: raw Step Trainer data into privacy-safe, query-ready Iceberg tables.",
    )
    parser.add_argument("--version", action="version", version=f"stedi {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, handler: Command, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        _lake_arg(p)
        return p

    p = command("ingest", cmd_ingest, "Copy delivered landing files into the lake's landing zone, as delivered.")
    p.add_argument("src", metavar="SRC",
                   help="a folder or s3://BUCKET/PREFIX in the starter layout: customer/landing/*.json, "
                        "accelerometer/landing/*.json, step_trainer/landing/*.json (or customer/*.json and the like)")
    _wait_arg(p)

    policy_help = ("'strict' (default): only readings taken at or after the customer's research consent; "
                   "'any-time': every reading of consenting customers")
    p = command("run", cmd_run, "Bring every trusted and curated table up to date with landing: read the landing "
                                "files no run has read yet and change only the rows they affect (the first run, "
                                "a changed consent policy, or a rewritten landing file rebuild everything).")
    p.add_argument("--consent-policy", choices=CONSENT_POLICIES, help=policy_help)
    p.add_argument("--full", action="store_true",
                   help="rebuild every table from every landing file, as the first run does")
    p.add_argument("--engine", choices=ENGINES,
                   help="'duckdb': in this process (the default setting); 'spark': PySpark 3.5, locally or on a "
                        "cluster (needs the spark extra and Java 17); default: the lake's engine setting")
    p.add_argument("--spark-master", metavar="URL",
                   help="where the Spark engine runs: local[*] (default setting), local[N], spark://HOST:PORT, "
                        "yarn; default: the lake's spark_master setting")
    _wait_arg(p)

    p = command("maintain", cmd_maintain,
                "Expire old snapshots of every table and delete the files no kept snapshot refers to "
                "(Iceberg's expire-snapshots and remove-orphan-files); `stedi run` does the same after each run.")
    p.add_argument("--keep-snapshots", type=_whole(1), metavar="N",
                   help="keep at least the newest N snapshots of each table's history, however old (the current "
                        "snapshot is always kept); default: the keep_snapshots setting (STEDI_KEEP_SNAPSHOTS or "
                        "the lake's stedi.toml; 10 if unset)")
    p.add_argument("--keep-days", type=_whole(0), metavar="D",
                   help="expire only snapshots older than D days (0: every snapshot beyond the newest N); "
                        "default: the keep_days setting (STEDI_KEEP_DAYS or the lake's stedi.toml; 7 if unset)")
    _wait_arg(p)
    p.epilog = ("A snapshot is expired when it is older than keep_days and not one of the newest keep_snapshots: "
                "both must hold, as in Iceberg's expire_snapshots. The files only expired snapshots refer to are "
                "deleted; so is any other file in a table's folders that nothing refers to, once it is an hour old "
                "(younger ones may belong to a writer at work elsewhere).")

    p = command("query", cmd_query, "Run SQL (DuckDB dialect) over every table of the lake by name.")
    p.add_argument("sql", metavar="SQL", help='e.g. "SELECT count(*) FROM machine_learning_curated"')
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format (default: table)")
    p.add_argument("--max-rows", type=_whole(0), default=50, metavar="N", help="rows shown in table format (default: 50)")
    p.add_argument("--as-of", metavar="WHEN",
                   help="read the stored tables (trusted, curated, quarantine) as a past run left them. WHEN is a tag "
                        "(`stedi tag --list`), a run id "
                        "(20261128T145000-1a2b3c4d: the names in the lake's runs/ folder) or a time: the lake as "
                        "the last run completed by then left it. A time is ISO 8601 (2026-11-28T14:00:00Z, "
                        "2026-11-28 14:00, 2026-11-28T15:00+01:00; UTC unless it names a zone), a date "
                        "(2026-11-28: 00:00 UTC as that day began) or epoch milliseconds. Landing tables are not "
                        "versioned and cannot be read so; snapshots older than the lake's retention "
                        "(keep_snapshots, keep_days) are gone")

    p = command("forget", cmd_forget,
                "Erase people (the right to be forgotten): their lines in the landing files (a line whose email, "
                "user or serial number is theirs), their mentions in other people's lines (replaced by "
                "[erased]; the line stays), their rows in every table and quarantine, and every older snapshot "
                "and file that still holds them. Emails are matched without regard to case or spaces. Prints "
                "and keeps an erasure report (erasures/<id>/report.json) that names them only by keyed hashes. "
                "Their old data delivered again stays out; a registration after the erasure is admitted.")
    p.add_argument("emails", nargs="*", metavar="EMAIL",
                   help="the email address of a person to forget (anything else is refused)")
    p.add_argument("--from-file", metavar="FILE", help="a file of emails, one per line ('#' starts a comment)")
    _wait_arg(p)

    add_tag_command(sub, command, cmd_tag, _wait_arg)

    p = command("report", cmd_report,
                "Write a run's HTML report: lineage, rows through the zones, quarantine, consent, plots, privacy "
                "audits. Every run writes one into the lake (reports/<run-id>.html); this prints its path, or "
                "writes it elsewhere, redacted, or for a run that has none.")
    p.add_argument("run_id", nargs="?", metavar="RUN_ID",
                   help="the run (an id from the lake's runs/ folder, as `stedi run` prints it; default: the last run)")
    p.add_argument("--out", metavar="FILE", help="write the report to this local file (default: the lake's "
                                                  "reports/<run-id>.html, or reports/<run-id>-redacted.html)")
    p.add_argument("--redact", action="store_true",
                   help="mask emails, phone numbers and names in the quarantined lines the report shows")
    p.add_argument("--open", action="store_true", help="open the report in the default web browser, if there is one")
    _wait_arg(p)

    p = command("tables", cmd_tables, "List every table with its zone, row count, current snapshot and location; "
                "with --columns, each table's columns with their type, whether they may be null, and what they are.")
    p.add_argument("name", nargs="?", metavar="TABLE", help="only this table (default: every table)")
    p.add_argument("--columns", action="store_true",
                   help="list the columns instead: type, nullable, and a description of each (times say their unit)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format (default: table)")

    p = command("ddl", cmd_ddl, "Print the CREATE statements that make every table queryable in Athena.")
    p.add_argument("--dialect", choices=("athena",), default="athena", help="SQL dialect (default: athena)")
    p.add_argument("--location", metavar="S3_URI",
                   help="S3 folder that holds the lake (default: the --lake if it is in S3, else s3://YOUR-BUCKET/stedi)")
    p.add_argument("--database", help="Glue database name (default: the lake's glue_database, else stedi)")

    p = command("generate", cmd_generate, "Write a realistic, seeded STEDI data set in the starter layout, as the "
                "starter data is: files of 10,000 lines named <source>-<epoch ms>.json, customers training "
                "at the same time, consent before, during or after their readings.")
    p.add_argument("out", type=Path, metavar="OUT", help="folder to write customer/, accelerometer/, step_trainer/ into")
    p.add_argument("--customers", type=_whole(1), required=True, metavar="N",
                   help="number of customers (30 step-trainer and about 85 accelerometer readings each; "
                        "120000 make about 10 million phone readings)")
    p.add_argument("--seed", type=_whole(0), default=0, help="random seed: the same seed writes identical files (default: 0)")
    p.add_argument("--overwrite", action="store_true", help="replace landing files a previous run wrote into OUT")
    p.add_argument("--rate", action="append", default=[], metavar="NAME=VALUE",
                   help="change one trait's rate, e.g. --rate malformed=0.01 --rate duplicate_readings=0.05 "
                        "--rate lines_per_file=50000 (names: the fields of stedi.generate.GeneratorRates)")

    p = command("demo", cmd_demo, "Generate a small data set, ingest it into a fresh lake, run, show the tables.")
    # Checked here, by argparse: a bad count must fail before demo replaces the previous demo lake.
    p.add_argument("--customers", type=_whole(1), default=500, metavar="N", help="customers to generate (default: 500)")
    p.add_argument("--seed", type=_whole(0), default=42, help="random seed (default: 42)")
    p.add_argument("--consent-policy", choices=CONSENT_POLICIES, help=policy_help)

    aws_help = "Work with a lake in S3 on AWS: deploy the Glue job that runs it with Spark."
    aws = sub.add_parser("aws", help=aws_help, description=aws_help)
    aws_sub = aws.add_subparsers(dest="aws_command", metavar="COMMAND", required=True)
    deploy_help = ("Make or update the AWS Glue 5.0 job that runs the lake's pipeline with Spark, and what it "
                   "needs: the lake, its Glue database and landing tables, the job script and the wheels the "
                   "job installs (the package and its pinned dependencies, for Glue 5.0) under the lake's "
                   "deploy/ folder. Writes only what differs.")
    p = aws_sub.add_parser("deploy", help=deploy_help, description=deploy_help)
    p.set_defaults(handler=cmd_aws_deploy)
    p.add_argument("--lake", metavar="S3_URI", help="the lake: s3://BUCKET/PREFIX (default: $STEDI_LAKE); "
                                                     "made if the prefix is empty")
    p.add_argument("--role", metavar="ARN", help="the IAM role the job runs as: needed to create the job; "
                                                 "an existing job keeps its role unless this is given")
    p.add_argument("--job-name", metavar="NAME", help="the Glue job's name (default: stedi-run-GLUE_DATABASE)")
    p.add_argument("--consent-policy", choices=CONSENT_POLICIES,
                   help="the consent policy the job runs with (default: the lake's setting)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="the job's number of workers, at least 2 (a new job: 2; an existing job keeps its own)")
    p.add_argument("--worker-type", metavar="TYPE",
                   help="the job's worker type: G.1X, G.2X, G.4X, G.8X, G.12X, G.16X, R.1X, R.2X, R.4X or R.8X "
                        "(a new job: G.1X; an existing job keeps its own; "
                        "sizes for 10M and 100M readings: docs/aws-deploy.md)")
    p.add_argument("--wheelhouse", type=Path, metavar="DIR",
                   help="gather the wheels the job installs from this folder alone, offline (default: from the "
                        "package index pip is configured with)")
    p.add_argument("--lifecycle", action="store_true",
                   help="also set a rule on the bucket that aborts the incomplete multipart uploads killed writers "
                        "leave under the lake, after 7 days (the bucket's other rules are kept)")
    p.add_argument("--dry-run", action="store_true", help="say what would be created or updated, and write nothing")
    return parser
