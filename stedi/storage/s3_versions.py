"""Deleting the old object versions a versioned bucket keeps under a lake's prefix.

An overwritten or deleted object's old bytes stay stored in a bucket that keeps versions, so
a forget deletes them. `DeleteObjects` answers HTTP 200 even when it deleted nothing: each key
it could not delete (AccessDenied without `s3:DeleteObjectVersion`, a version under Object
Lock) comes back in the answer's `Errors`. Every key's result is checked, so a version still
holding a forgotten person is never counted as gone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from stedi.errors import StediError

if TYPE_CHECKING:
    from stedi.storage.s3 import S3Storage

BATCH = 1000  # DeleteObjects takes at most 1,000 keys
DENIED = ("AccessDenied", "AccessDeniedException", "403")


class VersionsLeft(StediError):
    """Old versions the bucket refused to delete: how many went and how many are left."""

    def __init__(self, message: str, deleted: int, left: int):
        super().__init__(message)
        self.deleted, self.left = deleted, left


def purge_old_versions(storage: "S3Storage") -> int:
    """Delete every noncurrent version (and delete marker) under the lake's prefix; how many went.
    Nothing in a bucket that never kept versions. Raises VersionsLeft, naming a version and why,
    if any is left."""
    status = _call(storage, lambda s3: s3.get_bucket_versioning(Bucket=storage.bucket),
                   "cannot tell whether the bucket keeps old versions", "s3:GetBucketVersioning",
                   f"arn:aws:s3:::{storage.bucket}").get("Status")
    if status not in ("Enabled", "Suspended"):
        return 0
    prefix = f"{storage.prefix}/" if storage.prefix else ""
    pages = _call(storage, lambda s3: list(s3.get_paginator("list_object_versions").paginate(
        Bucket=storage.bucket, Prefix=prefix)), "cannot list the old object versions", "s3:ListBucketVersions",
        f"arn:aws:s3:::{storage.bucket}")
    doomed = [{"Key": item["Key"], "VersionId": item["VersionId"]}
              for page in pages for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
              if not item.get("IsLatest") or "Size" not in item]  # old bytes, or a marker hiding them
    failed: list[dict[str, Any]] = []
    for start in range(0, len(doomed), BATCH):
        batch = doomed[start:start + BATCH]
        # Quiet: the answer lists only the keys that were not deleted.
        answer = _call(storage, lambda s3: s3.delete_objects(Bucket=storage.bucket,
                                                             Delete={"Objects": batch, "Quiet": True}),
                       "cannot delete old object versions", "s3:DeleteObjectVersion",
                       f"arn:aws:s3:::{storage.bucket}/{prefix}*")
        failed += answer.get("Errors", [])
    if failed:
        raise VersionsLeft(_not_deleted(storage, failed, doomed), len(doomed) - len(failed), len(failed))
    return len(doomed)


def _not_deleted(storage: "S3Storage", failed: list[dict[str, Any]], asked: list[dict[str, str]]) -> str:
    """One line: the first version left, why, and how many more."""
    first = failed[0]
    # AWS names the version of each error; where it does not (moto), the versions asked of the key.
    version = first.get("VersionId") or ", ".join(o["VersionId"] for o in asked if o["Key"] == first.get("Key"))
    code, message = first.get("Code", ""), (first.get("Message") or "").strip().rstrip(".")
    if code in DENIED:
        reason = "access denied (deleting an old version needs s3:DeleteObjectVersion on it"
        reason += f"; S3 says: {message})" if message and message.lower() != "access denied" else ")"
    else:
        reason = f"{code}: {message}" if message else code or "refused"
    more = f"; {len(failed) - 1:,} more old version(s) not deleted either" if len(failed) > 1 else ""
    where = f"s3://{storage.bucket}/{first.get('Key', '')}"
    return f"{where} (version {version or '?'}): old version not deleted: {reason}{more}"


def _call(storage: "S3Storage", action: Callable[[Any], Any], doing: str, permission: str, resource: str) -> Any:
    """One S3 call for the purge; a refusal as one line naming the permission it needs."""
    from botocore.exceptions import BotoCoreError, ClientError

    from stedi.aws.faults import explain

    from stedi.aws.session import session

    try:
        return action(session().client("s3"))
    except ClientError as e:
        if e.response.get("Error", {}).get("Code", "") in DENIED:
            raise StediError(f"{storage.root}: {doing}: access denied (needs {permission} on {resource})") from None
        raise explain(e, f"{storage.root}: {doing}") from None
    except BotoCoreError as e:
        raise explain(e, f"{storage.root}: {doing}") from None
