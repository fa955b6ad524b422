"""The Spark engine: the same models on Apache Spark 3.5 (local, a cluster, or AWS Glue 5.0).

Spark reads the landing files itself (stedi/engines/spark_landing), so the files need only be
visible to the executors; each model's SQL, rendered for Spark by sqlglot (spark_sql), writes
Parquet into its table's folder, and later models read those files, as the DuckDB engine
does. The table store commits them: Spark never talks to the catalog. A session that exists
already (AWS Glue's, a test run's) is used and left running; one this engine started, it stops.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Callable, Iterator

from stedi.config import Config
from stedi.engines import spark_sql
from stedi.engines.base import Engine, LandingLoad, Written
from stedi.engines.spark_session import active_session, configure, start_session, stop_session
from stedi.errors import StediError
from stedi.landing.column_types import of_arrow, of_sql
from stedi.landing.sources import Source
from stedi.storage.landing_file import LandingFile

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession



class SparkEngine(Engine):
    name = "spark"

    def __init__(self, config: Config, spark: "SparkSession | None" = None, master: str | None = None,
                 small_data: bool = False):
        from stedi.engines.spark_session import require_pyspark

        require_pyspark()
        self.spark = spark or active_session()
        self.owns_session = self.spark is None
        if self.spark is None:
            self.spark = start_session(master or config.spark_master, driver_memory=_driver_memory(),
                                       small_data=small_data, jars=config.spark_jars)
        else:
            configure(self.spark)
        self.views: set[str] = set()
        self.fingerprints: dict[str, str] = {}
        self.readers: list = []
        self.closed = False

    # -- reading --------------------------------------------------------------------------

    def load_landing(self, source: Source, files: list[LandingFile]) -> LandingLoad:
        from stedi.engines.spark_landing import SparkLandingReader

        reader = SparkLandingReader(self.spark)
        self.readers.append(reader)
        df, load = reader.load(source, files)
        self._view(source.landing_table, df)
        return load

    def landing_used(self, source: str, accepted: str) -> None:
        """The cached judged lines of `source` go as soon as its accepted rows are written: the
        models read those files instead, and a cluster's executors have the memory back for the
        joins (before, every source's lines stayed cached until the run's end)."""
        view = f"{source}_landing"
        self._view(view, self.spark.table(accepted))  # type: ignore[union-attr]
        for reader in [r for r in self.readers if r.view == view]:
            reader.release()
            self.readers.remove(reader)

    def load_all(self, inputs: list[tuple[Source, list[LandingFile]]],
                 say: "Callable[[str], None]") -> list[tuple[LandingLoad, float]]:
        """The sources side by side: on small data a Spark job waits on the driver more than on
        the cores, so three at once keep both busy (docs/benchmarks.md, issue 9)."""
        say("reading " + ", ".join(f"{s.landing_table} ({len(files)} files)" for s, files in inputs))
        return list(self._side_by_side(lambda item: _timed(self.load_landing, *item), inputs))

    def rows_of_each(self, queries: list[str]) -> list[list[tuple]]:
        return list(self._side_by_side(self.rows, queries))

    def _side_by_side(self, work: "Callable", items: list) -> "Iterator":
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=max(1, len(items)), thread_name_prefix="stedi-spark") as pool:
            try:
                return iter(list(pool.map(work, items)))
            except KeyboardInterrupt:
                # Ctrl-C: the pool waits for every thread, and each waits on its Spark job, which
                # ran on to its end (35 s at 10M). Cancelled, each fails at once and the run stops.
                self.spark.sparkContext.cancelAllJobs()  # type: ignore[union-attr]
                raise

    def require_filesystem(self, location: str) -> None:
        """One line where Spark has no file system for the lake's scheme. s3:// is AWS Glue's and
        EMR's own; elsewhere it is S3A, set up here for the lake's bucket (spark_s3)."""
        if location.startswith("s3://"):
            from stedi.engines.spark_s3 import reach_s3

            reach_s3(self.spark, location)  # type: ignore[arg-type]
        jvm = self.spark._jvm  # type: ignore[union-attr]
        path = jvm.org.apache.hadoop.fs.Path(location)
        try:
            path.getFileSystem(self.spark._jsc.hadoopConfiguration())  # type: ignore[union-attr]
        except Exception as e:  # noqa: BLE001 - a Py4J error wrapping Java's
            scheme = location.split("://")[0] if "://" in location else "file"
            raise StediError(f"Spark cannot reach {location}: it has no file system for {scheme}:// "
                             f"({_java_message(e)}); nothing was written") from None

    # -- SQL ------------------------------------------------------------------------------

    def set_parameters(self, **values: str) -> None:
        self._view("run_parameters", self.spark.sql(spark_sql.literal_row(values)))  # type: ignore[union-attr]

    def create_view(self, name: str, sql: str) -> None:
        self._view(name, self._sql(sql))

    def write_parquet(self, name: str, sql: str, directory: str, cluster: tuple[str, int] | None = None,
                      order: tuple[str, ...] = ()) -> Written:
        # Spark writes a file per task; clustering by customer is left to its own partitioning.
        # `order` sorts within each task's file (no shuffle, unlike ORDER BY's global sort).
        df = self._sql(sql)
        return self._write(name, df.sortWithinPartitions(*order) if order else df, directory)

    def write_rows(self, name: str, columns: dict[str, str], rows: list[dict[str, object]], directory: str) -> Written:
        schema = ", ".join(f"{spark_sql.quote(c)} {of_sql(t).spark}" for c, t in columns.items())
        if not rows:  # no Spark job for nothing: no file, and a view with the columns
            self._view(name, self.spark.createDataFrame([], schema))  # type: ignore[union-attr]
            self.fingerprints[name] = _fingerprint(0, 0, self.spark.table(name).schema)  # type: ignore[union-attr]
            return Written([], 0)
        ordered = [tuple(row.get(c) for c in columns) for row in rows]
        df = self.spark.createDataFrame(ordered, schema=schema)  # type: ignore[union-attr]
        return self._write(name, df.coalesce(1), directory)

    def register_parquet(self, name: str, files: list[str], schema: "pa.Schema") -> None:
        spark_schema = _spark_schema(schema)
        if files:
            df = self.spark.read.schema(spark_schema).parquet(*_spark_paths(files))  # type: ignore[union-attr]
        else:
            df = self.spark.createDataFrame([], spark_schema)  # type: ignore[union-attr]
        self._view(name, df)

    def materialize(self, name: str, sql: str) -> None:
        df = self._sql(sql).cache()
        df.count()  # computed now, once
        self._view(name, df)

    def files_holding(self, files: list[str], where: str) -> list[str]:
        from pyspark.sql import functions as F

        if not files:
            return []
        from stedi.engines.spark_landing import file_key

        found = self.spark.read.parquet(*_spark_paths(files)).where(spark_sql.render_condition(where)) \
            .select(F.input_file_name().alias("f")).distinct().collect()  # type: ignore[union-attr]
        # Spark names a file by its URI (a space as %20, a local path as file:///): each is mapped
        # back to the name it was given, which the table's metadata holds.
        given = {file_key(f, uri=False): f for f in files}
        holding = []
        for row in found:
            name = given.get(file_key(row.f, uri=True))
            if name is None:
                raise StediError(f"Spark read {row.f}, which is none of the files it was given")
            holding.append(name)
        return sorted(holding)

    def count(self, name: str) -> int:
        return self.spark.table(name).count()  # type: ignore[union-attr]

    def schema(self, name: str) -> "pa.Schema":
        import pyarrow as pa
        from pyspark.sql.pandas.types import to_arrow_type

        # Every column nullable, as DuckDB reports them: the tables' Iceberg schemas are the same.
        return pa.schema([pa.field(f.name, to_arrow_type(f.dataType), nullable=True)
                          for f in self.spark.table(name).schema])  # type: ignore[union-attr]

    def fingerprint(self, name: str) -> str:
        if name in self.fingerprints:  # observed while it was written
            return self.fingerprints[name]
        df = self.spark.table(name)  # type: ignore[union-attr]
        rows, total = df.selectExpr("count(*)", "sum(xxhash64(*))").first()
        return _fingerprint(rows, total or 0, df.schema)

    def rows(self, sql: str) -> list[tuple]:
        return [tuple(row) for row in self._sql(sql).collect()]

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for reader in self.readers:
            reader.release()
        if self.owns_session:
            stop_session(self.spark)  # type: ignore[arg-type]
            return
        for name in self.views:
            self.spark.catalog.dropTempView(name)  # type: ignore[union-attr]

    # -- helpers --------------------------------------------------------------------------

    def _sql(self, sql: str) -> "DataFrame":
        rendered = spark_sql.render(sql)
        if spark_sql.COLUMNS_VIEW in rendered:
            self._columns_view()
        return self.spark.sql(rendered)  # type: ignore[union-attr]

    def _columns_view(self) -> None:
        """information_schema.columns as Spark lacks it: the columns of this engine's views."""
        rows = [(view, f.name) for view in sorted(self.views) for f in self.spark.table(view).schema]  # type: ignore[union-attr]
        df = self.spark.createDataFrame(rows, "table_name string, column_name string")  # type: ignore[union-attr]
        self._view(spark_sql.COLUMNS_VIEW, df)

    def _view(self, name: str, df: "DataFrame") -> None:
        df.createOrReplaceTempView(name)
        self.views.add(name)

    def _write(self, name: str, df: "DataFrame", directory: str) -> Written:
        """Write `df` as Parquet files into `directory`; then `name` reads them (later models
        read the written files, not the SQL again). The row count and the fingerprint are
        observed while writing: no second pass over the rows."""
        from pyspark.sql import Observation
        from pyspark.sql import functions as F

        seen = Observation(f"write-{name}")
        hashed = F.xxhash64(*[F.col(spark_sql.quote(c)) for c in df.columns])
        df.observe(seen, F.count(F.lit(1)).alias("rows"), F.sum(hashed).alias("total")) \
            .write.mode("errorifexists").parquet(directory)
        rows, total = int(seen.get["rows"]), seen.get["total"] or 0
        self.fingerprints[name] = _fingerprint(rows, total, df.schema)
        files = self._parquet_files(directory)
        if rows:
            self._view(name, self.spark.read.schema(df.schema).parquet(*_spark_paths(files)))  # type: ignore[union-attr]
            return Written(files, rows)
        # Spark writes an empty file for no rows: the view keeps the columns, the table not the file.
        self._view(name, self.spark.createDataFrame([], df.schema))  # type: ignore[union-attr]
        return Written([], 0, empty=files)

    def _parquet_files(self, directory: str) -> list[str]:
        """The Parquet files Spark wrote, named as the lake names them (a local path, or s3://)."""
        jvm = self.spark._jvm  # type: ignore[union-attr]
        path = jvm.org.apache.hadoop.fs.Path(directory)
        fs = path.getFileSystem(self.spark._jsc.hadoopConfiguration())  # type: ignore[union-attr]
        found = []
        for status in fs.listStatus(path):
            name = status.getPath().getName()
            if status.isFile() and name.endswith(".parquet"):
                found.append(directory.rstrip("/") + "/" + name)
        return sorted(found)


