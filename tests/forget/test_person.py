"""Which landing lines are a person's, which only mention them, and how a mention is replaced:
hand-written lines of each source, theirs and others'."""

from __future__ import annotations

import json

import pytest

from stedi.forget.person import MARKER, Person, matcher, person_from_rows

ANN = Person(emails={"ann.lee@test.com"}, serials={"7f3c2a10-0b1e-4c2d-9e8f-aa11bb22cc33"},
             phones={"8015550101"}, names={"Ann Lee"})
SERIAL = "7f3c2a10-0b1e-4c2d-9e8f-aa11bb22cc33"


def line(record: dict) -> bytes:
    return json.dumps(record).encode() + b"\n"


def owns(person: Person, source: str, raw: bytes) -> bool:
    verdict = person.matcher.verdict(source, raw)
    return verdict is not None and verdict.owner is not None


def redacted(person: Person, source: str, raw: bytes) -> bytes | None:
    """The line with the person's mentions replaced; None if it is theirs or holds none."""
    verdict = person.matcher.verdict(source, raw)
    return verdict.line if verdict is not None and verdict.owner is None else None


def untouched(person: Person, source: str, raw: bytes) -> bool:
    return person.matcher.verdict(source, raw) is None


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
    assert owns(ANN, source, raw)


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
    assert untouched(ANN, source, raw)


def test_a_truncated_or_malformed_line_whose_identifying_field_names_them_is_the_persons() -> None:
    assert owns(ANN, "accelerometer", b'{"user":"ann.lee@test.com","timesta')
    assert owns(ANN, "accelerometer", b'{"user": "ann.lee@test.com", "timestamp": "soon"}\n')
    assert owns(ANN, "step_trainer", b'{"sensorReadingTime":1,"serialNumber":"' + SERIAL.encode())
    assert owns(ANN, "customer", b'{"email": "ann.lee@test.com", "customerName": "Ann Lee", "phone": ')
    # In a source whose identifying field is not an email, the email is a mention.
    assert redacted(ANN, "step_trainer", b'{"note": "from ann.lee@test.com"}\n') == b'{"note": "from [erased]"}\n'
    # The phone, anywhere, but not as part of a longer number.
    assert redacted(ANN, "customer", b'{"customerName": "A", "phone": "8015550101", "em') == \
        b'{"customerName": "A", "phone": "[erased]", "em'
    assert untouched(ANN, "customer", b'{"customerName": "A", "phone": "180155501012"}\n')
    # Cut inside the email: nothing of it is left to recognise.
    assert untouched(ANN, "accelerometer", b'{"user":"ann.lee@tes')


def test_case_and_spaces_do_not_hide_them() -> None:
    assert owns(ANN, "customer", b'{"email": "  ANN.Lee@Test.COM ", "serialNumber": "x"}\n')
    assert owns(ANN, "accelerometer", b'{"user":"Ann.Lee@test.com","timestamp":1,"x":0,"y":0,"z":0}\n')
    assert owns(Person(emails={" ANN.LEE@TEST.COM "}), "accelerometer", b'{"user":"ann.lee@test.com"}\n')
    assert redacted(ANN, "customer", b'{"email": "bob@x.com", "referredBy": "ANN.LEE@TEST.COM"}\n') == \
        b'{"email": "bob@x.com", "referredBy": "[erased]"}\n'
    # A serial number is compared as delivered (the tables join on it so).
    assert untouched(ANN, "step_trainer", b'{"serialNumber": "' + SERIAL.upper().encode() + b'"}\n')


def test_a_mention_in_someone_elses_line_is_replaced_and_the_line_stays_theirs() -> None:
    bob = b'{"customerName": "ann.lee@test.com", "email": "bob@x.com", "referredBy": "Ann <ann.lee@test.com>", ' \
          b'"contact": {"tel": 8015550101, "all": ["8015550101", "x"]}, "ann.lee@test.com": 1}\r\n'
    assert redacted(ANN, "customer", bob) == (
        b'{"customerName": "[erased]", "email": "bob@x.com", "referredBy": "Ann <[erased]>", '
        b'"contact": {"tel": "[erased]", "all": ["[erased]", "x"]}, "[erased]": 1}\r\n')
    assert ANN.matcher.verdict("customer", bob).redacted == 5  # type: ignore[union-attr]
    # A reading's declared number that equals their phone is a measurement: it stays.
    reading = b'{"user": "bob@x.com", "timestamp": 8015550101, "x": 1, "y": 2, "z": 3, "tel": 8015550101}\n'
    assert redacted(ANN, "accelerometer", reading) == \
        b'{"user": "bob@x.com", "timestamp": 8015550101, "x": 1, "y": 2, "z": 3, "tel": "[erased]"}\n'
    # In junk, where no JSON is left to keep.
    assert redacted(ANN, "customer", b"not json at all: ann.lee@test.com;") == b"not json at all: " + \
        MARKER.encode() + b";"


