"""The lake other engines read as Athena's and Glue's users do (tests/aws/test_trino.py,
test_iceberg_spark.py), in S3 on moto's server: a small generated delivery with malformed lines,
and lines an adversary writes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.generate import GeneratorRates, generate
from tests.moto_server import MotoServer, aws_environment, new_bucket

# Lines an adversary delivers: a value of every wrong kind where a number or a date belongs (an
# object or an array failed Trino's whole query on a typed column), lines that are not JSON or
# not an object, a blank line. Each `user` says what Athena shows for it (docs/aws.md, "How Athena sees it").
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


@dataclass
class AthenaLake:
    house: Lakehouse
    database: str  # its Glue database
    _read: dict[str, tuple[list[str], Counter]] = field(default_factory=dict)

    def stedi_rows(self, table: str) -> tuple[list[str], Counter]:
        """The column names and rows of `table` as `stedi query` reads it (once: the lake does
        not change, and every engine is held to the same reading). Call with the AWS variables set."""
        if table not in self._read:
            read = self.house.query(f'SELECT * FROM "{table}"')
            self._read[table] = read.column_names, Counter(tuple(row.values()) for row in read.to_pylist())
        return self._read[table]


def make_lake(server: MotoServer, root: Path) -> AthenaLake:
    """A lake in a new bucket after one run over a small generated delivery with malformed lines
    and a delivery of the lines above."""
    generate(root / "delivery", customers=25, seed=11, rates=GeneratorRates(malformed=0.02))
    for source, lines in (("accelerometer", BAD_READINGS), ("customer", BAD_CUSTOMERS), ("step_trainer", BAD_STEPS)):
        folder = root / "bad" / source / "landing"
        folder.mkdir(parents=True)
        (folder / f"{source}-bad.json").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    with aws_environment(server, root), pytest.MonkeyPatch.context() as env:
        bucket = new_bucket()
        database = bucket.replace("-", "_")
        env.setenv("STEDI_GLUE_DATABASE", database)
        house = Lakehouse(f"s3://{bucket}/lake", create=True)
        house.ingest(root / "delivery")
        house.ingest(root / "bad")
        house.run()
    return AthenaLake(house, database)
