"""Incremental runs equal a full rebuild, after every run of random sequences of deliveries.

Each sequence is its own small world of customers (emails `c<k>@seq<j>.test`) and serial
numbers (`seq<j>-<k>`, drawn from a pool small enough that customers come to share one): new
customers, re-sent records that grant, move or withdraw consent or change the serial number
(some updated in the same millisecond as the record they follow), one of two holders of a serial
number moving off it (it becomes the other's alone, with nothing else of theirs delivered: only
the old holders tell a run that the other's rows change; the test counts such serials whose
readings then came in, and requires some), new phone and step-trainer readings (some delivered
twice), readings of customers who never registered, and malformed lines.

Rules are per customer and worlds share no customer or serial number, so many sequences run
side by side in one lake: run i reads the i-th delivery of every sequence still going. After
each run every table is compared, row for row, with an independent full rebuild of the same
landing (tests/reference.py, plain Python over the JSON lines); at the end `stedi run --full`
must leave the very same rows.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from stedi import Lakehouse
from tests.conftest import customer, deliver, reading, step
from tests.reference import assert_lake_matches

SEQUENCES = 200
MAX_DELIVERIES = 6


class World:
    """One sequence: what it has delivered so far, and the next delivery drawn from it."""

    def __init__(self, j: int, rng: random.Random):
        self.j, self.rng = j, rng
        self.deliveries = rng.randint(1, MAX_DELIVERIES)
        self.records: dict[str, dict[str, Any]] = {}  # email -> latest record sent
        self.serial_pool = [f"seq{j}-{k}" for k in range(rng.randint(1, 4))]
        self.sent: list[dict[str, Any]] = []  # readings delivered, to deliver some again

    def holders(self) -> dict[str, set[str]]:
        """Each serial number's holders, by their latest records."""
        found: dict[str, set[str]] = {}
        for email, record in self.records.items():
            found.setdefault(record["serialNumber"], set()).add(email)
        return found

    def given_up(self, before: dict[str, set[str]], out: dict[str, list[Any]]) -> list[tuple[str, str]]:
        """(serial, holder) where this delivery left a serial that customers shared to one of them,
        who is otherwise untouched by it (only the serial given up can change their rows)."""
        sent = {source: [r for r in lines if isinstance(r, dict)] for source, lines in out.items()}  # not malformed
        touched = {r["email"] for r in sent["customer"]} | {r["user"] for r in sent["accelerometer"]}
        stepped = {r["serialNumber"] for r in sent["step_trainer"]}
        found = []
        for serial, holders in self.holders().items():
            (holder,) = holders if len(holders) == 1 else (None,)
            if len(before.get(serial, ())) > 1 and holder in before[serial] and holder not in touched \
                    and serial not in stepped:
                found.append((serial, holder))
        return found

    def delivery(self, day: int) -> dict[str, list[Any]]:
        rng, out = self.rng, {"customer": [], "accelerometer": [], "step_trainer": []}
        quiet = self._give_up(day, out)
        for _ in range(rng.randint(0, 3)):  # new customers
            email = f"c{len(self.records)}@seq{self.j}.test"
            record = customer(email, rng.choice(self.serial_pool), updated=day * 1000, consent=self._consent(),
                              registrationDate=day * 1000)
            self.records[email] = record
            out["customer"].append(record)
        others = [e for e in sorted(self.records) if e not in quiet]
        for email in rng.sample(others, k=min(len(others), rng.randint(0, 2))):  # re-sends
            old = self.records[email]
            change = rng.choice(["grant", "move", "withdraw", "serial", "same-millisecond", "phone"])
            updated = old["lastUpdateDate"] if change == "same-millisecond" else day * 1000 + rng.randint(1, 999)
            record = dict(old, lastUpdateDate=updated)
            if change in ("grant", "move", "same-millisecond"):
                record["shareWithResearchAsOfDate"] = rng.randint(0, 60) * 10
            elif change == "withdraw":
                record["shareWithResearchAsOfDate"] = rng.choice([None, "absent"])
                if record["shareWithResearchAsOfDate"] == "absent":
                    del record["shareWithResearchAsOfDate"]
            elif change == "serial":
                record["serialNumber"] = rng.choice(self.serial_pool + [f"seq{self.j}-new{day}"])
            else:
                record["phone"] = f"801555{rng.randint(1000, 9999)}"
            self.records[email] = record
            out["customer"].append(record)
        people = [e for e in sorted(self.records) if e not in quiet] + [f"ghost@seq{self.j}.test"]
        serials = sorted(({r["serialNumber"] for r in self.records.values()} | set(self.serial_pool)) - quiet)
        for _ in range(rng.randint(0, 6)):
            ts = rng.randint(0, 60) * 10
            if rng.random() < 0.6:
                row = reading(rng.choice(people), ts, x=float(rng.randint(0, 3)))
                out["accelerometer"].append(row)
            else:
                row = step(rng.choice(serials), ts, rng.randint(1, 3))
                out["step_trainer"].append(row)
            self.sent.append(row)
        if self.sent and rng.random() < 0.3:  # a reading delivered again
            again = rng.choice(self.sent)
            out["accelerometer" if "user" in again else "step_trainer"].append(again)
        if rng.random() < 0.15:
            out[rng.choice(sorted(out))].append(f'{{"email": "c0@seq{self.j}.test", "serialNumber": ')
        return out

    def _give_up(self, day: int, out: dict[str, list[Any]]) -> set[str]:
        """Often, one of two holders of a serial moves to a serial of its own: the serial becomes
        the other's alone. Returns that other holder and the serial, which the rest of this
        delivery leaves alone, so that only the serial given up changes their rows."""
        shared = sorted(serial for serial, holders in self.holders().items() if len(holders) == 2)
        if not shared or self.rng.random() < 0.2:
            return set()
        serial = self.rng.choice(shared)
        email, other = self.rng.sample(sorted(self.holders()[serial]), 2)
        old = self.records[email]  # later than any record of theirs, earlier than any later re-send
        self.records[email] = dict(old, lastUpdateDate=old["lastUpdateDate"] + 1, serialNumber=f"seq{self.j}-own{day}")
        out["customer"].append(self.records[email])
        return {other, serial}

    def _consent(self) -> Any:
        return self.rng.choice(["absent", None, 0, 200, 400, 600])


