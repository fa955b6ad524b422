"""AWS the standard way: credentials, region and endpoints as boto3 resolves them.

Credentials come only from the standard chain (environment, shared config and profiles,
instance or container role); the region from AWS_REGION, AWS_DEFAULT_REGION or the
profile; endpoints from AWS_ENDPOINT_URL and the per-service AWS_ENDPOINT_URL_S3,
AWS_ENDPOINT_URL_GLUE, AWS_ENDPOINT_URL_SECRETS_MANAGER (or the profile), so one lake
works against AWS, LocalStack, MinIO or moto. The other libraries (pyarrow, DuckDB,
pyiceberg) are handed what boto3 resolved, in memory only: nothing here is ever written
into the lake, a table, a run record or a message.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from stedi.errors import StediError

if TYPE_CHECKING:
    import pyarrow.fs


@dataclass(frozen=True)
class Endpoint:
    """Where a service answers: None for AWS itself, else the URL a user set."""

    url: str | None

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc if self.url else ""

    @property
    def secure(self) -> bool:
        return not self.url or urlsplit(self.url).scheme == "https"


class AwsSession:
    """One resolved view of the caller's AWS setup, shared by every client a lake opens."""

    _lock = threading.Lock()

    def __init__(self) -> None:
        import boto3

        self._boto = boto3.Session()
        self._clients: dict[str, Any] = {}

    @cached_property
    def region(self) -> str:
        region = os.environ.get("AWS_REGION") or self._boto.region_name
        if not region:
            raise StediError("no AWS region: set AWS_REGION (or a region in your AWS profile)")
        return region

    def credentials(self) -> Any:
        """Frozen credentials (access key, secret, token) from the standard chain."""
        from botocore.exceptions import BotoCoreError

        try:
            found = self._boto.get_credentials()
        except BotoCoreError as e:
            raise StediError(f"cannot load AWS credentials: {e}") from None
        if found is None:
            raise StediError("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                             "or AWS_PROFILE, or run where an instance or container role is attached")
        return found.get_frozen_credentials()

    def client(self, service: str) -> Any:
        """A boto3 client for `service`, in the lake's region, at its configured endpoint."""
        with self._lock:
            if service not in self._clients:
                from botocore.config import Config

                config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=60)
                self._clients[service] = self._boto.client(service, region_name=self.region, config=config)
            return self._clients[service]

    def endpoint(self, service: str) -> Endpoint:
        """The endpoint a user set for `service` (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL or
        the profile), or Endpoint(None) for AWS's own."""
        url = self.client(service).meta.endpoint_url
        host = urlsplit(url).hostname or ""
        return Endpoint(None if host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn") else url)

    # -- the other libraries, configured from the same resolution ------------------------

    def pyarrow_s3(self) -> "pyarrow.fs.S3FileSystem":
        from pyarrow.fs import S3FileSystem

        creds, endpoint = self.credentials(), self.endpoint("s3")
        options: dict[str, Any] = {
            "access_key": creds.access_key, "secret_key": creds.secret_key, "session_token": creds.token,
            "region": self.region, "check_directory_existence_before_creation": False,
        }
        if endpoint.url:
            options.update(endpoint_override=endpoint.host, scheme="https" if endpoint.secure else "http")
        return S3FileSystem(**options)

    def duckdb_secret(self, bucket: str) -> str:
        """A DuckDB CREATE SECRET statement for `bucket` (a temporary, in-memory secret)."""
        import sqlglot.expressions as exp

        creds, endpoint = self.credentials(), self.endpoint("s3")
        values = {"KEY_ID": creds.access_key, "SECRET": creds.secret_key, "REGION": self.region,
                  "SCOPE": f"s3://{bucket}"}
        if creds.token:
            values["SESSION_TOKEN"] = creds.token
        if endpoint.url:  # LocalStack, MinIO and moto answer at one host, buckets in the path
            values.update(ENDPOINT=endpoint.host, URL_STYLE="path")
        settings = ", ".join(f"{k} {exp.Literal.string(v).sql('duckdb')}" for k, v in values.items())
        ssl = "" if endpoint.secure else ", USE_SSL false"
        return f"CREATE OR REPLACE TEMPORARY SECRET stedi_s3 (TYPE s3, {settings}{ssl})"

    def pyiceberg_properties(self) -> dict[str, str]:
        """Catalog and FileIO properties for pyiceberg's Glue catalog and its S3 files."""
        creds = self.credentials()
        props = {
            "glue.region": self.region, "s3.region": self.region, "client.region": self.region,
            "s3.access-key-id": creds.access_key, "s3.secret-access-key": creds.secret_key,
            "glue.access-key-id": creds.access_key, "glue.secret-access-key": creds.secret_key,
        }
        if creds.token:
            props.update({"s3.session-token": creds.token, "glue.session-token": creds.token})
        for service, key in (("s3", "s3.endpoint"), ("glue", "glue.endpoint")):
            endpoint = self.endpoint(service)
            if endpoint.url:
                props[key] = endpoint.url
        return props


_shared: AwsSession | None = None


def session() -> AwsSession:
    """The process's AWS session (boto3 sessions are costly to make; clients are thread-safe)."""
    global _shared
    if _shared is None:
        _shared = AwsSession()
    return _shared


def reset() -> None:
    """Forget the resolved session (tests change the environment between lakes)."""
    global _shared
    _shared = None


def explain(error: BaseException, what: str) -> StediError:
    """One line a user can act on, from a botocore error while doing `what`. Never includes a
    credential: botocore's messages name keys by id at most, and only its code is used."""
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    if isinstance(error, NoCredentialsError):
        return StediError(f"{what}: no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                          "or AWS_PROFILE)")
    if isinstance(error, EndpointConnectionError):
        return StediError(f"{what}: cannot reach {error.kwargs.get('endpoint_url', 'the AWS endpoint')}")
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        reason = {
            "NoSuchBucket": "the bucket does not exist",
            "InvalidAccessKeyId": "the AWS access key is not valid (check your credentials)",
            "SignatureDoesNotMatch": "the AWS secret key does not match the access key (check your credentials)",
            "UnrecognizedClientException": "the AWS credentials are not valid (check your credentials)",
            "InvalidClientTokenId": "the AWS credentials are not valid (check your credentials)",
            "ExpiredToken": "the AWS session token has expired",
            "AccessDenied": "access denied (the credentials lack permission for this)",
            "AccessDeniedException": "access denied (the credentials lack permission for this)",
            "403": "access denied (the credentials lack permission for this)",
            "404": "not found",
        }.get(code, f"{code or 'error'}: {error.response.get('Error', {}).get('Message', '')}".rstrip(": "))
        return StediError(f"{what}: {reason}")
    return StediError(f"{what}: {str(error).splitlines()[0]}")
