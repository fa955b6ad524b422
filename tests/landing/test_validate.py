"""The bulk parser (DuckDB) and the reference validator agree line for line."""

from __future__ import annotations

from pathlib import Path

import pytest

from stedi.config import Config
from stedi.engines.duckdb_engine import DuckDBEngine
from stedi.engines.duckdb_landing import LandingReader
from stedi.landing.locate import decode
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
    '{"user":"a","user":"b","timestamp":1,"x":1,"y":2,"z":3}': "key 'user' is given twice: which value counts is ambiguous",
    '{"user":"a","user":5,"timestamp":1,"x":1,"y":2,"z":3}': "key 'user' is given twice: which value counts is ambiguous",
    '{"user":"a@x.com","timestamp":1,"x":1,"y":2,"z":3,"z":null}': "key 'z' is given twice: which value counts is ambiguous",
    '{"user":"a@x.com","timestamp":1,"x":1,"y":2,"z":3,"extra":{"k":1,"k":2}}': "key 'k' is given twice: which value counts is ambiguous",
    '{"user":"a@x.com","timestamp":1,"x":1,"y":2,"z":3,}': "malformed JSON: a trailing comma before '}' at column 51",
    '{"user":"a@x.com","timestamp":1,"x":1,"y":2,"z":3 , }': "malformed JSON: a trailing comma before '}' at column 53",
    '{"user":"a@x.com","timestamp":1,"x":1,"y":2,"z":3,"extra":[1,2,]}': "malformed JSON: a trailing comma before ']' at column 64",
    '{"user":"a@x.com","timestamp":1,"x":1,"y":2,"z":3,"extra":{"k":1,}}': "malformed JSON: a trailing comma before '}' at column 66",
    '{"user":"a@x.com","timestamp":1,"x":1,"y":2,"z":3,"extra":NaN}': "malformed JSON: NaN is not valid JSON",
    '{"user":"a:b,c","timestamp":1,"x":1,"y":2,"z":3}': None,  # ':' and ',' inside a string are text
    '{"user":"a\\u0000b","timestamp":1,"x":1,"y":2,"z":3,"n":null}': None,
    '{"user":"a\x00b","timestamp":1,"x":1,"y":2,"z":3}': "malformed JSON: Invalid control character at column 11",
    '{"user":"a@x.com","timestamp":1,"x":1,"y":2,"z":3}\x00': "malformed JSON: Extra data at column 51",
    '{"user":"\\ud800","timestamp":1,"x":1,"y":2,"z":3}': "not Unicode text: a string holds the lone surrogate \\ud800",
    '{"user":"a\\ud83d\\ude00","timestamp":1,"x":1,"y":2,"z":3}': None,
    '\x0c{"user":"a@x.com","timestamp":1,"x":1,"y":2,"z":3}': "malformed JSON: Expecting value at column 1",
    '{"user":"a@x.com","timestamp":1,"x":1,"y":2,"z":3}\x0b': "malformed JSON: Extra data at column 51",
    '{"user":"a@x.com",\x0b"timestamp":1,"x":1,"y":2,"z":3}': "malformed JSON: Expecting property name enclosed in double quotes at column 19",
    '[{"user":"a@x.com","timestamp":1,"x":1,"y":2,"z":3}]': "not a JSON object but array",
    "{": "truncated JSON: Expecting property name enclosed in double quotes at column 2",
    "}": "malformed JSON: Expecting value at column 1",
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
    '{"email":"a@x.com","email":"b@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2}': "key 'email' is given twice: which value counts is ambiguous",
    '{"email":5,"email":"b@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2}': "key 'email' is given twice: which value counts is ambiguous",
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"shareWithResearchAsOfDate":null,"shareWithResearchAsOfDate":5}': "key 'shareWithResearchAsOfDate' is given twice: which value counts is ambiguous",
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"shareWithResearchAsOfDate":null,}': "malformed JSON: a trailing comma before '}' at column 112",
    # Explicit nulls are counted as keys by their bytes; a key given twice still shows.
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"shareWithResearchAsOfDate":5,"shareWithResearchAsOfDate":null}': "key 'shareWithResearchAsOfDate' is given twice: which value counts is ambiguous",
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"shareWithResearchAsOfDate":null,"shareWithResearchAsOfDate":null}': "key 'shareWithResearchAsOfDate' is given twice: which value counts is ambiguous",
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"phone":null,"phone": null}': "key 'phone' is given twice: which value counts is ambiguous",
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"shareWithResearchAsOfDate": null,"phone":null,"birthDay":null}': None,
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"phone":null,"extra":{"phone":null}}': None,
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"phone":null,"note":"\\"phone\\":null"}': None,
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"phone":null,"customerName":null,}': "malformed JSON: a trailing comma before '}' at column 112",
    '{"customerName":"Doe, Jane: Dr","email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"phone":null}': None,
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


