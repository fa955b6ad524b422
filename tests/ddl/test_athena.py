import sqlglot
from sqlglot import exp

from stedi.ddl.athena import statements


def test_landing_tables_are_typed_json_and_the_rest_iceberg() -> None:
    created = statements("s3://bucket/lake/")
    parsed = [sqlglot.parse_one(s, read="athena") for s in created[1:]]
    by_name = {p.this.this.name: p for p in parsed}
    assert set(by_name) == {
        "customer_landing", "accelerometer_landing", "step_trainer_landing", "customer_trusted",
        "accelerometer_trusted", "step_trainer_trusted", "customer_curated", "machine_learning_curated", "quarantine"}
    landing = by_name["accelerometer_landing"]
    assert [c.name for c in landing.this.expressions] == ["user", "timestamp", "x", "y", "z"]
    for column in ("`user` STRING", "`timestamp` BIGINT", "`x` DOUBLE"):  # typed, not all strings
        assert column in created[2]
    assert "JsonSerDe" in created[2] and "s3://bucket/lake/accelerometer/landing/" in created[2]
    assert "birthday` DATE" in created[1]
    ml = by_name["machine_learning_curated"]
    assert [c.name for c in ml.this.expressions] == [
        "customer_key", "sensorreadingtime", "distancefromobject", "x", "y", "z"]
    assert "'table_type'='ICEBERG'" in ml.sql("athena") and "s3://bucket/lake/step_trainer/curated/" in ml.sql("athena")
    assert all(isinstance(p, exp.Create) for p in parsed)
