"""`stedi ddl --dialect athena`: the CREATE statements an AWS user runs in Athena.

Landing tables are external JSON tables over the landing folders (JSON keys map to the
lowercased columns case-insensitively), of string columns, so that no line fails a query
(stedi/landing/zones.py says why); they are the very tables the Glue catalog of a lake in S3
registers (stedi/store/glue_landing.py). Every other table is an Iceberg table, whose columns
the caller gives: they are not declared twice, but read off the models' SQL by running it on
empty inputs (stedi/engines/describe.py). Each column's description (stedi.models.table_docs) is
its COMMENT. Statements are built as sqlglot trees, then rendered.
"""

from __future__ import annotations

import sqlglot.expressions as exp

from stedi.lake import TABLE_LOCATIONS
from stedi.landing.zones import landing_columns
from stedi.store.glue_landing import JSON_SERDE, JSON_SERDE_PROPERTIES, JSON_TABLE_PROPERTIES

DIALECTS = ("athena",)

Columns = list[tuple[str, exp.DataType]]


def landing_types() -> dict[str, Columns]:
    """The landing tables' columns, each a string (VARCHAR, which Athena's DDL renders STRING)."""
    return {name: [(c, exp.DataType.build("VARCHAR")) for c in columns] for name, columns in landing_columns().items()}


def _column(name: str, kind: exp.DataType, doc: str | None) -> exp.ColumnDef:
    """`name` kind COMMENT 'doc': the comment as Athena's DDL (Hive's) reads a string, a quote
    escaped with a backslash (a doubled quote would be two strings run together, the quote lost)."""
    comment = [exp.ColumnConstraint(kind=exp.CommentColumnConstraint(this=exp.Literal.string(doc)))] if doc else []
    return exp.ColumnDef(this=exp.to_identifier(name, quoted=True), kind=kind, constraints=comment)


def _create(database: str, name: str, columns: Columns, properties: list[exp.Expression],
            docs: dict[str, str]) -> exp.Create:
    schema = exp.Schema(
        this=exp.Table(this=exp.to_identifier(name), db=exp.to_identifier(database)),
        expressions=[_column(c, t, docs.get(c)) for c, t in columns],
    )
    return exp.Create(this=schema, kind="TABLE", exists=True, properties=exp.Properties(expressions=properties))


def _prop(key: str, value: str) -> exp.Property:
    return exp.Property(this=exp.Literal.string(key), value=exp.Literal.string(value))


def render(location: str, database: str, tables: dict[str, Columns],
           docs: dict[str, dict[str, str]] | None = None) -> list[str]:
    """CREATE statements for these tables (name: columns, landing tables first), rooted at an S3
    location such as s3://bucket/stedi; each column described in `docs` (table: column: what it
    is) gets it as its COMMENT."""
    root = location.rstrip("/")
    created = [f"CREATE DATABASE IF NOT EXISTS {exp.to_identifier(database).sql('athena')}"]
    for name, columns in tables.items():
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
        created.append(_create(database, name, columns, properties, (docs or {}).get(name, {}))
                       .sql(dialect="athena", pretty=True))
    return created
