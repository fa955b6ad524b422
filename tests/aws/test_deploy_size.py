"""`stedi aws deploy --workers N --worker-type TYPE --lifecycle` against moto's server: the job
made at the size asked, and kept at it by a later deploy that does not say; a size Glue 5.0
would refuse is refused in one line before anything is written; the bucket's lifecycle rule set
beside the owner's."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.aws.deploying import ROLE, client, deploy, empty, objects


@pytest.fixture(autouse=True)
def wheels(glue_wheelhouse) -> None:  # type: ignore[no-untyped-def]
    """Every deploy here gathers from the fetched wheels."""


@pytest.fixture
def lake(bucket: str) -> Iterator[str]:
    yield f"s3://{bucket}/stedi"
    empty(bucket)


def test_the_job_is_made_at_the_size_asked_and_the_lifecycle_rule_beside_the_owners(
        lake: str, bucket: str, capsys) -> None:
    owners = {"ID": "expire-logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}}
    s3 = client("s3")
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [owners]})
    code, out, err = deploy(capsys, "--lake", lake, "--role", ROLE, "--job-name", "big", "--workers", "10",
                            "--worker-type", "G.2X", "--lifecycle")
    assert code == 0, err
    assert f"lifecycle rule of bucket {bucket} (incomplete uploads under {lake}): created" in out
    job = client("glue").get_job(JobName="big")["Job"]
    assert (job["WorkerType"], job["NumberOfWorkers"]) == ("G.2X", 10)
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rules == [owners, {"ID": "stedi-abort-incomplete-uploads:stedi/", "Status": "Enabled",
                              "Filter": {"Prefix": "stedi/"},
                              "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]

    code, out, err = deploy(capsys, "--lake", lake, "--job-name", "big", "--lifecycle")  # no size: the job's own
    assert code == 0, err
    assert out[-1] == "nothing to do: everything is up to date"
    job = client("glue").get_job(JobName="big")["Job"]
    assert (job["WorkerType"], job["NumberOfWorkers"]) == ("G.2X", 10)


@pytest.mark.parametrize("size, message", [
    (["--worker-type", "G.025X"], "--worker-type G.025X: a Glue 5.0 Spark job takes G.1X, G.2X, G.4X, G.8X, G.12X, "
                                  "G.16X, R.1X, R.2X, R.4X, R.8X (G.025X is for streaming jobs)"),
    (["--worker-type", "Standard"], "--worker-type Standard: a Glue 5.0 Spark job takes G.1X, G.2X, G.4X, G.8X, "
                                    "G.12X, G.16X, R.1X, R.2X, R.4X, R.8X"),
    (["--workers", "1"], "--workers 1: a Glue Spark job needs at least 2 workers (one runs the driver)"),
])
def test_a_size_glue_would_refuse_is_one_line_and_nothing_is_written(size: list[str], message: str, lake: str,
                                                                     bucket: str, capsys) -> None:
    code, out, err = deploy(capsys, "--lake", lake, "--role", ROLE, *size)
    assert (code, out, err) == (2, [], f"stedi: error: {message}\n")
    assert objects(bucket) == {}
    with pytest.raises(client("glue").exceptions.EntityNotFoundException):
        client("glue").get_job(JobName="stedi-run-" + bucket.replace("-", "_"))
