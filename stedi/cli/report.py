"""`stedi report`: a run's HTML report, where the user wants it, and opened if asked."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable

from stedi.errors import StediError


def write_report(lake: str | None, run_id: str | None, out: str | None, redact: bool, open_it: bool,
                 wait: float | None, say: Callable[[str], None]) -> int:
    from stedi.lakehouse import Lakehouse
    from stedi.report import build_report, report_file

    house = Lakehouse(lake)
    storage = house.lake.storage
    run_id, html, kept = build_report(house, run_id, redact)
    if out is not None:
        target = Path(out).expanduser()
        if target.is_dir():
            raise StediError(f"{out}: is a folder; --out takes a file name, e.g. {target / (run_id + '.html')}")
        target.write_text(html, encoding="utf-8")
        where = local = str(target.resolve())
    else:
        relative = report_file(run_id, redact)
        if not kept:  # a report the lake does not keep yet: written under the writer lock
            from stedi.commit.writer import writing

            with writing(house.lake, "report", wait, say):
                storage.write_atomic(relative, html)
        where = storage.path(relative)
        local = where
        if where.startswith("s3://") and open_it:  # a browser opens local files
            local = str(Path(tempfile.gettempdir()) / Path(relative).name)
            Path(local).write_text(html, encoding="utf-8")
    print(where)
    if open_it:
        import webbrowser

        if webbrowser.open(Path(local).as_uri()):
            say(f"opened {local} in the web browser")
        else:
            say(f"no web browser found here: open {local} in one")
    return 0
