"""Trino, the engine Athena (v3) is built on, for the tests: the pinned server `make jvm` unpacked
into .cache/jvm/trino, started on 127.0.0.1 on a free port with only the two connectors Athena's
users read our tables with: Iceberg through the Glue catalog, Hive (the OpenX JSON SerDe) for the
landing tables. Both reach Glue and S3 at moto's server. Queries go over Trino's REST protocol."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from tests.jvm_cache import cached
from tests.moto_server import ACCESS_KEY, REGION, SECRET_KEY, free_port

# Trino 476 needs Java 24+; Spark keeps Java 17. STEDI_TRINO_JAVA_HOME names another JDK.
TRINO_JAVA_HOME = Path(os.environ.get("STEDI_TRINO_JAVA_HOME") or "/usr/lib/jvm/temurin-25-jdk-amd64")
TRINO_JAVA_VERSION = 24
PLUGINS = ("hive", "iceberg")  # fewer plugins, a faster start on two cores
# A small heap, and no optimizing compiler: the queries are of a few hundred rows.
JVM_OPTIONS = ("-Xmx1G", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djdk.attach.allowAttachSelf=true",
               "--enable-native-access=ALL-UNNAMED")


def class_archive(home: Path) -> tuple[str, ...]:
    """Trino's classes, archived by the JVM itself (class data sharing) beside the server in the
    cache: the first test run writes it as Trino exits (seconds, once), every later one maps it
    and starts in 30% less CPU time (14 s of 19 here). Stale (another JDK), it is written again."""
    return (f"-XX:SharedArchiveFile={home.parent / (home.name + '.jsa')}", "-XX:+AutoCreateSharedArchive",
            "-Xlog:cds=off", "-Xlog:cds+dynamic=off")


class TrinoError(Exception):
    """A query Trino refused or failed, in Trino's words."""


def trino_home() -> Path | None:
    for entry in cached("trino"):
        if entry.is_dir() and entry.name.startswith("trino-server-") and (entry / "lib").is_dir():
            return entry
    return None


def trino_java() -> Path | None:
    from stedi.engines.spark_session import java_version

    java = TRINO_JAVA_HOME / "bin" / "java"
    if java.exists() and (java_version(str(java)) or 0) >= TRINO_JAVA_VERSION:
        return java
    return None


def missing() -> str | None:
    """Why Trino cannot start here (one line), or None."""
    if trino_home() is None:
        return "Trino's server is not in .cache/jvm/trino: run `make jvm`"
    if trino_java() is None:
        return f"Trino needs Java {TRINO_JAVA_VERSION}+ at {TRINO_JAVA_HOME} (Temurin 25)"
    return None


def _properties(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")


def catalogs(aws_endpoint: str) -> dict[str, dict[str, str]]:
    """The catalogs an Athena user's tables are in: Glue for both, S3 through Trino's own S3 client."""
    glue = {"hive.metastore.glue.region": REGION, "hive.metastore.glue.endpoint-url": aws_endpoint,
            "hive.metastore.glue.aws-access-key": ACCESS_KEY, "hive.metastore.glue.aws-secret-key": SECRET_KEY}
    s3 = {"fs.native-s3.enabled": "true", "s3.endpoint": aws_endpoint, "s3.region": REGION,
          "s3.path-style-access": "true", "s3.aws-access-key": ACCESS_KEY, "s3.aws-secret-key": SECRET_KEY}
    return {
        "iceberg": {"connector.name": "iceberg", "iceberg.catalog.type": "glue", **glue, **s3},
        "hive": {"connector.name": "hive", "hive.metastore": "glue", **glue, **s3},
    }


@dataclass
class TrinoServer:
    uri: str
    process: subprocess.Popen
    log: Path
    started_in: float  # seconds from launch to the first query answered

    @classmethod
    def start(cls, aws_endpoint: str, scratch: Path, timeout: float = 180) -> "TrinoServer":
        home, java = trino_home(), trino_java()
        assert home is not None and java is not None, missing()
        port = free_port()
        etc, plugins = scratch / "etc", scratch / "plugin"
        plugins.mkdir(parents=True, exist_ok=True)
        for name in PLUGINS:
            (plugins / name).symlink_to(home / "plugin" / name)
        _properties(etc / "config.properties", {
            "coordinator": "true", "node-scheduler.include-coordinator": "true",
            "http-server.http.port": str(port), "discovery.uri": f"http://127.0.0.1:{port}",
            "plugin.dir": str(plugins), "catalog.config-dir": str(etc / "catalog"),
            "query.max-memory": "256MB", "query.max-memory-per-node": "256MB"})
        for name, values in catalogs(aws_endpoint).items():
            _properties(etc / "catalog" / f"{name}.properties", values)
        log = scratch / "trino.log"
        launched = time.monotonic()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(java), *JVM_OPTIONS, *class_archive(home), "-cp", str(home / "lib" / "*"),
                 f"-Dconfig={etc / 'config.properties'}", "-Dnode.environment=test",
                 f"-Dnode.data-dir={scratch / 'data'}", "io.trino.server.TrinoServer"],
                cwd=scratch, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "JAVA_HOME": str(java.parent.parent)})
        server = cls(f"http://127.0.0.1:{port}", process, log, 0.0)
        deadline = launched + timeout
        while "SERVER STARTED" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"Trino did not start: {log} says\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        server.query("SELECT 1")
        server.started_in = time.monotonic() - launched
        return server

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=90)  # the first run writes the class archive as it exits
        except subprocess.TimeoutExpired:
            self.process.kill()

    def _call(self, url: str, body: bytes | None = None) -> dict[str, Any]:
        request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET",
                                         headers={"X-Trino-User": "stedi-test"})
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.load(response)

    def query(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and rows of `sql`, values as Python reads them (dates, floats)."""
        deadline = time.monotonic() + 60
        while True:
            try:
                return self._query(sql)
            except TrinoError as e:
                # Seconds after it started, the server may not yet count itself as a worker for a
                # catalog (its announcement is periodic): a transient state, not an answer.
                if "No nodes available" not in str(e) or time.monotonic() > deadline:
                    raise
            time.sleep(0.5)

    def _query(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        answer = self._call(f"{self.uri}/v1/statement", sql.encode())
        columns: list[dict[str, Any]] = []
        data: list[list[Any]] = []
        while True:
            if "error" in answer:
                raise TrinoError(answer["error"].get("message", str(answer["error"])).splitlines()[0])
            columns = answer.get("columns") or columns
            data += answer.get("data") or []
            if "nextUri" not in answer:
                break
            answer = self._call(answer["nextUri"])
        types = [c["type"] for c in columns]
        return [c["name"] for c in columns], [tuple(map(_value, types, row)) for row in data]


def _value(kind: str, value: Any) -> Any:
    """A value of Trino's JSON answer as the Python value DuckDB hands over for the same type (the
    types of our tables: varchar, bigint, double, date)."""
    if value is None:
        return None
    if kind in ("double", "real"):
        return float(value)  # NaN and Infinity come as strings
    if kind == "date":
        return date.fromisoformat(value)
    return value
