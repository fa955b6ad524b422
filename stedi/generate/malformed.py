"""Malformed lines: which lines to damage and how, as real deliveries are damaged.

Every malformed line replaces the line of a real record. Each kind is unacceptable by
the declaration in ``stedi.landing.sources``: a truncated line lacks its closing brace;
an invalid line is not JSON; a missing field drops a required key; a wrong type writes a
required number as a JSON string. (Wrong types hit only number fields, since a lenient
reader may cast a number to a string without noticing.)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from stedi.generate.jsonlines import LARGE, prefixes, quoted, render_lines, strings, text
from stedi.generate.report import KIND_CODES, VALID
from stedi.landing.sources import FieldType, Source

TRUNCATED = KIND_CODES["truncated"]
INVALID_JSON = KIND_CODES["invalid_json"]
MISSING_FIELD = KIND_CODES["missing_field"]
WRONG_TYPE = KIND_CODES["wrong_type"]
PER_LINE_KINDS = (TRUNCATED, INVALID_JSON, MISSING_FIELD, WRONG_TYPE)


def choose(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """An int8 kind code per line: ``VALID`` or, with probability ``share``, one of the
    four per-line kinds, equally likely."""
    codes = np.full(n, VALID, dtype=np.int8)
    hit = np.flatnonzero(rng.random(n) < share)
    codes[hit] = rng.choice(np.array(PER_LINE_KINDS, dtype=np.int8), size=len(hit))
    return codes


def malformed_lines(
    rng: np.random.Generator, source: Source, values: Mapping[str, pa.Array], codes: np.ndarray
) -> pa.Array:
    """The damaged line (newline-terminated) of each row, by its kind code.

    ``values`` holds the rendered JSON values (as for ``render_lines``) of just these rows.
    """
    m = len(codes)
    required = [f for f in source.fields if f.required]
    numeric = [f for f in required if f.type in (FieldType.INTEGER, FieldType.NUMBER)]
    # Draw everything up front, in a fixed order, so the output depends only on the seed.
    drop = rng.integers(0, len(required), size=m)
    retype = rng.integers(0, max(len(numeric), 1), size=m)
    cut = rng.random(m)
    variant = rng.integers(0, 3, size=m)

    vals = {k: strings(v) for k, v in values.items()}
    for i, f in enumerate(required):
        mask = (codes == MISSING_FIELD) & (drop == i)
        if mask.any():
            vals[f.key] = pc.if_else(pa.array(mask), pa.scalar(None, LARGE), vals[f.key])
    for i, f in enumerate(numeric):
        mask = (codes == WRONG_TYPE) & (retype == i)
        if mask.any():
            vals[f.key] = pc.if_else(pa.array(mask), _wrong_type(f.type, vals[f.key]), vals[f.key])
    lines = render_lines(source, vals, end="")

    # Truncated: keep 1 .. len-1 bytes, so at least the closing brace is lost.
    lengths = pc.binary_length(lines).to_numpy().astype(np.int64)
    keep = 1 + (cut * (lengths - 1)).astype(np.int64)
    lines = _replace(lines, codes == TRUNCATED, lambda sub, mask: prefixes(sub, keep[mask]))
    lines = _replace(lines, (codes == INVALID_JSON) & (variant == 0), lambda sub, _: _unquote_first_key(sub))
    lines = _replace(lines, (codes == INVALID_JSON) & (variant == 1), lambda sub, _: _single_quotes(sub))
    lines = _replace(lines, (codes == INVALID_JSON) & (variant == 2), lambda sub, _: _stray_brace(sub))
    return pc.binary_join_element_wise(lines, text("\n"), text(""))


def _wrong_type(field_type: FieldType, values: pa.Array) -> pa.Array:
    if field_type is FieldType.INTEGER:
        return quoted(values)  # "timestamp":"1655564444103"
    return pa.repeat(text('"abc"'), len(values))  # "x":"abc"


def _unquote_first_key(lines: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(lines, pattern=r'^\{"(\w+)"', replacement=r"{\1", max_replacements=1)


def _single_quotes(lines: pa.Array) -> pa.Array:
    return pc.replace_substring(lines, pattern='"', replacement="'")


def _stray_brace(lines: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(lines, text("}"), text(""))


def _replace(lines: pa.Array, mask: np.ndarray, transform) -> pa.Array:  # noqa: ANN001
    """``lines`` with the masked elements replaced by ``transform(those lines, mask)``."""
    if not mask.any():
        return lines
    new = transform(lines.filter(pa.array(mask)), mask)
    return pc.replace_with_mask(lines, pa.array(mask), strings(new))


def splice(lines: pa.Array, codes: np.ndarray, bad_lines: pa.Array) -> pa.Array:
    """``lines`` with the lines whose code is not ``VALID`` replaced, in order, by ``bad_lines``."""
    mask = codes != VALID
    if not mask.any():
        return lines
    return pc.replace_with_mask(strings(lines), pa.array(mask), strings(bad_lines))

