"""Formatting results for people (tables) and for programs (CSV, JSON)."""

from __future__ import annotations

import csv
import datetime
import decimal
import json
import sys
from typing import TYPE_CHECKING, Any, Sequence, TextIO

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = ("table", "csv", "json")


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def print_rows(header: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "table",
               title: str | None = None, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([[_plain(v) for v in row] for row in rows])
    elif fmt == "json":
        records = [{h: _plain(v) for h, v in zip(header, row)} for row in rows]
        out.write(json.dumps(records, indent=2, default=str) + "\n")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, title_justify="left", show_lines=False)
        for name in header:
            table.add_column(name, no_wrap=True)
        for row in rows:
            table.add_row(*("" if v is None else str(_plain(v)) for v in row))
        # Piped output keeps whole values on one line; a terminal gets its own width.
        Console(file=out, width=None if out.isatty() else 10_000).print(table)


def print_arrow(result: "pa.Table", fmt: str = "table", out: TextIO | None = None, limit: int | None = None) -> None:
    shown = result if limit is None or fmt != "table" else result.slice(0, limit)
    columns = [c.to_pylist() for c in shown.columns]
    rows = list(zip(*columns)) if columns else []
    print_rows(shown.column_names, rows, fmt, out=out)
    if fmt == "table" and shown.num_rows < result.num_rows:
        (out or sys.stdout).write(f"({result.num_rows} rows, first {shown.num_rows} shown; use --format csv for all)\n")
