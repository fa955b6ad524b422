"""CSV and JSON write every value exactly: no number passes through a float it did not start as."""

from __future__ import annotations

import io
import json

import duckdb
import pytest

from stedi.cli.output import print_arrow

SQL = """
SELECT 12345678901234567890::HUGEINT AS huge, 1.10::DECIMAL(10, 2) AS price,
       0.0000000001::DECIMAL(18, 10) AS tiny, sum(x::DECIMAL(38, 2)) AS total,
       18446744073709551615::UBIGINT AS ubig, 9007199254740993 AS past_double,
       0.1::FLOAT AS f32, 0.1::DOUBLE AS f64,
       DATE '0993-01-01' AS day, TIMESTAMP '2024-01-02 03:04:05.123456' AS ts, TIME '01:02:03' AS t,
       '\\xAB\\x01'::BLOB AS raw, [1.50::DECIMAL(4, 2)] AS list, {'a': 2.5::DECIMAL(3, 1)} AS struct,
       true AS flag, 'a "quoted", text' AS s, NULL AS nothing
FROM (VALUES (1.25), (2.75)) v(x)
"""


def render(sql: str, fmt: str) -> str:
    out = io.StringIO()
    print_arrow(duckdb.sql(sql).to_arrow_table(), fmt, out=out)
    return out.getvalue()


def test_csv_is_exact_text() -> None:
    assert render(SQL, "csv") == (
        "huge,price,tiny,total,ubig,past_double,f32,f64,day,ts,t,raw,list,struct,flag,s,nothing\n"
        "12345678901234567890,1.10,0.0000000001,4.00,18446744073709551615,9007199254740993,0.1,0.1,"
        '0993-01-01,2024-01-02T03:04:05.123456,01:02:03,ab01,[1.50],"{""a"": 2.5}",True,"a ""quoted"", text",\n'
    )


def test_json_numbers_keep_their_digits() -> None:
    text = render(SQL, "json")
    assert text == """[
  {
    "huge": 12345678901234567890,
    "price": 1.10,
    "tiny": 0.0000000001,
    "total": 4.00,
    "ubig": 18446744073709551615,
    "past_double": 9007199254740993,
    "f32": 0.1,
    "f64": 0.1,
    "day": "0993-01-01",
    "ts": "2024-01-02T03:04:05.123456",
    "t": "01:02:03",
    "raw": "ab01",
    "list": [
      1.50
    ],
    "struct": {
      "a": 2.5
    },
    "flag": true,
    "s": "a \\"quoted\\", text",
    "nothing": null
  }
]
"""
    import decimal

    assert json.loads(text, parse_float=decimal.Decimal)[0]["price"] == decimal.Decimal("1.10")


def test_json_writes_nan_and_infinity_as_null_and_stays_valid_json() -> None:
    text = render("SELECT 'nan'::DOUBLE AS n, '-inf'::DOUBLE AS i, 'inf'::FLOAT AS f, 1.5 AS ok", "json")
    assert json.loads(text, parse_constant=pytest.fail) == [{"n": None, "i": None, "f": None, "ok": 1.5}]
    assert render("SELECT 'nan'::DOUBLE AS n, '-inf'::DOUBLE AS i", "csv") == "n,i\nnan,-inf\n"


def test_no_rows() -> None:
    assert render("SELECT 1 AS a WHERE false", "json") == "[]\n"
    assert render("SELECT 1 AS a WHERE false", "csv") == "a\n"


def test_table_shows_brackets_as_text_not_markup() -> None:
    text = render("""SELECT '[/x]' AS "[bold]b", 1.10::DECIMAL(5, 2) AS d""", "table")
    assert "[/x]" in text and "[bold]b" in text and "1.10" in text
