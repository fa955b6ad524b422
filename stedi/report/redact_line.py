"""A quarantined line as `stedi report --redact` shows it: its JSON structure kept, every value
that could be personal masked.

Quarantined lines are often not JSON (cut short, malformed, not JSON at all), so a line is not
parsed but read as a run of JSON tokens, leniently: strings (a last one may be cut short),
numbers, true/false/null, punctuation, and anything else. What is shown as delivered:
punctuation, true/false/null, keys that are fields of a landing source, and numbers right after
a numeric field's key; a timestamp field's number only where it reads as a time a STEDI device
could have written (below 7 digits, or epoch milliseconds of 2010 to 2039: no phone number has
13 digits starting 12 to 22), another numeric field's only with fewer than 7 digits. Every
other token, strings always, becomes •••: `{"user": "•••", "timestamp": 1655564444051, "x": 1}`.
"""

from __future__ import annotations

import re

from stedi.landing.sources import SOURCES, FieldType

MASK = "•••"
FIELDS = frozenset(f.key for source in SOURCES.values() for f in source.fields)
NUMERIC = frozenset(f.key for source in SOURCES.values() for f in source.fields
                    if f.type in (FieldType.INTEGER, FieldType.NUMBER))
TIMES = frozenset(key for key in NUMERIC if key == "timestamp" or key.endswith(("Date", "Time")))
EPOCH_MS = range(1_262_304_000_000, 2_208_988_800_000)  # 2010-01-01 to 2040-01-01

_END = r"(?![^\"{}\[\]:,\s])"  # a number or literal ends where a JSON delimiter or space starts
_TOKEN = re.compile(
    r'(?P<string>"(?:[^"\\]|\\.)*"?)'
    rf"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?{_END})"
    rf"|(?P<literal>(?:true|false|null){_END})"
    r"|(?P<punct>[{}\[\]:,])"
    r"|(?P<space>\s+)"
    r'|(?P<other>[^"{}\[\]:,\s]+|.)', re.DOTALL)


def plausible_time(digits: str) -> bool:
    """A number in a timestamp field (or a landing file's name) that reads as a STEDI time."""
    return len(digits) < 7 or (len(digits) == 13 and int(digits) in EPOCH_MS)


def redact_line(raw: str) -> str:
    tokens = [(m.lastgroup or "other", m.group()) for m in _TOKEN.finditer(raw)]
    shown = []
    for i, (kind, text) in enumerate(tokens):
        if kind in ("punct", "literal", "space"):
            shown.append(text)
        elif kind == "string":
            closed = len(text) > 1 and text.endswith('"')
            key = _token(tokens, _neighbour(tokens, i, +1)) == ("punct", ":")
            shown.append(text if key and closed and text[1:-1] in FIELDS else '"' + MASK + ('"' if closed else ""))
        elif kind == "number" and _number_shown(tokens, i, text):
            shown.append(text)
        else:
            shown.append(MASK)
    return "".join(shown)


def _number_shown(tokens: list[tuple[str, str]], i: int, text: str) -> bool:
    """A number right after `"key":`, the key a numeric field's, the number one it may hold."""
    colon = _neighbour(tokens, i, -1)
    if _token(tokens, colon) != ("punct", ":"):
        return False
    kind, key = _token(tokens, _neighbour(tokens, colon, -1)) or ("", "")
    if kind != "string" or key[1:-1] not in NUMERIC:
        return False
    if key[1:-1] in TIMES:
        return text.isdigit() and plausible_time(text)
    mantissa = re.split("[eE]", text)[0]
    return sum(c.isdigit() for c in mantissa) < 7  # 801555.6789 is a phone too


def _neighbour(tokens: list[tuple[str, str]], i: int | None, step: int) -> int | None:
    """The index of the first token from i in direction `step` that is not white space."""
    if i is None:
        return None
    i += step
    while 0 <= i < len(tokens) and tokens[i][0] == "space":
        i += step
    return i if 0 <= i < len(tokens) else None


def _token(tokens: list[tuple[str, str]], i: int | None) -> tuple[str, str] | None:
    return None if i is None else tokens[i]
