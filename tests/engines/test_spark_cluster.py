"""A real cluster, not only local[*]: a Spark standalone master and two workers on 127.0.0.1,
and `stedi run --spark-master spark://127.0.0.1:PORT` checked against the DuckDB engine on the
same lake. The workers reach the lake as the driver does, through the same folder. The data is
small and generated with malformed lines, so that reading, numbering and quarantining them run
on the workers' executors too; the starter data's parity is tested on local Spark
(test_parity). spark-submit of the job entry: tests/jobs/test_spark_run.py."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.generate import GeneratorRates, generate
from tests.engines.test_parity import TABLES, contents
from tests.spark_cluster import SparkCluster, cluster_environment


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, spark):  # type: ignore[no-untyped-def]
    """Started once for this module (spark: only to skip where Java or PySpark is missing)."""
    started = SparkCluster.start(tmp_path_factory.mktemp("spark-cluster"), workers=2)
    yield started
    started.stop()


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    rates = replace(GeneratorRates(), malformed=0.05, shared_serial=0.1, resent_customer=0.2)
    generate(tmp_path / "delivery", customers=40, seed=3, rates=rates)
    return tmp_path / "delivery"


def duckdb_tables(lake: Path, delivery: Path) -> dict:
    house = Lakehouse(lake, create=True)
    house.ingest(delivery)
    house.run(engine="duckdb")
    return contents(house)


def assert_same(before: dict, after: dict) -> None:
    for name in TABLES:
        assert after[name][0] == before[name][0], name
        assert after[name][1] == before[name][1], name


def test_stedi_run_on_the_cluster(cluster: SparkCluster, delivery: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    expected = duckdb_tables(lake, delivery)
    assert sum(expected["quarantine"][1].values()) > 0
    done = subprocess.run([str(Path(sys.executable).parent / "stedi"), "run", "--full", "--lake", str(lake), "--engine", "spark",
                           "--spark-master", cluster.url], capture_output=True, text=True, env=cluster_environment(),
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"starting the spark engine on {cluster.url}" in done.stderr
    house = Lakehouse(lake)
    assert house.lake.state().run_id in done.stdout  # type: ignore[union-attr]
    assert_same(expected, contents(house))
    # The work ran on the workers: each ran executors of this application.
    for worker in ("work-0", "work-1"):
        assert list((cluster.logs / worker).glob("app-*/*/stderr")), f"no executor ran on {worker}"
