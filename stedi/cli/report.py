"""`stedi report`: a run's HTML report, where the user wants it, and opened if asked."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from stedi.errors import StediError

if TYPE_CHECKING:
    from stedi.storage import Storage


def write_report(lake: str | None, run_id: str | None, out: str | None, redact: bool, open_it: bool,
                 wait: float | None, say: Callable[[str], None]) -> int:
    from stedi.lakehouse import Lakehouse
    from stedi.report import build_report, report_file

    house = Lakehouse(lake)
    storage = house.lake.storage
    target = _outside_lakes(out, storage) if out is not None else None
    run_id, html, kept = build_report(house, run_id, redact)
    if out is not None and target is not None:
        if target.is_dir():
            raise StediError(f"{out}: is a folder; --out takes a file name, e.g. {target / (run_id + '.html')}")
        _write(target, html, redact)
        where = local = str(target)
    else:
        relative = report_file(run_id, redact)
        if not kept:  # a report the lake does not keep yet: written under the writer lock
            from stedi.commit.transaction import writing

            with writing(house.lake, "report", wait, say):
                storage.write_atomic(relative, html)
        where = storage.path(relative)
        local = where
        if where.startswith("s3://") and open_it:  # a browser opens local files
            # A new file of the user's own (a fixed name in /tmp could be another user's symlink).
            fd, local = tempfile.mkstemp(prefix=f"{run_id}-", suffix=".html")
            with open(fd, "wb") as fh:
                fh.write(html.encode("utf-8"))
    print(where)
    if open_it:
        import webbrowser

        if webbrowser.open(Path(local).as_uri()):
            say(f"opened {local} in the web browser")
        else:
            say(f"no web browser found here: open {local} in one")
    return 0


def _outside_lakes(out: str, storage: "Storage") -> Path:
    """The file `--out` names, symlinks and '..' resolved, refused where it lies inside the lake
    or any local lake: it would replace the lake's key, a run record, a report the lake keeps."""
    from stedi.storage.local import LocalStorage, lake_around

    target = Path(os.path.realpath(Path(out).expanduser()))
    lakes = [lake_around(target), Path(os.path.realpath(storage.folder)) if isinstance(storage, LocalStorage) else None]
    for lake in filter(None, lakes):
        if target == lake or lake in target.parents:
            raise StediError(f"{out}: inside the lake {lake}; --out writes a copy outside any lake "
                             "(the lake keeps its own in reports/)")
    if not target.parent.is_dir():
        raise StediError(f"{out}: no such folder {target.parent}")
    return target


def _write(target: Path, html: str, redact: bool) -> None:
    """Replace the file whole (a hard link elsewhere to it keeps its bytes). Readable by its owner
    only unless redacted: the report quotes quarantined lines as delivered."""
    from stedi.storage.atomic import replacing

    with replacing(target, 0o666 if redact else 0o600) as fh:  # 0o666: the user's umask decides
        fh.write(html.encode("utf-8"))
