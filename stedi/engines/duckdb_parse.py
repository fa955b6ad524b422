"""DuckDB SQL that reads a landing file line by line and types each line against its Source.

A file's lines are first stored as text in file order, so a row id is a line number.
Then every line that is JSON is typed (`ok` when it is acceptable), and every line that
is not is kept for quarantine. Lines are read as text (not with read_json) so that a
malformed line is kept, not skipped: nothing is lost, and quarantine can show it.

Every function used returns NULL rather than raising on bad input: an error raised inside
DuckDB's TRY makes it redo the whole vector row by row, ten times slower when bad lines
are spread through a file.

The SQL is built as sqlglot syntax trees from the declaration in `landing/sources.py`.
"""

from __future__ import annotations

import json

import sqlglot.expressions as exp
from sqlglot import parse_one

from stedi.landing.sources import DATE_PATTERN, Field, FieldType, Source

# JSON types (as DuckDB's json_type names them) that each declared type accepts.
_ACCEPTED_JSON_TYPES = {
    FieldType.STRING: ("VARCHAR",),
    FieldType.DATE: ("VARCHAR",),
    FieldType.INTEGER: ("BIGINT", "UBIGINT"),
    FieldType.NUMBER: ("BIGINT", "UBIGINT", "DOUBLE"),
}
# What json_transform extracts each field as; dates are checked and cast afterwards.
_EXTRACT_AS = {FieldType.STRING: "VARCHAR", FieldType.DATE: "VARCHAR", FieldType.INTEGER: "BIGINT", FieldType.NUMBER: "DOUBLE"}


def _d(sql: str) -> exp.Expression:
    return parse_one(sql, read="duckdb")


def _q(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def lines_sql(files: list[str], rejects_table: str) -> exp.Select:
    """One row per line, blank lines included, in file order. Lines that are not UTF-8 go
    to the rejects table instead."""
    read = exp.func(
        "read_csv",
        exp.Array(expressions=[exp.Literal.string(f) for f in files]),
        *[
            exp.EQ(this=exp.column(k), expression=v)
            for k, v in {
                "columns": _d("{'raw': 'VARCHAR'}"),
                # A separator byte that valid JSON text never holds unescaped: each line is one value.
                "delim": exp.Literal.string("\x1f"),
                "quote": exp.Literal.string(""),
                "escape": exp.Literal.string(""),
                "header": exp.false(),
                "auto_detect": exp.false(),
                "strict_mode": exp.false(),
                "store_rejects": exp.true(),
                "rejects_table": exp.Literal.string(rejects_table),
                "rejects_scan": exp.Literal.string(rejects_table + "_scan"),
            }.items()
        ],
    )
    return exp.select(exp.column("raw")).from_(read)


def _field_ok(f: Field, i: int) -> exp.Expression:
    """True when field f (its JSON type at t[i], its value at v.<key>) is acceptable."""
    t = exp.Bracket(this=exp.column("t"), expressions=[exp.Literal.number(i)])  # sqlglot indexes from 0
    value = exp.Dot(this=exp.column("v"), expression=_q(f.key))
    absent = exp.or_(exp.Is(this=t.copy(), expression=exp.null()), exp.EQ(this=t.copy(), expression=exp.Literal.string("NULL")))
    good = exp.and_(
        exp.In(this=t.copy(), expressions=[exp.Literal.string(s) for s in _ACCEPTED_JSON_TYPES[f.type]]),
        exp.Not(this=exp.Is(this=value.copy(), expression=exp.null())),  # a number that does not fit is NULL
    )
    if f.type is FieldType.DATE:
        good = exp.and_(good, exp.func("regexp_full_match", value.copy(), exp.Literal.string(DATE_PATTERN)),
                        exp.Not(this=exp.Is(this=exp.TryCast(this=value.copy(), to=exp.DataType.build("DATE")), expression=exp.null())))
    if f.type is FieldType.NUMBER:  # DuckDB reads NaN and Infinity, which JSON does not have
        good = exp.and_(good, exp.func("isfinite", value.copy()))
    if f.type is FieldType.STRING and f.required:
        # Not empty nor only white space; trim (which copies) only when the first byte is space-like.
        v = value.sql(dialect="duckdb")
        good = exp.and_(good, _d(f"{v} <> '' AND CASE WHEN ascii({v}) > 32 THEN true ELSE trim({v}) <> '' END"))
    return exp.paren(good) if f.required else exp.or_(absent, good)


def numbered(lines_table: str) -> exp.Select:
    """A file's stored lines with their line numbers: rows were stored in file order."""
    return exp.select(exp.alias_(_d("rowid + 1"), "line"), "raw").from_(lines_table)


def parsed_sql(source: Source, lines: exp.Expression) -> exp.Select:
    """The lines (line, raw) that are JSON, typed: line number, `ok`, raw text, the columns.

    json_transform extracts; json_type rejects values DuckDB would silently coerce (a
    timestamp given as "123", 1.5 or true); json_keys rejects duplicate keys.
    """
    schema = json.dumps({f.key: _EXTRACT_AS[f.type] for f in source.fields}, separators=(",", ":"))
    paths = exp.Array(expressions=[exp.Literal.string(f"$.{json.dumps(f.key)}") for f in source.fields])
    inner = (
        exp.select(
            "line",
            "raw",
            exp.func("json_transform", exp.column("raw"), exp.Literal.string(schema)).as_("v"),
            exp.func("json_type", exp.column("raw"), paths).as_("t"),
            exp.alias_(_d("len(json_keys(raw))"), "keys"),
        )
        .from_(lines.subquery("lines") if isinstance(lines, exp.Select) else lines)
        .where(_d("json_valid(raw)"))
    )
    if all(f.required for f in source.fields):
        # Every declared key is in an accepted line, so as many keys as fields means no
        # duplicates: the costly distinct count runs only for lines with extra keys. (CASE,
        # not OR: DuckDB evaluates both sides of an OR, a CASE branch only where it is taken.)
        unique_keys = _d(f"CASE WHEN keys = {len(source.fields)} THEN true ELSE keys = len(list_distinct(json_keys(raw))) END")
    else:
        unique_keys = _d("keys = len(list_distinct(json_keys(raw)))")
    is_object = _d("CASE WHEN starts_with(raw, '{') THEN true ELSE json_type(raw) = 'OBJECT' END")
    checks = [is_object, unique_keys, *(_field_ok(f, i) for i, f in enumerate(source.fields))]
    ok = exp.func("coalesce", exp.and_(*checks), exp.false())
    columns = []
    for f in source.fields:
        value: exp.Expression = exp.Dot(this=exp.column("v"), expression=_q(f.key))
        if f.type is FieldType.DATE:
            value = exp.TryCast(this=value, to=exp.DataType.build("DATE"))
        columns.append(exp.alias_(value, _q(f.column)))
    return exp.select("line", exp.alias_(ok, "ok"), "raw", *columns).from_(inner.subquery("p"))


def not_json_sql(lines: exp.Select) -> exp.Select:
    """The lines (line, raw) that are not JSON and not blank."""
    return (
        exp.select("line", "raw")
        .from_(lines.subquery("lines"))
        .where(_d("raw IS NOT NULL AND NOT json_valid(raw) AND trim(raw) <> ''"))
    )


def render(e: exp.Expression) -> str:
    return e.sql(dialect="duckdb")
