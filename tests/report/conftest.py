"""The browser for the report's tests: one headless Chromium per test module (starting one costs
a fraction of a second; a fresh context per page keeps pages apart)."""

from __future__ import annotations

import pytest

from tests.report.browser import chromium


@pytest.fixture(autouse=True, scope="module")
def _reports_in_module(reports_in_module: None) -> None:
    """Every run of these tests writes its report."""


@pytest.fixture(autouse=True)
def _reports_on(reports_on: None) -> None:
    pass


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched
