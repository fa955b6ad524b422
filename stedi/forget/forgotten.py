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
EMAIL, SERIAL = "email", "serial"
_STRINGS = re.compile(rb'"((?:[^"\\]|\\.){3,256})"')


def keyed_hash(key: str, value: str) -> str:
    """sha256 of the lake's pseudonym key and a value, as machine_learning_curated's customer_key."""
    return hashlib.sha256((key + value).encode("utf-8")).hexdigest()


def report_path(run_id: str) -> str:
    return f"{ERASURES}/{run_id}/report.json"


@dataclass
class Forgotten:
    """kind (email, serial) -> keyed hash -> when it was erased (epoch ms; the latest erasure)."""

    erased: dict[str, dict[str, int]] = field(default_factory=lambda: {EMAIL: {}, SERIAL: {}})

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
                found.add(EMAIL, person["customer_key"], report["erased_at_ms"])
                for serial_key in person.get("serial_keys", []):
                    found.add(SERIAL, serial_key, report["erased_at_ms"])
        return found

    def mentioned_in(self, raw: str, key: str) -> bool:
        """Whether a rejected line holds a forgotten email or serial number as a JSON string."""
        hashes = self.erased[EMAIL].keys() | self.erased[SERIAL].keys()
        for match in _STRINGS.finditer(raw.encode("utf-8", "surrogatepass")):
            try:
                value = json.loads(b'"' + match.group(1) + b'"')
            except ValueError:
                value = match.group(1).decode("utf-8", "replace")
            if keyed_hash(key, value) in hashes:
                return True
        return False

    def prepare(self, engine: "Engine") -> None:
        """Make `forgotten_emails` and `forgotten_serials` readable: the forgotten values present in
        this run's landing rows (hashing each distinct value once, not each row) with the moment
        each was erased."""
        rows = [f"('{kind}', '{h}', {at})" for kind, found in self.erased.items() for h, at in found.items()]
        engine.materialize("forgotten_keys", f"SELECT * FROM (VALUES {', '.join(rows)}) AS f(kind, key_hash, erased_at)")
        for kind, column, present in (
            (EMAIL, "email", "SELECT email AS v FROM customer_landing UNION SELECT user FROM accelerometer_landing"),
            (SERIAL, "serialnumber",
             "SELECT serialnumber AS v FROM customer_landing UNION SELECT serialnumber FROM step_trainer_landing"),
        ):
            engine.materialize(f"forgotten_{column}s", (
                f"SELECT u.v AS {column}, max(f.erased_at) AS erased_at FROM ({present}) AS u "
                "CROSS JOIN run_parameters AS p "
                f"JOIN forgotten_keys AS f ON f.kind = '{kind}' AND f.key_hash = sha256(p.pseudonym_key || u.v) "
                "GROUP BY u.v"))

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
