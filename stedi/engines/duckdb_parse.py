"""DuckDB SQL that reads landing files line by line and types each line against its Source.

Every landing line becomes one row: the raw text, its file, and either typed columns
(`ok`) or a rejection. Lines are read as text (not with read_json) so that a malformed
line is kept, not skipped: nothing is lost, and quarantine can show it.

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
    """One row per non-blank line: file and raw text. Undecodable lines go to the rejects table."""
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
                "filename": exp.true(),
                "store_rejects": exp.true(),
                "rejects_table": exp.Literal.string(rejects_table),
                "rejects_scan": exp.Literal.string(rejects_table + "_scan"),
            }.items()
        ],
    )
    return (
        exp.select(exp.column("filename").as_("file"), exp.column("raw"))
        .from_(read)
        .where(_d("raw IS NOT NULL AND trim(raw) <> ''"))
    )


def _field_ok(f: Field, i: int) -> exp.Expression:
    """True when field f (its JSON type at t[i], its value at v.<column>) is acceptable."""
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
        good = exp.and_(good, exp.NEQ(this=exp.func("trim", value.copy()), expression=exp.Literal.string("")))
    return exp.paren(good) if f.required else exp.or_(absent, good)


def parsed_sql(source: Source, lines_table: str) -> exp.Select:
    """Typed rows of a source, one per line, with `ok` telling whether the line is accepted.

    When every field is required, json_transform_strict does the parse: it rejects missing keys,
    duplicate keys and numbers that do not fit in one pass. json_type then rejects values that
    DuckDB would silently coerce (a timestamp given as "123", 1.5 or true).
    """
    schema = json.dumps({f.key: _EXTRACT_AS[f.type] for f in source.fields}, separators=(",", ":"))
    all_required = all(f.required for f in source.fields)
    transform = "json_transform_strict" if all_required else "json_transform"
    paths = exp.Array(expressions=[exp.Literal.string(f"$.{json.dumps(f.key)}") for f in source.fields])
    inner = exp.select(
        exp.column("file"),
        exp.column("raw"),
        exp.func("try", exp.func(transform, exp.column("raw"), exp.Literal.string(schema))).as_("v"),
        exp.func("try", exp.func("json_type", exp.column("raw"), paths)).as_("t"),
    ).from_(lines_table)
    checks: list[exp.Expression] = [_d("v IS NOT NULL"), _d("try(json_type(raw)) = 'OBJECT'")]
    if not all_required:
        # json_transform (unlike the strict one) keeps the first of duplicate keys silently.
        checks.append(_d("try(len(json_keys(raw)) = len(list_distinct(json_keys(raw))))"))
    checks += [_field_ok(f, i) for i, f in enumerate(source.fields)]
    ok = exp.func("coalesce", exp.and_(*checks), exp.false())
    columns = []
    for f in source.fields:
        value: exp.Expression = exp.Dot(this=exp.column("v"), expression=_q(f.key))
        if f.type is FieldType.DATE:
            value = exp.TryCast(this=value, to=exp.DataType.build("DATE"))
        columns.append(exp.alias_(value, _q(f.column)))
    return exp.select(exp.column("file"), exp.column("raw"), exp.alias_(ok, "ok"), *columns).from_(inner.subquery("p"))


def render(e: exp.Expression) -> str:
    return e.sql(dialect="duckdb")
