"""The generator's building blocks: JSON rendering, malformed lines, the schedule, the layout,
names, UUIDs."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import numpy as np
import pytest

from stedi.generate.customers import _uuids
from stedi.generate.jsonlines import integers, optional, prefixes, quoted, render_lines, strings
from stedi.generate.layout import block_positions
from stedi.generate.malformed import INVALID_JSON, MISSING_FIELD, TRUNCATED, WRONG_TYPE, choose, malformed_lines
from stedi.generate.names import PAIRS, name_map, names
from stedi.generate.rates import GeneratorRates
from stedi.generate.readings import _per_moment
from stedi.generate.schedule import PERIOD_STEPS, make_schedule, starts_per_ms
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


def test_customer_lines_are_written_as_the_real_file() -> None:
    values = {f.key: quoted([f.key]) for f in CUSTOMER.fields}
    values["registrationDate"] = integers(np.array([1655564376361]))
    values["shareWithPublicAsOfDate"] = optional(integers(np.array([1])), np.array([False]), np.array([False]))
    line = render_lines(CUSTOMER, values).to_pylist()[0]
    assert line.startswith('{"customerName": "customerName", "email": "email", "phone": "phone", ')
    assert '"registrationDate": 1655564376361, ' in line and "shareWithPublicAsOfDate" not in line
    assert line.endswith('"shareWithFriendsAsOfDate": "shareWithFriendsAsOfDate"}\n')


def test_schedule_reads_at_a_fixed_period_and_counts_meetings_across_chunks() -> None:
    rates = GeneratorRates()
    rate = starts_per_ms(1001, rates)
    first, carry = make_schedule(np.random.default_rng(0), 501, rates, 1_655_500_000_000, rate)
    second, _ = make_schedule(np.random.default_rng(1), 500, rates, first.end_ms, rate, carry)
    owners: dict[int, set[tuple[int, int]]] = defaultdict(set)  # time -> {(chunk, customer)}
    periods = {k * 100 // 3 for k in range(PERIOD_STEPS[0], PERIOD_STEPS[1] + 1)}
    for chunk, s in enumerate((first, second)):
        assert np.all(s.moments == 30) and np.all(s.step_trainer == 30)
        assert np.array_equal(s.time, s.first[s.customer] + s.index * s.period[s.customer])
        assert set(s.period.tolist()) <= periods and len(set(s.period.tolist())) > 50
        assert np.array_equal(s.last, s.first + 29 * s.period)
        for customer, time in zip(s.customer, s.time):
            owners[int(time)].add((chunk, int(customer)))
    assert second.first.min() >= first.end_ms  # the stream goes on ...
    assert first.last.max() > second.first.min()  # ... with the first chunk's customers still reading
    def met(time: int, by: set[int]) -> bool:  # another customer, of a chunk in ``by``, reads then
        return len(owners[time]) > 1 and any(chunk in by for chunk, _ in owners[time])

    # Each chunk knows the meetings with its own and earlier chunks' customers; the second
    # counts the first chunk's readings found shared only now.
    assert all(bool(shared) == (len({w for w in owners[int(t)] if w[0] == 0}) > 1)
               for t, shared in zip(first.time, first.shared))
    assert all(bool(shared) == met(int(t), {0, 1}) for t, shared in zip(second.time, second.shared))
    late = [t for t, shared in zip(first.time, first.shared) if not shared and met(int(t), {1})]
    assert second.late_shared == len(late) > 0
    found = int(np.count_nonzero(first.shared)) + int(np.count_nonzero(second.shared)) + second.late_shared
    assert found / (len(first.time) + len(second.time)) == pytest.approx(rates.cross_customer_same_ms, abs=0.025)


def test_customers_train_at_the_real_rate_unless_too_few() -> None:
    rates = GeneratorRates()
    per_minute = starts_per_ms(1_200_000, rates) * 60_000
    assert 215 < per_minute < 235  # the rate at which 10.6% of readings meet by chance
    assert starts_per_ms(956, rates) > starts_per_ms(20_000, rates) > starts_per_ms(1_200_000, rates)
    assert starts_per_ms(40, rates) * 3000 > 30  # too few for the share: all within one period


def test_training_partners_share_every_moment() -> None:
    rates = GeneratorRates(training_partners=1.0, cross_customer_same_ms=0.0)
    s, _ = make_schedule(np.random.default_rng(2), 101, rates, 1_655_500_000_000, starts_per_ms(101, rates))
    assert np.count_nonzero(s.shared) == 100 * 30  # 50 pairs; the odd one out trains alone
    assert len(set(zip(s.first.tolist(), s.period.tolist()))) == 51


def test_block_positions_list_rounds_of_consecutive_customers() -> None:
    n = 956
    position = block_positions(np.random.default_rng(3), n)
    assert sorted(position.ravel().tolist()) == list(range(8 * n))  # every block once
    assert np.all(position[:, :4].max(axis=1) < position[:, 4:].min(axis=1).min() + 8 * n)
    assert position[:, :4].max() < position[:, 4:].min()  # first halves first
    owner = np.empty(8 * n, np.int64)
    owner[position.ravel()] = np.repeat(np.arange(n), 8)
    assert np.mean(np.diff(owner) == 1) == pytest.approx(11 / 12, abs=0.03)
    gaps = np.diff(np.sort(position[:, :4], axis=1), axis=1)
    assert 300 < np.median(gaps) < 700  # a batch comes back a few hundred blocks later


def test_readings_per_moment_average_the_rate_and_stay_in_bounds() -> None:
    counts = _per_moment(np.random.default_rng(4), 300_000, 85 / 30)
    assert counts.mean() == pytest.approx(85 / 30, abs=0.005)
    assert counts.min() == 1 and counts.max() == 3
    assert np.all(_per_moment(np.random.default_rng(4), 10, 1.0) == 1)


def test_names_are_unique_until_every_pair_is_used() -> None:
    mapping = name_map(np.random.default_rng(5))
    name, email = names(np.arange(300_000), mapping)
    assert len(set(name.to_pylist())) == 300_000
    assert all(re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", v) for v in name.to_pylist()[:1000])
    again_name, again_email = names(np.array([7, PAIRS + 7, 2 * PAIRS + 7]), mapping)
    assert len(set(again_name.to_pylist())) == 1  # the pairs come round again ...
    assert len(set(again_email.to_pylist())) == 3  # ... with a number in the email
    assert again_email.to_pylist()[2].endswith("2@test.com") and email[7].as_py() == again_email[0].as_py()
