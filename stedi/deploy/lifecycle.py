"""The bucket lifecycle rule that aborts the multipart uploads killed writers leave.

A writer killed while uploading a large file (Spark's S3A, pyarrow, boto3 all upload big objects
in parts) leaves an incomplete multipart upload: no object is listed, nothing the next writer's
roll-back can see, but its parts are stored and billed until aborted. S3's lifecycle action
AbortIncompleteMultipartUpload does that after a number of days. `stedi aws deploy --lifecycle`
sets one rule for the lake's prefix and keeps every other rule of the bucket as it is: S3 has one
lifecycle configuration per bucket, replaced whole by each put.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stedi.aws.faults import explain

from stedi.aws.session import session
from stedi.store.catalog import CREATED, UNCHANGED, UPDATED

if TYPE_CHECKING:
    from stedi.storage.s3 import S3Storage

RULE_ID = "stedi-abort-incomplete-uploads:"  # then the lake's prefix: two lakes in a bucket, two rules
# No writer's upload lasts days: one older than this was left by a writer that died.
DAYS = 7


def rule_for(storage: "S3Storage") -> dict[str, Any]:
    prefix = f"{storage.prefix}/" if storage.prefix else ""
    return {"ID": (RULE_ID + prefix)[:255], "Status": "Enabled", "Filter": {"Prefix": prefix},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": DAYS}}


def ensure_rule(storage: "S3Storage", dry_run: bool = False) -> str:
    """Add or correct the rule for the lake's prefix, every other rule kept: CREATED, UPDATED or
    UNCHANGED (with `dry_run`: what it would be, writing nothing)."""
    from botocore.exceptions import BotoCoreError, ClientError

    s3, bucket, wanted = session().client("s3"), storage.bucket, rule_for(storage)
    what = f"lifecycle configuration of bucket {bucket}"
    try:
        try:
            current = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") != "NoSuchLifecycleConfiguration":
                raise
            current = {"Rules": []}
        rules = current.get("Rules", [])
        ours = [rule for rule in rules if rule.get("ID") == wanted["ID"]]
        if ours == [wanted]:
            return UNCHANGED
        status = UPDATED if ours else CREATED
        if not dry_run:
            others = [rule for rule in rules if rule.get("ID") != wanted["ID"]]
            extra = {k: current[k] for k in ("TransitionDefaultMinimumObjectSize",) if current.get(k)}
            s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [*others, wanted]},
                                                  **extra)
    except (BotoCoreError, ClientError) as e:
        raise explain(e, what) from None
    return status
