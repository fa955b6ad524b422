"""Landing files into typed rows with Spark, with the DuckDB engine's verdict on every line.

Spark reads the files itself: on a cluster they may be visible to the executors only, so the
driver never reads landing bytes. One pass over them: every line is judged in the JVM
(spark_line_checks) and the result is cached; lines read, line numbers, the suspect lines
for the validator and the accepted rows all come from that cache. Only suspects keep their
raw bytes there.

Line numbers without reading a file in one task: Spark splits a big file into blocks. The
rows of one block are contiguous and in order within their partition, so
`monotonically_increasing_id()` taken right after the scan numbers them; a block's row count
and first id are then enough for the driver to number every line (blocks in order of their
start, per file). Blank lines are rows too, so they keep their numbers.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from stedi.engines import spark_bom
from stedi.engines.base import LandingLoad
from stedi.engines.spark_line_checks import (ACCEPTED, BLANK, SUSPECT, columns_schema, judge_batches,
                                             judge_lines, judged_schema)
from stedi.errors import InputError
from stedi.landing.quarantine import Rejected
from stedi.landing.sources import Source
from stedi.storage.landing_file import LandingFile

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_TASK_LINES, _TASK_BYTES = 20_000, 32 << 20  # suspects per validator task, at most (roughly)
_GLOB = re.compile(r"([*?\[\]{}\\])")  # Spark expands these in a path: escaped, a name is a name


@dataclass
class _Block:
    file: str  # as Spark names it (_metadata.file_path, a URI)
    start: int
    rows: int  # blank lines included
    first_id: int
    filled: int  # non-blank lines
    accepted: int
    suspects: int
    suspect_bytes: int
    bytes: int  # of its lines, each with its newline
    file_size: int
    first_line: int = 0


@dataclass
class _Tally:
    read: int
    accepted: int
    suspects: int


class SparkLandingReader:
    def __init__(self, spark: "SparkSession"):
        self.spark = spark
        # What the last load saw: lines it handed to the validator (the rest were proved in the
        # JVM), file blocks holding lines, and the partitions they were read in.
        self.suspects = self.blocks = self.partitions = 0
        self.view = ""  # the landing view of the last load, which reads what it holds
        self._held: list["DataFrame"] = []

    def load(self, source: Source, files: list[LandingFile]) -> tuple["DataFrame", LandingLoad]:
        """The accepted rows (columns `source.columns`, read from the cache of judged lines,
        not the files) and what was read and rejected."""
        self.suspects = self.blocks = self.partitions = 0
        self.view = source.landing_table
        if not files:
            return self.spark.createDataFrame([], columns_schema(source)), LandingLoad(source.name, 0, 0, [])
        held = [_persist(self._judged(source, files))]
        try:
            rows, tally, rejected = self._read(source, files, held)
        except BaseException:
            for df in held:
                df.unpersist()
            raise
        # The judged lines stay cached: a copy of just the rows took a fifth longer, for little
        # memory (the cache compresses the bookkeeping columns to almost nothing).
        self._held += held
        self.suspects = tally.suspects
        return rows, LandingLoad(source.name, tally.read, tally.accepted, rejected)

    def release(self) -> None:
        """Let go of what every `load` cached (their rows would be read from the files again)."""
        while self._held:
            self._held.pop().unpersist(blocking=True)

    def _read(self, source: Source, files: list[LandingFile],
              held: list["DataFrame"]) -> tuple["DataFrame", _Tally, list[Rejected]]:
        """Counts and line numbers from the cache; the suspects judged by the validator, its
        rejected lines collected and its accepted rows joined to the JVM's (`held` gets its cache)."""
        from pyspark.sql import functions as F

        lines = held[0]
        blocks = self._blocks(lines)  # the one pass over the files, filling the cache
        named = _names(files, {b.file for b in blocks})
        # monotonically_increasing_id(): the partition's index above bit 33, the row's below.
        self.blocks, self.partitions = len(blocks), len({b.first_id >> 33 for b in blocks})
        tally = _Tally(sum(b.filled for b in blocks), sum(b.accepted for b in blocks), sum(b.suspects for b in blocks))
        lines, rejected = self._byte_order_marks(source, files, named, blocks, lines, tally)
        columns = [F.col(c) for c in source.columns]
        rows = lines.where(F.col("_kind") == ACCEPTED).select(*columns)
        if not tally.suspects:
            return rows, tally, rejected
        checked = _persist(self._checked(source, lines, blocks))
        held.append(checked)
        starts = {(b.file, b.start): (b.first_line, b.first_id) for b in blocks}
        refused = 0
        for r in checked.where(F.col("_reason").isNotNull()).select("_file", "_block", "_row", "_text",
                                                                     "_reason").collect():
            first_line, first_id = starts[(r._file, r._block)]
            rejected.append(Rejected(named[r._file], r._text, first_line + r._row - first_id, r._reason))
            refused += 1
        if refused == tally.suspects:
            held.pop().unpersist()
        else:
            rows = rows.unionByName(checked.where(F.col("_reason").isNull()).select(*columns))
            tally.accepted += tally.suspects - refused
        return rows, tally, rejected

    def _judged(self, source: Source, files: list[LandingFile]) -> "DataFrame":
        """Per line: file, block, row id, kind, typed values (accepted lines), raw bytes (suspects),
        and for finding a cut-off BOM, the file's size and the line's bytes."""
        from pyspark.sql import functions as F

        _readable(files)
        # A file that cannot be read whole stops the load, whatever the session says.
        read = self.spark.read.options(lineSep="\n", ignoreCorruptFiles="false", ignoreMissingFiles="false")
        try:
            scan = read.text([spark_path(f.path) for f in files])
        except Exception as e:  # noqa: BLE001 - Spark's AnalysisException (a missing file, say)
            raise InputError(f"cannot read {source.name} landing files: {str(e).strip().splitlines()[0]}") from None
        scan = (scan
                .select(F.col("_metadata.file_path").alias("_file"),
                        F.col("_metadata.file_block_start").alias("_block"),
                        F.monotonically_increasing_id().alias("_row"), F.col("_metadata.file_size").alias("_size"),
                        (F.octet_length("value") + 1).alias("_bytes"), "value"))
        value = F.col("value")
        # One trailing CR is not part of the line; cut as bytes, so no odd byte before it goes too.
        text = F.when(value.endswith("\r"), value.cast("binary").substr(F.lit(1), F.octet_length(value) - 1)
                      .cast("string")).otherwise(value)
        keep = ["_file", "_block", "_row", "_size", "_bytes"]
        return judge_lines(source, scan.select(*keep, text.alias("_line")), keep)

    @staticmethod
    def _blocks(lines: "DataFrame") -> list[_Block]:
        from pyspark.sql import functions as F

        kind = F.col("_kind")
        found = [_Block(*r) for r in lines.groupBy("_file", "_block").agg(
            F.count(F.lit(1)), F.min("_row"), F.count(F.when(kind != BLANK, 1)), F.count(F.when(kind == ACCEPTED, 1)),
            F.count(F.when(kind == SUSPECT, 1)), F.coalesce(F.sum(F.octet_length("_raw")), F.lit(0)), F.sum("_bytes"),
            F.max("_size")).collect()]
        found.sort(key=lambda b: (b.file, b.start))
        line, file = 1, None
        for b in found:
            if b.file != file:
                line, file = 1, b.file
            b.first_line, line = line, line + b.rows
        return found

    def _byte_order_marks(self, source: Source, files: list[LandingFile], named: dict[str, str], blocks: list[_Block],
                          lines: "DataFrame", tally: _Tally) -> tuple["DataFrame", list[Rejected]]:
        """The first lines of files that start with a BOM, judged with it (see spark_bom); the
        lines without it are taken out of `lines` and the tally."""
        from pyspark.sql import functions as F

        sizes, line_bytes = {}, {}
        for b in blocks:
            sizes[b.file], line_bytes[b.file] = b.file_size, line_bytes.get(b.file, 0) + b.bytes
        marked = spark_bom.cut_short(sizes, line_bytes)
        read = {path for path in named.values()}
        rejected = spark_bom.only_a_mark(self.spark, source, [f for f in files if f.path not in read], _hadoop_path)
        tally.read += len(rejected)
        if not marked:
            return lines, rejected
        firsts = [b.first_id for b in blocks if b.file in marked and b.start == 0]
        for kind, n in lines.where(F.col("_row").isin(firsts)).groupBy("_kind").count().collect():
            tally.read -= n if kind != BLANK else 0
            tally.accepted -= n if kind == ACCEPTED else 0
            tally.suspects -= n if kind == SUSPECT else 0
        paths = {uri: spark_path(named[uri]) for uri in marked}
        for uri, (raw, reason) in spark_bom.first_lines(self.spark, source, paths).items():
            rejected.append(Rejected(named[uri], raw, 1, reason))
            tally.read += 1
        return lines.where(~F.col("_row").isin(firsts)), rejected

    @staticmethod
    def _checked(source: Source, lines: "DataFrame", blocks: list[_Block]) -> "DataFrame":
        """The suspects judged by the validator on the executors. Filtered first: a Python
        function would otherwise see every row. In as few tasks as their number and size
        need: each task that runs Python costs a worker round trip, with or without rows."""
        from pyspark.sql import functions as F

        passed = [("_file", "string"), ("_block", "bigint"), ("_row", "bigint")]
        suspects = lines.where(F.col("_kind") == SUSPECT).select(*(n for n, _ in passed), "_raw")
        count, size = sum(b.suspects for b in blocks), sum(b.suspect_bytes for b in blocks)
        tasks = min(max(-(-count // _TASK_LINES), -(-size // _TASK_BYTES), 1), lines.rdd.getNumPartitions())
        return suspects.coalesce(tasks).mapInArrow(partial(judge_batches, source, "_raw"),
                                                   judged_schema(source, passed))


def _persist(df: "DataFrame") -> "DataFrame":
    from pyspark import StorageLevel

    return df.persist(StorageLevel.MEMORY_AND_DISK)


def _readable(files: list[LandingFile]) -> None:
    """Spark's file sources skip a file whose name starts with '_' or '.' (or ends with
    '._COPYING_'), even one named on its own, without a word: such a file is refused here
    rather than left unread. Each file once: a file read twice would number its lines twice."""
    seen = set()
    for f in files:
        name = f.path.rstrip("/").rsplit("/", 1)[-1]
        if ((name.startswith("_") and "=" not in name) or name.startswith(".") or name.endswith("._COPYING_")) \
                and not name.startswith(("_metadata", "_common_metadata")):
            raise InputError(f"{f.path}: Spark does not read a file whose name starts with '_' or '.'; "
                             "rename it in the delivery, or run with the DuckDB engine")
        if file_key(f.path, uri=False) in seen:
            raise InputError(f"{f.path}: given twice")
        seen.add(file_key(f.path, uri=False))


def _hadoop_path(path: str) -> str:
    """A local path as a file: URI (not the cluster's default file system; a ':' in a name
    stays a name); an s3:// or other URI as it is."""
    return path if "://" in path else "file:" + os.path.abspath(path)


def spark_path(path: str) -> str:
    """A landing path as Spark's readers take it: glob characters escaped."""
    return _GLOB.sub(r"\\\1", _hadoop_path(path))


def file_key(path: str, uri: bool) -> tuple[str, str, str]:
    """(scheme, host, decoded path) of a given path or of the URI Spark names a file by."""
    if uri:
        parts = urlsplit(path)
        scheme, host, name = parts.scheme, parts.netloc, unquote(parts.path)
    elif "://" in path:
        scheme, rest = path.split("://", 1)
        host, _, name = rest.partition("/")
        name = "/" + name
    else:
        scheme, host, name = "file", "", os.path.abspath(path)
    return scheme, host, re.sub("/+", "/", name)


def _names(files: list[LandingFile], read: set[str]) -> dict[str, str]:
    """LandingFile.path of each file Spark read, by the name Spark gives it."""
    given = {file_key(f.path, uri=False): f.path for f in files}
    named = {}
    for uri in read:
        path = given.get(file_key(uri, uri=True))
        if path is None:
            raise InputError(f"Spark read {uri}, which is none of the landing files it was given")
        named[uri] = path
    return named