def bulk_accepts(source: Source, lines: list[bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What the engine's bulk path decides for each line, each in a file of its own between
    two good lines, read as a run reads landing files (never line by line: that is the validator)."""
    def not_in_bulk(*args: object) -> None:
        raise AssertionError("a file went to the line-by-line path")

    monkeypatch.setattr(LandingReader, "_read_exactly", not_in_bulk)
    good = GOOD[source.name].encode()
    paths = []
    for i, line in enumerate(lines):
        paths.append(tmp_path / f"{i:03}.json")
        paths[-1].write_bytes(good + b"\n" + line + b"\n" + good + b"\n")
    engine = DuckDBEngine(Config(), temp_dir=tmp_path)
    try:
        load = engine.load_landing(source, paths)
        assert engine.count(source.landing_table) == load.accepted
    finally:
        engine.close()
    assert load.lines_read == 3 * len(lines) and load.accepted + len(load.rejected) == load.lines_read
    assert all(r.line == 2 for r in load.rejected)
    rejected = {r.file for r in load.rejected}
    return [str(path) not in rejected for path in paths]


def validator_accepts(source: Source, line: bytes) -> bool:
    raw, reason = decode(line)
    return (reason or rejection_reason(source, raw)) is None


GOOD = {"accelerometer": GOOD_READING, "customer": next(iter(CUSTOMERS)), "step_trainer": next(iter(STEPS))}
# Lines that are not text, or hold bytes a str case cannot show plainly.
HOSTILE_BYTES = [
    b'{"user":"\xff","timestamp":1,"x":1,"y":2,"z":3}', b"\x00", b"\x1f\x8b\x08\x00\x00", b"\xef\xbb\xbf" + GOOD_READING.encode(),
    b"\x0b" + GOOD_READING.encode() + b"\x0c", GOOD_READING.encode() + b" \r\r", b'{"user":"a@x.com","timestamp":\t1,"x":1,"y":2,"z":3}',
]


@pytest.mark.parametrize("source, cases", [(ACCELEROMETER, READINGS), (CUSTOMER, CUSTOMERS), (STEP_TRAINER, STEPS)])
def test_bulk_parser_and_validator_agree(source: Source, cases: dict[str, str | None], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [line.encode() for line in cases] + HOSTILE_BYTES
    for line, ok in zip(lines, bulk_accepts(source, lines, tmp_path, monkeypatch)):
        assert ok == validator_accepts(source, line), line


@pytest.mark.parametrize("source, cases", [(ACCELEROMETER, READINGS), (CUSTOMER, CUSTOMERS), (STEP_TRAINER, STEPS)])
def test_bulk_parser_and_validator_agree_with_every_line_in_one_file(
        source: Source, cases: dict[str, str | None], tmp_path: Path) -> None:
    lines = [line.encode() for line in cases] + HOSTILE_BYTES
    path = tmp_path / "all.json"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    engine = DuckDBEngine(Config(), temp_dir=tmp_path)
    try:
        load = engine.load_landing(source, [path])
    finally:
        engine.close()
    rejected = {r.line for r in load.rejected}
    assert load.lines_read == len(lines)
    assert [i + 1 not in rejected for i in range(len(lines))] == [validator_accepts(source, line) for line in lines]


@pytest.mark.parametrize("source, cases", [(ACCELEROMETER, READINGS), (CUSTOMER, CUSTOMERS), (STEP_TRAINER, STEPS)])
def test_reasons_name_the_problem(source: Source, cases: dict[str, str | None]) -> None:
    for line, reason in cases.items():
        assert rejection_reason(source, line) == reason, line


def test_explicit_nulls_need_no_validator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Customer records with null consent keys are proven sound by counting, not re-parsed."""
    from stedi.engines import duckdb_landing

    asked: list[str] = []
    real = duckdb_landing.rejection_reason
    monkeypatch.setattr(duckdb_landing, "rejection_reason", lambda source, raw: asked.append(raw) or real(source, raw))
    good = '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2'
    path = tmp_path / "c.json"
    path.write_text("".join(f'{good},"phone":null,"shareWithResearchAsOfDate": null}}\n{good}}}\n' for _ in range(50)))
    engine = DuckDBEngine(Config(), temp_dir=tmp_path)
    try:
        load = engine.load_landing(CUSTOMER, [path])
    finally:
        engine.close()
    assert (load.lines_read, load.accepted, asked) == (100, 100, [])
