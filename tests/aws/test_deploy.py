"""`stedi aws deploy` against moto's server: the first deploy makes the lake, its Glue
database and landing tables, the zip of wheels and job script in the lake's deploy/ folder and
the Glue job; a second one writes nothing; a dry run writes nothing; a new role updates the job
in place (UpdateJob, with botocore's Stubber: moto 5.2.5 has none); the job's size; the bucket's
lifecycle rule. Deploys gather the wheels offline, from what `make glue-wheels` fetched."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any, Iterator

import pytest
from botocore.stub import Stubber

from stedi.aws import session
from stedi.deploy.glue_wheels import pins
from stedi.aws.secrets import secret_name
from stedi.cli.main import main
from stedi.landing.zones import landing_tables
from tests.aws.deploying import ROLE, client, deploy, empty, objects
from tests.conftest import customer, reading, step, write_delivery

ROOT = Path(__file__).resolve().parents[2]
LANDING = ("customer_landing", "accelerometer_landing", "step_trainer_landing")
WRITES = ("Put", "Create", "Update", "Delete", "Copy", "Upload", "Complete", "Abort", "Tag", "Batch", "Start")
PINNED = pins(ROOT / "constraints.txt")
MODULES_KEY = "stedi/deploy/stedi-0.1.0.gluewheels.zip"


@pytest.fixture(autouse=True)
def wheels(glue_wheelhouse: Path) -> None:
    """Every deploy here gathers from the fetched wheels (`deploy` below passes them)."""


@pytest.fixture
def lake(bucket: str) -> Iterator[str]:
    yield f"s3://{bucket}/stedi"
    empty(bucket)


@pytest.fixture
def database(bucket: str) -> str:
    return bucket.replace("-", "_")  # the bucket fixture sets STEDI_GLUE_DATABASE so


@pytest.fixture
def calls(aws) -> Iterator[list[str]]:
    """Every S3, Glue and Secrets Manager operation the command's AWS clients make."""
    made: list[str] = []

    def record(model: Any, **_: Any) -> None:
        made.append(model.name)

    for service in ("s3", "glue", "secretsmanager"):
        session.session().client(service).meta.events.register("before-call", record)
    yield made


