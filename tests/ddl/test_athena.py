import sqlglot
from sqlglot import exp

from stedi.engines.describe import statements


def test_landing_tables_are_typed_json_and_the_rest_iceberg() -> None:
    created = statements("s3://bucket/lake/")
    parsed = [sqlglot.parse_one(s, read="athena") for s in created[1:]]
    by_name = {p.this.this.name: p for p in parsed}
    assert set(by_name) == {
        "customer_landing", "accelerometer_landing", "step_trainer_landing", "customer_trusted",
        "accelerometer_trusted", "step_trainer_trusted", "customer_curated", "machine_learning_curated", "quarantine"}
    landing = by_name["accelerometer_landing"]
    assert [c.name for c in landing.this.expressions] == ["user", "timestamp", "x", "y", "z"]
    # Strings, so that one mistyped value cannot fail an Athena query (tests/aws/test_trino.py).
    for column in ("`user` STRING", "`timestamp` STRING", "`x` STRING"):
        assert column in created[2]
    assert "JsonSerDe" in created[2] and "s3://bucket/lake/accelerometer/landing/" in created[2]
    assert "'ignore.malformed.json'='true'" in created[2]  # a line cut short is a row of NULLs
    assert "birthday` STRING" in created[1]
    assert "birthday` DATE" in created[4]  # the tables stedi builds are typed
    ml = by_name["machine_learning_curated"]
    assert [c.name for c in ml.this.expressions] == [
        "customer_key", "sensorreadingtime", "distancefromobject", "x", "y", "z"]
    assert "'table_type'='ICEBERG'" in ml.sql("athena") and "s3://bucket/lake/step_trainer/curated/" in ml.sql("athena")
    assert all(isinstance(p, exp.Create) for p in parsed)
