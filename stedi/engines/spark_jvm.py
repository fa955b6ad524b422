"""The driver JVM: which Java runs it (checked before Spark starts, so a missing one reads as
what to install), its log settings, and the archive of its classes that starts it sooner."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from stedi.errors import StediError
from stedi.storage.atomic import write_atomic

# Spark 3.5 runs on Java 8, 11 and 17; AWS Glue 5.0 runs it on 17.
SUPPORTED_JAVA = (8, 11, 17)
JAVA_HINT = "install Java 17 (Debian/Ubuntu: apt-get install openjdk-17-jre-headless) and put it on PATH or set JAVA_HOME"

# Warnings while the session starts, errors after: Spark's INFO lines would bury the run's own.
_LOG4J2 = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
logger.native.name = org.apache.hadoop.util.NativeCodeLoader
logger.native.level = error
logger.snappy.name = org.apache.spark.util.Utils
logger.snappy.level = error
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""


def java_version(java: str) -> int | None:
    """The major version `java -version` reports (8 for 1.8), or None where it does not run."""
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if done.returncode != 0 or not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def find_java() -> str | None:
    """The java PySpark will start: $JAVA_HOME/bin/java where JAVA_HOME is set, else PATH's."""
    home = os.environ.get("JAVA_HOME")
    if home:
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def require_java() -> None:
    java = find_java()
    if java is None:
        raise StediError(f"the Spark engine needs Java, and none was found: {JAVA_HINT}")
    version = java_version(java)
    if version is None:
        raise StediError(f"the Spark engine needs Java, and {java} does not run: {JAVA_HINT}")
    if version not in SUPPORTED_JAVA:
        raise StediError(f"the Spark engine needs Java 17 (or 8 or 11), found Java {version} at {java}: {JAVA_HINT}")


def log_settings() -> Path:
    """Spark's log settings for the JVM, in the user's cache folder: a fixed name in the shared
    temporary folder could be another user's file or symlink (read as theirs, written through)."""
    path = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stedi" / "spark-log4j2.properties"
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(path, _LOG4J2)  # replaces what is there: never writes through a symlink
        return path
    except OSError:  # no writable home: a folder of our own
        path = Path(tempfile.mkdtemp(prefix="stedi-spark-")) / "log4j2.properties"
        write_atomic(path, _LOG4J2)
        return path


class ClassArchive:
    """The driver JVM's classes, archived by the JVM itself (Java's class data sharing) on the
    first run of a machine and mapped by every later one: it starts Spark 1.5-2 s sooner. The
    archive (~140 MB) is made, never downloaded, in the user's cache, named by the PySpark and
    Java it belongs to; the first run writes it when its JVM exits (seconds, once). A missing or
    unusable archive only means a slower start."""

    def __init__(self) -> None:
        self.writing: Path | None = None

    def _path(self) -> Path | None:
        import hashlib

        import pyspark

        java = find_java()
        if java is None:
            return None
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stedi"
        key = hashlib.sha256(f"{pyspark.__version__}|{os.path.realpath(java)}".encode()).hexdigest()[:16]
        return cache / f"spark-driver-{pyspark.__version__}-{key}.jsa"

    def options(self) -> str:
        # Off where a run's start-up does not matter but the archive's writing would (test runs).
        path = None if os.environ.get("STEDI_SPARK_CLASS_ARCHIVE") == "off" else self._path()
        if path is None:
            return ""
        quiet = " -Xlog:cds=off -Xlog:cds+dynamic=off"  # a stale archive is skipped without a word
        if path.is_file():
            return f" -XX:SharedArchiveFile={path}{quiet}"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            return ""
        self.writing = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        return f" -XX:ArchiveClassesAtExit={self.writing}{quiet}"

    def written(self) -> None:
        """The JVM has exited: keep what it archived (whole, or not at all)."""
        if self.writing is None:
            return
        final = self.writing.with_name(self.writing.name.rsplit(".", 2)[0])
        try:
            if self.writing.is_file() and self.writing.stat().st_size:
                self.writing.replace(final)
        except OSError:
            pass
        finally:
            self.writing.unlink(missing_ok=True)
            self.writing = None


class_archive = ClassArchive()
