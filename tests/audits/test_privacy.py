"""The privacy invariants as queries that return offending rows: they pass on generated
data, and each catches the mistake it is there for (a run that breaks one commits nothing)."""

from __future__ import annotations

from dataclasses import replace

from pathlib import Path

import pytest

from stedi import Lakehouse, StediError
from stedi.audits import PRIVACY_AUDITS, audit_sql
from stedi.engines.duckdb_engine import DuckDBEngine
from stedi.generate import GeneratorRates, generate
from stedi.models import all_models
from stedi.pipeline import build as build_module
from tests.conftest import customer, reading, step, write_delivery


# Shared serial numbers, and training partners: half the customers read in the very
# milliseconds of another, so a join on the timestamp alone pairs strangers even among the 40
# customers of a small later delivery (chance meetings alone give a few percent there).
RATES = GeneratorRates(shared_serial=0.05, training_partners=0.5)


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Lakehouse:
    root = tmp_path_factory.mktemp("audits")
    generate(root / "delivery", customers=300, seed=3, rates=RATES)
    house = Lakehouse(root / "lake", create=True)
    house.ingest(root / "delivery")
    return house


def offending_rows(house: Lakehouse, audit: str, policy: str) -> int:
    engine = DuckDBEngine(house.lake.config)
    try:
        for name in ("customer_trusted", "accelerometer_trusted", "customer_curated", "step_trainer_trusted",
                     "machine_learning_curated"):
            table = house.committed(name)
            assert table is not None
            engine.register_parquet(name, house.store.data_files(name, table), table.schema().as_arrow())
        engine.set_parameters(consent_policy=policy, pseudonym_key=house.lake.config.pseudonym_key)
        return len(engine.arrow(audit_sql(audit)))
    finally:
        engine.close()


@pytest.mark.parametrize("policy", ["strict", "any-time"])
def test_audits_find_nothing_on_generated_data(house: Lakehouse, policy: str) -> None:
    house.run(consent_policy=policy)
    assert house.query("SELECT count(*) AS n FROM machine_learning_curated").to_pylist()[0]["n"] > 1000
    for audit in PRIVACY_AUDITS:
        assert offending_rows(house, audit, policy) == 0, audit
    if policy == "any-time":  # the same tables break the strict rule: the audit can fail
        assert offending_rows(house, "readings_without_consent", "strict") > 0


def with_sql(monkeypatch: pytest.MonkeyPatch, name: str, sql: str) -> None:
    models = tuple(replace(m, sql=sql) if m.name == name else m for m in all_models())
    monkeypatch.setattr(build_module, "all_models", lambda: models)


MISTAKES = {
    "machine_learning_crossed_customers": (  # the course rubric's join, on the timestamp alone
        "machine_learning_curated",
        "SELECT sha256(p.pseudonym_key || c.email) AS customer_key, s.sensorreadingtime, s.distancefromobject, "
        "a.x, a.y, a.z FROM step_trainer_trusted AS s JOIN customer_curated AS c ON c.serialnumber = s.serialnumber "
        "JOIN accelerometer_trusted AS a ON a.timestamp = s.sensorreadingtime CROSS JOIN run_parameters AS p",
    ),
    "readings_without_consent": (  # consent ignored
        "accelerometer_trusted",
        "SELECT DISTINCT a.user, a.timestamp, a.x, a.y, a.z FROM accelerometer_landing AS a",
    ),
    "machine_learning_personal_data": (  # the email kept for convenience
        "machine_learning_curated",
        "SELECT c.email, sha256(p.pseudonym_key || c.email) AS customer_key, s.sensorreadingtime, "
        "s.distancefromobject, a.x, a.y, a.z FROM step_trainer_trusted AS s "
        "JOIN customer_curated AS c ON c.serialnumber = s.serialnumber "
        "JOIN accelerometer_trusted AS a ON a.user = c.email AND a.timestamp = s.sensorreadingtime "
        "CROSS JOIN run_parameters AS p",
    ),
}


@pytest.mark.parametrize("full", [True, False], ids=["full rebuild", "incremental run"])
@pytest.mark.parametrize("audit", sorted(MISTAKES))
def test_a_run_that_breaks_a_rule_commits_nothing(house: Lakehouse, monkeypatch: pytest.MonkeyPatch, audit: str,
                                                  full: bool, tmp_path: Path) -> None:
    house.run()
    before = {t.name: t.snapshot_id for t in house.tables()}
    if not full:  # a later delivery, of new customers: the run rebuilds only their rows, and audits them
        delivery = tmp_path / "later"
        generate(delivery, customers=40, seed=len(audit), rates=RATES)
        for path in delivery.glob("*/landing/*.json"):
            path.rename(path.with_name(f"later-{audit}-{path.name}"))
        house.ingest(delivery)
    with_sql(monkeypatch, *MISTAKES[audit])
    with pytest.raises(StediError, match=f"privacy audit {audit} found [0-9]+ offending row"):
        house.run(full=full)
    assert {t.name: t.snapshot_id for t in house.tables()} == before


