"""The rates at which the generator produces each known trait of real STEDI deliveries."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

# Fields that are a share of something (a probability) and must lie in [0, 1].
_SHARES = (
    "research_consent",
    "consent_null",
    "share_with_public",
    "share_with_friends",
    "readings_before_consent",
    "consent_before_first_reading",
    "consent_after_last_reading",
    "consent_at_registration",
    "resent_customer",
    "resent_withdraws_consent",
    "shared_serial",
    "cross_customer_same_ms",
    "training_partners",
    "duplicate_readings",
    "old_birthday",
    "three_digit_year",
    "malformed",
    "truncated_file_end",
)
# Fields that are a mean count and must be finite and >= 0.
_MEANS = ("accelerometer_per_customer", "step_trainer_per_customer", "same_ms_readings")
# Fields that are a whole number >= 1.
_COUNTS = ("lines_per_file", "max_part_bytes")


@dataclass(frozen=True)
class GeneratorRates:
    """Every trait of the generated data, at a realistic and configurable rate.

    The defaults are the rates of the public STEDI starter data (docs/benchmarks.md, "Generated
    data against the starter data"): every customer has 30 phone milliseconds with a
    step-trainer reading each and about 2.83 phone readings in each, one fixed period of
    2.0-4.0 s between readings; about 10.6% of step-trainer readings fall in a millisecond
    another customer also uses; 19.7% of consenting customers consent before their first
    reading and 3.7% after their last. Traits the starter data lacks (null consent keys,
    re-sent records, withdrawals, shared serial numbers, duplicate and malformed lines, cut
    file ends) have rates of their own. Invalid values raise ``ValueError`` naming the field.
    """

    accelerometer_per_customer: float = 85.0
    """Mean accelerometer readings per customer (with ``same_ms_readings``: how many phone
    milliseconds a customer has beyond its step-trainer readings, none by default)."""
    step_trainer_per_customer: float = 30.0
    """Step-trainer readings per customer, each at one of its phone milliseconds: exactly this
    many when it is a whole number (else the floor or the ceiling, keeping the mean)."""
    same_ms_readings: float = 85.0 / 30.0
    """Mean phone readings per (customer, millisecond), >= 1: one reading and up to
    ``ceil - 1`` more, each with x, y, z unlike the others of that millisecond. The phone takes
    ``accelerometer_per_customer / same_ms_readings`` distinct milliseconds per customer,
    which must be at least ``step_trainer_per_customer``."""
    research_consent: float = 0.5
    """Share of customers whose first record has shareWithResearchAsOfDate."""
    consent_null: float = 0.1
    """Share of the customers without a consent whose key is JSON null rather than absent
    (for each of the three consent keys)."""
    share_with_public: float = 0.5
    """Share of customers with shareWithPublicAsOfDate."""
    share_with_friends: float = 0.5
    """Share of customers with shareWithFriendsAsOfDate."""
    readings_before_consent: float = 0.235
    """Mean share of readings before consent of the customers whose consent falls inside their
    reading period (drawn evenly in [0, 2 * share], or in [2 * share - 1, 1] above one half)."""
    consent_before_first_reading: float = 0.197
    """Share of customers who register, and consent, before their first reading (under
    ``strict`` every reading of theirs counts)."""
    consent_after_last_reading: float = 0.037
    """Share of customers whose record is updated after their last reading, and with it the
    consent dates (under ``strict`` no reading of theirs counts). At most
    ``1 - consent_at_registration``."""
    consent_at_registration: float = 0.952
    """Share of customers whose consent dates (and lastUpdateDate) are their registrationDate;
    the others are updated later. At least ``consent_before_first_reading``."""
    resent_customer: float = 0.05
    """Share of customers whose record is re-sent later (same email, later lastUpdateDate)."""
    resent_withdraws_consent: float = 0.5
    """Share of the re-sent consenting customers whose re-send withdraws research consent
    (key absent); every other re-send changes the phone number."""
    shared_serial: float = 0.01
    """Share of customers whose serial number is also given to another customer."""
    cross_customer_same_ms: float = 0.106
    """Share of step-trainer readings in a millisecond another customer also uses, by chance:
    it sets how many customers train at the same time (about 225 starting a minute at the
    default; all within one period when there are too few customers to reach the share)."""
    training_partners: float = 0.0
    """Share of customers who train in step with a partner (same start and period: every
    reading of the pair shares its millisecond)."""
    duplicate_readings: float = 0.0
    """Share of phone readings delivered twice (the second line an exact copy of the first)."""
    old_birthday: float = 0.948
    """Share of customers with a centuries-old birthday (YYYY-01-01 before 1900; the others
    1900-1964, also on 01-01)."""
    three_digit_year: float = 0.055
    """Share of customers born in a three-digit year (967-999, written ``993-01-01``); part of
    ``old_birthday``."""
    malformed: float = 0.001
    """Share of lines replaced by a malformed line: truncated, invalid JSON, a required
    field missing, or a value of the wrong type (kinds equally likely)."""
    truncated_file_end: float = 0.25
    """Share of files whose last line is cut short, without its newline."""
    lines_per_file: int = 10_000
    """Lines per file (the last file of a source holds the rest)."""
    max_part_bytes: int = 64 * 2**20
    """Upper bound of a file's size (a single longer line gets a file of its own)."""

    def __post_init__(self) -> None:
        for name in _SHARES:
            value = getattr(self, name)
            if not _is_real(value) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a share in [0, 1], got {value!r}")
        for name in _MEANS:
            value = getattr(self, name)
            if not _is_real(value) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        for name in _COUNTS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if self.same_ms_readings < 1:
            raise ValueError(f"same_ms_readings must be >= 1, got {self.same_ms_readings!r}")
        if self.extra_moments_per_customer < -1e-9:
            raise ValueError(
                "accelerometer_per_customer must be at least step_trainer_per_customer * "
                f"same_ms_readings (every step-trainer reading needs phone readings in its "
                f"millisecond), got {self.accelerometer_per_customer!r} < "
                f"{self.step_trainer_per_customer!r} * {self.same_ms_readings!r}"
            )
        _at_most("consent_before_first_reading", self.consent_before_first_reading,
                 "consent_at_registration", self.consent_at_registration)
        _at_most("consent_after_last_reading", self.consent_after_last_reading,
                 "1 - consent_at_registration", 1 - self.consent_at_registration)
        _at_most("three_digit_year", self.three_digit_year, "old_birthday", self.old_birthday)

    @property
    def moments_per_customer(self) -> float:
        """Mean distinct milliseconds with phone readings per customer."""
        return self.accelerometer_per_customer / self.same_ms_readings

    @property
    def extra_moments_per_customer(self) -> float:
        """Mean phone milliseconds per customer without a step-trainer reading."""
        return self.moments_per_customer - self.step_trainer_per_customer

    def as_dict(self) -> dict[str, float | int]:
        """The rates by field name (for reports and the CLI)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _at_most(name: str, value: float, bound_name: str, bound: float) -> None:
    if value > bound + 1e-12:
        raise ValueError(f"{name} must be at most {bound_name} ({bound:g}), got {value!r}")


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
