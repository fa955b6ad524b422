"""Wrong input through the `stedi` command: one line on stderr naming the setting or file, exit 1
(exit 2, with argparse's usage, for a wrong option value), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from stedi.cli.main import main
from tests.conftest import customer, reading, step, write_delivery


def stedi(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's usage errors
        code = e.code  # type: ignore[assignment]
    return code, capsys.readouterr().err


def assert_one_line(err: str, message: str) -> None:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines(keepends=True) if not line.startswith("… ")]  # progress
    assert len(lines) == 1 and lines[0].startswith("stedi: error: ") and lines[0].endswith("\n"), err
    assert message in lines[0], err


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake with every table built (only read by the tests)."""
    root = tmp_path_factory.mktemp("built")
    delivery = write_delivery(root / "d", customer=[customer("a@x.com", "s1", consent=100)],
                              accelerometer=[reading("a@x.com", 500, 1.5)], step_trainer=[step("s1", 500, 7)])
    assert main(["ingest", str(delivery), "--lake", str(root / "lake")]) == 0
    assert main(["run", "--lake", str(root / "lake")]) == 0
    return root / "lake"


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    """A lake with landing files, not yet run: its stedi.toml is the test's to spoil."""
    delivery = write_delivery(tmp_path / "d", customer=[customer("a@x.com", "s1", consent=100)],
                              accelerometer=[reading("a@x.com", 500, 1.5)], step_trainer=[step("s1", 500, 7)])
    assert main(["ingest", str(delivery), "--lake", str(tmp_path / "lake")]) == 0
    return tmp_path / "lake"


