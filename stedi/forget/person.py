"""Who is forgotten, which landing lines are theirs, and which only mention them.

A line is the person's when its own identifying field names them: a customer record's `email`,
a reading's `user` (emails matched without regard to case or surrounding spaces, as mail
systems treat them), a step-trainer reading's `serialNumber` among the serial numbers only
they held. That field is read at the top level of the line's object, also in a line cut short
or otherwise malformed (stedi/forget/tokens.py scans; nothing is parsed whole). Their lines go.

Any other line that holds one of their emails, serial numbers or phones (in any field, in a key,
in junk), verbatim or JSON-escaped, only mentions them: the mention is replaced in place by a
fixed marker, and the line, byte for byte otherwise, stays with its owner. A number that is a
reading's declared value (a timestamp, a distance, x, y, z) is a measurement, never a mention.

Raw matching is bounded: an identifier counts only where the text around it cannot continue it
(`ann@x.com` is not found inside `joann@x.com`, a phone not inside a longer number), and only for
identifiers long enough not to occur by chance (`MIN_RAW`). Names are never matched: they are
not unique, and they are parts of other names and of emails.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Iterable, Mapping, NamedTuple

from stedi.errors import UsageError
from stedi.forget.tokens import Token, decode_string, tokens
from stedi.landing.sources import SOURCES, FieldType
from stedi.pipeline.forgotten import normalized

MIN_RAW = 8  # shorter identifiers are matched in the identifying field only
MARKER = "[erased]"  # what a mention of a forgotten person is replaced by

# The field of each source that names whose line it is, and the Person set it is looked up in.
FIELDS = {"customer": ("email", "emails"), "accelerometer": ("user", "emails"),
          "step_trainer": ("serialNumber", "serials")}
# Per source, the keys whose numbers are measurements (never a mention of anyone).
MEASURES = {name: frozenset(f.key for f in source.fields if f.type in (FieldType.INTEGER, FieldType.NUMBER))
            for name, source in SOURCES.items()}

_EMAIL = re.compile(r"[\w!#$%&'*+/=?^`{|}~.-]+@[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)*")
_EMAIL_ATOM = rb"A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-\x80-\xff"
_BOUNDS = {
    "email": (rb"(?<![" + _EMAIL_ATOM + rb"])", rb"(?![A-Za-z0-9_\-\x80-\xff])(?!\.[A-Za-z0-9])"),
    "serial": (rb"(?<![A-Za-z0-9_\-])", rb"(?![A-Za-z0-9_\-])"),
    "phone": (rb"(?<![0-9.])", rb"(?![0-9])(?!\.[0-9])"),  # not inside a longer number or a fraction
}
_SHORT_ESCAPES = {'"': b'\\"', "\\": b"\\\\", "/": b"\\/", "\b": b"\\b", "\f": b"\\f", "\n": b"\\n",
                  "\r": b"\\r", "\t": b"\\t"}


def checked_emails(emails: object) -> list[str]:
    """The email addresses to forget, each checked and normalized, sorted, once each: `emails` is
    one address (a str) or an iterable of them. Anything else (bytes, None, an item that is not a
    str, a blank one) is a one-line UsageError, before anything is written."""
    if isinstance(emails, str):
        given: list[object] = [emails]
    elif isinstance(emails, (bytes, bytearray)) or not isinstance(emails, Iterable):
        raise UsageError(f"emails must be an email address (a str) or several, not {type(emails).__name__}")
    else:
        given = list(emails)
    for item in given:
        if not isinstance(item, str):
            raise UsageError(f"{item!r} is not an email address (not a str): give each person's email, "
                             "e.g. someone@example.com")
    return sorted({checked_email(item) for item in given})  # type: ignore[arg-type]


def checked_email(text: str) -> str:
    """An email address as given (normalized), or a UsageError naming what was given."""
    email = normalized(text)
    if not _EMAIL.fullmatch(email) or len(email) > 320:
        raise UsageError(f"{text!r} is not an email address: give each person's email, e.g. someone@example.com")
    return email


@dataclass(frozen=True)
class Person:
    """One person's identifiers: emails (normalized), serial numbers and phones only they held.
    Names are kept to say whom a forget was for, never matched."""

    emails: frozenset[str] = frozenset()
    serials: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (str, bytes)):
                raise TypeError(f"Person.{f.name} is a set of str, not one {type(value).__name__}")
            found = frozenset(str(v) for v in value if v)
            object.__setattr__(self, f.name, frozenset(map(normalized, found)) if f.name == "emails" else found)

    @cached_property
    def matcher(self) -> "Matcher":
        return Matcher([self])


def person_from_rows(rows: Iterable[Mapping[str, object]],
                     others: Iterable[Mapping[str, object]] = ()) -> Person:
    """The person whose customer rows (column names lowercased: email, serialnumber, phone,
    customername) are `rows`. A serial number or phone that a row of `others` (the other
    customers) also holds is left out: it would match that customer's own lines (every
    starter customer has the phone 8015551212; the fulfillment defect gave one serial number
    to several customers), and readings under a shared serial cannot be attributed to one."""
    rows = list(rows)
    if not rows:
        raise ValueError("no customer rows for the person")
    emails = {normalized(str(r["email"])) for r in rows if r.get("email")}
    taken_serials, taken_phones = set(), set()
    for other in others:
        if normalized(str(other.get("email") or "")) not in emails:
            taken_serials.add(other.get("serialnumber"))
            taken_phones.add(other.get("phone"))
    return Person(
        emails=frozenset(emails),
        serials=frozenset(str(r["serialnumber"]) for r in rows
                          if r.get("serialnumber") and r["serialnumber"] not in taken_serials),
        phones=frozenset(str(r["phone"]) for r in rows if r.get("phone") and r["phone"] not in taken_phones),
        names=frozenset(str(r["customername"]) for r in rows if r.get("customername")),
    )


class Verdict(NamedTuple):
    """What a forget does with a line: `owner` set (the identifying value as the line spells
    it): the line goes; else `line` is the line with `redacted` mentions replaced."""

    owner: str | None
    line: bytes
    redacted: int = 0


class Matcher:
    """Decides `verdict` for one or more people, with the patterns compiled once."""

    def __init__(self, people: Iterable[Person]):
        people = list(people)
        self.emails = frozenset().union(*(p.emails for p in people))
        self.serials = frozenset().union(*(p.serials for p in people))
        phones = frozenset().union(*(p.phones for p in people))
        kinds = [("email", e) for e in self.emails] + [("serial", s) for s in self.serials] + \
                [("phone", p) for p in phones]
        raw = [(k, t) for k, t in kinds if len(t) >= MIN_RAW]
        self._pattern = re.compile(b"|".join(_pattern(k, t) for k, t in raw)) if raw else None
        # A line holds one of these (lowercased) unless it spells an identifier with escapes.
        self._clues = [_clue(t) for _, t in kinds if _clue(t)] + [b"\\"]
        self._whole = any(not _clue(t) for _, t in kinds)  # an identifier no clue stands for

    def may_hold(self, lowered: bytes) -> bool:
        """Whether a block of lines (lowercased with bytes.lower) may hold a line this matcher
        has a verdict on: a byte search, so a block holding no clue is skipped whole."""
        return self._whole or any(clue in lowered for clue in self._clues)

    def verdict(self, source: str, line: bytes) -> Verdict | None:
        """None when the line neither is a person's nor mentions one. `line` may end in b"\\n"."""
        if not self.may_hold(line.lower()):  # most lines of a block that holds one: bytes, not tokens
            return None
        found = list(tokens(line))
        owner = self._owner(source, line, found)
        if owner is not None:
            return Verdict(owner, b"")
        if self._pattern is None:
            return None
        spans = [(m.start(), m.end()) for m in self._pattern.finditer(line)]
        if not spans:
            return None
        return _redacted(source, line, found, spans)

    def _owner(self, source: str, line: bytes, found: list[Token]) -> str | None:
        key, kind = FIELDS[source]
        wanted = getattr(self, kind)
        for token in found:
            if token.kind != "string" or token.depth != 1 or token.key is None:
                continue
            if decode_string(token.key) != key:
                continue
            value = token.text(line)
            if (normalized(value) if kind == "emails" else value) in wanted:
                return value
        return None


