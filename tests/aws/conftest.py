"""Fixtures of the AWS tests: the lake the engines AWS runs read (Trino, Iceberg's Spark
runtime), made once; moto's IAM-enforcing server, once for all IAM tests; the Glue
job's wheels, fetched by `make glue-wheels`: deploys in the tests gather from them, offline
(--wheelhouse), as a user without a package index would."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pytest

from tests.aws.glue_env import wheel_cache
from tests.aws.iam import IamServer
from tests.conftest import REQUIRE_SPARK

if TYPE_CHECKING:
    from tests.aws.athena_lake import AthenaLake


@pytest.fixture(scope="session")
def iam_server() -> Iterator[IamServer]:
    server = IamServer.start()
    yield server
    server.server.stop()


@pytest.fixture(scope="session")
def glue_wheelhouse() -> Path:
    folder = wheel_cache() / "glue"
    if not (folder / ".fetched").is_file():
        message = f"the Glue job's wheels are not in {folder}: run `make glue-wheels`"
        if REQUIRE_SPARK:  # CI: a missing set-up step fails
            pytest.fail(message)
        pytest.skip(message)
    return folder


@pytest.fixture(scope="session")
def athena_lake(moto_server, tmp_path_factory: pytest.TempPathFactory) -> "AthenaLake":
    """The lake of tests/aws/athena_lake.py, made once per test run for the engines that read it.
    Its tests take the `aws` fixture: the AWS variables are set for them only."""
    from tests.aws.athena_lake import make_lake

    return make_lake(moto_server, tmp_path_factory.mktemp("athena-lake"))
