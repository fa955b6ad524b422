"""moto's server as the S3, Glue and Secrets Manager endpoint of the tests: started on
127.0.0.1 on a free port by the tests themselves, stopped after."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

# Fake credentials the tests hand to the standard AWS chain (moto accepts any); scanned for
# in every object of a bucket to prove no credential is ever written there.
ACCESS_KEY = "AKIASTEDITESTKEY0001"
SECRET_KEY = "stedi-test-secret-Zq8vW3nR5tY7uI9oP1aS"
REGION = "eu-west-1"
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class MotoServer:
    endpoint: str
    process: subprocess.Popen

    @classmethod
    def start(cls, env: dict[str, str] | None = None) -> "MotoServer":
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.moto_server", "-H", "127.0.0.1", "-p", str(port)], cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})},
        )
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    raise RuntimeError(f"moto server did not start on {endpoint}")
                time.sleep(0.1)
        return cls(endpoint, process)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def require_auth(self) -> None:
        """From now on every request must be signed with the key of an IAM user made on this
        server, and is allowed only by that user's IAM policies (moto's IAM simulation)."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset-auth", data=b"0", method="POST",
                                         headers={"Content-Type": "text/plain"})  # as a form, moto reads no body
        urllib.request.urlopen(request, timeout=5).close()

    def environment(self) -> dict[str, str]:
        """What a user sets to point the standard AWS chain at this server."""
        return {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_REGION": REGION,
                "AWS_ENDPOINT_URL": self.endpoint}


def new_bucket_name() -> str:
    return f"stedi-test-{uuid.uuid4().hex[:12]}"


def new_bucket() -> str:
    """A new, empty bucket on the server the environment points at."""
    import boto3

    name = new_bucket_name()
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


# The developer's AWS setup that must not leak into a test.
AWS_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION",
                 "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_GLUE", "AWS_ENDPOINT_URL_SECRETS_MANAGER")


@contextmanager
def aws_environment(server: MotoServer, scratch: Path) -> Iterator[None]:
    """The standard AWS variables pointing at `server`, nothing else of the developer's."""
    from stedi.aws import session

    with pytest.MonkeyPatch.context() as env:
        for name in AWS_VARIABLES:
            env.delenv(name, raising=False)
        env.setenv("AWS_CONFIG_FILE", str(scratch / "no-aws-config"))
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", str(scratch / "no-aws-credentials"))
        for name, value in server.environment().items():
            env.setenv(name, value)
        session.reset()
        try:
            yield
        finally:
            session.reset()


def serve(argv: list[str]) -> None:
    """moto's server (`python -m moto.server ARGV`) without two costs of every request that tell
    the tests nothing: moto lists its own package folder and stats each of its ~170 entries to
    find a request's service (twice a request: a fifth of its CPU time in the tests; the folder
    does not change while it runs), and logs each request (to /dev/null here)."""
    import logging

    from moto import backends, server

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # its errors still go to stderr
    server.main(argv)


if __name__ == "__main__":  # started by MotoServer.start
    serve(sys.argv[1:])
