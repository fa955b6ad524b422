"""The floor's rules as five AWS Glue-style PySpark jobs:
`python benchmarks/glue_style_pyspark.py LANDING OUT [strict|any-time]`.

One function per Glue job of the original project, run in order, each reading its inputs
(landing JSON, or the Parquet an earlier job wrote) and writing one table as Parquet under
OUT/<table>/ (overwrite), as the Glue jobs did through S3. PySpark 3.5 (the line AWS Glue
5.0 runs) on a local[2] SparkSession; nothing is downloaded at run time.

The rules are those of floor.sql, row for row. Two places need care so that Spark reads the
landing JSON the way DuckDB's read_json(ignore_errors = true) does:

- Numbers written as JSON strings ("timestamp":"1655564444103"): DuckDB casts them, Spark's
  typed JSON reader drops the line. Numeric fields are therefore read as strings and cast
  (Glue's resolveChoice "cast:long"); a value that does not cast ("x":"abc") becomes null,
  as in DuckDB.
- Text after the object ('{...}}'): Jackson stops at the closing brace and Spark keeps the
  record; DuckDB rejects the line. Lines are read as text, lines with anything after their
  one flat object are dropped, and spark.read.json parses the rest. Single-quoted JSON,
  which Spark accepts by default, is turned off.

One known difference, on purpose: a line cut short right after a ':' ('{"user":') makes
DuckDB's newline-delimited reader take the next line as that key's value, so floor.sql also
loses the valid record on the next line. Here every line stands alone (one record per line,
as delivered), so such a record is kept and these outputs can hold a few more rows than the
floor's on data with truncated lines.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    from pyspark import SparkContext
    from pyspark.sql import DataFrame, SparkSession, Window
    from pyspark.sql import functions as F
except ImportError as e:  # pragma: no cover
    raise SystemExit("pyspark is not installed: pip install -c constraints.txt -e '.[spark]'") from e

KEY = "0" * 64  # the pseudonymisation key, as in floor.py

# (JSON key, type) per landing source, as in floor.sql's read_json columns.
CUSTOMER = (("customerName", "string"), ("email", "string"), ("phone", "string"), ("birthDay", "string"),
            ("serialNumber", "string"), ("registrationDate", "bigint"), ("lastUpdateDate", "bigint"),
            ("shareWithResearchAsOfDate", "bigint"), ("shareWithPublicAsOfDate", "bigint"),
            ("shareWithFriendsAsOfDate", "bigint"))
ACCELEROMETER = (("user", "string"), ("timestamp", "bigint"), ("x", "double"), ("y", "double"), ("z", "double"))
STEP_TRAINER = (("sensorReadingTime", "bigint"), ("serialNumber", "string"), ("distanceFromObject", "bigint"))

# One flat JSON object and nothing after it (strings may hold braces). The cheap test, "the
# first '}' is the last character", settles almost every line; the regex handles the rest.
FLAT_OBJECT = r'^\s*\{(?:[^{}"]++|"(?:[^"\\]++|\\.)*+")*+\}\s*$'

# Spark's log4j2 configuration: warnings on stderr while the session starts (the root at WARN, the
# level PySpark picks, keeps its "Setting default log level" banner away), errors only after.
LOG4J2 = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
logger.native.name = org.apache.hadoop.util.NativeCodeLoader
logger.native.level = error
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""


def spark_session(scratch: Path):
    """A quiet local[2] session sized for this machine (2 cores, 24 GiB); ``scratch`` holds
    its log configuration and warehouse folder. Nothing is fetched: no --packages, no Maven."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no "hostname resolves to a loopback address"
    log4j2 = scratch / "log4j2.properties"
    log4j2.write_text(LOG4J2)
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("stedi-glue-style")
        .config("spark.driver.memory", "8g")  # ~14 million rows at the 10m size, with room to spare
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log4j2.as_uri()}")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")  # 2 cores; adaptive execution coalesces further
        .config("spark.sql.ansi.enabled", "false")  # a failed cast is null, not an error (as DuckDB's reader)
        .config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def stop(spark) -> None:
    """Stop Spark and wait for its JVM to exit, so that the process's time and peak memory
    (what bench_run.py measures) include the JVM's; PySpark would otherwise leave it behind."""
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


def read_landing(spark, landing: Path, source: str, fields: tuple[tuple[str, str], ...]):
    """The landing JSON of one source, typed, lowercased column names. Malformed lines are
    dropped (DROPMALFORMED); a number that does not cast is null."""
    lines = spark.read.text(str(landing / source / "landing" / "*.json"))
    value = F.col("value")
    one_object = F.when(F.instr(value, "}") == F.length(F.rtrim(value)), True).otherwise(value.rlike(FLAT_OBJECT))
    lines = lines.where(one_object)
    # Every field as a string: numbers written as JSON strings then cast like JSON numbers.
    reader = (spark.read.schema(", ".join(f"`{key}` string" for key, _ in fields))
              .option("mode", "DROPMALFORMED").option("allowSingleQuotes", "false"))
    # spark.read.json over the filtered lines: PySpark takes only paths or a Python RDD (slow),
    # so call DataFrameReader.json(Dataset[String]) on the JVM.
    strings = getattr(lines._jdf, "as")(spark._jvm.org.apache.spark.sql.Encoders.STRING())
    rows = DataFrame(reader._jreader.json(strings), spark)
    return rows.select(*[F.col(f"`{key}`").cast(kind).alias(key.lower()) for key, kind in fields])


