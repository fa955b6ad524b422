"""What a generation run wrote: per source lines, malformed lines by kind and files, plus
the counts of every injected trait, so a test can check the declared rates."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Malformed line kinds, indexed by the int8 code the generator uses per line (0 = valid).
MALFORMED_KINDS: tuple[str, ...] = (
    "truncated",  # a line cut short mid-file (an interrupted write), newline kept
    "invalid_json",  # unquoted key, single quotes or a stray closing brace
    "missing_field",  # a required key absent
    "wrong_type",  # a required number as a string: timestamp "1655...", x "abc"
    "truncated_at_end",  # the last line of a part file cut short, without newline
)
VALID = 0
KIND_CODES: dict[str, int] = {kind: code for code, kind in enumerate(MALFORMED_KINDS, start=1)}


@dataclass(frozen=True)
class SourceReport:
    """The files written for one source."""

    source: str
    lines: int
    """Lines written, malformed ones included (a file-end truncated line counts as one)."""
    malformed: dict[str, int]
    """Malformed lines by kind (every kind of ``MALFORMED_KINDS`` is a key)."""
    files: tuple[Path, ...]
    bytes: int

    @property
    def malformed_lines(self) -> int:
        return sum(self.malformed.values())

    @property
    def valid_lines(self) -> int:
        return self.lines - self.malformed_lines


@dataclass(frozen=True)
class GenerationReport:
    """Counts of a run. Trait counts describe the records as generated, before some of
    their lines were made malformed (a malformed line still counts as its record)."""

    seed: int
    customers: int
    customer: SourceReport
    accelerometer: SourceReport
    step_trainer: SourceReport
    customers_with_consent: int
    """Customers whose first record has shareWithResearchAsOfDate."""
    consent_null: int
    """Customers whose first record has shareWithResearchAsOfDate as JSON null."""
    resent_records: int
    """Customer records re-sent (one per re-sent customer), after the original in the file."""
    consent_withdrawals: int
    """Re-sent records that drop shareWithResearchAsOfDate of a consenting customer."""
    phone_changes: int
    """Re-sent records with a new phone number."""
    shared_serial_numbers: int
    """Serial numbers given to two customers (the fulfillment defect)."""
    customers_with_shared_serial: int
    accelerometer_moments: int
    """Distinct (user, millisecond) among accelerometer readings."""
    step_trainer_cross_customer: int
    """Step-trainer readings whose millisecond is also used by another customer's readings."""
    consenting_accelerometer: int
    """Accelerometer readings of customers whose first record has research consent."""
    accelerometer_before_consent: int
    """Of those, readings taken before the customer's shareWithResearchAsOfDate."""
    rates: dict[str, float | int] = field(default_factory=dict)

    @property
    def sources(self) -> dict[str, SourceReport]:
        return {r.source: r for r in (self.customer, self.accelerometer, self.step_trainer)}

    @property
    def readings(self) -> int:
        """Accelerometer plus step-trainer lines written."""
        return self.accelerometer.lines + self.step_trainer.lines

    @property
    def files(self) -> tuple[Path, ...]:
        return self.customer.files + self.accelerometer.files + self.step_trainer.files

    @property
    def bytes(self) -> int:
        return sum(r.bytes for r in self.sources.values())
