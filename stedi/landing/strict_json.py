"""Strict JSON where DuckDB's reader is lenient, found by counting bytes.

DuckDB's JSON reader accepts trailing commas (`{"a": 1,}`), a key given twice (its first
value counts) and vertical tabs or form feeds as white space; JSON and the validator do
not. Rather than parse every line twice, count. An accepted line with n declared fields
present and not null holds at least n ':' (one per key) and n - 1 ',' (between them), and
no vertical tab or form feed (JSON has none outside strings, and strings may not hold
them raw). So per file, if the ':' and ',' bytes equal what the accepted rows need plus
what the rejected lines hold, and there is no vertical tab or form feed outside rejected
lines, no accepted line holds another key, a duplicate or a trailing comma: equality is
exact, since every line holds at least its share. Otherwise one pass over the file counts
per line, and only lines off their share (suspects: extra keys, ':' or ',' inside strings,
duplicates, trailing commas) go to the validator.

An optional field given as an explicit null is a key DuckDB reports as absent. Its share is
counted too, exactly: where DuckDB saw no value for key K and the line holds the bytes
`"K":null` (or `"K": null`), one more key is due. Those bytes cannot stand inside a JSON
string (its quotes would be escaped), so they are a key K with a null value; and counting at
most one per key keeps a key given twice one ':' over its share.

Nesting is counted the same way: an accepted line holds exactly one opening bracket, its own
'{' (a declared value is never an array or object). So '[' and '{' bytes are counted too, and a
line holding any other goes to the validator, which rejects one nested deeper than
`validate.MAX_DEPTH` (DuckDB's reader takes any depth). An extra key holding an array or object
would also show as a ':' over the share; this count does not lean on that.
"""

from __future__ import annotations

import mmap
from pathlib import Path
from typing import Iterator

import numpy as np

from stedi.landing.locate import blank, bounds

COLON, COMMA, VTAB, FORM_FEED = 0x3A, 0x2C, 0x0B, 0x0C
OPENING = 0x7B  # '{'; a byte b is '[' (0x5B) or '{' exactly where b | 0x20 == 0x7B: one test for both
_CHUNK = 1 << 18  # bytes counted at a time: fits in a core's cache
_BLOCK = 1 << 25  # bytes of whole lines looked at at a time in the per-line pass


def counts_in(raw: bytes) -> np.ndarray:
    """':' bytes, ',' bytes, vertical tabs or form feeds, and '[' or '{' bytes, in one line."""
    return np.array([raw.count(b":"), raw.count(b","), raw.count(b"\x0b") + raw.count(b"\x0c"),
                     raw.count(b"[") + raw.count(b"{")], dtype=np.int64)


def byte_counts(path: Path) -> np.ndarray:
    """counts_in over a whole file, without a per-line loop (numpy lets go of the interpreter)."""
    total = np.zeros(4, dtype=np.int64)
    if path.stat().st_size == 0:
        return total
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        buf = np.frombuffer(mm, dtype=np.uint8)
        try:
            for at in range(0, len(buf), _CHUNK):
                chunk = buf[at : at + _CHUNK]
                total[0] += np.count_nonzero(chunk == COLON)
                total[1] += np.count_nonzero(chunk == COMMA)
                total[2] += np.count_nonzero(chunk == VTAB) + np.count_nonzero(chunk == FORM_FEED)
                total[3] += np.count_nonzero((chunk | 0x20) == OPENING)
            del chunk
        finally:
            del buf  # the map cannot close while an array views it
    return total


def suspects(path: Path, keys: np.ndarray, nulls: dict[str, np.ndarray] | None = None
             ) -> list[tuple[int, int, bytes]] | None:
    """(position, line number, raw bytes) of the non-blank lines whose ':' or ',' count is not
    what `keys[position]` keys need, or that hold a vertical tab or form feed, or an opening
    bracket besides their own '{'. A negative
    entry in `keys` marks a line already rejected. `nulls`: per optional key, where DuckDB saw
    no value (such a key given as null is due its share). None where the file has another
    number of non-blank lines than `keys` (positions would lie)."""
    found: list[tuple[int, int, bytes]] = []
    position = line = 0
    for data in _blocks(path):
        block = np.frombuffer(data, dtype=np.uint8)
        starts, ends = bounds(block)
        filled = np.flatnonzero(~blank(block, starts, ends))
        if position + len(filled) > len(keys):
            return None
        # Per line, how many of each byte: each byte's line is the first line ending at or after it.
        per_line = [np.bincount(np.searchsorted(ends, np.flatnonzero(found)), minlength=len(starts))[filled]
                    for found in (block == COLON, block == COMMA, block == VTAB, block == FORM_FEED,
                                  (block | 0x20) == OPENING)]
        want = keys[position : position + len(filled)].astype(np.int64)
        done = want < 0  # rejected already: its share of keys is no question (nor its nulls)
        for key, absent in (nulls or {}).items():
            given = np.zeros(len(starts), dtype=bool)
            given[_lines_holding(data, ends, key)] = True
            want += given[filled] & absent[position : position + len(filled)]
        odd = ((per_line[0] != want) | (per_line[1] != want - 1) | (per_line[2] + per_line[3] > 0)
               | (per_line[4] != 1))
        for i in np.flatnonzero(~done & odd):
            raw = data[int(starts[filled[i]]) : int(ends[filled[i]])]
            found.append((position + int(i), line + int(filled[i]) + 1, raw[:-1] if raw.endswith(b"\r") else raw))
        position, line = position + len(filled), line + len(starts)
    return found if position == len(keys) else None


def _lines_holding(data: bytes, ends: np.ndarray, key: str) -> list[int]:
    """Indices of the lines of a block that give `key` the value null."""
    found = []
    for pattern in (f'"{key}":null'.encode(), f'"{key}": null'.encode()):
        at = data.find(pattern)
        while at >= 0:
            found.append(at)
            at = data.find(pattern, at + len(pattern))
    return np.searchsorted(ends, np.asarray(found, dtype=np.int64)).tolist() if found else []


def _blocks(path: Path) -> Iterator[bytes]:
    """The file in blocks of whole lines (a block ends after a newline, or at the end)."""
    carry = b""
    with path.open("rb") as fh:
        while data := fh.read(_BLOCK):
            data = carry + data
            cut = data.rfind(b"\n") + 1
            if cut:
                yield data[:cut]
            carry = data[cut:]
    if carry:
        yield carry
