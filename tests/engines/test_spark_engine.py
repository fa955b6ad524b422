"""The Spark engine's own bookkeeping: what it keeps cached, and how it names the files it reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from stedi.config import Config
from stedi.storage.landing_file import LandingFile
from stedi.landing.sources import SOURCES
from tests.conftest import customer, reading


def jsonl(path: Path, *lines: object) -> LandingFile:
    import json

    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return LandingFile(str(path))


def test_a_source_s_cached_lines_go_once_its_accepted_rows_are_written(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from stedi.engines.spark_engine import SparkEngine

    cached = spark.sparkContext._jsc.sc().getRDDStorageInfo
    before = len(cached())
    engine = SparkEngine(Config(), spark=spark)
    try:
        # One line for the validator (a key the JVM does not know), one rejected: two caches.
        readings = jsonl(tmp_path / "a.json", reading("a@x.com", 1), {**reading("a@x.com", 2), "k": [1]}, "bad")
        engine.load_landing(SOURCES["accelerometer"], [readings])
        engine.load_landing(SOURCES["customer"], [jsonl(tmp_path / "c.json", customer("a@x.com", "s1"))])
        assert len(cached()) == before + 3
        written = engine.write_parquet("new_accelerometer", "SELECT * FROM accelerometer_landing",
                                       str(tmp_path / "accepted"))
        engine.landing_used("accelerometer", "new_accelerometer")
        assert len(cached()) == before + 1  # the customers' lines stay: they are still to be used
        Path(readings.path).unlink()  # the rows now come from the accepted files
        assert sorted(engine.rows("SELECT timestamp FROM accelerometer_landing")) == [(1,), (2,)]
        assert written.rows == 2 and engine.rows("SELECT count(*) FROM customer_landing") == [(1,)]
    finally:
        engine.close()
    assert len(cached()) == before


def test_the_files_holding_rows_are_named_as_given(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """input_file_name() is a URI (a space is %20, a local path file:///...): mapped back."""
    from stedi.engines.spark_engine import SparkEngine

    engine = SparkEngine(Config(), spark=spark)
    try:
        folder = tmp_path / "a lake [1] 50% é"
        files = []
        for n in (1, 2, 3):
            files += engine.write_parquet(f"t{n}", f"SELECT {n} AS n", str(folder / f"t{n}")).files
        assert engine.files_holding(files, "n >= 2") == sorted(files[1:])
    finally:
        engine.close()


def test_ctrl_c_while_sources_load_side_by_side_cancels_their_spark_jobs_at_once():
    """Ctrl-C reaching the run while three sources load: the pool would wait for the other
    sources' Spark jobs to finish (35 s at 10M) before the run could stop; they are cancelled."""
    import threading

    from stedi.engines.spark_engine import SparkEngine

    cancelled = threading.Event()

    class Context:
        def cancelAllJobs(self):
            cancelled.set()

    class Session:
        sparkContext = Context()

    engine = SparkEngine.__new__(SparkEngine)  # no JVM: only the pool's behaviour is tested
    engine.spark = Session()

    def load(source):
        if source == "customer":
            raise KeyboardInterrupt  # as if the signal's handler ran here
        if not cancelled.wait(timeout=10):  # a Spark job that runs until cancelled
            raise AssertionError("the Spark job was never cancelled")
        raise RuntimeError("job cancelled")

    with pytest.raises(KeyboardInterrupt):
        engine._side_by_side(load, ["customer", "accelerometer", "step_trainer"])
    assert cancelled.is_set()
