"""Spark's s3://: native on AWS Glue and EMR, Hadoop's S3A elsewhere, set up from the AWS chain.

On Glue and EMR, s3:// is the EMR file system, configured by AWS: it is left exactly as it is.
Anywhere else Spark has no file system for s3:// until hadoop-aws and the AWS SDK bundle it
was built with are on its class path (stedi never downloads them: the user gives them, see
docs/engines.md, "Spark and a lake in S3"). Then s3:// is mapped onto S3A, as Glue maps it onto its own, and the lake's
bucket gets the endpoint, region, addressing style and credentials boto3 resolved from the
standard AWS chain, as DuckDB and pyarrow get them (stedi/aws/session.py): one lake works
against AWS, MinIO or moto the same way. They are S3A's per-bucket settings
(fs.s3a.bucket.BUCKET.*), held in the JVM's memory only, never written anywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stedi.errors import StediError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

S3A = "org.apache.hadoop.fs.s3a.S3AFileSystem"
# The AWS SDK bundle hadoop-aws's POM names, by Hadoop version (hadoop-aws must match Spark's
# Hadoop: 3.3.4 in PySpark 3.5).
SDK_BUNDLE = {"3.3.4": "1.12.262"}


def reach_s3(spark: "SparkSession", location: str) -> None:
    """Make `location` (s3://BUCKET/...) readable and writable by `spark`, or fail in one line
    saying what to give Spark. Nothing is read or written in S3 here."""
    bucket = location.split("://", 1)[1].split("/", 1)[0]
    jvm, hadoop = spark._jvm, spark._jsc.hadoopConfiguration()  # type: ignore[union-attr]
    native = _s3_file_system(jvm, hadoop)
    if native is not None and native != S3A:
        return  # AWS Glue's or EMR's own (EmrFileSystem), or one the user configured: theirs
    if native is None:
        if hadoop.getClassByNameOrNull(S3A) is None:
            raise StediError(missing_jars(location, jvm.org.apache.hadoop.util.VersionInfo.getVersion()))
        hadoop.set("fs.s3.impl", S3A)
    for key, value in s3a_settings().items():
        hadoop.set(f"fs.s3a.bucket.{bucket}.{key}", value)


def missing_jars(location: str, hadoop_version: str) -> str:
    sdk = SDK_BUNDLE.get(hadoop_version)
    bundle = f"aws-java-sdk-bundle-{sdk}.jar" if sdk else "the aws-java-sdk-bundle its POM names"
    jars = f"hadoop-aws-{hadoop_version}.jar and {bundle}"
    example = f"/path/to/hadoop-aws-{hadoop_version}.jar,/path/to/{bundle}" if sdk else "JAR,JAR"
    return (f"Spark cannot reach {location}: it has no file system for s3:// (hadoop-aws is not on its class "
            f"path; nothing was written); run on AWS Glue or EMR, or give Spark {jars} from Maven Central: "
            f"STEDI_SPARK_JARS={example} (with spark-submit: --jars {example})")


def s3a_settings() -> dict[str, str]:
    """S3A's settings for a bucket, from what boto3 resolved: the endpoint its S3 client uses
    (the user's, or AWS's for the region), path-style addressing at a user's endpoint (MinIO,
    LocalStack, moto answer at one host), and the credentials, frozen as for DuckDB."""
    from urllib.parse import urlsplit

    from stedi.aws.session import session

    aws = session()
    creds, custom = aws.credentials(), aws.endpoint("s3")
    url = aws.client("s3").meta.endpoint_url
    settings = {
        "endpoint": url, "endpoint.region": aws.region,
        "connection.ssl.enabled": str(urlsplit(url).scheme != "http").lower(),
        "path.style.access": str(custom.url is not None).lower(),
        "access.key": creds.access_key, "secret.key": creds.secret_key,
        # Uploads buffered in memory: buffering on disk needs Hadoop's checksummed local file
        # system, which the engine replaces by the raw one (no .crc files beside a local table).
        "fast.upload.buffer": "bytebuffer",
    }
    if creds.token:
        settings["session.token"] = creds.token
        settings["aws.credentials.provider"] = "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"
    else:
        settings["aws.credentials.provider"] = "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"
    return settings


def _s3_file_system(jvm: object, hadoop: object) -> str | None:
    """The class Hadoop would use for s3:// (configured, or registered by a jar), or None."""
    try:
        return jvm.org.apache.hadoop.fs.FileSystem.getFileSystemClass("s3", hadoop).getName()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - Py4J's wrapper of UnsupportedFileSystemException
        return None

