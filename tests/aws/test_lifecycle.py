"""The bucket rule that aborts incomplete multipart uploads under the lake, against moto's
server: added once, left alone after, corrected where it differs, never at the cost of a rule
the bucket's owner made (S3 replaces a bucket's lifecycle configuration whole)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from stedi.deploy.lifecycle import ensure_rule
from stedi.storage.s3 import S3Storage
from tests.moto_server import REGION

OWNERS_RULES = [
    {"ID": "expire-logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}},
    {"ID": "old-versions", "Status": "Disabled", "Filter": {"Prefix": ""},
     "NoncurrentVersionExpiration": {"NoncurrentDays": 90}},
]


def rules(bucket: str) -> list[dict[str, Any]]:
    s3 = boto3.client("s3", region_name=REGION)
    try:
        return s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    except s3.exceptions.ClientError:
        return []


def ours(prefix: str) -> dict[str, Any]:
    return {"ID": f"stedi-abort-incomplete-uploads:{prefix}", "Status": "Enabled", "Filter": {"Prefix": prefix},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}


def test_added_once_then_left_alone(bucket: str) -> None:
    lake = S3Storage(bucket, "stedi")
    assert ensure_rule(lake, dry_run=True) == "created" and rules(bucket) == []
    assert ensure_rule(lake) == "created"
    assert rules(bucket) == [ours("stedi/")]
    assert ensure_rule(lake) == "unchanged"


@pytest.mark.parametrize("hand_edited", [False, True])
def test_the_owners_rules_are_kept_as_they_are(bucket: str, hand_edited: bool) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    edited = {**ours("stedi/"), "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 30}}
    given = [*OWNERS_RULES, edited] if hand_edited else OWNERS_RULES
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": given})
    lake = S3Storage(bucket, "stedi")
    assert ensure_rule(lake, dry_run=True) == ("updated" if hand_edited else "created")
    assert rules(bucket) == given  # a dry run writes nothing
    assert ensure_rule(lake) == ("updated" if hand_edited else "created")
    assert rules(bucket) == [*OWNERS_RULES, ours("stedi/")]
    assert ensure_rule(lake) == "unchanged"


def test_two_lakes_in_a_bucket_have_a_rule_each(bucket: str) -> None:
    assert ensure_rule(S3Storage(bucket, "prod/lake")) == "created"
    assert ensure_rule(S3Storage(bucket, "test")) == "created"
    assert ensure_rule(S3Storage(bucket, "prod/lake")) == "unchanged"
    assert rules(bucket) == [ours("prod/lake/"), ours("test/")]


def test_a_lake_at_the_bucket_root_covers_the_bucket(bucket: str) -> None:
    assert ensure_rule(S3Storage(bucket, "")) == "created"
    assert rules(bucket) == [ours("")]
