"""`stedi aws deploy` as the tests run it: through the CLI, gathering the job's wheels offline from
what `make glue-wheels` fetched; and what the tests read back from moto's server."""

from __future__ import annotations

from typing import Any

import boto3

from stedi.cli.main import main
from tests.aws.glue_env import wheel_cache
from tests.moto_server import REGION

ROLE = "arn:aws:iam::123456789012:role/stedi-glue"


def deploy(capsys, *args: str) -> tuple[int, list[str], str]:
    capsys.readouterr()
    code = main(["aws", "deploy", *args, "--wheelhouse", str(wheel_cache() / "glue")])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def objects(bucket: str) -> dict[str, dict[str, Any]]:
    listed = client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: {"ETag": o["ETag"], "LastModified": o["LastModified"]} for o in listed}


def empty(bucket: str) -> None:
    """Each deploy puts a zip of ~170 MB: a test empties its bucket after, so moto does not keep
    them all for the session."""
    s3 = client("s3")
    for listed in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in listed.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
