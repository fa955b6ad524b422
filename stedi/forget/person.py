"""Who is forgotten, and which landing lines are theirs.

A line is theirs when, parsed as a JSON object, its identifying field names them (customer:
`email`; accelerometer: `user`; step_trainer: `serialNumber` among their serial numbers), and
also when its raw bytes hold one of their emails, serial numbers or phones, verbatim or
JSON-escaped (`\\/`, `\\u00e9`, ...): a truncated or malformed line is theirs too, and it is the
line the lake keeps verbatim in quarantine.

Raw matching is bounded: an identifier counts only where the bytes around it cannot continue
it (`ann@x.com` is not found inside `joann@x.com`, a phone not inside a timestamp), and only for
identifiers long enough not to occur by chance (`MIN_RAW`); a shorter one is matched on the
fields only. Removing a line of someone else cannot be undone once committed, so the raw rule
errs only where the text is ambiguous.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Iterable, Mapping

BOM = b"\xef\xbb\xbf"
MIN_RAW = 8  # shorter identifiers are matched on the fields only (e.g. a phone "555" is in floats)

# The field of each source that names whom a valid line belongs to, and the Person set it is
# looked up in.
FIELDS = {"customer": ("email", "emails"), "accelerometer": ("user", "emails"),
          "step_trainer": ("serialNumber", "serials")}

# What may stand next to an identifier without continuing it, per kind (bytes regex).
_EMAIL_ATOM = rb"A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-\x80-\xff"
_BOUNDS = {
    "email": (rb"(?<![" + _EMAIL_ATOM + rb"])", rb"(?![A-Za-z0-9_\-\x80-\xff])(?!\.[A-Za-z0-9])"),
    "serial": (rb"(?<![A-Za-z0-9_\-])", rb"(?![A-Za-z0-9_\-])"),
    "phone": (rb"(?<![0-9.])", rb"(?![0-9])(?!\.[0-9])"),  # not inside a longer number or a fraction
}
_SHORT_ESCAPES = {'"': b'\\"', "\\": b"\\\\", "/": b"\\/", "\b": b"\\b", "\f": b"\\f", "\n": b"\\n",
                  "\r": b"\\r", "\t": b"\\t"}


@dataclass(frozen=True)
class Person:
    """One person's identifiers. Names are kept (to say whom a forget was for) but never
    matched in raw text: names are not unique (two customers may be called Ann Lee), and a
    name is also a substring of other names and of emails, so a name match would remove
    other people's lines."""

    emails: frozenset[str] = frozenset()
    serials: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (str, bytes)):
                raise TypeError(f"Person.{f.name} is a set of str, not one {type(value).__name__}")
            object.__setattr__(self, f.name, frozenset(str(v) for v in value if v))

    @cached_property
    def matcher(self) -> "Matcher":
        return Matcher([self])

    def mentions(self, source: str, raw_line: bytes) -> bool:
        return self.matcher.mentions(source, raw_line)


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
    emails = {str(r["email"]) for r in rows if r.get("email")}
    taken_serials, taken_phones = set(), set()
    for other in others:
        if other.get("email") not in emails:
            taken_serials.add(other.get("serialnumber"))
            taken_phones.add(other.get("phone"))
    return Person(
        emails=frozenset(emails),
        serials=frozenset(str(r["serialnumber"]) for r in rows
                          if r.get("serialnumber") and r["serialnumber"] not in taken_serials),
        phones=frozenset(str(r["phone"]) for r in rows if r.get("phone") and r["phone"] not in taken_phones),
        names=frozenset(str(r["customername"]) for r in rows if r.get("customername")),
    )


class Matcher:
    """Decides `mentions` for one or more people, with the patterns compiled once."""

    def __init__(self, people: Iterable[Person]):
        people = list(people)
        self.emails = frozenset().union(*(p.emails for p in people))
        self.serials = frozenset().union(*(p.serials for p in people))
        phones = frozenset().union(*(p.phones for p in people))
        kinds = [("email", e) for e in self.emails] + [("serial", s) for s in self.serials] + \
                [("phone", p) for p in phones]
        raw = [(k, t) for k, t in kinds if _raw_matchable(k, t)]
        self._verbatim = [t.encode("utf-8") for _, t in raw]
        self._pattern = re.compile(b"|".join(_pattern(k, t) for k, t in raw)) if raw else None
        # Identifiers only the fields can match: a line holding one verbatim is parsed.
        self._field_only = [t.encode("utf-8") for k, t in kinds if k != "phone" and not _raw_matchable(k, t)]

    @property
    def clues(self) -> list[bytes]:
        """Bytes of which a line must hold at least one to mention a person: a block of lines
        holding none is skipped whole (a byte search, not a line-by-line test)."""
        return self._verbatim + self._field_only + [b"\\"]

    def mentions(self, source: str, raw_line: bytes) -> bool:
        """Whether a landing line (its bytes, newline or not) belongs to or mentions a person."""
        line = raw_line
        escaped = b"\\" in line
        if self._pattern is not None and (escaped or any(v in line for v in self._verbatim)):
            if self._pattern.search(line):
                return True
        # A field equal to a raw-matchable identifier stands verbatim between quotes unless the
        # line has escapes, and then the raw rule has found it: the JSON parse (the slow part)
        # is needed only for escaped lines and for identifiers too short to match raw.
        if escaped or any(v in line for v in self._field_only):
            return self._field_match(source, line)
        return False

    def _field_match(self, source: str, line: bytes) -> bool:
        if source not in FIELDS:
            return False
        try:
            record = json.loads(line.removeprefix(BOM))
        except ValueError:  # malformed, truncated, not UTF-8
            return False
        key, kind = FIELDS[source]
        value = record.get(key) if isinstance(record, dict) else None
        return isinstance(value, str) and value in getattr(self, kind)


def matcher(person_or_people: Person | Iterable[Person]) -> Matcher:
    return Matcher([person_or_people] if isinstance(person_or_people, Person) else person_or_people)


def _raw_matchable(kind: str, text: str) -> bool:
    return len(text) >= MIN_RAW and (kind != "email" or "@" in text)


def _pattern(kind: str, text: str) -> bytes:
    """A bytes regex for `text` as it may stand in JSON: each character verbatim (UTF-8), as a
    \\uXXXX escape (hex digits in either case; a surrogate pair beyond the BMP) or, where JSON
    has one, as a short escape; with the kind's boundaries around it."""
    left, right = _BOUNDS[kind]
    return left + b"".join(_char(ch) for ch in text) + right


def _char(ch: str) -> bytes:
    units = ch.encode("utf-16-be")
    escape = b"".join(b"\\\\u" + b"".join(_hex_digit(d) for d in f"{int.from_bytes(units[i:i + 2], 'big'):04x}")
                      for i in range(0, len(units), 2))
    forms = [re.escape(ch.encode("utf-8")), escape]
    if ch in _SHORT_ESCAPES:
        forms.append(re.escape(_SHORT_ESCAPES[ch]))
    return b"(?:" + b"|".join(forms) + b")"


def _hex_digit(d: str) -> bytes:
    return d.encode() if d.isdigit() else f"[{d}{d.upper()}]".encode()
