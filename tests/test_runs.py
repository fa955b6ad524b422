"""`Lakehouse.runs()`, `.current_run` and `.report_facts()`: the lake's history as a notebook reads
it, hand-checked on a lake of two runs.

Run 1 (strict, the first: full): customer a (consent at 100), phone readings at 500 and 600, one
step-trainer reading at 500, one malformed phone line. Run 2 (any-time: a changed policy rebuilds
everything): adds b and b's reading at 800.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from stedi import Lakehouse, StediError
from stedi.runs import KINDS
from tests.conftest import customer, deliver, reading, step


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lakehouse, list[str], list[int]]:
    root = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("STEDI_")]:
            env.delenv(name)
        env.setenv("STEDI_REPORT", "off")
        house = Lakehouse(root / "lake", create=True)
        assert house.current_run is None and house.runs() == []  # before the first run
        deliver(house, root, 1, customer=[customer("a@x.com", "s-a", consent=100)],
                accelerometer=[reading("a@x.com", 500), reading("a@x.com", 600), "not json"],
                step_trainer=[step("s-a", 500)])
        first = house.run(consent_policy="strict")
        deliver(house, root, 2, customer=[customer("b@x.com", "s-b", consent=100)],
                accelerometer=[reading("b@x.com", 800)])
        env.setenv("STEDI_REPORT", "on")  # the second run writes its report (the setting is read as a lake opens)
        second = Lakehouse(house.path).run(consent_policy="any-time")
    return house, [first.run_id, second.run_id], [first.committed_at_ms, second.committed_at_ms]


def test_runs_lists_both_runs_as_their_records_tell(lake: tuple[Lakehouse, list[str], list[int]]) -> None:
    house, ids, moments = lake
    runs = house.runs()
    assert [r.run_id for r in runs] == ids
    first, second = runs
    assert first.committed_at == datetime.fromtimestamp(moments[0] / 1000, timezone.utc)
    assert first.committed_at.tzinfo is timezone.utc and first.committed_at < second.committed_at  # type: ignore
    assert (first.kind, first.consent_policy, first.engine) == ("full", "strict", "duckdb")
    assert (second.kind, second.consent_policy) == ("full", "any-time") and "policy" in second.full_reason
    assert first.rows["accelerometer_trusted"] == 2 and first.rows["accelerometer_landing"] == 2
    assert second.rows["accelerometer_trusted"] == 3 and second.rows["customer_trusted"] == 2
    assert second.rows["machine_learning_curated"] == 1
    assert first.report is None and second.report == str(Path(house.path) / "reports" / f"{ids[1]}.html")
    assert not first.reconstructed and all(r.kind in KINDS for r in runs)
    assert house.current_run == ids[1]


def test_runs_go_into_a_dataframe(lake: tuple[Lakehouse, list[str], list[int]]) -> None:
    import pandas as pd

    house, ids, _ = lake
    frame = pd.DataFrame(house.runs())
    assert list(frame["run_id"]) == ids and list(frame["kind"]) == ["full", "full"]


def test_a_run_without_its_record_is_listed_with_what_the_lake_tells(lake: tuple[Lakehouse, list[str], list[int]],
                                                                    tmp_path: Path) -> None:
    house, ids, _ = lake
    record = Path(house.path) / "runs" / f"{ids[1]}.json"
    kept = record.read_bytes()
    record.unlink()  # as a run that could not write it
    try:
        last = house.runs()[-1]
        assert (last.run_id, last.kind, last.reconstructed, last.consent_policy) == (ids[1], "unknown", True, "any-time")
        assert last.rows["accelerometer_trusted"] == 3
    finally:
        record.write_bytes(kept)


def test_report_facts_of_the_current_run_and_of_an_older_one(lake: tuple[Lakehouse, list[str], list[int]]) -> None:
    house, ids, _ = lake
    facts = house.report_facts()  # the current run: read from its kept report
    assert {"run", "history", "rows", "lineage", "conservation", "quarantine", "consent", "daily", "distributions",
            "audits", "environment"} <= facts.keys()
    assert facts["run"]["run_id"] == ids[1] and facts["consent"]["policy"] == "any-time"
    assert [h["run_id"] for h in facts["history"]] == ids
    older = house.report_facts(ids[0])  # no report kept: gathered from the tables as run 1 left them
    assert older["run"]["run_id"] == ids[0] and older["rows"]["accelerometer_trusted"] == 2
    assert older["quarantine"]["total"] == 1 and older["quarantine"]["by_reason"][0]["samples"][0]["raw"] == "not json"


@pytest.mark.parametrize("run_id", ["20200101T000000-0badc0de", "../stedi", "", "paper"])
def test_an_unknown_run_is_one_line_saying_where_the_runs_are(lake: tuple[Lakehouse, list[str], list[int]],
                                                             run_id: str) -> None:
    house, ids, _ = lake
    with pytest.raises(StediError) as caught:
        house.report_facts(run_id)
    message = str(caught.value)
    assert "\n" not in message and f"no run {run_id} in " in message and ids[1] in message
    assert "Lakehouse.runs()" in message
