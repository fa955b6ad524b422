"""A lake under an S3 prefix: objects replaced whole by one PUT, a conditional-write lock
for writers (s3_lock.py), the pseudonym key in AWS Secrets Manager (never beside the data it
protects), DuckDB reading and writing through httpfs (s3_duckdb.py). Its Iceberg tables are in
the Glue Data Catalog (the store's: stedi/store/catalogs.py)."""

from __future__ import annotations

import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterator

from stedi.aws.session import session
from stedi.config import CONFIG_FILE
from stedi.errors import InputError, StediError
from stedi.storage.base import Storage
from stedi.storage.s3_duckdb import httpfs_setup
from stedi.storage.s3_lock import S3WriterLock, lease_setting

if TYPE_CHECKING:
    from stedi.config import Config
    from stedi.storage.entries import FileEntry

# What S3 answers a conditional write whose condition no longer holds.
_CHANGED = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409", "NoSuchKey", "404"}
# S3's rules for bucket names (3-63 characters; lowercase letters, digits, dots, hyphens).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


class S3Storage(Storage):
    def __init__(self, bucket: str, prefix: str):
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.root = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self._fs: Any = None
        self._fs_credentials: Any = None  # what self._fs signs with
        self._new_key = False  # create_key made the lake's secret (abandon_key deletes it)

    @classmethod
    def parse(cls, location: str) -> "S3Storage":
        rest = location[len("s3://") :]
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            raise InputError(f"{location}: an S3 location needs a bucket: s3://BUCKET/PREFIX")
        if not _BUCKET.fullmatch(bucket) or ".." in bucket:
            raise InputError(f"{location}: {bucket!r} is not a valid S3 bucket name "
                             "(3-63 lowercase letters, digits, dots and hyphens)")
        if "//" in prefix.strip("/"):
            raise InputError(f"{location}: the prefix has an empty folder name ('//')")
        return cls(bucket, prefix)

    @property
    def fs(self) -> Any:
        # Made on first use (opening a lake object costs no AWS call), and again once the
        # credentials were renewed: pyarrow keeps the keys it was given.
        creds = session().credentials()
        if self._fs is None or creds != self._fs_credentials:
            self._fs, self._fs_credentials = session().pyarrow_s3(self.region, creds), creds
        return self._fs

    @property
    def region(self) -> str:
        """The bucket's region (the session's may be another): every S3 client of the lake uses it."""
        return session().bucket_region(self.bucket)

    def key(self, relative: str) -> str:
        return "/".join(p for p in (self.prefix, relative) if p)

    def _fs_path(self, relative: str) -> str:
        return f"{self.bucket}/{self.key(relative)}".rstrip("/")

    def _call(self, action: Callable[[], Any], relative: str) -> Any:
        try:
            return action()
        except FileNotFoundError:
            raise
        except OSError as e:
            from stedi.aws.faults import AwsError

            raise AwsError(f"{self.path(relative)}: {_reason(str(e))}") from None

    def check(self) -> None:
        # A listing, not HeadBucket: the error of a HEAD has no body, so a missing bucket, a
        # bad key and a denial would all come back as a bare 404 or 403.
        prefix = f"{self.prefix}/" if self.prefix else ""
        self._client_call(lambda s3: s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix, MaxKeys=1), "")

    def exists(self, relative: str) -> bool:
        if relative.strip("/"):
            return super().exists(relative)
        # The lake's own prefix: by a listing, where pyarrow would HEAD the object named like the
        # prefix, which lies outside `PREFIX/*` and so outside what the policy of docs/aws.md grants.
        prefix = f"{self.prefix}/" if self.prefix else ""
        listed = self._client_call(lambda s3: s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix, MaxKeys=1), "")
        return bool(listed.get("KeyCount"))

    def lake_above(self) -> str | None:
        parts = self.prefix.split("/") if self.prefix else []
        for depth in range(len(parts) - 1, -1, -1):
            outer = S3Storage(self.bucket, "/".join(parts[:depth]))
            try:
                if outer.is_file(CONFIG_FILE):
                    return outer.root
            except StediError:  # a prefix these credentials may not read: no lake of theirs
                continue
        return None

    def iceberg_properties(self) -> dict[str, str]:
        return session().pyiceberg_properties(self.region)

    def write_atomic(self, relative: str, text: str, private: bool = False) -> None:
        # One PUT replaces an object whole: readers get the old bytes or the new.
        self._client_call(lambda s3: s3.put_object(Bucket=self.bucket, Key=self.key(relative),
                                                   Body=text.encode("utf-8")), relative)

    def read_versioned(self, relative: str) -> tuple[bytes | None, str | None]:
        # One GET: the bytes and the ETag of the very same object version.
        from botocore.exceptions import ClientError

        def get(s3: Any) -> tuple[bytes | None, str | None]:
            try:
                answer = s3.get_object(Bucket=self.bucket, Key=self.key(relative))
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None, None
                raise
            return answer["Body"].read(), answer["ETag"]

        return self._client_call(get, relative)

    def replace_if(self, relative: str, text: str, version: str | None) -> None:
        # S3's conditional PUT: one request, checked and written by S3 (If-Match the ETag read;
        # If-None-Match: * where there was no object).
        from botocore.exceptions import ClientError

        from stedi.errors import ChangedMeanwhileError

        condition = {"IfMatch": version} if version else {"IfNoneMatch": "*"}

        def put(s3: Any) -> bool:
            try:
                s3.put_object(Bucket=self.bucket, Key=self.key(relative), Body=text.encode("utf-8"), **condition)
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") in _CHANGED:
                    return False
                raise
            return True

        if not self._client_call(put, relative):
            raise ChangedMeanwhileError(f"{self.path(relative)}: changed by another writer meanwhile; not replaced")

    def delete_tree(self, relative: str) -> None:
        # Every object under the prefix, folder markers (DuckDB writes one per COPY folder) included.
        try:
            self._call(lambda: self.fs.delete_dir(self._fs_path(relative)), relative)
        except FileNotFoundError:
            pass

    def move(self, relative: str, target: str) -> None:
        # S3 has no rename: a copy (the target replaced whole), then the source deleted.
        self.copy(relative, target)
        self._client_call(lambda s3: s3.delete_object(Bucket=self.bucket, Key=self.key(relative)), relative)

    def copy(self, relative: str, target: str) -> None:
        # Server-side; a multipart copy of a big object appears only once complete.
        source = {"Bucket": self.bucket, "Key": self.key(relative)}
        self._client_call(lambda s3: s3.copy(source, self.bucket, self.key(target)), target)

    @contextmanager
    def open_output(self, relative: str) -> Iterator[BinaryIO]:
        # Spooled to a local file, then uploaded: an upload appears only once complete, where
        # pyarrow's output stream would complete a half-written object when an error closes it.
        with tempfile.TemporaryFile() as fh:
            yield fh  # type: ignore[misc]
            fh.seek(0)
            self._client_call(lambda s3: s3.upload_fileobj(fh, self.bucket, self.key(relative)), relative)

    def remove_empty_folder(self, relative: str) -> None:
        # S3 has no folders, only the marker object a folder can leave (DuckDB writes one per
        # COPY folder; pyarrow writes one where it deletes a prefix's last file). Deleting the
        # marker alone never deletes a file written under the prefix meanwhile.
        if not self.files(relative, recursive=True):
            self._client_call(lambda s3: s3.delete_object(Bucket=self.bucket, Key=self.key(relative) + "/"), relative)

    def put(self, source: Storage, source_relative: str, relative: str) -> None:
        # An upload becomes visible only once complete; a failed one is aborted (s3transfer).
        if isinstance(source, S3Storage):
            copy = {"Bucket": source.bucket, "Key": source.key(source_relative)}
            self._client_call(lambda s3: s3.copy(copy, self.bucket, self.key(relative)), relative)
            return
        with source.open_input(source_relative) as fh:
            self._client_call(lambda s3: s3.upload_fileobj(fh, self.bucket, self.key(relative)), relative)

    def _stamped(self, relative: str, entries: list["FileEntry"]) -> list["FileEntry"]:
        # The ETag, from one listing a thousand objects: LastModified has whole seconds, so a
        # rewrite of the same size in the second a run listed it would look unchanged.
        from dataclasses import replace

        prefix = self.key(relative) + "/"
        pages = self._client_call(
            lambda s3: list(s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)), relative)
        tags = {item["Key"]: item.get("ETag", "").strip('"') for page in pages for item in page.get("Contents", [])}
        return [replace(e, changed=tags.get(self.key(e.relative), "")) for e in entries]

    def local_file(self, relative: str, scratch: Path) -> Path:
        # One streamed GET: servers that answer ranged GETs by slicing the whole object (moto
        # does) serve s3transfer's parallel ranges several times slower.
        target = scratch / "landing" / relative
        target.parent.mkdir(parents=True, exist_ok=True)

        def fetch(s3: Any) -> None:
            body = s3.get_object(Bucket=self.bucket, Key=self.key(relative))["Body"]
            with target.open("wb") as fh:
                for block in iter(lambda: body.read(1 << 20), b""):
                    fh.write(block)

        try:
            self._client_call(fetch, relative)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target

    def _client_call(self, action: Callable[[Any], Any], relative: str) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        from stedi.aws.faults import explain

        try:
            return action(session().client("s3", self.region))
        except (BotoCoreError, ClientError) as e:
            raise explain(e, self.path(relative)) from None

    def purge_old_versions(self) -> int:
        from stedi.storage.s3_versions import purge_old_versions

        return purge_old_versions(self)

    # -- what differs by medium ----------------------------------------------------------

    def writer_lock(self, command: str) -> Any:
        return S3WriterLock(self, command, lease_setting())

    def create_key(self, config: "Config") -> "Config":
        from stedi.aws.secrets import create_pseudonym_key

        self._new_key = create_pseudonym_key(self.root)
        return config  # the config file in the bucket holds no key

    def abandon_key(self) -> None:
        from stedi.aws.secrets import delete_pseudonym_key

        if self._new_key:
            delete_pseudonym_key(self.root)
            self._new_key = False

    def pseudonym_key(self, config: "Config") -> str:
        from stedi.aws.secrets import read_pseudonym_key

        return read_pseudonym_key(self.root)

    def spill_folder(self, run_id: str) -> tuple[Path, str | None]:
        return Path(tempfile.mkdtemp(prefix=f"stedi-spill-{run_id}-")), None

    def remove_spill(self, run_id: str) -> None:
        import shutil

        for folder in Path(tempfile.gettempdir()).glob(f"stedi-spill-{run_id}-*"):
            shutil.rmtree(folder, ignore_errors=True)

    def duckdb_setup(self) -> list[str]:
        return [*httpfs_setup(), *self.duckdb_refresh()]

    def duckdb_refresh(self) -> list[str]:
        return [session().duckdb_secret(self.bucket, self.region)]


def _reason(message: str) -> str:
    """pyarrow's S3 error in a user's words (its messages carry no credential, only key ids)."""
    known = (("NO_SUCH_BUCKET", "the bucket does not exist"), ("NoSuchBucket", "the bucket does not exist"),
             ("InvalidAccessKeyId", "the AWS access key is not valid (check your credentials)"),
             ("SignatureDoesNotMatch", "the AWS secret key does not match the access key (check your credentials)"),
             ("ACCESS_DENIED", "access denied (the credentials lack permission for this prefix)"),
             ("AccessDenied", "access denied (the credentials lack permission for this prefix)"),
             ("HTTP status 403", "access denied (the credentials lack permission for this prefix)"),
             ("NETWORK_CONNECTION", "cannot reach S3 (check AWS_ENDPOINT_URL and the network), retries exhausted"),
             ("SLOW_DOWN", "S3 kept answering 503 Slow Down (throttled), retries exhausted"))
    for marker, reason in known:
        if marker in message:
            return reason
    return message.strip().splitlines()[0]
