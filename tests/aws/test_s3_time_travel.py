"""Time travel on a lake in S3 (moto's server): DuckDB and pyiceberg read a past snapshot's files there."""

from __future__ import annotations

from pathlib import Path

from stedi import Lakehouse
from tests.test_time_travel import ACCELEROMETER, RUN_1, RUN_2, first_delivery, rows


def test_as_of_a_run_reads_its_rows_in_s3(bucket: str, tmp_path: Path) -> None:
    house = Lakehouse(f"s3://{bucket}/stedi", create=True)
    first_delivery(house, tmp_path / "d")
    runs = [house.run(consent_policy=policy).run_id for policy in ("strict", "any-time")]
    assert rows(house, runs[0]) == RUN_1 and rows(house, runs[1]) == rows(house) == RUN_2
    table = house.table("accelerometer_trusted", as_of=runs[0]).to_arrow()
    assert sorted((r["user"], r["timestamp"]) for r in table.to_pylist()) == RUN_1[ACCELEROMETER]
    assert rows(house, house.as_of(runs[0]).moment_ms + 1) == RUN_1
