"""Customer records: names, unique emails, serial numbers, consents, re-sends, defects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from stedi.generate.jsonlines import LARGE, integers, optional, quoted, strings, text
from stedi.generate.rates import GeneratorRates
from stedi.generate.schedule import Schedule

FIRST_NAMES = (
    "Santosh", "Ben", "Frank", "David", "Edward", "Sarah", "Jo", "Lyn", "Liz", "Dan", "Gail", "Sean",
    "Danny", "Anna", "Maria", "Wei", "Aisha", "Carlos", "Olga", "Kenji", "Priya", "Tom", "Grace",
    "Omar", "Lena", "Raj", "Emma", "Lucas", "Mia", "Noah", "Fatima", "Ivan", "Chen", "Sofia",
    "Jamal", "Hannah", "Diego", "Yuki", "Nora", "Paul",
)  # fmt: skip
LAST_NAMES = (
    "Clayton", "Khatib", "Hansen", "Jones", "Wu", "Abram", "Jackson", "Sanchez", "Lincoln", "Mitra",
    "Huang", "Doshi", "Ahmed", "Habschied", "Davis", "Stafford", "Spencer", "Miller", "Garcia",
    "Kim", "Nguyen", "Smith", "Lopez", "Mueller", "Rossi", "Tanaka", "Okafor",
    "Novak", "Singh", "Cohen", "Silva", "Brown", "Larsen", "Petrov", "Moreau", "Walsh", "Ito",
    "Reyes", "Baker", "Young",
)  # fmt: skip
AREA_CODES = np.array([801, 385, 435, 208, 307, 702, 303, 480, 512, 206], dtype=np.int64)
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
UUID_GROUPS = ((0, 8), (9, 13), (14, 18), (19, 23), (24, 36))  # hex spans in the 36-char text
YOUNG_FIRST_DAY = int(np.datetime64("1940-01-01", "D").astype(np.int64))  # days since 1970
YOUNG_LAST_DAY = int(np.datetime64("2006-12-31", "D").astype(np.int64))
OLD_YEARS = (900, 1899)  # centuries-old birthdays (YYYY-01-01), kept by the pipeline
RESEND_DELAY_MS = (1_000, 86_400_000)  # a re-send comes up to a day after the last reading


@dataclass(frozen=True)
class Customers:
    """A chunk of customers: the rendered values of their records and per-customer keys."""

    values: dict[str, pa.Array]  # rendered JSON values per record: originals, then re-sends
    user: pa.Array  # per customer: the email as JSON text, '"Ben.Khatib12@test.com"'
    serial: pa.Array  # per customer: the serial number as JSON text
    research: np.ndarray  # per customer: research consent date of the first record, -1 if none
    counts: dict[str, int]  # trait counts, named as in GenerationReport

    @property
    def records(self) -> int:
        return len(self.values["email"])


def make_customers(rng: np.random.Generator, first_number: int, schedule: Schedule, rates: GeneratorRates) -> Customers:
    """The customers of one chunk; ``first_number`` makes their emails unique across chunks."""
    n = len(schedule.first)
    first = strings(FIRST_NAMES).take(rng.integers(0, len(FIRST_NAMES), n))
    last = strings(LAST_NAMES).take(rng.integers(0, len(LAST_NAMES), n))
    name = pc.binary_join_element_wise(first, text(" "), last, text(""))
    # A running number keeps emails unique: Ben.Khatib12@test.com.
    number = integers(np.arange(first_number + 1, first_number + n + 1))
    email = pc.binary_join_element_wise(first, text("."), last, number, text("@test.com"), text(""))
    area = AREA_CODES[rng.integers(0, len(AREA_CODES), n)]
    line = rng.integers(0, 10_000, n)
    new_line = (line + rng.integers(1, 10_000, n)) % 10_000  # a different number
    phone = area * 10_000_000 + 5_550_000 + line
    new_phone = area * 10_000_000 + 5_550_000 + new_line
    birthday = _birthdays(rng, n, rates.old_birthday)

    # The fulfillment defect: a donor's serial number also given to a recipient.
    serial = _uuids(rng, n)
    defects = min(int(rng.binomial(n, rates.shared_serial)), n // 2)
    order = rng.permutation(n)
    holder = np.arange(n)
    holder[order[defects : 2 * defects]] = order[:defects]
    serial = serial.take(holder)

    registration = schedule.first - rng.integers(1_000, 120_001, n)
    # Research consent at a moment inside the reading period, so that on average the
    # declared share of readings precedes it.
    share = rates.readings_before_consent
    low, high = max(0.0, 2 * share - 1), min(1.0, 2 * share)
    position = low + (high - low) * rng.random(n)
    consent_date = schedule.first + (position * (schedule.last - schedule.first)).astype(np.int64)
    research, research_null = _consent(rng, n, rates.research_consent, rates.consent_null)
    public, public_null = _consent(rng, n, rates.share_with_public, rates.consent_null)
    friends, friends_null = _consent(rng, n, rates.share_with_friends, rates.consent_null)
    last_update = np.where(research, np.maximum(registration, consent_date), registration)

    # Re-sent records: a later lastUpdateDate; consent withdrawn (key absent) or a new phone.
    resent = rng.random(n) < rates.resent_customer
    withdraw = resent & research & (rng.random(n) < rates.resent_withdraws_consent)
    phone_change = resent & ~withdraw
    resend_update = schedule.last + rng.integers(RESEND_DELAY_MS[0], RESEND_DELAY_MS[1] + 1, n)
    again = np.flatnonzero(resent)
    record = np.concatenate([np.arange(n), again])  # the customer of each record

    def per_record(values: pa.Array) -> pa.Array:
        return values.take(record)

    values = {
        "customerName": per_record(quoted(name)),
        "email": per_record(quoted(email)),
        "phone": quoted(integers(np.concatenate([phone, np.where(phone_change, new_phone, phone)[again]]))),
        "birthDay": per_record(quoted(birthday)),
        "serialNumber": per_record(quoted(serial)),
        "registrationDate": integers(registration[record]),
        "lastUpdateDate": integers(np.concatenate([last_update, resend_update[again]])),
        "shareWithResearchAsOfDate": optional(
            integers(consent_date[record]),
            present=np.concatenate([research, (research & ~withdraw)[again]]),
            null=research_null[record],
        ),
        "shareWithPublicAsOfDate": optional(integers(registration[record]), public[record], public_null[record]),
        "shareWithFriendsAsOfDate": optional(integers(registration[record]), friends[record], friends_null[record]),
    }
    counts = {
        "customers_with_consent": int(research.sum()),
        "consent_null": int(research_null.sum()),
        "resent_records": len(again),
        "consent_withdrawals": int(withdraw.sum()),
        "phone_changes": int(phone_change.sum()),
        "shared_serial_numbers": defects,
        "customers_with_shared_serial": 2 * defects,
    }
    return Customers(
        values=values,
        user=quoted(email),
        serial=quoted(serial),
        research=np.where(research, consent_date, -1),
        counts=counts,
    )


def _consent(rng: np.random.Generator, n: int, share: float, null_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Who has the consent, and who has none but the key as JSON null."""
    present = rng.random(n) < share
    null = ~present & (rng.random(n) < null_share)
    return present, null


def _birthdays(rng: np.random.Generator, n: int, old_share: float) -> pa.Array:
    """'YYYY-MM-DD': 1940-2006, or centuries old as YYYY-01-01 (as in the real data)."""
    old = rng.random(n) < old_share
    years = rng.integers(OLD_YEARS[0], OLD_YEARS[1] + 1, n)
    old_days = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    young_days = rng.integers(YOUNG_FIRST_DAY, YOUNG_LAST_DAY + 1, n)
    days = np.where(old, old_days, young_days).astype(np.int32)
    return pc.cast(pa.array(days, pa.int32()).cast(pa.date32()), LARGE)


def _uuids(rng: np.random.Generator, n: int) -> pa.Array:
    """Random version-4 UUID strings, formatted as bytes in one numpy pass."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    digits = np.empty((n, 32), dtype=np.uint8)
    digits[:, 0::2] = HEX[raw >> 4]
    digits[:, 1::2] = HEX[raw & 0x0F]
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    taken = 0
    for start, stop in UUID_GROUPS:
        out[:, start:stop] = digits[:, taken : taken + stop - start]
        taken += stop - start
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out.tobytes()))
