"""A report's facts as one self-contained HTML page: styles inline, charts as inline SVG images,
and the facts themselves as JSON inside the page, so it can be rendered again from itself."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from functools import cache
from typing import TYPE_CHECKING

from stedi.errors import StediError
from stedi.lake import TABLE_LOCATIONS, zone_of

if TYPE_CHECKING:
    import jinja2

_FACTS = re.compile(r'<script type="application/json" id="stedi-report-facts">(.*?)</script>', re.DOTALL)


@cache
def _templates() -> "jinja2.Environment":
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("stedi.report", "templates"),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True)


def render(facts: dict) -> str:
    """The page for `facts` (stedi/report/facts.py)."""
    from markupsafe import Markup

    from stedi.report import plots
    from stedi.report.lineage import lineage_from_dict
    from stedi.report.lineage_svg import lineage_svg

    run = facts["run"]
    graph = lineage_from_dict(facts["lineage"])
    audits = facts["audits"]
    phases = run.get("phases", {})
    context = {
        "facts": facts, "run": run, "env": facts["environment"], "rows": facts["rows"],
        "quarantine": facts["quarantine"], "consent": facts["consent"], "history": facts["history"],
        "lineage": facts["lineage"], "audits": audits, "redacted": facts.get("redacted", False),
        "kind": _kind(run),
        "tables": _tables(run, facts["rows"]),
        "audits_passed": sum(1 for a in audits if a["ran"] and a["offending"] == 0),
        "audits_failed": sum(1 for a in audits if a["ran"] and a["offending"]),
        "conserved": all(c["holds"] for c in facts["conservation"]),
        "slowest": max(phases, key=phases.get) if phases else "",
        "lineage_wide": Markup(lineage_svg(graph, "wide")),
        "lineage_tall": Markup(lineage_svg(graph, "tall")),
        "plots": {
            "daily": _data_uri(plots.readings_per_day(facts["daily"])),
            "distance": _data_uri(plots.histogram(facts["distributions"]["distance"])),
            "magnitude": _data_uri(plots.histogram(facts["distributions"]["magnitude"], "#0d9488")),
            "phases": _data_uri(plots.run_phases(facts["history"])),
        },
        "facts_json": Markup(_script_json(facts)),
        "n": _n, "pct": _pct, "when": _when, "stats": _stats,
    }
    return _templates().get_template("report.html").render(context)


def warm_up() -> None:
    """Draw charts like the real ones once (modules, fonts, glyphs, the template), so that the
    first page drawn for a run costs what every later one does (half as much)."""
    import importlib

    from stedi.report import plots

    for module in ("markupsafe", "stedi.report.lineage_svg"):  # (sqlglot, the models, the lake's layout)
        importlib.import_module(module)
    from stedi.report.facts import DAILY

    edges = [i / 4 for i in range(41)]
    shape = {"label": "|x, y, z| distanceFromObject", "n": 40, "min": 0.0, "max": 10.0, "mean": 5.0,
             "median": 1234.5, "edges": edges, "counts": list(range(40))}
    plots.histogram(shape)
    plots.readings_per_day({"days": ["2022-06-18"], "series": {series: [81273] for series, _, _ in DAILY}})
    run = {"run_id": "20261128T181225-3b1acb3c", "kind": "full rebuild", "seconds": 2.0,
           "phases": {p: 0.1 for p in ("plan", "start engine", "read landing", "accepted tables", "build tables",
                                       "audit", "quarantine", "compact", "commit", "retention", "report")}}
    plots.run_phases([run, run])
    _templates().get_template("report.html")


def to_json(facts: dict) -> str:
    return json.dumps(facts, separators=(",", ":"), ensure_ascii=False, default=str)


def facts_of(html: str, where: str) -> dict:
    """The facts a report was rendered from (`where`: the report, for the error)."""
    found = _FACTS.search(html)
    if not found:
        raise StediError(f"{where}: not a stedi run report (it holds no report facts)")
    return json.loads(found.group(1))


def _script_json(facts: dict) -> str:
    # Inside <script>, "</" would end the element: escape the characters HTML gives meaning to.
    text = to_json(facts)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _tables(run: dict, rows: dict[str, int]) -> list[dict]:
    """Every table of the lake with what this run did to it and its rows after."""
    done = {t["name"]: t for t in run["tables"]}
    found = []
    for name in TABLE_LOCATIONS:
        t = done.get(name, {})
        found.append({"name": name, "zone": zone_of(name), "rows_in": t.get("rows_in"), "rows_out": t.get("rows_out"),
                      "removed": t.get("removed"), "rows": rows.get(name)})
    return found


# The page's header says what the run did in words of its own.
_KIND = {"forget": "a forget", "nothing new": "nothing new to read", "full rebuild": "every table rebuilt",
         "new files only": "new landing files only",
         "reconstructed": "a run whose record was written afterwards from its snapshots (lines read not known)"}


def _kind(run: dict) -> str:
    from stedi.report.facts import kind

    return _KIND[kind(run)]


def _n(value: object) -> str:
    return "—" if value is None else f"{value:,}"


def _pct(part: int | None, whole: int | None) -> str:
    return f"{100 * part / whole:.1f}%" if part is not None and whole else "—"


def _when(ms: int | None) -> str:
    if not ms:
        return "—"
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _stats(found: dict) -> str:
    if not found["n"]:
        return "no rows"
    return (f"{found['n']:,} rows · min {found['min']:,.2f} · median {found['median']:,.2f} · "
            f"mean {found['mean']:,.2f} · max {found['max']:,.2f}")
