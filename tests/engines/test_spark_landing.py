"""The Spark landing reader against the DuckDB engine's: the same rows, the same quarantine.

Both readers take the same files; accepted rows must be equal as multisets (values by repr,
so -0.0 is not 0.0), rejected lines equal in file, line, raw text and reason (as quarantine
explains it), and the counts equal. The cases: every hand-worked line of test_line_rules,
lines aimed at where Jackson and the validator could part, the hostile files of
test_hostile_input, and a generated delivery. Line numbers are also checked against Python's
own numbering with files split into many small blocks.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from stedi.config import Config
from stedi.engines.base import LandingLoad
from stedi.storage.landing_file import LandingFile
from stedi.engines.duckdb_engine import DuckDBEngine
from stedi.generate import GeneratorRates, generate
from stedi.landing.quarantine import explain
from stedi.landing.sources import SOURCES, Source
from tests.conftest import customer, reading, step
from tests.landing.deep_lines import DEEP, TOO_DEEP
from tests.landing.test_line_rules import (BLANKS, CASES, LENIENT, NOT_UTF8, REPEATED_KEYS, R, customer_with,
                                           reading_with)
from tests.pipeline.test_hostile_input import A, line, non_blank

pytest.importorskip("pyspark", reason="the spark extra is not installed")


def read_with_duckdb(source: Source, files: list[LandingFile]) -> tuple[list[tuple], LandingLoad]:
    engine = DuckDBEngine(Config())
    try:
        load = engine.load_landing(source, files)
        return engine.rows(f"SELECT * FROM {source.landing_table}"), load
    finally:
        engine.close()


def read_with_spark(spark, source: Source, files: list[LandingFile]) -> tuple[list[tuple], LandingLoad, int]:  # type: ignore[no-untyped-def]
    """Rows, load, and how many lines went to the validator (the rest were proved in the JVM)."""
    from stedi.engines.spark_landing import SparkLandingReader

    reader = SparkLandingReader(spark)
    try:
        df, load = reader.load(source, files)
        assert df.columns == source.columns
        return [tuple(r) for r in df.collect()], load, reader.suspects
    finally:
        reader.release()


def quarantine(source: Source, load: LandingLoad) -> list[tuple]:
    return [(r["file"], r["line"], r["raw"], r["reason"]) for r in explain(source, load.rejected, lambda f: f)]


def assert_same(spark, source: Source, paths: list[Path]) -> tuple[LandingLoad, int]:  # type: ignore[no-untyped-def]
    """Both readers over the same files agree on everything; returns Spark's load and suspects."""
    files = [LandingFile(str(p)) for p in paths]
    want_rows, want = read_with_duckdb(source, files)
    got_rows, got, suspects = read_with_spark(spark, source, files)
    assert quarantine(source, got) == quarantine(source, want)
    assert Counter(map(repr, got_rows)) == Counter(map(repr, want_rows))
    assert (got.source, got.lines_read, got.accepted) == (want.source, want.lines_read, want.accepted)
    assert got.lines_read == got.accepted + len(got.rejected) and want.accepted == len(want_rows)
    return got, suspects


# -- Lines where Jackson (Spark's JSON reader) and the validator could part --------------

def _doubles() -> list[str]:
    """Numbers whose rounding to a double is delicate: many digits, halfway cases, extremes."""
    rng = random.Random(5)
    out = [f"{rng.uniform(-1e3, 1e3):.{rng.randint(15, 25)}e}" for _ in range(40)]
    out += [str(rng.getrandbits(64) * rng.choice((1, -1))) for _ in range(10)]
    out += [repr(rng.random() * 10 ** rng.randint(-300, 300)) for _ in range(20)]
    out += ["9007199254740993", "2.4703282292062328e-324", "2.4703282292062327e-324", "4.9e-324", "1e-400",
            "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "0.1", "1E+2", "0e5",
            "-0e-5", "-0", "-0.0", "1" + "0" * 300, "1" + "0" * 1200, "0." + "0" * 1200 + "1", "1." + "0" * 1200]
    return out


