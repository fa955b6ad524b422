"""Fixtures of the AWS tests: moto's IAM-enforcing server, once for all IAM tests; the Glue
job's wheels, fetched by `make glue-wheels`: deploys in the tests gather from them, offline
(--wheelhouse), as a user without a package index would."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.aws.glue_env import wheel_cache
from tests.aws.iam import IamServer
from tests.conftest import REQUIRE_SPARK


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
