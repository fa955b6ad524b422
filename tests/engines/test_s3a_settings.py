"""S3A's settings for a lake's bucket come from the standard AWS chain, as DuckDB's and pyarrow's
do: the user's endpoint with path-style addressing, or AWS's own for the region; the frozen
credentials, with the provider that takes a session token where there is one. No JVM here."""

from __future__ import annotations

import pytest

from stedi.aws import session
from stedi.engines.spark_s3 import missing_jars, s3a_settings
from tests.moto_server import ACCESS_KEY, SECRET_KEY


def test_at_a_custom_endpoint_path_style_and_plain_http(aws) -> None:  # type: ignore[no-untyped-def]
    settings = s3a_settings()
    assert settings == {
        "endpoint": aws.endpoint, "endpoint.region": "eu-west-1", "connection.ssl.enabled": "false",
        "path.style.access": "true", "access.key": ACCESS_KEY, "secret.key": SECRET_KEY,
        "fast.upload.buffer": "bytebuffer",
        "aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
    }


def test_on_aws_the_region_s_endpoint_and_a_session_token(aws, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token-of-a-role")
    session.reset()
    settings = s3a_settings()
    assert (settings["endpoint"], settings["endpoint.region"]) == ("https://s3.ap-southeast-2.amazonaws.com",
                                                                  "ap-southeast-2")
    assert (settings["connection.ssl.enabled"], settings["path.style.access"]) == ("true", "false")
    assert settings["session.token"] == "token-of-a-role"
    assert settings["aws.credentials.provider"] == "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"


def test_the_missing_jars_are_named_for_spark_s_hadoop() -> None:
    assert "give Spark hadoop-aws-3.3.4.jar and aws-java-sdk-bundle-1.12.262.jar from Maven Central" in \
        missing_jars("s3://b/lake", "3.3.4")
    # A Hadoop whose SDK bundle is not known here: the POM says which.
    assert "hadoop-aws-3.4.1.jar and the aws-java-sdk-bundle its POM names" in missing_jars("s3://b/lake", "3.4.1")
