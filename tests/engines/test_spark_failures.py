"""What the Spark engine needs, missing: one line saying what to install or which URL failed,
exit 1, and nothing committed. No Spark session is started here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from stedi import Lakehouse
from tests.cli.test_errors import assert_one_line, stedi
from tests.conftest import customer, reading, write_delivery
from tests.moto_server import free_port


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    delivery = write_delivery(tmp_path / "delivery", customer=[customer("a@x.com", "s1", consent=1)],
                              accelerometer=[reading("a@x.com", 5)])
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(delivery)
    return tmp_path / "lake"


def untouched(lake: Path) -> bool:
    """No run left anything: no state, no journal, no table files, no run record."""
    return not (lake / "state.json").exists() and not (lake / "journal.json").exists() \
        and not list(lake.glob("*/*/data")) and not list((lake / "runs").glob("*.json"))


def fake_java(tmp_path: Path, version: str) -> Path:
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(f'#!/bin/sh\necho \'openjdk version "{version}" 2023-10-17\' >&2\n')
    java.chmod(0o755)
    return home


def test_no_java(lake: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(lake / "no-such-folder"))
    code, err = stedi(["run", "--lake", str(lake), "--engine", "spark"], capsys)
    assert code == 1
    assert_one_line(err, "the Spark engine needs Java, and none was found: install Java 17")
    assert untouched(lake)


@pytest.mark.parametrize("version, shown", [("21.0.1", "Java 21"), ("1.7.0_80", "Java 7")])
def test_wrong_java(lake: Path, tmp_path: Path, version: str, shown: str, monkeypatch: pytest.MonkeyPatch,
                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("JAVA_HOME", str(fake_java(tmp_path, version)))
    code, err = stedi(["run", "--lake", str(lake), "--engine", "spark"], capsys)
    assert code == 1
    assert_one_line(err, f"needs Java 17 (or 8 or 11), found {shown}")
    assert "apt-get install openjdk-17-jre-headless" in err
    assert untouched(lake)


def test_no_pyspark(lake: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now fails, as where it is not installed
    monkeypatch.setenv("STEDI_ENGINE", "spark")  # chosen by the setting this time
    code, err = stedi(["run", "--lake", str(lake)], capsys)
    assert code == 1
    assert_one_line(err, "the Spark engine needs PySpark, an extra: pip install 'stedi[spark]'")
    assert untouched(lake)


def test_cluster_that_cannot_be_reached(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"spark://127.0.0.1:{free_port()}"  # nothing listens there
    code, err = stedi(["run", "--lake", str(lake), "--engine", "spark", "--spark-master", url], capsys)
    assert code == 1
    assert_one_line(err, f"cannot reach the Spark master at {url}: Connection refused")
    assert untouched(lake)


def test_a_jar_that_is_not_there(lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Spark would start without it and fail only once its classes are used: stopped first."""
    present = tmp_path / "hadoop-aws-3.3.4.jar"
    present.write_bytes(b"PK")
    missing = tmp_path / "aws-java-sdk-bundle-1.12.262.jar"
    monkeypatch.setenv("STEDI_SPARK_JARS", f"{present},{missing}")
    code, err = stedi(["run", "--lake", str(lake), "--engine", "spark"], capsys)
    assert code == 1
    assert_one_line(err, f"spark_jars: {missing}: no such jar file")
    assert untouched(lake)


@pytest.mark.parametrize("argv, message", [
    (["--engine", "flink"], "invalid choice: 'flink'"),
])
def test_wrong_engine_argument(lake: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = stedi(["run", "--lake", str(lake), *argv], capsys)
    assert code == 2 and message in err


@pytest.mark.parametrize("var, value, message", [
    ("STEDI_ENGINE", "flink", "STEDI_ENGINE: engine 'flink' is not one of duckdb, spark"),
    ("STEDI_SPARK_MASTER", "spark:/x", "STEDI_SPARK_MASTER: spark_master 'spark:/x' is not a Spark master URL"),
])
def test_wrong_engine_setting(lake: Path, var: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(var, value)
    code, err = stedi(["run", "--lake", str(lake)], capsys)
    assert code == 1
    assert_one_line(err, message)
    assert untouched(lake)


def test_a_lake_in_s3_where_spark_has_no_s3_file_system(bucket: str, tmp_path: Path, spark,  # type: ignore[no-untyped-def]
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Spark without hadoop-aws on its class path (here: S3A looked for under a name no jar has;
    nothing is downloaded): one line naming the jars to give and how, and nothing committed.
    On AWS Glue and EMR, Spark reads s3:// itself."""
    from stedi.errors import StediError

    hadoop = spark._jsc.hadoopConfiguration()
    mapped = hadoop.get("fs.s3.impl")  # an S3 test before this one mapped s3:// onto S3A
    hadoop.unset("fs.s3.impl")
    monkeypatch.setattr("stedi.engines.spark_s3.S3A", "org.apache.hadoop.fs.s3a.NoSuchFileSystem")
    try:
        delivery = write_delivery(tmp_path / "delivery", customer=[customer("a@x.com", "s1", consent=1)])
        house = Lakehouse(f"s3://{bucket}/lake", create=True)
        house.ingest(delivery)
        with pytest.raises(StediError) as failed:
            house.run(engine="spark")
    finally:
        if mapped is not None:
            hadoop.set("fs.s3.impl", mapped)
    assert str(failed.value) == (
        f"Spark cannot reach s3://{bucket}/lake/quarantine: it has no file system for s3:// (hadoop-aws is not on "
        "its class path; nothing was written); run on AWS Glue or EMR, or give Spark hadoop-aws-3.3.4.jar and "
        "aws-java-sdk-bundle-1.12.262.jar from Maven Central: STEDI_SPARK_JARS=/path/to/hadoop-aws-3.3.4.jar,"
        "/path/to/aws-java-sdk-bundle-1.12.262.jar (with spark-submit: --jars /path/to/hadoop-aws-3.3.4.jar,"
        "/path/to/aws-java-sdk-bundle-1.12.262.jar)")
    assert house.lake.state() is None and not house.lake.storage.exists("journal.json")
    assert not house.lake.storage.files("customer/trusted", recursive=True)
