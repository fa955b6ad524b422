"""One writer at a time per lake in S3.

The lock is the object `<prefix>/.lock`, created only if absent (a PUT with If-None-Match: *),
so of two writers exactly one creates it. S3 has no process that notices a holder die, so
the holder keeps a lease: a thread rewrites the object's heartbeat every LEASE/4 seconds,
each rewrite conditioned on the ETag it last wrote, so it never overwrites another holder's
lock. A lock whose heartbeat is older than its lease, or whose holder is a dead process on
this machine, is stale: the next writer deletes it (only if it is still that very object,
If-Match its ETag) and creates its own, racing any other writer fairly through the create.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, Callable

from stedi.aws.session import explain, session
from stedi.commit.lock import take_turns
from stedi.errors import StediError

if TYPE_CHECKING:
    from stedi.storage.s3 import S3Storage

LOCK_FILE = ".lock"
LEASE = 120.0  # seconds a holder may go without a heartbeat before others may take its lock
POLL = 0.25  # seconds between tries while waiting (each try is one or two S3 requests)

_TAKEN = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}  # someone else's write won
_GONE = {"NoSuchKey", "404"}


class S3WriterLock:
    def __init__(self, storage: "S3Storage", command: str, lease: float = LEASE):
        self.storage, self.command, self.lease = storage, command, lease
        self.key = storage.key(LOCK_FILE)
        self.lost = False  # set when another writer took the lock from under us
        self._holder: dict[str, Any] = {}
        self._etag: str | None = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self._client: Any = None

    def acquire(self, wait: float | None = None, on_wait: Callable[[str], None] | None = None) -> "S3WriterLock":
        """Take the lock. `wait`: None fails at once if it is held; seconds to wait (inf: forever)."""
        from botocore.exceptions import BotoCoreError, ClientError

        def try_once() -> str | None:
            holder = self._try()
            return None if holder is None else _describe(holder)

        try:
            take_turns(self.storage.root, try_once, wait, on_wait, POLL)
        except (BotoCoreError, ClientError) as e:
            raise explain(e, f"{self.storage.root}: cannot take the writer lock") from None
        self.lost = False
        self._stop.clear()
        self._beat = threading.Thread(target=self._heartbeat, name="stedi-s3-lock-heartbeat", daemon=True)
        self._beat.start()
        return self

    def release(self) -> None:
        if self._beat is None:
            return
        self._stop.set()
        self._beat.join()
        self._beat = None
        if not self.lost:
            try:
                self._delete_ours()
            except Exception:
                pass  # never hide the outcome of the write: the lease frees the lock anyway
        self._etag = None

    def __enter__(self) -> "S3WriterLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # -- the protocol --------------------------------------------------------------------

    def _try(self) -> dict[str, Any] | None:
        """Create the lock; None when we hold it, else the (live) holder's record."""
        from botocore.exceptions import ClientError

        self._holder = {"command": self.command, "pid": os.getpid(), "host": socket.gethostname(),
                        "since": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "token": uuid.uuid4().hex,
                        "lease": self.lease}
        holder: dict[str, Any] = {}
        for _ in range(3):  # a stale lock deleted, then the create raced: bounded, the loser just waits
            try:
                self._etag = self._put(IfNoneMatch="*")
                return None
            except ClientError as e:
                if _code(e) not in _TAKEN:
                    raise
            found = self._read()
            if found is None:
                continue  # released between our create and our read
            holder, etag = found
            if not self._stale(holder):
                return holder
            try:
                self._s3().delete_object(Bucket=self.storage.bucket, Key=self.key, IfMatch=etag)
            except ClientError as e:
                if _code(e) not in _TAKEN | _GONE:  # refreshed or already taken over: the create decides
                    raise
        return holder

    def _stale(self, holder: dict[str, Any]) -> bool:
        # The holder's own lease decides: it promised a heartbeat at least that often.
        lease = holder["lease"] if _is_number(holder.get("lease")) else self.lease
        if time.time() - holder["heartbeat"] > lease:
            return True
        pid = holder.get("pid")
        if holder.get("host") == socket.gethostname() and isinstance(pid, int) and pid > 0:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True  # killed on this machine: no need to wait out its lease
            except OSError:
                pass  # alive, another user's
        return False

    def _heartbeat(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        while not self._stop.wait(self.lease / 4):
            try:
                try:
                    self._etag = self._put(IfMatch=self._etag)
                except ClientError as e:
                    if _code(e) in _TAKEN | _GONE and not self._still_ours():
                        self.lost = True  # taken over: stop, and let release leave the new lock be
                        return
            except (BotoCoreError, ClientError, StediError):
                pass  # a blip (network, throttling): try again next beat, the lease allows three misses

    def _delete_ours(self) -> None:
        from botocore.exceptions import ClientError

        for _ in range(2):
            try:
                self._s3().delete_object(Bucket=self.storage.bucket, Key=self.key, IfMatch=self._etag)
                return
            except ClientError as e:
                if _code(e) not in _TAKEN or not self._still_ours():
                    return  # gone, or another writer's now: not ours to delete

    def _still_ours(self) -> bool:
        """After a failed conditional write: whether the object is still ours (our last PUT went
        through but its answer was lost), adopting its ETag if so."""
        found = self._read()
        if found is None or found[0].get("token") != self._holder["token"]:
            return False
        self._etag = found[1]
        return True

    def _put(self, **condition: Any) -> str:
        body = json.dumps({**self._holder, "heartbeat": time.time()}).encode()
        return self._s3().put_object(Bucket=self.storage.bucket, Key=self.key, Body=body,
                                     ContentType="application/json", **condition)["ETag"]

    def _read(self) -> tuple[dict[str, Any], str] | None:
        from botocore.exceptions import ClientError

        try:
            answer = self._s3().get_object(Bucket=self.storage.bucket, Key=self.key)
        except ClientError as e:
            if _code(e) in _GONE:
                return None
            raise
        try:
            holder = json.loads(answer["Body"].read())
        except ValueError:
            holder = None
        if not isinstance(holder, dict):
            holder = {}
        if not _is_number(holder.get("heartbeat")):  # not a lock we wrote: judge it by its age
            holder["heartbeat"] = answer["LastModified"].timestamp()
        return holder, answer["ETag"]

    def _s3(self) -> Any:
        # One client for the lock's life: the heartbeat must not depend on the process's session later.
        if self._client is None:
            self._client = session().client("s3")
        return self._client


def _code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _describe(holder: dict[str, Any]) -> str:
    try:
        return f"`stedi {holder['command']}` (pid {holder['pid']} on {holder['host']}) since {holder['since']}"
    except KeyError:
        return "another stedi process"
