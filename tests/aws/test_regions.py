"""A bucket in another region than the session's: the lake asks S3 where the bucket is and
every S3 client of the lake (botocore, DuckDB, pyarrow, pyiceberg's) signs for that region. The
fault proxy refuses, as S3 does, any request to the bucket signed for another region."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from stedi import Lakehouse
from stedi.aws import session
from stedi.cli.main import main
from stedi.generate import generate
from tests.moto_server import REGION, new_bucket_name

ELSEWHERE = "us-west-2"


def test_a_lake_in_a_bucket_of_another_region_ingests_runs_and_reads(proxy, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    assert REGION != ELSEWHERE
    bucket = new_bucket_name()
    boto3.client("s3", region_name=ELSEWHERE).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": ELSEWHERE})
    proxy.place_bucket(bucket, ELSEWHERE)
    monkeypatch.setenv("STEDI_GLUE_DATABASE", bucket.replace("-", "_"))
    monkeypatch.setenv("STEDI_AWS_RETRY_WAITS", "short")
    generate(tmp_path / "delivery", customers=5, seed=3)
    lake = f"s3://{bucket}/lake"
    assert main(["ingest", str(tmp_path / "delivery"), "--lake", lake]) == 0
    assert main(["run", "--lake", lake]) == 0
    assert main(["query", "SELECT count(*) AS n FROM customer_trusted", "--lake", lake, "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert "error" not in err and "warning" not in err, err
    assert int(out.splitlines()[-1]) == sum(t.rows for t in Lakehouse(lake).tables() if t.name == "customer_trusted")
    # Every library signed for the bucket's region: at most the first question was refused.
    refused = [target for _, target, fault in proxy.seen if fault == "wrong_region"]
    assert len(refused) <= 1, refused
    assert session.session().bucket_region(bucket) == ELSEWHERE and session.session().region == REGION