def write(df, out: Path, table: str) -> None:
    df.write.mode("overwrite").parquet(str(out / table))


def read(spark, out: Path, table: str):
    return spark.read.parquet(str(out / table))


def latest_per_email(customers, *order):
    """The latest record of each email (by lastupdatedate, then ``order``)."""
    window = Window.partitionBy("email").orderBy(F.col("lastupdatedate").desc(), *order)
    return customers.withColumn("_rn", F.row_number().over(window)).where("_rn = 1").drop("_rn")


def customer_landing(spark, landing: Path):
    return read_landing(spark, landing, "customer", CUSTOMER).where(
        "email IS NOT NULL AND serialnumber IS NOT NULL AND lastupdatedate IS NOT NULL")


def consented(df, time_column: str, policy: str):
    """Readings taken at or after the customer's research consent (strict), or all (any-time)."""
    return df if policy == "any-time" else df.where(df[time_column] >= df["sharewithresearchasofdate"])


# --- The five jobs -----------------------------------------------------------------------------


def customer_landing_to_trusted(spark, landing: Path, out: Path, policy: str) -> None:
    """Latest record per email (ties: the one without consent first); it must have consent."""
    latest = latest_per_email(customer_landing(spark, landing), F.col("sharewithresearchasofdate").desc_nulls_first())
    write(latest.where("sharewithresearchasofdate IS NOT NULL"), out, "customer_trusted")


def accelerometer_landing_to_trusted(spark, landing: Path, out: Path, policy: str) -> None:
    """Readings of trusted customers (per the consent policy), exact duplicates removed."""
    readings = read_landing(spark, landing, "accelerometer", ACCELEROMETER)
    customers = read(spark, out, "customer_trusted").select("email", "sharewithresearchasofdate")
    joined = readings.join(customers, readings["user"] == customers["email"])
    write(consented(joined, "timestamp", policy).select("user", "timestamp", "x", "y", "z").distinct(),
          out, "accelerometer_trusted")


def customer_trusted_to_curated(spark, landing: Path, out: Path, policy: str) -> None:
    """Trusted customers with at least one trusted accelerometer reading."""
    customers = read(spark, out, "customer_trusted")
    users = read(spark, out, "accelerometer_trusted").select("user")
    write(customers.join(users, customers["email"] == users["user"], "left_semi"), out, "customer_curated")


def step_trainer_trusted(spark, landing: Path, out: Path, policy: str) -> None:
    """Readings of curated customers' devices (per the consent policy), exact duplicates removed,
    leaving out serial numbers held by more than one customer (latest record per email)."""
    readings = read_landing(spark, landing, "step_trainer", STEP_TRAINER)
    owned_once = (latest_per_email(customer_landing(spark, landing)).groupBy("serialnumber").count()
                  .where("count = 1").select("serialnumber"))
    customers = read(spark, out, "customer_curated").select("serialnumber", "sharewithresearchasofdate")
    joined = readings.join(owned_once, "serialnumber").join(customers, "serialnumber")
    write(consented(joined, "sensorreadingtime", policy)
          .select("sensorreadingtime", "serialnumber", "distancefromobject").distinct(),
          out, "step_trainer_trusted")


def machine_learning_curated(spark, landing: Path, out: Path, policy: str) -> None:
    """Step-trainer readings paired with the same customer's accelerometer readings at the same
    millisecond; the customer only as a keyed hash."""
    steps = read(spark, out, "step_trainer_trusted")
    customers = read(spark, out, "customer_curated").select("serialnumber", "email")
    readings = read(spark, out, "accelerometer_trusted")
    paired = steps.join(customers, "serialnumber").join(
        readings, (readings["user"] == customers["email"]) & (readings["timestamp"] == steps["sensorreadingtime"]))
    write(paired.select(F.sha2(F.concat(F.lit(KEY), customers["email"]), 256).alias("customer_key"),
                        "sensorreadingtime", "distancefromobject", "x", "y", "z"),
          out, "machine_learning_curated")


JOBS = (customer_landing_to_trusted, accelerometer_landing_to_trusted, customer_trusted_to_curated,
        step_trainer_trusted, machine_learning_curated)


def main() -> None:
    if len(sys.argv) not in (3, 4) or (len(sys.argv) == 4 and sys.argv[3] not in ("strict", "any-time")):
        raise SystemExit(__doc__.splitlines()[1])
    landing, out = Path(sys.argv[1]).absolute(), Path(sys.argv[2]).absolute()
    policy = sys.argv[3] if len(sys.argv) == 4 else "strict"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="stedi-spark-") as scratch:
        spark = spark_session(Path(scratch))
        try:
            for job in JOBS:
                job(spark, landing, out, policy)
        finally:
            stop(spark)


if __name__ == "__main__":
    main()
