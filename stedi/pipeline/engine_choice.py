"""Which engine a run uses, started once the run holds the lock; and the table store's import
started early where the run will likely commit."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stedi.engines.base import Engine
from stedi.store.iceberg_store import IcebergStore

if TYPE_CHECKING:
    from pathlib import Path

    from stedi.commit.state import LakeState
    from stedi.lake import Lake
    from stedi.pipeline.summary import RunSummary


@dataclass(frozen=True)
class EngineChoice:
    """An engine to start once the run holds the lock."""

    name: str
    spark_master: str
    spark_jars: str = ""

    def check(self) -> None:
        if self.name == "spark":
            from stedi.engines.spark_session import require_jars, require_java, require_master, require_pyspark

            require_pyspark()
            require_java()
            require_master(self.spark_master)
            require_jars(self.spark_jars)

    def start(self, lake: Lake, spill: "Path", landing_bytes: int) -> Engine:
        if self.name == "spark":
            from stedi.engines.spark_engine import SparkEngine
            from stedi.engines.spark_session import SMALL_DATA_BYTES

            engine = SparkEngine(lake.config, master=self.spark_master, small_data=landing_bytes < SMALL_DATA_BYTES)
            try:
                engine.require_filesystem(lake.location("quarantine"))
            except BaseException:
                engine.close()
                raise
            return engine
        from stedi.engines.duckdb_engine import DuckDBEngine

        return DuckDBEngine(lake.config, temp_dir=spill, setup=lake.storage.duckdb_setup(),
                            refresh=lake.storage.duckdb_refresh)


# From this much landing JSON on, DuckDB parses for longer than the store takes to import.
PREPARE_STORE_FROM_BYTES = 256 * 1024 * 1024


def prepare_store_if_needed(landing_bytes: int, last: LakeState, summary: RunSummary,
                            engine: "Engine | EngineChoice", incremental: bool = False) -> None:
    """Import the table store in the background when this run will likely commit (new landing
    files, another policy, no run before): 0.8 s of importing pyiceberg then overlaps DuckDB's
    work instead of following it. A rerun on the same files commits nothing and skips this. An
    incremental run reads the last run's tables through the store: it always overlaps the import
    with parsing the new files."""
    spark = engine.name == "spark"  # seconds of work in another process: the import overlaps it whatever the size
    if landing_bytes < PREPARE_STORE_FROM_BYTES and not spark and not incremental:
        return  # small data: the import would only contend with the run's own Python work
    if last.landing_signature == summary.landing_signature and last.consent_policy == summary.consent_policy:
        return
    threading.Thread(target=IcebergStore.import_modules, name="stedi-import-store", daemon=True).start()
