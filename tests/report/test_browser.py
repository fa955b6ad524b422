"""The browser helper itself, on hand-made pages: it sees console errors, uncaught exceptions,
network requests and a page wider than a phone, and lets local files and data: URLs through."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report import browser as helper
from tests.report.browser import LAPTOP, PHONE, horizontal_overflow, keep, overflowing, png_size, visit

HEAD = '<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head>'
DOT = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="5" cy="5" r="5"/></svg>'
GIF = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


def page(folder: Path, name: str, body: str, head: str = HEAD) -> Path:
    path = folder / name
    path.write_text(f"{head}<body>{body}</body></html>", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pages")


def test_local_files_and_data_urls_load_without_problems(browser, pages: Path) -> None:
    (pages / "dot.svg").write_text(DOT, encoding="utf-8")
    (pages / "style.css").write_text("body { color: #222 }", encoding="utf-8")
    html = page(pages, "clean.html", f'<link rel="stylesheet" href="style.css"><img id="file" src="dot.svg">'
                                     f'<img id="data" src="{GIF}">{DOT}<script>console.log("fine")</script>')
    with visit(browser, html, LAPTOP) as seen:
        assert seen.problems() == []
        assert sorted(seen.files) == [(pages / "dot.svg").as_uri(), (pages / "style.css").as_uri()]
        widths = seen.page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
        assert widths == [10, 1]  # both decoded: the local file was let through, not blocked


def test_a_console_error_and_a_network_request_are_reported(browser, pages: Path) -> None:
    html = page(pages, "errors.html", '<script>console.error("deliberate")</script>'
                                      '<img src="http://example.invalid/x.png">')
    with visit(browser, html, LAPTOP) as seen:
        assert seen.console_errors == ["deliberate"]  # not also Chromium's "Failed to load resource"
        assert seen.blocked == ["http://example.invalid/x.png"]
        assert seen.page_errors == [] and seen.failed == {} and seen.files == []
        assert len(seen.problems()) == 2


def test_uncaught_exceptions_missing_files_and_sockets_are_reported(browser, pages: Path) -> None:
    html = page(pages, "broken.html", '<img src="missing.png"><script>new WebSocket("ws://example.invalid/");'
                                      'fetch("https://example.invalid/data.json").catch(() => {});'
                                      'throw new Error("uncaught")</script>')
    with visit(browser, html, LAPTOP) as seen:
        assert [e for e in seen.page_errors if "uncaught" in e] == seen.page_errors != []
        assert list(seen.failed) == [(pages / "missing.png").as_uri()]
        assert sorted(seen.blocked) == ["https://example.invalid/data.json", "ws://example.invalid/"]
        assert seen.console_errors == []


def test_a_page_wider_than_a_phone_overflows(browser, pages: Path) -> None:
    wide = '<div id="wide" style="width:600px;height:10px"><p>inside</p></div>'
    html = page(pages, "wide.html", wide)
    with visit(browser, html, PHONE) as seen:
        assert horizontal_overflow(seen.page) == 8 + 600 - 390  # body's 8px margin, the div, the phone
        assert overflowing(seen.page) == ["div#wide (right edge at 608px)"]  # not the <p> inside it
    spill = page(pages, "spill.html", f'<p>fits</p><pre class="code">{"x" * 100}</pre>')
    with visit(browser, spill, PHONE) as seen:
        assert horizontal_overflow(seen.page) > 0
        assert [e.split(" ")[0] for e in overflowing(seen.page)] == ["pre.code"]  # its box fits, its line does not
    with visit(browser, html, LAPTOP) as seen:
        assert horizontal_overflow(seen.page) == 0
    hidden = page(pages, "hidden.html", wide, head=HEAD.replace("<html>", '<html style="overflow-x:hidden">'))
    with visit(browser, hidden, PHONE) as seen:
        assert horizontal_overflow(seen.page) > 0  # hiding the excess does not fit the page to the phone


def test_what_scrolls_in_its_box_does_not_overflow(browser, pages: Path) -> None:
    html = page(pages, "scroller.html", '<div style="overflow-x:auto"><table><tr>'
                + "<td>a_long_table_name</td>" * 30 + "</tr></table></div>")
    with visit(browser, html, PHONE) as seen:
        assert horizontal_overflow(seen.page) == 0
        assert seen.page.evaluate("document.querySelector('div').scrollWidth") > 390


def test_a_phone_without_a_viewport_tag_lays_the_page_out_980px_wide(browser, pages: Path) -> None:
    html = page(pages, "no-meta.html", "<p>short</p>", head="<!doctype html><html><head></head>")
    with visit(browser, html, PHONE) as seen:
        assert horizontal_overflow(seen.page) == 980 - 390


def test_screenshots_hold_the_whole_page(browser, pages: Path, tmp_path: Path) -> None:
    head = HEAD.replace("</head>", "<style>body { margin: 0 }</style></head>")
    html = page(pages, "tall.html", '<div style="height:2000px"></div>', head=head)
    shots = []
    for viewport in (LAPTOP, PHONE):
        with visit(browser, html, viewport) as seen:
            shots.append(seen.screenshot(tmp_path / f"{viewport.name}.png"))
        assert png_size(shots[-1]) == (viewport.width * viewport.scale, 2000 * viewport.scale)
    copies = keep(shots, tmp_path / "kept")
    assert [c.read_bytes() for c in copies[2:]] == [s.read_bytes() for s in shots]


def test_missing_chromium_skips_except_where_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helper, "find_chromium", lambda: None)
    monkeypatch.setattr(helper, "REQUIRE_BROWSER", False)  # (as outside CI)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        with helper.chromium():
            pass
    monkeypatch.setattr(helper, "REQUIRE_BROWSER", True)
    with pytest.raises(pytest.fail.Exception, match="STEDI_TEST_REQUIRE_BROWSER"):
        with helper.chromium():
            pass
