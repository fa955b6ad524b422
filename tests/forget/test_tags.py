"""A forget wins over a tag: the tagged version loses the person's rows, every other row stays,
and the tag's history and the erasure report say so; also when the forget stopped after its
commit point and the next writer finishes it.

The lake is tests/forget/test_erase.py's: Ann (erased), Bob and Cat, two runs; the tag names
run 1, when Ann had 2 phone readings, a step-trainer reading, and 2 rejected lines.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from stedi import Lakehouse, StediError
from stedi.forget import finish, tags
from tests.commit.lake_checks import orphans
from tests.conftest import deliver, reading
from tests.erasure_scan import assert_no_hits, scan_folder
from tests.forget.test_erase import ANN, ANN_VALUES, BOB, first_delivery, without


def tagged_rows(house: Lakehouse, tag: str = "paper") -> dict[str, list[str]]:
    return {n: sorted(map(repr, house.table(n, as_of=tag).to_arrow().to_pylist())) for n in house.lake.stored_tables}


@pytest.fixture
def house(tmp_path: Path) -> tuple[Lakehouse, str]:
    house = Lakehouse(tmp_path / "lake", create=True)
    first_delivery(house, tmp_path)
    first = house.run().run_id
    deliver(house, tmp_path, 2, accelerometer=[reading(BOB, 700, x=4.0), reading(ANN, 700, x=5.0)])
    house.run()
    house.tag("paper", first)
    return house, first


def test_a_forget_moves_the_tag_to_its_version_without_the_person(house: tuple[Lakehouse, str]) -> None:
    house_, first = house
    before = tagged_rows(house_)
    key = hashlib.sha256((house_.lake.config.pseudonym_key + ANN).encode()).hexdigest()
    assert any(ANN in r for r in before["accelerometer_trusted"]) and any(key in r for r in
                                                                          before["machine_learning_curated"])
    report = house_.forget([ANN])
    after = tagged_rows(house_)
    # Her rows are gone from every table of the tagged version (machine_learning_curated: by her
    # customer_key; quarantine: her two rejected lines); every other row is as it was.
    assert after == without(before, ANN, "ann-serial", key)
    assert sum(map(len, after.values())) < sum(map(len, before.values()))
    assert after["quarantine"] == [r for r in before["quarantine"] if ANN not in r] and after["quarantine"]
    assert_no_hits(scan_folder(Path(house_.path), ANN_VALUES), "the lake, with a tag, after forgetting Ann")
    # The erasure report and the tag's history say so (the erasure's id, never her email).
    assert report.tags_moved == ["paper"] and report.finished
    kept = json.loads((Path(house_.path) / "erasures" / report.erasure_id / "report.json").read_text())
    assert kept["tags_moved"] == ["paper"]
    tag = next(t for t in house_.tags() if t.name == "paper")
    event = tag.history[-1]
    assert (event["event"], event["erasure_id"], tag.run_id) == ("erased", report.erasure_id, first)
    assert set(event["tables"]) == set(house_.lake.stored_tables) and ANN not in json.dumps(tag.as_dict())
    assert house_.as_of("paper").describe() == f"paper (run {first})"
    assert orphans(house_) == []
    # Forgetting someone the tag does not hold leaves the tag where it is.
    assert house_.forget(["nobody@test.com"]).tags_moved == []
    assert tagged_rows(house_) == after


def test_a_forget_stopped_after_its_commit_point_moves_the_tag_when_the_next_writer_finishes_it(
        house: tuple[Lakehouse, str], monkeypatch: pytest.MonkeyPatch) -> None:
    house_, _ = house
    before = tagged_rows(house_)
    real, calls = tags._rewrite, []

    def dies_at_the_third_table(*args: object, **kwargs: object) -> object:
        calls.append(args)
        if len(calls) == 3:
            raise SystemExit("killed")  # two tables' tags moved, then the process is gone
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tags, "_rewrite", dies_at_the_third_table)
    with pytest.raises(StediError, match="is committed .* finishing it stopped"):
        house_.forget([ANN])
    monkeypatch.undo()
    erasure = finish.pending(house_.lake)
    assert erasure is not None  # committed, not finished: the tag still holds her, so it is not read
    with pytest.raises(StediError, match="not finished"):
        house_.table("customer_trusted", as_of="paper").to_arrow()
    house_.maintain()  # the next writer finishes the erasure, tag moves first
    assert finish.pending(house_.lake) is None
    assert tagged_rows(house_) == without(before, ANN, "ann-serial",
                                          hashlib.sha256((house_.lake.config.pseudonym_key + ANN).encode()).hexdigest())
    tag = next(t for t in house_.tags() if t.name == "paper")
    assert [e["event"] for e in tag.history] == ["created", "erased"] and tag.history[-1]["erasure_id"] == erasure
    kept = json.loads((Path(house_.path) / "erasures" / erasure / "report.json").read_text())
    assert kept["tags_moved"] == ["paper"] and kept["finished"]
    assert_no_hits(scan_folder(Path(house_.path), ANN_VALUES), "the lake after the next writer finished")
    assert orphans(house_) == []
    # The moved tag's snapshot is off the tables' history: once the tag goes and it expires, the
    # forget's own version is still readable (no gap in the history between it and the next run).
    deliver(house_, Path(house_.path).parent, 3, accelerometer=[reading(BOB, 900)])
    house_.run()
    expected = house_.query("SELECT * FROM accelerometer_trusted ORDER BY ALL", as_of=erasure)
    house_.delete_tag("paper")
    assert house_.maintain(keep_snapshots=2, keep_days=0).snapshots_expired
    assert house_.query("SELECT * FROM accelerometer_trusted ORDER BY ALL", as_of=erasure) == expected