@pytest.mark.parametrize("policy, seed", [("strict", 1), ("any-time", 2)])
def test_incremental_runs_equal_a_full_rebuild_after_every_run(tmp_path: Path, policy: str, seed: int) -> None:
    rng = random.Random(seed)
    worlds = [World(j, random.Random(rng.random())) for j in range(SEQUENCES)]
    house = Lakehouse(tmp_path / "lake", create=True)
    exercised = {"removed": 0, "incremental runs": 0, "serials given up": 0, "given up, then attributed": 0}
    for day in range(1, MAX_DELIVERIES + 1):
        merged: dict[str, list[Any]] = {"customer": [], "accelerometer": [], "step_trainer": []}
        given_up = []
        for world in worlds:
            if day <= world.deliveries:
                before = world.holders()
                delivery = world.delivery(day)
                given_up += world.given_up(before, delivery)
                for source, lines in delivery.items():
                    merged[source] += lines
        deliver(house, tmp_path, day, **merged)
        summary = house.run(consent_policy=policy)
        if day > 1:
            assert not summary.full_reason, summary.full_reason
            exercised["incremental runs"] += 1
            exercised["removed"] += sum(t.removed for t in summary.tables)
        assert_lake_matches(house, None, policy, landing=False)
        # A serial given up: its readings may now be its one holder's, with nothing else of theirs new.
        attributed = {r["serialnumber"] for r in house.table("step_trainer_trusted").to_arrow().to_pylist()}
        exercised["serials given up"] += len(given_up)
        exercised["given up, then attributed"] += sum(serial in attributed for serial, _ in given_up)
    # The sequences did exercise what they are for: rows taken out again by later deliveries.
    assert exercised["incremental runs"] == MAX_DELIVERIES - 1 and exercised["removed"] > 0, exercised
    assert exercised["given up, then attributed"] > 0, exercised
    incremental = {t.name: sorted(map(repr, house.table(t.name).to_arrow().to_pylist())) for t in house.tables()
                   if t.zone != "landing"}
    assert house.run(consent_policy=policy, full=True).full_reason == "--full asked for it"
    assert {t.name: sorted(map(repr, house.table(t.name).to_arrow().to_pylist())) for t in house.tables()
            if t.zone != "landing"} == incremental


def test_many_small_deliveries_are_compacted_and_the_rows_stay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stedi.pipeline import rewrites as build

    monkeypatch.setattr(build, "COMPACT_FROM_FILES", 3)
    house = Lakehouse(tmp_path / "lake", create=True)
    rng = random.Random(5)
    world = World(0, rng)
    world.deliveries = 8
    for day in range(1, 9):
        deliver(house, tmp_path, day, **world.delivery(day))
        house.run()
        assert_lake_matches(house, None, "strict", landing=False)
        for name in ("accelerometer_accepted", "quarantine"):
            table = house.committed(name)
            assert table is not None
            # never more files than the threshold and this run's own: small files are merged
            assert len(house.store.data_files(name, table)) <= 4, (day, name)
