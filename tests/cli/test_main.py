"""The `stedi` command as a user meets it: help, output formats, one-line errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from stedi.cli.main import build_parser, main
from tests.conftest import customer, reading, step, write_delivery

COMMANDS = ["ingest", "run", "query", "tables", "ddl", "generate", "demo", "maintain"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_a_lake_option(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main([command, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "--lake PATH" in out and "STEDI_LAKE" in out


def test_top_level_help_lists_every_command() -> None:
    text = build_parser().format_help()
    assert all(c in text for c in COMMANDS)


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    delivery = write_delivery(tmp_path / "d", customer=[customer("a@x.com", "s1", consent=100)],
                              accelerometer=[reading("a@x.com", 500, 1.5)], step_trainer=[step("s1", 500, 7)])
    path = tmp_path / "lake"
    assert main(["ingest", str(delivery), "--lake", str(path)]) == 0
    assert main(["run", "--lake", str(path)]) == 0
    return path


def test_query_csv_starts_with_a_header(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["query", "SELECT distancefromobject, x FROM machine_learning_curated", "--lake", str(lake),
                 "--format", "csv"]) == 0
    assert list(csv.reader(io.StringIO(capsys.readouterr().out))) == [["distancefromobject", "x"], ["7", "1.5"]]


def test_query_json_and_landing_views(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["query", "SELECT email, birthday FROM customer_landing", "--lake", str(lake), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"email": "a@x.com", "birthday": "1399-01-01"}]


def test_lake_from_the_environment(lake: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEDI_LAKE", str(lake))
    capsys.readouterr()
    assert main(["tables", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["table"]: r["rows"] for r in rows}["machine_learning_curated"] == "1"
    assert len(rows) == 12 and all(r["zone"] for r in rows)


@pytest.mark.parametrize("argv, message", [
    (["run", "--lake", "{tmp}/missing"], "no lake here"),
    (["tables", "--lake", "{tmp}"], "not a STEDI lake"),
    (["ingest", "{tmp}/nope", "--lake", "{tmp}/new"], "no such folder"),
    (["query", "SELECT * FROM nowhere", "--lake", "{lake}"], "query failed: Catalog Error"),
])
def test_errors_are_one_line_without_traceback(argv: list[str], message: str, tmp_path: Path, lake: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "junk.txt").write_text("x")
    capsys.readouterr()
    code = main([a.format(tmp=tmp_path, lake=lake) for a in argv])
    err = capsys.readouterr().err
    assert code == 1 and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_wrong_argument_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["run", "--consent-policy", "sometimes"])
    assert e.value.code == 2 and "invalid choice: 'sometimes'" in capsys.readouterr().err


def test_console_command_is_installed(lake: Path) -> None:
    exe = Path(sys.executable).with_name("stedi")
    done = subprocess.run([str(exe), "query", "SELECT count(*) AS n FROM quarantine", "--lake", str(lake),
                           "--format", "csv"], capture_output=True, text=True, check=True)
    assert done.stdout == "n\n0\n"


def test_generate_takes_rates_and_refuses_unknown_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", str(tmp_path / "g"), "--customers", "40", "--rate", "malformed=0.2"]) == 0
    out = capsys.readouterr().out
    assert "40 customers, seed 0" in out
    assert main(["generate", str(tmp_path / "h"), "--customers", "40", "--rate", "nonsense=1"]) == 1
    assert "--rate nonsense=1: expected NAME=VALUE" in capsys.readouterr().err
    assert main(["generate", str(tmp_path / "g"), "--customers", "40"]) == 1  # files there already
    assert "pass --overwrite" in capsys.readouterr().err
