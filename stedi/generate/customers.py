"""Customer records: unique names and emails, serial numbers, registration and consent dates
placed against the readings as in the real data, re-sends and the fulfillment defect."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from stedi.generate.jsonlines import integers, optional, quoted, text
from stedi.generate.names import names
from stedi.generate.rates import GeneratorRates
from stedi.generate.schedule import Schedule

AREA_CODES = np.array([801, 385, 435, 208, 307, 702, 303, 480, 512, 206], dtype=np.int64)
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
UUID_GROUPS = ((0, 8), (9, 13), (14, 18), (19, 23), (24, 36))  # hex spans in the 36-char text
THREE_DIGIT_YEARS = (967, 999)  # written 993-01-01, as in the real data
OLD_YEARS = (1000, 1899)
YOUNG_YEARS = (1900, 1964)
EARLY_REGISTRATION_MS = 15_000  # registering before the first reading: up to 15 s before
RESEND_DELAY_MS = (1_000, 86_400_000)  # a re-send comes up to a day after the last update


@dataclass(frozen=True)
class Customers:
    """A chunk of customers: the rendered values of their records and per-customer keys."""

    values: dict[str, pa.Array]  # rendered JSON values per record: originals, then re-sends
    user: pa.Array  # per customer: the email as JSON text, '"Ben.Khatib@test.com"'
    serial: pa.Array  # per customer: the serial number as JSON text
    research: np.ndarray  # per customer: research consent date of the first record, -1 if none
    counts: dict[str, int]  # trait counts, named as in GenerationReport

    @property
    def records(self) -> int:
        return len(self.values["email"])


def make_customers(rng: np.random.Generator, first_number: int, schedule: Schedule, rates: GeneratorRates,
                   name_map: tuple[int, int]) -> Customers:
    """The customers of one chunk; ``first_number`` numbers them across chunks (names, emails)."""
    n = len(schedule.first)
    name, email = names(np.arange(first_number, first_number + n), name_map)
    area = AREA_CODES[rng.integers(0, len(AREA_CODES), n)]
    line = rng.integers(0, 10_000, n)
    new_line = (line + rng.integers(1, 10_000, n)) % 10_000  # a different number
    phone = area * 10_000_000 + 5_550_000 + line
    new_phone = area * 10_000_000 + 5_550_000 + new_line
    birthday = _birthdays(rng, n, rates)

    # The fulfillment defect: a donor's serial number also given to a recipient.
    serial = _uuids(rng, n)
    defects = min(int(rng.binomial(n, rates.shared_serial)), n // 2)
    order = rng.permutation(n)
    holder = np.arange(n)
    holder[order[defects : 2 * defects]] = order[:defects]
    serial = serial.take(holder)

    registration, last_update = _dates(rng, schedule, rates)
    research, research_null = _consent(rng, n, rates.research_consent, rates.consent_null)
    public, public_null = _consent(rng, n, rates.share_with_public, rates.consent_null)
    friends, friends_null = _consent(rng, n, rates.share_with_friends, rates.consent_null)

    # Re-sent records: a later lastUpdateDate; consent withdrawn (key absent) or a new phone.
    resent = rng.random(n) < rates.resent_customer
    withdraw = resent & research & (rng.random(n) < rates.resent_withdraws_consent)
    phone_change = resent & ~withdraw
    resend_update = np.maximum(schedule.last, last_update) + rng.integers(*RESEND_DELAY_MS, n, endpoint=True)
    again = np.flatnonzero(resent)
    record = np.concatenate([np.arange(n), again])  # the customer of each record
    consent_date = integers(last_update[record])  # every consent given with the last update

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
            consent_date,
            present=np.concatenate([research, (research & ~withdraw)[again]]),
            null=research_null[record],
        ),
        "shareWithPublicAsOfDate": optional(consent_date, public[record], public_null[record]),
        "shareWithFriendsAsOfDate": optional(consent_date, friends[record], friends_null[record]),
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
        research=np.where(research, last_update, -1),
        counts=counts,
    )


def _dates(rng: np.random.Generator, schedule: Schedule, rates: GeneratorRates) -> tuple[np.ndarray, np.ndarray]:
    """registrationDate and lastUpdateDate (the date of every consent) of each customer.

    Four kinds of customer, as in the real data, by where a draw in [0, 1) falls: registered
    (and consenting) up to 15 s before the first reading [0, before); registered during the
    readings [before, at_registration); that and updated before the last reading
    [at_registration, 1 - after); that and updated within a period after the last reading
    [1 - after, 1), so that under ``strict`` no reading of theirs counts."""
    n = len(schedule.first)
    first, last = schedule.first, schedule.last
    kind = rng.random(n)
    before = kind < rates.consent_before_first_reading
    updated = kind >= rates.consent_at_registration
    after = kind >= 1 - rates.consent_after_last_reading
    # During the readings: after k of its moments, k / moments averaging the declared share.
    share = rates.readings_before_consent
    low, high = max(0.0, 2 * share - 1), min(1.0, 2 * share)
    moments = schedule.moments
    k = np.floor((low + (high - low) * rng.random(n)) * moments + rng.random(n)).astype(np.int64)
    k = np.clip(k, 0, np.maximum(moments - 1, 0))
    during = np.where(k > 0, first + (k - 1) * schedule.period + rng.integers(1, schedule.period, endpoint=True), first)
    early = first - rng.integers(1, EARLY_REGISTRATION_MS, n, endpoint=True)
    registration = np.where(before, early, during)
    inside = registration + (rng.random(n) * (last - registration)).astype(np.int64)  # in [registration, last]
    late = last + rng.integers(1, schedule.period, endpoint=True)
    last_update = np.where(after, late, np.where(updated, inside, registration))
    return registration, last_update


def _consent(rng: np.random.Generator, n: int, share: float, null_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Who has the consent, and who has none but the key as JSON null."""
    present = rng.random(n) < share
    null = ~present & (rng.random(n) < null_share)
    return present, null


def _birthdays(rng: np.random.Generator, n: int, rates: GeneratorRates) -> pa.Array:
    """'YYYY-01-01', as in the real data: three-digit years (993-01-01), other centuries-old
    years, or 1900-1964."""
    kind = rng.random(n)
    three = kind < rates.three_digit_year
    old = kind < rates.old_birthday
    years = np.where(
        three,
        rng.integers(*THREE_DIGIT_YEARS, n, endpoint=True),
        np.where(old, rng.integers(*OLD_YEARS, n, endpoint=True), rng.integers(*YOUNG_YEARS, n, endpoint=True)),
    )
    return pc.binary_join_element_wise(integers(years), text("-01-01"), text(""))


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
