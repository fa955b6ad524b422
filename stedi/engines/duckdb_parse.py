"""DuckDB SQL that types landing lines against their Source, keeping every line.

DuckDB's JSON reader parses each line once and hands over every declared field as its
JSON text (a token): `"abc"`, `123`, `1.5`, `true`, or NULL when absent or null. A line
that is not JSON gives a row of NULLs, in its place. The checks then run on the tokens:
a string field needs a string token, an integer one a whole number that fits in 64 bits,
a number one a finite number. So `"timestamp": "123"`, `1.5` or `true` are rejected, not
coerced, and nothing is lost: every non-blank line is a row, accepted or not.

Rows come in file order, so a row's position numbers its line (see engines/duckdb_engine).
Every function used returns NULL rather than raising: an error raised inside DuckDB's TRY
makes it redo a whole vector row by row, ten times slower when bad lines are spread out.
The SQL is built as sqlglot syntax trees from the declaration in `landing/sources.py`.
"""

from __future__ import annotations

import sqlglot.expressions as exp
from sqlglot import parse_one

from stedi.landing.sources import DATE_PATTERN, WHITE_SPACE, Field, FieldType, Source

def _d(sql: str) -> exp.Expression:
    return parse_one(sql, read="duckdb")


def _q(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def token(f: Field) -> str:
    return f"token_{f.column}"


def tokens_sql(source: Source, files: list[str], longest_line: int = 0) -> exp.Select:
    """One row per non-blank line in file order: the file's index and each field's JSON text.
    `longest_line`: bytes of the longest line, where it may be over DuckDB's default limit."""
    columns = exp.Struct(
        expressions=[exp.PropertyEQ(this=_q(f.key), expression=exp.Literal.string("JSON")) for f in source.fields]
    )
    read = exp.func(
        "read_json",
        exp.Array(expressions=[exp.Literal.string(f) for f in files]),
        *[
            exp.EQ(this=exp.column(k), expression=v)
            for k, v in {
                "format": exp.Literal.string("newline_delimited"),
                "ignore_errors": exp.true(),  # a line that is not JSON becomes a row of NULLs
                "columns": columns,
                **({"maximum_object_size": exp.Literal.number(min(2 * longest_line + 1024, 2**32 - 1))} if longest_line else {}),
            }.items()
        ],
    )
    return exp.select(
        "file_index", *(exp.alias_(exp.column(_q(f.key)), _q(token(f))) for f in source.fields)
    ).from_(read)


def _value(f: Field) -> exp.Expression:
    """The typed value of field f from its token; NULL where the token is not of f's type."""
    t = exp.column(_q(token(f)))
    if f.type in (FieldType.STRING, FieldType.DATE):
        text = exp.func("json_extract_string", t.copy(), exp.Literal.string("$"))
        value: exp.Expression = exp.Case(
            ifs=[exp.If(this=exp.func("starts_with", t.copy(), exp.Literal.string('"')), true=text)]
        )
        if f.type is FieldType.DATE:
            value = exp.Case(
                ifs=[exp.If(this=exp.func("regexp_full_match", value, exp.Literal.string(DATE_PATTERN)),
                            true=exp.TryCast(this=value.copy(), to=exp.DataType.build("DATE")))]
            )
        return value
    # Tokens are DuckDB's own rewriting of the value: a number is digits, '-', and a '.' or an
    # exponent only where it has a fraction; anything else (a string keeps its quotes, true,
    # [..]) does not cast from text to a number. Casting from JSON instead would coerce them.
    text = exp.Cast(this=t.copy(), to=exp.DataType.build("VARCHAR"))
    if f.type is FieldType.INTEGER:
        whole = exp.and_(*(exp.Not(this=exp.func("contains", t.copy(), exp.Literal.string(c))) for c in ".eE"))
        return exp.Case(ifs=[exp.If(this=whole, true=exp.TryCast(this=text, to=exp.DataType.build("BIGINT")))])
    # A number: any JSON number that is finite (DuckDB also reads NaN and Infinity).
    number = exp.TryCast(this=text, to=exp.DataType.build("DOUBLE"))
    return exp.Case(ifs=[exp.If(this=exp.func("isfinite", number), true=number.copy())])


def _field_ok(f: Field) -> exp.Expression:
    t, v = exp.column(_q(token(f))), exp.column(_q(f.column))
    good: exp.Expression = exp.Not(this=exp.Is(this=v, expression=exp.null()))
    if f.type is FieldType.STRING and f.required:
        # Not empty nor only white space: a string starting with a printable ASCII character is
        # neither, so the pattern (which costs more) runs only where the first one is not.
        blank = "[" + "".join(f"\\x{{{ord(c):04X}}}" for c in WHITE_SPACE) + "]*"
        good = exp.and_(good, _d(f"CASE WHEN ascii({v.sql('duckdb')}) BETWEEN 33 AND 126 THEN true "
                                 f"ELSE NOT regexp_full_match({v.sql('duckdb')}, '{blank}') END"))
    if f.required:
        return exp.paren(good)
    return exp.paren(exp.or_(exp.Is(this=t, expression=exp.null()), good))


def typed_sql(source: Source, tokens: exp.Expression | str) -> exp.Select:
    """Typed rows from tokens, in their order: file_index, ok, and the source's columns."""
    values = exp.select(
        "file_index",
        *(exp.column(_q(token(f))) for f in source.fields),
        *(exp.alias_(_value(f), _q(f.column)) for f in source.fields),
    ).from_(tokens.subquery("tokens") if isinstance(tokens, exp.Select) else exp.to_table(tokens))
    ok = exp.func("coalesce", exp.and_(*(_field_ok(f) for f in source.fields)), exp.false())
    return exp.select(
        "file_index", exp.alias_(ok, "ok"), *(exp.column(_q(f.column)) for f in source.fields)
    ).from_(values.subquery("v"))


def render(e: exp.Expression) -> str:
    return e.sql(dialect="duckdb")
