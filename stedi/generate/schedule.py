"""When each customer's phone and step trainer take readings.

As in the real data, every customer reads at a fixed period of its own (2033-4000 ms: a
thirtieth of 61 to 120 seconds, rounded down) from its first reading on, and customers train at the
same time: sessions start as a Poisson stream, at the rate at which the declared share of
step-trainer readings fall, by chance, in a millisecond another customer also uses. A pair of
training partners (``training_partners``) shares its start and period. Each chunk of customers
continues the stream of the chunk before, so the span grows with the number of customers; a
``Collisions`` carried from chunk to chunk counts shared milliseconds across chunks too.

A customer's step trainer reads at each of its phone milliseconds (the first
``step_trainer`` of them); the phone several times in each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from stedi.generate.rates import GeneratorRates

START_MS = 1_655_500_000_000  # 2022-06-17, when the STEDI starter data was recorded
PERIOD_STEPS = (61, 120)  # period = steps * 100 // 3 ms: 2033 ... 4000 ms, as in the real data
PERIODS_MS = tuple(k * 100 // 3 for k in range(PERIOD_STEPS[0], PERIOD_STEPS[1] + 1))
MEAN_PERIOD_MS = sum(PERIODS_MS) / len(PERIODS_MS)
MOST_SHARED = 0.99  # a share of 1 would need infinitely many customers at once


@dataclass(frozen=True)
class Schedule:
    """The reading milliseconds ("moments") of a chunk of customers, customer by customer.

    Customers are numbered in the order of the customer file, which is not the order in
    which they start (as in the real data)."""

    moments: np.ndarray  # per customer: distinct milliseconds with phone readings
    step_trainer: np.ndarray  # per customer: step-trainer readings (at its first moments)
    period: np.ndarray  # per customer: ms between its readings
    customer: np.ndarray  # per moment: the customer (0-based in the chunk), ascending
    index: np.ndarray  # per moment: 0-based rank within its customer
    time: np.ndarray  # per moment: epoch ms, ascending within a customer
    shared: np.ndarray  # per moment: another customer reads at the same millisecond
    first: np.ndarray  # per customer: first moment (session start if none)
    last: np.ndarray  # per customer: last moment (session start if none)
    end_ms: int  # the last session start: the next chunk's sessions start after it
    late_shared: int = 0  # step-trainer readings of earlier chunks found shared only now

    @property
    def has_step_trainer(self) -> np.ndarray:
        """Per moment: the step trainer also reads at it."""
        return self.index < self.step_trainer[self.customer]


@dataclass
class Collisions:
    """The moments of earlier chunks that a later chunk's moments can still meet."""

    time: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    step: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # a step-trainer reading
    shared: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # already counted shared


def starts_per_ms(customers: int, rates: GeneratorRates) -> float:
    """Sessions starting per millisecond so that, with ``customers`` in all, the declared share
    of step-trainer readings meet another customer's moment by chance.

    A moment meets another customer's with probability 1 - exp(-density), the density being the
    other customers' moments per ms around it. For sessions of length L starting evenly over a
    duration D that is (customers - 1) * moments / D * (1 - L / 3D) when D >= L, and
    (customers - 1) * moments / L * (1 - D / 3L) when D <= L. Solved for D; with too few
    customers to reach the share, they all start within one period."""
    share = min(rates.cross_customer_same_ms, MOST_SHARED)
    moments = max(rates.moments_per_customer, 1.0)
    if share <= 0:
        return 1 / 3_600_000  # one an hour: a chance meeting is rare
    target = -math.log1p(-share)
    length = max(moments - 1, 1.0) * MEAN_PERIOD_MS
    ticks = max(customers - 1, 1) * moments
    if target >= ticks / length:  # more than all at once gives
        duration = MEAN_PERIOD_MS
    elif target >= ticks / length * 2 / 3:  # D <= L
        duration = max(3 * length * (1 - target * length / ticks), MEAN_PERIOD_MS)
    else:  # D >= L: the larger root of target * D^2 - ticks * D + ticks * L / 3 = 0
        duration = (ticks + math.sqrt(ticks * ticks - 4 * target * ticks * length / 3)) / (2 * target)
    return customers / duration


def make_schedule(rng: np.random.Generator, n: int, rates: GeneratorRates, start_ms: int, rate: float,
                  carry: Collisions | None = None) -> tuple[Schedule, Collisions]:
    """The schedule of ``n`` customers whose sessions start after ``start_ms`` at ``rate`` a
    millisecond, and what the next chunk must check its moments against."""
    whole, fraction = divmod(rates.step_trainer_per_customer, 1.0)
    step_trainer = int(whole) + (rng.random(n) < fraction)
    moments = step_trainer + rng.poisson(max(rates.extra_moments_per_customer, 0.0), n)
    period = rng.integers(PERIOD_STEPS[0], PERIOD_STEPS[1] + 1, n) * 100 // 3

    # Session starts in time order, then dealt to the customers in file order.
    start = start_ms + np.floor(np.cumsum(rng.exponential(1 / rate, n))).astype(np.int64)
    partner = _partners(rng, n, rates.training_partners)
    start[partner] = start[partner - 1]
    order = rng.permutation(n)  # customer c starts as the order[c]-th of the chunk
    by_start_period = period.copy()
    by_start_period[partner] = by_start_period[partner - 1]
    first, period = start[order], by_start_period[order]

    customer = np.repeat(np.arange(n), moments)
    index = np.arange(len(customer)) - np.repeat(_starts(moments), moments)
    time = first[customer] + index * period[customer]
    last = first + np.maximum(moments - 1, 0) * period
    end_ms = int(start[-1]) if n else start_ms

    shared, late, carry = _meetings(time, index < step_trainer[customer], carry, end_ms)
    schedule = Schedule(moments, step_trainer, period, customer, index, time, shared, first, last, end_ms, late)
    return schedule, carry


def _partners(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """Customers (by start) who start with the one before them: of the pairs (0, 1), (2, 3),
    ... the second of each pair, with probability ``share``."""
    seconds = np.arange(1, n, 2)
    return seconds[rng.random(len(seconds)) < share]


def _meetings(time: np.ndarray, step: np.ndarray, carry: Collisions | None,
              horizon: int) -> tuple[np.ndarray, int, Collisions]:
    """Which moments share their millisecond with another customer's (a customer's own
    moments are distinct), counting earlier chunks' moments still in reach; the step-trainer
    readings of earlier chunks that only now turn out shared; and what stays in reach."""
    carry = carry or Collisions()
    times = np.concatenate([carry.time, time])
    _, inverse, counts = np.unique(times, return_inverse=True, return_counts=True)
    shared_all = counts[inverse] > 1
    old = len(carry.time)
    late = int(np.count_nonzero(shared_all[:old] & ~carry.shared & carry.step))
    keep = times >= horizon  # later sessions start after the horizon
    steps = np.concatenate([carry.step, step])
    was = np.concatenate([carry.shared | shared_all[:old], shared_all[old:]])
    return shared_all[old:], late, Collisions(times[keep], steps[keep], was[keep])


def _starts(counts: np.ndarray) -> np.ndarray:
    """Start of each group in a flat array of groups of ``counts`` elements."""
    starts = np.zeros(len(counts), np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts
