"""One writer at a time per lake in S3.

The lock is the object `<prefix>/.lock`, created only if absent (a PUT with If-None-Match: *),
so of two writers exactly one creates it. S3 has no process that notices a holder die, so
the holder keeps a lease: a thread rewrites the object every LEASE/4 seconds, each rewrite
conditioned on the ETag it last wrote, so it never overwrites another holder's lock. A lock
is stale when S3 last wrote it longer ago than its holder's lease, by S3's own clock (the
object's LastModified against the answer's Date: a machine whose clock runs ahead takes no
live lock), or when its holder is a dead process on this machine: the next writer deletes it
(only if it is still that very object, If-Match its ETag) and creates its own, racing any
other writer fairly through the create.

A holder stopped past its lease (a paused VM, SIGSTOP) may have lost the lock when it goes on:
`confirm` (before each commit, the state write and any roll-back) rewrites the lock on the same
condition and fails with LockLostError once another writer took it over. A create whose answer
was lost and whose retry met the lock it had just made holds the lock: the token says whose.
"""

from __future__ import annotations

import json
import os
from email.utils import parsedate_to_datetime
import socket
import threading
import time
import uuid
from datetime import timezone
from typing import TYPE_CHECKING, Any, Callable

from stedi.aws.faults import explain

from stedi.aws.session import session
from stedi.storage.lock import take_turns
from stedi.errors import LockLostError, StediError

if TYPE_CHECKING:
    from stedi.storage.s3 import S3Storage

LOCK_FILE = ".lock"
LEASE = 120.0  # seconds a holder may go without a heartbeat before others may take its lock
LEASE_SETTING = "STEDI_LOCK_LEASE"  # the environment variable that sets it (seconds), for tests and slow links
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
        self._renewing = threading.Lock()  # the heartbeat and `confirm` rewrite the lock one at a time
        self.taken_by = "another writer"  # who took the lock over, once lost

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
        self.lost, self.taken_by = False, "another writer"
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

    def confirm(self) -> None:
        """Fail with LockLostError unless this process still holds the lock. The check is a
        rewrite of the lock conditioned on our ETag, which renews the lease too: S3 refuses it
        once another writer deleted or replaced our lock, however long we were stopped."""
        from botocore.exceptions import BotoCoreError, ClientError

        if self._beat is None:
            return  # not held by this object (a lock taken without a lease, or released)
        try:
            with self._renewing:
                if not self.lost and self._renew():
                    return
        except (BotoCoreError, ClientError) as e:
            raise explain(e, f"{self.storage.root}: cannot check the writer lock") from None
        self.lost = True
        raise LockLostError(self.storage.root, self.taken_by)

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
            holder, etag, age = found
            if holder.get("token") == self._holder["token"]:
                self._etag = etag  # our create went through; its answer was lost and the retry met it
                return None
            if not self._stale(holder, age):
                return holder
            try:
                self._s3().delete_object(Bucket=self.storage.bucket, Key=self.key, IfMatch=etag)
            except ClientError as e:
                if _code(e) not in _TAKEN | _GONE:  # refreshed or already taken over: the create decides
                    raise
        return holder

    def _stale(self, holder: dict[str, Any], age: float) -> bool:
        # The holder's own lease decides: it promised a heartbeat at least that often. `age` is
        # by S3's clock, the only clock both writers share.
        lease = holder["lease"] if _is_number(holder.get("lease")) else self.lease
        if age > lease:
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
                with self._renewing:
                    if self.lost or not self._renew():
                        self.lost = True  # taken over: stop, and let release leave the new lock be
                        return
            except (BotoCoreError, ClientError, StediError):
                pass  # a blip (network, throttling): try again next beat, the lease allows three misses

    def _renew(self) -> bool:
        """Rewrite our lock if it is still ours; whether it was."""
        from botocore.exceptions import ClientError

        try:
            self._etag = self._put(IfMatch=self._etag)
            return True
        except ClientError as e:
            if _code(e) not in _TAKEN | _GONE:
                raise
        return self._still_ours()

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
            self.taken_by = _describe(found[0]) if found else "another writer"
            return False
        self._etag = found[1]
        return True

    def _put(self, **condition: Any) -> str:
        body = json.dumps({**self._holder, "heartbeat": time.time()}).encode()
        return self._s3().put_object(Bucket=self.storage.bucket, Key=self.key, Body=body,
                                     ContentType="application/json", **condition)["ETag"]

    def _read(self) -> tuple[dict[str, Any], str, float] | None:
        """The lock's holder record, ETag, and age in seconds by S3's clock; None if there is none."""
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
        return holder, answer["ETag"], _age(answer)

    def _s3(self) -> Any:
        # One client for the lock's life: the heartbeat must not depend on the process's session later.
        if self._client is None:
            self._client = session().client("s3")
        return self._client


def lease_setting() -> float:
    """The lease this machine's writers promise (STEDI_LOCK_LEASE seconds, else LEASE)."""
    text = os.environ.get(LEASE_SETTING, "").strip()
    if not text:
        return LEASE
    try:
        lease = float(text)
    except ValueError:
        lease = -1.0
    if not 0 < lease < 86400:
        raise StediError(f"{LEASE_SETTING}={text!r}: the writer lock's lease must be a number of seconds "
                         "above 0 and below a day")
    return lease


def _age(answer: dict[str, Any]) -> float:
    """How long ago S3 last wrote the object, by S3's clock (both times are whole seconds)."""
    date = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    now = parsedate_to_datetime(date) if date else None
    if now is not None and now.tzinfo is None:  # "-0000": UTC all the same
        now = now.replace(tzinfo=timezone.utc)
    if now is None:  # a server that sends no Date: the local clock is all there is
        return time.time() - answer["LastModified"].timestamp()
    return (now - answer["LastModified"]).total_seconds()


def _code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _describe(holder: dict[str, Any]) -> str:
    try:
        return f"`stedi {holder['command']}` (pid {holder['pid']} on {holder['host']}) since {holder['since']}"
    except KeyError:
        return "another stedi process"
