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

from stedi.aws.glue_job import JobSpec, default_job_name, find_job, job_update, sync_job
from stedi.errors import StediError

ROLE = "arn:aws:iam::123456789012:role/stedi-glue"
SPEC = JobSpec(name="stedi-run-stedi", role=None, script="s3://b/lake/deploy/spark_run.py",
               wheel="s3://b/lake/deploy/stedi-0.1.0-py3-none-any.whl", lake="s3://b/lake",
               consent_policy="strict", glue_database="stedi")
ARGUMENTS = {"--lake": "s3://b/lake", "--consent-policy": "strict", "--glue-database": "stedi",
             "--additional-python-modules": "s3://b/lake/deploy/stedi-0.1.0-py3-none-any.whl",
             "--job-language": "python"}


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
    definition = replace(SPEC, role=ROLE).definition()
    assert definition == {
        "Description": "Runs the STEDI pipeline with Spark on the lake at s3://b/lake (made by stedi aws deploy)",
        "Command": {"Name": "glueetl", "ScriptLocation": SPEC.script, "PythonVersion": "3"},
        "GlueVersion": "5.0", "WorkerType": "G.1X", "NumberOfWorkers": 2, "DefaultArguments": ARGUMENTS,
        "Role": ROLE}
    assert "Role" not in SPEC.definition()  # no role given: the job keeps its own


def test_a_new_job_is_created(glue) -> None:
    client, stubber = glue
    stubber.add_client_error("get_job", "EntityNotFoundException", "Job stedi-run-stedi not found.",
                             expected_params={"JobName": SPEC.name})
    spec = replace(SPEC, role=ROLE)
    stubber.add_response("create_job", {"Name": SPEC.name}, {"Name": SPEC.name, **spec.definition()})
    assert find_job(client, SPEC.name) is None
    assert sync_job(client, spec, None) == "created"


def test_a_new_job_needs_a_role(glue) -> None:
    client, _ = glue
    with pytest.raises(StediError) as refused:
        sync_job(client, SPEC, None)
    assert str(refused.value) == ("Glue job stedi-run-stedi does not exist yet: give the IAM role it is to run as "
                                  "with --role ARN (see the README for the permissions it needs)")


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
    existing = deployed(GlueVersion="4.0", NumberOfWorkers=10,
                        Command={"Name": "glueetl", "ScriptLocation": "s3://old/x.py", "PythonVersion": "3"},
                        DefaultArguments={**ARGUMENTS, "--consent-policy": "any-time", "--TempDir": "s3://t/"})
    update = job_update(client, existing, SPEC)
    assert update is not None and update["Role"] == ROLE  # no --role: the job's own
    assert (update["GlueVersion"], update["NumberOfWorkers"], update["Command"]["ScriptLocation"]) == (
        "5.0", 2, SPEC.script)
    assert update["DefaultArguments"] == {**ARGUMENTS, "--TempDir": "s3://t/"}
    stubber.add_response("update_job", {"JobName": SPEC.name}, {"JobName": SPEC.name, "JobUpdate": update})
    assert sync_job(client, SPEC, existing) == "updated"


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
