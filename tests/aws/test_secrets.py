"""The pseudonym key of a lake in S3, in Secrets Manager on moto's server."""

from __future__ import annotations

import re

import boto3
import pytest

from stedi.aws.secrets import create_pseudonym_key, read_pseudonym_key, secret_name
from stedi.errors import StediError
from tests.moto_server import ACCESS_KEY, REGION, SECRET_KEY

VALID_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")


@pytest.fixture
def secretsmanager(aws):
    return boto3.client("secretsmanager", region_name=REGION)


@pytest.fixture
def lake(bucket) -> str:
    return f"s3://{bucket}/stedi"


def test_secret_names_follow_the_lake_and_are_valid() -> None:
    assert secret_name("s3://my-bucket/data/stedi") == "stedi/lake/my-bucket/data/stedi"
    assert secret_name("s3://my-bucket/data/stedi/") == "stedi/lake/my-bucket/data/stedi"
    assert secret_name("s3://my-bucket") == "stedi/lake/my-bucket"
    odd = [secret_name("s3://b/a b"), secret_name("s3://b/a_b"), secret_name("s3://b/a#b"),
           secret_name("s3://b/" + "x" * 600), secret_name("s3://b/" + "x" * 601)]
    assert all(VALID_NAME.fullmatch(name) for name in odd)
    assert len(set(odd)) == len(odd)  # sanitised or cut, two lakes never share a secret
    assert odd[0].startswith("stedi/lake/b/a_b-") and odd[1] == "stedi/lake/b/a_b"
    assert secret_name("s3://b/a b") == odd[0]  # deterministic


def test_a_new_lake_gets_a_key_and_keeps_it(secretsmanager, lake) -> None:
    create_pseudonym_key(lake)
    key = read_pseudonym_key(lake)
    assert re.fullmatch(r"[0-9a-f]{64}", key)

    described = secretsmanager.describe_secret(SecretId=secret_name(lake))
    assert lake in described["Description"] and key not in described["Description"]
    assert {"Key": "stedi:lake", "Value": lake} in described["Tags"]

    create_pseudonym_key(lake)  # the lake recreated at the same place
    assert read_pseudonym_key(lake) == key
    create_pseudonym_key(lake + "/other")  # another lake, another key
    assert read_pseudonym_key(lake + "/other") != key


def test_a_missing_key_is_one_line_naming_the_secret(aws, lake) -> None:
    with pytest.raises(StediError) as missing:
        read_pseudonym_key(lake)
    assert str(missing.value) == (
        f"{lake}: its pseudonym key is missing from AWS Secrets Manager (secret {secret_name(lake)}); "
        "restore it, or the customer_keys of this lake cannot be reproduced")


@pytest.mark.parametrize("stored", ["not-a-key-Zx81", "G" * 64, "0" * 63, "0" * 64 + "\n"])
def test_a_malformed_key_is_refused_without_showing_it(secretsmanager, lake, stored) -> None:
    secretsmanager.create_secret(Name=secret_name(lake), SecretString=stored)
    for action in (read_pseudonym_key, create_pseudonym_key):
        with pytest.raises(StediError) as malformed:
            action(lake)
        message = str(malformed.value)
        assert "is not 64 hexadecimal characters" in message and secret_name(lake) in message
        assert stored.strip() not in message and "\n" not in message
    assert secretsmanager.get_secret_value(SecretId=secret_name(lake))["SecretString"] == stored  # kept as is


def test_a_binary_secret_is_malformed(secretsmanager, lake) -> None:
    secretsmanager.create_secret(Name=secret_name(lake), SecretBinary=b"\x00" * 32)
    with pytest.raises(StediError, match="is not 64 hexadecimal characters"):
        read_pseudonym_key(lake)


def test_a_key_scheduled_for_deletion_says_how_to_restore_it(secretsmanager, lake) -> None:
    create_pseudonym_key(lake)
    key = read_pseudonym_key(lake)
    secretsmanager.delete_secret(SecretId=secret_name(lake), RecoveryWindowInDays=7)
    for action in (read_pseudonym_key, create_pseudonym_key):
        with pytest.raises(StediError) as deleted:
            action(lake)
        message = str(deleted.value)
        assert "scheduled for deletion" in message and f"restore-secret --secret-id {secret_name(lake)}" in message
        assert key not in message


def test_service_failures_are_one_line_without_credentials(aws, lake, monkeypatch) -> None:
    from stedi.aws import session

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing answers there
    session.reset()
    for action in (read_pseudonym_key, create_pseudonym_key):
        with pytest.raises(StediError) as failed:
            action(lake)
        message = str(failed.value)
        assert message.startswith(f"{lake}: its pseudonym key (AWS Secrets Manager secret {secret_name(lake)}): "
                                  "cannot reach") and "\n" not in message
        assert ACCESS_KEY not in message and SECRET_KEY not in message
