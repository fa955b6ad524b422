"""The Python modules the Glue job installs: the package and every runtime dependency at the
version constraints.txt pins (the versions the tests ran), as wheels for Glue 5.0's workers, in
one zip of wheels the job installs without reaching PyPI.

What AWS documents ("Using Python libraries with AWS Glue",
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html):
- Glue 5.0 and later take a "zip of wheels": a file named `*.gluewheels.zip`, named in
  `--additional-python-modules`, with `--no-index` in `--python-modules-installer-option`; the
  zip "essentially acts as a local index for pip to resolve dependencies from at runtime". Its
  layout is Appendix A's: `wheels/` holding the wheels and the requirements.txt they came from.
- Glue 5.0 runs CPython 3.11 on Amazon Linux 2023, glibc 2.34, x86_64 (Appendix B).

The wheels are gathered with pip on the machine that deploys (from its configured index, or
offline from a folder of wheels): set-up time, like `make setup`. Nothing is downloaded by the
job or at run time.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from stedi.deploy.wheel import cache_dir, package, pip_reason, project_root, wheel_digest
from stedi.errors import StediError

GLUE_TARGET = "Glue 5.0: CPython 3.11, manylinux x86_64, glibc 2.34"
INSTALLER_OPTION = "--no-index"  # --python-modules-installer-option: pip resolves from the zip alone
ZIP_SUFFIX = ".gluewheels.zip"
_GLIBC_MINOR = 34
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entries' time: the same wheels make the same zip
_gathered: dict[tuple[str, ...], "ModuleSet"] = {}  # for the life of the process


@dataclass(frozen=True)
class ModuleSet:
    wheels: tuple[Path, ...]  # every wheel the job installs, the package's own among them
    requirements: str  # name==version, one a line: exactly those wheels
    digest: str  # of what the zip holds (the package wheel by its contents, not its zip timestamps)


def glue_platforms() -> list[str]:
    """pip's --platform tags for Glue 5.0's workers: a manylinux_2_Y wheel runs where glibc is
    2.Y or later (PEP 600), and pip does not widen a tag to the older ones by itself."""
    return [f"manylinux_2_{minor}_x86_64" for minor in range(_GLIBC_MINOR, 4, -1)] + [
        "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]


def pins(constraints: Path) -> dict[str, str]:
    """constraints.txt's `name==version` lines, by normalized name."""
    from packaging.utils import canonicalize_name

    found: dict[str, str] = {}
    for line in constraints.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            found[canonicalize_name(name.split("[", 1)[0])] = version.split(";", 1)[0].strip()
    return found


def gather(package_wheel: Path, constraints: Path, wheelhouse: Path | None = None) -> ModuleSet:
    """The package wheel and every wheel it needs on Glue 5.0, each at its pinned version: from
    the configured package index, or with `wheelhouse` from that folder alone."""
    key = (wheel_digest(package_wheel), constraints.read_text(encoding="utf-8"), str(wheelhouse or ""))
    if key in _gathered and all(p.is_file() for p in _gathered[key].wheels):
        return _gathered[key]
    out = Path(tempfile.mkdtemp(prefix="glue-wheels-", dir=cache_dir()))
    download(package_wheel, constraints, out, wheelhouse)
    wheels = tuple(sorted(out.glob("*.whl")))
    requirements = _check_pinned(wheels, package_wheel, constraints)
    digest = hashlib.sha256(requirements.encode("utf-8"))
    for wheel in wheels:
        own = wheel.name == package_wheel.name  # rebuilt each deploy: its contents, not its bytes
        digest.update(f"{wheel.name}\0{wheel_digest(wheel) if own else _file_digest(wheel)}\0".encode("utf-8"))
    _gathered[key] = ModuleSet(wheels, requirements, digest.hexdigest())
    return _gathered[key]


