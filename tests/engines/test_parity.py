"""One parity suite for both engines: the same cases, every table of the Spark engine equal to the
DuckDB engine's row for row (as multisets, the same customer_keys), the same quarantine lines
with the same numbers and reasons, the same counts (as sqlglot checks its executor against DuckDB).

Both engines rebuild the same lake in full one after the other, so they share its pseudonym key;
the Spark run commits its own snapshots (the engines' fingerprints differ), which are then read.
An incremental run on Spark after a DuckDB run is checked against the rules' full rebuild.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.generate import GeneratorRates, generate
from stedi.pipeline.run import RunSummary
from tests.conftest import STARTER, customer, reading, step, write_delivery
from tests.landing.deep_lines import TOO_DEEP

TABLES = ("customer_trusted", "accelerometer_trusted", "customer_curated", "step_trainer_trusted",
          "machine_learning_curated", "quarantine")


def contents(house: Lakehouse) -> dict[str, tuple[object, Counter]]:
    """Each table's schema and its rows as a multiset."""
    found = {}
    for name in TABLES:
        table = house.table(name).to_arrow()
        found[name] = (table.schema, Counter(tuple(row.values()) for row in table.to_pylist()))
    return found


def counts(summary: RunSummary) -> dict[str, object]:
    return {"tables": [(t.name, t.rows_in, t.rows_out, t.quarantined) for t in summary.tables],
            "shared": (summary.shared_serial_numbers, summary.shared_serial_readings)}


def assert_same_on_both_engines(house: Lakehouse, policy: str, spark) -> dict[str, tuple[object, Counter]]:  # type: ignore[no-untyped-def]
    on_duckdb = house.run(consent_policy=policy, engine="duckdb", full=True)
    duckdb_tables = contents(house)
    on_spark = house.run(consent_policy=policy, engine="spark", full=True)
    assert on_spark.engine == "spark" and on_duckdb.engine == "duckdb"
    spark_tables = contents(house)
    assert counts(on_spark) == counts(on_duckdb)
    for name in TABLES:
        (schema_d, rows_d), (schema_s, rows_s) = duckdb_tables[name], spark_tables[name]
        assert schema_s == schema_d, name
        missing, extra = rows_d - rows_s, rows_s - rows_d
        assert not missing and not extra, f"{name}: Spark lacks {list(missing)[:3]}, adds {list(extra)[:3]}"
    return spark_tables


