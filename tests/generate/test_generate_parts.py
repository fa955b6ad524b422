"""The generator's building blocks: JSON rendering, malformed lines, the schedule, UUIDs."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import numpy as np
import pytest

from stedi.generate.customers import _uuids
from stedi.generate.jsonlines import integers, optional, prefixes, quoted, render_lines, strings
from stedi.generate.malformed import INVALID_JSON, MISSING_FIELD, TRUNCATED, WRONG_TYPE, choose, malformed_lines
from stedi.generate.rates import GeneratorRates
from stedi.generate.schedule import make_schedule
from stedi.landing.sources import ACCELEROMETER, CUSTOMER, STEP_TRAINER


def accel_values(n: int) -> dict:
    return {
        "user": quoted([f"A.B{i}@test.com" for i in range(n)]),
        "timestamp": integers(np.arange(n) + 1_655_564_444_103),
        "x": strings(["1.0"] * n),
        "y": strings(["-1.0"] * n),
        "z": strings(["0.0"] * n),
    }


def test_render_lines_matches_json_dumps() -> None:
    lines = render_lines(ACCELEROMETER, accel_values(3)).to_pylist()
    assert lines[1] == '{"user":"A.B1@test.com","timestamp":1655564444104,"x":1.0,"y":-1.0,"z":0.0}\n'
    assert json.loads(lines[1]) == {"user": "A.B1@test.com", "timestamp": 1655564444104, "x": 1.0, "y": -1.0, "z": 0.0}


def test_absent_and_null_keys() -> None:
    n = 3
    values = {f.key: quoted([f.key] * n) for f in CUSTOMER.fields}
    values["shareWithResearchAsOfDate"] = optional(
        integers(np.array([5, 6, 7])), present=np.array([True, False, False]), null=np.array([False, True, False])
    )
    rows = [json.loads(line) for line in render_lines(CUSTOMER, values).to_pylist()]
    assert rows[0]["shareWithResearchAsOfDate"] == 5
    assert "shareWithResearchAsOfDate" in rows[1] and rows[1]["shareWithResearchAsOfDate"] is None
    assert "shareWithResearchAsOfDate" not in rows[2]
    assert list(rows[2]) == [f.key for f in CUSTOMER.fields if f.key != "shareWithResearchAsOfDate"]


def test_render_lines_requires_every_declared_key() -> None:
    values = accel_values(2)
    del values["z"]
    with pytest.raises(ValueError, match="z"):
        render_lines(ACCELEROMETER, values)


def test_prefixes_cut_each_line() -> None:
    assert prefixes(strings(["abcdef", "xyz", ""]), np.array([2, 3, 0])).to_pylist() == ["ab", "xyz", ""]


@pytest.mark.parametrize("source", [ACCELEROMETER, STEP_TRAINER])
def test_each_malformed_kind_breaks_the_declaration(source) -> None:  # noqa: ANN001
    rng = np.random.default_rng(0)
    n = 400
    if source is ACCELEROMETER:
        values = accel_values(n)
    else:
        values = {
            "sensorReadingTime": integers(np.arange(n) + 1_655_564_444_103),
            "serialNumber": quoted(["50f7b4f3-7af5-4b07-a421-7b902c8d2b7c"] * n),
            "distanceFromObject": integers(np.full(n, 218)),
        }
    codes = np.repeat(np.array([TRUNCATED, INVALID_JSON, MISSING_FIELD, WRONG_TYPE], np.int8), n // 4)
    lines = malformed_lines(rng, source, values, codes).to_pylist()
    required = {f.key for f in source.fields if f.required}
    numbers = {f.key for f in source.fields if f.type.value in ("integer", "number")}
    seen_variants = set()
    for code, line in zip(codes, lines):
        assert line.endswith("\n") and line.count("\n") == 1
        text = line[:-1]
        if code in (TRUNCATED, INVALID_JSON):
            with pytest.raises(json.JSONDecodeError):
                json.loads(text)
            assert text.endswith("}") == (code == INVALID_JSON)
            if code == INVALID_JSON:
                seen_variants.add("'" in text or text.endswith("}}") or "unquoted")
        elif code == MISSING_FIELD:
            assert len(required - set(json.loads(text))) == 1
        else:
            record = json.loads(text)
            assert set(record) == required
            wrong = [k for k in numbers if isinstance(record[k], str)]
            assert len(wrong) == 1
            if source.field(wrong[0]).type.value == "number":
                assert record[wrong[0]] == "abc"  # "x":"abc"
            else:
                assert record[wrong[0]].isdigit()  # "timestamp":"1655564444103"
    assert len(seen_variants) >= 2


def test_choose_hits_the_share() -> None:
    codes = choose(np.random.default_rng(1), 200_000, 0.01)
    assert np.count_nonzero(codes) == pytest.approx(2000, rel=0.1)
    assert set(np.unique(codes[codes > 0])) == {TRUNCATED, INVALID_JSON, MISSING_FIELD, WRONG_TYPE}
    assert not choose(np.random.default_rng(1), 1000, 0.0).any()


def test_uuids_are_version_4() -> None:
    values = _uuids(np.random.default_rng(0), 1000).to_pylist()
    assert len(set(values)) == 1000
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", v) for v in values)


def test_schedule_collides_only_where_declared() -> None:
    rates = GeneratorRates()
    first = make_schedule(np.random.default_rng(0), 501, rates, start_ms=1_655_500_000_000)
    second = make_schedule(np.random.default_rng(1), 500, rates, start_ms=first.end_ms)
    owners: dict[int, set[tuple[int, int]]] = defaultdict(set)  # time -> {(chunk, customer)}
    for chunk, s in enumerate((first, second)):
        assert np.all(np.diff(s.time)[np.diff(s.customer) == 0] > 0)  # ascending per customer
        assert np.array_equal(np.bincount(s.customer, minlength=len(s.moments)), s.moments)
        assert np.all(s.step_trainer <= s.moments)
        for customer, time in zip(s.customer, s.time):
            owners[int(time)].add((chunk, int(customer)))
    assert first.time.max() < second.time.min()
    shared_times = {int(t) for s in (first, second) for t in s.time[s.shared]}
    for time, customers in owners.items():
        assert (len(customers) > 1) == (time in shared_times)
        if len(customers) > 1:  # only the two partners of a pair: customers 2k and 2k + 1 of a chunk
            (chunk_a, a), (chunk_b, b) = sorted(customers)
            assert len(customers) == 2 and chunk_a == chunk_b and b == a + 1 and a % 2 == 0
    share = first.shared[first.has_step_trainer].mean()
    assert share == pytest.approx(rates.cross_customer_same_ms, abs=0.02)
