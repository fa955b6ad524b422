"""Bad AWS input through the `stedi` command, against a moto server that checks signatures
and IAM policies: a bucket that does not exist, wrong credentials, no permission on the
prefix, an S3 URI without a usable bucket, no credentials, no region. Each is one line on
stderr and exit 1, never shows a secret, and leaves nothing behind: no object under the
lake's prefix, no Secrets Manager secret, no Glue database."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterator

import boto3
import pytest

from stedi.aws import session
from stedi.aws.secrets import secret_name
from stedi.cli.main import main
from stedi.store.glue_catalog import LAKE_PARAMETER
from tests.conftest import STARTER, customer, reading, step, write_delivery
from tests.moto_server import REGION, MotoServer

BUCKET = "stedi-auth"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
LAKE = f"s3://{BUCKET}/lake"  # made by the admin; outside what the prefix user may touch
NEW = f"s3://{BUCKET}/new"  # where a failed ingest must leave nothing
MISSING = "s3://stedi-no-such-bucket/lake"
CHECK_CREDENTIALS = "(check your credentials)"
DENIED = "access denied (the credentials lack permission for this prefix)"

# Each user's one inline policy: (actions, resource) pairs, all allowed.
USERS = {
    "admin": [("*", "*")],
    # S3 only under allowed/; Glue and Secrets Manager anywhere, so a refusal can only be S3's.
    # Listing is allowed bucket-wide: moto does not evaluate s3:prefix conditions.
    "prefix_user": [(["s3:ListBucket", "s3:HeadBucket"], BUCKET_ARN), ("s3:*", f"{BUCKET_ARN}/allowed/*"),
                    (["glue:*", "secretsmanager:*"], "*")],
    # Reads anywhere in the bucket, writes nowhere.
    "reader": [(["s3:ListBucket", "s3:HeadBucket"], BUCKET_ARN), ("s3:GetObject", f"{BUCKET_ARN}/*"),
               (["glue:*", "secretsmanager:*"], "*")],
}


def policy(statements: list[tuple[Any, str]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": resource} for actions, resource in statements]})


@pytest.fixture(scope="module")
def moto_iam() -> Iterator[SimpleNamespace]:
    """A moto server of its own (the session's accepts any key): a bucket and IAM users are
    made while it still takes anything, then every request must carry a user's valid key."""
    server = MotoServer.start()
    try:
        setup = {"region_name": REGION, "endpoint_url": server.endpoint,
                 "aws_access_key_id": "setup", "aws_secret_access_key": "setup"}
        boto3.client("s3", **setup).create_bucket(Bucket=BUCKET,
                                                  CreateBucketConfiguration={"LocationConstraint": REGION})
        iam, keys = boto3.client("iam", **setup), {}
        for user, statements in USERS.items():
            iam.create_user(UserName=user)
            iam.put_user_policy(UserName=user, PolicyName="stedi-test", PolicyDocument=policy(statements))
            key = iam.create_access_key(UserName=user)["AccessKey"]
            keys[user] = (key["AccessKeyId"], key["SecretAccessKey"])
        server.require_auth()
        yield SimpleNamespace(server=server, keys=keys)
    finally:
        server.stop()


def admin(moto_iam: SimpleNamespace, service: str) -> Any:
    """A client that sees everything: how the tests look for what a failed command left."""
    key, secret = moto_iam.keys["admin"]
    return boto3.client(service, region_name=REGION, endpoint_url=moto_iam.server.endpoint,
                        aws_access_key_id=key, aws_secret_access_key=secret)


def point_aws(mp: pytest.MonkeyPatch, endpoint: str, keys: tuple[str, str] | None, region: str | None,
              folder: Path) -> None:
    """Only what a user would set: no other AWS_* variable, empty AWS config files."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        mp.delenv(name)
    empty = folder / "empty-aws-file"
    empty.write_text("")
    mp.setenv("AWS_CONFIG_FILE", str(empty))
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance role to wait a second for
    mp.setenv("AWS_ENDPOINT_URL", endpoint)
    if region:
        mp.setenv("AWS_REGION", region)
    if keys:
        mp.setenv("AWS_ACCESS_KEY_ID", keys[0])
        mp.setenv("AWS_SECRET_ACCESS_KEY", keys[1])
    session.reset()  # boto3 resolves credentials once per session


@pytest.fixture
def use(moto_iam: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[..., None]]:
    def use(keys: tuple[str, str] | None, region: str | None = REGION) -> None:
        point_aws(monkeypatch, moto_iam.server.endpoint, keys, region, tmp_path)
    yield use
    session.reset()


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_delivery(tmp_path_factory.mktemp("delivery"), customer=[customer("a@x.com", "s1", consent=100)],
                          accelerometer=[reading("a@x.com", 500, 1.5)], step_trainer=[step("s1", 500, 7)])


@pytest.fixture(scope="module")
def admin_lake(moto_iam: SimpleNamespace, delivery: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A lake that exists, for the commands that read one."""
    with pytest.MonkeyPatch.context() as mp:
        point_aws(mp, moto_iam.server.endpoint, moto_iam.keys["admin"], REGION, tmp_path_factory.mktemp("aws"))
        assert main(["ingest", str(delivery), "--lake", LAKE]) == 0
    session.reset()
    return LAKE


def command(name: str, delivery: Path) -> list[str]:
    return {"ingest": ["ingest", str(delivery)], "run": ["run"], "tables": ["tables"],
            "query": ["query", "SELECT count(*) FROM customer_landing"]}[name]


def stedi(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    assert err.startswith("stedi: error: ") and err.endswith("\n") and err.count("\n") == 1, err
    return err.removeprefix("stedi: error: ").removesuffix("\n")


def assert_nothing_created(moto_iam: SimpleNamespace, lake: str) -> None:
    bucket, _, prefix = lake.removeprefix("s3://").partition("/")
    secrets = admin(moto_iam, "secretsmanager").list_secrets()["SecretList"]
    assert secret_name(lake) not in [s["Name"] for s in secrets]
    databases = admin(moto_iam, "glue").get_databases()["DatabaseList"]
    assert lake not in [d.get("Parameters", {}).get(LAKE_PARAMETER) for d in databases]
    if bucket == BUCKET:
        assert admin(moto_iam, "s3").list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/")["KeyCount"] == 0


# -- a bucket that does not exist ----------------------------------------------------------

@pytest.mark.parametrize("name", ["ingest", "run", "query", "tables"])
def test_a_bucket_that_does_not_exist(name: str, use, moto_iam, delivery, capsys) -> None:
    use(moto_iam.keys["admin"])
    code, out, err = stedi([*command(name, delivery), "--lake", MISSING], capsys)
    assert (code, out) == (1, "")
    assert one_line(err) == f"{MISSING}: the bucket does not exist"
    assert_nothing_created(moto_iam, MISSING)


# -- wrong credentials ---------------------------------------------------------------------

WRONG = {  # what a user got wrong: the keys they set, and what stedi must say
    "made-up key": (lambda valid: ("AKIAMADEUPKEY0000000", "made-up-secret-Xy7Qp2Lm9Rt4Vw1Zs8Kd"),
                    "the AWS access key is not valid"),
    "wrong secret": (lambda valid: (valid[0], "wrong-secret-Pq3Ld8Nf2Xs7Wk1Rm5Tz"),
                     "the AWS secret key does not match the access key"),
}


@pytest.mark.parametrize("case", WRONG)
@pytest.mark.parametrize("name", ["ingest", "run", "query", "tables"])
def test_wrong_credentials(case: str, name: str, use, moto_iam, delivery, admin_lake, capsys) -> None:
    keys_of, reason = WRONG[case]
    keys = keys_of(moto_iam.keys["admin"])
    lake = NEW if name == "ingest" else admin_lake
    use(keys)
    code, out, err = stedi([*command(name, delivery), "--lake", lake], capsys)
    assert (code, out) == (1, "")
    assert one_line(err) == f"{lake}: {reason} {CHECK_CREDENTIALS}"
    assert keys[1] not in err  # the secret never shows, not even the wrong one
    assert_nothing_created(moto_iam, NEW)


# -- no permission on the prefix -----------------------------------------------------------

@pytest.mark.skipif(not STARTER.is_dir(), reason="starter data not present at ../shared/data/stedi")
def test_ingest_into_a_forbidden_prefix_leaves_nothing(use, moto_iam, capsys) -> None:
    lake = f"s3://{BUCKET}/forbidden"
    use(moto_iam.keys["prefix_user"])
    code, out, err = stedi(["ingest", str(STARTER), "--lake", lake], capsys)
    assert (code, out) == (1, "")
    assert one_line(err) == f"{lake}/stedi.toml: {DENIED}"
    assert_nothing_created(moto_iam, lake)  # the key's secret and the Glue database come after S3


@pytest.mark.parametrize("name", ["run", "query", "tables"])
def test_reading_a_lake_outside_the_allowed_prefix(name: str, use, moto_iam, delivery, admin_lake, capsys) -> None:
    use(moto_iam.keys["prefix_user"])
    code, out, err = stedi([*command(name, delivery), "--lake", admin_lake], capsys)
    assert (code, out) == (1, "")
    assert one_line(err) == f"{admin_lake}/stedi.toml: {DENIED}"


def test_the_same_user_may_use_the_allowed_prefix(use, moto_iam, delivery, monkeypatch, capsys) -> None:
    """The refusals above are the prefix's, not a policy that refuses everything."""
    lake = f"s3://{BUCKET}/allowed/lake"
    monkeypatch.setenv("STEDI_GLUE_DATABASE", "allowed_lake")  # `stedi` is the admin lake's
    use(moto_iam.keys["prefix_user"])
    assert stedi(["ingest", str(delivery), "--lake", lake], capsys)[0] == 0
    code, out, err = stedi(["tables", "--lake", lake], capsys)
    assert (code, err) == (0, "") and "customer_landing" in out


def test_ingest_with_read_only_access_leaves_nothing(use, moto_iam, delivery, capsys) -> None:
    lake = f"s3://{BUCKET}/read-only"
    use(moto_iam.keys["reader"])
    code, out, err = stedi(["ingest", str(delivery), "--lake", lake], capsys)
    assert (code, out) == (1, "")
    # The lock is the first write: it fails before a key or a Glue database exists.
    assert one_line(err).startswith(f"{lake}: cannot take the writer lock: access denied")
    assert_nothing_created(moto_iam, lake)


# -- an S3 URI without a usable bucket -----------------------------------------------------

@pytest.mark.parametrize("uri, reason", [
    ("s3://", "an S3 location needs a bucket: s3://BUCKET/PREFIX"),
    ("s3:///prefix", "an S3 location needs a bucket: s3://BUCKET/PREFIX"),
    ("s3://Bad_Bucket/x", "'Bad_Bucket' is not a valid S3 bucket name (3-63 lowercase letters, digits, "
                          "dots and hyphens)"),
])
@pytest.mark.parametrize("name", ["ingest", "tables"])
def test_an_s3_uri_without_a_usable_bucket(uri: str, reason: str, name: str, use, moto_iam, delivery,
                                           capsys) -> None:
    use(moto_iam.keys["admin"])
    code, out, err = stedi([*command(name, delivery), "--lake", uri], capsys)
    assert (code, out) == (1, "")
    assert one_line(err) == f"{uri}: {reason}"


# -- no credentials, no region -------------------------------------------------------------

@pytest.mark.parametrize("name", ["ingest", "tables"])
def test_no_credentials_at_all(name: str, use, moto_iam, delivery, admin_lake, capsys) -> None:
    lake = NEW if name == "ingest" else admin_lake
    use(None)
    code, out, err = stedi([*command(name, delivery), "--lake", lake], capsys)
    assert (code, out) == (1, "")
    assert one_line(err).startswith(f"{lake}: no AWS credentials found (set AWS_ACCESS_KEY_ID")
    assert_nothing_created(moto_iam, NEW)


@pytest.mark.parametrize("name", ["ingest", "tables"])
def test_no_region(name: str, use, moto_iam, delivery, admin_lake, capsys) -> None:
    lake = NEW if name == "ingest" else admin_lake
    use(moto_iam.keys["admin"], region=None)
    code, out, err = stedi([*command(name, delivery), "--lake", lake], capsys)
    assert (code, out) == (1, "")
    assert one_line(err) == "no AWS region: set AWS_REGION (or a region in your AWS profile)"
    assert moto_iam.keys["admin"][1] not in err
    assert_nothing_created(moto_iam, NEW)
