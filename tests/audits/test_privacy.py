"""The privacy invariants as queries that return offending rows: they pass on generated
data, and each catches the mistake it is there for (a run that breaks one commits nothing)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stedi import Lakehouse, StediError
from stedi.audits import PRIVACY_AUDITS, audit_sql
from stedi.engines.duckdb_engine import DuckDBEngine
from stedi.generate import GeneratorRates, generate
from stedi.models import all_models
from stedi.pipeline import run as run_module


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Lakehouse:
    root = tmp_path_factory.mktemp("audits")
    generate(root / "delivery", customers=300, seed=3,
             rates=replace(GeneratorRates(), shared_serial=0.05, cross_customer_same_ms=0.5))
    house = Lakehouse(root / "lake", create=True)
    house.ingest(root / "delivery")
    return house


def offending_rows(house: Lakehouse, audit: str, policy: str) -> int:
    engine = DuckDBEngine(house.lake.config)
    try:
        for name in ("customer_trusted", "accelerometer_trusted", "customer_curated", "step_trainer_trusted",
                     "machine_learning_curated"):
            table = house.store.load(name)
            assert table is not None
            engine.register_parquet(name, house.store.data_files(name), table.schema().as_arrow())
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
    monkeypatch.setattr(run_module, "all_models", lambda: models)


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


@pytest.mark.parametrize("audit", sorted(MISTAKES))
def test_a_run_that_breaks_a_rule_commits_nothing(house: Lakehouse, monkeypatch: pytest.MonkeyPatch, audit: str) -> None:
    house.run()
    before = {t.name: t.snapshot_id for t in house.tables()}
    with_sql(monkeypatch, *MISTAKES[audit])
    with pytest.raises(StediError, match=f"privacy audit {audit} found [0-9]+ offending row"):
        house.run()
    assert {t.name: t.snapshot_id for t in house.tables()} == before