def test_the_first_deploy_makes_everything(lake: str, bucket: str, database: str, capsys) -> None:
    code, out, err = deploy(capsys, "--lake", lake, "--role", ROLE)
    assert code == 0, err
    job_name = f"stedi-run-{database}"
    script_key = "stedi/deploy/spark_run.py"
    assert out == [
        f"lake {lake}: created",
        f"pseudonym key (Secrets Manager secret {secret_name(lake)}): created",
        f"Glue database {database}: created",
        *[f"Glue table {database}.{table}: created" for table in LANDING],
        f"Python modules s3://{bucket}/{MODULES_KEY}: created",
        f"job script s3://{bucket}/{script_key}: created",
        f"Glue job {job_name}: created",
        f"deployed: 9 created, 0 updated; start a run with: aws glue start-job-run --job-name {job_name}",
    ]

    job = client("glue").get_job(JobName=job_name)["Job"]
    assert (job["Role"], job["GlueVersion"], job["WorkerType"], job["NumberOfWorkers"]) == (ROLE, "5.0", "G.1X", 2)
    assert job["Command"] == {"Name": "glueetl", "ScriptLocation": f"s3://{bucket}/{script_key}", "PythonVersion": "3"}
    assert job["DefaultArguments"] == {
        "--lake": lake, "--consent-policy": "strict", "--glue-database": database,
        "--additional-python-modules": f"s3://{bucket}/{MODULES_KEY}", "--python-modules-installer-option": "--no-index",
        "--job-language": "python"}
    assert lake in job["Description"]

    # The zip of wheels: Appendix A's layout; the package and every dependency at its pinned version.
    s3 = client("s3")
    with zipfile.ZipFile(io.BytesIO(s3.get_object(Bucket=bucket, Key=MODULES_KEY)["Body"].read())) as modules:
        names = modules.namelist()
        requirements = modules.read("wheels/requirements.txt").decode().splitlines()
        package = io.BytesIO(modules.read("wheels/stedi-0.1.0-py3-none-any.whl"))
    assert all(name.startswith("wheels/") for name in names) and len(names) == len(requirements) + 1
    assert "stedi==0.1.0" in requirements
    for name in ("boto3", "botocore", "pyarrow", "pyiceberg", "sqlglot", "duckdb", "pandas", "numpy"):
        assert f"{name}=={PINNED[name]}" in requirements  # Glue's own boto3 1.34, pyarrow 17... replaced
    assert not any(line.startswith(("setuptools==", "pyspark==", "pytest==", "moto==")) for line in requirements)
    with zipfile.ZipFile(package) as wheel:
        members = set(wheel.namelist())
        assert wheel.read("stedi/jobs/spark_run.py") == (ROOT / "stedi/jobs/spark_run.py").read_bytes()
    sql = {p.relative_to(ROOT).as_posix() for p in (ROOT / "stedi").rglob("*.sql")}
    assert {"stedi/engines/base.py", "stedi/pipeline/run.py"} | sql <= members
    assert any(m.startswith("stedi/models/") for m in sql)
    assert s3.get_object(Bucket=bucket, Key=script_key)["Body"].read() == \
        (ROOT / "stedi/jobs/spark_run.py").read_bytes()

    assert "stedi/stedi.toml" in objects(bucket)  # the lake itself
    tables = {t["Name"]: t for t in client("glue").get_tables(DatabaseName=database)["TableList"]}
    assert set(tables) == set(LANDING)
    assert {t.name: t.location for t in landing_tables(lake)} == {
        name: t["StorageDescriptor"]["Location"] for name, t in tables.items()}
    assert client("glue").get_database(Name=database)["Database"]["Parameters"]["stedi.lake"] == lake
    assert len(client("secretsmanager").get_secret_value(SecretId=secret_name(lake))["SecretString"]) == 64


def test_a_second_deploy_writes_nothing(lake: str, bucket: str, database: str, capsys, monkeypatch) -> None:
    from stedi.deploy import wheel

    assert deploy(capsys, "--lake", lake, "--role", ROLE)[0] == 0
    before, job = objects(bucket), client("glue").get_job(JobName=f"stedi-run-{database}")["Job"]
    monkeypatch.setattr(wheel, "_built", {})  # a new build, as a new process makes: new zip timestamps
    session.reset()
    made: list[str] = []
    for service in ("s3", "glue", "secretsmanager"):
        session.session().client(service).meta.events.register("before-call", lambda model, **_: made.append(model.name))

    code, out, err = deploy(capsys, "--lake", lake)  # no --role: the job's own is kept
    assert code == 0, err
    assert [line.rsplit(": ", 1)[1] for line in out[:-1]] == ["unchanged"] * 9
    assert out[-1] == "nothing to do: everything is up to date"
    assert made and [op for op in made if op.startswith(WRITES)] == []
    assert objects(bucket) == before  # same ETags, same LastModified
    assert client("glue").get_job(JobName=f"stedi-run-{database}")["Job"] == job


def test_deploying_a_lake_made_by_ingest_keeps_it_and_adds_the_job(lake: str, database: str, tmp_path: Path,
                                                                  capsys) -> None:
    delivery = write_delivery(tmp_path / "d", customer=[customer("a@x.com", "s1", consent=100)],
                              accelerometer=[reading("a@x.com", 500)], step_trainer=[step("s1", 500)])
    assert main(["ingest", str(delivery), "--lake", lake]) == 0
    code, out, err = deploy(capsys, "--lake", lake, "--role", ROLE, "--consent-policy", "any-time",
                            "--job-name", "nightly")
    assert code == 0, err
    assert [line.rsplit(": ", 1)[1] for line in out[:6]] == ["unchanged"] * 6  # lake, key, database, tables
    assert out[6:] == [f"Python modules {lake}/deploy/stedi-0.1.0.gluewheels.zip: created",
                       f"job script {lake}/deploy/spark_run.py: created", "Glue job nightly: created",
                       "deployed: 3 created, 0 updated; start a run with: aws glue start-job-run --job-name nightly"]
    assert client("glue").get_job(JobName="nightly")["Job"]["DefaultArguments"]["--consent-policy"] == "any-time"
    assert main(["run", "--lake", lake]) == 0  # the lake still runs, deploy/ beside its zones


def test_a_dry_run_writes_nothing(lake: str, bucket: str, database: str, calls: list[str], capsys) -> None:
    code, out, err = deploy(capsys, "--lake", lake, "--role", ROLE, "--dry-run")
    assert code == 0, err
    assert out[0] == f"lake {lake}: would be created"
    assert [line.rsplit(": ", 1)[1] for line in out[:-1]] == ["would be created"] * 9
    assert out[-1] == "dry run: 9 to create, 0 to update; nothing was written"
    assert objects(bucket) == {}
    assert [op for op in calls if op.startswith(WRITES)] == [] and "GetJob" in calls
    glue = client("glue")
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_job(JobName=f"stedi-run-{database}")
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_database(Name=database)
    names = [s["Name"] for s in client("secretsmanager").list_secrets()["SecretList"]]
    assert secret_name(lake) not in names


def test_a_dry_run_after_a_deploy_says_what_would_change(lake: str, bucket: str, database: str, capsys) -> None:
    assert deploy(capsys, "--lake", lake, "--role", ROLE)[0] == 0
    before = objects(bucket)
    code, out, err = deploy(capsys, "--lake", lake, "--consent-policy", "any-time", "--dry-run")
    assert code == 0, err
    assert out[-2:] == [f"Glue job stedi-run-{database}: would be updated",
                        "dry run: 0 to create, 1 to update; nothing was written"]
    assert objects(bucket) == before
    job = client("glue").get_job(JobName=f"stedi-run-{database}")["Job"]
    assert job["DefaultArguments"]["--consent-policy"] == "strict"


def test_a_new_role_updates_the_job_in_place(lake: str, database: str, capsys) -> None:
    assert deploy(capsys, "--lake", lake, "--role", ROLE)[0] == 0
    name, new_role = f"stedi-run-{database}", "arn:aws:iam::123456789012:role/stedi-glue-v2"
    glue = client("glue")
    job = glue.get_job(JobName=name)["Job"]
    # The Glue client the command uses answers as moto does, and takes the UpdateJob moto lacks.
    stubbed = session.session().client("glue")
    stubber = Stubber(stubbed)
    stubber.add_response("get_job", {"Job": job}, {"JobName": name})
    stubber.add_response("get_database", glue.get_database(Name=database), {"Name": database})
    for table in LANDING:
        stubber.add_response("get_table", glue.get_table(DatabaseName=database, Name=table),
                             {"DatabaseName": database, "Name": table})
    update = {k: job[k] for k in ("Description", "ExecutionProperty", "Command", "DefaultArguments", "WorkerType",
                                  "NumberOfWorkers", "GlueVersion", "ExecutionClass")}
    stubber.add_response("update_job", {"JobName": name},
                         {"JobName": name, "JobUpdate": {**update, "Role": new_role}})
    with stubber:
        code, out, err = deploy(capsys, "--lake", lake, "--role", new_role)
        stubber.assert_no_pending_responses()
    assert code == 0, err
    assert [line.rsplit(": ", 1)[1] for line in out[:-2]] == ["unchanged"] * 8
    assert out[-2:] == [f"Glue job {name}: updated",
                        f"deployed: 0 created, 1 updated; start a run with: aws glue start-job-run --job-name {name}"]


def test_a_new_job_without_a_role_is_refused_before_anything_is_written(lake: str, bucket: str, database: str,
                                                                        capsys) -> None:
    code, out, err = deploy(capsys, "--lake", lake)
    assert (code, out) == (1, [])
    assert err == (f"stedi: error: Glue job stedi-run-{database} does not exist yet: give the IAM role it is to run "
                   "as with --role ARN (see docs/aws.md for the permissions it needs)\n")
    assert objects(bucket) == {}
    with pytest.raises(client("glue").exceptions.EntityNotFoundException):
        client("glue").get_database(Name=database)


@pytest.mark.parametrize("where", ["local-lake", "file:///tmp/lake"])
def test_a_lake_not_in_s3_is_refused_in_one_line(where: str, tmp_path: Path, capsys) -> None:
    location = str(tmp_path / where) if "://" not in where else where
    code, out, err = deploy(capsys, "--lake", location, "--role", ROLE)
    assert (code, out) == (1, [])
    assert err == (f"stedi: error: {location}: deploy is for a lake in S3 (--lake s3://BUCKET/PREFIX); "
                   "a local lake runs with `stedi run`\n")


def test_a_missing_bucket_is_one_line(aws, capsys) -> None:
    code, out, err = deploy(capsys, "--lake", "s3://stedi-no-such-bucket-here/lake", "--role", ROLE)
    assert (code, out) == (1, [])
    assert err == "stedi: error: s3://stedi-no-such-bucket-here/lake: the bucket does not exist\n"


def test_every_option_has_help(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["aws", "deploy", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert all(option in text for option in ("--lake S3_URI", "--role ARN", "--job-name NAME", "--consent-policy",
                                              "--dry-run", "--workers N", "--worker-type TYPE",
                                              "--wheelhouse DIR", "--lifecycle"))
    with pytest.raises(SystemExit) as done:
        main(["aws", "--help"])
    assert done.value.code == 0 and "deploy" in capsys.readouterr().out


def test_a_prefix_holding_something_else_is_refused(lake: str, bucket: str, capsys) -> None:
    client("s3").put_object(Bucket=bucket, Key="stedi/notes.txt", Body=b"not a lake")
    for dry_run in ([], ["--dry-run"]):
        code, out, err = deploy(capsys, "--lake", lake, "--role", ROLE, *dry_run)
        assert (code, out) == (1, [])
        assert err == f"stedi: error: {lake}: not a STEDI lake and not empty; choose a new place for the lake\n"
    assert list(objects(bucket)) == ["stedi/notes.txt"]


def test_a_database_of_another_lake_is_refused_before_anything_is_written(lake: str, bucket: str, database: str,
                                                                          capsys) -> None:
    assert deploy(capsys, "--lake", f"s3://{bucket}/first", "--role", ROLE)[0] == 0
    before = objects(bucket)
    code, out, err = deploy(capsys, "--lake", lake, "--role", ROLE, "--job-name", "second")
    assert (code, out) == (1, [])
    *progress, error = err.splitlines()  # the build's progress lines, then the error's one line
    assert progress == ["… building the stedi wheel",
                        "… gathering the wheels the job installs (Glue 5.0: CPython 3.11, manylinux x86_64, glibc 2.34)"]
    assert error.startswith(f"stedi: error: Glue database {database} already holds the tables of lake "
                            f"s3://{bucket}/first; choose another database")
    assert objects(bucket) == before
    with pytest.raises(client("glue").exceptions.EntityNotFoundException):
        client("glue").get_job(JobName="second")


def test_a_lake_without_its_key_is_refused(lake: str, bucket: str, capsys) -> None:
    assert deploy(capsys, "--lake", lake, "--role", ROLE)[0] == 0
    client("secretsmanager").delete_secret(SecretId=secret_name(lake), ForceDeleteWithoutRecovery=True)
    code, out, err = deploy(capsys, "--lake", lake)
    assert (code, out) == (1, [])
    assert err.splitlines()[-1].startswith(f"stedi: error: {lake}: its pseudonym key is missing from AWS Secrets "
                                           "Manager")