def _spark_paths(files: list[str]) -> list[str]:
    """Files as Spark's readers take them: a '[' or '*' in a lake's path is a name, not a pattern."""
    from stedi.engines.spark_landing import spark_path

    return [spark_path(f) for f in files]


def _timed(work: "Callable", *args: object) -> tuple[object, float]:
    started = time.perf_counter()
    return work(*args), time.perf_counter() - started


def _fingerprint(rows: int, total: int, schema: object) -> str:
    """An order-free sum of row hashes (it wraps around: still a fingerprint); the schema names
    the columns and their types."""
    return f"{rows}:{total}:{schema.simpleString()}"  # type: ignore[attr-defined]


def _spark_schema(schema: "pa.Schema") -> str:
    return ", ".join(f"{spark_sql.quote(f.name)} {of_arrow(f.type, 'Spark').spark}" for f in schema)


def _driver_memory() -> str:
    """Half the machine's memory, up to 8 GB: in local mode the driver's JVM runs the executors too."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "4g"
    return f"{max(1, min(8, total // 2**31))}g"


def _java_message(error: Exception) -> str:
    text = str(error).strip().splitlines()
    for line in text:
        if "Exception:" in line:
            return line.split("Exception:", 1)[1].strip()
    return text[0] if text else type(error).__name__
