"""The fault proxy itself: every client the product uses (botocore, DuckDB's httpfs, pyarrow's
S3) passes through it unchanged, and each fault does what it says."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from stedi.aws.session import session
from tests.aws.fault_proxy import request_to
from tests.moto_server import REGION, new_bucket


def client(retries: int = 1):
    return boto3.client("s3", region_name=REGION, config=Config(retries={"total_max_attempts": retries, "mode": "standard"}))


def test_every_client_of_the_product_passes_through_unchanged(proxy) -> None:
    import duckdb

    bucket = new_bucket()
    s3 = client()
    s3.put_object(Bucket=bucket, Key="a/one.json", Body=b'{"x": 1}\n')
    assert s3.get_object(Bucket=bucket, Key="a/one.json")["Body"].read() == b'{"x": 1}\n'

    fs = session().pyarrow_s3()
    with fs.open_output_stream(f"{bucket}/a/two.json") as out:
        out.write(b'{"x": 2}\n')
    with fs.open_input_stream(f"{bucket}/a/two.json") as stream:
        assert stream.read() == b'{"x": 2}\n'

    from stedi.storage.s3_duckdb import httpfs_extension
    con = duckdb.connect()
    con.execute(f"LOAD '{httpfs_extension()}'")
    con.execute(session().duckdb_secret(bucket))
    assert con.sql(f"SELECT sum(x) FROM read_json('s3://{bucket}/a/*.json')").fetchone() == (3,)
    assert {method for method, _, _ in proxy.seen} >= {"PUT", "GET"}


def test_a_slow_down_is_answered_without_reaching_moto(proxy) -> None:
    bucket = new_bucket()
    proxy.add("slow_down", request_to("PUT", path_contains="/slow"))
    with pytest.raises(Exception, match="SlowDown"):
        client().put_object(Bucket=bucket, Key="slow", Body=b"x")
    assert "Contents" not in client().list_objects_v2(Bucket=bucket)
    client().put_object(Bucket=bucket, Key="slow", Body=b"x")  # the fault was for once
    assert [o["Key"] for o in client().list_objects_v2(Bucket=bucket)["Contents"]] == ["slow"]


def test_a_reset_before_the_request_changes_nothing(proxy) -> None:
    bucket = new_bucket()
    proxy.add("reset", request_to("PUT", path_contains="/cut"))
    with pytest.raises(Exception):
        client().put_object(Bucket=bucket, Key="cut", Body=b"x")
    assert "Contents" not in client().list_objects_v2(Bucket=bucket)


def test_a_lost_answer_leaves_the_request_done(proxy) -> None:
    bucket = new_bucket()
    proxy.add("lose_answer", request_to("PUT", path_contains="/lost"))
    with pytest.raises(Exception):
        client().put_object(Bucket=bucket, Key="lost", Body=b"done")
    assert client().get_object(Bucket=bucket, Key="lost")["Body"].read() == b"done"


def test_a_share_of_requests_is_repeatable(proxy) -> None:
    bucket = new_bucket()
    proxy.add("slow_down", request_to("HEAD"), times=None, probability=0.5)
    outcomes = []
    for _ in range(20):
        try:
            client().head_bucket(Bucket=bucket)
            outcomes.append(True)
        except Exception:
            outcomes.append(False)
    assert 0 < outcomes.count(False) < 20


def test_a_paused_request_waits_for_its_release(proxy) -> None:
    import threading

    bucket = new_bucket()
    fault = proxy.add("pause", request_to("PUT", path_contains="/held"))
    writer = threading.Thread(target=lambda: client().put_object(Bucket=bucket, Key="held", Body=b"x"))
    writer.start()
    writer.join(1.0)
    assert writer.is_alive() and "Contents" not in client().list_objects_v2(Bucket=bucket)
    fault.release()
    writer.join(30)
    assert [o["Key"] for o in client().list_objects_v2(Bucket=bucket)["Contents"]] == ["held"]


def test_a_bucket_placed_in_a_region_refuses_requests_signed_for_another(proxy) -> None:
    bucket = new_bucket()
    proxy.place_bucket(bucket, "us-west-2")
    boto3.client("s3", region_name="us-west-2").list_objects_v2(Bucket=bucket)
    assert proxy.seen[-1][2] is None
    # botocore follows S3's answer, signing again for the region it names.
    boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=bucket)
    assert [fault for _, _, fault in proxy.seen[-2:]] == ["wrong_region", None]
