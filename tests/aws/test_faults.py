"""Each library's words for a request that failed for good, as one line naming the object (the
messages are the libraries' own, as the fault proxy made them say them); anything else is left
to show its traceback."""

from __future__ import annotations

import duckdb
from botocore.exceptions import ConnectionClosedError

from stedi.aws.faults import aws_failure

DUCKDB_PUT = ("IO Error: Failure when receiving data from the peer error for HTTP PUT to "
              "'http://127.0.0.1:53421/my-bucket/lake/customer/trusted/data/run-1/data_0.parquet'")
DUCKDB_LIST = ("HTTP Error: Request returned HTTP 503 for HTTP GET to "
               "'http://127.0.0.1:45915/my-bucket/?encoding-type=url&list-type=2&prefix=lake%2Fquarantine%2F'")
DUCKDB_AWS = ("HTTP Error: Request returned HTTP 503 for HTTP GET to "
              "'https://my-bucket.s3.us-west-2.amazonaws.com/lake/a%20b.parquet'")
PYARROW = ("When reading information for key 'lake/state.json' in bucket 'my-bucket': AWS Error SLOW_DOWN "
           "during HeadObject operation: Please reduce your request rate.")


def test_duckdb_names_the_object_of_a_cut_put_and_of_a_throttled_listing() -> None:
    put = str(aws_failure(duckdb.IOException(DUCKDB_PUT)))
    assert put == ("s3://my-bucket/lake/customer/trusted/data/run-1/data_0.parquet: the connection kept failing on "
                   "an HTTP PUT (Failure when receiving data from the peer), retries exhausted")
    listing = str(aws_failure(duckdb.HTTPException(DUCKDB_LIST)))
    assert listing == ("s3://my-bucket/lake/quarantine/: S3 kept answering 503 Slow Down (throttled) to an HTTP GET, "
                       "retries exhausted")
    assert str(aws_failure(duckdb.HTTPException(DUCKDB_AWS))).startswith("s3://my-bucket/lake/a b.parquet: ")


def test_pyarrow_and_botocore_name_the_object() -> None:
    assert str(aws_failure(OSError(PYARROW))) == ("s3://my-bucket/lake/state.json: S3 kept answering 503 Slow Down "
                                                  "(throttled) to a HeadObject, retries exhausted")
    cut = ConnectionClosedError(endpoint_url="http://127.0.0.1:1/")
    line = str(aws_failure(cut, "Glue database stedi, table quarantine"))
    assert line.startswith("Glue database stedi, table quarantine: the connection kept failing (Connection was closed")
    assert "\n" not in line


def test_anything_else_is_not_a_network_failure() -> None:
    assert aws_failure(ValueError("a bug")) is None
    assert aws_failure(OSError(2, "No such file or directory")) is None
    assert aws_failure(duckdb.IOException("IO Error: No files found that match the pattern 'x'")) is None