EXTRA_ACCELEROMETER: list[bytes] = [s.encode() if isinstance(s, str) else s for s in [
    R + "}", R + " }", R[:-1] + "} x}", R + " x}", R + "\u2028", "\ufeff" + R, R.replace('"a@x.com"', '"a\tb"'),
    R + "\r", R + "\r\r", R.replace(",", ",\r", 1), R.replace(":", ": ").replace(",", ", "),
    R.replace(":", ":\t"), R.replace(":", " :"), "  " + R, R + "\t", R + "\x0b", "\x0c" + R, R + "/* c */",
    *(reading_with(x=x) for x in _doubles()),
    *(reading_with(x=f'"{x}"') for x in ("NaN", "Infinity", "-Infinity", "+INF", "1.5")),
    *(reading_with(x=x) for x in ("NaN", "nan", "Infinity", "01", ".5", "1.", "+1", "0x10", "1e", "-", "1_000",
                                  "True", "nul", "[1]", "{}", '{"k":1}')),
    *(reading_with(timestamp=t) for t in ("01", "-01", "00", "1e0", "-0", '"-0"')),
    '{"USER":"a@x.com","timestamp":1,"x":1,"y":2,"z":3}',
    '{"user":"a@x.com","USER":"b","timestamp":1,"x":1,"y":2,"z":3}',
    *(reading_with(user=u) for u in ('"a:b"', '"a,b"', '"a}b"', '"a{b"', '"a[b"', '"a]b"', '"a\\"b"',
                                      '"a\\u0000b"', '"a\\/b"', '"\\ud83d\\ude00"', '"\\udc00"', '"\\u0041"',
                                      '"Renée"', '"😀"', '"\ufffd"', '"\u2028"', '"\u3000"', '"\u3000x"',
                                      '" x"', '"\u00a0x"', '"\x7f"', '"\x85"', '"a\x7fb"', '["a"]', "{}",
                                      '{"k":"v"}', "true", "1.5", '"a\\\\"', '"\\\\ud800"', '"a\\nb"',
                                      '"\\u00e9"', '"\\u0022"', '"\\uFFFD"', '"\\uD83D\\uDE00"', '"\\x41"',
                                      '"\\u12"', '"\\\'"', '"\\t"', '"x\\u2003"', '"\\u2003"',
                                      '"\\ud83d\\ud83d\\ude00"', '"\\ud83d\\ude00\\ude00"', '"\\\\ud83d\\ude00"',
                                      '"\\ud83dx"', '"a\\\\b"')),
    *(R.encode().replace(b"a@x.com", b"a" + bad + b"b") for bad in (
        b"\xff", b"\x80", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\xe2", b"\xf0")),
    R.encode()[:-1] + b"\xff}", R.encode()[:-1] + b"\xe2}", b'{"\xf0":{"k":1},' + R.encode()[1:],
    b'{"user":"a@x.com\xf0","timestamp":1,"x":1,"y":2,"z":3}', b'{"user":"a\x00b","timestamp":1,"x":1,"y":2,"z":3}',
    *(reading_with(extra=e) for e in ("null", '"s"', "1", "[]", "[" * 2000 + "]" * 2000, '{"a":' * 600 + "1" + "}" * 600)),
    '{"user":"a@x.com","timestamp":1,"x":1,"y":2,"z":3,"":1}',
]]
EXTRA_CUSTOMER: list[bytes] = [s.encode() for s in [
    '{"email": "a@x.com", "serialNumber": "s", "registrationDate": 1, "lastUpdateDate": 2, '
    '"shareWithResearchAsOfDate": null, "customerName": null, "birthDay": "0993-01-05"}',
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"shareWithResearchAsOfDate" : null}',
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"shareWithResearchAsOfDate":nul}',
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"phone":null,"phone":null}',
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"phone":null,"phone":"1"}',
    '{"email":"a@x.com","serialNumber":"s","registrationDate":1,"lastUpdateDate":2,"phone":"1","phone":null}',
    *(customer_with(birthDay=d) for d in ('"00000001-01-01"', '"1582-10-10"', '"1582-10-04"', '"2100-02-29"',
                                          '"2020-02-30"', '"2020-01-01 "', '"\u0662\u0660\u0662\u0660-01-01"',
                                          '"2020-01-01\ufffd"', "1", "true", '"1399-01-01"')),
    customer_with(customerName='"Renée"', phone='"\\u00e9"'), customer_with(phone="1"), customer_with(customerName="true"),
    customer_with(email='"\\t"'), customer_with(email='"\u2003"'), customer_with(serialNumber='"\\u3000"'),
    customer_with(shareWithResearchAsOfDate='"5"', shareWithPublicAsOfDate="null"),
    customer_with(shareWithFriendsAsOfDate="1e3"),
    json.dumps(customer(A, "s1", consent=None)), json.dumps(customer(A, "s1", consent=7, shareWithFriendsAsOfDate=None)),
]]
EXTRA_STEP_TRAINER: list[bytes] = [s.encode() for s in [
    STEP.replace(":", ": ") for STEP in ['{"sensorReadingTime":1,"serialNumber":"s","distanceFromObject":218}']] + [
    '{"sensorReadingTime":1,"serialNumber":"s:t","distanceFromObject":218}',
    '{"sensorReadingTime":1,"serialNumber":"s","distanceFromObject":218,"distanceFromObject":218}',
    '{"sensorReadingTime":1,"serialNumber":"s","distanceFromObject":-0}',
    '{"sensorReadingTime":1,"serialNumber":"\\u0073","distanceFromObject":2}',
]]
EXTRA = {"accelerometer": EXTRA_ACCELEROMETER, "customer": EXTRA_CUSTOMER, "step_trainer": EXTRA_STEP_TRAINER}


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_hand_worked_line_is_judged_as_duckdb_judges_it(spark, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    lines = [c.encode() for c in {**CASES[name], **REPEATED_KEYS[name], **LENIENT[name], **DEEP[name]}]
    lines += [NOT_UTF8[name], *EXTRA[name]]
    body: list[bytes] = []
    for i, data in enumerate(lines):
        body.append(data)
        if i % 3 == 2:
            body.append(BLANKS[i % len(BLANKS)])
    path = tmp_path / f"{name}.json"
    path.write_bytes(b"\n".join(body[: len(body) // 2]) + b"\r\n" + b"\n".join(body[len(body) // 2:]) + b"\r\n")
    load, _ = assert_same(spark, SOURCES[name], [path])
    assert load.accepted > 5 and len(load.rejected) > 5
    too_deep = sorted(r.raw for r in load.rejected if r.reason == TOO_DEEP)
    deep_extra = [e.decode() for e in EXTRA[name] if e.count(b"[") == 2000 or e.count(b"{") == 601]
    assert too_deep == sorted([line for line, ok in DEEP[name].items() if not ok] + deep_extra)


def test_sound_lines_as_delivered_are_proved_without_python(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The fast path takes the usual shapes (compact or json.dumps' spacing, nulls, any text)."""
    people = [customer("renée@x.com", "s1", consent=None, customerName="Renée 😀", birthDay="0993-01-05"),
              customer(A, "s2", consent=7, shareWithPublicAsOfDate=None, phone=None), customer(A, "s3", updated=9)]
    cases = {
        "customer": [json.dumps(c) for c in people] + [json.dumps(c, separators=(",", ":"), ensure_ascii=False)
                                                       for c in people],
        "accelerometer": [json.dumps(reading(A, 1, -0.0, 2.5e-7, 3e300)), line(2).decode(), line(3, x=1.5).decode()],
        "step_trainer": [json.dumps(step("s1", 1)), json.dumps(step("sé", 2), separators=(",", ":"))],
    }
    for name, lines in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        load, suspects = assert_same(spark, SOURCES[name], [path])
        assert (load.accepted, suspects) == (len(lines), 0)


# -- Hostile files (tests/pipeline/test_hostile_input.py) ---------------------------------

BOM = b"\xef\xbb\xbf"


def hostile_files() -> dict[str, dict[str, bytes]]:
    pretty = json.dumps(reading(A, 901), indent=2).encode()
    rng = random.Random(7)
    accelerometer = {
        "mixed.json": b"\r\n".join([
            line(100), b"   ", line(101, extra=[1, 2]), b"\t", line(102),
            b'{"user":"a@test.com","timestamp":103,"x":1,"y":2,"z":3,}',
            b'{"user":"a@test.com","timestamp":104,"x":1,"y":2,"z":3,"extra":[1,2,]}',
            b'{"user":"a@test.com","user":"b@test.com","timestamp":105,"x":1,"y":2,"z":3}',
            b'{"user":"a@test.com","timestamp":106,"x":1,"y":2,"z":3,"e":{"k":1,"k":2}}',
            b'{"user":"a\x00@test.com","timestamp":107,"x":1,"y":2,"z":3}',
            b" \t \r", line(108), b'{"user":', line(109),
            b"\x00", b"[" + line(110) + b"," + line(111) + b"]",
        ]) + b"\r\n",
        "pretty.json": line(200) + b"\n" + pretty + b"\n" + line(201) + b"\n",
        "array.json": b"[\n" + line(300) + b",\n" + line(301) + b"\n]\n",
        "binary.json": rng.randbytes(20_000),
        "gzipped.json": gzip.compress(b"".join(line(t) + b"\n" for t in range(400, 500))),
        "long.json": line(500) + b"\n" + line(501, pad="x" * 20_000_000) + b"\n" + line(502) + b"\n",
        "longer.json": line(600) + b'\n{"user":"' + b"y" * 40_000_000 + b"\n" + line(601) + b"\n",
        # A declared string over Jackson's 20,000,000-character limit: the validator's values count.
        "longest.json": json.dumps(reading("z" * 20_000_001, 700)).encode() + b"\n" + line(701),
        "empty.json": b"",
        "blank.json": b"\n \n\t\r\n\r\n",
        # A byte order mark is no JSON (the validator refuses it); Hadoop's reader cuts it off.
        "bom.json": BOM + line(800) + b"\n" + line(801) + b"\n" + BOM + line(802) + b"\n",
        "bom-blank.json": BOM + b"\r\n" + line(803),
        "bom-only.json": BOM,
        "bom-bad.json": BOM + b'{"user":\r\n' + line(804),
    }
    return {
        "accelerometer": accelerometer,
        "customer": {"customer-1.json": b"\n".join([
            json.dumps(customer(A, "s1", consent=1)).encode(),
            b'{"email": "b@test.com", "email": "c@test.com", "serialNumber": "s2", '
            b'"registrationDate": 1, "lastUpdateDate": 1}'])},
        "step_trainer": {"step_trainer-1.json": b"\n".join([
            json.dumps(step("s1", 100)).encode(),
            b'{"sensorReadingTime": 200, "serialNumber": "s1", "distanceFromObject": 1,}']) + b"\n"},
    }


def test_hostile_files_are_read_as_duckdb_reads_them(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    loads = {}
    for name, files in hostile_files().items():
        for file, data in files.items():
            (tmp_path / file).write_bytes(data)
        loads[name], _ = assert_same(spark, SOURCES[name], [tmp_path / f for f in files])
        assert loads[name].lines_read == sum(len(non_blank(data)) for data in files.values())
    pretty = [r.line for r in loads["accelerometer"].rejected if r.file.endswith("pretty.json")]
    assert pretty == list(range(2, 2 + json.dumps(reading(A, 901), indent=2).count("\n") + 1))
    assert not [r for r in loads["accelerometer"].rejected if r.file.endswith(("long.json", "longest.json"))]
    assert sorted((Path(r.file).name, r.line, r.raw[:1]) for r in loads["accelerometer"].rejected if "bom" in r.file) == [
        ("bom-bad.json", 1, "\ufeff"), ("bom-blank.json", 1, "\ufeff"), ("bom-only.json", 1, "\ufeff"),
        ("bom.json", 1, "\ufeff"), ("bom.json", 3, "\ufeff")]


def test_a_generated_delivery_is_read_as_duckdb_reads_it(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rates = replace(GeneratorRates(), malformed=0.02, truncated_file_end=0.5, max_part_bytes=150_000)
    report = generate(tmp_path, customers=300, seed=11, rates=rates)
    for name in SOURCES:
        paths = sorted((tmp_path / name / "landing").glob("*.json"))
        load, suspects = assert_same(spark, SOURCES[name], paths)
        assert load.lines_read == report.sources[name].lines
        assert len(load.rejected) == report.sources[name].malformed_lines > 0
        assert suspects == len(load.rejected)  # every sound line proved in the JVM


# -- Line numbers across blocks, files and partitions -------------------------------------

def numbered_file(rng: random.Random, path: Path, lines: int, pads: tuple[int, ...]) -> None:
    """Lines of every kind and length (some over many blocks), blank ones, CR LF and LF; each
    rejected line names its own number, each accepted one has it as timestamp."""
    body = []
    for n in range(1, lines + 1):
        kind = rng.random()
        if kind < 0.15:
            data = rng.choice([b"", b"  ", b"\t", b"\r", b" \x0b\x0c "])
        elif kind < 0.55:
            data = line(n)
        else:
            data = json.dumps({"line": n, "pad": "p" * rng.choice(pads)}).encode()
        body.append(data + (b"\r" if rng.random() < 0.3 and data != b"\r" else b""))
    path.write_bytes(b"\n".join(body) + rng.choice([b"", b"\n"]))


# Bytes per block, files, lines per file, pad lengths of rejected lines (some lines span blocks).
@pytest.mark.parametrize("block, files, lines, pads", [(64, 2, 40, (0, 10, 300)), (1024, 12, 40, (0, 100, 3000))])
def test_line_numbers_hold_across_many_blocks(spark, tmp_path: Path, block: int, files: int, lines: int,  # type: ignore[no-untyped-def]
                                              pads: tuple[int, ...]) -> None:  # type: ignore[no-untyped-def]
    from stedi.engines.spark_landing import SparkLandingReader

    rng = random.Random(block)
    paths = [tmp_path / f"part {i}.json" for i in range(files)]
    for path in paths:
        numbered_file(rng, path, rng.randint(lines // 2, lines) if files > 2 else lines, pads)
    paths[0].write_bytes(BOM + paths[0].read_bytes())  # its first line is no record now, whatever it was
    saved = {k: spark.conf.get(k) for k in ("spark.sql.files.maxPartitionBytes", "spark.sql.files.openCostInBytes")}
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(block))
    spark.conf.set("spark.sql.files.openCostInBytes", "16")
    reader = SparkLandingReader(spark)
    try:
        df, load = reader.load(SOURCES["accelerometer"], [LandingFile(str(p)) for p in paths])
        stamps = sorted(r.timestamp for r in df.select("timestamp").collect())
        blocks, partitions = reader.blocks, reader.partitions
    finally:
        reader.release()
        for k, v in saved.items():
            spark.conf.set(k, v)
    assert blocks > 2 * files  # files were split
    assert partitions == blocks if files < 4 else partitions < blocks  # at 1024 bytes, blocks shared partitions
    want_stamps, want_rejected, read = [], [], 0
    for path in paths:
        for n, data in enumerate(path.read_bytes().split(b"\n"), start=1):  # Python's own numbering
            data = data[:-1] if data.endswith(b"\r") else data
            if not data.strip():
                continue
            read += 1
            if b'"line"' in data or data.startswith(BOM):
                want_rejected.append((str(path), n, data.decode()))
                assert data.startswith(BOM) or json.loads(data)["line"] == n
            else:
                want_stamps.append(n)
    assert sorted((r.file, r.line, r.raw) for r in load.rejected) == sorted(want_rejected)
    assert stamps == sorted(want_stamps) and load.lines_read == read and load.accepted == len(stamps)


def test_no_files_and_files_without_records(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from stedi.engines.spark_landing import SparkLandingReader
    from stedi.engines.spark_line_checks import columns_schema

    reader = SparkLandingReader(spark)
    for source in SOURCES.values():
        df, load = reader.load(source, [])
        assert df.schema == columns_schema(source) and df.count() == 0
        assert load == LandingLoad(source.name, 0, 0, [])
    (tmp_path / "empty.json").write_bytes(b"")
    (tmp_path / "blank.json").write_bytes(b"\n\n \t\r\n\x0b")
    df, load = reader.load(SOURCES["customer"], [LandingFile(str(tmp_path / n)) for n in ("empty.json", "blank.json")])
    assert [f.dataType.simpleString() for f in df.schema] == ["string", "string", "string", "date", "string"] + ["bigint"] * 5
    assert df.count() == 0 and load == LandingLoad("customer", 0, 0, [])
    reader.release()


def test_files_are_named_as_given_whatever_their_names(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "it's a 'lake' 50% ü"
    folder.mkdir()
    names = ["a b.json", "b[1].json", "c{x,y}.json", "d*e?.json", "e:f.json", "f#g.json", "g%20h.json", "h\\i.json"]
    for i, name in enumerate(names):
        (folder / name).write_bytes(line(i) + b"\nbad " + name.encode() + b"\n")
    files = [LandingFile(str(folder / n)) for n in names]
    _, load, _ = read_with_spark(spark, SOURCES["accelerometer"], files)
    assert sorted((r.file, r.line, r.raw) for r in load.rejected) == sorted(
        (str(folder / n), 2, "bad " + n) for n in names)
    assert load.accepted == len(names)


def test_the_rows_are_read_from_memory_not_the_files(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from stedi.engines.spark_landing import SparkLandingReader

    path = tmp_path / "a.json"
    path.write_bytes(line(1) + b"\n" + line(2, extra=[1]) + b"\nbad\n")  # one accepted by the validator
    cached = spark.sparkContext._jsc.sc().getRDDStorageInfo
    before = len(cached())
    reader = SparkLandingReader(spark)
    df, load = reader.load(SOURCES["accelerometer"], [LandingFile(str(path))])
    path.unlink()
    assert sorted(r.timestamp for r in df.collect()) == [1, 2] and load.accepted == 2
    assert len(cached()) == before + 2  # the lines, and the lines the validator judged
    reader.release()
    assert len(cached()) == before


# -- The JVM's verdict never overrules the validator ----------------------------------------

def mutants(rng: random.Random, lines: list[bytes], count: int) -> list[bytes]:
    """Sound lines with a few bytes inserted, deleted or replaced by ones that matter to JSON."""
    pieces = [b"{", b"}", b"[", b"]", b'"', b":", b",", b"\\", b" ", b"\t", b"\r", b"0", b"1", b"-", b"+", b".", b"e",
              b"E", b"n", b"null", b"true", b"a", b"\xc3\xa9", b"\xff", b"\x80", b"\x00", b"\x0b", b"\xe2\x80\xa8",
              b"\xef\xbb\xbf", b"\\u00", b"\\ud83d", b"\\ude00", b'\\"', b"\\\\", b"NaN", b"Infinity", b'"user":',
              b'"x":', b'"email":', b'"birthDay":"', b'"phone":null', b"1e999", b"99999999999999999999"]
    out = []
    for _ in range(count):
        data = bytearray(rng.choice(lines))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(data) + 1)
            cut = rng.choice([0, 0, 1, 2])
            data[at : at + cut] = rng.choice(pieces) if rng.random() < 0.8 else b""
        out.append(bytes(data))
    return out


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_what_the_jvm_accepts_the_validator_accepts_with_the_same_values(spark, name: str) -> None:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    from stedi.engines.spark_line_checks import ACCEPTED, _typed, judge_lines
    from stedi.landing.locate import decode
    from stedi.landing.validate import judge

    source = SOURCES[name]
    sound = {"customer": [customer(A, "s1", consent=None, birthDay="0993-01-05"), customer(A, "s2", consent=7)],
             "accelerometer": [reading(A, 1, 1.5, -2.0, 3e-5)], "step_trainer": [step("s1", 1)]}[name]
    lines = [json.dumps(r, separators=s).encode() for r in sound for s in ((",", ":"), (", ", ": "))]
    cases = mutants(random.Random(name), lines, 4000)
    df = spark.createDataFrame([(i, bytearray(c)) for i, c in enumerate(cases)], "i int, b binary")
    judged = judge_lines(source, df.select("i", F.col("b").cast("string").alias("_line")), ["i"])
    fast = judged.where(F.col("_kind") == ACCEPTED).select("i", *source.columns).collect()
    for row in fast:
        text, reason = decode(cases[row.i])
        reason, record = judge(source, text) if reason is None else (reason, None)
        assert reason is None, cases[row.i]
        want = tuple(_typed(f.type, record.get(f.key)) for f in source.fields)
        assert repr(tuple(row)[1:]) == repr(want), cases[row.i]
    assert len(fast) > 100  # the mutants hold plenty of sound lines too


def test_files_spark_would_skip_or_cannot_find_stop_the_load(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from stedi.engines.spark_landing import SparkLandingReader
    from stedi.errors import InputError

    for name in ("_part.json", ".part.json", "part.json._COPYING_"):  # Spark would leave them unread
        (tmp_path / name).write_bytes(line(1) + b"\n")
    (tmp_path / "ok.json").write_bytes(line(1) + b"\n")
    reader = SparkLandingReader(spark)
    for names, says in [(["ok.json", "_part.json"], "starts with '_' or '.'"), ([".part.json"], "starts with '_' or '.'"),
                        (["part.json._COPYING_"], "starts with '_' or '.'"), (["ok.json", "ok.json"], "given twice"),
                        (["ok.json", "missing.json"], "cannot read accelerometer landing files: [PATH_NOT_FOUND]")]:
        with pytest.raises(InputError, match=re.escape(says)):
            reader.load(SOURCES["accelerometer"], [LandingFile(str(tmp_path / n)) for n in names])
    reader.release()
