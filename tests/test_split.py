"""house.split: customer-disjoint, complete, reproducible sides of about the fractions asked."""

from __future__ import annotations

import pyarrow as pa
import pytest

from stedi import Lakehouse
from stedi.errors import StediError
from stedi.split import side, split_rows
from tests.api_lake import api_lake  # noqa: F401 (the fixture)

TRAINING = "machine_learning_curated"


def keys(table: pa.Table, by: str = "customer_key") -> set[object]:
    return set(table.column(by).to_pylist())


def test_sides_are_disjoint_complete_and_about_the_fractions(api_lake: tuple[Lakehouse, list[str]]) -> None:
    house, _ = api_lake
    train, test = house.split(TRAINING, seed=7)
    assert not keys(train) & keys(test)
    assert train.num_rows + test.num_rows == 601
    whole = house.query(f"SELECT * FROM {TRAINING}")
    assert sorted(map(str, train.to_pylist() + test.to_pylist())) == sorted(map(str, whole.to_pylist()))
    assert train.schema == whole.schema
    assert 0.7 < len(keys(train)) / 301 < 0.9  # 301 customers: 80 % within a few standard deviations


def test_three_sides(api_lake: tuple[Lakehouse, list[str]]) -> None:
    house, _ = api_lake
    sides = house.split(TRAINING, fractions=[0.6, 0.2, 0.2], seed=1)
    assert len(sides) == 3 and sum(s.num_rows for s in sides) == 601
    found = [keys(s) for s in sides]
    assert not (found[0] & found[1] or found[0] & found[2] or found[1] & found[2])
    assert all(40 < len(k) < 250 for k in found)


def test_the_same_seed_gives_the_same_sides_and_another_seed_others(api_lake: tuple[Lakehouse, list[str]]) -> None:
    house, runs = api_lake
    train, test = house.split(TRAINING, seed=3)
    again_train, again_test = house.split(TRAINING, seed=3)
    assert keys(train) == keys(again_train) and keys(test) == keys(again_test)
    assert keys(house.split(TRAINING, seed=4)[0]) != keys(train)
    # A customer delivered later (run 2) moves no one: run 1's customers keep their sides.
    before_train, before_test = house.split(TRAINING, seed=3, as_of=runs[0])
    assert keys(before_train) <= keys(train) and keys(before_test) <= keys(test)
    assert len(keys(train) | keys(test)) == len(keys(before_train) | keys(before_test)) + 1


def test_a_sides_hash_is_fixed_across_machines_and_versions() -> None:
    """The sides of c000..c011 for seeds 0 and 1, written down once: SHA-256 of "<seed>\\x1f'<value>'",
    its first 8 bytes a fraction of 2**64. A change here moves every published split."""
    assert [side(f"c{i:03d}", 0, [0.5, 1.0]) for i in range(12)] == [0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1]
    assert [side(f"c{i:03d}", 1, [0.5, 1.0]) for i in range(12)] == [0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1]


def test_other_columns_and_missing_values() -> None:
    rows = pa.table({"user": ["a", "a", None, "b", None, "c"], "v": [1, 2, 3, 4, 5, 6]})
    first, second = split_rows(lambda: rows, "user", (0.5, 0.5), 0)
    assert first.num_rows + second.num_rows == 6
    for part in (first, second):  # every row of a value, missing ones too, on one side
        assert not keys(part, "user") & keys(second if part is first else first, "user")


@pytest.mark.parametrize("fractions", [(0.8, 0.3), (1.0,), (0.5, 0.5, 0.0), (1.2, -0.2), (0.5, float("nan")),
                                       "0.8,0.2", (True, False), None, 0.8])
def test_fractions_are_positive_and_sum_to_one(api_lake: tuple[Lakehouse, list[str]], fractions: object) -> None:
    house, _ = api_lake
    with pytest.raises(StediError, match="fractions must") as raised:
        house.split(TRAINING, fractions=fractions)  # type: ignore[arg-type]
    assert "\n" not in str(raised.value)


def test_an_unknown_table_or_column_or_seed_is_one_line(api_lake: tuple[Lakehouse, list[str]]) -> None:
    house, _ = api_lake
    for call, message in [(lambda: house.split("nope"), "no table 'nope'"),
                          (lambda: house.split(TRAINING, by="email"), "has no column 'email'; its columns: customer_key"),
                          (lambda: house.split(TRAINING, seed="1"), "seed must be an int")]:  # type: ignore[arg-type]
        with pytest.raises(StediError, match=message) as raised:
            call()
        assert "\n" not in str(raised.value)
