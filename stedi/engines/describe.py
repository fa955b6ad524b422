"""Every table's columns and types as DuckDB builds them, read off the models' SQL run on
empty inputs (no table's columns are declared twice), and the Athena DDL rendered from them,
each column with its description as its COMMENT."""

from __future__ import annotations

import sqlglot.expressions as exp

from stedi.config import Config
from stedi.ddl import athena
from stedi.engines.duckdb_engine import DuckDBEngine
from stedi.landing import quarantine
from stedi.landing.sources import SOURCES
from stedi.models import all_models, table_docs


def table_columns() -> dict[str, athena.Columns]:
    """Column names and types of every table, landing first, in build order."""
    columns = athena.landing_types()
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


def statements(location: str, database: str = "stedi") -> list[str]:
    """`stedi ddl --dialect athena`: CREATE statements for every table, rooted at an S3 location
    such as s3://bucket/stedi."""
    return athena.render(location, database, table_columns(), table_docs())
