"""generate(): determinism, part files, progress, argument checks."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from stedi.generate import GeneratorRates, generate

# Several chunks and several parts per source, many malformed lines and file-end cuts.
RATES = GeneratorRates(malformed=0.01, truncated_file_end=0.5, max_part_bytes=400_000)


def contents(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.json"))}


def test_same_seed_gives_identical_bytes_whatever_the_workers(tmp_path: Path) -> None:
    one = generate(tmp_path / "a", 900, seed=5, rates=RATES, chunk_customers=250, workers=1)
    two = generate(tmp_path / "b", 900, seed=5, rates=RATES, chunk_customers=250, workers=2)
    a, b = contents(tmp_path / "a"), contents(tmp_path / "b")
    assert len(a) > 6 and a == b
    assert [p.name for p in one.files] == [p.name for p in two.files]
    # Apart from the folder, the reports are equal too.
    same_paths = {"customer": two.customer, "accelerometer": two.accelerometer, "step_trainer": two.step_trainer}
    assert dataclasses.replace(one, **same_paths) == two


def test_different_seeds_give_different_data(tmp_path: Path) -> None:
    one = generate(tmp_path / "a", 300, seed=1)
    two = generate(tmp_path / "b", 300, seed=2)
    for name in one.sources:  # as many files, under other names (written at another time), unlike
        a, b = one.sources[name].files, two.sources[name].files
        assert len(a) == len(b) and not {p.name for p in a} & {p.name for p in b}
        assert all(x.read_bytes() != y.read_bytes() for x, y in zip(a, b))


def test_parts_are_bounded_and_lines_never_split(tmp_path: Path) -> None:
    report = generate(tmp_path, 900, seed=5, rates=RATES, chunk_customers=250)
    names = [p.name for p in report.files]
    assert len(set(names)) == len(names)
    for name, source in report.sources.items():
        assert all(re.fullmatch(rf"{name}-\d{{13}}\.json", p.name) for p in source.files)
        assert [p.name for p in source.files] == sorted(p.name for p in source.files)  # in writing order
        for path in source.files:
            data = path.read_bytes()
            assert 0 < len(data) <= RATES.max_part_bytes
            assert data.startswith(b"{")  # a part starts at a line start
    assert len(report.accelerometer.files) >= 15  # 6.5 MB in parts of 400 kB
    cut = sum(r.malformed["truncated_at_end"] for r in report.sources.values())
    ends = sum(not p.read_bytes().endswith(b"\n") for p in report.files)
    assert cut == ends and 0.25 < cut / len(report.files) < 0.75


def test_files_hold_lines_per_file_lines(tmp_path: Path) -> None:
    rates = dataclasses.replace(RATES, truncated_file_end=0.0, max_part_bytes=2**30, lines_per_file=3000)
    report = generate(tmp_path, 300, seed=3, rates=rates, chunk_customers=100)
    for source in report.sources.values():
        lines = [p.read_bytes().count(b"\n") for p in source.files]
        assert lines[:-1] == [3000] * (len(lines) - 1) and 0 < lines[-1] <= 3000
        assert sum(lines) == source.lines
    assert len(report.accelerometer.files) == -(-report.accelerometer.lines // 3000) > 5


def test_every_part_end_truncated_at_rate_one(tmp_path: Path) -> None:
    rates = dataclasses.replace(RATES, malformed=0.0, truncated_file_end=1.0)
    report = generate(tmp_path, 300, seed=3, rates=rates)
    assert all(not p.read_bytes().endswith(b"\n") for p in report.files)
    assert all(r.malformed["truncated_at_end"] == len(r.files) for r in report.sources.values())


def test_a_line_longer_than_a_part_gets_a_part_of_its_own(tmp_path: Path) -> None:
    report = generate(tmp_path, 3, seed=0, rates=GeneratorRates(max_part_bytes=10, truncated_file_end=0.0))
    for source in report.sources.values():
        assert len(source.files) == source.lines  # one line per part
        assert all(p.read_bytes().count(b"\n") == 1 for p in source.files)


def test_progress_counts_customers_as_they_are_written(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    generate(tmp_path, 1000, seed=0, progress=lambda done, total: calls.append((done, total)), chunk_customers=300)
    assert calls == [(0, 1000), (300, 1000), (600, 1000), (900, 1000), (1000, 1000)]


def test_existing_parts_are_kept_unless_overwrite(tmp_path: Path) -> None:
    first = generate(tmp_path, 50, seed=0)
    with pytest.raises(FileExistsError):
        generate(tmp_path, 50, seed=1)
    assert contents(tmp_path)  # untouched
    second = generate(tmp_path, 50, seed=1, overwrite=True, rates=GeneratorRates(max_part_bytes=2**40))
    assert len(contents(tmp_path)) == 3 and all(p.exists() for p in second.files)
    assert not any(p.exists() for p in first.files)  # replaced


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"customers": 0}, "customers"),
        ({"customers": True}, "customers"),
        ({"customers": 2.5}, "customers"),
        ({"seed": -1}, "seed"),
        ({"chunk_customers": 0}, "chunk_customers"),
        ({"workers": 0}, "workers"),
    ],
)
def test_bad_arguments_are_named(tmp_path: Path, kwargs: dict, name: str) -> None:
    args = {"out": tmp_path, "customers": 10, **kwargs}
    with pytest.raises(ValueError, match=name):
        generate(**args)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("research_consent", 1.5),
        ("malformed", -0.1),
        ("shared_serial", float("nan")),
        ("cross_customer_same_ms", "0.1"),
        ("accelerometer_per_customer", -1.0),
        ("same_ms_readings", 0.5),
        ("accelerometer_per_customer", 20.0),  # fewer phone milliseconds than step-trainer readings
        ("max_part_bytes", 0),
        ("lines_per_file", 0),
        ("lines_per_file", 10.5),
        ("three_digit_year", 0.96),  # more than old_birthday
        ("consent_after_last_reading", 0.1),  # more than 1 - consent_at_registration
        ("consent_before_first_reading", 0.96),  # more than consent_at_registration
        ("duplicate_readings", 1.5),
    ],
)
def test_bad_rates_are_named(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        GeneratorRates(**{field: value})


def test_rates_at_their_bounds_work(tmp_path: Path) -> None:
    rates = GeneratorRates(
        research_consent=1.0, resent_customer=1.0, resent_withdraws_consent=1.0, shared_serial=1.0,
        cross_customer_same_ms=1.0, training_partners=1.0, readings_before_consent=1.0,
        consent_before_first_reading=0.0, duplicate_readings=1.0, three_digit_year=1.0, old_birthday=1.0,
        malformed=0.0,
    )  # fmt: skip
    report = generate(tmp_path, 101, seed=0, rates=rates)
    assert report.customers_with_consent == report.consent_withdrawals == report.resent_records == 101
    assert report.shared_serial_numbers == 50
    # Consent after all but the last millisecond (inside the readings) or after the last.
    assert report.accelerometer_before_consent == pytest.approx(report.consenting_accelerometer, rel=0.05)
    assert report.step_trainer_cross_customer / report.step_trainer.lines > 0.85
    assert report.accelerometer.lines == pytest.approx(2 * report.accelerometer_moments * 85 / 30, rel=0.02)
    too_few = dataclasses.replace(rates, training_partners=0.0, duplicate_readings=0.0)
    report = generate(tmp_path / "few", 101, seed=0, rates=too_few)  # all within one period: some meet
    assert 0.01 < report.step_trainer_cross_customer / report.step_trainer.lines < 0.2
