"""The pseudonym key of a lake in S3, kept in AWS Secrets Manager.

A local lake keeps its key in stedi.toml; a lake in S3 must not keep it beside the data it
protects, so it lives in a secret named after the lake (`secret_name`). The key turns
email addresses into customer_keys: losing it means the keys of a rebuilt lake no longer
match those handed out, so an existing secret is always kept, never replaced. No message
here ever includes the key.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any, Callable

from stedi.aws.faults import explain

from stedi.aws.session import session
from stedi.errors import StediError

PREFIX = "stedi/lake/"
MAX_NAME = 512  # Secrets Manager's limit on a secret's name
MAX_TAG_VALUE = 256
_KEY = re.compile(r"[0-9a-fA-F]{64}")  # as stedi.toml accepts it
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9/_+=.@-]")  # what a secret's name may hold
_NOT_IN_TAG = re.compile(r"[^A-Za-z0-9 _.:/=+@-]")  # what a tag value may hold


def secret_name(lake_uri: str) -> str:
    """The secret holding the key of the lake at `lake_uri`: s3://bucket/some/prefix gives
    stedi/lake/bucket/some/prefix. Characters a secret's name cannot hold become '_', and
    then (or if the name would pass 512 characters) a hash of the URI is appended, so two
    lakes never share a secret."""
    path = lake_uri.rstrip("/").removeprefix("s3://")
    name = PREFIX + _NOT_IN_NAME.sub("_", path)
    if name == PREFIX + path and len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(lake_uri.rstrip("/").encode("utf-8")).hexdigest()[:16]
    return f"{name[: MAX_NAME - len(digest) - 1]}-{digest}"


def create_pseudonym_key(lake_uri: str) -> bool:
    """Give a new lake its key; a lake recreated where one was keeps the key it had.
    True if this call made the secret."""
    name = secret_name(lake_uri)
    if _read(lake_uri, name) is not None:
        read_pseudonym_key(lake_uri)  # kept, so it must be usable
        return False
    key, lake = secrets.token_hex(32), lake_uri.rstrip("/")
    secret = {
        "Name": name, "SecretString": key,
        "Description": f"Pseudonym key of the STEDI lake at {lake}: turns email addresses into customer_keys. "
                       "Keep it: without it a rebuilt lake's customer_keys change.",
        "Tags": [{"Key": "stedi:lake", "Value": _NOT_IN_TAG.sub("_", lake)[:MAX_TAG_VALUE]}],
    }
    try:
        _call(lake_uri, name, lambda client: client.create_secret(**secret), hide=key)
    except _Exists:  # another writer created it just now: use theirs
        read_pseudonym_key(lake_uri)
        return False
    return True


def has_pseudonym_key(lake_uri: str) -> bool:
    """Whether the lake's secret exists (a lake made where one was keeps the key it had)."""
    return _read(lake_uri, secret_name(lake_uri)) is not None


def delete_pseudonym_key(lake_uri: str) -> None:
    """Delete a key this process just made for a lake that could not be made (no data was ever
    keyed with it, so no recovery window is kept)."""
    name = secret_name(lake_uri)
    _call(lake_uri, name, lambda client: client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True))


def read_pseudonym_key(lake_uri: str) -> str:
    """The key of the lake at `lake_uri` (64 hexadecimal characters)."""
    name = secret_name(lake_uri)
    key = _read(lake_uri, name)
    if key is None:
        raise StediError(f"{lake_uri}: its pseudonym key is missing from AWS Secrets Manager (secret {name}); "
                         "restore it, or the customer_keys of this lake cannot be reproduced")
    if not _KEY.fullmatch(key):
        raise StediError(f"{lake_uri}: its pseudonym key in AWS Secrets Manager (secret {name}) is not "
                         "64 hexadecimal characters; restore the value it had, or the customer_keys of this "
                         "lake cannot be reproduced")
    return key


def _read(lake_uri: str, name: str) -> str | None:
    """The secret's text ('' if it holds binary), None if there is no such secret."""
    try:
        answer = _call(lake_uri, name, lambda client: client.get_secret_value(SecretId=name))
    except _Missing:
        return None
    return answer.get("SecretString", "")


class _Missing(Exception):
    pass


class _Exists(Exception):
    pass


def _call(lake_uri: str, name: str, action: Callable[[Any], Any], hide: str = "") -> Any:
    """Run a Secrets Manager call; its failures as one line. `hide`: a key the call carries,
    cut from the message should a service ever echo it back."""
    from botocore.exceptions import BotoCoreError, ClientError

    what = f"{lake_uri.rstrip('/')}: its pseudonym key (AWS Secrets Manager secret {name})"
    try:
        return action(session().client("secretsmanager"))
    except ClientError as e:
        error = e.response.get("Error", {})
        code, message = error.get("Code", ""), error.get("Message", "")
        if code == "ResourceNotFoundException":
            raise _Missing() from None
        if code == "ResourceExistsException":
            raise _Exists() from None
        if code == "InvalidRequestException" and "delet" in message.lower():
            raise StediError(f"{what} is scheduled for deletion; restore it with "
                             f"`aws secretsmanager restore-secret --secret-id {name}`") from None
        raise _hidden(explain(e, what), hide) from None
    except BotoCoreError as e:
        raise _hidden(explain(e, what), hide) from None


def _hidden(error: StediError, key: str) -> StediError:
    return StediError(str(error).replace(key, "***")) if key and key in str(error) else error
