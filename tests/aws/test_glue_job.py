"""The Glue job's definition and its create-or-update, with botocore's Stubber on the Glue
client (moto 5.2.5 does not implement UpdateJob): an existing job is updated in place, only
where it differs, keeping every setting the command does not own."""

from __future__ import annotations

import datetime
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from stedi.deploy.glue_job import WORKER_TYPES, JobSpec, check_size, default_job_name, find_job, job_update, sync_job
from stedi.errors import StediError, UsageError

ROLE = "arn:aws:iam::123456789012:role/stedi-glue"
SPEC = JobSpec(name="stedi-run-stedi", role=None, script="s3://b/lake/deploy/spark_run.py",
               modules="s3://b/lake/deploy/stedi-0.1.0.gluewheels.zip", lake="s3://b/lake",
               consent_policy="strict", glue_database="stedi")
ARGUMENTS = {"--lake": "s3://b/lake", "--consent-policy": "strict", "--glue-database": "stedi",
             "--additional-python-modules": "s3://b/lake/deploy/stedi-0.1.0.gluewheels.zip",
             "--python-modules-installer-option": "--no-index", "--job-language": "python"}


@pytest.fixture
def glue():
    client = boto3.client("glue", region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()  # every expected call was made, no other


def deployed(**changes: Any) -> dict[str, Any]:
    """A job as GetJob answers for one `stedi aws deploy` made, then changed by hand in the console."""
    job = {"Name": SPEC.name, "Role": ROLE, "Description": SPEC.definition()["Description"],
           "CreatedOn": datetime.datetime(2026, 1, 1), "LastModifiedOn": datetime.datetime(2026, 1, 2),
           "ExecutionProperty": {"MaxConcurrentRuns": 1},
           "Command": {"Name": "glueetl", "ScriptLocation": SPEC.script, "PythonVersion": "3"},
           "DefaultArguments": dict(ARGUMENTS), "MaxRetries": 0, "AllocatedCapacity": 2, "MaxCapacity": 2.0,
           "Timeout": 2880, "WorkerType": "G.1X", "NumberOfWorkers": 2, "GlueVersion": "5.0",
           "ExecutionClass": "STANDARD"}
    job.update(changes)
    return job


def test_the_definition() -> None:
    assert default_job_name("stedi_prod") == "stedi-run-stedi_prod"
    definition = replace(SPEC, role=ROLE).for_new_job().definition()
    assert definition == {
        "Description": "Runs the STEDI pipeline with Spark on the lake at s3://b/lake (made by stedi aws deploy)",
        "Command": {"Name": "glueetl", "ScriptLocation": SPEC.script, "PythonVersion": "3"},
        "GlueVersion": "5.0", "WorkerType": "G.1X", "NumberOfWorkers": 2, "DefaultArguments": ARGUMENTS,
        "Role": ROLE}
    # No role or size given: an existing job keeps its own.
    assert not {"Role", "WorkerType", "NumberOfWorkers"} & set(SPEC.definition())
    sized = replace(SPEC, worker_type="G.2X", workers=5)
    assert (sized.definition()["WorkerType"], sized.definition()["NumberOfWorkers"]) == ("G.2X", 5)
    assert sized.for_new_job().definition() == {**sized.definition()}


def test_glue_5_sizes_and_nothing_else_are_taken() -> None:
    for worker_type in WORKER_TYPES:
        check_size(2, worker_type)
    check_size(None, None)
    check_size(100, "G.1X")
    refusals = {
        (2, "G.025X"): "--worker-type G.025X: a Glue 5.0 Spark job takes G.1X, G.2X, G.4X, G.8X, G.12X, G.16X, "
                       "R.1X, R.2X, R.4X, R.8X (G.025X is for streaming jobs)",
        (2, "g.1x"): "--worker-type g.1x: a Glue 5.0 Spark job takes G.1X, G.2X, G.4X, G.8X, G.12X, G.16X, "
                     "R.1X, R.2X, R.4X, R.8X",
        (2, "Standard"): "--worker-type Standard: a Glue 5.0 Spark job takes G.1X, G.2X, G.4X, G.8X, G.12X, G.16X, "
                         "R.1X, R.2X, R.4X, R.8X",
        (1, "G.1X"): "--workers 1: a Glue Spark job needs at least 2 workers (one runs the driver)",
        (0, None): "--workers 0: a Glue Spark job needs at least 2 workers (one runs the driver)",
    }
    for (workers, worker_type), message in refusals.items():
        with pytest.raises(UsageError) as refused:
            check_size(workers, worker_type)
        assert str(refused.value) == message


def test_a_new_job_is_created(glue) -> None:
    client, stubber = glue
    stubber.add_client_error("get_job", "EntityNotFoundException", "Job stedi-run-stedi not found.",
                             expected_params={"JobName": SPEC.name})
    spec = replace(SPEC, role=ROLE)
    stubber.add_response("create_job", {"Name": SPEC.name},
                         {"Name": SPEC.name, **spec.definition(), "WorkerType": "G.1X", "NumberOfWorkers": 2})
    assert find_job(client, SPEC.name) is None
    assert sync_job(client, spec, None) == "created"


def test_a_new_job_needs_a_role(glue) -> None:
    client, _ = glue
    with pytest.raises(StediError) as refused:
        sync_job(client, SPEC, None)
    assert str(refused.value) == ("Glue job stedi-run-stedi does not exist yet: give the IAM role it is to run as "
                                  "with --role ARN (see docs/aws.md for the permissions it needs)")


def test_a_new_role_updates_the_job_in_place_keeping_its_other_settings(glue) -> None:
    client, stubber = glue
    existing = deployed(Timeout=60, MaxRetries=2, DefaultArguments={**ARGUMENTS, "--enable-metrics": "true"})
    new_role = "arn:aws:iam::123456789012:role/other"
    expected = {
        "Role": new_role, "Description": existing["Description"], "ExecutionProperty": {"MaxConcurrentRuns": 1},
        "Command": existing["Command"], "DefaultArguments": {**ARGUMENTS, "--enable-metrics": "true"},
        "MaxRetries": 2, "Timeout": 60, "WorkerType": "G.1X", "NumberOfWorkers": 2, "GlueVersion": "5.0",
        "ExecutionClass": "STANDARD",  # no AllocatedCapacity or MaxCapacity: Glue refuses them beside WorkerType
    }
    stubber.add_response("get_job", {"Job": existing}, {"JobName": SPEC.name})
    stubber.add_response("update_job", {"JobName": SPEC.name}, {"JobName": SPEC.name, "JobUpdate": expected})
    found = find_job(client, SPEC.name)
    assert sync_job(client, replace(SPEC, role=new_role), found) == "updated"


def test_what_the_command_owns_is_put_back(glue) -> None:
    client, stubber = glue
    # A job as an older deploy left it: the wheel alone, its dependencies from PyPI at each start.
    older = {**ARGUMENTS, "--additional-python-modules": "s3://b/lake/deploy/stedi-0.1.0-py3-none-any.whl"}
    del older["--python-modules-installer-option"]
    existing = deployed(GlueVersion="4.0", NumberOfWorkers=10,
                        Command={"Name": "glueetl", "ScriptLocation": "s3://old/x.py", "PythonVersion": "3"},
                        DefaultArguments={**older, "--consent-policy": "any-time", "--TempDir": "s3://t/"})
    update = job_update(client, existing, SPEC)
    assert update is not None and update["Role"] == ROLE  # no --role: the job's own
    assert (update["GlueVersion"], update["Command"]["ScriptLocation"]) == ("5.0", SPEC.script)
    assert (update["WorkerType"], update["NumberOfWorkers"]) == ("G.1X", 10)  # no size given: the job's own
    assert update["DefaultArguments"] == {**ARGUMENTS, "--TempDir": "s3://t/"}
    stubber.add_response("update_job", {"JobName": SPEC.name}, {"JobName": SPEC.name, "JobUpdate": update})
    assert sync_job(client, SPEC, existing) == "updated"


def test_a_size_given_resizes_the_job(glue) -> None:
    client, stubber = glue
    existing = deployed(NumberOfWorkers=10)
    resized = replace(SPEC, worker_type="G.2X", workers=5)
    update = job_update(client, existing, resized)
    assert update is not None and (update["WorkerType"], update["NumberOfWorkers"]) == ("G.2X", 5)
    assert job_update(client, existing, replace(SPEC, workers=10)) is None  # the size it has: nothing to do
    stubber.add_response("update_job", {"JobName": SPEC.name}, {"JobName": SPEC.name, "JobUpdate": update})
    assert sync_job(client, resized, existing) == "updated"


def test_a_job_as_deployed_is_left_alone(glue) -> None:
    client, _ = glue  # no call queued: any call would fail the test
    existing = deployed(DefaultArguments={**ARGUMENTS, "--enable-metrics": "true"}, Timeout=60)
    assert sync_job(client, SPEC, existing) == "unchanged"
    assert sync_job(client, replace(SPEC, role=ROLE), existing) == "unchanged"


def test_a_dry_run_says_updated_and_calls_nothing(glue) -> None:
    client, _ = glue
    assert sync_job(client, SPEC, deployed(GlueVersion="4.0"), dry_run=True) == "updated"
    assert sync_job(client, replace(SPEC, role=ROLE), None, dry_run=True) == "created"


def test_glue_refusals_are_one_line(glue) -> None:
    client, stubber = glue
    stubber.add_client_error("get_job", "AccessDeniedException", "User: x is not authorized", http_status_code=400)
    with pytest.raises(StediError) as refused:
        find_job(client, SPEC.name)
    assert str(refused.value) == "Glue job stedi-run-stedi: access denied (the credentials lack permission for this)"
