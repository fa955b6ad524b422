"""The Glue catalog of a lake in S3, against moto's server: lake ownership of the database,
pyiceberg's Glue catalog end to end, the rollback compare-and-set, the landing tables."""

from __future__ import annotations

import boto3
import pytest

from stedi.landing.zones import landing_tables
from stedi.errors import StediError
from stedi.store.glue_catalog import GlueCatalog
from tests.moto_server import ACCESS_KEY, REGION, SECRET_KEY


@pytest.fixture
def glue(aws):
    return boto3.client("glue", region_name=REGION)


@pytest.fixture
def lake(bucket) -> str:
    return f"s3://{bucket}/lake"


@pytest.fixture
def database(bucket) -> str:
    """A database name of this test's own (moto's server lives for the whole session)."""
    return bucket.replace("-", "_")


def iceberg_table(catalog: GlueCatalog, lake: str, name: str):
    import pyarrow as pa

    rows = pa.table({"id": pa.array([1, 2], pa.int64()), "email": pa.array(["a@x", "b@x"], pa.string())})
    table = catalog.pyiceberg().create_table((catalog.namespace, name), schema=rows.schema,
                                             location=f"{lake}/{name}")
    table.append(rows)
    return table


def test_a_new_database_records_the_lake_that_owns_it(glue, lake, database) -> None:
    catalog = GlueCatalog(database, lake + "/")
    assert catalog.metadata_locations(write=False) == {}  # a reader creates nothing
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_database(Name=database)

    catalog.ensure_database()
    found = glue.get_database(Name=database)["Database"]
    assert found["Parameters"]["stedi.lake"] == lake
    assert lake in found["Description"]
    assert catalog.describe() == f"Glue database {database}" and catalog.namespace == database
    GlueCatalog(database, lake).ensure_database()  # the same lake again: fine


def test_a_second_lake_cannot_take_the_database(lake, database, bucket) -> None:
    GlueCatalog(database, lake).ensure_database()
    other = GlueCatalog(database, f"s3://{bucket}/other")
    for attempt in (other.ensure_database, other.metadata_locations, lambda: other.metadata_locations(write=False)):
        with pytest.raises(StediError) as refused:
            attempt()
        message = str(refused.value)
        assert message == (f"Glue database {database} already holds the tables of lake {lake}; choose another "
                           f"database for s3://{bucket}/other with the glue_database setting "
                           "(STEDI_GLUE_DATABASE or stedi.toml)")


def test_an_empty_database_is_adopted_one_with_tables_refused(glue, lake, database) -> None:
    glue.create_database(DatabaseInput={"Name": database, "Description": "made by hand", "Parameters": {"team": "a"}})
    assert GlueCatalog(database, lake).metadata_locations(write=False) == {}  # not ours yet
    GlueCatalog(database, lake).ensure_database()
    found = glue.get_database(Name=database)["Database"]
    assert found["Parameters"] == {"team": "a", "stedi.lake": lake} and found["Description"] == "made by hand"

    foreign = database + "_foreign"
    glue.create_database(DatabaseInput={"Name": foreign})
    glue.create_table(DatabaseName=foreign, TableInput={"Name": "theirs", "TableType": "EXTERNAL_TABLE"})
    with pytest.raises(StediError, match=f"Glue database {foreign} already holds tables of no STEDI lake"):
        GlueCatalog(foreign, lake).ensure_database()


def test_pyiceberg_writes_through_glue_and_only_iceberg_tables_are_listed(glue, lake, database, bucket) -> None:
    catalog = GlueCatalog(database, lake)
    table = iceberg_table(catalog, lake, "customer_trusted")
    catalog.register_landing(landing_tables(lake))

    locations = catalog.metadata_locations()
    assert locations == {"customer_trusted": table.metadata_location}
    assert table.metadata_location.startswith(f"{lake}/customer_trusted/metadata/")
    assert GlueCatalog(database, lake).metadata_locations(write=False) == locations
    assert catalog.pyiceberg().load_table((database, "customer_trusted")).scan().to_arrow().num_rows == 2
    keys = [o["Key"] for o in boto3.client("s3", region_name=REGION).list_objects_v2(
        Bucket=bucket, Prefix="lake/customer_trusted/")["Contents"]]
    assert table.metadata_location.removeprefix(f"s3://{bucket}/") in keys  # files in the lake's bucket
    assert any(k.startswith("lake/customer_trusted/data/") and k.endswith(".parquet") for k in keys)


def test_iceberg_is_recognised_in_any_case_and_nothing_else_is_listed(glue, lake, database) -> None:
    catalog = GlueCatalog(database, lake)
    catalog.ensure_database()
    for name, kind in (("lower", "iceberg"), ("upper", "ICEBERG"), ("hive", "HIVE"), ("untyped", None)):
        parameters = {"metadata_location": f"{lake}/{name}/m.json", **({"table_type": kind} if kind else {})}
        glue.create_table(DatabaseName=database, TableInput={"Name": name, "TableType": "EXTERNAL_TABLE",
                                                             "Parameters": parameters})
    assert catalog.metadata_locations() == {"lower": f"{lake}/lower/m.json", "upper": f"{lake}/upper/m.json"}


