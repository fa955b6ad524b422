"""Render rows as line-delimited JSON text with Arrow compute kernels.

Every value arrives already rendered as JSON text (``"abc"``, ``1655564444103``, ``1.0``,
``null``); a null array element means the key is absent. Rendering is column-at-a-time,
never a Python loop per row. The generator only produces values that need no JSON
escaping (ASCII letters, digits, ``@ . - :`` and spaces), so strings are quoted as is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from stedi.landing.sources import Source

LARGE = pa.large_string()  # 64-bit offsets: a chunk's text may exceed 2 GiB
# How each source writes its objects, as the real files do: the customer file with spaces
# ({"customerName": "Santosh Clayton", "email": ...}), the readings without.
SEPARATORS = {"customer": (", ", ": ")}
COMPACT = (",", ":")


def text(value: str) -> pa.Scalar:
    """A literal for the join kernels (they need every argument in the same type)."""
    return pa.scalar(value, LARGE)


def strings(values: object) -> pa.Array:
    """An Arrow large_string array from a list, numpy array or Arrow array."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.cast(LARGE)
    return pa.array(values, LARGE)


def quoted(values: pa.Array) -> pa.Array:
    """JSON string text for values that need no escaping."""
    return pc.binary_join_element_wise(text('"'), strings(values), text('"'), text(""))


def integers(values: np.ndarray) -> pa.Array:
    """JSON integer text (``1655564444103``)."""
    return pc.cast(pa.array(values, pa.int64()), LARGE)


def optional(values: pa.Array, present: np.ndarray, null: np.ndarray) -> pa.Array:
    """``values`` where ``present``, the text ``null`` where ``null``, absent elsewhere."""
    absent = pa.scalar(None, LARGE)
    out = pc.if_else(pa.array(present), strings(values), absent)
    return pc.if_else(pa.array(null & ~present), text("null"), out)


def render_lines(source: Source, values: Mapping[str, pa.Array], end: str = "\n") -> pa.Array:
    """One JSON object per row, keys in the source's declared order, each ending in ``end``,
    with the source's separators (``SEPARATORS``).

    ``values`` maps every declared key to the rendered JSON text of that column; a null
    element leaves the key out of that row's object.
    """
    keys = [f.key for f in source.fields]
    if set(values) != set(keys):
        raise ValueError(f"values for {source.name} must have the keys {keys}, got {sorted(values)}")
    comma, colon = SEPARATORS.get(source.name, COMPACT)
    arrays = [strings(values[k]) for k in keys]
    if all(a.null_count == 0 for a in arrays):
        # Every key present: one pass, keys and separators interleaved as literals.
        pieces: list[pa.Array | pa.Scalar] = []
        for i, (key, array) in enumerate(zip(keys, arrays)):
            pieces += [text(("{" if i == 0 else comma) + json.dumps(key) + colon), array]
        pieces.append(text("}" + end))
        return pc.binary_join_element_wise(*pieces, text(""))
    # Some keys absent: '"key": value' parts stay null where the value is null, and the
    # comma join skips them.
    parts = [pc.binary_join_element_wise(text(json.dumps(k) + colon), a, text("")) for k, a in zip(keys, arrays)]
    body = pc.binary_join_element_wise(*parts, text(comma), null_handling="skip")
    return pc.binary_join_element_wise(text("{"), body, text("}" + end), text(""))


def offsets_and_data(lines: pa.Array) -> tuple[np.ndarray, memoryview]:
    """The byte offsets (n + 1) and the text buffer of a large_string array, zero-copy.

    Lines that end in a newline make ``data[offsets[i]:offsets[j]]`` the file content of
    lines i..j-1.
    """
    lines = strings(lines)
    n = len(lines)
    _, offsets_buffer, data_buffer = lines.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64, count=n + 1, offset=lines.offset * 8)
    data = memoryview(data_buffer) if data_buffer is not None else memoryview(b"")
    return offsets, data


def prefixes(lines: pa.Array, lengths: np.ndarray) -> pa.Array:
    """The first ``lengths[i]`` bytes of each line (ASCII text, so bytes are characters)."""
    offsets, data = offsets_and_data(lines)
    lengths = np.asarray(lengths, dtype=np.int64)
    new_offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    # Byte j of the output comes from byte j + (start of its line - start of its output line).
    gather = np.repeat(offsets[:-1] - new_offsets[:-1], lengths) + np.arange(new_offsets[-1])
    body = np.frombuffer(data, dtype=np.uint8)[gather] if len(gather) else np.zeros(0, np.uint8)
    return pa.LargeStringArray.from_buffers(len(lengths), pa.py_buffer(new_offsets), pa.py_buffer(body.tobytes()))
