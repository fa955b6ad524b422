"""A Spark standalone cluster for the tests: a master and workers started on 127.0.0.1, on free
ports, from the pinned pyspark's own `bin/spark-class`, and stopped after."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.moto_server import free_port


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def cluster_environment() -> dict[str, str]:
    """Every process of the cluster, and the driver, on 127.0.0.1 and on this Python."""
    return {**os.environ, "SPARK_HOME": str(spark_home()), "SPARK_LOCAL_IP": "127.0.0.1",
            "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
            "STEDI_SPARK_CLASS_ARCHIVE": "off"}  # writing it would cost a test seconds


@dataclass
class SparkCluster:
    url: str
    logs: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    @classmethod
    def start(cls, logs: Path, workers: int = 2, cores: int = 1, memory: str = "1g") -> "SparkCluster":
        logs.mkdir(parents=True, exist_ok=True)
        port = free_port()
        cluster = cls(f"spark://127.0.0.1:{port}", logs)
        try:
            master_log = cluster._launch("master", "org.apache.spark.deploy.master.Master",
                                         "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(free_port()))
            cluster._wait_for(master_log, "I have been elected leader")
            worker_logs = [
                cluster._launch(f"worker-{i}", "org.apache.spark.deploy.worker.Worker",
                                "--host", "127.0.0.1", "--port", str(free_port()), "--webui-port", str(free_port()),
                                "--cores", str(cores), "--memory", memory, "--work-dir", str(logs / f"work-{i}"),
                                cluster.url)
                for i in range(workers)
            ]
            for log in worker_logs:
                cluster._wait_for(log, "Successfully registered with master")
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _launch(self, name: str, main_class: str, *args: str) -> Path:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            self.processes.append(subprocess.Popen(
                [str(spark_home() / "bin" / "spark-class"), main_class, *args],
                stdout=out, stderr=subprocess.STDOUT, env=cluster_environment(), start_new_session=True))
        return log

    def _wait_for(self, log: Path, text: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while text not in log.read_text(errors="replace"):
            if any(p.poll() is not None for p in self.processes) or time.monotonic() > deadline:
                raise RuntimeError(f"the Spark cluster did not start: {log} says\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