def test_rolling_back_is_a_compare_and_set(glue, lake, database) -> None:
    catalog = GlueCatalog(database, lake)
    table = iceberg_table(catalog, lake, "quarantine")
    first = table.metadata_location
    table.append(table.scan().to_arrow())
    second = table.metadata_location
    assert catalog.metadata_locations() == {"quarantine": second}

    assert not catalog.set_metadata_location("quarantine", first, "s3://elsewhere.json")  # not what it points at
    assert catalog.metadata_locations() == {"quarantine": second}
    assert not catalog.set_metadata_location("missing", first, second)

    assert catalog.set_metadata_location("quarantine", second, first)
    assert catalog.metadata_locations() == {"quarantine": first}
    parameters = glue.get_table(DatabaseName=database, Name="quarantine")["Table"]["Parameters"]
    assert parameters["previous_metadata_location"] == second and parameters["table_type"].lower() == "iceberg"
    reloaded = catalog.pyiceberg().load_table((database, "quarantine"))
    assert reloaded.metadata_location == first and reloaded.scan().to_arrow().num_rows == 2

    assert not catalog.set_metadata_location("quarantine", second, None)
    assert catalog.set_metadata_location("quarantine", first, None)
    assert catalog.metadata_locations() == {}
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_table(DatabaseName=database, Name="quarantine")


def test_rolling_back_restores_the_columns_and_properties_of_the_metadata_it_restores(glue, lake, database) -> None:
    """Athena reads a table's columns from Glue, not from its metadata file."""
    from pyiceberg.types import StringType

    catalog = GlueCatalog(database, lake)
    table = iceberg_table(catalog, lake, "customer_trusted")
    first = table.metadata_location

    def in_glue() -> tuple[list[dict], dict[str, str]]:
        found = glue.get_table(DatabaseName=database, Name="customer_trusted")["Table"]
        return found["StorageDescriptor"]["Columns"], found["Parameters"]

    columns, parameters = in_glue()
    assert [(c["Name"], c["Type"]) for c in columns] == [("id", "bigint"), ("email", "string")]
    with table.transaction() as change:  # what a run of a newer stedi could commit
        change.update_schema().add_column("phone", StringType()).commit()
        change.set_properties({"stedi.added": "by the run"})
    second = catalog.pyiceberg().load_table((database, "customer_trusted")).metadata_location
    assert [c["Name"] for c in in_glue()[0]] == ["id", "email", "phone"] and "stedi.added" in in_glue()[1]

    assert catalog.set_metadata_location("customer_trusted", second, first)
    restored_columns, restored_parameters = in_glue()
    assert restored_columns == columns  # names, types and Iceberg field ids
    assert "stedi.added" not in restored_parameters
    assert restored_parameters == {**parameters, "previous_metadata_location": second}


def test_a_table_changed_since_it_was_read_is_not_rolled_back(glue, lake, database, monkeypatch) -> None:
    """Real Glue refuses an UpdateTable whose VersionId is stale (moto does not check it)."""
    from botocore.exceptions import ClientError

    from stedi.aws.session import session

    catalog = GlueCatalog(database, lake)
    table = iceberg_table(catalog, lake, "customer_curated")
    version = glue.get_table(DatabaseName=database, Name="customer_curated")["Table"]["VersionId"]
    client, sent = session().client("glue"), []

    def concurrently_modified(**call):
        sent.append(call)
        raise ClientError({"Error": {"Code": "ConcurrentModificationException", "Message": "stale"}}, "UpdateTable")

    with monkeypatch.context() as patched:
        patched.setattr(client, "update_table", concurrently_modified)
        created = table.metadata.metadata_log[0].metadata_file  # before its first append
        assert not catalog.set_metadata_location("customer_curated", table.metadata_location, created)
    assert sent[0]["VersionId"] == version
    assert catalog.metadata_locations() == {"customer_curated": table.metadata_location}


LANDING = ("customer_landing", "accelerometer_landing", "step_trainer_landing")


def test_landing_tables_are_json_external_tables_registered_once(glue, lake, database) -> None:
    catalog = GlueCatalog(database, lake)
    assert catalog.register_landing(landing_tables(lake)) == dict.fromkeys(LANDING, "created")
    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=database)["TableList"]}
    assert set(tables) == {"customer_landing", "accelerometer_landing", "step_trainer_landing"}

    accelerometer = tables["accelerometer_landing"]
    storage = accelerometer["StorageDescriptor"]
    assert accelerometer["TableType"] == "EXTERNAL_TABLE"
    assert accelerometer["Parameters"] == {"classification": "json", "EXTERNAL": "TRUE"}
    # Strings: one mistyped value must not fail an Athena query (tests/aws/test_trino.py).
    assert [(c["Name"], c["Type"]) for c in storage["Columns"]] == [
        ("user", "string"), ("timestamp", "string"), ("x", "string"), ("y", "string"), ("z", "string")]
    assert storage["Location"] == f"{lake}/accelerometer/landing/"
    assert storage["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    assert storage["OutputFormat"] == "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    assert storage["SerdeInfo"] == {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
                                    "Parameters": {"case.insensitive": "true", "ignore.malformed.json": "true"}}
    assert ("birthday", "string") in [(c["Name"], c["Type"]) for c in
                                       tables["customer_landing"]["StorageDescriptor"]["Columns"]]
    assert tables["step_trainer_landing"]["StorageDescriptor"]["Location"] == f"{lake}/step_trainer/landing/"

    versions = {name: glue.get_table(DatabaseName=database, Name=name)["Table"]["VersionId"] for name in tables}
    assert catalog.register_landing(landing_tables(lake)) == dict.fromkeys(LANDING, "unchanged")  # no new version
    assert versions == {name: glue.get_table(DatabaseName=database, Name=name)["Table"]["VersionId"]
                        for name in tables}

    glue.update_table(DatabaseName=database, TableInput={**{k: accelerometer[k] for k in (
        "Name", "TableType", "Parameters")}, "StorageDescriptor": {**storage, "Location": "s3://moved/"}})
    assert GlueCatalog(database, lake).register_landing(landing_tables(lake), dry_run=True) == {
        **dict.fromkeys(LANDING, "unchanged"), "accelerometer_landing": "updated"}
    assert glue.get_table(DatabaseName=database, Name="accelerometer_landing")["Table"][
        "StorageDescriptor"]["Location"] == "s3://moved/"  # a dry run changes nothing
    assert GlueCatalog(database, lake).register_landing(landing_tables(lake)) == {  # changed: put back
        **dict.fromkeys(LANDING, "unchanged"), "accelerometer_landing": "updated"}
    assert glue.get_table(DatabaseName=database, Name="accelerometer_landing")["Table"][
        "StorageDescriptor"]["Location"] == f"{lake}/accelerometer/landing/"



def test_landing_columns_carry_their_descriptions_and_a_table_without_them_gets_them(glue, lake, database) -> None:
    from dataclasses import replace

    from stedi.landing.sources import SOURCES

    catalog = GlueCatalog(database, lake)
    undescribed = [replace(t, docs={}) for t in landing_tables(lake)]  # as a stedi before descriptions made them
    assert catalog.register_landing(undescribed) == dict.fromkeys(LANDING, "created")
    columns = glue.get_table(DatabaseName=database, Name="step_trainer_landing")["Table"]["StorageDescriptor"]["Columns"]
    assert "Comment" not in columns[0]
    assert catalog.register_landing(landing_tables(lake)) == dict.fromkeys(LANDING, "updated")
    columns = glue.get_table(DatabaseName=database, Name="step_trainer_landing")["Table"]["StorageDescriptor"]["Columns"]
    assert {c["Name"]: c["Comment"] for c in columns} == SOURCES["step_trainer"].docs  # what Athena's DESCRIBE shows
    assert catalog.register_landing(landing_tables(lake)) == dict.fromkeys(LANDING, "unchanged")

def test_a_dry_run_says_what_it_would_do_and_changes_nothing(glue, lake, database) -> None:
    catalog = GlueCatalog(database, lake)
    assert catalog.ensure_database(dry_run=True) == "created"
    assert catalog.register_landing(landing_tables(lake), dry_run=True) == dict.fromkeys(LANDING, "created")
    assert database not in {d["Name"] for d in glue.get_databases()["DatabaseList"]}

    glue.create_database(DatabaseInput={"Name": database})  # empty, no lake's: would be adopted
    assert catalog.ensure_database(dry_run=True) == "updated"
    assert "stedi.lake" not in glue.get_database(Name=database)["Database"].get("Parameters", {})
    assert catalog.ensure_database() == "updated"
    assert glue.get_database(Name=database)["Database"]["Parameters"]["stedi.lake"] == lake
    assert catalog.ensure_database() == "unchanged" and GlueCatalog(database, lake).ensure_database() == "unchanged"


def test_glue_failures_are_one_line_without_credentials(aws, lake, monkeypatch) -> None:
    from stedi.aws import session

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing answers there
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    session.reset()
    with pytest.raises(StediError) as failed:
        GlueCatalog("stedi", lake).metadata_locations(write=False)
    message = str(failed.value)
    assert message.startswith("Glue database stedi: cannot reach") and "\n" not in message
    assert ACCESS_KEY not in message and SECRET_KEY not in message
