"""The whole cycle on a lake in S3, against moto's server: the same tables as a local lake,
the tables in Glue for Athena, the key in Secrets Manager, no credential anywhere."""

from __future__ import annotations

import gzip
from pathlib import Path

import boto3
import duckdb
import pytest

from stedi import Lakehouse
from stedi.cli.main import main
from stedi.config import CONFIG_FILE
from tests.commit.lake_checks import rows
from tests.conftest import STARTER
from tests.moto_server import ACCESS_KEY, REGION, SECRET_KEY, aws_environment, new_bucket

pytestmark = pytest.mark.skipif(not STARTER.is_dir(), reason="starter data not present at ../shared/data/stedi")

STORED = ("customer_trusted", "accelerometer_trusted", "step_trainer_trusted", "customer_curated",
          "machine_learning_curated", "quarantine", "customer_accepted", "accelerometer_accepted",
          "step_trainer_accepted")
LANDING = ("customer_landing", "accelerometer_landing", "step_trainer_landing")


@pytest.fixture(scope="module")
def lakes(moto_server, tmp_path_factory: pytest.TempPathFactory):
    """The starter data ingested into a lake in S3 and into a local lake with the same key."""
    scratch = tmp_path_factory.mktemp("s3-lake")
    with aws_environment(moto_server, scratch):
        bucket = new_bucket()
        s3_lake = f"s3://{bucket}/stedi"
        assert main(["ingest", str(STARTER), "--lake", s3_lake]) == 0
        local = Lakehouse(scratch / "local", create=True)
        key = secret_value(s3_lake)
        text = (Path(local.path) / CONFIG_FILE).read_text()
        (Path(local.path) / CONFIG_FILE).write_text(text.replace(local.lake.config.pseudonym_key, key))
        local = Lakehouse(local.path)
        local.ingest(STARTER)
        yield bucket, Lakehouse(s3_lake), local


def secret_value(lake: str) -> str:
    from stedi.aws.secrets import secret_name

    return boto3.client("secretsmanager", region_name=REGION).get_secret_value(SecretId=secret_name(lake))["SecretString"]


