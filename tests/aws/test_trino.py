"""What Athena's users read, read by Trino (the engine Athena v3 is built on) through the Glue
catalog and S3 of moto's server: every Iceberg table exactly as `stedi query` reads it, and the
landing tables with bad lines in them, which no line can make fail."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.generate import GeneratorRates, generate
from stedi.landing.sources import SOURCES
from stedi.query import STORED
from tests.moto_server import aws_environment, new_bucket

# Lines an adversary delivers: a value of every wrong kind where a number or a date belongs (an
# object or an array failed Trino's whole query on a typed column), lines that are not JSON or
# not an object, a blank line. Each `user` says what Athena shows for it (README, "How Athena sees it").
BAD_READINGS = [
    '{"user": "object-in-number@x.com", "timestamp": {"ms": 1}, "x": [1, 2], "y": true, "z": "1.5"}',
    '{"user": "too-big@x.com", "timestamp": 99999999999999999999999, "x": 1e999, "y": "NaN", "z": null}',
    '{"user": "cut-short@x.com", "timestamp": 1655500000000, "x": 0.5',
    '{"user": "twice@x.com", "timestamp": 1, "x": 1, "y": 2, "z": 3, "x": 5}',
    "not JSON at all",
    "",
    "[1, 2, 3]",
]
BLANK_LINES = {"accelerometer": 1}
BAD_CUSTOMERS = [
    '{"customerName": "Odd Dates", "email": "odd@x.com", "phone": "8015551212", "birthDay": 19900101, '
    '"serialNumber": "odd-serial", "registrationDate": {"at": 1}, "lastUpdateDate": [1]}',
    '{"customerName": "Cut Short", "email": "cut@x.com", "birthDay": "1990-13-45", "serialNumber": "cut',
]
BAD_STEPS = ['{"sensorReadingTime": [1655500000000], "serialNumber": {"s": 1}, "distanceFromObject": "far"}']
# What Trino shows for each line above that parses: its values as text (objects and arrays as JSON).
SHOWN = {
    "object-in-number@x.com": ("object-in-number@x.com", '{"ms":1}', "[1,2]", "true", "1.5"),
    "too-big@x.com": ("too-big@x.com", "99999999999999999999999", "1E+999", "NaN", None),
    "twice@x.com": ("twice@x.com", "1", "5", "2", "3"),  # the last of a key given twice
}
TRINO_TYPES = {"VARCHAR": "varchar", "BIGINT": "bigint", "DOUBLE": "double", "DATE": "date"}


@pytest.fixture(scope="module")
def lake(moto_server, tmp_path_factory: pytest.TempPathFactory):
    """A lake in S3 after one run over a small generated delivery with malformed lines, and a
    delivery of the lines above; its Glue database."""
    root = tmp_path_factory.mktemp("trino")
    generate(root / "delivery", customers=25, seed=11, rates=GeneratorRates(malformed=0.02))
    for source, lines in (("accelerometer", BAD_READINGS), ("customer", BAD_CUSTOMERS), ("step_trainer", BAD_STEPS)):
        folder = root / "bad" / source / "landing"
        folder.mkdir(parents=True)
        (folder / f"{source}-bad.json").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    with aws_environment(moto_server, root), pytest.MonkeyPatch.context() as env:
        bucket = new_bucket()
        database = bucket.replace("-", "_")
        env.setenv("STEDI_GLUE_DATABASE", database)
        house = Lakehouse(f"s3://{bucket}/lake", create=True)
        house.ingest(root / "delivery")
        house.ingest(root / "bad")
        house.run()
        yield house, database


def stedi_rows(house: Lakehouse, table: str) -> tuple[list[str], Counter]:
    """The column names and rows of `table` as `stedi query` reads it."""
    read = house.query(f'SELECT * FROM "{table}"')
    return read.column_names, Counter(tuple(row.values()) for row in read.to_pylist())


def test_every_iceberg_table_reads_in_trino_as_stedi_query_reads_it(lake, trino) -> None:
    house, database = lake
    for table in STORED:
        columns, rows = trino.query(f'SELECT * FROM iceberg."{database}"."{table}"')
        assert (columns, Counter(rows)) == stedi_rows(house, table), table  # every row, every column, as often
        assert rows, table


def test_landing_tables_read_in_trino_whatever_their_lines_hold(lake, trino) -> None:
    """Every line a run accepted reads in Trino as stedi types it (cast as a user casts the
    string columns); every other line is one more row, so a count in Athena exceeds stedi's by
    the lines the quarantine table lists (and blank lines)."""
    house, database = lake
    for source in SOURCES.values():
        casts = ", ".join(f'try_cast("{f.column}" AS {TRINO_TYPES[f.type.sql_type]})' for f in source.fields)
        _, rows = trino.query(f'SELECT {casts} FROM hive."{database}"."{source.landing_table}"')
        seen, accepted = Counter(rows), stedi_rows(house, source.landing_table)[1]
        quarantined = house.query(f"SELECT count(*) AS n FROM quarantine WHERE source = '{source.name}'")["n"][0].as_py()
        assert accepted - seen == Counter(), source.name  # no accepted line missing or read otherwise
        assert seen.total() == accepted.total() + quarantined + BLANK_LINES.get(source.name, 0), source.name


def test_what_athena_shows_for_a_bad_line(lake, trino) -> None:
    house, database = lake
    _, rows = trino.query(f'SELECT * FROM hive."{database}".accelerometer_landing')
    shown = {row[0]: row for row in rows if row[0] in SHOWN}
    assert shown == SHOWN
    assert not any(row[0] == "cut-short@x.com" for row in rows)
    # A line that is not a JSON object, cut short or blank: a row of NULLs (a JSON array: its
    # values by position). The generated delivery's truncated and invalid lines add theirs.
    nulls = sum(1 for row in rows if row == (None,) * 5)
    assert nulls >= 3
    assert ("1", "2", "3", None, None) in rows
    _, customers = trino.query(f"""SELECT birthday, registrationdate, lastupdatedate
                                   FROM hive."{database}".customer_landing WHERE email = 'odd@x.com'""")
    assert customers == [("19900101", '{"at":1}', "[1]")]
