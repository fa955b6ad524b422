"""What a line must be (docs/tables.md), line by line: the reference's rules and the product's verdicts.

Each case is a landing line and whether the words of docs/tables.md accept it, worked out by hand.
The reference (tests/reference.py) must give the same verdict, and a run of the product must
quarantine exactly the rejected lines and type the accepted ones as the reference does. The
product's own validator is not consulted: a regression in it or in the bulk parser shows here.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.pipeline.run import RunSummary
from tests.landing.deep_lines import DEEP, TOO_DEEP
from tests.reference import Rejected, expected_quarantine, landing_lines, parse_line, read_source

R = '{"user":"a@x.com","timestamp":1655564444103,"x":1.0,"y":-1,"z":0.5}'


def reading_with(**tokens: str) -> str:
    """A reading line with some values replaced by raw JSON text (None: the key left out)."""
    values = {"user": '"a@x.com"', "timestamp": "1", "x": "1", "y": "2", "z": "3", **tokens}
    return "{" + ",".join(f'"{k}":{v}' for k, v in values.items() if v is not None) + "}"


ACCELEROMETER: dict[str, bool] = {
    R: True,
    reading_with(extra='[1,{"k":2}]'): True,  # unknown keys are ignored
    "  " + R + "  ": True,  # white space around the object is JSON white space
    reading_with(user='"\\u00fc@x.com"'): True,
    reading_with(user='"ü@x.com"'): True,
    # integers: a whole JSON number that fits in 64 bits, nothing else
    reading_with(timestamp="9223372036854775807"): True,
    reading_with(timestamp="-9223372036854775808"): True,
    reading_with(timestamp="-0"): True,
    reading_with(timestamp="9223372036854775808"): False,
    reading_with(timestamp="-9223372036854775809"): False,
    reading_with(timestamp="99999999999999999999"): False,
    reading_with(timestamp='"1"'): False,
    reading_with(timestamp="1.5"): False,
    reading_with(timestamp="1.0"): False,
    reading_with(timestamp="1e3"): False,
    reading_with(timestamp="true"): False,
    reading_with(timestamp="null"): False,
    reading_with(timestamp=None): False,
    # numbers: any finite JSON number
    reading_with(x="-0.0", y="2.5e-7", z="3E2"): True,
    reading_with(x="1e308"): True,
    reading_with(x="123456789012345678901234567890"): True,
    reading_with(x="1e400"): False,
    reading_with(x="-1e400"): False,
    reading_with(x="NaN"): False,
    reading_with(x="Infinity"): False,
    reading_with(x="-Infinity"): False,
    reading_with(x='"1.5"'): False,
    reading_with(y="true"): False,
    reading_with(y="false"): False,
    reading_with(z="[3]"): False,
    reading_with(z="{}"): False,
    reading_with(z=None): False,
    # required strings: present, a string, not empty nor only spaces
    reading_with(user="5"): False,
    reading_with(user='""'): False,
    reading_with(user='"   "'): False,
    reading_with(user="null"): False,
    reading_with(user=None): False,
    reading_with(user='["a@x.com"]'): False,
    # not one JSON object
    R[:-1]: False,  # truncated
    R[:20]: False,
    R + " trailing": False,
    R + R: False,
    "{'user':'a@x.com','timestamp':1,'x':1,'y':2,'z':3}": False,
    '{user:"a@x.com","timestamp":1,"x":1,"y":2,"z":3}': False,
    "[1,2]": False,
    '"just a string"': False,
    "5": False,
    "null": False,
    "{}": False,
    "not json at all": False,
}
# The new rule (issue 7): a key given twice, in any object, rejects the line.
ACCELEROMETER_REPEATED_KEYS: dict[str, bool] = {
    '{"user":"a@x.com","user":"b@x.com","timestamp":1,"x":1,"y":2,"z":3}': False,
    '{"user":"a@x.com","timestamp":1,"timestamp":1,"x":1,"y":2,"z":3}': False,
    reading_with(extra='{"k":1,"k":2}'): False,
    reading_with(extra='[{"k":1},{"k":2,"j":1,"k":3}]'): False,
    reading_with(extra="1") [:-1] + ',"extra":2}': False,
    reading_with(extra='{"k":1,"K":2}'): True,  # keys differ in case: not the same key
}
CUSTOMER_BASE = {"email": '"a@x.com"', "serialNumber": '"s"', "registrationDate": "1", "lastUpdateDate": "2"}


def customer_with(**tokens: str | None) -> str:
    values = {**CUSTOMER_BASE, **tokens}
    return "{" + ",".join(f'"{k}":{v}' for k, v in values.items() if v is not None) + "}"


CUSTOMER: dict[str, bool] = {
    customer_with(): True,
    customer_with(customerName='"Ann"', phone='"8015551212"', birthDay='"1399-01-01"',
                  shareWithResearchAsOfDate="10", shareWithPublicAsOfDate="11", shareWithFriendsAsOfDate="12"): True,
    # optional fields: absent, null, or of their type
    customer_with(shareWithResearchAsOfDate="null", shareWithPublicAsOfDate="null", customerName="null",
                  phone="null", birthDay="null"): True,
    customer_with(customerName='""', phone='" "'): True,  # only required strings must not be empty
    customer_with(customerName="5"): False,
    customer_with(phone="8015551212"): False,
    customer_with(shareWithResearchAsOfDate='"5"'): False,
    customer_with(shareWithResearchAsOfDate="1.5"): False,
    customer_with(shareWithPublicAsOfDate="true"): False,
    customer_with(shareWithFriendsAsOfDate="[]"): False,
    customer_with(shareWithResearchAsOfDate="9223372036854775808"): False,
    # dates: YYYY-MM-DD, year 1 to 9999 (fewer digits or leading zeros allowed), a real day
    customer_with(birthDay='"993-01-01"'): True,
    customer_with(birthDay='"0993-01-01"'): True,
    customer_with(birthDay='"1-01-01"'): True,
    customer_with(birthDay='"0001-01-01"'): True,
    customer_with(birthDay='"9999-12-31"'): True,
    customer_with(birthDay='"2000-02-29"'): True,
    customer_with(birthDay='"1900-02-29"'): False,
    customer_with(birthDay='"1399-02-30"'): False,
    customer_with(birthDay='"2020-13-01"'): False,
    customer_with(birthDay='"2020-00-10"'): False,
    customer_with(birthDay='"0-01-01"'): False,
    customer_with(birthDay='"0000-01-01"'): False,
    customer_with(birthDay='"10000-01-01"'): False,
    customer_with(birthDay='"2020-1-01"'): False,
    customer_with(birthDay='"2020-01-1"'): False,
    customer_with(birthDay='"-993-01-01"'): False,
    customer_with(birthDay='"2020/01/01"'): False,
    customer_with(birthDay='"2020-01-01T00:00:00"'): False,
    customer_with(birthDay='" 2020-01-01"'): False,
    customer_with(birthDay='""'): False,
    customer_with(birthDay="20200101"): False,
    # required fields
    customer_with(email='""'): False,
    customer_with(email="null"): False,
    customer_with(email=None): False,
    customer_with(serialNumber=None): False,
    customer_with(serialNumber='"  "'): False,
    customer_with(registrationDate="null"): False,
    customer_with(lastUpdateDate='"2"'): False,
    customer_with(lastUpdateDate=None): False,
    '{"email": "broken': False,
    "[]": False,
}
CUSTOMER_REPEATED_KEYS: dict[str, bool] = {
    '{"email":"a@x.com","email":"b@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2}': False,
    '{"email":5,"email":"b@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2}': False,
    customer_with(shareWithResearchAsOfDate="null")[:-1] + ',"shareWithResearchAsOfDate":5}': False,
}
STEP = '{"sensorReadingTime":1,"serialNumber":"s","distanceFromObject":218}'
STEP_TRAINER: dict[str, bool] = {
    STEP: True,
    '{"sensorReadingTime":-9223372036854775808,"serialNumber":"s","distanceFromObject":0}': True,
    '{"sensorReadingTime":9223372036854775808,"serialNumber":"s","distanceFromObject":0}': False,
    '{"sensorReadingTime":1,"serialNumber":"s","distanceFromObject":218.5}': False,
    '{"sensorReadingTime":1,"serialNumber":"s","distanceFromObject":"218"}': False,
    '{"sensorReadingTime":1,"serialNumber":"s","distanceFromObject":2.18e2}': False,
    '{"sensorReadingTime":1,"serialNumber":5,"distanceFromObject":218}': False,
    '{"sensorReadingTime":1,"serialNumber":"","distanceFromObject":218}': False,
    '{"sensorReadingTime":1,"distanceFromObject":218}': False,
}
STEP_TRAINER_REPEATED_KEYS: dict[str, bool] = {
    '{"sensorReadingTime":1,"serialNumber":"s","serialNumber":"t","distanceFromObject":218}': False,
}
# Lines docs/tables.md rejects that a lenient reader lets through: DuckDB's JSON reader (trailing
# commas, a vertical tab as white space, a lone surrogate), a trim of spaces only, a float()
# that overflows. Each was a product bug once.
LENIENT: dict[str, dict[str, bool]] = {
    "accelerometer": {
        R[:-1] + ",}": False,  # trailing comma: not JSON
        reading_with(extra="[1,2,]"): False,
        reading_with(extra='{"k":1,}'): False,
        R + "\x0b": False,  # a vertical tab is not JSON white space
        reading_with(user='"\\t"'): False,  # required strings of only white space
        reading_with(user='"\\n"'): False,
        reading_with(user='" \\t "'): False,
        reading_with(user='"\\u00a0"'): False,
        reading_with(x="1" + "0" * 400): False,  # a whole number too large for a double
        reading_with(user='"\\ud800"'): False,  # a lone surrogate is no text UTF-8 can hold
    },
    "customer": {customer_with(serialNumber='"\\t"'): False},
    "step_trainer": {STEP[:-1] + ",}": False},
}
CASES = {"accelerometer": ACCELEROMETER, "customer": CUSTOMER, "step_trainer": STEP_TRAINER}
REPEATED_KEYS = {"accelerometer": ACCELEROMETER_REPEATED_KEYS, "customer": CUSTOMER_REPEATED_KEYS,
                 "step_trainer": STEP_TRAINER_REPEATED_KEYS}
# Lines that are no records, between the cases: empty, spaces, a tab, a lone carriage return.
BLANKS = [b"", b"   ", b"\t", b"\r", b" \t "]
NOT_UTF8 = {  # bytes that are not UTF-8 text, inside an otherwise good line
    "accelerometer": R.replace("a@x.com", "a\xff@x.com").encode("latin-1"),
    "customer": customer_with(customerName='"Ren\xe9e"').encode("latin-1"),
    "step_trainer": STEP.replace('"s"', '"s\xc3"').encode("latin-1"),
}


def accepted(source: str, line: str | bytes) -> bool:
    try:
        parse_line(source, line.encode() if isinstance(line, str) else line)
    except Rejected:
        return False
    return True


@pytest.mark.parametrize("source", CASES)
def test_reference_follows_the_readme(source: str) -> None:
    for line, ok in {**CASES[source], **REPEATED_KEYS[source], **LENIENT[source], **DEEP[source]}.items():
        assert accepted(source, line) == ok, line[:100]
    assert not accepted(source, NOT_UTF8[source])


def test_reference_types_the_values() -> None:
    row = parse_line("customer", customer_with(birthDay='"0993-01-05"', shareWithResearchAsOfDate="7").encode())
    assert row == {"customername": None, "email": "a@x.com", "phone": None, "birthday": datetime.date(993, 1, 5),
                   "serialnumber": "s", "registrationdate": 1, "lastupdatedate": 2,
                   "sharewithresearchasofdate": 7, "sharewithpublicasofdate": None, "sharewithfriendsasofdate": None}
    assert parse_line("accelerometer", reading_with(x="3", y="-0", z="2.5e-1").encode())["x"] == 3.0


def write_cases(root: Path, cases: dict[str, dict[str, bool]], not_utf8: bool = True) -> dict[str, list[int]]:
    """One landing file per source: each case, a blank line after every third, the line that is
    not UTF-8 last. Returns the line numbers docs/tables.md rejects, per source."""
    rejected: dict[str, list[int]] = {}
    for source, lines in cases.items():
        body: list[bytes] = []
        rejected[source] = []
        for i, (line, ok) in enumerate(lines.items()):
            body.append(line.encode())
            if not ok:
                rejected[source].append(len(body))
            if i % 3 == 2:
                body.append(BLANKS[i % len(BLANKS)])
        if not_utf8:
            body.append(NOT_UTF8[source])
            rejected[source].append(len(body))
        folder = root / source / "landing"
        folder.mkdir(parents=True)
        (folder / f"{source}-cases.json").write_bytes(b"\n".join(body) + b"\r\n")
    return rejected


def run_cases(tmp_path: Path, cases: dict[str, dict[str, bool]]) -> tuple[Lakehouse, Path, dict[str, list[int]]]:
    delivery = tmp_path / "delivery"
    rejected = write_cases(delivery, cases)
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(delivery)
    house.run()
    return house, delivery, rejected


def quarantined(house: Lakehouse) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {source: [] for source in CASES}
    for r in house.table("quarantine").to_arrow().to_pylist():
        found[r["source"]].append(r["line"])
    return {source: sorted(lines) for source, lines in found.items()}


def test_blank_lines_are_no_records_but_keep_their_numbers(tmp_path: Path) -> None:
    folder = tmp_path / "accelerometer" / "landing"
    folder.mkdir(parents=True)
    (folder / "a.json").write_bytes(b"\n".join([R.encode(), *BLANKS, b"bad", R.encode()]) + b"\n")
    lines = landing_lines(folder / "a.json")
    assert [n for n, _ in lines] == [1, 2 + len(BLANKS), 3 + len(BLANKS)]


def test_a_run_quarantines_exactly_the_lines_the_readme_rejects(tmp_path: Path) -> None:
    cases = {source: {**CASES[source], **REPEATED_KEYS[source], **LENIENT[source], **DEEP[source]}
             for source in CASES}
    house, delivery, rejected = run_cases(tmp_path, cases)
    assert quarantined(house) == rejected
    assert expected_quarantine(delivery) == sorted(
        (source, f"{source}/landing/{source}-cases.json", line) for source, lines in rejected.items() for line in lines)
    state = house.lake.state()
    summary = house.lake.run_record(state.run_id) if state else None
    assert summary is not None
    counted = {t["name"]: t["rows_in"] for t in summary["tables"][:3]}
    # every case and the line that is not UTF-8 are read; blank lines are not counted
    assert counted == {f"{s}_landing": len(cases[s]) + 1 for s in CASES}


@pytest.mark.parametrize("source", CASES)
def test_accepted_lines_are_typed_as_the_reference_types_them(tmp_path: Path, source: str) -> None:
    house, delivery, _ = run_cases(tmp_path, {source: CASES[source]})
    got = house.table(f"{source}_landing").to_arrow().to_pylist()
    want = read_source(delivery, source)
    assert sorted(map(repr, got)) == sorted(map(repr, want))


def test_a_run_quarantines_lines_with_a_key_given_twice(tmp_path: Path) -> None:
    house, _, rejected = run_cases(tmp_path, REPEATED_KEYS)
    assert quarantined(house) == rejected


def run_one_file(tmp_path: Path, lines: list[str]) -> tuple[Lakehouse, RunSummary]:
    """A lake whose only landing file is these accelerometer lines, after one run."""
    folder = tmp_path / "delivery" / "accelerometer" / "landing"
    folder.mkdir(parents=True)
    (folder / "a.json").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(tmp_path / "delivery")
    return house, house.run()


@pytest.mark.parametrize("line", [
    R[:-1] + ",}",  # a trailing comma
    reading_with(extra="[1,2,]"),
    reading_with(extra='{"k":1,}'),
    R + "\x0b",  # a vertical tab is no JSON white space
    reading_with(user='"\\t"'),  # required strings of only white space, Unicode's too
    reading_with(user='"\\n"'),
    reading_with(user='" \\t "'),
    reading_with(user='"\\u00a0"'),
    reading_with(x="1" + "0" * 400),  # a whole number too large for a double
])
def test_lines_a_lenient_reader_would_accept_are_quarantined(tmp_path: Path, line: str) -> None:
    assert not accepted("accelerometer", line)
    house, _ = run_one_file(tmp_path, [R, line, R])
    assert [(r["line"], r["raw"]) for r in house.table("quarantine").to_arrow().to_pylist()] == [(2, line)]


def test_a_line_of_spaces_does_not_make_a_rejected_line_vanish(tmp_path: Path) -> None:
    surrogate = reading_with(user='"\\ud800"', timestamp="7")
    assert not accepted("accelerometer", surrogate)
    house, summary = run_one_file(tmp_path, [R, "   ", surrogate, R])
    landing = summary.table("accelerometer_landing")
    assert landing.rows_out == len(house.table("accelerometer_landing").to_arrow()) == 2
    assert [r["line"] for r in house.table("quarantine").to_arrow().to_pylist()] == [3]


def test_the_landing_view_keeps_the_line_after_a_truncated_one(tmp_path: Path) -> None:
    lines = [reading_with(timestamp="1"), reading_with(timestamp="2")[:-8], reading_with(timestamp="3"),
             reading_with(timestamp="4")]
    house, summary = run_one_file(tmp_path, lines)
    assert summary.table("accelerometer_landing").rows_out == 3
    assert sorted(r["timestamp"] for r in house.table("accelerometer_landing").to_arrow().to_pylist()) == [1, 3, 4]


def test_lines_nested_too_deep_are_quarantined_for_it(tmp_path: Path) -> None:
    """Every line nested deeper than the limit, whatever else is wrong with it, is quarantined
    with the one reason; the lines at the limit are typed like any other."""
    house, _, rejected = run_cases(tmp_path, DEEP)
    assert quarantined(house) == rejected
    reasons = {(r["source"], r["raw"]): r["reason"] for r in house.table("quarantine").to_arrow().to_pylist()}
    for source, lines in DEEP.items():
        for line, ok in lines.items():
            if not ok:
                assert reasons[(source, line)] == TOO_DEEP, (source, line[:100])
    stamps = sorted(r["timestamp"] for r in house.table("accelerometer_landing").to_arrow().to_pylist())
    assert stamps == [1] * sum(DEEP["accelerometer"].values())
