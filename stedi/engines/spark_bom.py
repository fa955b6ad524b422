"""The one place Spark's text reader does not hand over a line as delivered: a UTF-8 byte order
mark at the start of a file. Hadoop's line reader cuts it off; the validator does not (JSON
has none, so the first line of such a file is rejected, shown with its BOM). Such files are
found by their size: the bytes of their lines fall 3 short of it (2 when the last line has
no newline), and a file of nothing but the mark gives no line at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from stedi.landing.locate import decode
from stedi.landing.quarantine import Rejected
from stedi.landing.sources import Source
from stedi.landing.validate import rejection_reason
from stedi.storage.landing_file import LandingFile

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

BOM = b"\xef\xbb\xbf"


def cut_short(sizes: dict[str, int], line_bytes: dict[str, int]) -> set[str]:
    """Files (by Spark's name) whose lines, each with its newline, are a BOM short of the size."""
    return {f for f, size in sizes.items() if size - line_bytes[f] in (2, 3)}


def first_lines(spark: "SparkSession", source: Source, paths: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    """(text, reason) of the first line of each file (Spark's name: the path to read), with its
    BOM: read again from the first block of those files (rare), each line judged here."""
    from pyspark.sql import functions as F

    first = (spark.read.option("lineSep", "\n").text(list(paths.values()))
             .select(F.col("_metadata.file_path").alias("uri"), F.col("_metadata.file_block_start").alias("start"),
                     F.monotonically_increasing_id().alias("row"), "value")
             .where(F.col("start") == 0)
             .groupBy("uri").agg(F.min_by(F.col("value").cast("binary"), "row").alias("line")))
    return {r.uri: judged(source, BOM + bytes(r.line)) for r in first.collect()}


def only_a_mark(spark: "SparkSession", source: Source, files: list[LandingFile],
                path: Callable[[str], str]) -> list[Rejected]:
    """The files among these (which gave Spark no line) that hold nothing but a BOM, as one
    rejected line each. Their size says so (any other 3 bytes are a line): no bytes read."""
    conf = spark._jsc.hadoopConfiguration()
    found = []
    for f in files:
        name = spark._jvm.org.apache.hadoop.fs.Path(path(f.path))
        if name.getFileSystem(conf).getFileStatus(name).getLen() == len(BOM):
            raw, reason = judged(source, BOM)
            found.append(Rejected(f.path, raw, 1, reason))
    return found


def judged(source: Source, data: bytes) -> tuple[str, str | None]:
    data = data[:-1] if data.endswith(b"\r") else data
    raw, reason = decode(data)
    return raw, reason or rejection_reason(source, raw)  # JSON has no BOM: never None
