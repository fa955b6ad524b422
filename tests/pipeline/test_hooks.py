"""A run tells the hooks an API user registers what happened, in order, and a hook that fails
after the commit point cannot undo the run: the pipeline knows nothing of who follows it."""

from __future__ import annotations

from pathlib import Path

from stedi import Lakehouse
from stedi.pipeline.hooks import RunHook
from tests.conftest import customer, reading, step, write_delivery


class Noting(RunHook):
    def __init__(self, fail_at_commit: bool = False) -> None:
        self.calls: list[str] = []
        self.fail_at_commit = fail_at_commit

    def started(self, lake) -> None:
        self.calls.append("started")

    def planned(self, lake, tables, last) -> None:
        self.calls.append(f"planned {len(tables)} tables")

    def committed(self, lake, summary, say) -> None:
        self.calls.append(f"committed {summary.run_id} with {lake.state().run_id}")
        if self.fail_at_commit:
            raise RuntimeError("the hook's own trouble")

    def closed(self) -> None:
        self.calls.append("closed")


def lake(tmp_path: Path) -> Lakehouse:
    write_delivery(tmp_path / "delivery", customer=[customer("ann@hook.test", "sn-1", consent=100)],
                   accelerometer=[reading("ann@hook.test", 500)], step_trainer=[step("sn-1", 500)])
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(tmp_path / "delivery")
    return house


def test_a_users_hook_hears_each_step_of_a_run_in_order(tmp_path: Path) -> None:
    house, hook = lake(tmp_path), Noting()
    summary = house.run(hooks=[hook])
    # The state it is told of at "committed" is the run's own: the run is visible by then.
    assert hook.calls == ["started", "planned 9 tables", f"committed {summary.run_id} with {summary.run_id}",
                          "closed"]


def test_a_hook_failing_after_the_commit_point_is_a_warning_and_the_run_stands(tmp_path: Path) -> None:
    house, said = lake(tmp_path), []
    summary = house.run(hooks=[Noting(fail_at_commit=True)], progress=said.append)
    assert house.lake.state().run_id == summary.run_id  # type: ignore[union-attr]
    assert any(f"run {summary.run_id} is committed; what followed failed (the hook's own trouble)" in line
               for line in said), said
    assert house.query("SELECT count(*) AS n FROM customer_trusted").to_pylist() == [{"n": 1}]
