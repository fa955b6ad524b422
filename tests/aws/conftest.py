"""Fixtures of the tests that read a lake with the engines AWS runs."""

from __future__ import annotations

import pytest

from stedi import Lakehouse


@pytest.fixture(scope="session")
def athena_lake(moto_server, tmp_path_factory: pytest.TempPathFactory) -> tuple[Lakehouse, str]:
    """The lake of tests/aws/athena_lake.py and its Glue database, made once per test run for the
    engines that read it. Its tests take the `aws` fixture: the AWS variables are set for them only."""
    from tests.aws.athena_lake import make_lake

    return make_lake(moto_server, tmp_path_factory.mktemp("athena-lake"))
