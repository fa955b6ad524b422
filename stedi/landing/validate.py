"""Why a landing line was rejected, in words a person can act on.

The engines decide in bulk which lines are accepted; this module explains the few that
are not. It follows the same declaration (`sources.py`) and the same rules, and is the
readable specification of them: tests check that both agree line for line.
"""

from __future__ import annotations

import json
import math
import re

from stedi.landing.sources import DATE_PATTERN, WHITE_SPACE, Field, FieldType, Source

_INT64 = (-(2**63), 2**63 - 1)
_ISO_DATE = re.compile(DATE_PATTERN)

# Arrays and objects nested deeper than this reject a line, whoever judges it. A real line
# has depth 1 (one object of plain values); an extra key may wrap a few levels. The limit is
# explicit so that the verdict never depends on a stack: Python's json recurses once a level,
# bound by the interpreter's 1000 frames less its caller's (a worker thread, a Spark executor
# and `stedi forget` each have their own), and Jackson stops at 1000. At 64, an accepted line
# can be parsed and walked again (two frames a level) by any of them.
MAX_DEPTH = 64
# A JSON string (its escapes skipped, an unterminated one running to the end) or a bracket.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


class _Unacceptable(ValueError):
    """A line that is JSON to a lenient reader, rejected here with its own reason."""


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """An object; a key given twice rejects the line: readers differ on which value counts."""
    record = dict(pairs)
    if len(record) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Unacceptable(f"key {key!r} is given twice: which value counts is ambiguous")
            seen.add(key)
    return record


def _lone_surrogate(value: object) -> str | None:
    """A string holding half of a UTF-16 pair (`"\\ud800"`): JSON syntax, but not Unicode text."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            return f"\\u{ord(value[e.start]):04x}"
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _lone_surrogate(key) or _lone_surrogate(item)
        if found:
            return found
    return None


def too_deep(raw: str) -> bool:
    """Whether a line nests arrays and objects deeper than MAX_DEPTH, counted without parsing
    (iteratively: no recursion that a deep line could exhaust). Brackets inside strings do not
    count. Where the line stops being JSON the parser stops too, so it never goes deeper than
    this count."""
    if raw.count("[") + raw.count("{") <= MAX_DEPTH:  # fewer brackets than levels: the usual line
        return False
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(raw):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif token in "]}":
            depth -= 1
    return False


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number with a fraction"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _field_problem(f: Field, record: dict[str, object]) -> str | None:
    if f.key not in record or record[f.key] is None:
        if not f.required:
            return None
        return f"missing required field {f.key!r}" if f.key not in record else f"required field {f.key!r} is null"
    value = record[f.key]
    kind = _json_kind(value)
    shown = json.dumps(value)[:40]
    if f.type in (FieldType.STRING, FieldType.DATE):
        if not isinstance(value, str):
            return f"field {f.key!r} must be a string, got {kind} {shown}"
        if f.type is FieldType.DATE and not _valid_date(value):
            return f"field {f.key!r} must be a date YYYY-MM-DD, got {shown}"
        if f.required and not value.strip(WHITE_SPACE):
            return f"required field {f.key!r} is empty"
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"field {f.key!r} must be a number, got {kind} {shown}"
    if f.type is FieldType.INTEGER:
        if not isinstance(value, int):
            return f"field {f.key!r} must be a whole number (epoch milliseconds), got {shown}"
        if not _INT64[0] <= value <= _INT64[1]:
            return f"field {f.key!r} does not fit in 64 bits: {shown}"
    elif not _finite(value):  # 1e400 reads as infinity; a 400-digit whole number does not fit a double
        return f"field {f.key!r} is too large a number: it reads as {shown}"
    return None


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:  # float() of a whole number of 309 digits or more
        return False


def _valid_date(text: str) -> bool:
    import datetime

    match = _ISO_DATE.fullmatch(text)
    if not match:
        return False
    try:
        datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return False
    return True


def rejection_reason(source: Source, raw: str) -> str | None:
    """The first problem with one landing line, or None when the line is acceptable."""
    return judge(source, raw)[0]


def judge(source: Source, raw: str) -> tuple[str | None, dict[str, object] | None]:
    """(reason, None) for a rejected line, (None, its JSON object) for an accepted one: a
    caller that needs the values too parses the line once."""
    if too_deep(raw):
        return f"nested deeper than {MAX_DEPTH} levels of arrays and objects", None
    try:
        record = json.loads(raw, object_pairs_hook=_unique_keys, parse_constant=_reject_constant)
    except _Unacceptable as e:
        return str(e), None
    except json.JSONDecodeError as e:
        if raw[e.pos : e.pos + 1] in ("}", "]") and raw[: e.pos].rstrip().endswith(","):
            return f"malformed JSON: a trailing comma before {raw[e.pos]!r} at column {e.colno}", None
        cut_short = e.pos >= len(raw.rstrip(" \t\r\n")) or e.msg.startswith("Unterminated string")
        what = "truncated JSON" if cut_short else "malformed JSON"
        at = "" if e.msg.endswith(" at") else " at"  # "Unterminated string starting at" has its own
        return f"{what}: {e.msg}{at} column {e.colno}", None
    except ValueError as e:
        return f"malformed JSON: {e}", None
    surrogate = _lone_surrogate(record) if "\\u" in raw else None
    if surrogate:
        return f"not Unicode text: a string holds the lone surrogate {surrogate}", None
    if not isinstance(record, dict):
        return f"not a JSON object but {_json_kind(record)}", None
    for f in source.fields:
        problem = _field_problem(f, record)
        if problem:
            return problem, None
    return None, record
