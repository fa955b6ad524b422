"""`stedi forget` on a lake in S3: no object of the bucket holds the person afterwards, not even an
old version kept by the bucket's versioning."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from stedi import Lakehouse
from tests.erasure_scan import assert_no_hits, scan_bucket
from tests.conftest import REPORTS, deliver
from tests.forget.test_erase import ANN, ANN_VALUES, BOB, first_delivery
from tests.moto_server import REGION
from tests.reference import expected_tables

# Runs write their reports here: the scans must find no trace of a forgotten person in them either.
pytestmark = REPORTS


def test_forget_in_a_versioned_bucket_leaves_no_object_holding_her(bucket: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from stedi.pipeline import build

    monkeypatch.setattr(build, "CLUSTER_BYTES", 64)  # tables written in files by customer, in S3 too
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    house = Lakehouse(f"s3://{bucket}/lake", create=True)
    first_delivery(house, tmp_path)
    house.run()
    deliver(house, tmp_path, 2, accelerometer=[{"user": ANN, "timestamp": 700, "x": 1, "y": 2, "z": 3}])
    house.run()
    assert scan_bucket(s3, bucket, "", ANN_VALUES)
    bob_before = sorted(r["timestamp"] for r in house.table("accelerometer_trusted").to_arrow().to_pylist()
                        if r["user"] == BOB)
    report = house.forget([ANN])
    assert_no_hits(scan_bucket(s3, bucket, "", ANN_VALUES), "the bucket after forgetting Ann")
    assert report.old_versions_deleted > 0
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="lake/accelerometer/trusted/data/")["Contents"]]
    assert any("/stedi_bucket=" in key for key in keys)
    after = house.table("accelerometer_trusted").to_arrow().to_pylist()
    assert sorted(r["timestamp"] for r in after if r["user"] == BOB) == bob_before
    assert not any(r["user"] == ANN for r in after)
    # The rewritten landing, read back from the bucket, is what the tables are a full rebuild of.
    landing = tmp_path / "landing-after"
    for key in [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="lake/")["Contents"]]:
        if "/landing/" in key:
            target = landing / key.removeprefix("lake/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    expected = expected_tables(landing, "strict")["accelerometer_trusted"]
    assert sorted((r["user"], r["timestamp"], r["x"], r["y"], r["z"]) for r in after) == expected
