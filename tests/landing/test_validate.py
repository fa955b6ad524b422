"""The bulk parser (DuckDB SQL) and the reference validator agree line for line."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from stedi.engines.duckdb_parse import render, tokens_sql, typed_sql
from stedi.landing.sources import ACCELEROMETER, CUSTOMER, STEP_TRAINER, Source
from stedi.landing.validate import rejection_reason

GOOD_READING = '{"user":"a@x.com","timestamp":1655564444103,"x":1.0,"y":-1,"z":0.5}'
READINGS = {
    GOOD_READING: None,
    '{"user":"a@x.com","timestamp":1,"x":1,"y":2,"z":3,"extra":[1,{"k":2}]}': None,
    '{"user":"a@x.com","timestamp":"1","x":1,"y":2,"z":3}': "field 'timestamp' must be a number, got string \"1\"",
    '{"user":"a@x.com","timestamp":1.5,"x":1,"y":2,"z":3}': "field 'timestamp' must be a whole number (epoch milliseconds), got 1.5",
    '{"user":"a@x.com","timestamp":true,"x":1,"y":2,"z":3}': "field 'timestamp' must be a number, got boolean true",
    '{"user":"a@x.com","timestamp":99999999999999999999,"x":1,"y":2,"z":3}': "field 'timestamp' does not fit in 64 bits: 99999999999999999999",
    '{"user":5,"timestamp":1,"x":1,"y":2,"z":3}': "field 'user' must be a string, got integer 5",
    '{"user":"","timestamp":1,"x":1,"y":2,"z":3}': "required field 'user' is empty",
    '{"user":null,"timestamp":1,"x":1,"y":2,"z":3}': "required field 'user' is null",
    '{"timestamp":1,"x":1,"y":2,"z":3}': "missing required field 'user'",
    '{"user":"a","user":"b","timestamp":1,"x":1,"y":2,"z":3}': None,  # the first value counts
    '{"user":"a","user":5,"timestamp":1,"x":1,"y":2,"z":3}': None,
    '{"user":"a@x.com","timestamp":1,"x":"1.5","y":2,"z":3}': "field 'x' must be a number, got string \"1.5\"",
    '{"user":"a@x.com","timestamp":1,"x":1,"y":true,"z":3}': "field 'y' must be a number, got boolean true",
    '{"user":"a@x.com","timestamp":1,"x":1,"y":2,"z":[3]}': "field 'z' must be a number, got array [3]",
    '{"user":"a@x.com","timestamp":1,"x":1e400,"y":2,"z":3}': "field 'x' is too large a number: it reads as Infinity",
    '{"user":"a@x.com","timestamp":1e3,"x":1,"y":2,"z":3}': "field 'timestamp' must be a whole number (epoch milliseconds), got 1000.0",
    '{"user":"a@x.com","timestamp":-0,"x":-0.0,"y":2.5e-7,"z":3E2}': None,
    '{"user":"a@x.com","timestamp":1,"x":NaN,"y":2,"z":3}': "malformed JSON: NaN is not valid JSON",
    '{"user":"a@x.com","timestamp":1,"x":-Infinity,"y":2,"z":3}': "malformed JSON: -Infinity is not valid JSON",
    '{"user":"a@x.com","timestamp":16555': "truncated JSON: Expecting ',' delimiter at column 36",
    '{"user":"a@x.com"} trailing': "malformed JSON: Extra data at column 20",
    "[1,2]": "not a JSON object but array",
    '"just a string"': "not a JSON object but string",
}
CUSTOMERS = {
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2}': None,
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"shareWithResearchAsOfDate":null}': None,
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"birthDay":"993-01-01"}': None,
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"birthDay":"1399-02-30"}': "field 'birthDay' must be a date YYYY-MM-DD, got \"1399-02-30\"",
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"birthDay":"0-01-01"}': "field 'birthDay' must be a date YYYY-MM-DD, got \"0-01-01\"",
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"shareWithResearchAsOfDate":"5"}': "field 'shareWithResearchAsOfDate' must be a number, got string \"5\"",
    '{"email":"a@x.com","email":"b@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2}': None,
    '{"email":5,"email":"b@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2}': "field 'email' must be a string, got integer 5",
    '{"email":"a@x.com","registrationDate":1,"lastUpdateDate":2}': "missing required field 'serialNumber'",
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1}': "missing required field 'lastUpdateDate'",
    '{"email": "broken': "truncated JSON: Unterminated string starting at column 11",
    "[]": "not a JSON object but array",
}
STEPS = {
    '{"sensorReadingTime":1,"serialNumber":"s","distanceFromObject":218}': None,
    '{"sensorReadingTime":1,"serialNumber":"s","distanceFromObject":218.5}': "field 'distanceFromObject' must be a whole number (epoch milliseconds), got 218.5",
    '{"sensorReadingTime":1,"serialNumber":"s","distanceFromObject":"218"}': "field 'distanceFromObject' must be a number, got string \"218\"",
    '{"sensorReadingTime":-9223372036854775808,"serialNumber":"s","distanceFromObject":0}': None,
    '{"sensorReadingTime":9223372036854775808,"serialNumber":"s","distanceFromObject":0}': "field 'sensorReadingTime' does not fit in 64 bits: 9223372036854775808",
}


def duckdb_accepts(source: Source, lines: list[str], tmp_path: Path) -> list[bool]:
    """What the bulk parser decides for each line, read from a file as the engine reads it."""
    path = tmp_path / f"{source.name}.json"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    con = duckdb.connect()  # insertion order is kept: the row id is the line's position
    con.execute(f"CREATE TABLE typed AS {render(typed_sql(source, tokens_sql(source, [str(path)])))}")
    return [ok for (ok,) in con.execute("SELECT ok FROM typed ORDER BY rowid").fetchall()]


@pytest.mark.parametrize("source, cases", [(ACCELEROMETER, READINGS), (CUSTOMER, CUSTOMERS), (STEP_TRAINER, STEPS)])
def test_bulk_parser_and_validator_agree(source: Source, cases: dict[str, str | None], tmp_path: Path) -> None:
    lines = list(cases)
    accepted = duckdb_accepts(source, lines, tmp_path)
    assert len(accepted) == len(lines)  # every line is a row, in file order
    for line, ok in zip(lines, accepted):
        assert ok == (rejection_reason(source, line) is None), line


@pytest.mark.parametrize("source, cases", [(ACCELEROMETER, READINGS), (CUSTOMER, CUSTOMERS), (STEP_TRAINER, STEPS)])
def test_reasons_name_the_problem(source: Source, cases: dict[str, str | None]) -> None:
    for line, reason in cases.items():
        assert rejection_reason(source, line) == reason, line
