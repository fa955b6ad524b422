"""Accelerometer and step-trainer readings of a chunk of customers, as batches of rows in file
order (``layout``) whose JSON values are rendered on demand (per slice, so slices render in
parallel)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from stedi.generate.customers import Customers
from stedi.generate.jsonlines import integers, strings
from stedi.generate.layout import BLOCKS_PER_HALF, block_positions
from stedi.generate.rates import GeneratorRates
from stedi.generate.schedule import Schedule
from stedi.landing.sources import ACCELEROMETER, CUSTOMER, STEP_TRAINER, Source

Selection = slice | np.ndarray  # a range of rows, or row indices
AXIS = strings(["-1.0", "0.0", "1.0"])  # the phone reports x and y as -1, 0 or 1 ...
Z_AXIS = strings(["-1.0", "0.0"])  # ... and z as -1 or 0, as in the real data
COMBINATIONS = 18  # (x, y, z) values; a millisecond's readings take distinct ones
STRIDES = np.array([1, 5, 7, 11, 13, 17], dtype=np.int16)  # coprime to 18: up to 18 distinct in one millisecond
DISTANCE_CM = (201, 300)  # distanceFromObject in the real data


@dataclass(frozen=True)
class Batch:
    """Rows of one source: ``values(rows)`` renders the JSON values of the selected rows."""

    source: Source
    rows: int
    values: Callable[[Selection], dict[str, pa.Array]]
    counts: dict[str, int] = field(default_factory=dict)  # trait counts for the report


def select(array: pa.Array, rows: Selection) -> pa.Array:
    """The selected elements: a zero-copy slice for a range, a take for indices."""
    if isinstance(rows, slice):
        start, stop, _ = rows.indices(len(array))
        return array.slice(start, stop - start)
    return array.take(rows)


def customer_batch(customers: Customers) -> Batch:
    """The customer records as a batch."""
    values = customers.values
    return Batch(CUSTOMER, customers.records, lambda rows: {k: select(v, rows) for k, v in values.items()})


def reading_batches(
    rng: np.random.Generator, schedule: Schedule, customers: Customers, rates: GeneratorRates
) -> tuple[Batch, Batch]:
    """The phone readings (several in each of a customer's moments) and the step-trainer
    readings (one at each of its first ``step_trainer`` moments), in file order."""
    moments = len(schedule.time)
    per_moment = _per_moment(rng, moments, rates.same_ms_readings)
    # The x, y, z of a moment's readings: distinct, a stride coprime to 18 apart.
    most = int(per_moment.max()) if moments else 0
    ranks = np.arange(most, dtype=np.int16)
    base = rng.integers(0, COMBINATIONS, moments, dtype=np.int16)
    stride = STRIDES[rng.integers(0, len(STRIDES), moments)]
    combo = ((base[:, None] + ranks * stride[:, None]) % COMBINATIONS).astype(np.int8)[ranks < per_moment[:, None]]
    tick = np.repeat(np.arange(moments, dtype=np.int32), per_moment)  # the moment of each reading
    if rates.duplicate_readings > 0:  # a reading delivered twice: the copy right after it
        copies = 1 + (rng.random(len(tick)) < rates.duplicate_readings)
        tick, combo = np.repeat(tick, copies), np.repeat(combo, copies)
        per_moment = np.bincount(tick, minlength=moments)

    # Each reading in one of the 4 blocks of its moment's half; blocks in file order, each
    # sorted by time descending (the key's low bits: the offset from the customer's first
    # reading, inverted).
    offset = schedule.time - schedule.first[schedule.customer]
    bits = int(offset.max()).bit_length() if moments else 0
    descending = (1 << bits) - 1 - offset
    first_slot = schedule.customer * (2 * BLOCKS_PER_HALF) + rng.integers(0, 2, moments) * BLOCKS_PER_HALF
    positions = block_positions(rng, len(schedule.first)).ravel()
    position = positions[first_slot[tick] + rng.integers(0, BLOCKS_PER_HALF, len(tick), dtype=np.int32)]
    order = np.argsort((position << bits) | descending[tick])
    tick, combo = tick[order], combo[order]

    # A step-trainer line where the phone's first reading of its millisecond is.
    first_block = np.minimum.reduceat(position, _starts(per_moment)) if moments else position
    reads = schedule.has_step_trainer
    reads = np.arange(moments) if reads.all() else np.flatnonzero(reads)
    steps = reads[np.argsort((first_block[reads] << bits) | descending[reads])]
    return _phone(schedule, customers, per_moment, tick, combo), _steps(rng, schedule, customers, steps)


def _phone(schedule: Schedule, customers: Customers, per_moment: np.ndarray, tick: np.ndarray,
           combo: np.ndarray) -> Batch:
    consent = customers.research[schedule.customer]  # per moment
    consenting = consent >= 0
    counts = {
        "accelerometer_moments": len(schedule.time),
        "consenting_accelerometer": int(per_moment[consenting].sum()),
        "accelerometer_before_consent": int(per_moment[consenting & (schedule.time < consent)].sum()),
    }

    def values(sel: Selection) -> dict[str, pa.Array]:
        moment, c = tick[sel], combo[sel]
        return {
            "user": customers.user.take(schedule.customer[moment]),
            "timestamp": integers(schedule.time[moment]),
            "x": AXIS.take(c % 3),
            "y": AXIS.take(c // 3 % 3),
            "z": Z_AXIS.take(c // 9),
        }

    return Batch(ACCELEROMETER, len(tick), values, counts)


def _steps(rng: np.random.Generator, schedule: Schedule, customers: Customers, moments: np.ndarray) -> Batch:
    customer, time = schedule.customer[moments], schedule.time[moments]
    distance = rng.integers(DISTANCE_CM[0], DISTANCE_CM[1] + 1, len(moments))
    shared = int(np.count_nonzero(schedule.shared[moments])) + schedule.late_shared
    counts = {"step_trainer_cross_customer": shared}

    def values(sel: Selection) -> dict[str, pa.Array]:
        return {
            "sensorReadingTime": integers(time[sel]),
            "serialNumber": customers.serial.take(customer[sel]),
            "distanceFromObject": integers(distance[sel]),
        }

    return Batch(STEP_TRAINER, len(moments), values, counts)


def _per_moment(rng: np.random.Generator, moments: int, mean: float) -> np.ndarray:
    """Readings in each moment: 1 plus a binomial, at most ceil(mean), averaging ``mean``."""
    most = max(math.ceil(mean), 1)
    if most == 1:
        return np.ones(moments, np.int64)
    return 1 + rng.binomial(most - 1, (mean - 1) / (most - 1), moments)


def _starts(counts: np.ndarray) -> np.ndarray:
    starts = np.zeros(len(counts), np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts
