"""`stedi query` and `Lakehouse.query` read the lake's tables and nothing else: every statement
that writes, attaches, installs, changes a setting or reaches another file is refused in one line
saying the query tool is read-only, through the command and through the API alike; the lake's
files are byte for byte the same afterwards and nothing is written anywhere. `Lakehouse.connect()`
is the place for tables of one's own: a connection that is the user's, never the lake's."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from stedi import Lakehouse
from stedi.cli.main import main
from stedi.errors import StediError
from stedi.store.iceberg_store import IcebergStore
from tests.conftest import customer, deliver, reading, step, write_delivery

A, B, C, D = "a@x.com", "b@x.com", "c@x.com", "d@x.com"
ESCAPE = "\x1b[2J\x1b[31mEve"  # clears the screen, then red: a name as delivered


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lakehouse, list[str]]:
    """Run 1: a (2 readings) and b (1) curated, c without consent, e named with escape codes.
    Run 2: d (1 reading) delivered and curated. machine_learning_curated: 3 rows, then 4."""
    root = tmp_path_factory.mktemp("query")
    delivery = write_delivery(
        root / "d",
        customer=[customer(A, "s1", consent=100), customer(B, "s2", consent=100), customer(C, "s3"),
                  customer("e@x.com", "s5", customerName=ESCAPE)],
        accelerometer=[reading(A, 500, 1.5), reading(A, 600, 2.5), reading(B, 500, 3.5), reading(C, 500)],
        step_trainer=[step("s1", 500, 7), step("s1", 600, 8), step("s2", 500, 9), step("s3", 500)])
    house = Lakehouse(root / "lake", create=True)
    house.ingest(delivery)
    runs = [house.run().run_id]
    deliver(house, root, 2, customer=[customer(D, "s4", consent=100)], accelerometer=[reading(D, 700, 4.5)],
            step_trainer=[step("s4", 700, 10)])
    runs.append(house.run().run_id)
    return house, runs


def lake_bytes(root: str) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(Path(root).rglob("*")) if p.is_file()}


def data_file(house: Lakehouse, name: str) -> str:
    table = house.committed(name)
    assert table is not None
    return IcebergStore.data_files(name, table)[0]


def csv_query(house: Lakehouse, sql: str, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    capsys.readouterr()
    assert main(["query", sql, "--lake", house.path, "--format", "csv", *extra]) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def assert_refused(house: Lakehouse, sql: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Refused by `stedi query` (exit 1, one stderr line saying read-only, nothing on stdout) and
    by Lakehouse.query (StediError saying so). Returns everything both said."""
    capsys.readouterr()
    code = main(["query", sql, "--lake", house.path])
    out, err = capsys.readouterr()
    assert code == 1, (out, err)
    assert out == "" and len(err.splitlines()) == 1 and err.startswith("stedi: error: "), err
    assert "read-only" in err, err
    with pytest.raises(StediError, match="read-only") as raised:
        house.query(sql)
    assert "\n" not in str(raised.value)
    return out + err + str(raised.value)


# Each: SQL ({data}: a data file of customer_trusted, {lake}: the lake, {out}: a folder outside).
ATTACKS = {
    "overwrite a table's data file": "COPY (SELECT 42 AS junk) TO '{data}' (FORMAT parquet)",
    "overwrite it in place": "COPY (SELECT 42 AS junk) TO '{data}' (FORMAT parquet, USE_TMP_FILE false)",
    "write into a table's folder": "COPY (SELECT 42) TO '{folder}/extra.parquet' (FORMAT parquet)",
    "write elsewhere": "COPY (SELECT 42) TO '{out}/copied.csv'",
    "read a file into a table": "COPY customer_trusted FROM '{out}/rows.csv'",
    "EXPLAIN ANALYZE runs the COPY": "EXPLAIN ANALYZE COPY (SELECT 42) TO '{out}/explained.csv'",
    "attach another database": "ATTACH '{out}/other.db' AS other",
    "attach inside the table's folder": "ATTACH '{folder}/other.db' AS other",
    "create a table": "CREATE TABLE mine AS SELECT 1 AS a",
    "replace a view": "CREATE OR REPLACE VIEW customer_trusted AS SELECT 42 AS junk",
    "drop a view": "DROP VIEW machine_learning_curated",
    "insert": "INSERT INTO customer_trusted SELECT * FROM customer_trusted",
    "install an extension": "INSTALL spatial",
    "load an extension": "LOAD httpfs",
    "export the database": "EXPORT DATABASE '{out}/exported'",
    "import a database": "IMPORT DATABASE '{out}/importable'",
    "call a table function": "CALL read_text('/etc/passwd')",
    "checkpoint": "CHECKPOINT",
    "log into the landing folder": "SELECT * FROM enable_logging(storage = 'file', storage_path = '{landing}/logs')",
    "profile to stdout": "PRAGMA enable_profiling",
    "run SQL from a string": "SELECT * FROM query('SELECT 1')",
    "change a setting": "SET enable_external_access = true",
    "reset a setting": "RESET enable_external_access",
    "widen the folders": "SET allowed_directories = ['/']",
    "unlock": "SET lock_configuration = false",
    "a pragma that sets": "PRAGMA memory_limit = '1GB'",
    "a variable": "SET VARIABLE x = 1",
    "switch database": "USE system",
    "vacuum": "VACUUM",
    "a transaction": "BEGIN TRANSACTION",
}


