"""Accelerometer and step-trainer readings of a chunk of customers, as batches of rows
whose JSON values are rendered on demand (per slice, so slices render in parallel)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from stedi.generate.customers import Customers
from stedi.generate.jsonlines import integers, strings
from stedi.generate.rates import GeneratorRates
from stedi.generate.schedule import Schedule
from stedi.landing.sources import ACCELEROMETER, CUSTOMER, STEP_TRAINER, Source

Selection = slice | np.ndarray  # a range of rows, or row indices
AXIS = strings(["-1.0", "0.0", "1.0"])  # the phone reports each axis as -1, 0 or 1 ...
Z_AXIS = strings(["-1.0", "0.0"])  # ... and z as -1 or 0, as in the real data
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


def accelerometer_batch(
    rng: np.random.Generator, schedule: Schedule, customers: Customers, rates: GeneratorRates
) -> Batch:
    """Several phone readings in each of a customer's moments."""
    whole, fraction = divmod(rates.same_ms_readings, 1.0)
    per_moment = int(whole) + (rng.random(len(schedule.time)) < fraction)
    customer = np.repeat(schedule.customer, per_moment)
    time = np.repeat(schedule.time, per_moment)
    rows = len(time)
    x = rng.integers(0, 3, rows, dtype=np.int8)
    y = rng.integers(0, 3, rows, dtype=np.int8)
    z = rng.integers(0, 2, rows, dtype=np.int8)

    consent = customers.research[customer]
    counts = {
        "accelerometer_moments": int(np.count_nonzero(per_moment)),
        "consenting_accelerometer": int(np.count_nonzero(consent >= 0)),
        "accelerometer_before_consent": int(np.count_nonzero((consent >= 0) & (time < consent))),
    }

    def values(sel: Selection) -> dict[str, pa.Array]:
        return {
            "user": customers.user.take(customer[sel]),
            "timestamp": integers(time[sel]),
            "x": AXIS.take(x[sel]),
            "y": AXIS.take(y[sel]),
            "z": Z_AXIS.take(z[sel]),
        }

    return Batch(ACCELEROMETER, rows, values, counts)


def step_trainer_batch(rng: np.random.Generator, schedule: Schedule, customers: Customers) -> Batch:
    """One step-trainer reading at each of a customer's first moments, under its serial number."""
    reads = schedule.has_step_trainer
    customer = schedule.customer[reads]
    time = schedule.time[reads]
    distance = rng.integers(DISTANCE_CM[0], DISTANCE_CM[1] + 1, len(time))
    counts = {"step_trainer_cross_customer": int(np.count_nonzero(schedule.shared[reads]))}

    def values(sel: Selection) -> dict[str, pa.Array]:
        return {
            "sensorReadingTime": integers(time[sel]),
            "serialNumber": customers.serial.take(customer[sel]),
            "distanceFromObject": integers(distance[sel]),
        }

    return Batch(STEP_TRAINER, len(time), values, counts)
