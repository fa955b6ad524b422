"""A lake in S3 is read without pyiceberg too (stedi/store/snapshot_files.py): the snapshots
record s3:// URIs, and what a reader reads from them is what pyiceberg lists."""

from __future__ import annotations

from pathlib import Path

from stedi import Lakehouse
from stedi.store.iceberg_store import IcebergStore
from stedi.store.snapshot_files import current_snapshot
from tests.conftest import customer, reading, step, write_delivery


def test_an_s3_lake_reads_its_recorded_files(bucket: str, tmp_path: Path) -> None:
    house = Lakehouse(f"s3://{bucket}/fast", create=True)
    house.ingest(write_delivery(tmp_path / "d", customer=[customer("a@test.com", "s1", consent=100)],
                                accelerometer=[reading("a@test.com", 500)], step_trainer=[step("s1", 500)]))
    house.run()
    location = house.committed_locations()["machine_learning_curated"]
    recorded = current_snapshot(house.lake.storage, location)
    assert recorded is not None and recorded.files and all(f.startswith(f"s3://{bucket}/fast/") for f in recorded.files)
    assert sorted(recorded.files) == sorted(IcebergStore.data_files("machine_learning_curated",
                                                                    house.open_table(location)))
    assert house.query_rows("SELECT count(*) AS n FROM machine_learning_curated") == (["n"], [(1,)])
    assert len(house.table("machine_learning_curated").to_arrow()) == 1
