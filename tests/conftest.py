"""Shared fixtures: hand-written landing rows, isolated config, the starter data."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

STARTER = Path(__file__).resolve().parents[2] / "shared" / "data" / "stedi"
# Set by .ci/run: there, a Spark test fails rather than skips when Java or PySpark is missing.
REQUIRE_SPARK = bool(os.environ.get("STEDI_TEST_REQUIRE_SPARK"))


# Runs in tests write no HTML report (half a second each, hundreds of runs) unless the test asks
# for one with `reports_on`: the report's own tests, the forget tests (a forget erases reports)
# and an S3 test do. Set for the whole session too, for module fixtures and subprocesses.
os.environ["STEDI_REPORT"] = "off"
# On two workers (pytest-xdist), DuckDB takes one thread in each: the other core is the other
# worker's (the Spark tests' JVM, mostly), and small data gains nothing from a second thread.
ONE_THREAD = bool(os.environ.get("PYTEST_XDIST_WORKER"))
if ONE_THREAD:
    os.environ["STEDI_THREADS"] = "1"


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's STEDI_* settings."""
    for name in list(os.environ):
        if name.startswith("STEDI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("STEDI_REPORT", "off")
    if ONE_THREAD:
        monkeypatch.setenv("STEDI_THREADS", "1")


@pytest.fixture(scope="module")
def reports_in_module() -> Any:
    """Runs write their reports, in the module's own fixtures too (`reports_on` for its tests)."""
    os.environ["STEDI_REPORT"] = "on"
    yield
    os.environ["STEDI_REPORT"] = "off"


@pytest.fixture
def reports_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEDI_REPORT", "on")


REPORTS = pytest.mark.usefixtures("reports_in_module", "reports_on")  # a module's pytestmark


def customer(email: str, serial: str, updated: int = 1000, consent: Any = "absent", **extra: Any) -> dict[str, Any]:
    """A customer record as delivered. consent: "absent" leaves the key out; None writes null."""
    record: dict[str, Any] = {
        "customerName": email.split("@")[0],
        "email": email,
        "phone": "8015551212",
        "birthDay": "1399-01-01",
        "serialNumber": serial,
        "registrationDate": 500,
        "lastUpdateDate": updated,
    }
    if consent != "absent":
        record["shareWithResearchAsOfDate"] = consent
    record.update(extra)
    return record


def reading(user: str, ts: int, x: float = 0.0, y: float = 0.0, z: float = 0.0) -> dict[str, Any]:
    return {"user": user, "timestamp": ts, "x": x, "y": y, "z": z}


def step(serial: str, ts: int, distance: int = 100) -> dict[str, Any]:
    return {"sensorReadingTime": ts, "serialNumber": serial, "distanceFromObject": distance}


def write_delivery(root: Path, **sources: list[Any]) -> Path:
    """Write line-delimited JSON files in the starter layout; str items are written verbatim."""
    for source, records in sources.items():
        folder = root / source / "landing"
        folder.mkdir(parents=True, exist_ok=True)
        lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
        (folder / f"{source}-1.json").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return root


def deliver(house: Any, root: Path, day: int, **sources: list[Any]) -> None:
    """Ingest a later delivery into a lake (a Lakehouse): its files are named `<source>-<day>.json`,
    so landing only grows. Sources without lines are left out."""
    sources = {name: lines for name, lines in sources.items() if lines}
    if not sources:
        return
    delivery = write_delivery(root / f"delivery-{day}", **sources)
    for source in sources:
        folder = delivery / source / "landing"
        (folder / f"{source}-1.json").rename(folder / f"{source}-{day}.json")
    assert house.ingest(delivery).copied


# -- AWS: moto's server, one per test session ---------------------------------------------

@pytest.fixture(scope="session")
def moto_server():
    from tests.moto_server import MotoServer

    server = MotoServer.start()
    yield server
    server.stop()


@pytest.fixture
def aws(moto_server, tmp_path: Path):
    """The standard AWS variables pointing at moto's server, nothing else of the developer's."""
    from tests.moto_server import aws_environment

    with aws_environment(moto_server, tmp_path):
        yield moto_server


@pytest.fixture
def bucket(aws, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new, empty bucket on moto's server, and a Glue database of its own for a lake in it
    (the server, and so its Glue catalog, lives for the whole test session)."""
    from tests.moto_server import new_bucket

    name = new_bucket()
    monkeypatch.setenv("STEDI_GLUE_DATABASE", name.replace("-", "_"))
    return name


@pytest.fixture
def proxy(aws, monkeypatch: pytest.MonkeyPatch):
    """A fault-injecting proxy in front of moto's server (tests/aws/fault_proxy.py), and the
    standard AWS chain pointed at it: every client of the product goes through it."""
    from stedi.aws import session
    from tests.aws.fault_proxy import FaultProxy

    faults = FaultProxy(aws.endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL", faults.endpoint)
    session.reset()
    yield faults
    faults.stop()
    session.reset()


# -- Spark: one local session for the whole test run ---------------------------------------

S3A_JARS = "spark-s3"  # the folder of jvm/artifacts.txt holding hadoop-aws and the AWS SDK bundle


@pytest.fixture
def spark_s3(spark, bucket: str) -> str:
    """The shared session reaching a new moto bucket through s3:// (S3A); the bucket's name.
    Without the jars (`make jvm` not run) the test is skipped, saying so (in CI: fails)."""
    from tests.jvm_cache import cached

    if not cached(S3A_JARS):
        message = f"hadoop-aws is not in .cache/jvm/{S3A_JARS}: run `make jvm`"
        if REQUIRE_SPARK:
            pytest.fail(message)
        pytest.skip(message)
    return bucket

@pytest.fixture(scope="session")
def spark():
    """A local[2] SparkSession shared by every Spark test (starting one takes seconds). Engines
    made while it is active use it and leave it running."""
    from stedi.engines.spark_session import require_java, require_pyspark, start_session, stop_session
    from stedi.errors import StediError

    try:
        require_pyspark()
        require_java()
    except StediError as e:
        if REQUIRE_SPARK:
            raise
        pytest.skip(str(e))

    from tests.jvm_cache import cached

    os.environ["STEDI_SPARK_CLASS_ARCHIVE"] = "off"  # writing it at exit would cost the test run seconds
    # The jars `make jvm` fetched, where fetched: they join the class path only as the JVM starts,
    # and every Spark test shares this session: hadoop-aws and its SDK (the S3 tests), Iceberg's
    # Spark runtime and its AWS bundle (tests/aws/test_iceberg_spark.py, as a Glue or EMR user reads).
    jars = ",".join(str(jar) for jar in [*cached(S3A_JARS), *cached("iceberg-spark")])
    session = start_session("local[2]", driver_memory="2g", app_name="stedi-tests", jars=jars)
    yield session
    stop_session(session)


def require_jvm_piece(reason: str | None) -> None:
    """Skip a test whose JVM piece is missing (`reason`), saying why; under CI, fail instead."""
    if reason is not None:
        if REQUIRE_SPARK:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


# -- Trino: one server for the whole test run, reading the lake as Athena does ---------------

@pytest.fixture(scope="session")
def trino(moto_server, tmp_path_factory: pytest.TempPathFactory):
    """Trino on 127.0.0.1 (tests/trino_server.py), its Glue and S3 at moto's server."""
    from tests.trino_server import TrinoServer, missing

    require_jvm_piece(missing())
    server = TrinoServer.start(moto_server.endpoint, tmp_path_factory.mktemp("trino"))
    print(f"\nTrino started in {server.started_in:.1f} s")  # shown with -s, or in the log of a failure
    yield server
    server.stop()


# -- Spark tests apart: `make test` runs them after the others, on their own -----------------

# Modules that start Spark without the `spark` fixture (the `trino` fixture marks Trino's tests).
SPARK_MODULES = ("tests/engines/test_parity.py", "tests/engines/test_spark_", "tests/jobs/test_spark_run.py",
                 "tests/aws/test_glue_environment.py")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark: starts a JVM (Spark's shared session, a cluster, spark-submit; Trino)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that start Spark, and keep them in one xdist group: run on two workers,
    one worker runs them all, one after another (one SparkSession for the test run). `make test`
    runs the others on two workers first, then these alone: a Spark JVM sharing two cores with
    another worker takes two to three times as long."""
    for item in items:
        path = item.nodeid.split("::")[0]
        fixtures = getattr(item, "fixturenames", ())
        if "spark" in fixtures or "trino" in fixtures or path.startswith(SPARK_MODULES):
            item.add_marker(pytest.mark.spark)
            item.add_marker(pytest.mark.xdist_group("spark"))