@pytest.mark.parametrize("policy, offending", [("strict", 12), ("any-time", 21)])
def test_crossed_customers_audit_with_five_customers_in_one_millisecond(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: str, offending: int) -> None:
    # At 5000 the phones of A (x 1.0, 1.5), B (2.0), C (3.0, 3.5, 3.6), D (9.0, no consent) and
    # E (5.0, consent at 6000) read, and so do their step trainers. The join on the timestamp
    # alone pairs each trusted step-trainer reading at 5000 with every trusted phone reading
    # then. Strict: A's, B's and C's steps with the 6 phone readings of A, B and C, of which
    # 4, 5 and 3 are another's: 12 rows. Any-time adds E's phone reading and E's step: A's,
    # B's and C's steps have 5, 6 and 4 strangers, E's step 6: 21 rows.
    A, B, C, D, E = (f"{n}@test.com" for n in "abcde")
    phones = [(A, 1.0), (A, 1.5), (B, 2.0), (C, 3.0), (C, 3.5), (C, 3.6), (D, 9.0), (E, 5.0)]
    delivery = write_delivery(
        tmp_path / "delivery",
        customer=[customer(A, "s1", consent=100), customer(B, "s2", consent=100), customer(C, "s3", consent=100),
                  customer(D, "s4"), customer(E, "s5", consent=6000)],
        accelerometer=[reading(user, 5000, x=x) for user, x in phones] + [reading(E, 8000, x=8.0)],
        step_trainer=[step(f"s{i}", 5000, 11 * i) for i in range(1, 6)] + [step("s5", 8000, 88)])
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(delivery)
    house.run(consent_policy=policy)  # the sound model: nothing offends
    assert offending_rows(house, "machine_learning_crossed_customers", policy) == 0
    before = {t.name: t.snapshot_id for t in house.tables()}
    with_sql(monkeypatch, *MISTAKES["machine_learning_crossed_customers"])
    with pytest.raises(StediError, match=f"privacy audit machine_learning_crossed_customers found {offending} "):
        house.run(consent_policy=policy, full=True)
    assert {t.name: t.snapshot_id for t in house.tables()} == before


def test_crossed_customers_audit_on_hand_written_rows() -> None:
    # A owns step trainer s1, B owns s2; at 100 ms s1 reads 10 cm, A's phone (1,1,1), B's (2,2,2).
    from stedi.config import Config

    engine = DuckDBEngine(Config())
    try:
        engine.set_parameters(consent_policy="strict", pseudonym_key="k")
        con = engine.con
        con.execute("CREATE TABLE customer_curated AS SELECT * FROM (VALUES ('a@x', 's1'), ('b@x', 's2')) "
                    "AS t(email, serialnumber)")
        con.execute("CREATE TABLE step_trainer_trusted AS SELECT 100 AS sensorreadingtime, 's1' AS serialnumber, "
                    "10 AS distancefromobject")
        con.execute("CREATE TABLE accelerometer_trusted AS SELECT * FROM (VALUES ('a@x', 100, 1.0, 1.0, 1.0), "
                    "('b@x', 100, 2.0, 2.0, 2.0)) AS t(user, timestamp, x, y, z)")
        con.execute("""CREATE TABLE machine_learning_curated AS SELECT sha256('k' || email) AS customer_key,
            100 AS sensorreadingtime, 10 AS distancefromobject, x, x AS y, x AS z FROM (VALUES
            ('a@x', 1.0),  -- A's step trainer with A's phone: sound
            ('a@x', 2.0),  -- A's step trainer with B's phone
            ('b@x', 2.0),  -- B's phone, but B's step trainer has no reading then
            ('z@x', 1.0)   -- a key that names no curated customer
            ) AS t(email, x)""")
        offending = engine.rows(f"SELECT x FROM ({audit_sql('machine_learning_crossed_customers')}) ORDER BY x")
        assert offending == [(1.0,), (2.0,), (2.0,)]
    finally:
        engine.close()


def test_the_crossed_customers_audit_is_proved_from_the_shipped_model(house: Lakehouse) -> None:
    # Its rows are not read: the model's joins leave no other answer (stedi/audits/proofs.py).
    summary = house.run(full=True)
    audits = {a["name"]: a for a in summary.audits}
    assert audits["machine_learning_crossed_customers"] == {
        "name": "machine_learning_crossed_customers", "offending": 0, "seconds": 0.0, "proved": True}
    assert not any(a.get("proved") for name, a in audits.items() if name != "machine_learning_crossed_customers")
    # The same tables, audited on their rows, pass too.
    assert offending_rows(house, "machine_learning_crossed_customers", "strict") == 0


def test_a_customer_curated_twice_sends_the_audit_back_to_the_rows(house: Lakehouse,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # A key names one customer only if curated emails are unique: otherwise the proof does not hold.
    curated = next(m.sql for m in all_models() if m.name == "customer_curated")
    with_sql(monkeypatch, "customer_curated", f"SELECT * FROM ({curated}) UNION ALL SELECT * FROM ({curated})")
    summary = house.run(full=True)
    crossed = next(a for a in summary.audits if a["name"] == "machine_learning_crossed_customers")
    assert "proved" not in crossed and crossed["offending"] == 0
