"""The rules again, in plain Python over JSON lines: an independent second implementation.

Tests compare the engine's tables with this one on the same data (the sqlglot way of
checking an executor against DuckDB). Slow but obvious; only for test-sized data.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from stedi.landing.sources import SOURCES
from stedi.landing.validate import rejection_reason

if TYPE_CHECKING:
    from stedi import Lakehouse


def read_source(root: Path, source: str) -> list[dict]:
    rows = []
    for path in sorted((root / source / "landing").glob("*.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and rejection_reason(SOURCES[source], line) is None:
                record = json.loads(line)
                rows.append({f.column: record.get(f.key) for f in SOURCES[source].fields})
    return rows


def expected_tables(root: Path, policy: str) -> dict[str, list[tuple]]:
    customers = read_source(root, "customer")
    latest: dict[str, dict] = {}
    for c in customers:
        # Latest update wins; on a tie, no consent (None) wins, then the latest consent date.
        key = (c["lastupdatedate"], c["sharewithresearchasofdate"] is None, c["sharewithresearchasofdate"] or 0)
        old = latest.get(c["email"])
        if old is None or key > (old["lastupdatedate"], old["sharewithresearchasofdate"] is None,
                                 old["sharewithresearchasofdate"] or 0):
            latest[c["email"]] = c
    trusted = {e: c for e, c in latest.items() if c["sharewithresearchasofdate"] is not None}

    def allowed(c: dict, ts: int) -> bool:
        return policy == "any-time" or ts >= c["sharewithresearchasofdate"]

    accel = {
        (a["user"], a["timestamp"], a["x"], a["y"], a["z"])
        for a in read_source(root, "accelerometer")
        if a["user"] in trusted and allowed(trusted[a["user"]], a["timestamp"])
    }
    curated = {a[0] for a in accel}
    holders = Counter(c["serialnumber"] for c in latest.values())
    owner = {c["serialnumber"]: e for e, c in latest.items() if holders[c["serialnumber"]] == 1}
    steps = {
        (s["sensorreadingtime"], s["serialnumber"], s["distancefromobject"])
        for s in read_source(root, "step_trainer")
        if owner.get(s["serialnumber"]) in curated and allowed(trusted[owner[s["serialnumber"]]], s["sensorreadingtime"])
    }
    phone: dict[tuple[str, int], list[tuple]] = {}
    for a in accel:
        phone.setdefault((a[0], a[1]), []).append(a)
    ml = [
        (owner[serial], ts, distance, a[2], a[3], a[4])
        for ts, serial, distance in steps
        for a in phone.get((owner[serial], ts), [])
    ]
    return {
        "customer_trusted": sorted((c["email"],) for c in trusted.values()),
        "accelerometer_trusted": sorted(accel),
        "customer_curated": sorted((e,) for e in curated),
        "step_trainer_trusted": sorted(steps),
        "machine_learning_curated": sorted(ml),  # with the email where the table has its keyed hash
    }


def assert_lake_matches(house: "Lakehouse", delivery: Path, policy: str) -> int:
    """Every table of a lake (after a run under `policy`) row for row against the rules here.
    Returns the machine-learning rows, so a caller can check the data exercised the join."""
    import hashlib

    expected = expected_tables(delivery, policy)
    got = {name: house.table(name).to_arrow().to_pylist() for name in expected}
    for name in ("customer_trusted", "customer_curated"):
        assert sorted((r["email"],) for r in got[name]) == expected[name], name
    for name in ("accelerometer_trusted", "step_trainer_trusted"):
        assert sorted(tuple(r.values()) for r in got[name]) == expected[name], name
    key = house.lake.config.pseudonym_key
    want = sorted((hashlib.sha256((key + r[0]).encode()).hexdigest(),) + r[1:]
                  for r in expected["machine_learning_curated"])
    assert sorted(tuple(r.values()) for r in got["machine_learning_curated"]) == want
    return len(want)