def download(requirement: Path | str, constraints: Path, out: Path, wheelhouse: Path | None = None) -> None:
    """`pip download` of `requirement` and its dependencies for Glue 5.0 into `out`."""
    source = f"from {wheelhouse}" if wheelhouse else "from the package index"
    if wheelhouse is not None and not wheelhouse.is_dir():
        raise StediError(f"{wheelhouse}: no such folder of wheels (--wheelhouse)")
    # From a folder: that folder alone, no index, and none of pip's settings adding one (--isolated).
    pip = ["--isolated", "download", "--no-index", "--find-links", str(wheelhouse)] if wheelhouse else ["download"]
    command = [sys.executable, "-m", "pip", *pip, "--disable-pip-version-check", "--only-binary=:all:",
               "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
               *[f"--platform={tag}" for tag in glue_platforms()], "--constraint", str(constraints),
               "--dest", str(out), str(requirement)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise StediError(f"cannot gather the Glue job's wheels {source}: {_why(done.stderr + done.stdout)}")


def _why(output: str) -> str:
    """pip's failure in a user's words: which requirement has no wheel for Glue, else pip's error."""
    if "NewConnectionError" in output or "Failed to establish a new connection" in output:
        return "the package index is unreachable (gather the wheels elsewhere and pass --wheelhouse DIR)"
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    missing = [line.split(" found for ", 1)[1] for line in lines if "No matching distribution found for " in line]
    # A pinned version pip found no fitting wheel of shows as a conflict with the pin.
    missing += [line.split(" depends on ", 1)[1] for line in lines if " depends on " in line]
    if missing:
        return f"no wheel of {missing[0]} for {GLUE_TARGET}"
    return pip_reason(output)


def _check_pinned(wheels: tuple[Path, ...], package_wheel: Path, constraints: Path) -> str:
    """requirements.txt for `wheels`; every one but the package's own must be the version
    constraints.txt pins: an unpinned dependency would be whatever was newest that day."""
    from packaging.utils import parse_wheel_filename

    pinned, lines = pins(constraints), []
    for wheel in wheels:
        name, version, _, _ = parse_wheel_filename(wheel.name)
        if wheel.name != package_wheel.name and pinned.get(name) != str(version):
            raise StediError(f"{name} {version}, which the Glue job needs, is not pinned in {constraints} "
                             "(pin it there at the version the tests ran, and deploy again)")
        lines.append(f"{name}=={version}")
    return "".join(f"{line}\n" for line in sorted(lines))


def zip_of_wheels(modules: ModuleSet, name: str) -> Path:
    """The zip of `modules` named `name`, written once per process for the same wheels."""
    path = Path(cache_dir()) / f"zip-{modules.digest[:16]}" / name
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_zip(modules, path.with_suffix(".partial")).rename(path)
    return path


def write_zip(modules: ModuleSet, path: Path) -> Path:
    """The zip of wheels, as Appendix A lays it out: `wheels/` with the wheels and their
    requirements.txt. Entries sorted, with a fixed time and stored as they are (wheels are
    compressed already): the same wheels make the same bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        def add(name: str, data: bytes) -> None:
            entry = zipfile.ZipInfo(f"wheels/{name}", date_time=_FIXED_TIME)
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)

        add("requirements.txt", modules.requirements.encode("utf-8"))
        for wheel in modules.wheels:
            add(wheel.name, wheel.read_bytes())
    return path


def _file_digest(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def fetch_wheelhouse(folder: Path) -> None:
    """`make glue-wheels`: the wheels deploy needs for this tree, from the index, into `folder`
    (set-up time: the tests then deploy offline with --wheelhouse)."""
    built = package()
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="stedi-glue-wheels-") as scratch:
        download(built.wheel, project_root() / "constraints.txt", Path(scratch))
        for wheel in Path(scratch).glob("*.whl"):
            if wheel.name != built.wheel.name:  # the package is built by each deploy, never cached
                shutil.copy2(wheel, folder / wheel.name)


if __name__ == "__main__":
    try:
        fetch_wheelhouse(Path(sys.argv[1]))
    except StediError as e:
        sys.exit(f"glue-wheels: error: {e}")
