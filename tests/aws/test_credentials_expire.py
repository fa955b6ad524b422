"""A run and a forget that outlast their credentials: held at a progress line while the key they
started with is replaced and deleted on moto's IAM-enforcing server (as an SSO session or an
assumed role ends after an hour), they go on and commit with the new key.

The credentials come the way expiring ones do: a profile's `credential_process` whose answer
carries an Expiration. It expires within botocore's mandatory refresh window, so every use asks
again, and a copy kept anywhere (DuckDB's secret, pyarrow's filesystem, pyiceberg's properties,
a boto3 client) signs with a deleted key unless it is renewed before it is used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from stedi import Lakehouse
from stedi.aws import session
from tests.aws.iam import ALLOW_ALL, IamServer
from tests.commit.lake_checks import journal_left
from tests.conftest import customer, reading, step, write_delivery
from tests.moto_server import REGION, new_bucket_name

ROOT = Path(__file__).resolve().parents[2]
ANN, BOB = "ann@expire.test", "bob@expire.test"


class RotatingKey:
    """An IAM user whose current key is what the profile's credential_process hands out."""

    def __init__(self, iam: IamServer, folder: Path, name: str) -> None:
        self.iam, self.name, self.answer = iam, name, folder / "credentials.json"
        iam.user(name, ALLOW_ALL)
        self.key_id = iam.users[name][0]
        self._hand_out(*iam.users[name])
        self.config = folder / "aws-config"
        self.config.write_text(f"[default]\ncredential_process = cat {self.answer}\nregion = {REGION}\n")
        (folder / "empty").write_text("")
        self.environment = {"AWS_CONFIG_FILE": str(self.config), "AWS_SHARED_CREDENTIALS_FILE": str(folder / "empty"),
                            "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": iam.server.endpoint,
                            "AWS_REGION": REGION, "STEDI_AWS_RETRY_WAITS": "short"}

    def _hand_out(self, key_id: str, secret: str) -> None:
        # Five minutes left: inside botocore's mandatory refresh window, so every use asks again.
        expires = datetime.now(timezone.utc) + timedelta(minutes=5)
        self.answer.write_text(json.dumps({"Version": 1, "AccessKeyId": key_id, "SecretAccessKey": secret,
                                           "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}))

    def rotate(self) -> None:
        """A new key handed out, the old one deleted: whoever still signs with it is refused."""
        iam = self.iam.client("iam")
        new = iam.create_access_key(UserName=self.name)["AccessKey"]
        self._hand_out(new["AccessKeyId"], new["SecretAccessKey"])
        iam.delete_access_key(UserName=self.name, AccessKeyId=self.key_id)
        self.key_id = new["AccessKeyId"]


def held_command(args: list[str], env: dict[str, str], line: str, then: Any) -> tuple[int, list[str]]:
    """`stedi ARGS`, each progress line held until let go; `then()` runs once it printed `line`."""
    go_read, go = os.pipe()
    proc = subprocess.Popen([sys.executable, "-m", "tests.commit.paused_cli", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**env, "PYTHONUNBUFFERED": "1", "STEDI_TEST_GO_FD": str(go_read)},
                            pass_fds=(go_read,))
    os.close(go_read)
    said, seen = [], False
    assert proc.stderr is not None
    try:
        for text in proc.stderr:
            said.append(text.rstrip("\n"))
            if line in text and not seen:
                seen = True
                then()
            os.write(go, b"x")
    except BrokenPipeError:
        pass
    finally:
        os.close(go)
    code = proc.wait(timeout=120)
    assert seen, f"`stedi {' '.join(args)}` never printed {line!r}: {said}"
    return code, said


@pytest.fixture
def expiring(iam_server: IamServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RotatingKey:
    key = RotatingKey(iam_server, tmp_path, f"expiring-{tmp_path.name[-12:]}")
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in key.environment.items():
        monkeypatch.setenv(name, value)
    session.reset()
    return key


def test_a_run_and_a_forget_outlasting_their_credentials_commit(
        expiring: RotatingKey, iam_server: IamServer, tmp_path: Path) -> None:
    bucket = new_bucket_name()
    iam_server.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    lake = f"s3://{bucket}/lake"
    house = Lakehouse(lake, create=True)
    write_delivery(tmp_path / "delivery",
                   customer=[customer(ANN, "sn-ann", consent=100), customer(BOB, "sn-bob", consent=100)],
                   accelerometer=[reading(ANN, 500), reading(BOB, 500)],
                   step_trainer=[step("sn-ann", 500), step("sn-bob", 500)])
    house.ingest(tmp_path / "delivery")
    env = dict(os.environ)

    # The key the run started with is deleted as it builds (DuckDB has read landing with it),
    # and the next one as it audits, before it commits.
    code, said = held_command(["run", "--lake", lake], env, "building customer_trusted", expiring.rotate)
    assert code == 0, said[-3:]
    code, said = held_command(["run", "--lake", lake, "--full"], env, "auditing privacy", expiring.rotate)
    assert code == 0, said[-3:]

    session.reset()
    house = Lakehouse(lake)
    assert house.lake.state().run_id in "\n".join(said)  # type: ignore[union-attr]
    assert _emails(house) == [ANN, BOB]
    assert house.query("SELECT count(*) AS n FROM machine_learning_curated").to_pylist() == [{"n": 2}]

    # A forget whose key is deleted while it rewrites landing.
    code, said = held_command(["forget", "--lake", lake, ANN], env, "forget: scanning", expiring.rotate)
    assert code == 0, said[-3:]
    session.reset()
    house = Lakehouse(lake)
    assert _emails(house) == [BOB]
    assert not journal_left(house) and not house.lake.storage.exists(".lock")


def _emails(house: Lakehouse) -> list[str]:
    rows = house.query("SELECT email FROM customer_trusted ORDER BY email").to_pylist()
    return [row["email"] for row in rows]
