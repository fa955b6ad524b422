"""The Glue job script: its arguments (Glue's own ignored, one-line errors), and a whole run
with the local PySpark that must build the tables a DuckDB run builds from the same delivery."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.config import CONFIG_FILE
from stedi.jobs.spark_run import main, parse_args, require_conditional_writes
from tests.aws.glue_env import wheel_cache
from tests.commit.lake_checks import same_built_tables
from tests.conftest import customer, reading, step, write_delivery

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "stedi" / "jobs" / "spark_run.py"
# What AWS Glue puts before and after the job's own arguments.
GLUE_ARGS = ["--JOB_ID", "j_0123", "--JOB_RUN_ID", "jr_0123", "--job-bookmark-option", "job-bookmark-disable",
             "--TempDir", "s3://aws-glue-temporary/admin", "--JOB_NAME", "stedi-run-stedi", "--job-language", "python",
             "--additional-python-modules", "s3://b/p/deploy/stedi-0.1.0-py3-none-any.whl"]


def script_env(**extra: str) -> dict[str, str]:
    """The script run as a file imports `stedi` from this tree, not another installed copy."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


def test_glue_arguments_are_ignored() -> None:
    args = parse_args([*GLUE_ARGS[:6], "--lake", "s3://b/p", *GLUE_ARGS[6:], "--consent-policy", "any-time",
                       "--glue-database", "stedi_prod"])
    assert (args.lake, args.consent_policy, args.glue_database) == ("s3://b/p", "any-time", "stedi_prod")
    args = parse_args(["--lake", "s3://b/p", *GLUE_ARGS])
    assert (args.lake, args.consent_policy, args.glue_database) == ("s3://b/p", None, None)


