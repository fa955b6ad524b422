"""Landing rewritten without a person's lines, byte for byte otherwise, and undone wherever a
kill stopped the swap; on a local lake and on a lake in S3 (moto's server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.forget.landing import discard, forget_folder, plan_rewrites, restore, swap
from stedi.forget.person import Person, person_from_rows
from stedi.lake import Lake
from tests.conftest import customer, reading, step, write_delivery

ANN, BOB, CY = "ann.lee@test.com", "bob.ray@test.com", "cy.doe@test.com"
S_ANN, S_BOB, S_CY = "s-ann-0001", "s-bob-0002", "s-cy-00003"
BOM = b"\xef\xbb\xbf"
RUN = "20260101T000000-abcd"


def j(record: dict) -> bytes:
    return json.dumps(record).encode()


CUSTOMERS = [customer(ANN, S_ANN), customer(BOB, S_BOB), customer(ANN, S_ANN, updated=2000),
             '{"email": "ann.lee@test.com", "phone": "80', customer(CY, S_CY)]
# Hand-written files beside write_delivery's <source>-1.json: CRLF, byte order marks, a
# truncated last line without a newline, a file of the person's lines only, one without any.
EXTRA = {
    "accelerometer/landing/accelerometer-2.json":
        BOM + j(reading(ANN, 5)) + b"\r\n" + j(reading(BOB, 6)) + b"\r\n" + b'{"user":"ann.lee@test.com","time',
    "accelerometer/landing/accelerometer-3.json": j(reading(ANN, 7)) + b"\n" + j(reading(ANN, 8)) + b"\n",
    "accelerometer/landing/accelerometer-4.json": BOM + j(reading(BOB, 9)) + b"\n" + j(reading(ANN, 9)) + b"\n",
    "step_trainer/landing/step_trainer-2.json": j(step(S_BOB, 9)) + b"\n",
}
# What each file holds once Ann is forgotten (the files not named keep their bytes).
AFTER = {
    "customer/landing/customer-1.json": j(customer(BOB, S_BOB)) + b"\n" + j(customer(CY, S_CY)) + b"\n",
    "accelerometer/landing/accelerometer-1.json": j(reading(BOB, 1)) + b"\n" + j(reading(BOB, 3)) + b"\n",
    "accelerometer/landing/accelerometer-2.json": j(reading(BOB, 6)) + b"\r\n",
    "accelerometer/landing/accelerometer-3.json": b"",
    "accelerometer/landing/accelerometer-4.json": BOM + j(reading(BOB, 9)) + b"\n",
    "step_trainer/landing/step_trainer-1.json": j(step(S_BOB, 1)) + b"\n",
}


def delivery(root: Path) -> Path:
    write_delivery(root, customer=CUSTOMERS,
                   accelerometer=[reading(BOB, 1), reading(ANN, 2), reading(BOB, 3)],
                   step_trainer=[step(S_ANN, 1), step(S_BOB, 1), step(S_ANN, 2)])
    for relative, data in EXTRA.items():
        (root / relative).write_bytes(data)
    return root


def ann() -> Person:
    """Ann as the lead derives her: from the customer rows (every one of them has the same phone)."""
    rows = [{k.lower(): v for k, v in c.items()} for c in CUSTOMERS if isinstance(c, dict)]
    return person_from_rows([r for r in rows if r["email"] == ANN], rows)


def landing(lake: Lake) -> dict[str, bytes]:
    return {e.relative: lake.storage.read_bytes(e.relative) for s in lake.sources for e in lake.landing_files(s)}


def forget_files(lake: Lake) -> list[str]:
    return [e.relative for e in lake.storage.files(forget_folder(RUN), recursive=True)]


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(delivery(tmp_path / "d"))
    return house.lake


def test_plan_stages_the_rewrites_and_leaves_landing_alone(lake: Lake) -> None:
    before, said = landing(lake), []
    rewrites = plan_rewrites(lake, ann(), said.append, RUN)
    assert {r.relative: r.removed for r in rewrites} == {
        "customer/landing/customer-1.json": (1, 3, 4),
        "accelerometer/landing/accelerometer-1.json": (2,),
        "accelerometer/landing/accelerometer-2.json": (1, 3),
        "accelerometer/landing/accelerometer-3.json": (1, 2),
        "accelerometer/landing/accelerometer-4.json": (2,),
        "step_trainer/landing/step_trainer-1.json": (1, 3),
    }
    assert all(r.lines_removed == len(r.removed) for r in rewrites)
    assert landing(lake) == before  # nothing where runs read
    assert {lake.storage.read_bytes(f"{forget_folder(RUN)}/staged/{rel}") for rel in AFTER} == set(AFTER.values())
    assert "forget: customer: 1 files scanned, 3 lines removed from 1 files" in said
    assert all(not r.redacted and r.values_redacted == 0 for r in rewrites)  # no line only mentions her


def test_swap_puts_the_rewrites_in_place_byte_for_byte(lake: Lake) -> None:
    before = landing(lake)
    swap(lake, plan_rewrites(lake, ann(), print, RUN), RUN)
    assert landing(lake) == {**before, **AFTER}
    assert b"ann.lee" not in b"".join(landing(lake).values()) and S_ANN.encode() not in b"".join(landing(lake).values())
    assert sorted(forget_files(lake)) == sorted(f"{forget_folder(RUN)}/originals/{r}" for r in AFTER)
    discard(lake, RUN)
    assert not lake.storage.exists(forget_folder(RUN))
    assert landing(lake) == {**before, **AFTER}


def test_restore_after_swap_gives_the_originals_back(lake: Lake) -> None:
    before, state = landing(lake), lake.landing_state()
    swap(lake, plan_rewrites(lake, ann(), print, RUN), RUN)
    assert lake.landing_state() != state  # the next run sees the change
    restore(lake, RUN)
    assert landing(lake) == before
    assert lake.landing_state() == state  # the same files (hard-linked backups), not copies
    assert not lake.storage.exists(forget_folder(RUN))
    restore(lake, RUN)  # again: nothing to do
    assert landing(lake) == before


class Killed(BaseException):
    pass


def kill_after(monkeypatch: pytest.MonkeyPatch, storage, method: str, calls: int) -> None:
    """`storage.method` works `calls` times, then the process 'dies' (a KeyboardInterrupt-like
    exception nothing catches)."""
    real, done = getattr(storage, method), []

    def dying(*args):
        if len(done) == calls:
            raise Killed()
        done.append(args)
        return real(*args)
    monkeypatch.setattr(storage, method, dying)


@pytest.mark.parametrize("method, calls", [("copy", 0), ("move", 0), ("copy", 1), ("move", 1), ("move", 4)])
def test_restore_after_a_kill_in_the_middle_of_swap_gives_the_originals(lake: Lake, monkeypatch: pytest.MonkeyPatch,
                                                                       method: str, calls: int) -> None:
    before = landing(lake)
    rewrites = plan_rewrites(lake, ann(), print, RUN)
    with monkeypatch.context() as patch:
        kill_after(patch, lake.storage, method, calls)
        with pytest.raises(Killed):
            swap(lake, rewrites, RUN)
    assert set(landing(lake)) == set(before)  # every landing file there at every moment
    restore(lake, RUN)
    assert landing(lake) == before and not lake.storage.exists(forget_folder(RUN))


def test_a_restore_killed_midway_is_finished_by_the_next(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    before = landing(lake)
    swap(lake, plan_rewrites(lake, ann(), print, RUN), RUN)
    with monkeypatch.context() as patch:
        kill_after(patch, lake.storage, "move", 2)
        with pytest.raises(Killed):
            restore(lake, RUN)
    restore(lake, RUN)
    assert landing(lake) == before and not lake.storage.exists(forget_folder(RUN))


def test_a_failed_plan_leaves_no_staged_file(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    kill_after(monkeypatch, lake.storage, "open_output", 2)
    with pytest.raises(Killed):
        plan_rewrites(lake, ann(), print, RUN)
    assert forget_files(lake) == []


def test_the_next_run_reads_the_rewritten_landing(lake: Lake) -> None:
    swap(lake, plan_rewrites(lake, ann(), print, RUN), RUN)
    discard(lake, RUN)
    house = Lakehouse(lake.root)
    house.run(consent_policy="any-time")
    quarantined = house.query("SELECT file, line, raw FROM quarantine ORDER BY file, line").to_pylist()
    assert not any("ann.lee" in r["raw"] for r in quarantined)
    assert house.query("SELECT DISTINCT user FROM accelerometer_landing").to_pylist() == [{"user": BOB}]
    # Bob 1, 3, 6 (Bob 9 stands after a byte order mark: quarantined, before the forget too)
    assert house.query("SELECT count(*) AS n FROM accelerometer_landing").to_pylist() == [{"n": 3}]
    emails = house.query("SELECT email FROM customer_landing ORDER BY email").to_pylist()
    assert emails == [{"email": BOB}, {"email": CY}]


def test_the_same_on_a_lake_in_s3(bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "d"
    write_delivery(root, customer=CUSTOMERS[:2], accelerometer=[reading(BOB, 1), reading(ANN, 2)])
    second = "accelerometer/landing/accelerometer-2.json"
    (root / second).write_bytes(EXTRA[second])
    house = Lakehouse(f"s3://{bucket}/lake", create=True)
    house.ingest(root)
    lake, before = house.lake, landing(house.lake)
    person = ann()
    after = {**before, "customer/landing/customer-1.json": j(customer(BOB, S_BOB)) + b"\n",
             "accelerometer/landing/accelerometer-1.json": j(reading(BOB, 1)) + b"\n",
             "accelerometer/landing/accelerometer-2.json": j(reading(BOB, 6)) + b"\r\n"}

    swap(lake, plan_rewrites(lake, person, print, RUN), RUN)
    assert landing(lake) == after
    restore(lake, RUN)
    assert landing(lake) == before and forget_files(lake) == []

    rewrites = plan_rewrites(lake, person, print, RUN)
    with monkeypatch.context() as patch:  # killed between the copy and the delete of a move
        kill_after(patch, lake.storage, "_client_call", 2)  # the backup's copy, the staged copy; dies
        with pytest.raises(Killed):
            swap(lake, rewrites, RUN)
    assert lake.storage.read_bytes("customer/landing/customer-1.json") == after["customer/landing/customer-1.json"]
    assert lake.storage.exists(f"{forget_folder(RUN)}/staged/customer/landing/customer-1.json")
    restore(lake, RUN)
    assert landing(lake) == before and forget_files(lake) == []

    swap(lake, plan_rewrites(lake, person, print, RUN), RUN)
    discard(lake, RUN)
    assert landing(lake) == after and forget_files(lake) == []
