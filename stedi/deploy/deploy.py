"""`stedi aws deploy`: everything an AWS Glue job needs to run a lake in S3 on Spark.

    the lake          made as `stedi ingest` makes it, if it is not there yet: its stedi.toml,
                      the pseudonym key in Secrets Manager, the Glue database
    Glue tables       the three landing zones as external JSON tables (for Athena)
    <lake>/deploy/    the zip of wheels Glue installs (--additional-python-modules): the package
                      and every runtime dependency at its pinned version (stedi/deploy/glue_wheels.py),
                      and the job script, stedi/jobs/spark_run.py
    the Glue job      Glue 5.0, running that script on the lake, of the size asked
    (--lifecycle)     the bucket's rule aborting incomplete multipart uploads (stedi/deploy/lifecycle.py)

Each resource is reported as created, updated or unchanged, and only what differs is written:
a second deploy of the same sources writes nothing. Objects are compared by a digest kept in
their S3 metadata (a rebuilt wheel has new zip timestamps, not new contents). A dry run reads
what is there and says what it would do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from stedi.aws.secrets import has_pseudonym_key, read_pseudonym_key, secret_name
from stedi.aws.faults import explain
from stedi.aws.session import session
from stedi.config import CONSENT_POLICIES
from stedi.deploy import glue_wheels
from stedi.deploy.glue_job import JobSpec, check_size, default_job_name, find_job, require_role, sync_job
from stedi.deploy.lifecycle import ensure_rule
from stedi.deploy.wheel import package, project_root
from stedi.errors import InputError
from stedi.lake import Lake, load_config
from stedi.landing.zones import open_or_create, register_landing
from stedi.storage import is_remote, open_storage
from stedi.store.catalog import CREATED, UNCHANGED, UPDATED

if TYPE_CHECKING:
    from stedi.storage.s3 import S3Storage

DEPLOY_FOLDER = "deploy"  # in the lake, beside its zones
SCRIPT_NAME = "spark_run.py"
DIGEST_KEY = "stedi-sha256"  # S3 user metadata: the digest of what the object holds


@dataclass(frozen=True)
class Change:
    resource: str  # in a user's words, e.g. "Glue job stedi-run-stedi"
    status: str  # CREATED, UPDATED or UNCHANGED (in a dry run: what it would be)


@dataclass
class DeployReport:
    lake: str
    job_name: str
    dry_run: bool
    changes: list[Change] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for c in self.changes if c.status == status)

    @property
    def changed(self) -> bool:
        return any(c.status != UNCHANGED for c in self.changes)


def deploy(lake_uri: str, role: str | None = None, job_name: str | None = None, consent_policy: str | None = None,
           dry_run: bool = False, progress: Callable[[str], None] | None = None, wheelhouse: Path | None = None,
           workers: int | None = None, worker_type: str | None = None, lifecycle: bool = False) -> DeployReport:
    """Make or bring up to date the Glue job of the lake at `lake_uri` (s3://BUCKET/PREFIX) and
    what it needs. `role`: the IAM role the job runs as (needed to create it; an existing job
    keeps its own unless given); likewise `workers` and `worker_type`. `wheelhouse`: a folder of
    wheels to gather the job's from, offline (default: the package index pip is configured
    with). `lifecycle`: also set the bucket's rule aborting incomplete multipart uploads.
    `dry_run`: write nothing, report what would be done."""
    say = progress or (lambda message: None)
    if not is_remote(str(lake_uri)):
        raise InputError(f"{lake_uri}: deploy is for a lake in S3 (--lake s3://BUCKET/PREFIX); "
                         "a local lake runs with `stedi run`")
    if consent_policy is not None and consent_policy not in CONSENT_POLICIES:
        raise InputError(f"consent policy {consent_policy!r} is not one of {', '.join(CONSENT_POLICIES)}")
    check_size(workers, worker_type)
    storage = open_storage(lake_uri)
    storage.check()  # a missing bucket or a bad key, named as such, before anything else
    exists = Lake.exists_at(storage)
    lake = Lake(storage, load_config(storage))  # a new lake's settings: the defaults and the environment
    name = job_name or default_job_name(lake.config.glue_database)
    glue = session().client("glue")
    existing = find_job(glue, name)
    require_role(name, role, existing)  # before anything is written
    say("building the stedi wheel")
    built = package()
    say(f"gathering the wheels the job installs ({glue_wheels.GLUE_TARGET})")
    modules = glue_wheels.gather(built.wheel, project_root() / "constraints.txt", wheelhouse)
    version = built.wheel.name.split("-")[1]
    zipped, script = f"{DEPLOY_FOLDER}/stedi-{version}{glue_wheels.ZIP_SUFFIX}", f"{DEPLOY_FOLDER}/{SCRIPT_NAME}"
    spec = JobSpec(name=name, role=role, script=storage.uri(script), modules=storage.uri(zipped), lake=lake.root,
                   consent_policy=consent_policy or lake.config.consent_policy,
                   glue_database=lake.config.glue_database, worker_type=worker_type, workers=workers)

    report = DeployReport(lake.root, name, dry_run)
    report.changes += _lake(lake, exists, dry_run, say)
    status = _upload(storage, zipped, lambda: glue_wheels.zip_of_wheels(modules, Path(zipped).name),
                     modules.digest, dry_run)
    report.changes.append(Change(f"Python modules {storage.uri(zipped)}", status))
    report.changes.append(Change(f"job script {storage.uri(script)}",
                                 _upload(storage, script, lambda: built.script, built.script_digest, dry_run)))
    report.changes.append(Change(f"Glue job {name}", sync_job(glue, spec, existing, dry_run)))
    if lifecycle:
        report.changes.append(Change(f"lifecycle rule of bucket {storage.bucket} (incomplete uploads under "
                                     f"{lake.root})", ensure_rule(storage, dry_run)))
    return report


def _lake(lake: Lake, exists: bool, dry_run: bool, say: Callable[[str], None]) -> list[Change]:
    """The lake, its key, its Glue database and landing tables: made or checked."""
    key = f"pseudonym key (Secrets Manager secret {secret_name(lake.root)})"
    if exists:
        read_pseudonym_key(lake.root)  # the job cannot run without it: a missing one is one line now
        changes = [Change(f"lake {lake.root}", UNCHANGED), Change(key, UNCHANGED)]
        database = lake.catalog.ensure_database(dry_run)
        tables = register_landing(lake, dry_run)
    else:
        # What making the lake will do, read first: making it does all of it at once.
        database = lake.catalog.ensure_database(dry_run=True)
        tables = register_landing(lake, dry_run=True)
        changes = [Change(f"lake {lake.root}", CREATED), Change(key, UNCHANGED if has_pseudonym_key(lake.root)
                                                                  else CREATED)]
        if not dry_run:
            say(f"making the lake {lake.root}")
            open_or_create(lake.root)
    database_name = lake.config.glue_database
    changes.append(Change(f"Glue database {database_name}", database))
    changes += [Change(f"Glue table {database_name}.{table}", status) for table, status in tables.items()]
    return changes


def _upload(storage: "S3Storage", relative: str, content: Callable[[], bytes | Path], digest: str,
            dry_run: bool) -> str:
    """Put what `content()` gives (bytes, or a file's) at `relative` in the lake unless the object
    there already holds it; `content` is called only then."""
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import BotoCoreError, ClientError

    s3, bucket, key = session().client("s3"), storage.bucket, storage.key(relative)
    try:
        try:
            held = s3.head_object(Bucket=bucket, Key=key).get("Metadata", {}).get(DIGEST_KEY)
            status = UNCHANGED if held == digest else UPDATED
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey"):
                raise
            status = CREATED
        if status != UNCHANGED and not dry_run:
            body = content()
            if isinstance(body, Path):  # a large file: streamed, in parts, not read into memory
                s3.upload_file(str(body), bucket, key, ExtraArgs={"Metadata": {DIGEST_KEY: digest}})
            else:
                s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata={DIGEST_KEY: digest})
    except (BotoCoreError, ClientError, S3UploadFailedError) as e:
        raise explain(e, storage.path(relative)) from None
    return status
