"""The Python API as a notebook user meets it: a short public list, hints that resolve, a repr
that says what lake this is, forget's argument checked, errors in the API's words, and objects
kept across a writer's changes that say what to do."""

from __future__ import annotations

import inspect
import subprocess
import sys
import typing
from pathlib import Path

import duckdb
import pytest

import stedi
from stedi import LakeBusyError, Lakehouse, StediError, UsageError
from stedi.storage.lock import WriterLock
from tests.api_lake import OBRIEN, api_lake, build  # noqa: F401 (the fixture)

ROOT = Path(__file__).resolve().parents[1]


def lake_bytes(root: str) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(Path(root).rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def changing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lakehouse, list[str]]:
    """A lake of this module's own, which its tests change (forget, maintain)."""
    return build(tmp_path_factory.mktemp("changing"), runs=2)


def test_the_public_api_is_a_short_list_and_says_the_rest_is_internal() -> None:
    assert stedi.__all__ == ["Lakehouse", "StediError", "LakeBusyError", "NotALakeError", "MovedLakeError",
                             "UsageError", "InputError"]
    for name in stedi.__all__[1:]:
        assert issubclass(getattr(stedi, name), StediError)
    shown = subprocess.run([sys.executable, "-c", "import stedi; help(stedi)"], capture_output=True, text=True,
                           cwd=ROOT, env={"PAGER": "cat", "PATH": "/usr/bin:/bin"}, check=True).stdout
    assert "internal" in shown and "Lakehouse(path)" in shown and "_registers" not in shown


def test_it_ships_its_type_hints() -> None:
    assert (ROOT / "stedi" / "py.typed").is_file()
    assert '"stedi" = ["py.typed"]' in (ROOT / "pyproject.toml").read_text()


def test_every_public_hint_resolves(api_lake: tuple[Lakehouse, list[str]]) -> None:
    house, _ = api_lake
    handle = type(house.table("customer_trusted"))
    for cls in (Lakehouse, handle):
        for name, member in inspect.getmembers(cls):
            if not name.startswith("_") and inspect.isfunction(member):
                typing.get_type_hints(member)  # NameError before: AsOf was defined for type checkers only
    hints = typing.get_type_hints(Lakehouse.query)
    assert hints["return"].__module__.startswith("pyarrow") and "params" in hints and "as_of" in hints


def test_repr_shows_the_place_its_tables_and_run(api_lake: tuple[Lakehouse, list[str]], tmp_path: Path) -> None:
    house, runs = api_lake
    assert repr(house) == f"<Lakehouse {house.path}: 9 tables, run {runs[-1]}>"
    assert repr(Lakehouse(tmp_path / "new", create=True)) == f"<Lakehouse {tmp_path / 'new'}: no run yet>"


def test_repr_never_fails(tmp_path: Path) -> None:
    house, _ = build(tmp_path, runs=1)
    (Path(house.path) / "state.json").write_text("{not json")
    assert repr(house) == f"<Lakehouse {house.path}>"


@pytest.mark.parametrize("emails", [b"c001@x.com", None, [None], ["c001@x.com", 7], "", ["c001@x.com", ""], "   ",
                                    "c001@x.com, c002@x.com", 42])
def test_forget_checks_each_address_before_writing_anything(changing: tuple[Lakehouse, list[str]],
                                                            emails: object) -> None:
    house, _ = changing
    before = lake_bytes(house.path)
    with pytest.raises(UsageError) as raised:
        house.forget(emails)  # type: ignore[arg-type]
    assert "\n" not in str(raised.value) and ("email" in str(raised.value))
    assert lake_bytes(house.path) == before


def test_busy_lake_speaks_the_api_in_python_and_the_cli_on_the_command_line(changing: tuple[Lakehouse, list[str]]) -> None:
    house, _ = changing
    with WriterLock(Path(house.path), "run").acquire():
        with pytest.raises(LakeBusyError, match=r"wait for it \(`--wait` on the command line, `wait=` in Python\)$"):
            house.maintain()
        proc = subprocess.run([sys.executable, "-m", "stedi", "maintain", "--lake", house.path], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "`--wait` on the command line" in proc.stderr and proc.stderr.count("\n") == 1


def test_objects_kept_across_a_forget_and_retention_say_what_to_do(changing: tuple[Lakehouse, list[str]]) -> None:
    """Run last in this module: it forgets o'brien and expires every older snapshot."""
    house, runs = changing
    first, last = house.as_of(runs[0]), house.as_of(runs[1])
    handle = house.table("customer_trusted", as_of=last)
    con = house.connect()
    report = house.forget(OBRIEN)  # a str is one address, not 13 characters
    assert len(report.people) == 1 and report.rows_removed.get("customer_trusted") == 1
    for read in (lambda: house.query("SELECT count(*) FROM customer_trusted", as_of=last), handle.to_arrow,
                 lambda: house.query("SELECT count(*) FROM customer_trusted", as_of=first)):
        with pytest.raises(StediError, match="expired") as raised:
            read()
        assert "\n" not in str(raised.value)
    with pytest.raises(duckdb.Error, match=r"was deleted by a later run, forget or maintain .* connect again"):
        con.execute("SELECT count(*) FROM customer_trusted").fetchall()
    assert house.connect().execute("SELECT count(*) FROM customer_trusted").fetchall() == [(300,)]
