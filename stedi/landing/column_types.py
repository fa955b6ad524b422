"""The column types the tables hold, one table for every engine: each type's name in DuckDB's
SQL (the models' dialect), in Spark SQL, and in Arrow (what the tables are written and read as).
The engines render their DDL from here, so a new type is added once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class ColumnType:
    sql: str  # DuckDB's name, as the pipeline names types
    spark: str  # Spark SQL's name
    arrow: str  # the pyarrow factory (pa.<arrow>()) of the type a table holds
    arrow_tests: tuple[str, ...]  # the pa.types predicates an Arrow type of this kind passes

    def arrow_type(self) -> "pa.DataType":
        import pyarrow as pa

        return getattr(pa, self.arrow)()


COLUMN_TYPES = (
    ColumnType("VARCHAR", "string", "string", ("is_string", "is_large_string")),
    ColumnType("BIGINT", "bigint", "int64", ("is_int64",)),
    ColumnType("INTEGER", "int", "int32", ("is_int32",)),
    ColumnType("DOUBLE", "double", "float64", ("is_floating",)),
    ColumnType("DATE", "date", "date32", ("is_date",)),
    ColumnType("BOOLEAN", "boolean", "bool_", ("is_boolean",)),
)
_BY_SQL = {t.sql: t for t in COLUMN_TYPES}


def of_sql(name: str) -> ColumnType:
    """The column type DuckDB calls `name` (e.g. "BIGINT")."""
    return _BY_SQL[name]


def of_arrow(arrow_type: "pa.DataType", engine: str) -> ColumnType:
    """The column type of an Arrow type; `engine` names who asked, for the error."""
    import pyarrow as pa

    for column_type in COLUMN_TYPES:
        if any(getattr(pa.types, test)(arrow_type) for test in column_type.arrow_tests):
            return column_type
    raise TypeError(f"no {engine} type for Arrow type {arrow_type}")
