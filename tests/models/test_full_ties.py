"""Records of one email tied on every rule of docs/tables.md (same lastupdatedate, same consent)
still resolve to one record whatever their order in the files: customer_latest.sql breaks the
remaining ties on the other columns, and the reference mirrors that order."""

from __future__ import annotations

from pathlib import Path

import pytest

from stedi import Lakehouse
from tests.conftest import customer, reading, step, write_delivery
from tests.reference import assert_lake_matches

A = "a@test.com"
BASE = dict(customerName="Ann", phone="8015550001", birthDay="1990-01-01", registrationDate=500,
            shareWithPublicAsOfDate=1, shareWithFriendsAsOfDate=1)
DIFFERENT = {  # a second value for one column; None: the key left out of the second record
    "serialNumber": "s2", "registrationDate": 400, "customerName": "Abe", "phone": "8015550000",
    "birthDay": "993-01-01", "shareWithPublicAsOfDate": None, "shareWithFriendsAsOfDate": 0,
}


def build(root: Path, records: list[dict]) -> Lakehouse:
    delivery = write_delivery(root / "delivery", customer=records,
                              accelerometer=[reading(A, 500)], step_trainer=[step("s1", 500), step("s2", 500)])
    house = Lakehouse(root / "lake", create=True)
    house.ingest(delivery)
    house.run()
    assert_lake_matches(house, delivery, "strict")
    return house


@pytest.mark.parametrize("column", DIFFERENT)
def test_a_full_tie_resolves_the_same_in_either_order(tmp_path: Path, column: str) -> None:
    first = customer(A, "s1", updated=1000, consent=100, **BASE)
    second = dict(first)
    if column == "serialNumber" or DIFFERENT[column] is not None:
        second[column] = DIFFERENT[column]
    else:
        del second[column]
    one = build(tmp_path / "one", [first, second]).table("customer_trusted").to_arrow().to_pylist()
    other = build(tmp_path / "other", [second, first]).table("customer_trusted").to_arrow().to_pylist()
    assert one == other and len(one) == 1
