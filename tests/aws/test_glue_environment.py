"""The Glue job as AWS Glue 5.0 runs it, against moto's server: the stand-in for Glue 5.0's own
Python (tests/aws/glue_env.py: CPython 3.11 with boto3/botocore 1.34.131, pyarrow 17, pandas 2.2.2,
numpy 1.26.4, setuptools 59.6, pip 23.0.1, PySpark 3.5) installs what `stedi aws deploy` put in S3
the way AWS documents Glue does with the job's DefaultArguments, asking no package index; then
the job script, fetched from the job's ScriptLocation, runs the Spark engine on the S3 lake with
Glue's arguments and the job's. The tables it builds equal a DuckDB run on the same lake."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.deploy.glue_wheels import pins
from tests.aws.deploying import ROLE, client, deploy, empty
from tests.aws.glue_env import RecordingIndex, glue_python_copy, install_as_glue, versions
from tests.commit.lake_checks import rows
from tests.conftest import REQUIRE_SPARK, S3A_JARS
from tests.jobs.test_spark_run import delivery
from tests.jvm_cache import cached

ROOT = Path(__file__).resolve().parents[2]
PINNED = pins(ROOT / "constraints.txt")
POLICY = "any-time"  # not the lake's default: the job must run with the DefaultArguments it was given


def glue_own_arguments(job_name: str) -> list[str]:
    """What Glue puts before a job's own arguments."""
    return ["--JOB_ID", "j_0123", "--JOB_RUN_ID", "jr_0123", "--job-bookmark-option", "job-bookmark-disable",
            "--TempDir", "s3://aws-glue-temporary/admin", "--JOB_NAME", job_name]


def needs(reason: str) -> None:
    if REQUIRE_SPARK:  # CI: a missing set-up step fails
        pytest.fail(reason)
    pytest.skip(reason)


def test_glue_5_installs_the_deployed_modules_offline_and_the_job_builds_what_duckdb_builds(
        bucket: str, glue_wheelhouse: Path, tmp_path: Path, capsys) -> None:
    from stedi.cli.main import main
    from stedi.engines.spark_session import require_java

    jars = cached(S3A_JARS)
    if not jars:
        needs(f"hadoop-aws is not in .cache/jvm/{S3A_JARS}: run `make jvm`")
    require_java()
    python = glue_python_copy(tmp_path / "glue-python")
    if python is None:
        needs("the stand-in for Glue 5.0's Python is not built: run `make glue-wheels`")
    lake, s3 = f"s3://{bucket}/stedi", client("s3")
    try:
        assert main(["ingest", str(delivery(tmp_path / "delivery")), "--lake", lake]) == 0
        code, out, err = deploy(capsys, "--lake", lake, "--role", ROLE, "--consent-policy", POLICY)
        assert code == 0, err
        job = client("glue").get_job(JobName=f"stedi-run-{bucket.replace('-', '_')}")["Job"]
        arguments = job["DefaultArguments"]

        # Glue 5.0's Python as a run starts, then the job's modules installed as Glue installs them.
        assert versions(python, "boto3", "botocore", "pyarrow", "setuptools") == {
            "boto3": "1.34.131", "botocore": "1.34.131", "pyarrow": "17.0.0", "setuptools": "59.6.0"}
        index = RecordingIndex()
        try:
            installed = install_as_glue(python, arguments, s3, tmp_path, index.url)
        finally:
            index.stop()
        assert installed.returncode == 0, installed.stderr[-3000:]
        assert index.requests == []  # no package index was asked: PyPI is never reached at job start
        tested = ("boto3", "botocore", "s3transfer", "pyarrow", "pandas", "numpy", "sqlglot", "pyiceberg", "duckdb")
        assert versions(python, *tested, "setuptools", "stedi") == {
            **{name: PINNED[name] for name in tested}, "setuptools": "59.6.0", "stedi": "0.1.0"}

        # The job script from ScriptLocation, with Glue's arguments and the job's, on Glue's Python.
        script = tmp_path / "spark_run.py"
        location = job["Command"]["ScriptLocation"][len("s3://"):]
        s3.download_file(location.split("/", 1)[0], location.split("/", 1)[1], str(script))
        argv = glue_own_arguments(job["Name"]) + [part for pair in arguments.items() for part in pair]
        # s3:// is native on Glue; the stand-in's Spark reaches moto through S3A (`make jvm`'s jars).
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYSPARK", "STEDI_"))},
               "PYSPARK_PYTHON": str(python), "SPARK_LOCAL_IP": "127.0.0.1", "STEDI_SPARK_CLASS_ARCHIVE": "off",
               "PYSPARK_SUBMIT_ARGS": f"--jars {','.join(map(str, jars))} --driver-memory 1g pyspark-shell"}
        ran = subprocess.run([str(python), str(script), *argv], env=env, cwd=tmp_path, capture_output=True,
                             text=True, timeout=900)
        assert ran.returncode == 0, ran.stderr[-4000:]
        assert f"consent policy {POLICY}" in ran.stdout and "done in" in ran.stdout

        spark_built = Lakehouse(lake)
        tables = [t.name for t in spark_built.tables() if t.zone != "landing"]
        by_spark = {name: rows(spark_built, name) for name in tables}
        assert by_spark["machine_learning_curated"] and len(by_spark["quarantine"]) == 3
        # DuckDB on the same lake, from every landing file: the very same rows.
        Lakehouse(lake).run(consent_policy=POLICY, full=True)
        assert {name: rows(Lakehouse(lake), name) for name in tables} == by_spark
    finally:
        empty(bucket)
