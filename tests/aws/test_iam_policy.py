"""The IAM policy of docs/aws.md ("IAM policy"), as written, against moto's IAM-enforcing server: every command runs
under it, and without any one statement a command that needs it fails in one line.

moto enforces a policy less exactly than AWS; what the test has to give it (`as_moto_checks`):
- moto authorizes Glue, Secrets Manager and IAM calls against the resource "*", never the ARN
  of the database, table, secret or job: those statements' Resource becomes "*" here. Their
  actions are checked; their resources are not (test_the_key_pattern_matches_this_lakes_secret_only
  checks the secret's pattern against the ARNs moto gives secrets instead).
- moto authorizes a DeleteObjects request as s3:DeleteObject on the bucket's ARN, where AWS
  checks each key (and s3:DeleteObjectVersion for a key named with its version): the statement
  granting s3:DeleteObject is given the bucket's ARN too. So moto never checks
  s3:DeleteObjectVersion for a DeleteObjects: ForgetOldVersions is proven needed by its other
  actions, and a version the bucket refuses is made by a bucket policy (forget_refused_an_old_version).
Not checked here: iam:PassRole and secretsmanager:TagResource, which moto never asks IAM
about (its Glue CreateJob takes any role; its CreateSecret checks CreateSecret alone, tags or
not); and the actions sent only on paths a working lake does not take: s3:AbortMultipartUpload
(an upload that failed), glue:UpdateDatabase (adopting an empty database), glue:DeleteTable
(rolling back a table a run created), secretsmanager:DeleteSecret (a lake that could not be made).
"""

from __future__ import annotations

import fnmatch
import json
import re
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

from stedi.aws import session
from stedi.cli.main import main
from tests.aws.iam import IamServer
from tests.conftest import customer, reading, step, write_delivery
from tests.erasure_scan import assert_no_hits, scan_bucket
from tests.moto_server import REGION

POLICY_PAGE = Path(__file__).resolve().parents[2] / "docs" / "aws.md"  # the page that prints the policy
MARKER = "<!-- tests/aws/test_iam_policy.py reads the JSON block below -->"
ACCOUNT, PREFIX, DATABASE = "123456789012", "lake", "stedi_iam"
JOB_ROLE = f"arn:aws:iam::{ACCOUNT}:role/stedi-glue"
ANN, BOB, CRAIG = "ann@iam.test", "bob@iam.test", "craig@iam.test"
CRAIG_VALUES = [CRAIG, "craig-serial-77"]

def documented_policy(**values: str) -> dict[str, Any]:
    """The policy docs/aws.md prints, its placeholders replaced by `values`."""
    text = POLICY_PAGE.read_text(encoding="utf-8")
    block = re.search(re.escape(MARKER) + r"\s*```json\n(.*?)\n```", text, re.S)
    assert block, f"{POLICY_PAGE.name}: no JSON block after {MARKER}"
    policy = block.group(1)
    for name, value in values.items():
        policy = policy.replace(name, value)
    return json.loads(policy)


