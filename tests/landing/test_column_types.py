"""The one table of column types: every type found again from its DuckDB name and from the
Arrow type the tables hold, and each landing field type named as both engines name it."""

from __future__ import annotations

import pyarrow as pa
import pytest

from stedi.landing.column_types import COLUMN_TYPES, of_arrow, of_sql
from stedi.landing.sources import FieldType


@pytest.mark.parametrize("column_type", COLUMN_TYPES, ids=lambda t: t.sql)
def test_each_type_is_found_from_its_duckdb_and_its_arrow_name(column_type) -> None:
    assert of_sql(column_type.sql) is column_type
    assert of_arrow(column_type.arrow_type(), "DuckDB") is column_type


def test_landing_field_types_as_each_engine_names_them() -> None:
    named = {t: (of_sql(t.sql_type).sql, of_sql(t.sql_type).spark, of_sql(t.sql_type).arrow_type()) for t in FieldType}
    assert named == {FieldType.STRING: ("VARCHAR", "string", pa.string()),
                     FieldType.INTEGER: ("BIGINT", "bigint", pa.int64()),
                     FieldType.NUMBER: ("DOUBLE", "double", pa.float64()),
                     FieldType.DATE: ("DATE", "date", pa.date32())}


def test_large_strings_are_strings_and_a_type_no_table_holds_is_refused() -> None:
    assert of_arrow(pa.large_string(), "Spark").spark == "string"
    with pytest.raises(TypeError, match="no Spark type for Arrow type list<item: int64>"):
        of_arrow(pa.list_(pa.int64()), "Spark")
