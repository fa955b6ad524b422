"""`stedi tables --columns`: each table's columns with their type, whether they may be null, and
what they are. A stored table's come from its Iceberg schema as readers see it now (the field
docs: stedi/models/column_docs.py); a landing table's, or a table not built yet, from what
stedi declares (stedi.models.table_docs, stedi/landing/sources.py)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from stedi.cli.output import print_rows, shown
from stedi.errors import StediError
from stedi.landing.column_types import of_arrow
from stedi.landing.sources import SOURCES
from stedi.models import table_docs

if TYPE_CHECKING:
    from stedi.lakehouse import Lakehouse

HEADER = ["table", "column", "type", "nullable", "description"]


def column_rows(house: "Lakehouse", name: str | None = None) -> list[tuple[str, str, str, str, str]]:
    """(table, column, type as the SQL of `stedi query` names it, nullable yes/no, description) of
    every table, or of the table `name`."""
    docs = table_docs()
    if name is not None and name not in docs:
        raise StediError(f"no table {name!r}; tables: {', '.join(docs)}")
    committed = house.committed_locations()
    landing = {source.landing_table: source for source in SOURCES.values()}
    rows = []
    for table in [name] if name else docs:
        if table in landing:  # a typed view of the accepted lines: a required field is never null
            rows += [(table, f.column, f.type.sql_type, "no" if f.required else "yes", f.doc)
                     for f in landing[table].fields]
        elif table in committed:
            schema = house.open_table(committed[table]).schema()
            rows += [(table, f.name, _sql_type(f.field_type), "no" if f.required else "yes", f.doc or "")
                     for f in schema.fields]
        else:
            rows += [(table, column, "(not built yet)", "", doc) for column, doc in docs[table].items()]
    return rows


def _sql_type(iceberg_type: object) -> str:
    from pyiceberg.io.pyarrow import schema_to_pyarrow

    try:
        return of_arrow(schema_to_pyarrow(iceberg_type), "stedi query").sql  # type: ignore[arg-type]
    except TypeError:
        return str(iceberg_type)


def print_columns(house: "Lakehouse", name: str | None = None, fmt: str = "table") -> None:
    rows = column_rows(house, name)
    if fmt != "table":
        print_rows(HEADER, rows, fmt)
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # One table per table; the description wraps in a terminal, piped output keeps each row on one line.
    console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 10_000)
    for table in dict.fromkeys(r[0] for r in rows):
        shown_table = Table(title=Text(table), title_justify="left")
        for heading in HEADER[1:]:
            shown_table.add_column(heading, no_wrap=heading != "description")
        for row in rows:
            if row[0] == table:
                shown_table.add_row(*(Text(shown(v)) for v in row[1:]))
        console.print(shown_table)
