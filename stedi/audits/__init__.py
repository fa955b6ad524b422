"""Data-quality checks as queries that return the offending rows: zero rows is a pass."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def audit_sql(name: str) -> str:
    return resources.files(__package__).joinpath(f"{name}.sql").read_text(encoding="utf-8")
