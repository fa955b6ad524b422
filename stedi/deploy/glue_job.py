"""The AWS Glue job that runs a lake's pipeline on Spark: its definition, and making it so.

An existing job is updated in place with UpdateJob, and only where it differs from what
GetJob answers: deleting and re-creating it would lose its run history. UpdateJob replaces
the whole definition (what it is not given is reset), so the job's other settings (timeout,
retries, connections, arguments someone added) are sent back as GetJob gave them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from stedi.aws.faults import explain
from stedi.deploy.glue_wheels import INSTALLER_OPTION
from stedi.errors import StediError, UsageError
from stedi.store.catalog import CREATED, UNCHANGED, UPDATED

GLUE_VERSION = "5.0"  # Spark 3.5, Python 3.11: the line the Spark engine is built for
# A new job's size; an existing job keeps its own unless --workers or --worker-type is given.
WORKER_TYPE = "G.1X"
WORKERS = 2
# The worker types a Glue 5.0 Spark job takes (AWS's "AWS Glue worker types"): G for general
# purpose, R for memory-optimized. G.025X is for streaming jobs only.
WORKER_TYPES = ("G.1X", "G.2X", "G.4X", "G.8X", "G.12X", "G.16X", "R.1X", "R.2X", "R.4X", "R.8X")
MIN_WORKERS = 2  # one of them runs the driver
# Derived by Glue from the workers; UpdateJob refuses them next to WorkerType.
_NOT_WITH_WORKERS = ("AllocatedCapacity", "MaxCapacity")


def check_size(workers: int | None, worker_type: str | None) -> None:
    """Refuse, in one line, a size Glue 5.0 would refuse."""
    if worker_type is not None and worker_type not in WORKER_TYPES:
        streaming = " (G.025X is for streaming jobs)" if worker_type == "G.025X" else ""
        raise UsageError(f"--worker-type {worker_type}: a Glue 5.0 Spark job takes {', '.join(WORKER_TYPES)}"
                         f"{streaming}")
    if workers is not None and workers < MIN_WORKERS:
        raise UsageError(f"--workers {workers}: a Glue Spark job needs at least {MIN_WORKERS} workers "
                         "(one runs the driver)")


def default_job_name(glue_database: str) -> str:
    return f"stedi-run-{glue_database}"


@dataclass(frozen=True)
class JobSpec:
    name: str
    role: str | None  # None: keep the existing job's (a new job needs one)
    script: str  # s3:// URI of spark_run.py
    modules: str  # s3:// URI of the zip of wheels: the package and its pinned dependencies
    lake: str
    consent_policy: str
    glue_database: str
    worker_type: str | None = None  # None: keep the existing job's (a new job gets WORKER_TYPE)
    workers: int | None = None  # likewise (WORKERS)

    def definition(self) -> dict[str, Any]:
        """The parts of the job this command owns, as CreateJob and UpdateJob take them."""
        wanted: dict[str, Any] = {
            "Description": f"Runs the STEDI pipeline with Spark on the lake at {self.lake} (made by stedi aws deploy)",
            "Command": {"Name": "glueetl", "ScriptLocation": self.script, "PythonVersion": "3"},
            "GlueVersion": GLUE_VERSION,
            "DefaultArguments": {
                "--lake": self.lake,
                "--consent-policy": self.consent_policy,
                "--glue-database": self.glue_database,
                # Glue installs the zip of wheels with pip, the zip its only index: the pinned
                # versions, PyPI never asked (a VPC without a NAT works too), Glue's own boto3,
                # botocore and pyarrow upgraded to the ones tested. stedi/deploy/glue_wheels.py.
                "--additional-python-modules": self.modules,
                "--python-modules-installer-option": INSTALLER_OPTION,
                "--job-language": "python",
            },
        }
        if self.role:
            wanted["Role"] = self.role
        if self.worker_type:
            wanted["WorkerType"] = self.worker_type
        if self.workers:
            wanted["NumberOfWorkers"] = self.workers
        return wanted

    def for_new_job(self) -> "JobSpec":
        """The spec with the default size where none was given."""
        return replace(self, worker_type=self.worker_type or WORKER_TYPE, workers=self.workers or WORKERS)


def find_job(glue: Any, name: str) -> dict[str, Any] | None:
    """The job as GetJob answers it, None if there is none."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return glue.get_job(JobName=name)["Job"]
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") == "EntityNotFoundException":
            return None
        raise explain(e, f"Glue job {name}") from None
    except BotoCoreError as e:
        raise explain(e, f"Glue job {name}") from None


def require_role(name: str, role: str | None, existing: dict[str, Any] | None) -> None:
    """A new job needs the role it runs as."""
    if existing is None and not role:
        raise StediError(f"Glue job {name} does not exist yet: give the IAM role it is to run as with "
                         "--role ARN (see docs/aws.md for the permissions it needs)")


def sync_job(glue: Any, spec: JobSpec, existing: dict[str, Any] | None, dry_run: bool = False) -> str:
    """Create the job, or update it where it differs; CREATED, UPDATED or UNCHANGED (with
    `dry_run`: what it would be, writing nothing). `existing`: find_job's answer."""
    from botocore.exceptions import BotoCoreError, ClientError

    require_role(spec.name, spec.role, existing)
    update = None if existing is None else job_update(glue, existing, spec)
    if existing is not None and update is None:
        return UNCHANGED
    if not dry_run:
        try:
            if existing is None:
                glue.create_job(Name=spec.name, **spec.for_new_job().definition())
            else:
                glue.update_job(JobName=spec.name, JobUpdate=update)
        except (BotoCoreError, ClientError) as e:
            raise explain(e, f"Glue job {spec.name}") from None
    return CREATED if existing is None else UPDATED


def job_update(glue: Any, existing: dict[str, Any], spec: JobSpec) -> dict[str, Any] | None:
    """The JobUpdate that brings `existing` to `spec`, keeping everything else it has; None if
    nothing this command owns differs."""
    wanted = spec.definition()
    if not any(_differs(existing.get(key), value) for key, value in wanted.items()):
        return None
    accepted = glue.meta.service_model.shape_for("JobUpdate").members
    update = {k: v for k, v in existing.items() if k in accepted and v is not None and k not in _NOT_WITH_WORKERS}
    for key, value in wanted.items():
        # Of a mapping, only our keys: the job's other arguments stay.
        update[key] = {**(existing.get(key) or {}), **value} if isinstance(value, dict) else value
    return update


def _differs(have: Any, want: Any) -> bool:
    if isinstance(want, dict):
        have = have or {}
        return any(have.get(k) != v for k, v in want.items())
    return have != want
