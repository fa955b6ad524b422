"""`stedi tables --columns`: every table's columns, typed, with what they are; one table by name."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from stedi.cli.main import main
from stedi.models import table_docs
from tests.conftest import customer, reading, step, write_delivery


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("columns")
    delivery = write_delivery(root / "d", customer=[customer("a@test.com", "s1", consent=100)],
                              accelerometer=[reading("a@test.com", 500)], step_trainer=[step("s1", 500)])
    assert main(["ingest", str(delivery), "--lake", str(root / "lake")]) == 0
    assert main(["run", "--lake", str(root / "lake")]) == 0
    return root / "lake"


def rows(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, str]]:
    capsys.readouterr()
    assert main(["tables", *argv, "--format", "csv"]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def test_every_column_of_every_table_with_its_type_and_description(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shown = rows(capsys, "--columns", "--lake", str(lake))
    docs = table_docs()
    assert [(r["table"], r["column"], r["description"]) for r in shown] == [
        (t, c, d) for t, columns in docs.items() for c, d in columns.items()]
    by = {(r["table"], r["column"]): r for r in shown}
    assert (by["machine_learning_curated", "sensorreadingtime"]["type"], by["customer_landing", "birthday"]["type"],
            by["quarantine", "raw"]["type"], by["accelerometer_trusted", "x"]["type"]) == ("BIGINT", "DATE", "VARCHAR", "DOUBLE")
    # A landing view holds accepted lines only: a required field is never null there.
    assert by["customer_landing", "email"]["nullable"] == "no"
    assert by["customer_landing", "sharewithresearchasofdate"]["nullable"] == "yes"


def test_one_table_by_name_in_a_terminal_table(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tables", "machine_learning_curated", "--columns", "--lake", str(lake)]) == 0
    out = capsys.readouterr().out
    assert "customer_key" in out and "SHA-256" in out and "epoch milliseconds (UTC)" in out
    assert "customer_trusted" not in out
    assert [r["table"] for r in rows(capsys, "quarantine", "--lake", str(lake))] == ["quarantine"]


def test_an_unknown_table_is_one_line_naming_the_tables(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["tables", "machine_learning", "--columns"], ["tables", "machine_learning"]):
        assert main([*argv, "--lake", str(lake)]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith("stedi: error: no table 'machine_learning'; tables: customer_landing,"), err
        assert "\n" not in err


def test_a_lake_not_run_yet_shows_the_declared_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from stedi import Lakehouse

    Lakehouse(tmp_path / "lake", create=True)
    shown = rows(capsys, "customer_curated", "--columns", "--lake", str(tmp_path / "lake"))
    assert {r["type"] for r in shown} == {"(not built yet)"}
    assert [r["column"] for r in shown] == list(table_docs()["customer_curated"])
