"""Spark with Iceberg's own runtime and AWS bundle (what a Glue or EMR user reads the lake with)
reads every Iceberg table through the Glue catalog, with S3FileIO, at moto's server: exactly the
rows `stedi query` reads. The jars are on the shared session's class path (tests/conftest.py)."""

from __future__ import annotations

from collections import Counter
from typing import Iterator

import pytest

from stedi.query import STORED
from tests.conftest import require_jvm_piece
from tests.moto_server import ACCESS_KEY, REGION, SECRET_KEY

CATALOG = "glue_on_moto"
# The JVM's default AWS chain reads these system properties first (the environment of a session
# started before the test is the JVM's for good).
CREDENTIALS = {"aws.accessKeyId": ACCESS_KEY, "aws.secretAccessKey": SECRET_KEY}


@pytest.fixture
def glue_catalog(spark, aws) -> Iterator[str]:
    """An Iceberg catalog of the session on moto's Glue and S3, as a Glue job's user names one."""
    jars = spark.sparkContext.getConf().get("spark.jars", "")  # what the shared session started with
    require_jvm_piece(None if "iceberg-spark-runtime" in jars and "iceberg-aws-bundle" in jars else
                      "Iceberg's Spark runtime is not in .cache/jvm/iceberg-spark: run `make jvm`")
    properties = {"": "org.apache.iceberg.spark.SparkCatalog",
                  ".catalog-impl": "org.apache.iceberg.aws.glue.GlueCatalog",
                  ".io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
                  ".glue.endpoint": aws.endpoint, ".s3.endpoint": aws.endpoint, ".s3.path-style-access": "true",
                  ".client.region": REGION, ".s3.access-key-id": ACCESS_KEY, ".s3.secret-access-key": SECRET_KEY}
    for key, value in properties.items():
        spark.conf.set(f"spark.sql.catalog.{CATALOG}{key}", value)
    system = spark.sparkContext._jvm.java.lang.System
    for key, value in CREDENTIALS.items():
        system.setProperty(key, value)
    try:
        yield CATALOG
    finally:
        for key in CREDENTIALS:
            system.clearProperty(key)


def test_spark_with_icebergs_runtime_reads_every_table_through_glue_as_stedi_query(
        athena_lake, spark, glue_catalog) -> None:
    for table in STORED:
        read = spark.table(f"{glue_catalog}.`{athena_lake.database}`.`{table}`")
        rows = Counter(tuple(row) for row in read.collect())
        assert (read.columns, rows) == athena_lake.stedi_rows(table), table  # every row, every column, as often
        assert rows, table