def statements(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Statement"]}


def as_moto_checks(policy: dict[str, Any], bucket: str) -> dict[str, Any]:
    """The same policy in the terms moto authorizes requests by (see the module's docstring)."""
    checked = json.loads(json.dumps(policy))
    for statement in checked["Statement"]:
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        if not all(a.startswith("s3:") for a in actions):
            statement["Resource"] = "*"
            statement.pop("Condition", None)  # moto gives IAM conditions no request values
        elif "s3:DeleteObject" in actions:
            resources = [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
            statement["Resource"] = [*resources, f"arn:aws:s3:::{bucket}"]
    return checked


def without(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    return {**policy, "Statement": [s for s in policy["Statement"] if s["Sid"] != sid]}


class Lake:
    """The one lake of these tests, in a versioned bucket, and the user the documented policy is for."""

    def __init__(self, iam: IamServer, tmp: Path):
        self.iam, self.tmp = iam, tmp
        self.bucket = f"stedi-iam-{uuid.uuid4().hex[:8]}"
        self.uri = f"s3://{self.bucket}/{PREFIX}"
        s3 = iam.client("s3")
        s3.create_bucket(Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"})
        self.policy = documented_policy(BUCKET=self.bucket, PREFIX=PREFIX, REGION=REGION, ACCOUNT=ACCOUNT,
                                    DATABASE=DATABASE, JOB_NAME=f"stedi-run-{DATABASE}", JOB_ROLE_ARN=JOB_ROLE)
        self.keys = iam.user("lake-user", as_moto_checks(self.policy, self.bucket))

    def allow(self, policy: dict[str, Any]) -> None:
        self.iam.set_policy("lake-user", as_moto_checks(policy, self.bucket))

    def stedi(self, *argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
        """`stedi ARGV --lake LAKE` as the policy's user."""
        capsys.readouterr()
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("STEDI_GLUE_DATABASE", DATABASE)
            self.iam.use(mp, self.keys, self.tmp)
            try:
                code = main([*argv, "--lake", self.uri])
            finally:
                session.reset()
        out, err = capsys.readouterr()
        return code, out, err


@pytest.fixture
def lake(iam_server: IamServer, tmp_path: Path) -> Iterator[Lake]:
    yield Lake(iam_server, tmp_path)


def error_line(err: str) -> str:
    """The one error line of a failed command (progress lines start with '… ')."""
    lines = [line for line in err.splitlines() if not line.startswith("… ")]
    assert len(lines) == 1 and lines[0].startswith("stedi: error: "), err
    return lines[0].removeprefix("stedi: error: ")


def fails(lake: Lake, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = lake.stedi(*argv, capsys=capsys)
    assert code == 1, (argv, out, err)
    return error_line(err)


def erasure_report(lake: Lake) -> dict[str, Any]:
    s3 = lake.iam.client("s3")
    found = s3.list_objects_v2(Bucket=lake.bucket, Prefix=f"{PREFIX}/erasures/")["Contents"]
    (key,) = [o["Key"] for o in found if o["Key"].endswith("/report.json")]
    return json.loads(s3.get_object(Bucket=lake.bucket, Key=key)["Body"].read())


def ingest(lake: Lake, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = (ANN, BOB, CRAIG)
    delivery = write_delivery(
        tmp_path / "delivery",
        customer=[customer(p, f"{p.split('@')[0]}-serial-77", consent=100) for p in people],
        accelerometer=[reading(p, 500) for p in people],
        step_trainer=[step(f"{p.split('@')[0]}-serial-77", 500) for p in people])
    code, _, err = lake.stedi("ingest", str(delivery), capsys=capsys)
    assert code == 0, err


def forget_refused_an_old_version(lake: Lake, capsys: pytest.CaptureFixture[str]) -> None:
    """A forget that cannot delete an old version fails in one line, and so does the next writer."""
    s3 = lake.iam.client("s3")
    # AWS refuses a version's delete without s3:DeleteObjectVersion; moto checks no IAM policy for
    # it (see the docstring), but does refuse each key a bucket policy denies, with HTTP 200 and
    # the key in the answer's Errors, as AWS does.
    landing = f"{PREFIX}/customer/landing/customer-1.json"
    s3.put_bucket_policy(Bucket=lake.bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
        "Resource": f"arn:aws:s3:::{lake.bucket}/{landing}"}]}))
    try:
        line = fails(lake, ["forget", CRAIG], capsys)
        old = [v["VersionId"] for v in s3.list_object_versions(Bucket=lake.bucket, Prefix=landing)["Versions"]
               if not v["IsLatest"]]
        version_left = (f"s3://{lake.bucket}/{landing} (version {old[0]}): old version not deleted: access denied "
                        "(deleting an old version needs s3:DeleteObjectVersion on it)")
        assert line.startswith("erasure ") and version_left in line and "is not finished" in line, line
        # The report does not claim what the bucket refused; the old version still holds him.
        report = erasure_report(lake)
        assert report["finished"] is False and report["old_versions_left"] == 1
        assert scan_bucket(s3, lake.bucket, f"{PREFIX}/", CRAIG_VALUES)
        # The next writer, whichever command, finishes the erasure first: it stops on the same version.
        line = fails(lake, ["run"], capsys)
        assert line.startswith("erasure ") and "cannot be finished" in line and version_left in line, line
    finally:
        s3.delete_bucket_policy(Bucket=lake.bucket)


def next_writer_without_forget_old_versions(lake: Lake, capsys: pytest.CaptureFixture[str]) -> None:
    lake.allow(without(lake.policy, "ForgetOldVersions"))
    try:
        line = fails(lake, ["run"], capsys)
    finally:
        lake.allow(lake.policy)
    assert line.endswith(f"{lake.uri}: cannot tell whether the bucket keeps old versions: access denied "
                         f"(needs s3:GetBucketVersioning on arn:aws:s3:::{lake.bucket})"), line


def every_command(lake: Lake, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = lake.stedi("run", capsys=capsys)  # finishes the erasure first, then runs
    assert code == 0 and "finishing erasure" in err, err
    report = erasure_report(lake)
    assert report["finished"] is True and report["old_versions_left"] == 0
    assert_no_hits(scan_bucket(lake.iam.client("s3"), lake.bucket, f"{PREFIX}/", CRAIG_VALUES))
    code, out, err = lake.stedi("query", "SELECT count(*) AS n FROM customer_trusted", "--format", "csv",
                                capsys=capsys)
    assert (code, out) == (0, "n\n2\n"), err
    for argv in (["tables"], ["maintain"], ["report", "--out", str(tmp_path / "report.html")],
                 ["aws", "deploy", "--role", JOB_ROLE]):
        code, _, err = lake.stedi(*argv, capsys=capsys)
        assert code == 0, (argv, err)


# The cheapest command that needs each statement, and what its one line says.
NEEDED_BY = {
    "LakeObjects": (["tables"], "access denied"),
    "LakeListing": (["tables"], "access denied"),
    "GlueCatalog": (["run"], "access denied"),
    "PseudonymKey": (["aws", "deploy", "--role", JOB_ROLE], "access denied"),
    "DeployGlueJob": (["aws", "deploy", "--role", JOB_ROLE], "access denied"),
}
NOT_ENFORCED_BY_MOTO = {"PassJobRole": "moto's Glue CreateJob never asks IAM about iam:PassRole"}
CHECKED_ON_ITS_OWN = {"ForgetOldVersions": "next_writer_without_forget_old_versions"}


def test_every_statement_of_the_readme_is_checked() -> None:
    sids = set(statements(documented_policy()))
    assert sids == set(NEEDED_BY) | set(NOT_ENFORCED_BY_MOTO) | set(CHECKED_ON_ITS_OWN)


def without_each_statement(lake: Lake, capsys: pytest.CaptureFixture[str]) -> None:
    for sid, (argv, said) in NEEDED_BY.items():
        lake.allow(without(lake.policy, sid))
        try:
            line = fails(lake, argv, capsys)
        finally:
            lake.allow(lake.policy)
        assert said in line, (sid, line)


def test_the_policy_lets_every_command_run_and_each_statement_is_needed(lake: Lake, tmp_path: Path,
                                                                         capsys) -> None:  # type: ignore[no-untyped-def]
    """One lake, one story (each step needs the one before): a lake made under the policy; a
    forget in its versioned bucket that cannot delete an old version; the next writer without
    ForgetOldVersions; every command; then each statement taken away in turn."""
    ingest(lake, tmp_path, capsys)
    forget_refused_an_old_version(lake, capsys)
    next_writer_without_forget_old_versions(lake, capsys)
    every_command(lake, tmp_path, capsys)
    without_each_statement(lake, capsys)


def test_the_key_pattern_matches_this_lakes_secret_only(aws) -> None:  # type: ignore[no-untyped-def]
    """moto checks no secret's ARN against a policy (see the docstring): the pattern is matched
    here, as IAM matches it (* and ? as wildcards), against the ARNs moto gives real secrets."""
    from stedi.aws.secrets import secret_name

    import boto3

    bucket, secrets = f"stedi-iam-{uuid.uuid4().hex[:8]}", boto3.client("secretsmanager", region_name=REGION)
    arn = {prefix: secrets.create_secret(Name=secret_name(f"s3://{bucket}/{prefix}"), SecretString="x")["ARN"]
           for prefix in (PREFIX, f"{PREFIX}-archive", f"{PREFIX}/inner")}
    pattern = statements(documented_policy(BUCKET=bucket, PREFIX=PREFIX, REGION=REGION, ACCOUNT=ACCOUNT))[
        "PseudonymKey"]["Resource"]
    assert [p for p, a in arn.items() if fnmatch.fnmatchcase(a, pattern)] == [PREFIX]
    assert fnmatch.fnmatchcase(arn[f"{PREFIX}-archive"], pattern.replace("-??????", "-*"))  # what `-*` allowed