def all_objects(bucket: str) -> dict[str, bytes]:
    s3 = boto3.client("s3", region_name=REGION)
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            found[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return found


def decoded(data: bytes) -> bytes:
    """An object's bytes as a reader would see them too (gzip-compressed metadata unpacked)."""
    if data[:2] == b"\x1f\x8b":
        return data + gzip.decompress(data)
    return data


@pytest.mark.parametrize("policy", ["strict", "any-time"])
def test_every_table_equals_the_same_run_on_a_local_lake(lakes, moto_server, tmp_path: Path, policy: str) -> None:
    bucket, s3_house, local = lakes
    with aws_environment(moto_server, tmp_path):
        assert main(["run", "--lake", s3_house.path, "--consent-policy", policy]) == 0
        local.run(consent_policy=policy)
        counts = {t.name: t.rows for t in s3_house.tables()}
        assert counts == {t.name: t.rows for t in local.tables()}
        assert counts["machine_learning_curated"] == {"strict": 32025, "any-time": 40981}[policy]
        # The same key: the same customer_keys, row for row.
        assert rows(s3_house, "machine_learning_curated") == rows(local, "machine_learning_curated")
        assert rows(s3_house, "customer_curated") == rows(local, "customer_curated")


def test_the_layout_in_s3_is_the_layout_on_disk(lakes, moto_server, tmp_path: Path) -> None:
    bucket, s3_house, local = lakes
    with aws_environment(moto_server, tmp_path):
        s3_house.run()
        local.run()
        in_s3 = {key.removeprefix("stedi/").rsplit("/", 1)[0] for key in all_objects(bucket)}
        on_disk = {str(p.parent.relative_to(local.path)) for p in Path(local.path).rglob("*") if p.is_file()}
    zones = {"customer/landing", "accelerometer/landing", "step_trainer/landing", "customer/trusted/metadata",
             "accelerometer/trusted/metadata", "step_trainer/trusted/metadata", "customer/curated/metadata",
             "step_trainer/curated/metadata", "quarantine/metadata", "runs"}
    assert zones <= in_s3 and zones <= on_disk
    assert {f.split("/data/")[0] for f in in_s3 if "/data/" in f} == {f.split("/data/")[0] for f in on_disk if "/data/" in f}


def test_glue_holds_the_database_the_iceberg_tables_and_the_landing_tables(lakes, moto_server, tmp_path: Path) -> None:
    bucket, s3_house, _ = lakes
    with aws_environment(moto_server, tmp_path):
        s3_house.run()
        glue = boto3.client("glue", region_name=REGION)
        tables = {t["Name"]: t for t in glue.get_tables(DatabaseName="stedi")["TableList"]}
        state = s3_house.lake.state()
    assert state is not None
    assert set(tables) == set(STORED) | set(LANDING)
    for name in STORED:  # Athena reads exactly the snapshot readers of the lake read
        assert tables[name]["Parameters"]["table_type"].upper() == "ICEBERG"
        assert tables[name]["Parameters"]["metadata_location"] == state.tables[name].metadata_location
    for name, folder in zip(LANDING, ("customer", "accelerometer", "step_trainer")):
        landing = tables[name]
        assert landing["TableType"] == "EXTERNAL_TABLE"
        assert landing["StorageDescriptor"]["Location"] == f"s3://{bucket}/stedi/{folder}/landing/"
        assert landing["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    columns = [c["Name"] for c in tables["step_trainer_landing"]["StorageDescriptor"]["Columns"]]
    assert columns == ["sensorreadingtime", "serialnumber", "distancefromobject"]


def test_the_pseudonym_key_is_in_secrets_manager_and_nowhere_in_the_bucket(lakes, moto_server, tmp_path: Path) -> None:
    bucket, s3_house, _ = lakes
    with aws_environment(moto_server, tmp_path):
        s3_house.run()
        key = secret_value(s3_house.path)
        objects = all_objects(bucket)
    assert len(key) == 64 and int(key, 16)
    assert b"pseudonym_key" not in objects[f"stedi/{CONFIG_FILE}"]
    found = [name for name, data in objects.items() if key.encode() in decoded(data) or key.upper().encode() in decoded(data)]
    assert found == []


def test_no_object_in_the_bucket_holds_a_credential(lakes, moto_server, tmp_path: Path) -> None:
    bucket, s3_house, _ = lakes
    with aws_environment(moto_server, tmp_path):
        s3_house.run(consent_policy="any-time")
        s3_house.query("SELECT count(*) FROM accelerometer_landing")
        objects = all_objects(bucket)
    assert len(objects) > 30
    for secret in (ACCESS_KEY, SECRET_KEY):
        assert [name for name, data in objects.items() if secret.encode() in decoded(data)] == []


def test_the_python_api_and_the_cli_read_the_lake_in_s3(lakes, moto_server, tmp_path: Path, capsys,
                                                         reports_on: None) -> None:
    bucket, s3_house, _ = lakes
    with aws_environment(moto_server, tmp_path):
        Lakehouse(s3_house.path).run(consent_policy="strict")  # (reports on: the module's lake has them off)
        frame = Lakehouse(s3_house.path).table("machine_learning_curated").to_pandas()
        assert len(frame) == 32025
        # A connection of one's own reads the S3 lake through the storage's client, holds no
        # credential of it, and cannot write into the bucket.
        con = Lakehouse(s3_house.path).connect()
        con.register("labels", frame[["customer_key"]].drop_duplicates().head(3).assign(label=1))
        assert con.execute("SELECT count(*) FROM machine_learning_curated JOIN labels USING (customer_key)"
                           ).fetchone()[0] == int(frame["customer_key"].isin(frame["customer_key"].unique()[:3]).sum())
        assert SECRET_KEY not in str(con.execute("SELECT value FROM duckdb_settings()").fetchall())
        before = all_objects(bucket)
        with pytest.raises(duckdb.Error):
            con.execute(f"COPY (SELECT 1) TO 's3://{bucket}/stedi/step_trainer/curated/x.parquet'")
        con.close()
        assert all_objects(bucket) == before
        capsys.readouterr()
        assert main(["query", "SELECT count(*) AS n FROM customer_landing", "--lake", s3_house.path,
                     "--format", "csv"]) == 0
        assert capsys.readouterr().out == "n\n956\n"
        assert main(["ddl", "--lake", s3_house.path]) == 0
        ddl = capsys.readouterr().out
        # The run's report is in the bucket; `stedi report` brings it out as a local file.
        assert main(["report", "--lake", s3_house.path]) == 0
        kept = capsys.readouterr().out.strip()
        assert kept.startswith(f"s3://{bucket}/stedi/reports/") and kept.endswith(".html")
        assert main(["report", "--lake", s3_house.path, "--out", str(tmp_path / "r.html")]) == 0
        page = (tmp_path / "r.html").read_text()
        assert 'data-rows-of="machine_learning_curated">32,025<' in page
    assert f"LOCATION 's3://{bucket}/stedi/step_trainer/curated/'" in ddl
