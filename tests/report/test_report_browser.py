"""The run report in a real browser: `stedi report` for a run of the starter data, opened in
headless Chromium at a laptop's and a phone's size. The page must load without a console error,
an uncaught exception or any network request, show every table's rows as the lake counts them,
balance each source's lines, name every table in its lineage, show its plots, and fit a phone.

STEDI_REPORT_SHOTS=1 copies the screenshots to /tmp/stedi-report-shots/ for a human to look at.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.lake import TABLE_LOCATIONS
from tests.conftest import STARTER
from tests.report.browser import LAPTOP, PHONE, Visit, horizontal_overflow, keep, overflowing, png_size, visit

pytestmark = pytest.mark.skipif(not STARTER.is_dir(), reason="starter data not present at ../shared/data/stedi")

SOURCES = ("customer", "accelerometer", "step_trainer")
PLOTS = ("readings-per-day", "distance-distribution", "magnitude-distribution", "run-phases")
# Read at import: the autouse isolated_env fixture hides STEDI_* variables from each test.
SHOTS = Path("/tmp/stedi-report-shots") if os.environ.get("STEDI_REPORT_SHOTS") else None

COUNTS = ("read", "accepted", "quarantined", "erased")
VISIBLE = "e => e.checkVisibility({opacityProperty: true, visibilityProperty: true})"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lakehouse:
    house = Lakehouse(tmp_path_factory.mktemp("report") / "lake", create=True)
    house.ingest(STARTER)
    house.run()
    return house


@pytest.fixture(scope="module")
def report(lake: Lakehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from stedi.cli.main import main  # in-process: a subprocess would import everything again

    out = tmp_path_factory.mktemp("report") / "report.html"
    try:
        code = main(["report", "--lake", lake.path, "--out", str(out)])
    except SystemExit as e:  # argparse's way out: left alone, it breaks pytest's module fixtures
        code = e.code
    assert code == 0, f"stedi report exited with status {code}"
    assert out.is_file()
    return out


@pytest.fixture(scope="module")
def laptop(browser, report: Path):
    with visit(browser, report, LAPTOP) as seen:
        yield seen


@pytest.fixture(scope="module")
def phone(browser, report: Path):
    with visit(browser, report, PHONE) as seen:
        yield seen


def number(text: str) -> int:
    """A count as shown: digits with thousands separators, e.g. 81,273."""
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", text.strip()), f"not a count with thousands separators: {text!r}"
    return int(text.replace(",", ""))


def lines_of(source: str) -> int:
    """Non-blank lines of the starter's landing files of a source, as a run reads them."""
    return sum(sum(1 for line in path.read_bytes().splitlines() if line.strip())
               for path in (STARTER / source / "landing").glob("*.json"))


def test_screenshots(laptop: Visit, phone: Visit, tmp_path: Path) -> None:
    shots = [seen.screenshot(tmp_path / f"report-{seen.viewport.name}.png") for seen in (laptop, phone)]
    for seen, shot in zip((laptop, phone), shots):
        width, height = png_size(shot)
        assert width >= seen.viewport.width * seen.viewport.scale  # wider where the page overflows
        assert height >= seen.viewport.height * seen.viewport.scale  # the whole page, not the first screen
    keep(shots, SHOTS)


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_the_page_loads_without_errors_or_network_requests(size: str, request: pytest.FixtureRequest) -> None:
    seen: Visit = request.getfixturevalue(size)
    assert seen.problems() == []
    assert seen.files == [], "the report reads files beside it: it must hold everything (inline SVG, data: URLs)"


def test_every_tables_rows_are_shown_as_the_lake_counts_them(laptop: Visit, lake: Lakehouse) -> None:
    expected = {t.name: t.rows for t in lake.tables()}
    assert set(expected) == set(TABLE_LOCATIONS)
    shown = laptop.page.eval_on_selector_all(
        "[data-rows-of]", f"els => els.map(e => [e.dataset.rowsOf, e.textContent, ({VISIBLE})(e)])")
    assert {name for name, _, _ in shown} == set(TABLE_LOCATIONS)
    for name, text, _ in shown:
        assert number(text) == expected[name], f"rows of {name}"
    assert {name for name, _, visible in shown if visible} == set(TABLE_LOCATIONS), "a table's rows are hidden"


def test_each_sources_lines_are_conserved(laptop: Visit, lake: Lakehouse) -> None:
    shown = laptop.page.eval_on_selector_all(
        "[data-conservation]", "els => els.map(e => ({source: e.dataset.conservation, text: e.textContent,"
        " read: e.dataset.linesRead, accepted: e.dataset.accepted, quarantined: e.dataset.quarantined,"
        " erased: e.dataset.erased}))")  # a missing attribute comes back as None
    assert sorted(s["source"] for s in shown) == sorted(SOURCES)
    rows = {t.name: t.rows for t in lake.tables()}
    for s in shown:
        source = s["source"]
        assert all(re.fullmatch(r"\d+", s.get(key) or "") for key in COUNTS), f"{source}: not plain integers: {s}"
        read, accepted, quarantined, erased = (int(s[key]) for key in COUNTS)
        assert read == accepted + quarantined + erased, source
        assert "holds" in s["text"].lower(), f"{source}: {s['text']!r}"
        assert read == lines_of(source)
        assert accepted == rows[f"{source}_landing"]  # landing tables hold the accepted lines
        in_quarantine = lake.query(f"SELECT count(*) AS n FROM quarantine WHERE source = '{source}'")
        assert quarantined == in_quarantine.column("n")[0].as_py()
        assert erased == 0  # no one was forgotten


def test_the_lineage_names_every_table(laptop: Visit) -> None:
    assert laptop.page.eval_on_selector("#lineage", "e => e.tagName") == "SECTION"
    texts = laptop.page.eval_on_selector_all("#lineage svg text", "els => els.map(e => e.textContent)")
    missing = [name for name in TABLE_LOCATIONS if not any(re.search(rf"\b{name}\b", t) for t in texts)]
    assert missing == [], f"the lineage's <text> elements name neither of {missing}; they say {texts}"


# The outermost <svg> or data: <img> of a plot: its tag, size, decoded width (img), visibility.
DRAWN = f"""els => els.filter(e => !e.parentElement.closest('svg')).map(e => {{
    const box = e.getBoundingClientRect();
    return [e.tagName.toLowerCase(), box.width, box.height, e.naturalWidth ?? null, ({VISIBLE})(e)];
}})"""


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_the_plots_are_drawn_and_visible(size: str, request: pytest.FixtureRequest) -> None:
    seen: Visit = request.getfixturevalue(size)
    for plot in PLOTS:
        drawn = seen.page.eval_on_selector_all(f'[data-plot="{plot}"] :is(svg, img[src^="data:"])', DRAWN)
        assert drawn, f"no <svg> or data: <img> in [data-plot={plot}]"
        for tag, width, height, decoded, visible in drawn:
            assert width > 0 and height > 0 and visible, f"{plot}: {tag} not visible at {size} ({width}x{height})"
            assert tag == "svg" or decoded > 0, f"{plot}: its image does not decode"


def test_the_page_fits_a_phone(phone: Visit) -> None:
    excess = horizontal_overflow(phone.page)
    assert excess == 0, f"{excess}px wider than a phone; sticking out: {overflowing(phone.page)}"