def test_a_line_nested_far_deeper_than_python_recursion_is_read() -> None:
    deep = b'{"user": "bob@x.com", "x": ' + b"[" * 100_000 + b'"ann.lee@test.com"' + b"]" * 100_000 + b"}\n"
    assert redacted(ANN, "accelerometer", deep) == deep.replace(b"ann.lee@test.com", MARKER.encode())
    theirs = b'{"user": "ann.lee@test.com", "x": ' + b"{\"a\": " * 100_000 + b"1" + b"}" * 100_000 + b"}\n"
    assert owns(ANN, "accelerometer", theirs)
    # An identifying key nested below the top level does not name the line's owner.
    assert redacted(ANN, "accelerometer", b'{"user": "bob@x.com", "n": {"user": "ann.lee@test.com"}}') == \
        b'{"user": "bob@x.com", "n": {"user": "[erased]"}}'


def test_json_escaped_identifiers_are_found() -> None:
    assert owns(ANN, "accelerometer", b'{"user":"ann.lee\\u0040test.com","timestamp":1,"x":0,"y":0,"z":0}\n')
    assert owns(ANN, "accelerometer", b'{"user":"\\u0061nn.lee@test.com","timest')  # truncated too
    assert owns(ANN, "accelerometer", b'{"\\u0075ser":"ann.lee@test.com"}\n')  # the key escaped
    assert redacted(ANN, "step_trainer", b'{"note":"ANN.LEE\\u0040TEST.COM"}') == b'{"note":"[erased]"}'
    slash = Person(emails={"a/b.c@test.com"}, serials={"S\u00e9rie-000001"})
    assert owns(slash, "accelerometer", b'{"user":"a\\/b.c@test.com","timestamp":1}\n')
    assert owns(slash, "step_trainer", b'{"serialNumber":"S\\u00E9rie-000001","sensorReadingTime":1}\n')
    assert owns(slash, "step_trainer", b'{"serialNumber":"S\\u00e9rie-000001","sensorRea')
    assert owns(slash, "step_trainer", '{"serialNumber":"Série-000001"}\n'.encode())
    emoji = Person(emails={"\U0001f600x@test.com"})
    assert owns(emoji, "customer", b'{"email":"\\ud83d\\ude00x@test.com"}\n')


def test_a_short_identifier_is_matched_in_its_field_only() -> None:
    short = Person(emails={"ann"}, serials={"s1"}, phones={"555"})
    assert owns(short, "accelerometer", b'{"user":"ann","timestamp":1,"x":0.555,"y":0,"z":0}\n')
    assert owns(short, "step_trainer", b'{"sensorReadingTime":1,"serialNumber":"s1","distanceFromObject":3}\n')
    assert owns(short, "customer", b'{"email":"\\u0061nn","serialNumber":"x"}\n')
    assert untouched(short, "accelerometer", b'{"user":"joann","timestamp":1,"x":0.555,"y":0,"z":0}\n')
    assert untouched(short, "customer", b'{"email":"bob","serialNumber":"s1","phone":"555"}\n')
    # The identifying field is whole before the cut: the line is theirs.
    assert owns(short, "accelerometer", b'{"user":"ann","timesta')


def test_names_are_not_matched_as_text() -> None:
    # Another customer of the same name, and a line with the name in it: neither is the person's.
    namesake = line({"customerName": "Ann Lee", "email": "ann.lee2@test.com", "serialNumber": "x" * 36})
    assert untouched(ANN, "customer", namesake)
    assert untouched(ANN, "customer", b'{"customerName": "Ann Lee", "ema')


def test_several_people_at_once() -> None:
    both = matcher([ANN, Person(emails={"bob.ray@test.com"})])
    assert both.verdict("accelerometer", b'{"user":"bob.ray@test.com"}\n').owner == "bob.ray@test.com"  # type: ignore[union-attr]
    assert both.verdict("accelerometer", b'{"user":"ann.lee@test.com"}\n').owner == "ann.lee@test.com"  # type: ignore[union-attr]
    assert both.verdict("accelerometer", b'{"user":"cy@test.com"}\n') is None


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
