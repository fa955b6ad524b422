"""Formatting results for people (tables) and for programs (CSV, JSON).

Values are written exactly: a DECIMAL or HUGEINT as its digits (never through a float), an
integer as an integer, a date or timestamp in ISO 8601, bytes as hex, a list or struct as
JSON. JSON has no NaN or Infinity, so a float that is one of them is written `null` in JSON
(CSV and tables show `nan`, `inf`, as DuckDB does).
"""

from __future__ import annotations

import csv
import datetime
import decimal
import json
import math
import re
import sys
from typing import TYPE_CHECKING, Any, Sequence, TextIO

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = ("table", "csv", "json")
# What a terminal would act on rather than show: C0 and C1 control characters (ESC starts the
# codes that move the cursor, clear the screen, set the window title), DEL, and the Unicode
# marks that reorder text (a value could display as other text than it is).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(text: str) -> str:
    """Text for a terminal: every control character as its escape (ESC as the four characters
    `\\x1b`), the rest as it is. Table output and the CLI's one-line messages go through it;
    CSV and JSON keep values exact (JSON escapes control characters itself; CSV writes them as
    they are, quoting a value that holds a line break)."""
    return _CONTROL.sub(lambda m: _NAMED.get(m[0]) or (f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100
                                                       else f"\\u{ord(m[0]):04x}"), text)


def say(line: str) -> None:
    """One line on stderr, control characters shown escaped: messages quote file names and SQL."""
    print(shown(line), file=sys.stderr)


def _cell(value: Any) -> Any:
    """A value for a CSV or table cell: its exact text, or a number or None the writer prints."""
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")  # exact digits; never 1E-10, never a float's rounding
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (list, tuple, dict)):
        return to_json(value)
    return value


def to_json(value: Any, indent: int | None = None, _level: int = 0) -> str:
    """JSON text of a result value. Written by hand because json.dumps turns a Decimal into
    a float or a string; here it stays a number with its exact digits."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "null"
    if isinstance(value, decimal.Decimal):
        return format(value, "f") if value.is_finite() else "null"
    if isinstance(value, dict):
        items = [f"{json.dumps(str(k))}: {to_json(v, indent, _level + 1)}" for k, v in value.items()]
        return _joined("{", items, "}", indent, _level)
    if isinstance(value, (list, tuple)):
        return _joined("[", [to_json(v, indent, _level + 1) for v in value], "]", indent, _level)
    cell = _cell(value)
    return json.dumps(cell if isinstance(cell, str) else str(cell))


def _joined(opening: str, items: list[str], closing: str, indent: int | None, level: int) -> str:
    """Items laid out as json.dumps lays them out, with or without indent."""
    if not items:
        return opening + closing
    if indent is None:
        return opening + ", ".join(items) + closing
    inner, outer = "\n" + " " * (indent * (level + 1)), "\n" + " " * (indent * level)
    return opening + inner + ("," + inner).join(items) + outer + closing


def print_rows(header: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "table",
               title: str | None = None, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([[_cell(v) for v in row] for row in rows])
    elif fmt == "json":
        records = [dict(zip(header, row)) for row in rows]
        out.write(to_json(records, indent=2) + "\n")
    else:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        # Text, not str: rich reads "[...]" in a str as markup, and "[/x]" in a value would raise.
        table = Table(title=Text(shown(title)) if title else None, title_justify="left", show_lines=False)
        for name in header:
            table.add_column(Text(shown(name)), no_wrap=True)
        for row in rows:
            table.add_row(*(Text("" if v is None else shown(str(_cell(v)))) for v in row))
        # Piped output keeps whole values on one line; a terminal gets its own width.
        Console(file=out, width=None if out.isatty() else 10_000).print(table)


def print_arrow(result: "pa.Table", fmt: str = "table", out: TextIO | None = None, limit: int | None = None) -> None:
    shown = result if limit is None or fmt != "table" else result.slice(0, limit)
    columns = [_values(c) for c in shown.columns]
    rows = list(zip(*columns)) if columns else []
    print_rows(shown.column_names, rows, fmt, out=out)
    if fmt == "table" and shown.num_rows < result.num_rows:
        (out or sys.stdout).write(f"({result.num_rows} rows, first {shown.num_rows} shown; use --format csv for all)\n")


def print_fetched(header: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "table",
                  limit: int | None = None) -> None:
    """DuckDB's own rows (stedi.query.Reader.rows), printed as print_arrow prints a result."""
    shown = rows if limit is None or fmt != "table" else rows[:limit]
    print_rows(header, shown, fmt)
    if fmt == "table" and len(shown) < len(rows):
        sys.stdout.write(f"({len(rows)} rows, first {len(shown)} shown; use --format csv for all)\n")


def _values(column: "pa.ChunkedArray") -> list[Any]:
    import pyarrow as pa

    if pa.types.is_float32(column.type) or pa.types.is_float16(column.type):
        # Widened to a double, a FLOAT shows digits it never had (0.1 as 0.10000000149011612);
        # Arrow's text of it is the shortest that reads back as the same FLOAT.
        return [None if t is None else float(t) for t in column.cast(pa.string()).to_pylist()]
    return column.to_pylist()
