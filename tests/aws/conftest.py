"""Fixtures of the tests that read a lake with the engines AWS runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.aws.athena_lake import AthenaLake


@pytest.fixture(scope="session")
def athena_lake(moto_server, tmp_path_factory: pytest.TempPathFactory) -> "AthenaLake":
    """The lake of tests/aws/athena_lake.py, made once per test run for the engines that read it.
    Its tests take the `aws` fixture: the AWS variables are set for them only."""
    from tests.aws.athena_lake import make_lake

    return make_lake(moto_server, tmp_path_factory.mktemp("athena-lake"))
