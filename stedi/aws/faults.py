"""A failure to reach AWS that outlasted the retries (stedi/aws/retries.py), in one line that
names the object: whichever library met it (botocore, pyarrow's S3, DuckDB's httpfs), each of
which says it in many lines of its own."""

from __future__ import annotations

import re
import sys
from urllib.parse import unquote, urlsplit

from stedi.errors import StediError

# DuckDB's httpfs names the request: "... for HTTP PUT to 'http://host/bucket/key?query'".
_DUCKDB_REQUEST = re.compile(r"HTTP (?P<method>[A-Z]+) to '(?P<url>[^']+)'")
_DUCKDB_STATUS = re.compile(r"returned HTTP (?P<status>\d{3})")
# pyarrow's S3 names the key: "When <doing> key 'k' in bucket 'b': AWS Error <CODE> during ...".
_PYARROW_OBJECT = re.compile(r"(?:key|prefix|path) '(?P<key>[^']*)' (?:in|from) bucket '(?P<bucket>[^']+)'")
_PYARROW_ERROR = re.compile(r"AWS Error (?P<code>[A-Z_]+) during (?P<operation>\w+) operation")

_THROTTLED = "S3 kept answering 503 Slow Down (throttled)"
_INTERNAL = "S3 kept answering 500 (internal error)"
_DENIED = "access denied (check the credentials and their permissions)"
_STATUS = {"503": _THROTTLED, "500": _INTERNAL, "403": _DENIED}  # DuckDB's, by HTTP status
_PYARROW_CODES = {"SLOW_DOWN": _THROTTLED, "NETWORK_CONNECTION": "the connection to S3 kept failing",
                  "SERVICE_UNAVAILABLE": "S3 kept answering 503 (unavailable)", "INTERNAL_FAILURE": _INTERNAL,
                  "ACCESS_DENIED": _DENIED}


class AwsError(StediError):
    """A request to AWS failed (after its retries): one line naming the object."""


def aws_failure(error: BaseException, what: str = "AWS") -> AwsError | None:
    """`error` as one line naming the object, if it is a failure to reach AWS; None otherwise
    (a bug keeps its traceback). `what`: the object, where the error does not name it (botocore's)."""
    if isinstance(error, AwsError):
        return error
    duckdb = sys.modules.get("duckdb")
    if duckdb is not None and isinstance(error, (duckdb.IOException, duckdb.HTTPException)):
        return _duckdb(str(error))
    if isinstance(error, OSError) and "AWS Error" in str(error):
        return _pyarrow(str(error))
    botocore = sys.modules.get("botocore.exceptions")
    if botocore is not None and isinstance(error, (botocore.BotoCoreError, botocore.ClientError)):
        return explain(error, what)
    return None


def _duckdb(message: str) -> AwsError | None:
    request = _DUCKDB_REQUEST.search(message)
    if request is None:
        return None
    where = _s3_uri(request["url"])
    status = _DUCKDB_STATUS.search(message)
    if status:
        reason = _STATUS.get(status["status"], f"S3 kept answering HTTP {status['status']}")
        return AwsError(f"{where}: {reason} to an HTTP {request['method']}, retries exhausted")
    cause = message.split(" error for HTTP")[0].removeprefix("IO Error: ").strip()
    return AwsError(f"{where}: the connection kept failing on an HTTP {request['method']} ({cause}), "
                    "retries exhausted")


def _pyarrow(message: str) -> AwsError:
    found, error = _PYARROW_OBJECT.search(message), _PYARROW_ERROR.search(message)
    where = f"s3://{found['bucket']}/{found['key']}" if found else "S3"
    if error is None:
        return AwsError(f"{where}: {message.strip().splitlines()[0]}")
    reason = _PYARROW_CODES.get(error["code"], f"S3 answered {error['code']}")
    return AwsError(f"{where}: {reason} to a {error['operation']}, retries exhausted")


def _s3_uri(url: str) -> str:
    """An S3 request's URL as the object's s3:// URI: path style (an endpoint of one's own:
    /bucket/key) or virtual-hosted (bucket.s3.region.amazonaws.com/key)."""
    parts = urlsplit(url)
    path = unquote(parts.path).lstrip("/")
    host = parts.hostname or ""
    if ".s3." in host or host.endswith(".s3.amazonaws.com"):
        return f"s3://{host.split('.s3.')[0]}/{path}"
    if not path and parts.query:  # a listing: the bucket in the path, the prefix in the query
        return url
    prefix = dict(p.partition("=")[::2] for p in parts.query.split("&")).get("prefix")
    if prefix is not None and "/" not in path.rstrip("/"):
        return f"s3://{path.rstrip('/')}/{unquote(prefix)}"
    return f"s3://{path}"


def stopped(error: BaseException, what: str, fate: str) -> StediError | None:
    """A failure to reach AWS that stopped a writer with no commit point of its own (ingest,
    maintain), with what it left (`fate`); None if `error` is not one."""
    fault = aws_failure(error, what)
    return None if fault is None else StediError(f"{fault}; {fate}")


def not_committed(fault: AwsError, writer: str, rolled_back: bool) -> StediError:
    """A writer's AWS failure before its commit point, with what became of the lake: the writer
    rolled itself back, or (cut off from AWS) left its journal for the next writer to."""
    fate = "rolled back; the lake is as before" if rolled_back else "the next writer will roll it back"
    return StediError(f"{fault}; {writer} is not committed: {fate}")


def explain(error: BaseException, what: str) -> AwsError:
    """One line a user can act on, from a botocore error while doing `what`. Never includes a
    credential: botocore's messages name keys by id at most, and only its code is used."""
    from botocore.exceptions import (ClientError, ConnectionError, EndpointConnectionError, HTTPClientError,
                                     NoCredentialsError)

    if isinstance(error, NoCredentialsError):
        return AwsError(f"{what}: no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                        "or AWS_PROFILE)")
    if isinstance(error, EndpointConnectionError):
        return AwsError(f"{what}: cannot reach {error.kwargs.get('endpoint_url', 'the AWS endpoint')}")
    if isinstance(error, (ConnectionError, HTTPClientError)):  # cut, timed out: retried, in vain
        return AwsError(f"{what}: the connection kept failing ({str(error).splitlines()[0]}), retries exhausted")
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
            "SlowDown": "S3 kept answering 503 Slow Down (throttled), retries exhausted",
            "ThrottlingException": "AWS kept throttling the requests, retries exhausted",
        }.get(code, f"{code or 'error'}: {error.response.get('Error', {}).get('Message', '')}".rstrip(": "))
        return AwsError(f"{what}: {reason}")
    return AwsError(f"{what}: {str(error).splitlines()[0]}")
