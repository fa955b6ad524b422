"""Hostile landing files never stop the lake: every bad line is quarantined with its file,
line and reason, the good lines around it are accepted, and lines read = accepted + quarantined."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest

from stedi import Lakehouse
from tests.conftest import customer, reading, step, write_delivery

A = "a@test.com"


def line(ts: int, **extra: object) -> bytes:
    return json.dumps({**reading(A, ts), **extra}, separators=(",", ":")).encode()


def non_blank(data: bytes) -> list[int]:
    """Numbers of the lines DuckDB and the validator count (not only white space)."""
    return [i + 1 for i, text in enumerate(data.split(b"\n")) if text.strip()]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lakehouse, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("hostile")
    delivery = write_delivery(
        root / "d",
        customer=[customer(A, "s1", consent=1),
                  '{"email": "b@test.com", "email": "c@test.com", "serialNumber": "s2", '
                  '"registrationDate": 1, "lastUpdateDate": 1}'],
        step_trainer=[step("s1", 100), '{"sensorReadingTime": 200, "serialNumber": "s1", "distanceFromObject": 1,}'],
    )
    pretty = json.dumps(reading(A, 901), indent=2).encode()  # a record over several lines
    rng = random.Random(7)
    files = {
        "mixed.json": b"\r\n".join([
            line(100), b"   ", line(101, extra=[1, 2]), b"\t", line(102),
            b'{"user":"a@test.com","timestamp":103,"x":1,"y":2,"z":3,}',  # 6: trailing comma
            b'{"user":"a@test.com","timestamp":104,"x":1,"y":2,"z":3,"extra":[1,2,]}',  # 7: nested
            b'{"user":"a@test.com","user":"b@test.com","timestamp":105,"x":1,"y":2,"z":3}',  # 8: key twice
            b'{"user":"a@test.com","timestamp":106,"x":1,"y":2,"z":3,"e":{"k":1,"k":2}}',  # 9: nested
            b'{"user":"a\x00@test.com","timestamp":107,"x":1,"y":2,"z":3}',  # 10: NUL byte
            b" \t \r", line(108), b'{"user":', line(109),  # 13: cut short, 14: the line after it
            b"\x00", b"[" + line(110) + b"," + line(111) + b"]",  # 15: NUL alone, 16: one array on one line
        ]) + b"\r\n",
        "pretty.json": line(200) + b"\n" + pretty + b"\n" + line(201) + b"\n",
        "array.json": b"[\n" + line(300) + b",\n" + line(301) + b"\n]\n",
        "binary.json": rng.randbytes(20_000),
        "gzipped.json": gzip.compress(b"".join(line(t) + b"\n" for t in range(400, 500))),
        "long.json": line(500) + b"\n" + line(501, pad="x" * 20_000_000) + b"\n" + line(502) + b"\n",
        "longer.json": line(600) + b'\n{"user":"' + b"y" * 40_000_000 + b"\n" + line(601) + b"\n",
    }
    folder = delivery / "accelerometer" / "landing"
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    house = Lakehouse(root / "lake", create=True)
    house.ingest(delivery)
    return house, files


@pytest.fixture(scope="module")
def ran(hostile: tuple[Lakehouse, dict[str, bytes]]):  # type: ignore[no-untyped-def]
    house, _ = hostile
    return house.run()


def quarantined(house: Lakehouse, source: str) -> list[tuple[str, int, str, str]]:
    rows = house.query(f"SELECT file, line, raw, reason FROM quarantine WHERE source = '{source}' ORDER BY file, line")
    return [(Path(r["file"]).name, r["line"], r["raw"], r["reason"]) for r in rows.to_pylist()]


def test_each_bad_line_is_quarantined_with_file_line_and_reason(hostile, ran) -> None:  # type: ignore[no-untyped-def]
    house, files = hostile
    found = quarantined(house, "accelerometer")
    by_file: dict[str, list[tuple[int, str, str]]] = {}
    for name, number, raw, reason in found:
        by_file.setdefault(name, []).append((number, raw, reason))
    expected = [(6, "trailing comma"), (7, "trailing comma"), (8, "key 'user' is given twice"),
                (9, "key 'k' is given twice"), (10, "Invalid control character"), (13, "truncated JSON"),
                (15, "malformed JSON"), (16, "not a JSON object but array")]
    assert [n for n, _, _ in by_file["mixed.json"]] == [n for n, _ in expected]
    for (_, _, reason), (_, want) in zip(by_file["mixed.json"], expected):
        assert want in reason
    assert by_file["mixed.json"][2][1] == files["mixed.json"].split(b"\r\n")[7].decode()  # raw as delivered
    pretty_lines = list(range(2, 2 + json.dumps(reading(A, 901), indent=2).count("\n") + 1))
    assert [n for n, _, _ in by_file["pretty.json"]] == pretty_lines
    assert [(n, r) for n, r, _ in by_file["array.json"]] == [(1, "["), (2, line(300).decode() + ","), (4, "]")]
    for name in ("binary.json", "gzipped.json"):  # every line of a file that is not text
        assert [n for n, _, _ in by_file[name]] == non_blank(files[name])
        assert all(reason for _, _, reason in by_file[name])
    assert "long.json" not in by_file  # 20 MB, but a sound record
    assert [(n, len(r), "truncated JSON" in reason) for n, r, reason in by_file["longer.json"]] == [(2, 40_000_009, True)]


def test_good_lines_around_bad_ones_are_accepted(hostile, ran) -> None:  # type: ignore[no-untyped-def]
    house, _ = hostile
    stamps = sorted(r["timestamp"] for r in house.query("SELECT timestamp FROM accelerometer_landing").to_pylist())
    assert stamps == [100, 101, 102, 108, 109, 200, 201, 301, 500, 501, 502, 600, 601]
    assert house.query("SELECT email FROM customer_landing").to_pylist() == [{"email": A}]
    assert house.query("SELECT sensorreadingtime FROM step_trainer_landing").to_pylist() == [{"sensorreadingtime": 100}]
    assert [(n, "trailing comma" in r) for _, n, _, r in quarantined(house, "step_trainer")] == [(2, True)]
    assert [(n, "given twice" in r) for _, n, _, r in quarantined(house, "customer")] == [(2, True)]


def test_lines_read_equal_accepted_plus_quarantined_per_source(hostile, ran) -> None:  # type: ignore[no-untyped-def]
    house, files = hostile
    for name in ("customer", "accelerometer", "step_trainer"):
        t = ran.table(f"{name}_landing")
        assert t.rows_in == t.rows_out + t.quarantined
        assert t.quarantined == len(quarantined(house, name))
    assert ran.table("accelerometer_landing").rows_in == sum(len(non_blank(data)) for data in files.values())


def test_a_query_sees_the_rows_a_run_accepts(hostile, ran) -> None:  # type: ignore[no-untyped-def]
    house, _ = hostile
    for name in ("customer", "accelerometer", "step_trainer"):
        [count] = house.query(f"SELECT count(*) AS n FROM {name}_landing").to_pylist()
        assert count["n"] == ran.table(f"{name}_landing").rows_out
    assert house.table("accelerometer_landing").to_arrow().num_rows == ran.table("accelerometer_landing").rows_out


def test_a_query_after_a_line_cut_short_counts_the_line_after_it(tmp_path: Path) -> None:
    cut = '{"user":"a@test.com","timestamp":'  # DuckDB's reader loses the line after this one
    delivery = write_delivery(tmp_path / "d", accelerometer=[reading(A, 1), cut, reading(A, 2), reading(A, 3)])
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(delivery)
    summary = house.run()
    assert summary.table("accelerometer_landing").rows_out == 3
    assert house.query("SELECT count(*) AS n FROM accelerometer_landing").to_pylist() == [{"n": 3}]
    assert house.query("SELECT count(*) AS n FROM Accelerometer_Landing WHERE timestamp = 2").to_pylist() == [{"n": 1}]


def test_a_lake_whose_path_holds_a_quote_and_a_space(tmp_path: Path) -> None:
    delivery = write_delivery(tmp_path / "d", customer=[customer(A, "s1", consent=1)],
                              accelerometer=[reading(A, 100), "garbage"], step_trainer=[step("s1", 100)])
    house = Lakehouse(tmp_path / "it's a 'lake'", create=True)
    house.ingest(delivery)
    summary = house.run()
    assert summary.table("machine_learning_curated").rows_out == 1
    assert house.query("SELECT count(*) AS n FROM quarantine").to_pylist() == [{"n": 1}]
    assert house.table("accelerometer_landing").to_arrow().num_rows == 1
