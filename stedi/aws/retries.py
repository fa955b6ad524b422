"""How every AWS client of a lake rides through throttling (503 SlowDown) and cut connections:
with each library's own retries, all from one number of attempts.

- botocore (S3, Glue, Secrets Manager): its `standard` retry mode (or `adaptive`), jittered
  exponential backoff up to 20 s;
- pyarrow's S3 filesystem (listing, deleting, pyiceberg's metadata): the AWS SDK's standard
  retry strategy, the same backoff;
- DuckDB's httpfs (Parquet reads and writes, listings): `http_retries`, from 100 ms doubling.

The number of attempts is the standard AWS setting (`AWS_MAX_ATTEMPTS` or the profile's
`max_attempts`), 10 where none is set: a run makes hundreds of requests, and three attempts let
ordinary throttling stop one. The mode is `AWS_RETRY_MODE` or the profile's `retry_mode`.
`STEDI_AWS_RETRY_WAITS=short` makes DuckDB's and pyarrow's waits short (tens of milliseconds,
for tests and endpoints on a local network); botocore has no setting for its waits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stedi.errors import StediError

if TYPE_CHECKING:
    import pyarrow.fs

DEFAULT_ATTEMPTS = 10
WAITS = ("standard", "short")


@dataclass(frozen=True)
class Retries:
    attempts: int  # every try of one request, the first included
    mode: str  # botocore's retry mode
    waits: str  # "standard" or "short"

    @classmethod
    def resolve(cls, boto_session: Any) -> "Retries":
        core = boto_session._session  # botocore's session: where the AWS config chain is read
        try:
            attempts = core.get_config_variable("max_attempts") or DEFAULT_ATTEMPTS
        except ValueError:
            raise StediError("AWS_MAX_ATTEMPTS (or the profile's max_attempts) must be a whole number") from None
        if attempts < 1:
            raise StediError(f"AWS_MAX_ATTEMPTS must be 1 or more, not {attempts}")
        waits = os.environ.get("STEDI_AWS_RETRY_WAITS", "standard")
        if waits not in WAITS:
            raise StediError(f"STEDI_AWS_RETRY_WAITS {waits!r} is not one of {', '.join(WAITS)}")
        return cls(attempts, core.get_config_variable("retry_mode") or "standard", waits)

    def botocore(self) -> dict[str, Any]:
        return {"mode": self.mode, "total_max_attempts": self.attempts}

    def pyarrow(self) -> "pyarrow.fs.S3RetryStrategy":
        from pyarrow.fs import AwsDefaultS3RetryStrategy, AwsStandardS3RetryStrategy

        # The SDK's default strategy waits 25 ms doubling, its standard one up to 20 s with jitter.
        strategy = AwsDefaultS3RetryStrategy if self.waits == "short" else AwsStandardS3RetryStrategy
        return strategy(max_attempts=self.attempts)

    def duckdb(self) -> list[str]:
        wait_ms = 10 if self.waits == "short" else 100
        return [f"SET http_retries = {self.attempts - 1}", f"SET http_retry_wait_ms = {wait_ms}",
                "SET http_retry_backoff = 2"]


def pyarrow_retry_strategy() -> "pyarrow.fs.S3RetryStrategy":
    """pyiceberg's `s3.retry-strategy-impl`: it makes its S3 filesystems with what this returns."""
    from stedi.aws.session import session

    return session().retries.pyarrow()