@pytest.fixture(scope="module")
def generated_delivery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every trait of the generator raised, malformed lines included."""
    root = tmp_path_factory.mktemp("parity-generated")
    rates = replace(GeneratorRates(), malformed=0.02, shared_serial=0.05, resent_customer=0.2,
                    consent_null=0.5, cross_customer_same_ms=0.3, duplicate_readings=0.05, training_partners=0.2)
    generate(root, customers=300, seed=5, rates=rates)
    return root


@pytest.mark.parametrize("policy", ["strict", "any-time"])
def test_starter_data(tmp_path: Path, policy: str, spark) -> None:  # type: ignore[no-untyped-def]
    if not STARTER.is_dir():
        pytest.skip(f"starter data not found at {STARTER}")
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(STARTER)
    tables = assert_same_on_both_engines(house, policy, spark)
    assert sum(tables["machine_learning_curated"][1].values()) > 0


@pytest.mark.parametrize("policy", ["strict", "any-time"])
def test_generated_data_with_every_trait(tmp_path: Path, generated_delivery: Path, policy: str, spark) -> None:  # type: ignore[no-untyped-def]
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(generated_delivery)
    tables = assert_same_on_both_engines(house, policy, spark)
    assert sum(tables["quarantine"][1].values()) > 0  # the malformed lines are there, on both


def every_rule(folder: Path) -> Path:
    """The rules' hand-written cases in one delivery: consent absent, null, before and after
    readings; a re-send that withdraws; same-millisecond ties; a shared serial number; two
    customers in one millisecond; malformed and mistyped lines."""
    A, B, C, D, E = (f"{n}@test.com" for n in "abcde")
    return write_delivery(
        folder,
        customer=[customer(A, "s1", consent=200), customer(B, "s2", consent="absent"), customer(C, "s3", consent=None),
                  customer(D, "s4", updated=1000, consent=100), customer(D, "s4", updated=2000),
                  customer(E, "s5", updated=1000, consent=300), customer(E, "s5", updated=1000, consent=100),
                  customer("f@test.com", "s1", consent=50), customer("g@test.com", "s7", consent=10, birthDay="993-01-01"),
                  '{"email": "h@test.com", "serialNumber": "s8", "registrationDate": 1, "lastUpdateDate": "2"}',
                  '{"email": "i@test.com",'],
        accelerometer=[reading(A, t) for t in (100, 200, 300)] + [reading(E, t) for t in (100, 300, 400)]
        + [reading("g@test.com", 300, 1.5, -2.25, 1e-7), reading("g@test.com", 300, 1.5, -2.25, 1e-7),
           reading(D, 300), '{"user":"a@test.com","timestamp":1.5,"x":0,"y":0,"z":0}', "",
           nested("g@test.com", 400, 64), nested("g@test.com", 500, 65), nested("g@test.com", 600, 100_000)],
        step_trainer=[step("s1", t) for t in (100, 200, 300)] + [step("s5", t) for t in (100, 300, 400)]
        + [step("s7", 300), step("s4", 300), '{"sensorReadingTime": 5, "serialNumber": 7, "distanceFromObject": 1}'],
    )


def test_hand_written_rows_with_every_rule(tmp_path: Path, spark) -> None:  # type: ignore[no-untyped-def]
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(every_rule(tmp_path / "delivery"))
    for policy in ("strict", "any-time"):
        tables = assert_same_on_both_engines(house, policy, spark)
        assert sum(tables["quarantine"][1].values()) == 6
        assert sum(n for row, n in tables["quarantine"][1].items() if row[-1] == TOO_DEEP) == 2
        assert sum(tables["machine_learning_curated"][1].values()) > 0


def test_a_lake_in_s3(spark_s3: str, tmp_path: Path, spark) -> None:  # type: ignore[no-untyped-def]
    """The same rows in a lake in S3 (moto's server): Spark reads landing from the bucket and
    writes the tables there through s3:// (S3A); DuckDB through httpfs."""
    house = Lakehouse(f"s3://{spark_s3}/lake", create=True)
    house.ingest(every_rule(tmp_path / "delivery"))
    tables = assert_same_on_both_engines(house, "strict", spark)
    assert {row[1] for row in tables["quarantine"][1]} == {f"{source}/landing/{source}-1.json"
                                                          for source in ("customer", "accelerometer", "step_trainer")}
    assert sum(tables["quarantine"][1].values()) == 6 and sum(tables["machine_learning_curated"][1].values()) > 0


def nested(user: str, ts: int, levels: int) -> str:
    """A reading whose extra key nests the line `levels` deep (64 at most are accepted)."""
    return json.dumps(reading(user, ts))[:-1] + ', "e": ' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


def test_an_incremental_run_on_spark_equals_a_full_rebuild(tmp_path: Path, spark) -> None:  # type: ignore[no-untyped-def]
    from tests.reference import assert_lake_matches

    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(write_delivery(tmp_path / "d1", customer=[customer("a@t.com", "s1", consent=100),
                                                           customer("b@t.com", "s2", consent=None)],
                                accelerometer=[reading("a@t.com", 500), reading("b@t.com", 500)],
                                step_trainer=[step("s1", 500), step("s2", 500)]))
    house.run(engine="duckdb")
    later = write_delivery(tmp_path / "d2", customer=[customer("b@t.com", "s2", updated=2000, consent=100),
                                                      customer("c@t.com", "s1", consent=100)],
                           accelerometer=[reading("c@t.com", 500), '{"user": "broken'])
    for source in ("customer", "accelerometer"):
        (later / source / "landing" / f"{source}-1.json").rename(later / source / "landing" / f"{source}-2.json")
    house.ingest(later)
    # b grants consent (her old readings come in); c takes s1, so s1's readings can no longer be a's.
    summary = house.run(engine="spark")
    assert summary.engine == "spark" and not summary.full_reason
    assert_lake_matches(house, None, "strict")
