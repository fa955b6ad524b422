"""When each customer's phone and step trainer take readings.

Customers train in pairs: the two customers of a pair share a session, whose "base"
milliseconds lie 2-4 s apart (as in the real data). The first customer of a pair reads at
the base milliseconds; the second at the base shifted by 1-999 ms, except at a few base
milliseconds where both read at the same millisecond: the cross-customer collisions a
timestamp-only join falls for. Sessions follow one another with a gap, so no other
collisions arise (shifts stay below the 1 s margin and the 2 s spacing).

A customer's step trainer reads at its first ``step_trainer`` milliseconds; the phone at
every one of its milliseconds, several readings per millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stedi.generate.rates import GeneratorRates

START_MS = 1_655_500_000_000  # 2022-06-17, when the STEDI starter data was recorded
MIN_GAP_MS, MAX_GAP_MS = 2_000, 4_000  # between one customer's readings
SHIFT_MS = 999  # largest shift of the pair's second customer
SESSION_MARGIN_MS = 1_000  # > SHIFT_MS: a session ends this long after its last base moment
MIN_IDLE_MS, MAX_IDLE_MS = 2 * SESSION_MARGIN_MS, 30_000  # between sessions: > 2 * SHIFT_MS


@dataclass(frozen=True)
class Schedule:
    """The reading milliseconds ("moments") of a chunk of customers, customer by customer."""

    moments: np.ndarray  # per customer: distinct milliseconds with phone readings
    step_trainer: np.ndarray  # per customer: step-trainer readings (its first moments)
    customer: np.ndarray  # per moment: the customer (0-based in the chunk), ascending
    index: np.ndarray  # per moment: 0-based rank within its customer
    time: np.ndarray  # per moment: epoch ms, ascending within a customer
    shared: np.ndarray  # per moment: another customer reads at the same millisecond
    first: np.ndarray  # per customer: first moment (session start if none)
    last: np.ndarray  # per customer: last moment (session start if none)
    end_ms: int  # where the next chunk's first session may start

    @property
    def has_step_trainer(self) -> np.ndarray:
        """Per moment: the step trainer also reads at it."""
        return self.index < self.step_trainer[self.customer]


def make_schedule(rng: np.random.Generator, n: int, rates: GeneratorRates, start_ms: int) -> Schedule:
    """The schedule of ``n`` customers whose first session starts at ``start_ms``."""
    step_trainer = rng.poisson(rates.step_trainer_per_customer, n)
    moments = step_trainer + rng.poisson(max(rates.extra_moments_per_customer, 0.0), n)

    # Pairs (0, 1), (2, 3), ...; an odd last customer trains alone (its partner has 0 moments).
    pairs = (n + 1) // 2
    first_of = np.zeros(pairs, np.int64)
    second_of = np.zeros(pairs, np.int64)
    first_of[:] = moments[0::2]
    second_of[: n // 2] = moments[1::2]
    length = np.maximum(first_of, second_of)  # base moments of each session
    base_start = _starts(length)
    base_rank = np.arange(length.sum()) - np.repeat(base_start, length)
    base_pair = np.repeat(np.arange(pairs), length)

    # Base times: cumulative gaps from the session start; sessions one after another.
    gaps = rng.integers(MIN_GAP_MS, MAX_GAP_MS + 1, size=len(base_rank))
    gaps[base_start[length > 0]] = 0
    offset = np.cumsum(gaps)
    offset -= np.repeat(offset[base_start[length > 0]], length[length > 0])
    span = np.zeros(pairs, np.int64)
    span[length > 0] = offset[base_start[length > 0] + length[length > 0] - 1]
    # Each session starts after an idle time; the previous one ended SESSION_MARGIN_MS
    # after its last base moment.
    idle = rng.integers(MIN_IDLE_MS, MAX_IDLE_MS + 1, size=pairs)
    session = start_ms + SESSION_MARGIN_MS + np.cumsum(idle) + _starts(span)
    base_time = session[base_pair] + offset

    # Shared base moments: both customers read there. The probability is scaled so that the
    # share of step-trainer readings involved equals the declared rate.
    both = (base_rank < first_of[base_pair]) & (base_rank < second_of[base_pair])
    st_first = step_trainer[0::2]
    st_second = np.zeros(pairs, np.int64)
    st_second[: n // 2] = step_trainer[1::2]
    involved = (base_rank < st_first[base_pair]).astype(np.int64) + (base_rank < st_second[base_pair])
    eligible = int(involved[both].sum())
    p = min(1.0, rates.cross_customer_same_ms * step_trainer.sum() / eligible) if eligible else 0.0
    shared_base = both & (rng.random(len(base_rank)) < p)

    # Per customer moments, from the base of its pair.
    customer = np.repeat(np.arange(n), moments)
    index = np.arange(len(customer)) - np.repeat(_starts(moments), moments)
    base = base_start[customer // 2] + index
    shift = rng.integers(1, SHIFT_MS + 1, size=len(customer)) * rng.choice(np.array([-1, 1]), size=len(customer))
    second = (customer % 2) == 1
    shift[~second | shared_base[base]] = 0
    time = base_time[base] + shift

    first = session[np.arange(n) // 2].copy()
    last = first.copy()
    has = moments > 0
    first[has] = time[_starts(moments)[has]]
    last[has] = time[(_starts(moments) + moments - 1)[has]]
    end_ms = int(session[-1] + span[-1]) + SESSION_MARGIN_MS if pairs else start_ms
    return Schedule(moments, step_trainer, customer, index, time, shared_base[base], first, last, end_ms)


def _starts(counts: np.ndarray) -> np.ndarray:
    """Start of each group in a flat array of groups of ``counts`` elements."""
    starts = np.zeros(len(counts), np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts
