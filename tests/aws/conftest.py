"""Fixtures of the AWS tests: moto's IAM-enforcing server, once for all IAM tests."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.aws.iam import IamServer


@pytest.fixture(scope="session")
def iam_server() -> Iterator[IamServer]:
    server = IamServer.start()
    yield server
    server.server.stop()
