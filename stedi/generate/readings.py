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
from stedi.generate.layout import BLOCKS_PER_HALF, block_positions, sort_key
from stedi.generate.rates import GeneratorRates
from stedi.generate.schedule import Schedule
from stedi.landing.sources import ACCELEROMETER, CUSTOMER, STEP_TRAINER, Source

Selection = slice | np.ndarray  # a range of rows, or row indices
AXIS = strings(["-1.0", "0.0", "1.0"])  # the phone reports x and y as -1, 0 or 1 ...
Z_AXIS = strings(["-1.0", "0.0"])  # ... and z as -1 or 0, as in the real data
COMBINATIONS = 18  # (x, y, z) values; a millisecond's readings take distinct ones
STRIDES = np.array([1, 5, 7, 11, 13, 17])  # coprime to 18: up to 18 distinct in one millisecond
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
    if moments == 0:
        return _phone(schedule, customers, np.zeros(0, np.int64), np.zeros(0, np.int64)), _steps(
            rng, schedule, customers, np.zeros(0, np.int64))
    per_moment = _per_moment(rng, moments, rates.same_ms_readings)
    tick = np.repeat(np.arange(moments), per_moment)  # the moment of each reading
    rank = np.arange(len(tick)) - np.repeat(_starts(per_moment), per_moment)
    combo = (rng.integers(0, COMBINATIONS, moments)[tick] + rank * rng.choice(STRIDES, moments)[tick]) % COMBINATIONS
    if rates.duplicate_readings > 0:  # a reading delivered twice: the copy right after it
        copies = 1 + (rng.random(len(tick)) < rates.duplicate_readings)
        tick, combo = np.repeat(tick, copies), np.repeat(combo, copies)

    customer = schedule.customer
    offset = schedule.time - schedule.first[customer]
    half = rng.integers(0, 2, moments)[tick]
    slot = half * BLOCKS_PER_HALF + rng.integers(0, BLOCKS_PER_HALF, len(tick))
    position = block_positions(rng, len(schedule.first))[customer[tick], slot]
    order = np.argsort(sort_key(position, offset[tick]))
    tick, combo = tick[order], combo[order]

    # A step-trainer line where the phone's first reading of its millisecond is.
    first_block = np.minimum.reduceat(position, _starts(np.bincount(tick, minlength=moments)))
    reads = np.flatnonzero(schedule.has_step_trainer)
    steps = reads[np.argsort(sort_key(first_block[reads], offset[reads]))]
    return _phone(schedule, customers, tick, combo), _steps(rng, schedule, customers, steps)


def _phone(schedule: Schedule, customers: Customers, tick: np.ndarray, combo: np.ndarray) -> Batch:
    customer, time = schedule.customer[tick], schedule.time[tick]
    consent = customers.research[customer]
    counts = {
        "accelerometer_moments": len(schedule.time),
        "consenting_accelerometer": int(np.count_nonzero(consent >= 0)),
        "accelerometer_before_consent": int(np.count_nonzero((consent >= 0) & (time < consent))),
    }
    x, y, z = combo % 3, combo // 3 % 3, combo // 9

    def values(sel: Selection) -> dict[str, pa.Array]:
        return {
            "user": customers.user.take(customer[sel]),
            "timestamp": integers(time[sel]),
            "x": AXIS.take(x[sel]),
            "y": AXIS.take(y[sel]),
            "z": Z_AXIS.take(z[sel]),
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