def matcher(person_or_people: Person | Iterable[Person]) -> Matcher:
    return Matcher([person_or_people] if isinstance(person_or_people, Person) else person_or_people)


def _redacted(source: str, line: bytes, found: list[Token], spans: list[tuple[int, int]]) -> Verdict | None:
    """The line with each mention replaced: inside a string or junk by the marker, a number
    (a phone given as a JSON number) whole by the marker as a JSON string, so that the line
    stays the JSON it was."""
    starts = [t.start for t in found]
    edits: dict[int, tuple[int, bytes]] = {}  # start -> (end, replacement)
    for start, end in spans:
        i = bisect_right(starts, start) - 1
        token = found[i] if i >= 0 and found[i].end >= end else None
        if token is not None and token.kind == "word" and _is_number(line[token.start:token.end]):
            if token.depth == 1 and token.key is not None and decode_string(token.key) in MEASURES[source]:
                continue  # a measurement that happens to look like their phone
            edits[token.start] = (token.end, b'"' + MARKER.encode() + b'"')
        else:
            edits[start] = (end, MARKER.encode())
    if not edits:
        return None
    out, at = [], 0
    for start in sorted(edits):
        end, replacement = edits[start]
        if start < at:
            continue  # inside an edit already made
        out += [line[at:start], replacement]
        at = end
    out.append(line[at:])
    return Verdict(None, b"".join(out), len(edits))


def _is_number(word: bytes) -> bool:
    return bool(re.fullmatch(rb"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?", word))


def _clue(identifier: str) -> bytes:
    """Bytes a block must hold (lowercased) to hold the identifier verbatim: its longest ASCII
    run (bytes.lower folds only ASCII), if that is long enough to mean something."""
    runs = re.findall(r"[\x00-\x7f]+", identifier.lower())
    longest = max(runs, key=len, default="")
    return longest.encode() if len(longest) >= 3 else b""


def _pattern(kind: str, text: str) -> bytes:
    """A bytes regex for `text` as it may stand in JSON: each character verbatim (UTF-8; for an
    email in either case), as a \\uXXXX escape (hex digits in either case; a surrogate pair
    beyond the BMP) or, where JSON has one, as a short escape; with the kind's boundaries."""
    left, right = _BOUNDS[kind]
    return left + b"".join(_char(ch, either_case=kind == "email") for ch in text) + right


def _char(ch: str, either_case: bool) -> bytes:
    forms = []
    for variant in dict.fromkeys([ch, ch.lower(), ch.upper()] if either_case else [ch]):
        if len(variant) != 1:  # a letter whose other case is two letters: not the same address
            continue
        units = variant.encode("utf-16-be")
        forms.append(re.escape(variant.encode("utf-8")))
        forms.append(b"".join(b"\\\\u" + b"".join(_hex_digit(d) for d in f"{int.from_bytes(units[i:i + 2], 'big'):04x}")
                              for i in range(0, len(units), 2)))
        if variant in _SHORT_ESCAPES:
            forms.append(re.escape(_SHORT_ESCAPES[variant]))
    return b"(?:" + b"|".join(forms) + b")"


def _hex_digit(d: str) -> bytes:
    return d.encode() if d.isdigit() else f"[{d}{d.upper()}]".encode()
