"""Which landing lines are a person's: hand-written lines of each source, theirs and others'."""

from __future__ import annotations

import json

import pytest

from stedi.forget.person import Person, matcher, person_from_rows

ANN = Person(emails={"ann.lee@test.com"}, serials={"7f3c2a10-0b1e-4c2d-9e8f-aa11bb22cc33"},
             phones={"8015550101"}, names={"Ann Lee"})
SERIAL = "7f3c2a10-0b1e-4c2d-9e8f-aa11bb22cc33"


def line(record: dict) -> bytes:
    return json.dumps(record).encode() + b"\n"


@pytest.mark.parametrize("source, raw", [
    ("customer", line({"customerName": "Ann Lee", "email": "ann.lee@test.com", "serialNumber": SERIAL})),
    ("accelerometer", line({"user": "ann.lee@test.com", "timestamp": 1, "x": 0.5, "y": 0, "z": 1})),
    ("step_trainer", line({"sensorReadingTime": 1, "serialNumber": SERIAL, "distanceFromObject": 3})),
    # compact JSON, CRLF, no newline at the end of the file, a byte order mark on line 1
    ("accelerometer", b'{"user":"ann.lee@test.com","timestamp":1,"x":0,"y":0,"z":0}\r\n'),
    ("step_trainer", b'{"sensorReadingTime":1,"serialNumber":"' + SERIAL.encode() + b'","distanceFromObject":3}'),
    ("customer", b"\xef\xbb\xbf" + line({"email": "ann.lee@test.com", "serialNumber": "other"})),
])
def test_the_persons_valid_lines_in_each_source(source: str, raw: bytes) -> None:
    assert ANN.mentions(source, raw)


@pytest.mark.parametrize("source, raw", [
    ("customer", line({"customerName": "Bob Ray", "email": "bob.ray@test.com", "phone": "8015551212",
                       "serialNumber": "0a0a0a0a-1111-2222-3333-444455556666"})),
    ("accelerometer", line({"user": "bob.ray@test.com", "timestamp": 1, "x": 0.8015550101, "y": 0, "z": 0})),
    ("step_trainer", line({"sensorReadingTime": 18015550101, "serialNumber": "0a0a0a0a-1111-2222-3333-444455556666",
                           "distanceFromObject": 3})),
    # someone whose email ends with the person's, or continues it
    ("accelerometer", line({"user": "joann.lee@test.com", "timestamp": 1, "x": 0, "y": 0, "z": 0})),
    ("accelerometer", line({"user": "ann.lee@test.com.au", "timestamp": 1, "x": 0, "y": 0, "z": 0})),
    # a serial number that only starts like the person's
    ("step_trainer", b'{"sensorReadingTime":1,"serialNumber":"' + SERIAL.encode() + b'-2","distanceFromObject":3}\n'),
    ("step_trainer", b"\n"),
])
def test_other_peoples_lines_are_not_the_persons(source: str, raw: bytes) -> None:
    assert not ANN.mentions(source, raw)


def test_a_truncated_or_malformed_line_holding_an_identifier_is_the_persons() -> None:
    assert ANN.mentions("accelerometer", b'{"user":"ann.lee@test.com","timesta')
    assert ANN.mentions("accelerometer", b'{"user": "ann.lee@test.com", "timestamp": "soon"}\n')
    assert ANN.mentions("step_trainer", b'{"sensorReadingTime":1,"serialNumber":"' + SERIAL.encode())
    # In a source whose fields do not name people by email (the raw text decides).
    assert ANN.mentions("step_trainer", b'{"note": "from ann.lee@test.com"}\n')
    # The phone, anywhere, but not as part of a longer number.
    assert ANN.mentions("customer", b'{"customerName": "A", "phone": "8015550101", "em')
    assert not ANN.mentions("customer", b'{"customerName": "A", "phone": "180155501012"}\n')
    # Cut inside the email: nothing of it is left to recognise.
    assert not ANN.mentions("accelerometer", b'{"user":"ann.lee@tes')


def test_json_escaped_identifiers_are_found() -> None:
    assert ANN.mentions("accelerometer", b'{"user":"ann.lee\\u0040test.com","timestamp":1,"x":0,"y":0,"z":0}\n')
    assert ANN.mentions("accelerometer", b'{"user":"\\u0061nn.lee@test.com","timest')  # truncated too
    slash = Person(emails={"a/b.c@test.com"}, serials={"S\u00e9rie-000001"})
    assert slash.mentions("accelerometer", b'{"user":"a\\/b.c@test.com","timestamp":1}\n')
    assert slash.mentions("step_trainer", b'{"serialNumber":"S\\u00E9rie-000001","sensorReadingTime":1}\n')
    assert slash.mentions("step_trainer", b'{"serialNumber":"S\\u00e9rie-000001","sensorRea')
    assert slash.mentions("step_trainer", '{"serialNumber":"Série-000001"}\n'.encode())
    emoji = Person(emails={"\U0001f600x@test.com"})
    assert emoji.mentions("customer", b'{"email":"\\ud83d\\ude00x@test.com"}\n')


def test_a_short_identifier_is_matched_on_its_field_only() -> None:
    short = Person(emails={"ann"}, serials={"s1"}, phones={"555"})
    assert short.mentions("accelerometer", b'{"user":"ann","timestamp":1,"x":0.555,"y":0,"z":0}\n')
    assert short.mentions("step_trainer", b'{"sensorReadingTime":1,"serialNumber":"s1","distanceFromObject":3}\n')
    assert short.mentions("customer", b'{"email":"\\u0061nn","serialNumber":"x"}\n')
    assert not short.mentions("accelerometer", b'{"user":"joann","timestamp":1,"x":0.555,"y":0,"z":0}\n')
    assert not short.mentions("customer", b'{"email":"bob","serialNumber":"s1","phone":"555"}\n')
    assert not short.mentions("accelerometer", b'{"user":"ann","timesta')  # too short to trust raw


def test_names_are_not_matched_as_text() -> None:
    # Another customer of the same name, and a line with the name in it: neither is the person's.
    namesake = line({"customerName": "Ann Lee", "email": "ann.lee2@test.com", "serialNumber": "x" * 36})
    assert not ANN.mentions("customer", namesake)
    assert not ANN.mentions("customer", b'{"customerName": "Ann Lee", "ema')


def test_several_people_at_once() -> None:
    both = matcher([ANN, Person(emails={"bob.ray@test.com"})])
    assert both.mentions("accelerometer", b'{"user":"bob.ray@test.com"}\n')
    assert both.mentions("accelerometer", b'{"user":"ann.lee@test.com"}\n')
    assert not both.mentions("accelerometer", b'{"user":"cy@test.com"}\n')


def test_a_person_from_customer_rows_leaves_out_what_others_share() -> None:
    rows = [{"customername": "Ann Lee", "email": "ann.lee@test.com", "phone": "8015551212", "serialnumber": "s-ann"},
            {"customername": "Ann Lee", "email": "ann.lee@test.com", "phone": "8015550101", "serialnumber": "s-both"}]
    others = [{"customername": "Bob", "email": "bob@test.com", "phone": "8015551212", "serialnumber": "s-both"},
              rows[0]]
    person = person_from_rows(rows, others)
    assert person == Person(emails={"ann.lee@test.com"}, serials={"s-ann"}, phones={"8015550101"},
                            names={"Ann Lee"})
    with pytest.raises(TypeError):
        Person(emails="ann.lee@test.com")
