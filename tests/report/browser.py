"""Open a local HTML page in the system's headless Chromium (Debian's `chromium`) with Playwright,
and see what a reader would: its console errors, uncaught exceptions, network requests, layout.

Playwright's own browsers are never downloaded. A page may fetch nothing from the network: every
request but file:, data: and blob: is aborted and recorded (the report must be self-contained);
local files read besides the page are recorded too.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route, WebSocketRoute

# Set by .ci/run: there a browser test fails rather than skips when Chromium or Playwright is missing.
REQUIRE_BROWSER = bool(os.environ.get("STEDI_TEST_REQUIRE_BROWSER"))

LOCAL = ("file:", "data:", "blob:", "about:")
# Chromium logs a failed load as a console error too; it is counted once, as a failed request.
FAILED_LOAD = "Failed to load resource:"


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int
    scale: int  # device pixels per CSS pixel
    mobile: bool  # honours <meta name="viewport">; without it a phone lays the page out 980px wide


LAPTOP = Viewport("laptop", 1366, 900, 1, False)
PHONE = Viewport("phone", 390, 844, 3, True)


def find_chromium() -> str | None:
    # Debian's /usr/bin/chromium is a shell script that sources /etc/chromium.d (extension and
    # GPU flags, a /dev/shm check) before it execs this binary: start the binary itself.
    if os.access("/usr/lib/chromium/chromium", os.X_OK):
        return "/usr/lib/chromium/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def unavailable(reason: str) -> NoReturn:
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason} (STEDI_TEST_REQUIRE_BROWSER is set)", pytrace=False)
    pytest.skip(reason)


@contextmanager
def chromium() -> Iterator["Browser"]:
    """The system's Chromium, headless. Skips the test when Playwright or Chromium is missing or
    Chromium cannot start (fails instead under STEDI_TEST_REQUIRE_BROWSER=1)."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        unavailable("Playwright is not installed: pip install -c constraints.txt -e '.[dev]'")
    executable = find_chromium()
    if executable is None:
        unavailable("Chromium is not installed: install Debian's chromium package (apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            # Chromium's sandbox cannot start as root; Playwright passes --no-sandbox unless asked.
            browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                                 chromium_sandbox=os.geteuid() != 0)
        except Error as e:
            unavailable(f"{executable} does not start: {str(e).strip().splitlines()[0]}")
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """A page as opened, with what went wrong while it loaded (and since)."""

    page: "Page"
    viewport: Viewport
    url: str  # the page's own file:// URL
    page_errors: list[str] = field(default_factory=list)  # uncaught exceptions
    blocked: list[str] = field(default_factory=list)  # network requests, aborted
    failed: dict[str, str] = field(default_factory=dict)  # local requests that failed: url -> why
    files: list[str] = field(default_factory=list)  # local files read besides the page (not self-contained)
    _console: list[tuple[str, str]] = field(default_factory=list)  # (text, url) of console errors

    @property
    def console_errors(self) -> list[str]:
        loads = set(self.blocked) | set(self.failed)
        return [text for text, url in self._console if not (text.startswith(FAILED_LOAD) and url in loads)]

    def problems(self) -> list[str]:
        return ([f"console error: {m}" for m in self.console_errors]
                + [f"uncaught exception: {m}" for m in self.page_errors]
                + [f"network request (blocked): {u}" for u in self.blocked]
                + [f"failed request: {u} ({why})" for u, why in self.failed.items()])

    def screenshot(self, path: Path) -> Path:
        """The whole page (not just the viewport) as a PNG."""
        self.page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    def _route(self, route: "Route") -> None:
        url = route.request.url
        if url.startswith(LOCAL):
            if url.startswith("file:") and url.split("#")[0] != self.url:
                self.files.append(url)
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def _websocket(self, ws: "WebSocketRoute") -> None:
        self.blocked.append(ws.url)
        ws.close()

    def _request_failed(self, request: "Request") -> None:
        if request.url not in self.blocked:
            self.failed[request.url] = request.failure or "failed"

    def _on_console(self, message: "ConsoleMessage") -> None:
        if message.type == "error":
            self._console.append((message.text, message.location.get("url", "")))


@contextmanager
def visit(browser: "Browser", html: Path, viewport: Viewport) -> Iterator[Visit]:
    """`html` opened at `viewport` in a fresh browser context, laid out, scrolled through once (so
    what loads lazily has loaded), back at the top."""
    context = browser.new_context(viewport={"width": viewport.width, "height": viewport.height},
                                  device_scale_factor=viewport.scale, is_mobile=viewport.mobile,
                                  has_touch=viewport.mobile, service_workers="block")
    try:
        page = context.new_page()
        seen = Visit(page, viewport, Path(html).resolve().as_uri())
        context.route("**/*", seen._route)
        context.route_web_socket("**/*", seen._websocket)
        page.on("console", seen._on_console)
        page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
        page.on("requestfailed", seen._request_failed)
        page.goto(seen.url, wait_until="load")
        page.evaluate(SETTLE)
        yield seen
    finally:
        context.close()


# Two animation frames after each scroll: layout and whatever the page does on scroll have run.
SETTLE = """async () => {
    const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    await frames();
    window.scrollTo(0, document.scrollingElement.scrollHeight);
    await frames();
    window.scrollTo(0, 0);
    await frames();
}"""


def horizontal_overflow(page: "Page") -> int:
    """CSS pixels by which the page is wider than the viewport: a reader would scroll sideways.
    What sticks out inside a box with overflow-x other than visible scrolls (or is cut) in its box
    and does not count; `overflow-x: hidden` on html or body does not hide the excess."""
    width = page.viewport_size["width"]  # type: ignore[index]
    return max(0, page.evaluate("document.scrollingElement.scrollWidth") - width)


def overflowing(page: "Page", limit: int = 8) -> list[str]:
    """The elements that make the page too wide (for a failure message): those whose box sticks out
    of the viewport on the right, outermost first, and those whose content spills out of a box that
    fits (a long line in a <pre>) where no child sticks out."""
    return page.evaluate(OVERFLOWING, [page.viewport_size["width"], limit])  # type: ignore[index]


OVERFLOWING = """([width, limit]) => {
    const right = el => { const r = el.getBoundingClientRect(); return Math.max(r.right, r.left + el.scrollWidth); };
    const box = el => el.getBoundingClientRect().right > width + 0.5;
    const out = el => right(el) > width + 0.5;
    const inBox = el => {
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement)
            if (getComputedStyle(a).overflowX !== 'visible') return true;
        return false;
    };
    const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + [...el.classList].map(c => '.' + c).join('');
    const found = [];
    for (const el of [document.body, ...document.body.querySelectorAll('*')]) {
        if (found.length >= limit) break;
        const parent = el.parentElement;
        if (out(el) && !inBox(el) && !(parent !== document.documentElement && box(parent))
                && (box(el) || ![...el.children].some(out)))
            found.push(`${name(el)} (right edge at ${Math.round(right(el))}px)`);
    }
    return found;
}"""


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) in pixels, from the PNG header."""
    head = Path(path).read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def keep(shots: list[Path], folder: Path | None) -> list[Path]:
    """Copy screenshots into `folder` (when given) for a human to look at; print where they are."""
    kept = list(shots)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        kept += [Path(shutil.copy2(shot, folder / shot.name)) for shot in shots]
    for path in kept:
        print(f"screenshot: {path}")
    return kept

