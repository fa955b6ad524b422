"""The rules again, in plain Python over JSON lines: an independent second implementation.

Tests compare the engine's tables with this one on the same data (the sqlglot way of
checking an executor against DuckDB). Slow but obvious; only for test-sized data.

Nothing here comes from the product's validator or engines: which lines are records, and
which of them are accepted, is decided below from the words of docs/tables.md ("What a line
must be"), so a regression in the product's validation shows up as a difference.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stedi import Lakehouse

# The declared fields, restated rather than imported from stedi.landing.sources: a change
# to that declaration (a required field made optional, a type changed) would otherwise
# change the product and this reference at once and pass unnoticed. Types are the JSON
# types docs/tables.md names: "string", "integer" (whole number in 64 bits), "number" (any
# finite JSON number), "date" (a string YYYY-MM-DD). (key, type, required), in column order.
FIELDS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "customer": (
        ("customerName", "string", False),
        ("email", "string", True),
        ("phone", "string", False),
        ("birthDay", "date", False),
        ("serialNumber", "string", True),
        ("registrationDate", "integer", True),
        ("lastUpdateDate", "integer", True),
        ("shareWithResearchAsOfDate", "integer", False),  # absent or null: no consent
        ("shareWithPublicAsOfDate", "integer", False),
        ("shareWithFriendsAsOfDate", "integer", False),
    ),
    "accelerometer": (
        ("user", "string", True),
        ("timestamp", "integer", True),
        ("x", "number", True),
        ("y", "number", True),
        ("z", "number", True),
    ),
    "step_trainer": (
        ("sensorReadingTime", "integer", True),
        ("serialNumber", "string", True),
        ("distanceFromObject", "integer", True),
    ),
}

# Year 1 to 9999, leading zeros allowed and centuries-old years with fewer digits ("993-01-01").
_DATE = re.compile(r"0*([1-9][0-9]{0,3})-([0-9]{2})-([0-9]{2})")
_JSON_WHITESPACE = b" \t\r"  # a line of only these is blank: not a record, not counted
MAX_DEPTH = 64  # docs/tables.md: arrays and objects nested deeper than 64 levels reject a line


class Rejected(ValueError):
    """A line that is not a record docs/tables.md accepts."""


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise Rejected("a key given twice")
    return dict(pairs)


def _no_constants(name: str) -> None:
    raise Rejected(f"{name} is not JSON")


def _depth(value: Any) -> int:
    """Levels of arrays and objects in a parsed value (a plain value: 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            stack.extend((inner, level + 1) for inner in (item.values() if isinstance(item, dict) else item))
    return deepest


def _date(text: str) -> datetime.date:
    match = _DATE.fullmatch(text)
    if not match:
        raise Rejected(f"not a date: {text!r}")
    try:
        return datetime.date(*map(int, match.groups()))  # a real calendar date: no 1399-02-30
    except ValueError:
        raise Rejected(f"not a calendar date: {text!r}") from None


def _typed(kind: str, required: bool, value: Any) -> Any:
    """The value of one present, non-null field, or Rejected when not of its JSON type."""
    if kind in ("string", "date"):
        if not isinstance(value, str):
            raise Rejected("not a string")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # "\ud800": an escape JSON's grammar allows, but no text
            raise Rejected("not UTF-8 text") from None
        if required and not value.strip():
            raise Rejected("empty")
        return _date(value) if kind == "date" else value
    if isinstance(value, bool):  # a JSON true is not a number, though Python's bool is an int
        raise Rejected("a boolean")
    if kind == "integer":
        if not isinstance(value, int) or not -(2**63) <= value < 2**63:
            raise Rejected("not a whole number in 64 bits")
        return value
    if not isinstance(value, (int, float)):
        raise Rejected("not a number")
    try:
        number = float(value)
    except OverflowError:  # a whole number of 400 digits
        raise Rejected("too large a number") from None
    if not math.isfinite(number):  # 1e400 reads as infinity
        raise Rejected("not a finite number")
    return number


def parse_line(source: str, raw: bytes) -> dict[str, Any]:
    """One landing line (without its line break) as a row keyed by column, or Rejected."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected("not UTF-8") from None
    try:
        record = json.loads(text, object_pairs_hook=_no_repeated_keys, parse_constant=_no_constants)
    except Rejected:
        raise
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise Rejected("not JSON") from None  # RecursionError: nested far too deep for json
    if _depth(record) > MAX_DEPTH:
        raise Rejected("nested too deep")
    if not isinstance(record, dict):
        raise Rejected("not an object")
    row = {}
    for key, kind, required in FIELDS[source]:
        value = record.get(key)
        if value is None:
            if required:
                raise Rejected(f"{key} missing or null")
            row[key.lower()] = None
        else:
            row[key.lower()] = _typed(kind, required, value)
    return row


def landing_lines(path: Path) -> list[tuple[int, bytes]]:
    """(line number, raw bytes) of every non-blank line of a file; CRLF and LF both end a line."""
    lines = path.read_bytes().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the file ends with a line break
    numbered = [(n, line[:-1] if line.endswith(b"\r") else line) for n, line in enumerate(lines, start=1)]
    return [(n, line) for n, line in numbered if line.strip(_JSON_WHITESPACE)]


def read_landing(root: Path, source: str) -> tuple[list[dict], list[tuple[str, int]]]:
    """Accepted rows of a source under `root` (a delivery or a lake), and the rejected lines
    as (file relative to root, line number)."""
    rows, rejected = [], []
    for path in sorted((root / source / "landing").glob("*.json")):
        for number, raw in landing_lines(path):
            try:
                rows.append(parse_line(source, raw))
            except Rejected:
                rejected.append((path.relative_to(root).as_posix(), number))
    return rows, rejected


def read_source(root: Path, source: str) -> list[dict]:
    return read_landing(root, source)[0]


def _nulls_last(value: Any) -> tuple[bool, Any]:
    return (value is None, value)


def _latest_first(c: dict) -> tuple:
    """Sort key: the record that stands for its email sorts first. Latest lastupdatedate;
    on a tie, no research consent (absent or null) before any; then the later consent date;
    the remaining ties as customer_latest.sql breaks them (ascending, nulls last), so the
    choice between records that differ only in other columns is the engine's too."""
    research = c["sharewithresearchasofdate"]
    return (
        -c["lastupdatedate"],
        research is not None,
        -(research or 0),
        c["serialnumber"],
        c["registrationdate"],
        _nulls_last(c["customername"]),
        _nulls_last(c["phone"]),
        _nulls_last(c["birthday"]),
        _nulls_last(c["sharewithpublicasofdate"]),
        _nulls_last(c["sharewithfriendsasofdate"]),
    )


CUSTOMER_COLUMNS = tuple(k.lower() for k, _, _ in FIELDS["customer"])


def expected_tables(root: Path, policy: str) -> dict[str, list[tuple]]:
    latest: dict[str, dict] = {}
    for c in read_source(root, "customer"):
        old = latest.get(c["email"])
        if old is None or _latest_first(c) < _latest_first(old):
            latest[c["email"]] = c
    trusted = {e: c for e, c in latest.items() if c["sharewithresearchasofdate"] is not None}

    def allowed(c: dict, ts: int) -> bool:
        return policy == "any-time" or ts >= c["sharewithresearchasofdate"]

    accel = {
        (a["user"], a["timestamp"], a["x"], a["y"], a["z"])
        for a in read_source(root, "accelerometer")
        if a["user"] in trusted and allowed(trusted[a["user"]], a["timestamp"])
    }
    curated = {a[0] for a in accel}
    holders = Counter(c["serialnumber"] for c in latest.values())
    owner = {c["serialnumber"]: e for e, c in latest.items() if holders[c["serialnumber"]] == 1}
    steps = {
        (s["sensorreadingtime"], s["serialnumber"], s["distancefromobject"])
        for s in read_source(root, "step_trainer")
        if owner.get(s["serialnumber"]) in curated and allowed(trusted[owner[s["serialnumber"]]], s["sensorreadingtime"])
    }
    phone: dict[tuple[str, int], list[tuple]] = {}
    for a in accel:
        phone.setdefault((a[0], a[1]), []).append(a)
    ml = [
        (owner[serial], ts, distance, a[2], a[3], a[4])
        for ts, serial, distance in steps
        for a in phone.get((owner[serial], ts), [])
    ]

    def customer_rows(emails: set[str] | dict) -> list[tuple]:
        return sorted((tuple(trusted[e][k] for k in CUSTOMER_COLUMNS) for e in emails), key=_sortable)

    return {
        "customer_trusted": customer_rows(trusted),
        "accelerometer_trusted": sorted(accel),
        "customer_curated": customer_rows(curated),
        "step_trainer_trusted": sorted(steps),
        "machine_learning_curated": sorted(ml),  # with the email where the table has its keyed hash
    }


def _sortable(row: tuple) -> tuple:
    return tuple(_nulls_last(v) for v in row)


def expected_quarantine(root: Path) -> list[tuple[str, str, int]]:
    """(source, file relative to root, line) of every line the rules reject."""
    return sorted((source, file, line) for source in FIELDS for file, line in read_landing(root, source)[1])


def assert_lake_matches(house: "Lakehouse", delivery: Path | None, policy: str, landing: bool = True) -> int:
    """Every table of a lake (after a run under `policy`) row for row, every column, against
    the rules here; the landing views and the quarantine line for line. `delivery` is a folder in the starter
    layout holding all the lake's landing files (None: read the lake's own landing folders).
    Returns the machine-learning rows, so a caller can check the data exercised the join.
    landing=False leaves the landing views out (see tests/landing/test_line_rules.py: today
    they lose the line after a truncated one)."""
    root = Path(house.path) if delivery is None else delivery
    expected = expected_tables(root, policy)
    got = {name: house.table(name).to_arrow().to_pylist() for name in expected}
    for name in ("customer_trusted", "customer_curated"):
        assert sorted((tuple(r[k] for k in CUSTOMER_COLUMNS) for r in got[name]), key=_sortable) == expected[name], name
    for name in ("accelerometer_trusted", "step_trainer_trusted"):
        assert sorted(tuple(r.values()) for r in got[name]) == expected[name], name
    key = house.lake.config.pseudonym_key
    want = sorted((hashlib.sha256((key + r[0]).encode()).hexdigest(),) + r[1:]
                  for r in expected["machine_learning_curated"])
    assert sorted(tuple(r.values()) for r in got["machine_learning_curated"]) == want
    for source in FIELDS if landing else ():  # the landing views: the accepted lines, typed
        view = house.table(f"{source}_landing").to_arrow().to_pylist()
        assert sorted(_sortable(tuple(r.values())) for r in view) == sorted(
            _sortable(tuple(r.values())) for r in read_source(root, source)), f"{source}_landing"
    quarantine = house.table("quarantine").to_arrow().to_pylist()
    assert sorted((r["source"], r["file"], r["line"]) for r in quarantine) == expected_quarantine(root), "quarantine"
    return len(want)
