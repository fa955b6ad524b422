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

        from stedi.aws.retries import Retries

        self._boto = boto3.Session()
        self._clients: dict[tuple[str, str], Any] = {}
        self._bucket_regions: dict[str, str] = {}
        self.retries = Retries.resolve(self._boto)

    @cached_property
    def region(self) -> str:
        region = os.environ.get("AWS_REGION") or self._boto.region_name
        if not region:
            raise StediError("no AWS region: set AWS_REGION (or a region in your AWS profile)")
        return region

    def credentials(self) -> Any:
        """Frozen credentials (access key, secret, token) from the standard chain, current now:
        credentials that expire (SSO, an assumed role, a container role) are renewed by botocore
        before they do, so whoever holds a copy asks again before it uses it."""
        from botocore.exceptions import BotoCoreError

        try:
            found = self._boto.get_credentials()
        except BotoCoreError as e:
            raise StediError(f"cannot load AWS credentials: {e}") from None
        if found is None:
            raise StediError("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                             "or AWS_PROFILE, or run where an instance or container role is attached")
        return found.get_frozen_credentials()

    def client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client for `service` in `region` (default: the session's), at its configured
        endpoint. Its credentials renew themselves; throttling and cut connections are retried."""
        region = region or self.region
        with self._lock:
            if (service, region) not in self._clients:
                from botocore.config import Config

                config = Config(retries=self.retries.botocore(), connect_timeout=10, read_timeout=60)
                self._clients[service, region] = self._boto.client(service, region_name=region, config=config)
            return self._clients[service, region]

    def bucket_region(self, bucket: str) -> str:
        """The region `bucket` is in, asked of S3 once (HeadBucket's x-amz-bucket-region, which S3
        sends also with a refusal): a lake's S3 clients sign for it, whatever the session's region.
        The session's region where S3 does not say (a missing bucket: the check says so)."""
        from botocore.exceptions import BotoCoreError, ClientError

        with self._lock:
            if bucket in self._bucket_regions:
                return self._bucket_regions[bucket]
        try:
            answer = self.client("s3").head_bucket(Bucket=bucket)
        except ClientError as e:
            answer = e.response
        except BotoCoreError:
            answer = {}
        headers = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        region = headers.get("x-amz-bucket-region") or self.region
        with self._lock:
            self._bucket_regions[bucket] = region
        return region

    def endpoint(self, service: str) -> Endpoint:
        """The endpoint a user set for `service` (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL or
        the profile), or Endpoint(None) for AWS's own."""
        url = self.client(service).meta.endpoint_url
        host = urlsplit(url).hostname or ""
        return Endpoint(None if host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn") else url)

    # -- the other libraries, configured from the same resolution ------------------------

    def pyarrow_s3(self, region: str | None = None, creds: Any = None) -> "pyarrow.fs.S3FileSystem":
        """pyarrow's S3 filesystem for a bucket in `region`, with the credentials `creds` (default:
        current ones; they stay in it: make a new one when they change)."""
        from pyarrow.fs import S3FileSystem

        creds, endpoint = creds or self.credentials(), self.endpoint("s3")
        options: dict[str, Any] = {
            "access_key": creds.access_key, "secret_key": creds.secret_key, "session_token": creds.token,
            "region": region or self.region, "check_directory_existence_before_creation": False,
            "retry_strategy": self.retries.pyarrow(),
        }
        if endpoint.url:
            options.update(endpoint_override=endpoint.host, scheme="https" if endpoint.secure else "http")
        return S3FileSystem(**options)

    def duckdb_secret(self, bucket: str, region: str | None = None) -> str:
        """A DuckDB CREATE SECRET statement for `bucket` (a temporary, in-memory secret) with the
        current credentials: made again when they change (DuckDB cannot renew them itself)."""
        import sqlglot.expressions as exp

        creds, endpoint = self.credentials(), self.endpoint("s3")
        values = {"KEY_ID": creds.access_key, "SECRET": creds.secret_key, "REGION": region or self.region,
                  "SCOPE": f"s3://{bucket}"}
        if creds.token:
            values["SESSION_TOKEN"] = creds.token
        if endpoint.url:  # LocalStack, MinIO and moto answer at one host, buckets in the path
            values.update(ENDPOINT=endpoint.host, URL_STYLE="path")
        settings = ", ".join(f"{k} {exp.Literal.string(v).sql('duckdb')}" for k, v in values.items())
        ssl = "" if endpoint.secure else ", USE_SSL false"
        return f"CREATE OR REPLACE TEMPORARY SECRET stedi_s3 (TYPE s3, {settings}{ssl})"

    def pyiceberg_properties(self, region: str | None = None) -> dict[str, str]:
        """FileIO properties for pyiceberg's S3 files in a bucket in `region`, with the current credentials
        (pyiceberg makes its S3 filesystems from them each time it loads a table). Its Glue catalog
        is handed the session's own client instead (stedi/store/glue_catalog.py)."""
        creds = self.credentials()
        props = {
            "s3.region": region or self.region, "s3.access-key-id": creds.access_key,
            "s3.secret-access-key": creds.secret_key,
            "s3.retry-strategy-impl": "stedi.aws.retries.pyarrow_retry_strategy",
        }
        if creds.token:
            props["s3.session-token"] = creds.token
        endpoint = self.endpoint("s3")
        if endpoint.url:
            props["s3.endpoint"] = endpoint.url
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
