"""Purging the old object versions of a lake in a versioned bucket, against moto's server, on a
few hand-made objects: every key's result of DeleteObjects is checked, so a version the bucket
refused to delete is never counted as gone."""

from __future__ import annotations

import json

import boto3
import pytest

from stedi.errors import StediError
from stedi.storage.s3 import S3Storage
from stedi.storage.s3_versions import VersionsLeft
from tests.moto_server import REGION


def deny_deleting(bucket: str, key: str) -> dict:
    """A bucket policy refusing to delete one key's versions. AWS checks s3:DeleteObjectVersion
    for a delete naming a version; moto checks each key of a DeleteObjects against the bucket
    policy as s3:DeleteObject (and answers HTTP 200 with the key in Errors, as AWS does)."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
        "Resource": f"arn:aws:s3:::{bucket}/{key}"}]}


@pytest.fixture
def versioned(bucket: str) -> tuple[object, str, dict[str, list[str]]]:
    """lake/a.json and lake/b.json written twice each, b.json then deleted; outside/c.json twice.
    Returns the client, the bucket, and each key's version ids, oldest first."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    versions: dict[str, list[str]] = {}
    for key in ("lake/a.json", "lake/b.json", "outside/c.json"):
        for body in (b"old", b"new"):
            versions.setdefault(key, []).append(s3.put_object(Bucket=bucket, Key=key, Body=body)["VersionId"])
    versions["lake/b.json"].append(s3.delete_object(Bucket=bucket, Key="lake/b.json")["VersionId"])  # a marker
    return s3, bucket, versions


def kept(s3, bucket: str) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    answer = s3.list_object_versions(Bucket=bucket)
    return {(v["Key"], v["VersionId"]) for v in answer.get("Versions", []) + answer.get("DeleteMarkers", [])}


def test_every_old_version_under_the_prefix_goes_and_is_counted(versioned) -> None:  # type: ignore[no-untyped-def]
    s3, bucket, versions = versioned
    # a.json's old version; b.json's two versions and the marker hiding them; nothing outside the prefix.
    assert S3Storage(bucket, "lake").purge_old_versions() == 4
    assert kept(s3, bucket) == {("lake/a.json", versions["lake/a.json"][1]),
                                *(("outside/c.json", v) for v in versions["outside/c.json"])}


def test_a_version_the_bucket_refuses_to_delete_fails_the_purge_in_one_line(versioned) -> None:  # type: ignore[no-untyped-def]
    s3, bucket, versions = versioned
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny_deleting(bucket, "lake/a.json")))
    with pytest.raises(VersionsLeft) as raised:
        S3Storage(bucket, "lake").purge_old_versions()
    old = versions["lake/a.json"][0]
    assert str(raised.value) == (f"s3://{bucket}/lake/a.json (version {old}): old version not deleted: access "
                                 "denied (deleting an old version needs s3:DeleteObjectVersion on it)")
    assert (raised.value.deleted, raised.value.left) == (3, 1)  # b.json's three went; a.json's old one is left
    assert ("lake/a.json", old) in kept(s3, bucket)
    assert not any(key == "lake/b.json" for key, _ in kept(s3, bucket))


def test_several_versions_refused_are_counted_in_the_one_line(versioned) -> None:  # type: ignore[no-untyped-def]
    s3, bucket, _ = versioned
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny_deleting(bucket, "lake/*")))
    with pytest.raises(VersionsLeft, match=r"; 3 more old version\(s\) not deleted either$") as raised:
        S3Storage(bucket, "lake").purge_old_versions()
    assert (raised.value.deleted, raised.value.left) == (0, 4)
    assert "\n" not in str(raised.value)


def test_a_bucket_that_never_kept_versions_has_none_to_purge(bucket: str) -> None:
    boto3.client("s3", region_name=REGION).put_object(Bucket=bucket, Key="lake/a.json", Body=b"x")
    assert S3Storage(bucket, "lake").purge_old_versions() == 0


def test_a_refused_listing_names_the_permission(versioned, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """What AWS answers without s3:ListBucketVersions (the IAM tests check it on moto's IAM)."""
    from botocore.exceptions import ClientError

    from stedi.aws.session import session

    _, bucket, _ = versioned

    def denied(**call):  # type: ignore[no-untyped-def]
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "ListObjectVersions")

    monkeypatch.setattr(session().client("s3"), "list_object_versions", denied)
    with pytest.raises(StediError) as raised:
        S3Storage(bucket, "lake").purge_old_versions()
    assert str(raised.value) == (f"s3://{bucket}/lake: cannot list the old object versions: access denied "
                                 f"(needs s3:ListBucketVersions on arn:aws:s3:::{bucket})")
