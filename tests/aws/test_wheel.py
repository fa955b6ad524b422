"""The package as Glue installs it: a wheel built offline from the source tree, holding the
job script and the SQL, identified by its contents rather than its bytes."""

from __future__ import annotations

import shutil
import tomllib
import zipfile
from pathlib import Path

import pytest

import stedi
from stedi.deploy import wheel
from stedi.deploy.wheel import SCRIPT, package, project_root, wheel_digest
from stedi.errors import StediError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A copy of the source tree (a build must leave nothing behind in it)."""
    copy = tmp_path / "src"
    copy.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, copy / name)
    shutil.copytree(ROOT / "stedi", copy / "stedi", ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_the_project_root_is_the_tree_stedi_is_imported_from() -> None:
    assert project_root() == ROOT


def test_an_installed_copy_is_refused_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed = tmp_path / "site-packages" / "stedi" / "__init__.py"
    monkeypatch.setattr(stedi, "__file__", str(installed))
    with pytest.raises(StediError) as refused:
        project_root()
    assert str(refused.value) == (f"stedi is not installed from a source tree (no stedi pyproject.toml in "
                                  f"{tmp_path / 'site-packages'}); deploy builds the package from a clone: "
                                  "pip install -e . there, and run it from that venv")


def test_the_wheel_holds_the_package_the_sql_and_the_job_script(source: Path, monkeypatch) -> None:
    monkeypatch.setattr(wheel, "_built", {})
    built = package(source)
    version = tomllib.loads((source / "pyproject.toml").read_text())["project"]["version"]
    assert built.wheel.name == f"stedi-{version}-py3-none-any.whl"  # as pip needs it named
    with zipfile.ZipFile(built.wheel) as archive:
        names = set(archive.namelist())
        assert archive.read(SCRIPT) == built.script == (source / SCRIPT).read_bytes()
    sql = {p.relative_to(source).as_posix() for p in (source / "stedi").rglob("*.sql")}
    assert sql and sql <= names
    assert {"stedi/engines/base.py", "stedi/cli/main.py", "stedi/models/__init__.py"} <= names
    assert not any(n.startswith("tests/") or "__pycache__" in n for n in names)
    # Built from a copy: the tree gets no build/ or egg-info.
    assert sorted(p.name for p in source.iterdir()) == ["README.md", "pyproject.toml", "stedi"]


def test_a_rebuilt_wheel_has_the_same_digest_and_one_built_already_is_reused(source: Path, monkeypatch) -> None:
    monkeypatch.setattr(wheel, "_built", {})
    first = package(source)
    first_bytes = first.wheel.read_bytes()
    assert package(source).wheel == first.wheel  # the same sources: not built again
    monkeypatch.setattr(wheel, "_built", {})
    again = package(source)
    assert again.wheel_digest == first.wheel_digest and again.script_digest == first.script_digest
    (source / "stedi" / "models" / "staging" / "customer_latest.sql").write_text("SELECT 1\n")
    changed = package(source)
    assert changed.wheel_digest != first.wheel_digest and changed.wheel.read_bytes() != first_bytes


def test_the_digest_reads_contents_not_timestamps(tmp_path: Path) -> None:
    def archive(name: str, when: tuple, members: dict[str, bytes]) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as z:
            for member, data in members.items():
                z.writestr(zipfile.ZipInfo(member, date_time=when), data)
        return path

    a = archive("a.whl", (2020, 1, 1, 0, 0, 0), {"x.py": b"1", "y.py": b"2"})
    b = archive("b.whl", (2026, 5, 5, 5, 5, 6), {"y.py": b"2", "x.py": b"1"})
    c = archive("c.whl", (2020, 1, 1, 0, 0, 0), {"x.py": b"12", "y.py": b""})
    assert a.read_bytes() != b.read_bytes()
    assert wheel_digest(a) == wheel_digest(b) != wheel_digest(c)


def test_a_failed_build_is_one_line(source: Path, monkeypatch) -> None:
    monkeypatch.setattr(wheel, "_built", {})
    text = (source / "pyproject.toml").read_text()
    (source / "pyproject.toml").write_text(text.replace('version = "0.1.0"', 'version = "not a version"'))
    with pytest.raises(StediError) as failed:
        package(source)
    message = str(failed.value)
    print(message)
    assert message.startswith(f"cannot build the stedi wheel from {source}: ") and "\n" not in message
