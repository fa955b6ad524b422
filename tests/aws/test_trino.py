"""What Athena's users read, read by Trino (the engine Athena v3 is built on) through the Glue
catalog and S3 of moto's server: every Iceberg table exactly as `stedi query` reads it, and the
landing tables with bad lines in them, which no line can make fail."""

from __future__ import annotations

from collections import Counter

import pytest

from stedi.landing.sources import SOURCES
from stedi.query import STORED
from tests.aws.athena_lake import BLANK_LINES

pytestmark = pytest.mark.usefixtures("aws")  # S3 and Glue at moto's server, for stedi's reads

# What Trino shows for each bad line of tests/aws/athena_lake.py that parses: its values as text
# (objects and arrays as JSON).
SHOWN = {
    "object-in-number@x.com": ("object-in-number@x.com", '{"ms":1}', "[1,2]", "true", "1.5"),
    "too-big@x.com": ("too-big@x.com", "99999999999999999999999", "1E+999", "NaN", None),
    "twice@x.com": ("twice@x.com", "1", "5", "2", "3"),  # the last of a key given twice
}
TRINO_TYPES = {"VARCHAR": "varchar", "BIGINT": "bigint", "DOUBLE": "double", "DATE": "date"}


def test_every_iceberg_table_reads_in_trino_as_stedi_query_reads_it(athena_lake, trino) -> None:
    database = athena_lake.database
    for table in STORED:
        columns, rows = trino.query(f'SELECT * FROM iceberg."{database}"."{table}"')
        assert (columns, Counter(rows)) == athena_lake.stedi_rows(table), table  # every row, every column, as often
        assert rows, table


def test_landing_tables_read_in_trino_whatever_their_lines_hold(athena_lake, trino) -> None:
    """Every line a run accepted reads in Trino as stedi types it (cast as a user casts the
    string columns); every other line is one more row, so a count in Athena exceeds stedi's by
    the lines the quarantine table lists (and blank lines)."""
    database = athena_lake.database
    quarantine = athena_lake.stedi_rows("quarantine")[1]  # rows (source, file, line, raw, reason)
    for source in SOURCES.values():
        casts = ", ".join(f'try_cast("{f.column}" AS {TRINO_TYPES[f.type.sql_type]})' for f in source.fields)
        _, rows = trino.query(f'SELECT {casts} FROM hive."{database}"."{source.landing_table}"')
        seen, accepted = Counter(rows), athena_lake.stedi_rows(source.landing_table)[1]
        quarantined = sum(n for row, n in quarantine.items() if row[0] == source.name)
        assert accepted - seen == Counter(), source.name  # no accepted line missing or read otherwise
        assert seen.total() == accepted.total() + quarantined + BLANK_LINES.get(source.name, 0), source.name


def test_what_athena_shows_for_a_bad_line(athena_lake, trino) -> None:
    database = athena_lake.database
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