@pytest.mark.parametrize("argv, message", [
    (GLUE_ARGS, "spark_run: error: the following arguments are required: --lake\n"),
    (["--lake", "x", "--consent-policy", "sometimes"],
     "spark_run: error: argument --consent-policy: invalid choice: 'sometimes' (choose from 'strict', 'any-time')\n"),
    (["--lak", "s3://b/p"], "spark_run: error: the following arguments are required: --lake\n"),  # no abbreviations
])
def test_a_wrong_argument_is_one_line_and_exit_2(argv: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.err == message and captured.out == ""


def test_a_missing_lake_fails_in_one_line_before_spark_starts(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr("stedi.engines.spark_session.require_pyspark", lambda: pytest.fail("Spark was started"))
    assert main(["--lake", str(tmp_path / "nowhere"), *GLUE_ARGS]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"spark_run: error: {tmp_path / 'nowhere'}: no lake here (create one with " \
                           f"`stedi ingest SRC --lake {tmp_path / 'nowhere'}`)\n"


def test_a_bad_glue_database_names_the_option(tmp_path: Path, capsys) -> None:
    assert main(["--lake", str(tmp_path), "--glue-database", "Not-Valid"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("spark_run: error: --glue-database: glue_database must be") and err.count("\n") == 1


def test_run_as_a_file_it_parses_its_arguments(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--JOB_NAME", "x"], env=script_env(),
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (
        2, "", "spark_run: error: the following arguments are required: --lake\n")


def test_uploaded_without_its_package_it_says_what_is_missing(tmp_path: Path) -> None:
    alone = tmp_path / "spark_run.py"
    shutil.copy(SCRIPT, alone)
    # -I -S: no site-packages, no PYTHONPATH: nothing named stedi can be imported.
    done = subprocess.run([sys.executable, "-I", "-S", str(alone), "--lake", "s3://b/p"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr == ("spark_run: error: the stedi package is not installed (on AWS Glue: pass its wheel "
                           "with --additional-python-modules; `stedi aws deploy` does)\n")


def glue_s3_model(folder: Path) -> Path:
    """The S3 service model of Glue 5.0's own botocore 1.34.131 (from its wheel `make glue-wheels`
    fetched), as a folder botocore reads models from first (AWS_DATA_PATH)."""
    wheels = list((wheel_cache() / "glue-env").glob("botocore-1.34.131-*.whl"))
    if not wheels:
        pytest.skip("Glue 5.0's botocore is not in .cache/wheels/glue-env: run `make glue-wheels`")
    member = "botocore/data/s3/2006-03-01/service-2.json.gz"
    target = folder / "s3" / "2006-03-01" / "service-2.json.gz"
    target.parent.mkdir(parents=True)
    with zipfile.ZipFile(wheels[0]) as wheel:
        target.write_bytes(wheel.read(member))
    return folder


def test_with_glues_own_botocore_the_job_stops_in_one_line_before_it_touches_the_lake(tmp_path: Path) -> None:
    """The issue: Glue 5.0 keeps its botocore 1.34.131 unless told otherwise, which has no S3
    conditional writes; the lock's first PutObject(IfNoneMatch) then fails every run. Now the job
    says so first, in one line, naming the version, before Spark or the lake."""
    lake = "s3://stedi-nowhere/lake"  # never reached: no AWS endpoint is set
    env = script_env(AWS_DATA_PATH=str(glue_s3_model(tmp_path / "models")))
    done = subprocess.run([sys.executable, str(SCRIPT), *GLUE_ARGS, "--lake", lake], env=env,
                          capture_output=True, text=True, timeout=120)
    import botocore

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (f"spark_run: error: {lake}: not run, nothing changed: botocore {botocore.__version__} has "
                           "no S3 conditional writes (PutObject IfNoneMatch, DeleteObject IfMatch), which the lake's "
                           "writer lock needs; install the botocore constraints.txt pins (on AWS Glue: deploy with "
                           "`stedi aws deploy`, whose modules do)\n")


def test_the_pinned_botocore_passes_and_a_local_lake_needs_no_check(tmp_path: Path, monkeypatch) -> None:
    require_conditional_writes("s3://b/lake")  # the venv's botocore, as constraints.txt pins it
    monkeypatch.setenv("AWS_DATA_PATH", str(glue_s3_model(tmp_path / "models")))
    require_conditional_writes(str(tmp_path / "lake"))  # a local lake's lock is flock, not S3


# -- a whole run with the local PySpark ------------------------------------------------------

A, B, C, D = "a@x.com", "b@x.com", "c@x.com", "d@x.com"


def delivery(folder: Path) -> Path:
    return write_delivery(
        folder,
        customer=[customer(A, "s-a", consent=100), customer(B, "s-b"),  # B: no consent
                  customer(C, "s-c", consent=1000), customer(D, "s-c", consent=100),  # a shared serial number
                  customer(A, "s-a", updated=2000, consent=100, phone="8015550000"), '{"email": "broken'],
        accelerometer=[reading(A, 50, 1.0), reading(A, 500, 1.5, 2.5), reading(A, 500, 1.5, 2.5),
                       reading(A, 600, -1.0), reading(B, 500), reading(C, 900), reading(C, 1100, 0.25),
                       reading(D, 500), '{"user": "a@x.com", "timestamp": "700", "x": 1, "y": 2, "z": 3}'],
        step_trainer=[step("s-a", 50), step("s-a", 500, 12), step("s-a", 600), step("s-b", 500),
                      step("s-c", 1100), "not json"],
    )


def lake_pair(tmp_path: Path) -> tuple[Lakehouse, Lakehouse]:
    """Two lakes holding the same delivery under the same pseudonym key."""
    source = delivery(tmp_path / "delivery")
    spark, duck = Lakehouse(tmp_path / "spark-lake", create=True), Lakehouse(tmp_path / "duckdb-lake", create=True)
    config = Path(duck.path) / CONFIG_FILE
    config.write_text(config.read_text().replace(duck.lake.config.pseudonym_key, spark.lake.config.pseudonym_key))
    duck = Lakehouse(duck.path)
    spark.ingest(source)
    duck.ingest(source)
    return spark, duck


def test_spark_submit_of_the_script_builds_what_duckdb_builds(tmp_path: Path, spark) -> None:  # type: ignore[no-untyped-def]
    """spark-submit, as on a cluster or EMR, with Glue's arguments around the job's own; local[2]
    (the standalone cluster's test is tests/engines/test_spark_cluster.py). Policy any-time: the
    parity suite covers strict."""
    from tests.spark_cluster import cluster_environment, spark_home

    policy = "any-time"
    spark_lake, duck = lake_pair(tmp_path)
    submit = [str(spark_home() / "bin" / "spark-submit"), "--master", "local[2]", "--driver-memory", "1g",
              "--conf", "spark.driver.host=127.0.0.1", str(SCRIPT), *GLUE_ARGS[:6], "--lake", spark_lake.path,
              "--consent-policy", policy, *GLUE_ARGS[6:]]
    env = {**cluster_environment(), "PYTHONPATH": script_env()["PYTHONPATH"]}
    done = subprocess.run(submit, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    assert f"consent policy {policy}" in done.stdout and "done in" in done.stdout
    duck.run(consent_policy=policy)

    spark_lake = Lakehouse(spark_lake.path)
    built = same_built_tables(spark_lake, duck)
    assert built["machine_learning_curated"] > 0 and built["quarantine"] == 3