@pytest.mark.parametrize("sql", ["", "   ", "-- only a comment", "/* only a comment */", ";"])
def test_query_without_sql(sql: str, built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = stedi(["query", sql, "--lake", str(built)], capsys)
    assert code == 1
    assert_one_line(err, "no SQL given")


@pytest.mark.parametrize("sql, message", [
    ("SELEC 1", "query failed: Parser Error: syntax error at or near \"SELEC\""),
    ("/* never closed", "query failed: Parser Error: unterminated /* comment"),
    ("SELECT nope FROM quarantine", "query failed: Binder Error"),
    ("SELECT 300::TINYINT", "query failed: Conversion Error"),
    ("SELECT 'abc'::INTEGER", "query failed: Conversion Error"),
    ("SELECT error('boom')", "query failed: Invalid Input Error: boom"),
    ("SELECT * FROM nowhere", "query failed: Catalog Error"),
])
def test_every_kind_of_sql_error_is_one_line(sql: str, message: str, built: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, err = stedi(["query", sql, "--lake", str(built)], capsys)
    assert code == 1
    assert_one_line(err, message)


def test_integer_division_by_zero_is_null_not_an_error(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["query", "SELECT 1 // 0 AS q", "--lake", str(built), "--format", "csv"]) == 0
    assert capsys.readouterr().out == 'q\n""\n'


def test_interrupted_query(built: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # What DuckDB raises when Ctrl-C reaches a running query (checked by hand with SIGINT).
    def interrupted(self: object, sql: str) -> None:
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr("stedi.lakehouse.Lakehouse.query", interrupted)
    monkeypatch.setattr("stedi.lakehouse.Lakehouse.query_rows", interrupted)  # what `stedi query` calls first
    code, err = stedi(["query", "SELECT 1", "--lake", str(built)], capsys)
    assert (code, err) == (130, "stedi: interrupted\n")


@pytest.mark.parametrize("var, value, message", [
    ("STEDI_MEMORY_LIMIT", "lots", "STEDI_MEMORY_LIMIT: memory_limit 'lots' is not a size DuckDB understands"),
    ("STEDI_MEMORY_LIMIT", "80%", "STEDI_MEMORY_LIMIT: memory_limit '80%' is not a size DuckDB understands"),
    ("STEDI_THREADS", "two", "STEDI_THREADS: threads must be a whole number, not 'two'"),
    ("STEDI_THREADS", "100000", "STEDI_THREADS: threads must be 0 (one per core) to 1024"),
    ("STEDI_CONSENT_POLICY", "sometimes", "STEDI_CONSENT_POLICY: consent_policy 'sometimes' is not one of"),
])
@pytest.mark.parametrize("command", [["run"], ["query", "SELECT 1"], ["tables"]])
def test_bad_environment_setting(var: str, value: str, message: str, command: list[str], lake: Path,
                                 capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(var, value)
    code, err = stedi([*command, "--lake", str(lake)], capsys)
    assert code == 1
    assert_one_line(err, message)


@pytest.mark.parametrize("line, message", [
    ('memory_limit = "lots"', "memory_limit 'lots' is not a size DuckDB understands"),
    ('threads = "x"', "threads must be a whole number, not 'x'"),
    ("threads = 2.5", "threads must be a whole number, not 2.5"),
    ('consent_policy = "sometimes"', "consent_policy 'sometimes' is not one of strict, any-time"),
])
def test_bad_setting_in_the_lake_file(line: str, message: str, lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = lake / "stedi.toml"
    name = line.split(" = ")[0]
    config.write_text("".join(old if not old.startswith(f"{name} = ") else line + "\n"
                              for old in config.read_text().splitlines(keepends=True)))
    code, err = stedi(["run", "--lake", str(lake)], capsys)
    assert code == 1
    assert_one_line(err, f"{config}: {message}")


def test_memory_limit_too_small_for_the_run_names_the_setting(lake: Path, capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEDI_MEMORY_LIMIT", "1MB")  # a size DuckDB takes, too small for any run
    code, err = stedi(["run", "--lake", str(lake)], capsys)
    assert code == 1
    assert_one_line(err, "Out of Memory Error")
    assert "raise memory_limit (STEDI_MEMORY_LIMIT or the lake's stedi.toml)" in err


@pytest.mark.parametrize("argv, message", [
    (["generate", "{tmp}/file", "--customers", "5"], "{tmp}/file/customer/landing: Not a directory"),
    (["generate", "{tmp}/g", "--customers", "5", "--rate", "malformed=2"], "--rate: malformed must be a share in [0, 1]"),
    (["generate", "{tmp}/g", "--customers", "5", "--rate", "malformed"], "--rate malformed: expected NAME=VALUE"),
    (["generate", "{tmp}/g", "--customers", "5", "--rate", "max_part_bytes=1.5"], "'1.5' is not a number"),
])
def test_generate_errors_are_one_line(argv: list[str], message: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("not a folder")
    code, err = stedi([a.format(tmp=tmp_path) for a in argv], capsys)
    assert code == 1
    assert_one_line(err, message.format(tmp=tmp_path))


@pytest.mark.parametrize("argv, message", [
    (["query", "SELECT 1", "--max-rows", "-5"], "argument --max-rows: must be 0 or more, not -5"),
    (["query", "SELECT 1", "--max-rows", "abc"], "argument --max-rows: 'abc' is not a whole number"),
    (["generate", "g", "--customers", "0"], "argument --customers: must be 1 or more, not 0"),
    (["generate", "g", "--customers", "-1"], "argument --customers: must be 1 or more, not -1"),
    (["generate", "g", "--customers", "5", "--seed", "-1"], "argument --seed: must be 0 or more, not -1"),
    (["demo", "--customers", "0"], "argument --customers: must be 1 or more, not 0"),
    (["demo", "--seed", "x"], "argument --seed: 'x' is not a whole number"),
])
def test_wrong_option_value_is_a_usage_error(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = stedi(argv, capsys)
    assert code == 2 and "Traceback" not in err
    assert err.startswith("usage: stedi ")
    assert err.splitlines()[-1] == f"stedi {argv[0]}: error: {message}"


def test_bad_demo_count_keeps_the_previous_demo_lake(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    previous = tmp_path / "demo-lake"
    previous.mkdir()
    (previous / ".stedi-demo").write_text("made by `stedi demo`\n")
    code, _ = stedi(["demo", "--customers", "0", "--lake", str(previous)], capsys)
    assert code == 2 and (previous / ".stedi-demo").exists()


def test_wrong_rate_writes_nothing_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["generate", str(tmp_path / "g"), "--customers", "5", "--rate", "malformed=2"]) == 1
    assert capsys.readouterr().out == ""
