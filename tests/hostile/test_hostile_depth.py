"""Promise: a line nested deeper than 64 levels of arrays and objects is rejected, with that
reason, by every judge alike (the validator, a run on DuckDB, a run on Spark), whatever the
stack it is judged on; a line of exactly 64 levels is accepted; brackets in strings are text.

Before the limit, the validator left depth to Python's json: a deep line was rejected for
"maximum recursion depth exceeded" where the stack ran out, so one line was accepted at the top
of a stack and rejected deeper down, and a line DuckDB's reader took whole (it has no limit) was
accepted at 65 or 900 levels, for `stedi forget` to choke on later.
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Callable

import pytest

from stedi import Lakehouse
from stedi.landing.sources import SOURCES
from stedi.landing.validate import judge
from tests.conftest import customer, reading, step, write_delivery

TOO_DEEP = "nested deeper than 64 levels of arrays and objects"
A = "ann@test.com"


def with_extra(levels: int, kind: str = "[") -> str:
    """A sound reading whose extra key nests the line `levels` deep (the line's object is one)."""
    inner = levels - 1
    value = "[" * inner + "]" * inner if kind == "[" else '{"k":' * inner + "1" + "}" * inner
    return json.dumps(reading(A, 1))[:-1] + ', "extra": ' + value + "}"


def on_a_deep_stack(frames_left: int, action: Callable[[], object]) -> object:
    """`action` called where only about `frames_left` frames are left before Python's limit."""
    def down(n: int) -> object:
        return action() if n <= 0 else down(n - 1)
    used = len(inspect.stack(0))
    return down(sys.getrecursionlimit() - used - frames_left)


@pytest.mark.parametrize("levels", [2, 63, 64, 65, 300, 900, 2000, 100_000])
def test_the_verdict_does_not_depend_on_the_stack(levels: int) -> None:
    source = SOURCES["accelerometer"]
    for kind in "[{":
        line = with_extra(levels, kind)
        want = None if levels <= 64 else TOO_DEEP
        assert judge(source, line)[0] == want
        assert on_a_deep_stack(100, lambda: judge(source, line)[0]) == want


def test_a_run_rejects_what_is_too_deep_and_keeps_the_rest(tmp_path: Path) -> None:
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(deep_delivery(tmp_path / "delivery"))
    summary = house.run()
    assert reasons(house) == WANT
    assert summary.table("accelerometer_landing").rows_out == 4
    assert sorted(r["timestamp"] for r in house.table("accelerometer_landing").to_arrow().to_pylist()) == [1, 1, 1, 1]


def test_a_run_on_spark_rejects_the_same_lines_for_the_same_reason(tmp_path: Path, spark) -> None:  # type: ignore[no-untyped-def]
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(deep_delivery(tmp_path / "delivery"))
    summary = house.run(engine="spark")
    assert summary.engine == "spark"
    assert reasons(house) == WANT
    assert summary.table("accelerometer_landing").rows_out == 4


def deep_delivery(root: Path) -> Path:
    brackets_in_text = json.dumps(reading(A, 1))[:-1] + ', "note": "' + "[{" * 5000 + '"}'
    return write_delivery(
        root,
        customer=[customer(A, "s1", consent=0),
                  json.dumps(customer("bo@test.com", "s2", consent=0))[:-1] + ', "tags": ' + "[" * 64 + "]" * 64 + "}"],
        accelerometer=[with_extra(64), with_extra(64, "{"), with_extra(65), with_extra(65, "{"),
                       with_extra(100_000), with_extra(100_000, "{"), brackets_in_text,
                       json.dumps(reading(A, 1))[:-1].replace('"x": 0.0', '"x": ' + "[" * 100_000 + "]" * 100_000) + "}",
                       json.dumps(reading(A, 1))],
        step_trainer=[json.dumps(step("s1", 1)).replace('"s1"', '"s1", "e": [[[{}]]]'),
                      '{"sensorReadingTime": 1, "serialNumber": ' + "[" * 100_000],
    )


# (source, line) of each quarantined line and its reason; every other line is accepted.
WANT = {("customer", 2): TOO_DEEP, ("accelerometer", 3): TOO_DEEP, ("accelerometer", 4): TOO_DEEP,
        ("accelerometer", 5): TOO_DEEP, ("accelerometer", 6): TOO_DEEP, ("accelerometer", 8): TOO_DEEP,
        ("step_trainer", 2): TOO_DEEP}


def reasons(house: Lakehouse) -> dict[tuple[str, int], str]:
    return {(r["source"], r["line"]): r["reason"] for r in house.table("quarantine").to_arrow().to_pylist()}
