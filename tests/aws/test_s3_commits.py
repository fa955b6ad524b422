"""A lake in S3 keeps every guarantee of a local one: quarantine with file and line, all-or-
nothing runs that remove what they wrote, one writer at a time, deliveries from S3."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from stedi import Lakehouse
from stedi.errors import LakeBusyError, StediError
from stedi.storage import open_storage
from stedi.store.iceberg_store import IcebergStore
from tests.commit.lake_checks import contents, orphans
from tests.conftest import customer, reading, step, write_delivery
from tests.moto_server import REGION

A, B = "a@test.com", "b@test.com"


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    return write_delivery(
        tmp_path / "d",
        customer=[customer(A, "s1", consent=100), '{"email": "broken', customer(B, "s2", consent=100)],
        accelerometer=[reading(A, 50), reading(A, 500), '{"user": "a@test.com", "timestamp": "soon"}', reading(B, 600)],
        step_trainer=[step("s1", 50), step("s1", 500), step("s2", 600)],
    )


@pytest.fixture
def house(bucket: str, delivery: Path) -> Lakehouse:
    house = Lakehouse(f"s3://{bucket}/lake", create=True)
    house.ingest(delivery)
    house.run(consent_policy="any-time")
    return house


def test_the_quarantine_names_the_file_in_the_lake_and_the_line(house: Lakehouse) -> None:
    quarantined = house.query("SELECT source, file, line FROM quarantine ORDER BY source").to_pylist()
    assert quarantined == [
        {"source": "accelerometer", "file": "accelerometer/landing/accelerometer-1.json", "line": 3},
        {"source": "customer", "file": "customer/landing/customer-1.json", "line": 2},
    ]


def glue_columns(house: Lakehouse) -> dict[str, list[dict]]:
    """Each Iceberg table's columns as Glue holds them: what Athena reads."""
    found = boto3.client("glue", region_name=REGION).get_tables(DatabaseName=house.lake.config.glue_database)
    return {t["Name"]: t["StorageDescriptor"]["Columns"] for t in found["TableList"]
            if "metadata_location" in t.get("Parameters", {})}


def test_a_failed_run_leaves_every_table_as_before_and_no_file_behind(house: Lakehouse,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa

    before, columns_before = contents(house), glue_columns(house)
    real, calls, columns_during = IcebergStore.change_contents, [], {}

    def fail_third(self, name, location, schema, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(name)
        if len(calls) == 3:
            columns_during.update(glue_columns(house))
            raise StediError("Glue went away")
        # The run changes each table's schema, as a newer stedi's would: a column more.
        return real(self, name, location, schema.append(pa.field("added_column", pa.string())), *args, **kwargs)

    monkeypatch.setattr(IcebergStore, "change_contents", fail_third)
    with pytest.raises(StediError, match="Glue went away"):
        house.run(consent_policy="strict")  # another policy: every table changes
    monkeypatch.undo()
    reader = Lakehouse(house.path)
    assert contents(reader) == before
    assert orphans(reader) == []
    assert not house.lake.storage.exists("journal.json")
    # Glue is back where it was: the same metadata as the lake's state names.
    state = reader.lake.state()
    assert state is not None
    assert reader.lake.store.metadata_locations() == {n: t.metadata_location for n, t in state.tables.items()}
    # And Glue's columns with it (Athena reads them there), which the run had changed.
    assert columns_during[calls[0]][-1]["Name"] == "added_column"
    assert glue_columns(house) == columns_before


def test_a_second_writer_is_told_who_holds_the_lake(house: Lakehouse) -> None:
    lock = house.lake.storage.writer_lock("run").acquire()
    try:
        with pytest.raises(LakeBusyError, match=r"being written by `stedi run` \(pid \d+ on "):
            Lakehouse(house.path).run()
    finally:
        lock.release()
    assert not house.lake.storage.exists(".lock")


def test_a_delivery_in_s3_is_ingested_from_there(bucket: str, delivery: Path) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    for path in delivery.rglob("*.json"):
        s3.upload_file(str(path), bucket, f"incoming/{path.relative_to(delivery).as_posix()}")
    house = Lakehouse(f"s3://{bucket}/lake", create=True)
    report = house.ingest(f"s3://{bucket}/incoming")
    assert sorted(report.copied) == ["accelerometer/landing/accelerometer-1.json",
                                     "customer/landing/customer-1.json", "step_trainer/landing/step_trainer-1.json"]
    assert house.ingest(f"s3://{bucket}/incoming").unchanged == report.copied  # twice: nothing new
    landing = open_storage(f"s3://{bucket}/lake")
    assert landing.read_bytes("customer/landing/customer-1.json") == (delivery / "customer/landing/customer-1.json").read_bytes()


def test_a_lake_is_not_made_over_other_data(bucket: str, delivery: Path) -> None:
    boto3.client("s3", region_name=REGION).put_object(Bucket=bucket, Key="photos/cat.jpg", Body=b"meow")
    with pytest.raises(StediError, match="not a STEDI lake and not empty"):
        Lakehouse(f"s3://{bucket}/photos", create=True)


def test_a_lake_that_cannot_be_made_leaves_no_key_and_no_config(bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from stedi.aws.secrets import secret_name
    from stedi.store.glue_catalog import GlueCatalog

    def no_glue(self, tables, dry_run=False):  # type: ignore[no-untyped-def]
        raise StediError("Glue database: access denied")

    monkeypatch.setattr(GlueCatalog, "register_landing", no_glue)
    lake = f"s3://{bucket}/lake"
    with pytest.raises(StediError, match="access denied"):
        Lakehouse(lake, create=True)
    secrets = boto3.client("secretsmanager", region_name=REGION).list_secrets()["SecretList"]
    assert secret_name(lake) not in {s["Name"] for s in secrets}
    assert boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_a_file_read_line_by_line_is_named_by_its_place_in_the_lake(bucket: str, tmp_path: Path) -> None:
    """A record pretty-printed over three lines sends its file down the exact path; its lines are
    still named by the lake's file (never the local copy the run parsed) and their numbers."""
    delivery = write_delivery(
        tmp_path / "hostile",
        customer=[customer(A, "s1", consent=100)],
        accelerometer=[reading(A, 500), '{"user": "a@test.com",', '  "timestamp": 600,', '  "x": 1, "y": 2, "z": 3}'],
        step_trainer=[step("s1", 500)],
    )
    house = Lakehouse(f"s3://{bucket}/lake", create=True)
    house.ingest(delivery)
    house.run()
    quarantined = house.query("SELECT file, line FROM quarantine ORDER BY line").to_pylist()
    assert quarantined == [{"file": "accelerometer/landing/accelerometer-1.json", "line": n} for n in (2, 3, 4)]
    assert house.query("SELECT count(*) AS n FROM accelerometer_landing").to_pylist() == [{"n": 1}]
