"""A small lake for the Python API's tests (tests/test_query.py, test_split.py, test_lakehouse.py):
300 consenting customers with 2 readings each, and one, o'brien, whose address needs quoting.
Built once a session by the `api_lake` fixture (import it into a test module); tests that
change a lake build their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from stedi import Lakehouse
from tests.conftest import customer, deliver, reading, step, write_delivery

CUSTOMERS = 300
OBRIEN = "o'brien@x.com"


def emails() -> list[str]:
    return [f"c{i:03d}@x.com" for i in range(CUSTOMERS - 1)] + [OBRIEN]


def build(root: Path, runs: int = 1) -> tuple[Lakehouse, list[str]]:
    """The lake in root/lake and its run ids. Run 2 (if asked) delivers one more customer."""
    people = emails()
    delivery = write_delivery(
        root / "d",
        customer=[customer(e, f"s{i}", consent=100) for i, e in enumerate(people)],
        accelerometer=[reading(e, t, x=i + t / 1000) for i, e in enumerate(people) for t in (500, 600)],
        step_trainer=[step(f"s{i}", t) for i in range(len(people)) for t in (500, 600)])
    house = Lakehouse(root / "lake", create=True)
    house.ingest(delivery)
    run_ids = [house.run().run_id]
    for n in range(2, runs + 1):
        late = f"late{n}@x.com"
        deliver(house, root, n, customer=[customer(late, f"late{n}", consent=100)],
                accelerometer=[reading(late, 700)], step_trainer=[step(f"late{n}", 700)])
        run_ids.append(house.run().run_id)
    return house, run_ids


@pytest.fixture(scope="session")
def api_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lakehouse, list[str]]:
    """The lake after two runs (machine_learning_curated: 600 rows, then 601). Read it only."""
    return build(tmp_path_factory.mktemp("api"), runs=2)
