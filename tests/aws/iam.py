"""moto's server enforcing IAM: users with exactly the policies a test gives them, and the
environment that makes `stedi` use one (nothing else of the developer's)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.moto_server import REGION, MotoServer

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
Keys = tuple[str, str]


@dataclass
class IamServer:
    """A moto server of its own that checks every request's signature and IAM policy (the
    session's accepts anything, and moto's enforcement is global to a server process)."""

    server: MotoServer
    admin: Keys
    users: dict[str, Keys] = field(default_factory=dict)

    @classmethod
    def start(cls) -> "IamServer":
        server = MotoServer.start()
        try:
            admin = _new_user(_client(server, "iam", ("setup", "setup")), "admin", ALLOW_ALL)
            server.require_auth()  # from here on, only a user's key and policy open a door
        except BaseException:
            server.stop()
            raise
        return cls(server, admin)

    def client(self, service: str, keys: Keys | None = None) -> Any:
        return _client(self.server, service, keys or self.admin)

    def user(self, name: str, policy: dict) -> Keys:
        """A user whose one inline policy is `policy`; made once, its policy replaced after."""
        if name not in self.users:
            self.users[name] = _new_user(self.client("iam"), name, policy)
        else:
            self.set_policy(name, policy)
        return self.users[name]

    def set_policy(self, name: str, policy: dict) -> None:
        self.client("iam").put_user_policy(UserName=name, PolicyName="stedi", PolicyDocument=json.dumps(policy))

    def use(self, mp: pytest.MonkeyPatch, keys: Keys, folder: Path) -> None:
        """Point the standard AWS chain at this server with `keys`, as a user would."""
        from stedi.aws import session

        for name in [n for n in os.environ if n.startswith("AWS_")]:
            mp.delenv(name)
        empty = folder / "empty-aws-file"
        empty.write_text("")
        for name, value in {"AWS_CONFIG_FILE": str(empty), "AWS_SHARED_CREDENTIALS_FILE": str(empty),
                            "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": self.server.endpoint,
                            "AWS_REGION": REGION, "AWS_ACCESS_KEY_ID": keys[0],
                            "AWS_SECRET_ACCESS_KEY": keys[1]}.items():
            mp.setenv(name, value)
        session.reset()  # boto3 resolves credentials once per session


def _client(server: MotoServer, service: str, keys: Keys) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=server.endpoint,
                        aws_access_key_id=keys[0], aws_secret_access_key=keys[1])


def _new_user(iam: Any, name: str, policy: dict) -> Keys:
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="stedi", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]
