"""The crossed-customers audit answered from the model's SQL: the shipped model is proved, and
every variant that could pair two people's readings, or that the check does not understand, is
not (its rows are audited then, as tests/audits/test_privacy.py shows for the rubric's join)."""

from __future__ import annotations

import pytest

from stedi.audits.proofs import CROSSED_CUSTOMERS, proved
from stedi.models import model

SHIPPED = model("machine_learning_curated").sql
KEYED = ("WITH keyed AS (SELECT c.email, c.serialnumber, sha256(p.pseudonym_key || c.email) AS customer_key "
         "FROM customer_curated AS c CROSS JOIN run_parameters AS p) ")
COLUMNS = "SELECT k.customer_key, s.sensorreadingtime, s.distancefromobject, a.x, a.y, a.z "
JOINS = ("FROM step_trainer_trusted AS s JOIN keyed AS k ON k.serialnumber = s.serialnumber "
         "JOIN accelerometer_trusted AS a ON a.user = k.email AND a.timestamp = s.sensorreadingtime")


def test_the_shipped_model_is_proved() -> None:
    assert proved(CROSSED_CUSTOMERS, SHIPPED)
    assert proved(CROSSED_CUSTOMERS, KEYED + COLUMNS + JOINS)


@pytest.mark.parametrize("sql", [
    # Rows only filtered, or the same equalities written otherwise: still one customer per row.
    KEYED + COLUMNS + JOINS + " WHERE s.distancefromobject > 0",
    KEYED + "SELECT DISTINCT k.customer_key, s.sensorreadingtime, s.distancefromobject, a.x, a.y, a.z " + JOINS,
    KEYED + COLUMNS + "FROM step_trainer_trusted AS s JOIN keyed AS k ON s.serialnumber = k.serialnumber "
    "JOIN accelerometer_trusted AS a ON k.email = a.user AND s.sensorreadingtime = a.timestamp",
], ids=["a filter", "distinct", "equalities turned around"])
def test_variants_that_keep_one_customer_per_row_are_proved(sql: str) -> None:
    assert proved(CROSSED_CUSTOMERS, sql)


NOT_PROVED = {
    "the rubric's join on the timestamp alone": KEYED + COLUMNS + (
        "FROM step_trainer_trusted AS s JOIN keyed AS k ON k.serialnumber = s.serialnumber "
        "JOIN accelerometer_trusted AS a ON a.timestamp = s.sensorreadingtime"),
    "the phone joined on the serial's customer by OR": KEYED + COLUMNS + (
        "FROM step_trainer_trusted AS s JOIN keyed AS k ON k.serialnumber = s.serialnumber "
        "JOIN accelerometer_trusted AS a ON (a.user = k.email OR true) AND a.timestamp = s.sensorreadingtime"),
    "the step trainer not joined on the serial number": KEYED + COLUMNS + (
        "FROM step_trainer_trusted AS s JOIN keyed AS k ON k.email IS NOT NULL "
        "JOIN accelerometer_trusted AS a ON a.user = k.email AND a.timestamp = s.sensorreadingtime"),
    "a left join": KEYED + COLUMNS + JOINS.replace("JOIN accelerometer", "LEFT JOIN accelerometer"),
    "a union with other rows": KEYED + COLUMNS + JOINS + " UNION ALL " + COLUMNS + JOINS,
    "a computed column": KEYED + COLUMNS.replace("a.x", "a.x + 0 AS x") + JOINS,
    "x taken from the step trainer's side": KEYED + COLUMNS.replace("a.x", "s.distancefromobject AS x") + JOINS,
    "the key made of another column": KEYED.replace("|| c.email", "|| c.serialnumber") + COLUMNS + JOINS,
    "the key from another table": KEYED.replace("customer_curated", "customer_trusted") + COLUMNS + JOINS,
    "an unqualified column": KEYED + COLUMNS.replace("a.x", "x") + JOINS,
    "a second phone table": KEYED + COLUMNS + JOINS + " JOIN accelerometer_trusted AS b ON b.user = k.email",
    "readings from landing": KEYED + COLUMNS + JOINS.replace("accelerometer_trusted", "accelerometer_landing"),
    "not SQL": "SELECT FROM WHERE (",
}


@pytest.mark.parametrize("sql", list(NOT_PROVED.values()), ids=list(NOT_PROVED))
def test_models_that_could_cross_customers_are_not_proved(sql: str) -> None:
    assert not proved(CROSSED_CUSTOMERS, sql)


def test_only_the_crossed_customers_audit_is_answered_from_sql() -> None:
    for audit in ("readings_without_consent", "machine_learning_personal_data"):
        assert not proved(audit, SHIPPED)
