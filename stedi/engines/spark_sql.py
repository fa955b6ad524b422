"""The models' and audits' SQL (DuckDB's dialect) for Spark, rendered by sqlglot as syntax trees.

The .sql files stay one dialect; what differs on Spark is decided here, in the adapter:
- sqlglot renders functions and operators in Spark's spelling (sha256(x) -> SHA2(x, 256),
  `a || b` -> concatenation, identifiers in backquotes).
- Spark has no information_schema: `information_schema.columns` becomes a view the engine
  fills from the schemas of its own temp views (COLUMNS_VIEW), made before the query runs.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp

COLUMNS_VIEW = "stedi_information_schema_columns"


@lru_cache(maxsize=None)
def render(sql: str) -> str:
    """Spark SQL for one DuckDB-dialect query."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    for table in tree.find_all(exp.Table):
        if table.db.lower() == "information_schema" and table.name.lower() == "columns":
            table.replace(exp.to_table(COLUMNS_VIEW).as_(table.alias_or_name))
    return tree.sql(dialect="spark")


def literal_row(values: dict[str, str]) -> str:
    """A one-row SELECT of string literals, quoted the way Spark reads them."""
    return exp.select(*(exp.alias_(exp.Literal.string(v), k, quoted=True) for k, v in values.items())).sql("spark")


def quote(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql("spark")


@lru_cache(maxsize=None)
def render_condition(condition: str) -> str:
    """Spark SQL for one DuckDB-dialect boolean expression (a WHERE clause's condition)."""
    return sqlglot.parse_one(condition, read="duckdb").sql(dialect="spark")
