"""Integration: the real STEDI starter data (skipped where ../shared is absent).

Expected counts, worked out from the data and the rules (see docs/tables.md, "Row counts on the starter data"):
956 customers, each with one record, one serial number of its own and a birthday; 482 of
them with research consent. All 81,273 accelerometer and 28,680 step-trainer lines are
well-formed. 'any-time' keeps every reading of the 482: 40,981 accelerometer readings,
14,460 step-trainer readings; 'strict' drops those before consent: 32,025 and 11,297,
and 18 consenting customers are left with no reading at all (464 curated).
"""

from __future__ import annotations


import pytest

from stedi import Lakehouse
from tests.conftest import STARTER
from tests.reference import assert_lake_matches

pytestmark = pytest.mark.skipif(not STARTER.is_dir(), reason="starter data not present at ../shared/data/stedi")

EXPECTED = {
    "strict": {
        "customer_landing": 956, "accelerometer_landing": 81273, "step_trainer_landing": 28680,
        "customer_trusted": 482, "accelerometer_trusted": 32025, "customer_curated": 464,
        "step_trainer_trusted": 11297, "machine_learning_curated": 32025, "quarantine": 0,
        "customer_accepted": 956, "accelerometer_accepted": 81273, "step_trainer_accepted": 28680,
    },
    "any-time": {
        "customer_landing": 956, "accelerometer_landing": 81273, "step_trainer_landing": 28680,
        "customer_trusted": 482, "accelerometer_trusted": 40981, "customer_curated": 482,
        "step_trainer_trusted": 14460, "machine_learning_curated": 40981, "quarantine": 0,
        "customer_accepted": 956, "accelerometer_accepted": 81273, "step_trainer_accepted": 28680,
    },
}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lakehouse:
    house = Lakehouse(tmp_path_factory.mktemp("starter") / "lake", create=True)
    house.ingest(STARTER)
    return house


@pytest.mark.parametrize("policy", ["strict", "any-time"])
def test_row_counts(lake: Lakehouse, policy: str) -> None:
    summary = lake.run(consent_policy=policy)
    counts = {t.name: t.rows for t in lake.tables()}
    assert counts == EXPECTED[policy]
    for t in summary.tables[:3]:  # lines read = rows accepted + rows quarantined
        assert t.rows_in == t.rows_out + t.quarantined


@pytest.mark.parametrize("policy", ["strict", "any-time"])
def test_tables_equal_an_independent_implementation(lake: Lakehouse, policy: str) -> None:
    lake.run(consent_policy=policy)
    assert assert_lake_matches(lake, STARTER, policy) == EXPECTED[policy]["machine_learning_curated"]


def test_timestamp_only_join_would_pair_different_people(lake: Lakehouse) -> None:
    """The course rubric's join (on the timestamp alone) gives 43,681 rows under 'any-time';
    2,700 of them pair one customer's step trainer with another customer's phone."""
    lake.run(consent_policy="any-time")
    naive = lake.query(
        "SELECT count(*) AS n, count_if(c.email <> a.user) AS crossed FROM step_trainer_trusted s "
        "JOIN customer_curated c ON c.serialnumber = s.serialnumber "
        "JOIN accelerometer_trusted a ON a.timestamp = s.sensorreadingtime"
    ).to_pylist()[0]
    assert naive == {"n": 43681, "crossed": 2700}
    assert lake.query("SELECT count(*) AS n FROM machine_learning_curated").to_pylist()[0]["n"] == 43681 - 2700
