from pathlib import Path

import pytest

from stedi import Lakehouse, StediError
from tests.conftest import customer, write_delivery


def test_ingest_twice_changes_nothing(tmp_path: Path) -> None:
    delivery = write_delivery(tmp_path / "d", customer=[customer("a@x", "s1")], accelerometer=[])
    house = Lakehouse(tmp_path / "lake", create=True)
    first = house.ingest(delivery)
    assert first.copied == ["customer/landing/customer-1.json", "accelerometer/landing/accelerometer-1.json"]
    before = (tmp_path / "lake/customer/landing/customer-1.json").read_bytes()
    second = house.ingest(delivery)
    assert second.copied == [] and len(second.unchanged) == 2
    assert (tmp_path / "lake/customer/landing/customer-1.json").read_bytes() == before


def test_flat_layout_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "d/customer").mkdir(parents=True)
    (tmp_path / "d/customer/c.json").write_text("{}\n")
    report = Lakehouse(tmp_path / "lake", create=True).ingest(tmp_path / "d")
    assert report.copied == ["customer/landing/c.json"]


def test_changed_file_under_the_same_name_is_refused(tmp_path: Path) -> None:
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(write_delivery(tmp_path / "d1", customer=[customer("a@x", "s1")]))
    report = house.ingest(write_delivery(tmp_path / "d2", customer=[customer("b@x", "s2")]))
    assert report.copied == [] and "different customer/landing/customer-1.json" in report.conflicts[0]
    assert b"a@x" in (tmp_path / "lake/customer/landing/customer-1.json").read_bytes()


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "no such folder"),
    (lambda p: p.write_text("x"), "not a folder"),
    (lambda p: p.mkdir(), "no landing files found"),
])
def test_unusable_source_names_it(tmp_path: Path, make, message: str) -> None:
    src = tmp_path / "src"
    make(src)
    with pytest.raises(StediError, match=message) as e:
        Lakehouse(tmp_path / "lake", create=True).ingest(src)
    assert str(src) in str(e.value)


def test_a_folder_that_is_not_a_lake_is_refused(tmp_path: Path) -> None:
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff/file.txt").write_text("mine")
    with pytest.raises(StediError, match="not a STEDI lake"):
        Lakehouse(tmp_path / "stuff", create=True)
    with pytest.raises(StediError, match="not a STEDI lake"):
        Lakehouse(tmp_path / "stuff")
