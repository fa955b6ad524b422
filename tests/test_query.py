"""Lakehouse.query with parameters: values are bound as data, never read as SQL, and the
read-only rules (stedi/read_only.py) hold with them; `as_of` is keyword-only.
Lakehouse.connect: a DuckDB connection of the user's own, beside the lake, which cannot write it."""

from __future__ import annotations

import datetime

import pytest

from stedi import Lakehouse
from stedi.errors import StediError
from tests.api_lake import OBRIEN, api_lake  # noqa: F401 (the fixture)

HOSTILE = "'; DROP TABLE x; --"


def one_line(error: pytest.ExceptionInfo[StediError]) -> str:
    text = str(error.value)
    assert "\n" not in text and text
    return text


def test_question_marks_bind_a_list_or_a_tuple(api_lake: tuple[Lakehouse, list[str]]) -> None:
    house, _ = api_lake
    sql = "SELECT email FROM customer_trusted WHERE email = ? OR email = ? ORDER BY email"
    assert house.query(sql, [OBRIEN, "c001@x.com"]).column("email").to_pylist() == ["c001@x.com", OBRIEN]
    assert house.query(sql, (OBRIEN, "nobody")).column("email").to_pylist() == [OBRIEN]


def test_names_bind_a_dict(api_lake: tuple[Lakehouse, list[str]]) -> None:
    house, _ = api_lake
    sql = "SELECT count(*) AS n FROM machine_learning_curated WHERE sensorreadingtime > $after AND x < $below"
    assert house.query(sql, {"after": 550, "below": 10.0}).to_pylist() == [{"n": 11}]  # x = i + 0.6 for i < 10, and late2's 0


def test_values_of_any_type_bind(api_lake: tuple[Lakehouse, list[str]]) -> None:
    house, _ = api_lake
    got = house.query("SELECT ? AS d, ? AS f, ? AS l, ? AS b", [datetime.date(2026, 1, 2), 1.5, [1, 2], None])
    assert got.to_pylist() == [{"d": datetime.date(2026, 1, 2), "f": 1.5, "l": [1, 2], "b": None}]


@pytest.mark.parametrize("value", [HOSTILE, "x' OR '1'='1", "c001@x.com'--", '"; COPY (SELECT 1) TO \'/tmp/x\'; --'])
def test_a_value_is_data_never_sql(api_lake: tuple[Lakehouse, list[str]], value: str) -> None:
    house, _ = api_lake
    assert house.query("SELECT count(*) AS n FROM customer_trusted WHERE email = ?", [value]).to_pylist() == [{"n": 0}]
    assert house.query("SELECT $v AS v", {"v": value}).to_pylist() == [{"v": value}]
    assert house.query("SELECT count(*) AS n FROM customer_trusted").to_pylist() == [{"n": 301}]  # all still there


def test_a_value_that_is_a_path_reaches_no_file(api_lake: tuple[Lakehouse, list[str]]) -> None:
    """A path given as a parameter to a function that reads files meets the same lock as a
    path written in the SQL: stedi.toml holds the pseudonym key."""
    house, _ = api_lake
    for path in (f"{house.path}/stedi.toml", "/etc/passwd", f"{house.path}/catalog.db"):
        with pytest.raises(StediError, match="read-only") as raised:
            house.query("SELECT * FROM read_text(?)", [path])
        one_line(raised)
    with pytest.raises(StediError, match="read-only"):
        house.query("COPY (SELECT 1) TO ?", [f"{house.path}/x.csv"])
    with pytest.raises(StediError, match="query\\(\\) is not allowed"):
        house.query("SELECT * FROM query(?)", ["SELECT 1"])


def test_missing_or_extra_parameters_are_one_line(api_lake: tuple[Lakehouse, list[str]]) -> None:
    house, _ = api_lake
    cases = [("SELECT ? AS a, ? AS b", [1]), ("SELECT ? AS a", [1, 2]), ("SELECT 1 AS a", [1]),
             ("SELECT $a AS a", {"b": 1}), ("SELECT $a AS a", {"a": 1, "b": 2}), ("SELECT ? AS a", None)]
    for sql, params in cases:
        with pytest.raises(StediError, match="query failed: .*parameter") as raised:
            house.query(sql, params)
        one_line(raised)


def test_params_that_are_not_a_list_or_dict_are_refused(api_lake: tuple[Lakehouse, list[str]]) -> None:
    """`h.query(sql, run_id)` (as_of taken positionally before) is refused in one line, not bound."""
    house, runs = api_lake
    for params in (runs[0], 3, {1: "a"}, b"ab"):
        with pytest.raises(StediError, match="params must be a list or tuple .* as_of=") as raised:
            house.query("SELECT 1 AS a", params)  # type: ignore[arg-type]
        one_line(raised)
    with pytest.raises(TypeError):
        house.query("SELECT 1", None, runs[0])  # type: ignore[misc]


def test_as_of_by_name_with_params(api_lake: tuple[Lakehouse, list[str]]) -> None:
    house, runs = api_lake
    sql = "SELECT count(*) AS n FROM machine_learning_curated WHERE sensorreadingtime >= ?"
    assert house.query(sql, [700], as_of=runs[0]).to_pylist() == [{"n": 0}]
    assert house.query(sql, [700]).to_pylist() == [{"n": 1}]


@pytest.mark.parametrize("sql", ["SELECT 1 AS a; SELECT 2 AS b", "SELECT ? AS a; DROP VIEW customer_trusted"])
def test_more_than_one_statement_is_refused(api_lake: tuple[Lakehouse, list[str]], sql: str) -> None:
    house, _ = api_lake
    with pytest.raises(StediError, match="one statement at a time; this SQL holds 2") as raised:
        house.query(sql, [1] if "?" in sql else None)
    one_line(raised)


@pytest.mark.parametrize("sql", ["CREATE TABLE t AS SELECT ? AS a", "COPY (SELECT ?) TO '/tmp/stedi-never.csv'",
                                 "SET threads = ?", "INSERT INTO customer_trusted (email) VALUES (?)"])
def test_writing_with_parameters_is_refused(api_lake: tuple[Lakehouse, list[str]], sql: str) -> None:
    house, _ = api_lake
    with pytest.raises(StediError, match="read-only") as raised:
        house.query(sql, [1])
    one_line(raised)
