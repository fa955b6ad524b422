"""Ordinary throttling and cut connections do not stop a run: a whole `stedi run` on a lake in
S3, through the fault proxy, with a seeded 10% of S3's requests answered 503 Slow Down (and one
burst of four in a row for each library, which three attempts do not outlast), then with 10% of
every request (Glue's and Secrets Manager's too) cut, commits and equals the same runs on a
local lake with the same key. Every client library met faults and rode them out."""

from __future__ import annotations

from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.cli.main import main
from stedi.config import CONFIG_FILE
from stedi.generate import generate
from tests.commit.lake_checks import contents, orphans
from tests.moto_server import new_bucket

LIBRARIES = {"botocore": "Botocore", "DuckDB": "duckdb", "pyarrow": "aws-sdk-cpp"}


def s3_requests(method: str, target: str, headers: dict[str, str]) -> bool:
    return "x-amz-target" not in headers  # Glue and Secrets Manager name their operation so


def library(headers: dict[str, str]) -> str:
    agent = headers.get("user-agent", "")
    return next((name for name, mark in LIBRARIES.items() if mark in agent), agent)


def local_twin(folder: Path, delivery: Path, key: str) -> Lakehouse:
    """A local lake of the same delivery with the same pseudonym key: the same rows."""
    house = Lakehouse(folder, create=True)
    config = Path(house.path) / CONFIG_FILE
    config.write_text(config.read_text().replace(house.lake.config.pseudonym_key, key))
    house = Lakehouse(house.path)
    house.ingest(delivery)
    return house


def test_runs_through_slow_downs_and_resets_commit_what_a_run_without_faults_does(
        proxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from stedi.aws.secrets import read_pseudonym_key

    monkeypatch.setenv("STEDI_AWS_RETRY_WAITS", "short")
    bucket = new_bucket()
    monkeypatch.setenv("STEDI_GLUE_DATABASE", bucket.replace("-", "_"))
    generate(tmp_path / "delivery", customers=20, seed=3)
    lake = f"s3://{bucket}/lake"
    assert main(["ingest", str(tmp_path / "delivery"), "--lake", lake]) == 0
    twin = local_twin(tmp_path / "twin", tmp_path / "delivery", read_pseudonym_key(lake))
    capsys.readouterr()

    faulted: set[str] = set()

    def watch(match):  # which library each fault met
        def seen(method: str, target: str, headers: dict[str, str]) -> bool:
            if match(method, target, headers):
                faulted.add(library(headers))
                return True
            return False
        return seen

    for mark in LIBRARIES.values():  # S3 throttles in bursts: four in a row, once per library
        proxy.add("slow_down", watch(lambda m, t, h, mark=mark: s3_requests(m, t, h) and mark in h.get("user-agent", "")),
                  times=4)
    slow = proxy.add("slow_down", watch(s3_requests), times=None, probability=0.1)
    assert main(["run", "--lake", lake, "--consent-policy", "strict"]) == 0
    err = capsys.readouterr().err
    assert "error" not in err and "warning" not in err, err
    twin.run(consent_policy="strict")
    assert contents(Lakehouse(lake)) == contents(twin)
    assert slow.hits > 10 and faulted == set(LIBRARIES)

    proxy.clear()
    faulted.clear()
    cut = proxy.add("reset", watch(lambda *request: True), times=None, probability=0.1)
    assert main(["run", "--lake", lake, "--consent-policy", "any-time"]) == 0
    err = capsys.readouterr().err
    assert "error" not in err and "warning" not in err, err
    twin.run(consent_policy="any-time")
    proxy.clear()
    assert contents(Lakehouse(lake)) == contents(twin)
    assert cut.hits > 10 and faulted == set(LIBRARIES)
    assert orphans(Lakehouse(lake)) == []