@pytest.mark.parametrize("sql", ATTACKS.values(), ids=ATTACKS.keys())
def test_a_statement_that_is_not_a_read_is_refused_and_changes_nothing(
        built: tuple[Lakehouse, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str) -> None:
    house, _ = built
    out = tmp_path / "out"
    (out / "importable").mkdir(parents=True)
    (out / "importable" / "schema.sql").write_text("CREATE TABLE imported AS SELECT 'IMPORTED-MARKER' AS m;\n")
    (out / "importable" / "load.sql").write_text("")
    (out / "rows.csv").write_text("a\n1\n")
    before_out = sorted(p.name for p in out.rglob("*"))
    data = data_file(house, "customer_trusted")
    before = lake_bytes(house.path)
    said = assert_refused(house, sql.format(data=data, folder=str(Path(data).parent), out=out, lake=house.path,
                                            landing=f"{house.path}/customer/landing"), capsys)
    assert lake_bytes(house.path) == before  # every file of the lake, byte for byte; none added
    assert sorted(p.name for p in out.rglob("*")) == before_out  # nothing written outside either
    assert "IMPORTED-MARKER" not in said
    assert csv_query(house, "SELECT count(*) AS n FROM customer_trusted", capsys) == "n\n3\n"


FILES = {
    "the system's passwords": "SELECT * FROM read_csv('/etc/passwd')",
    "the process's environment": "SELECT * FROM read_blob('/proc/self/environ')",
    "the lake's settings and key": "SELECT * FROM read_text('{lake}/stedi.toml')",
    "the key through a table's folder": "SELECT * FROM read_text('{folder}/../../../stedi.toml')",
    "the key through landing": "SELECT * FROM read_csv('{lake}/customer/landing/../../stedi.toml')",
    "the catalog": "SELECT * FROM read_blob('{lake}/catalog.db')",
    "a table's metadata": "SELECT * FROM read_text('{folder}/../metadata/*.json')",
    "the lake's folders": "SELECT * FROM glob('{lake}/*')",
    "the run records": "SELECT * FROM read_json('{lake}/runs/*.json')",
    "a URL": "SELECT * FROM read_text('https://example.com/')",
}


@pytest.mark.parametrize("sql", FILES.values(), ids=FILES.keys())
def test_no_file_but_the_tables_can_be_read(built: tuple[Lakehouse, list[str]], capsys: pytest.CaptureFixture[str],
                                            sql: str) -> None:
    house, _ = built
    key = house.lake.config.pseudonym_key
    folder = str(Path(data_file(house, "customer_trusted")).parent)
    said = assert_refused(house, sql.format(lake=house.path, folder=folder), capsys)
    assert key not in said and "root:" not in said and "pseudonym_key" not in said


def test_the_pseudonym_key_is_nowhere_a_query_can_reach(built: tuple[Lakehouse, list[str]],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    house, _ = built
    key = house.lake.config.pseudonym_key
    for sql in ("SELECT * FROM duckdb_settings()", "SELECT * FROM duckdb_tables()", "SELECT * FROM duckdb_views()",
                "SELECT * FROM duckdb_variables()", "SHOW ALL TABLES"):
        assert key not in csv_query(house, sql, capsys)
    with pytest.raises(StediError, match="run_parameters"):  # what a run keeps the key in
        house.query("SELECT * FROM run_parameters")
    said = assert_refused(house, f"SELECT * FROM read_text('{house.path}/stedi.toml')", capsys)
    assert key not in said


def test_more_than_one_statement_is_refused_in_one_line(built: tuple[Lakehouse, list[str]],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    house, _ = built
    said = assert_refused(house, "SELECT 1 AS a; SELECT 2 AS b", capsys)
    assert "one statement" in said


@pytest.mark.parametrize("sql, expected", [
    # Tables joined with a landing view: a's and b's readings, by name.
    ("SELECT c.email, count(*) AS n FROM accelerometer_landing a JOIN customer_trusted c ON a.user = c.email "
     "GROUP BY ALL ORDER BY 1", "email,n\na@x.com,2\nb@x.com,1\nd@x.com,1\n"),
    ("SELECT sum(distancefromobject) AS d, count(DISTINCT customer_key) AS k FROM machine_learning_curated",
     "d,k\n34,3\n"),
    ("DESCRIBE SELECT customer_key, x FROM machine_learning_curated",
     "column_name,column_type,null,key,default,extra\ncustomer_key,VARCHAR,YES,,,\nx,DOUBLE,YES,,,\n"),
    ("SELECT column_name FROM (DESCRIBE machine_learning_curated)",
     "column_name\ncustomer_key\nsensorreadingtime\ndistancefromobject\nx\ny\nz\n"),
    ("WITH q AS (SELECT source, count(*) AS n FROM quarantine GROUP BY source) SELECT count(*) AS n FROM q", "n\n0\n"),
    ("SELECT count(*) AS n FROM (SUMMARIZE customer_landing)", "n\n10\n"),  # its 10 columns
])
def test_reading_still_works(built: tuple[Lakehouse, list[str]], capsys: pytest.CaptureFixture[str], sql: str,
                             expected: str) -> None:
    house, _ = built
    assert csv_query(house, sql, capsys) == expected
    assert house.query(sql).num_rows == expected.count("\n") - 1


def test_reading_as_of_a_past_run_still_works(built: tuple[Lakehouse, list[str]],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    house, runs = built
    sql = "SELECT count(*) AS n FROM machine_learning_curated"
    assert csv_query(house, sql, capsys, "--as-of", runs[0]) == "n\n3\n"
    assert csv_query(house, sql, capsys) == "n\n4\n"
    assert house.query(sql, as_of=runs[0]).to_pylist() == [{"n": 3}]
    assert_refused(house, f"COPY (SELECT 1) TO '{house.path}/x.csv'", capsys)  # and as of, too:
    with pytest.raises(StediError, match="read-only"):
        house.query("COPY (SELECT 1) TO '/tmp/stedi-never.csv'", as_of=runs[0])


# -- Lakehouse.connect(): a connection of the user's own ------------------------------------

def test_connect_joins_a_dataframe_with_the_lake(built: tuple[Lakehouse, list[str]]) -> None:
    import pandas as pd

    house, runs = built
    con = house.connect()
    keys = con.execute("SELECT customer_key FROM machine_learning_curated WHERE x = 1.5").fetchall()
    labels = pd.DataFrame({"customer_key": [keys[0][0], "nobody"], "label": ["walks", "runs"]})
    con.register("labels", labels)
    con.execute("CREATE TABLE mine AS SELECT m.x, l.label FROM machine_learning_curated m "
                "JOIN labels l USING (customer_key) ORDER BY m.x")
    assert con.execute("SELECT * FROM mine").fetchall() == [(1.5, "walks"), (2.5, "walks")]
    assert con.execute("SELECT count(*) FROM customer_landing").fetchall() == [(5,)]
    assert house.connect(as_of=runs[0]).execute("SELECT count(*) FROM machine_learning_curated").fetchall() == [(3,)]


def test_what_is_done_in_a_connection_stays_in_it(built: tuple[Lakehouse, list[str]],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    house, _ = built
    before = lake_bytes(house.path)
    con = house.connect()
    con.execute("DROP VIEW machine_learning_curated")
    con.execute("CREATE OR REPLACE VIEW customer_trusted AS SELECT 42 AS junk")
    assert con.execute("SELECT * FROM customer_trusted").fetchall() == [(42,)]
    assert lake_bytes(house.path) == before
    second = house.connect()  # a second connection sees every table as the lake has it
    assert second.execute("SELECT count(*) FROM machine_learning_curated").fetchall() == [(4,)]
    assert second.execute("SELECT count(*) FROM customer_trusted").fetchall() == [(3,)]
    assert csv_query(house, "SELECT count(*) AS n FROM machine_learning_curated", capsys) == "n\n4\n"


# -- Escape codes: shown escaped on a terminal, exact in CSV and JSON -----------------------

def test_escape_codes_in_values_are_shown_escaped_in_table_output(built: tuple[Lakehouse, list[str]],
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    house, _ = built
    sql = "SELECT customername FROM customer_landing WHERE email = 'e@x.com'"
    capsys.readouterr()
    assert main(["query", sql, "--lake", house.path]) == 0
    shown = capsys.readouterr().out
    assert "\x1b" not in shown and r"\x1b[2J\x1b[31mEve" in shown
    assert csv_query(house, sql, capsys) == f"customername\n{ESCAPE}\n"  # CSV: exact
    capsys.readouterr()
    assert main(["query", sql, "--lake", house.path, "--format", "json"]) == 0
    assert r'"\u001b[2J\u001b[31mEve"' in capsys.readouterr().out


def test_escape_codes_in_error_messages_are_shown_escaped(built: tuple[Lakehouse, list[str]],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    house, _ = built
    capsys.readouterr()
    assert main(["query", 'SELECT * FROM "\x1b]0;owned\x07\x1b[2Jnowhere"', "--lake", house.path]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and r"\x1b]0;owned\x07\x1b[2Jnowhere" in err
    assert len(err.splitlines()) == 1
    capsys.readouterr()
    assert main(["query", "SELECT 1", "--lake", str(Path(house.path) / "no\x1b[2Jlake")]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and r"no\x1b[2Jlake" in err


def test_status_lines_show_escape_codes_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    from stedi.cli.main import _status

    capsys.readouterr()
    _status("reading \x1b[2Jcustomer-1.json\r\n")
    assert capsys.readouterr().err == "… reading \\x1b[2Jcustomer-1.json\\r\\n\n"


# -- A lake in S3: no credential reachable, no object written -------------------------------

TOKEN = "stedi-test-session-token-Hq3mZ8"


@contextmanager
def s3_env(moto_server, scratch: Path, bucket: str) -> Iterator[None]:  # type: ignore[no-untyped-def]
    from stedi.aws import session
    from tests.moto_server import aws_environment

    with aws_environment(moto_server, scratch), pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_SESSION_TOKEN", TOKEN)  # as a role or SSO gives one
        env.setenv("STEDI_GLUE_DATABASE", bucket.replace("-", "_"))  # moto's Glue lives for the session
        session.reset()
        yield


@pytest.fixture(scope="module")
def s3_lake(moto_server, tmp_path_factory: pytest.TempPathFactory) -> str:  # type: ignore[no-untyped-def]
    import boto3

    from tests.moto_server import REGION, new_bucket_name

    scratch = tmp_path_factory.mktemp("s3-query")
    delivery = write_delivery(scratch / "d", customer=[customer(A, "s1", consent=100)],
                              accelerometer=[reading(A, 500, 1.5)], step_trainer=[step("s1", 500, 7)])
    bucket = new_bucket_name()
    with s3_env(moto_server, scratch, bucket):
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        house = Lakehouse(f"s3://{bucket}/stedi", create=True)
        house.ingest(delivery)
        house.run()
    return house.path


def bucket_of(lake: str) -> str:
    return lake.removeprefix("s3://").split("/")[0]


def bucket_objects(lake: str) -> dict[str, bytes]:
    import boto3

    from tests.moto_server import REGION

    s3 = boto3.client("s3", region_name=REGION)
    bucket = bucket_of(lake)
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
            for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_in_s3_no_credential_is_reachable_from_sql(s3_lake: str, moto_server, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from tests.moto_server import ACCESS_KEY, SECRET_KEY

    with s3_env(moto_server, tmp_path, bucket_of(s3_lake)):
        house = Lakehouse(s3_lake)
        said = []
        for sql in ("SELECT current_setting('s3_secret_access_key') AS s, current_setting('s3_session_token') AS t, "
                    "current_setting('s3_access_key_id') AS k",
                    "SELECT * FROM duckdb_settings()",
                    f"SELECT * FROM which_secret('{s3_lake}/customer/trusted/x.parquet', 's3')",
                    "SELECT count(*) AS n FROM machine_learning_curated"):
            said.append(csv_query(house, sql, capsys))
        assert said[-1] == "n\n1\n"
        said.append(assert_refused(house, "SELECT * FROM duckdb_secrets()", capsys))
        said.append(assert_refused(house, "SELECT * FROM duckdb_secrets(redact = false)", capsys))
        said.append(assert_refused(house, "SET allow_unredacted_secrets = true", capsys))
    text = "".join(said)
    for secret in (SECRET_KEY, TOKEN, ACCESS_KEY):
        assert secret not in text


def test_in_s3_no_object_is_written_or_read_beyond_the_tables(s3_lake: str, moto_server, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    with s3_env(moto_server, tmp_path, bucket_of(s3_lake)):
        house = Lakehouse(s3_lake)
        before = bucket_objects(s3_lake)
        data = data_file(house, "customer_trusted")
        assert data.startswith("s3://")
        for sql in (f"COPY (SELECT 42 AS junk) TO '{data}' (FORMAT parquet)",
                    f"COPY (SELECT 42) TO '{s3_lake}/customer/trusted/data/extra.parquet' (FORMAT parquet)",
                    f"COPY (SELECT 42) TO '{s3_lake}/customer/landing/extra.json'",
                    f"SELECT * FROM read_text('{s3_lake}/stedi.toml')",
                    f"SELECT * FROM read_text('{s3_lake}/state.json')",
                    f"SELECT * FROM glob('{s3_lake}/*')"):
            assert_refused(house, sql, capsys)
        assert bucket_objects(s3_lake) == before
        assert csv_query(house, "SELECT count(*) AS n FROM customer_trusted", capsys) == "n\n1\n"
