"""The docs hold: their Python examples run, and their relative links lead somewhere.

- Every ```python block of docs/using.md and docs/python-api.md, and every block of README.md or another page of docs/
  marked with `<!-- test: runs -->` on the line before it, runs as written, in a folder that
  holds a small generated lake `lake/` and the delivery it was made from, `delivery/`. The
  blocks of one page run in order, in one namespace, as a reader would type them.
- Every relative link of README.md and docs/*.md names a file that exists, and a heading of it
  when it gives an anchor (GitHub's anchors: lower case, punctuation dropped, spaces to hyphens).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ALL_BLOCKS_RUN = {ROOT / "docs" / "using.md", ROOT / "docs" / "python-api.md"}
MARKER = "<!-- test: runs -->"

FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def python_blocks(page: Path) -> list[str]:
    """The ```python blocks of `page` that must run."""
    text = page.read_text(encoding="utf-8")
    blocks = []
    for block in FENCE.finditer(text):
        before = text[: block.start()].rstrip().rsplit("\n", 1)[-1].strip()
        if block.group(1) == "python" and (page in ALL_BLOCKS_RUN or before == MARKER):
            blocks.append(block.group(2))
    return blocks


def prose(text: str) -> str:
    """`text` without its fenced blocks and inline code, where a link is not a link."""
    return re.sub(r"`[^`\n]*`", "", FENCE.sub("", text))


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the headings of `page`."""
    found: set[str] = set()
    for line in FENCE.sub("", page.read_text(encoding="utf-8")).splitlines():
        if not line.startswith("#"):
            continue
        slug = re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        n, unique = 0, slug
        while unique in found:
            n += 1
            unique = f"{slug}-{n}"
        found.add(unique)
    return found


RUNNABLE = [page for page in PAGES if python_blocks(page)]


@pytest.fixture(scope="module")
def lake_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with `delivery/` (40 generated customers) and `lake/`, ingested and run."""
    from stedi import Lakehouse
    from stedi.generate import generate

    folder = tmp_path_factory.mktemp("docs")
    generate(folder / "delivery", customers=40, seed=5)
    house = Lakehouse(folder / "lake", create=True)
    house.ingest(folder / "delivery")
    house.run()
    return folder


def test_using_has_examples() -> None:
    assert python_blocks(ROOT / "docs" / "using.md"), "docs/using.md: no ```python block"


@pytest.mark.parametrize("page", RUNNABLE, ids=[p.name for p in RUNNABLE])
def test_examples_run(page: Path, lake_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(lake_folder)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for n, block in enumerate(python_blocks(page), 1):
        exec(compile(block, f"{page.relative_to(ROOT)} (python block {n})", "exec"), namespace)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_relative_links_lead_somewhere(page: Path) -> None:
    broken = []
    for target in LINK.findall(prose(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {os.path.relpath(linked, ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)
