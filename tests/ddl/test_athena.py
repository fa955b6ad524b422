import pytest
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


def comments(statement: str) -> dict[str, str]:
    """Each column's COMMENT, as sqlglot's Athena parser reads the statement back."""
    create = sqlglot.parse_one(statement, read="athena")
    return {c.name: c.find(exp.CommentColumnConstraint).this.name  # type: ignore[union-attr]
            for c in create.this.expressions if c.find(exp.CommentColumnConstraint)}


def test_every_column_has_its_description_as_its_comment() -> None:
    from stedi.models import table_docs

    docs = table_docs()
    for statement in statements("s3://bucket/lake")[1:]:
        name = sqlglot.parse_one(statement, read="athena").this.this.name
        assert comments(statement) == docs[name], name
    ml = next(s for s in statements("s3://bucket/lake") if "machine_learning_curated" in s)
    assert "`sensorreadingtime` BIGINT COMMENT 'when both readings were taken" in ml


def test_a_quote_or_backslash_in_a_description_is_escaped_as_hive_reads_strings() -> None:
    """Athena's DDL is Hive's: a quote is escaped with a backslash ('it''s' would be 'it' 's'
    run together: the quote lost)."""
    from stedi.ddl.athena import render

    doc = "the customer's \\ 'odd' -- not a comment; DROP TABLE x"
    for name in ("customer_landing", "customer_trusted"):  # an external JSON table and an Iceberg one
        [_, statement] = render("s3://b/l", "db", {name: [("email", exp.DataType.build("VARCHAR"))]},
                                {name: {"email": doc}})
        assert "`email` STRING COMMENT 'the customer\\'s \\\\ \\'odd\\' -- not a comment; DROP TABLE x'" in statement
        assert comments(statement) == {"email": doc}
    [_, plain] = render("s3://b/l", "db", {"quarantine": [("raw", exp.DataType.build("VARCHAR"))]})
    assert "`raw` STRING\n" in plain  # no description given: no COMMENT


@pytest.mark.spark
def test_a_hive_parser_reads_the_comments_back(spark) -> None:
    """Spark's SQL parser reads Hive's DDL as Athena does (Trino cannot run Athena's DDL): every
    statement parses, and a description with quotes comes back whole."""
    from stedi.ddl.athena import render

    parser = spark._jsparkSession.sessionState().sqlParser()
    doc = "the customer's \\ 'odd' text"
    for name in ("customer_landing", "customer_trusted"):
        [_, statement] = render("s3://b/l", "db", {name: [("email", exp.DataType.build("VARCHAR"))]},
                                {name: {"email": doc}})
        [email] = parser.parsePlan(statement).tableSchema().fields()
        assert email.getComment().get() == doc
    for statement in statements("s3://bucket/lake")[1:]:
        parser.parsePlan(statement)
