"""A SparkSession for the Spark engine, and the checks that fail in one line before one starts.

PySpark is an extra (`pip install 'stedi[spark]'`) and needs Java; both are checked first so a
missing piece reads as what to install, not as a Java stack trace. Nothing is downloaded:
no `--packages`, no Maven. A session that already exists (AWS Glue's, a test run's shared
one) is used as it is, and only the SQL settings the engine depends on are set on it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

# java_version and require_java are asked for by name here too (the run's checks, the tests).
from stedi.engines.spark_jvm import class_archive, java_version, log_settings, require_java  # noqa: F401
from stedi.errors import StediError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"

# Settings every run depends on, whoever made the session.
SQL_SETTINGS = {
    # A failed cast is NULL, not an error: the landing checks rely on it (as DuckDB's TRY_CAST).
    "spark.sql.ansi.enabled": "false",
    # Centuries-old birthdays as they are (proleptic Gregorian, as DuckDB and Iceberg read them),
    # not rebased to the Julian calendar nor refused.
    "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.compression.codec": "snappy",
    "spark.sql.caseSensitive": "false",
}

# Files written locally carry no .crc side files, and no job writes a _SUCCESS marker: a table's
# folder holds only its data files.
HADOOP_SETTINGS = {
    "fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
    "fs.file.impl.disable.cache": "true",
    "mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
    # Hadoop's own umask (022 by default), not the process's, gives local files their mode: 600/700.
    "fs.permissions.umask-mode": "077",
}

def require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise StediError("the Spark engine needs PySpark, an extra: pip install 'stedi[spark]' "
                         "(from a clone: pip install -c constraints.txt -e '.[spark]')") from None


def require_master(master: str, timeout: float = 5.0) -> None:
    """A standalone master's port answers (spark://host:port, or several comma-separated):
    Spark itself would retry for a minute before giving up."""
    if not master.startswith("spark://"):
        return
    problems = []
    for address in master[len("spark://"):].split(","):
        parts = urlsplit("spark://" + address)
        try:
            host, port = parts.hostname, parts.port or 7077
        except ValueError:
            raise StediError(f"the Spark master URL {master} is not spark://HOST:PORT") from None
        if not host:
            raise StediError(f"the Spark master URL {master} is not spark://HOST:PORT")
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            return
        except OSError as e:
            problems.append(e.strerror or str(e))
    raise StediError(f"cannot reach the Spark master at {master}: {'; '.join(problems)}")


def require_jars(jars: str) -> str:
    """The `spark_jars` setting as Spark takes it (absolute paths, comma-separated), each file
    there: Spark itself would start without a missing one and fail only when its classes are used."""
    found = []
    for name in (j.strip() for j in jars.split(",")):
        if not name:
            continue
        path = Path(name).expanduser()
        if not path.is_file():
            raise StediError(f"spark_jars: {name}: no such jar file")
        found.append(str(path.resolve()))
    return ",".join(found)


def _is_local(master: str) -> bool:
    host = urlsplit(master.split(",")[0]).hostname if master.startswith("spark://") else None
    return master.startswith("local") or host in ("127.0.0.1", "localhost")


def active_session() -> "SparkSession | None":
    from pyspark.sql import SparkSession

    return SparkSession.getActiveSession()


# Below this much landing JSON a run is over before the JVM's optimizing compiler and Spark's
# generated code pay for their compile time: the starter data ran in 17.5 s with neither and
# 25 s with both (docs/benchmarks.md, issue 9). Above it, both are worth their cost.
SMALL_DATA_BYTES = 256 * 1024 * 1024


def start_session(master: str = DEFAULT_MASTER, driver_memory: str = "4g",
                  app_name: str = "stedi", small_data: bool = False, jars: str = "") -> "SparkSession":
    """A new session on `master`, after checking what it needs. Executors run this Python (so
    the package is importable where the landing checks run), unless PYSPARK_PYTHON says
    otherwise; on this machine's own cluster, every address is 127.0.0.1. `small_data`: tune
    for a run of seconds (the driver's JIT compiles quickly; no whole-stage code generation).
    `jars`: comma-separated jar files for Spark's class path (the `spark_jars` setting), such
    as hadoop-aws for a lake in S3 outside AWS Glue and EMR."""
    require_pyspark()
    require_java()
    require_master(master)
    jars = require_jars(jars)
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    local = _is_local(master)
    if local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    log4j2 = log_settings()
    builder = (
        SparkSession.builder.master(master).appName(app_name)
        .config("spark.driver.memory", driver_memory)
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log4j2.as_uri()}"
                + (" -XX:TieredStopAtLevel=1" if small_data else "") + class_archive.options())
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.warehouse.dir", str(Path(tempfile.gettempdir()) / "stedi-spark-warehouse"))
        .config("spark.sql.shuffle.partitions", str(max(4, 2 * (os.cpu_count() or 1))))
        # The judged landing lines are cached once and read once or twice: compressing them cost
        # more CPU than the cache's whole filling saves (docs/benchmarks.md, issue Speed), for a
        # cache only about 1.4x as large.
        .config("spark.sql.inMemoryColumnarStorage.compressed", "false")
    )
    if local:
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    for key, value in SQL_SETTINGS.items():
        builder = builder.config(key, value)
    for key, value in HADOOP_SETTINGS.items():
        builder = builder.config(f"spark.hadoop.{key}", value)
    if small_data:
        builder = builder.config("spark.sql.codegen.wholeStage", "false")
    if jars:  # on the driver's class path from the JVM's start (spark-submit's --jars)
        builder = builder.config("spark.jars", jars)
    import signal
    import threading

    try:
        spark = builder.getOrCreate()
    except Exception as e:  # noqa: BLE001 - py4j and Spark raise many kinds; one line says which
        raise StediError(f"could not start Spark on {master}: {str(e).strip().splitlines()[0]}") from None
    spark.sparkContext.setLogLevel("ERROR")
    if threading.current_thread() is threading.main_thread():
        # PySpark's own Ctrl-C handler cancels jobs through the context, and fails once the run
        # has stopped it (the engine closes while the store commits): Ctrl-C stays Python's
        # KeyboardInterrupt, and the run's clean-up stops Spark and its jobs.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return spark


def configure(spark: "SparkSession") -> None:
    """The settings the engine depends on, on a session someone else made (spark-submit's,
    AWS Glue's): the SQL ones, and the Hadoop ones that keep a table's folder to its data."""
    for key, value in SQL_SETTINGS.items():
        spark.conf.set(key, value)
    hadoop = spark.sparkContext._jsc.hadoopConfiguration()  # type: ignore[union-attr]
    for key, value in HADOOP_SETTINGS.items():
        hadoop.set(key, value)


def stop_session(spark: "SparkSession") -> None:
    """Stop Spark and wait for its JVM to exit (so its memory is free when this returns)."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    spark.stop()
    proc = getattr(gateway, "proc", None)
    if proc is not None:
        gateway.shutdown()
        proc.stdin.close()  # the JVM exits when its stdin closes
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        SparkContext._gateway = None
        SparkContext._jvm = None
        class_archive.written()
