"""The people a lake has forgotten, so that old data of theirs delivered again stays out.

Each `stedi forget` keeps an erasure report, `erasures/<id>/report.json`, that names the people
only by keyed hashes (the lake's pseudonym key: sha256 of key + email, the customer_key of
machine_learning_curated; and of key + serial number). A run drops a landing line of a forgotten
person dated at or before their erasure: a customer record registered then, a phone reading by
their email, a step-trainer reading of their serial number taken then. A registration made after
the erasure is a new start and is admitted, with the readings that follow it. A rejected line
that holds a forgotten email or serial number (as a JSON string) is dropped rather than kept in
quarantine, whatever its date: it cannot be dated.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stedi.engines.base import Engine
    from stedi.lake import Lake

ERASURES = "erasures"
# Kinds of keyed hash: an email as spelled, an email normalized (normalized below:
# no surrounding spaces, lower case), a serial number.
EMAIL, EMAIL_CI, SERIAL = "email", "email_ci", "serial"
_SPACES = "' ' || chr(9) || chr(10) || chr(13)"
_STRINGS = re.compile(rb'"((?:[^"\\]|\\.){3,256})"')


_SPACE = " \t\r\n"


def normalized(email: str) -> str:
    """An email as compared: without surrounding spaces, in lower case."""
    return email.strip(_SPACE).lower()


def keyed_hash(key: str, value: str) -> str:
    """sha256 of the lake's pseudonym key and a value, as machine_learning_curated's customer_key."""
    return hashlib.sha256((key + value).encode("utf-8")).hexdigest()


def report_path(run_id: str) -> str:
    return f"{ERASURES}/{run_id}/report.json"


@dataclass
class Forgotten:
    """kind (email, serial) -> keyed hash -> when it was erased (epoch ms; the latest erasure)."""

    erased: dict[str, dict[str, int]] = field(default_factory=lambda: {EMAIL: {}, EMAIL_CI: {}, SERIAL: {}})

    def __bool__(self) -> bool:
        return any(self.erased.values())

    def add(self, kind: str, key_hash: str, at_ms: int) -> None:
        self.erased[kind][key_hash] = max(at_ms, self.erased[kind].get(key_hash, 0))

    @classmethod
    def load(cls, lake: "Lake") -> "Forgotten":
        found = cls()
        for entry in lake.storage.files(ERASURES, suffix="report.json", recursive=True):
            report = json.loads(lake.storage.read_text(entry.relative) or "{}")
            for person in report.get("people", []):
                at = report["erased_at_ms"]
                # Erasures before emails were matched without regard to case hashed the email as given.
                found.add(EMAIL_CI if person.get("normalized") else EMAIL, person["customer_key"], at)
                for key in person.get("spelling_keys", []):
                    found.add(EMAIL, key, at)
                for serial_key in person.get("serial_keys", []):
                    found.add(SERIAL, serial_key, at)
        return found

    def mentioned_in(self, raw: str, key: str) -> bool:
        """Whether a rejected line holds a forgotten email or serial number as a JSON string."""
        hashes = self.erased[EMAIL].keys() | self.erased[SERIAL].keys()
        folded = self.erased[EMAIL_CI].keys()
        for match in _STRINGS.finditer(raw.encode("utf-8", "surrogatepass")):
            try:
                value = json.loads(b'"' + match.group(1) + b'"')
            except ValueError:
                value = match.group(1).decode("utf-8", "replace")
            if keyed_hash(key, value) in hashes or (folded and keyed_hash(key, normalized(value)) in folded):
                return True
        return False

    def prepare(self, engine: "Engine") -> None:
        """Make `forgotten_emails` and `forgotten_serials` readable: the forgotten values present in
        this run's landing rows (hashing each distinct value once, not each row) with the moment
        each was erased."""
        rows = [f"('{kind}', '{h}', {at})" for kind, found in self.erased.items() for h, at in found.items()]
        engine.materialize("forgotten_keys", f"SELECT * FROM (VALUES {', '.join(rows)}) AS f(kind, key_hash, erased_at)")
        folded = f"sha256(p.pseudonym_key || lower(trim(u.v, {_SPACES})))"
        for kinds, column, present in (
            ((EMAIL, EMAIL_CI), "email",
             "SELECT email AS v FROM customer_landing UNION SELECT user FROM accelerometer_landing"),
            ((SERIAL,), "serialnumber",
             "SELECT serialnumber AS v FROM customer_landing UNION SELECT serialnumber FROM step_trainer_landing"),
        ):
            match = " OR ".join(f"(f.kind = '{kind}' AND f.key_hash = "
                                f"{folded if kind == EMAIL_CI else 'sha256(p.pseudonym_key || u.v)'})" for kind in kinds)
            engine.materialize(f"forgotten_{column}s", (
                f"SELECT u.v AS {column}, max(f.erased_at) AS erased_at FROM ({present}) AS u "
                f"CROSS JOIN run_parameters AS p JOIN forgotten_keys AS f ON {match} GROUP BY u.v"))

    @staticmethod
    def kept(source: str) -> str:
        """The condition a landing row of `source` (alias l) meets unless it is a forgotten person's,
        dated at or before their erasure."""
        if source == "customer":
            return ("NOT EXISTS (SELECT 1 FROM forgotten_emails AS f "
                    "WHERE f.email = l.email AND l.registrationdate <= f.erased_at)")
        if source == "accelerometer":
            return "NOT EXISTS (SELECT 1 FROM forgotten_emails AS f WHERE f.email = l.user AND l.timestamp <= f.erased_at)"
        return ("NOT EXISTS (SELECT 1 FROM forgotten_serialnumbers AS f "
                "WHERE f.serialnumber = l.serialnumber AND l.sensorreadingtime <= f.erased_at)")
