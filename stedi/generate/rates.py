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
    "resent_customer",
    "resent_withdraws_consent",
    "shared_serial",
    "cross_customer_same_ms",
    "old_birthday",
    "malformed",
    "truncated_file_end",
)
# Fields that are a mean count and must be finite and >= 0.
_MEANS = ("accelerometer_per_customer", "step_trainer_per_customer", "same_ms_readings")


@dataclass(frozen=True)
class GeneratorRates:
    """Every trait of the generated data, at a realistic and configurable rate.

    The defaults follow the public STEDI starter data (about 85 accelerometer and 30
    step-trainer readings per customer, about 2.8 phone readings per millisecond, about
    10% of step-trainer readings sharing their millisecond with another customer).
    Invalid values raise ``ValueError`` naming the field.
    """

    accelerometer_per_customer: float = 85.0
    """Mean accelerometer readings per customer."""
    step_trainer_per_customer: float = 30.0
    """Mean step-trainer readings per customer (Poisson); each at a phone reading's millisecond."""
    same_ms_readings: float = 2.83
    """Mean accelerometer readings per (user, millisecond), >= 1. The phone takes
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
    readings_before_consent: float = 0.25
    """Mean share of a consenting customer's readings taken before shareWithResearchAsOfDate
    (the consent date falls inside the customer's reading period)."""
    resent_customer: float = 0.05
    """Share of customers whose record is re-sent later (same email, later lastUpdateDate)."""
    resent_withdraws_consent: float = 0.5
    """Share of the re-sent consenting customers whose re-send withdraws research consent
    (key absent); every other re-send changes the phone number."""
    shared_serial: float = 0.01
    """Share of customers whose serial number is also given to another customer."""
    cross_customer_same_ms: float = 0.1
    """Share of step-trainer readings whose millisecond is also used by another customer's
    readings (so a join on the timestamp alone pairs different people). Only the common
    milliseconds of two customers training together can collide, so about 0.9 is the most
    the schedule reaches."""
    old_birthday: float = 0.2
    """Share of customers with a centuries-old birthday (YYYY-01-01, years 0900-1899)."""
    malformed: float = 0.001
    """Share of lines replaced by a malformed line: truncated, invalid JSON, a required
    field missing, or a value of the wrong type (kinds equally likely)."""
    truncated_file_end: float = 0.25
    """Share of part files whose last line is cut short, without its newline."""
    max_part_bytes: int = 64 * 2**20
    """Upper bound of a part file's size (a single longer line gets a part of its own)."""

    def __post_init__(self) -> None:
        for name in _SHARES:
            value = getattr(self, name)
            if not _is_real(value) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a share in [0, 1], got {value!r}")
        for name in _MEANS:
            value = getattr(self, name)
            if not _is_real(value) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if self.same_ms_readings < 1:
            raise ValueError(f"same_ms_readings must be >= 1, got {self.same_ms_readings!r}")
        if self.extra_moments_per_customer < -1e-9:
            raise ValueError(
                "accelerometer_per_customer must be at least step_trainer_per_customer * "
                f"same_ms_readings (every step-trainer reading needs phone readings in its "
                f"millisecond), got {self.accelerometer_per_customer!r} < "
                f"{self.step_trainer_per_customer!r} * {self.same_ms_readings!r}"
            )
        if isinstance(self.max_part_bytes, bool) or not isinstance(self.max_part_bytes, int) or self.max_part_bytes < 1:
            raise ValueError(f"max_part_bytes must be an int >= 1, got {self.max_part_bytes!r}")

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


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
