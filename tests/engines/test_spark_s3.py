"""The Spark engine on a lake in S3 (moto's server), through s3:// mapped onto S3A from the AWS
chain: the Glue job script builds there what a Spark run builds in a local lake, naming the
landing files the same way, and leaves nothing of Spark's in the bucket."""

from __future__ import annotations

from pathlib import Path

from stedi import Lakehouse
from stedi.config import CONFIG_FILE
from stedi.jobs.spark_run import main
from tests.commit.lake_checks import same_built_tables
from tests.conftest import customer, deliver, reading, step, write_delivery
from tests.erasure_scan import assert_no_hits, scan_bucket
from tests.moto_server import ACCESS_KEY, REGION, SECRET_KEY

A, B, C, D = "a@x.com", "b@x.com", "c@x.com", "d@x.com"
# A landing file name Spark writes as a URI (%20, %25, %5B, UTF-8 escapes): quarantine names it as delivered.
ODD_NAME = "accelerometer day 1 [50%] é.json"


def first_delivery(folder: Path) -> Path:
    root = write_delivery(
        folder,
        customer=[customer(A, "s-a", consent=100), customer(B, "s-b"), customer(C, "s-c", consent=1000),
                  customer(D, "s-c", consent=100), '{"email": "broken'],
        accelerometer=[reading(A, 500, 1.5, 2.5), reading(A, 600, -1.0), reading(B, 500), reading(C, 1100, 0.25),
                       reading(D, 500), '{"user": "a@x.com", "timestamp": "700", "x": 1, "y": 2, "z": 3}'],
        step_trainer=[step("s-a", 500, 12), step("s-a", 600), step("s-b", 500), step("s-c", 1100), "not json"],
    )
    landing = root / "accelerometer" / "landing"
    (landing / "accelerometer-1.json").rename(landing / ODD_NAME)
    return root


def test_the_glue_job_script_builds_in_s3_what_a_local_lake_holds(  # type: ignore[no-untyped-def]
        spark_s3: str, tmp_path: Path, spark, capsys, monkeypatch) -> None:
    """spark_run.py --lake s3://... (the shared session: started with the jars, as spark-submit
    --jars starts one), a full run and then an incremental one, against DuckDB on a local lake
    (the parity suite holds the engines equal on a local lake)."""
    import boto3

    import stedi.jobs.spark_run

    s3_lake = Lakehouse(f"s3://{spark_s3}/stedi lake", create=True)  # a space: %20 in Spark's URIs
    local = Lakehouse(tmp_path / "local lake", create=True)
    config = Path(local.path) / CONFIG_FILE  # the same pseudonym key, so the same customer_keys
    config.write_text(config.read_text().replace(local.lake.config.pseudonym_key, s3_lake.lake.pseudonym_key))
    local = Lakehouse(local.path)
    delivery = first_delivery(tmp_path / "day-1")
    s3_lake.ingest(delivery)
    local.ingest(delivery)

    cached = spark.sparkContext._jsc.sc().getRDDStorageInfo
    before, while_building = len(cached()), []
    said = stedi.jobs.spark_run._say
    monkeypatch.setattr(stedi.jobs.spark_run, "_say", lambda message: (
        while_building.append(len(cached())) if message.startswith("building ") else None, said(message)))
    assert main(["--lake", s3_lake.path, "--JOB_NAME", "stedi-run"]) == 0
    # Each source's cached lines went once its accepted rows were written: the models read those.
    assert while_building and set(while_building) == {before}
    local.run(engine="duckdb")

    # A later delivery touching known customers: the incremental run finds the files holding
    # their rows by input_file_name() and rewrites them.
    for house in (s3_lake, local):
        deliver(house, tmp_path / house.path.rsplit("/", 1)[-1], 2,
                customer=[customer(A, "s-a", updated=2000, consent=550), customer(C, "s-d", updated=2000, consent=1000)],
                accelerometer=[reading(A, 700, 3.0), reading(C, 1200), "{"], step_trainer=[step("s-a", 700)])
    assert main(["--lake", s3_lake.path]) == 0
    local.run(engine="duckdb")
    out = capsys.readouterr().out
    assert out.count("engine spark") == 2 and "reading 3 new landing file(s)" in out  # incremental in S3 too

    s3_lake = Lakehouse(s3_lake.path)
    built = same_built_tables(s3_lake, local)
    assert built["machine_learning_curated"] > 0 and built["customer_trusted"] == 3
    assert {r["file"] for r in s3_lake.table("quarantine").to_arrow().to_pylist()} == {
        "customer/landing/customer-1.json", f"accelerometer/landing/{ODD_NAME}",
        "step_trainer/landing/step_trainer-1.json", "accelerometer/landing/accelerometer-2.json"}

    # Nothing of Spark's own is left in the bucket (nor an unfinished upload), and no credential.
    s3 = boto3.client("s3", region_name=REGION)
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=spark_s3)
            for o in page.get("Contents", [])]
    assert not [k for k in keys if "_temporary" in k or "_SUCCESS" in k or k.endswith(".crc")]
    assert_no_hits(scan_bucket(s3, spark_s3, "", [ACCESS_KEY, SECRET_KEY]), "the bucket")
