"""Run the STEDI pipeline on Spark: the AWS Glue 5.0 job script, and a spark-submit script.

    spark-submit stedi/jobs/spark_run.py --lake s3://BUCKET/PREFIX [--consent-policy strict|any-time]
                                          [--glue-database NAME]

A plain PySpark script (Glue 5.0 runs those; no `awsglue` import). `stedi aws deploy` uploads
this file alone as the job's ScriptLocation, so it imports only the installed `stedi` package
(the wheel passed with --additional-python-modules), never its neighbours. Glue adds arguments
of its own (--JOB_NAME, --job-bookmark-option, --TempDir, ...): they are ignored.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, NoReturn, Sequence

try:
    from stedi.config import CONSENT_POLICIES, Config
    from stedi.errors import StediError
except ImportError:  # uploaded alone without its wheel: say what is missing, not a traceback
    sys.exit("spark_run: error: the stedi package is not installed "
             "(on AWS Glue: pass its wheel with --additional-python-modules; `stedi aws deploy` does)")

if TYPE_CHECKING:
    from stedi.pipeline.run import RunSummary

PROG = "spark_run"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, as every stedi command fails; argparse's usage block would bury it in a Glue log.
        self.exit(2, f"{PROG}: error: {message}\n")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = _Parser(prog=PROG, allow_abbrev=False,  # a Glue argument must never pass for one of ours
                     description="Build every trusted and curated table of a STEDI lake with Spark.")
    parser.add_argument("--lake", required=True, metavar="PATH_OR_S3_URI",
                        help="the lake: s3://BUCKET/PREFIX (or a local folder, with spark-submit)")
    parser.add_argument("--consent-policy", choices=CONSENT_POLICIES,
                        help="'strict' or 'any-time' (default: the lake's setting)")
    parser.add_argument("--full", action="store_true",
                        help="rebuild every table from every landing file (default: read only new landing files)")
    parser.add_argument("--glue-database", metavar="NAME",
                        help="the lake's Glue database, as STEDI_GLUE_DATABASE sets it (default: the lake's setting)")
    args, _glue_own = parser.parse_known_args(list(argv))
    return args


def _say(message: str) -> None:
    print(message, flush=True)  # flushed: Glue's log shows the run as it goes


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        summary = _run(args)
    except StediError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr, flush=True)
        return 1
    from stedi.cli.summary import print_summary

    print_summary(summary)
    return 0


def require_conditional_writes(lake: str) -> None:
    """The writer lock of a lake in S3 takes and frees itself with S3's conditional writes
    (PutObject If-None-Match, DeleteObject If-Match: stedi/storage/s3_lock.py), which the SDKs
    learned in August and November 2024; Glue 5.0's own botocore 1.34.131 refuses them at the first
    lock. `stedi aws deploy` installs the pinned botocore; checked here, first, in one line."""
    from stedi.storage import is_remote

    if not is_remote(lake):
        return
    import botocore
    import botocore.session

    model = botocore.session.get_session().get_service_model("s3")
    needed = {"PutObject": "IfNoneMatch", "DeleteObject": "IfMatch"}
    missing = [f"{op} {field}" for op, field in needed.items()
               if field not in model.operation_model(op).input_shape.members]
    if missing:
        raise StediError(f"{lake}: not run, nothing changed: botocore {botocore.__version__} has no S3 conditional "
                         f"writes ({', '.join(missing)}), which the lake's writer lock needs; install the botocore "
                         "constraints.txt pins (on AWS Glue: deploy with `stedi aws deploy`, whose modules do)")


def _run(args: argparse.Namespace) -> "RunSummary":
    require_conditional_writes(args.lake)
    if args.glue_database is not None:
        try:
            Config(glue_database=args.glue_database)
        except StediError as e:
            raise StediError(f"--glue-database: {e}") from None
        os.environ["STEDI_GLUE_DATABASE"] = args.glue_database  # the layer load_config reads last
    from stedi.lake import Lake
    from stedi.pipeline.run import run
    from stedi.report.hook import report_hooks

    lake = Lake.open(args.lake)  # before Spark starts: a wrong --lake fails in a second, not a minute
    from stedi.engines.spark_session import configure, require_pyspark

    require_pyspark()
    from pyspark.sql import SparkSession

    from stedi.engines.spark_engine import SparkEngine  # imported late: it needs PySpark

    # Glue and spark-submit have made the session already; a plain `python` run gets a new one.
    session = SparkSession.builder.getOrCreate()
    configure(session)
    engine = SparkEngine(lake.config, spark=session)
    # s3:// as Glue and EMR have it, or S3A from the AWS chain elsewhere; one line if Spark has neither.
    engine.require_filesystem(lake.location("quarantine"))
    return run(lake, consent_policy=args.consent_policy, progress=_say, engine=engine, full=args.full,
               hooks=report_hooks(lake))


if __name__ == "__main__":
    code = main()
    if code:  # only a failure exits explicitly: the run's own end is a normal one for Glue
        sys.exit(code)
