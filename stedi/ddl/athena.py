"""`stedi ddl --dialect athena`: the CREATE statements an AWS user runs in Athena.

Landing tables are external JSON tables over the landing folders (JSON keys map to the
lowercased columns case-insensitively), of string columns, so that no line fails a query;
every other table is an Iceberg table. The
derived tables' columns are not declared twice: they are read off the models' SQL by
running it on empty inputs. Statements are built as sqlglot trees, then rendered. The
Glue catalog of a lake in S3 registers the same landing tables (`landing_tables`).
"""

from __future__ import annotations

import sqlglot.expressions as exp

from stedi.config import Config
from stedi.lake import TABLE_LOCATIONS
from stedi.landing import quarantine
from stedi.landing.sources import SOURCES
from stedi.store.catalog import LandingTable

DIALECTS = ("athena",)
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
# JSON keys as delivered, columns lowercased; a line that is not JSON (cut short, say) is a row of
# NULLs instead of failing the query (without it, Trino and so Athena fail on such a line).
JSON_SERDE_PROPERTIES = {"case.insensitive": "true", "ignore.malformed.json": "true"}
JSON_TABLE_PROPERTIES = {"classification": "json"}
# What Athena's CREATE EXTERNAL TABLE ... ROW FORMAT SERDE records for a text (JSON lines) table.
TEXT_INPUT_FORMAT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"


def landing_columns() -> dict[str, list[tuple[str, exp.DataType]]]:
    """Column names of the landing tables, straight from their sources' fields, every one a
    string: the OpenX SerDe of Trino (and so of Athena engine v3) fails the whole query on one
    JSON object or array where a number or date column is declared, and reads a date column
    leniently (1990-13-45 as 1991-02-14, a number as days since 1970). A string column takes any
    value; a query casts it (`try_cast(x AS double)`), and the quarantine table says which lines
    stedi refused and why (tests/aws/test_trino.py)."""
    return {source.landing_table: [(f.column, exp.DataType.build("VARCHAR")) for f in source.fields]
            for source in SOURCES.values()}


def landing_tables(lake_uri: str) -> list[LandingTable]:
    """The landing zones of the lake at `lake_uri` (s3://bucket/prefix) as external JSON tables.
    Types are rendered as Hive types (string), what Glue and Athena's DDL record; Athena's query
    dialect would say varchar."""
    root = lake_uri.rstrip("/")
    return [LandingTable(name, f"{root}/{TABLE_LOCATIONS[name]}/", [(c, t.sql("hive").lower()) for c, t in columns])
            for name, columns in landing_columns().items()]


def table_columns() -> dict[str, list[tuple[str, exp.DataType]]]:
    """Column names and types of every table, landing first, in build order."""
    from stedi.engines.duckdb_engine import DuckDBEngine
    from stedi.models import all_models

    columns = landing_columns()
    engine = DuckDBEngine(Config())
    try:
        for source in SOURCES.values():
            engine.load_landing(source, [])
        engine.set_parameters(consent_policy="strict", pseudonym_key="")
        for model in all_models():
            engine.create_view(model.name, model.sql)
            if model.stored:
                described = engine.con.execute(f'DESCRIBE "{model.name}"').fetchall()
                columns[model.name] = [(name, exp.DataType.build(kind, dialect="duckdb")) for name, kind, *_ in described]
    finally:
        engine.close()
    columns["quarantine"] = [(c, exp.DataType.build(t, dialect="duckdb")) for c, t in quarantine.COLUMNS.items()]
    return columns


def _create(database: str, name: str, columns: list[tuple[str, exp.DataType]], properties: list[exp.Expression]) -> exp.Create:
    schema = exp.Schema(
        this=exp.Table(this=exp.to_identifier(name), db=exp.to_identifier(database)),
        expressions=[exp.ColumnDef(this=exp.to_identifier(c, quoted=True), kind=t) for c, t in columns],
    )
    return exp.Create(this=schema, kind="TABLE", exists=True, properties=exp.Properties(expressions=properties))


def _prop(key: str, value: str) -> exp.Property:
    return exp.Property(this=exp.Literal.string(key), value=exp.Literal.string(value))


def statements(location: str, database: str = "stedi") -> list[str]:
    """CREATE statements for every table, rooted at an S3 location such as s3://bucket/stedi."""
    root = location.rstrip("/")
    created = [f"CREATE DATABASE IF NOT EXISTS {exp.to_identifier(database).sql('athena')}"]
    for name, columns in table_columns().items():
        where = exp.LocationProperty(this=exp.Literal.string(f"{root}/{TABLE_LOCATIONS[name]}/"))
        if name.endswith("_landing"):
            properties: list[exp.Expression] = [
                exp.ExternalProperty(),
                exp.RowFormatSerdeProperty(
                    this=exp.Literal.string(JSON_SERDE),
                    serde_properties=exp.SerdeProperties(
                        expressions=[_prop(k, v) for k, v in JSON_SERDE_PROPERTIES.items()], with_=True),
                ),
                where,
                *[_prop(k, v) for k, v in JSON_TABLE_PROPERTIES.items()],
            ]
        else:
            properties = [where, _prop("table_type", "ICEBERG"), _prop("format", "parquet")]
        created.append(_create(database, name, columns, properties).sql(dialect="athena", pretty=True))
    return created
