"""A split of a table's rows in which no value of a column (a customer) is on two sides: a model
trained on one side and tested on another never meets, in testing, a customer it trained on.

Each value goes to a side by a keyed hash of the value and the seed (SHA-256, the same on every
machine and in every version), not by a random order: a value lands on the same side in every
run, and values added later never move the others. The sides are Arrow tables, materialized
once: a lazy DuckDB relation would read the lake again, maybe after a later run.
"""

from __future__ import annotations

import hashlib
import math
from numbers import Real
from typing import TYPE_CHECKING, Callable, Sequence

from stedi.errors import StediError

if TYPE_CHECKING:
    import pyarrow as pa

_SCALE = 2.0**64


def side(value: object, seed: int, bounds: Sequence[float]) -> int:
    """The side `value` goes to: where its hash, read as a number in [0, 1), falls among the
    cumulative fractions `bounds`. A missing value (None) is one value too."""
    digest = hashlib.sha256(f"{seed}\x1f{value!r}".encode("utf-8")).digest()
    point = int.from_bytes(digest[:8], "big") / _SCALE
    for index, bound in enumerate(bounds):
        if point < bound:
            return index
    return len(bounds) - 1


def checked_fractions(fractions: object) -> list[float]:
    """Positive numbers summing to 1, two or more; else a one-line StediError."""
    if isinstance(fractions, (str, bytes)) or not isinstance(fractions, Sequence) or len(fractions) < 2 or not all(
            isinstance(f, Real) and not isinstance(f, bool) and math.isfinite(f) and f > 0 for f in fractions):
        raise StediError(f"fractions must be two or more positive numbers summing to 1, e.g. (0.8, 0.2); not {fractions!r}")
    if not math.isclose(sum(fractions), 1.0, abs_tol=1e-9):
        raise StediError(f"fractions must sum to 1; {fractions!r} sums to {sum(fractions):g}")
    return [float(f) for f in fractions]


def split_rows(read: "Callable[[], pa.Table]", by: str, fractions: object, seed: int,
               name: str = "the table") -> "tuple[pa.Table, ...]":
    """The rows `read()` gives, cut into one table per fraction, each `by` value's rows all on
    one side. The arguments are checked before anything is read."""
    import pyarrow as pa
    import pyarrow.compute as pc

    shares = checked_fractions(fractions)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise StediError(f"seed must be an int, not {seed!r}")
    rows = read()
    if by not in rows.column_names:
        raise StediError(f"{name} has no column {by!r}; its columns: {', '.join(rows.column_names)}")
    bounds = [sum(shares[:i + 1]) for i in range(len(shares))]
    keys = rows.column(by)
    distinct = pc.unique(keys)
    sides = pa.array([side(v, seed, bounds) for v in distinct.to_pylist()], pa.int8())
    side_of_row = sides.take(pc.index_in(keys, value_set=distinct, skip_nulls=False))
    return tuple(rows.filter(pc.equal(side_of_row, i)) for i in range(len(shares)))
