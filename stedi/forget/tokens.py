"""The strings, numbers and keys of one landing line, found without parsing it whole.

A forget must read every line a run read: valid JSON, lines cut short, garbage, and lines
nested far deeper than Python's recursion allows. So the line is not parsed; it is scanned
once, left to right, keeping only a count of open brackets: every string (key or value) and
every bare word (a number, `true`, or junk) comes out with its byte span, how deep it lies,
and, at the top level of an object, the key it is the value of. What JSON would make of the
line decides nothing here; the spans are what a forget needs to find whose line it is and to
replace a mention in place, byte for byte otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterator

QUOTE, BACKSLASH = 0x22, 0x5C
OPEN_OBJECT, OPEN_ARRAY, CLOSE_OBJECT, CLOSE_ARRAY = 0x7B, 0x5B, 0x7D, 0x5D
COMMA, COLON = 0x2C, 0x3A
# Bytes that end a bare word: white space, JSON punctuation and the quote.
_STOPS = frozenset(b' \t\r\n\x0b\x0c{}[],:"')


@dataclass(frozen=True)
class Token:
    kind: str  # "key", "string" (a value, or a string in an array), or "word" (number, literal, junk)
    start: int  # byte offset of its first byte (a string's opening quote)
    end: int  # offset after its last byte (a string's closing quote; the line's end if unclosed)
    depth: int  # open brackets around it: 1 is a member of the top-level object
    key: bytes | None = None  # the raw key it is the value of, for values at depth 1

    def text(self, line: bytes) -> str:
        """Its value as text: a string decoded from JSON (escapes and all, also when cut short),
        a word as it stands."""
        raw = line[self.start:self.end]
        return decode_string(raw) if self.kind != "word" else raw.decode("utf-8", "replace")


def decode_string(raw: bytes) -> str:
    """A JSON string's text from its raw bytes with quotes; lenient with a string cut short
    (a cut escape at its end is dropped) or holding a bad escape (then taken as it stands)."""
    closed = len(raw) >= 2 and raw.endswith(b'"') and not _escaped(raw, len(raw) - 1)
    body = raw[1:-1] if closed else raw[1:]
    for cut in range(0, 1 if closed else 6):  # "\\u12" is the longest escape a cut can leave
        try:
            return json.loads(b'"' + body[:len(body) - cut] + b'"')
        except ValueError:
            continue
    return body.decode("utf-8", "replace")


def tokens(line: bytes) -> Iterator[Token]:
    """The line's tokens, left to right. Never recurses: depth is a counter."""
    containers: list[int] = []  # the open brackets, innermost last
    expect_key = False  # inside an object, after '{' or ','
    key: bytes | None = None  # the last key at depth 1
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c == QUOTE:
            end = string_end(line, i + 1)
            depth = len(containers)
            if expect_key and containers and containers[-1] == OPEN_OBJECT:
                yield Token("key", i, end, depth)
                if depth == 1:
                    key = line[i:end]
                expect_key = False
            else:
                yield Token("string", i, end, depth, key if depth == 1 else None)
            i = end
        elif c in (OPEN_OBJECT, OPEN_ARRAY):
            containers.append(c)
            expect_key = c == OPEN_OBJECT
            i += 1
        elif c in (CLOSE_OBJECT, CLOSE_ARRAY):
            if containers:
                containers.pop()
            expect_key = False
            i += 1
        elif c == COMMA:
            expect_key = bool(containers) and containers[-1] == OPEN_OBJECT
            i += 1
        elif c == COLON or c in b" \t\r\n":
            i += 1
        else:
            end = i + 1
            while end < n and line[end] not in _STOPS:
                end += 1
            depth = len(containers)
            yield Token("word", i, end, depth, key if depth == 1 else None)
            i = end


def string_end(line: bytes, at: int) -> int:
    """The offset after the quote that closes a string whose text starts at `at`; the line's end
    if none does."""
    while True:
        quote = line.find(b'"', at)
        if quote < 0:
            return len(line)
        if not _escaped(line, quote):
            return quote + 1
        at = quote + 1


def _escaped(line: bytes, at: int) -> bool:
    """Whether the byte at `at` follows an odd number of backslashes."""
    count = 0
    while at - count - 1 >= 0 and line[at - count - 1] == BACKSLASH:
        count += 1
    return count % 2 == 1
