"""Credentials, region and endpoints come from the standard AWS chain, and only from there."""

from __future__ import annotations

from pathlib import Path

import pytest

from stedi.aws.session import AwsSession
from stedi.errors import StediError
from tests.moto_server import ACCESS_KEY, SECRET_KEY


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No AWS variable of the developer's, and empty AWS config files."""
    import os

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance role to look for here
    return monkeypatch


def test_the_region_comes_from_aws_region_then_the_default_then_the_profile(clean, tmp_path: Path) -> None:
    (tmp_path / "config").write_text("[default]\nregion = ap-south-1\n")
    assert AwsSession().region == "ap-south-1"
    clean.setenv("AWS_DEFAULT_REGION", "us-west-2")
    assert AwsSession().region == "us-west-2"
    clean.setenv("AWS_REGION", "eu-central-1")
    assert AwsSession().region == "eu-central-1"


def test_no_region_is_one_line_saying_what_to_set(clean) -> None:
    with pytest.raises(StediError, match="no AWS region: set AWS_REGION"):
        AwsSession().region


def test_credentials_come_from_a_profile_too(clean, tmp_path: Path) -> None:
    (tmp_path / "credentials").write_text(f"[lab]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n")
    clean.setenv("AWS_PROFILE", "lab")
    assert AwsSession().credentials().access_key == ACCESS_KEY


def test_no_credentials_is_one_line_saying_what_to_set(clean) -> None:
    clean.setenv("AWS_REGION", "eu-west-1")
    with pytest.raises(StediError, match="no AWS credentials found: set AWS_ACCESS_KEY_ID") as raised:
        AwsSession().credentials()
    assert "\n" not in str(raised.value)


def test_endpoints_per_service_win_over_the_general_one(clean) -> None:
    clean.setenv("AWS_REGION", "eu-west-1")
    clean.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    clean.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000")
    aws = AwsSession()
    assert aws.endpoint("s3").url == "http://127.0.0.1:9000"
    assert aws.endpoint("glue").url == "http://127.0.0.1:4566"
    assert aws.endpoint("secretsmanager").url == "http://127.0.0.1:4566"


def test_without_an_endpoint_aws_itself_is_used(clean) -> None:
    clean.setenv("AWS_REGION", "eu-west-1")
    clean.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    clean.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    aws = AwsSession()
    assert aws.endpoint("s3").url is None and aws.endpoint("glue").url is None
    secret = aws.duckdb_secret("my-bucket")
    assert "ENDPOINT" not in secret and "USE_SSL" not in secret and "REGION 'eu-west-1'" in secret
    assert "s3.endpoint" not in aws.pyiceberg_properties()


def test_a_custom_endpoint_reaches_duckdb_pyarrow_and_pyiceberg(clean) -> None:
    clean.setenv("AWS_REGION", "eu-west-1")
    clean.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    clean.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    clean.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")
    aws = AwsSession()
    secret = aws.duckdb_secret("my-bucket")
    assert "ENDPOINT '127.0.0.1:9000'" in secret and "URL_STYLE 'path'" in secret and "USE_SSL false" in secret
    assert "SCOPE 's3://my-bucket'" in secret
    assert aws.pyiceberg_properties()["s3.endpoint"] == aws.client("glue").meta.endpoint_url == "http://127.0.0.1:9000"
    assert aws.pyarrow_s3().region == "eu-west-1"
