"""A forget reaches the lake's reports too: the quarantined lines and reasons they show that
belong to or mention a forgotten person are erased, and each such report is rendered again
from its facts. Counts stay: they name no one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from stedi.errors import StediError

if TYPE_CHECKING:
    from stedi.forget.person import Matcher, Person
    from stedi.lake import Lake

ERASED_LINE = "(a line of a person since forgotten: erased)"
ERASED_REASON = "(a reason quoting a person since forgotten: erased)"


def scrub_reports(lake: "Lake", people: list["Person"], say: Callable[[str], None]) -> int:
    """Erase the people from every report in the lake; returns how many reports changed."""
    from stedi.forget.person import matcher
    from stedi.report import REPORTS
    from stedi.report.render import facts_of, render

    match = matcher(people)
    prefixes = _prefixes(people)
    changed = 0
    for entry in lake.storage.files(REPORTS, suffix=".html"):
        html = lake.storage.read_text(entry.relative)
        if html is None:
            continue
        try:
            facts = facts_of(html, entry.relative)
        except (StediError, ValueError):  # not one of ours, or damaged: it cannot be redrawn
            if any(match.mentions("customer", line.encode()) for line in html.splitlines()):
                lake.storage.delete(entry.relative)
                changed += 1
            continue
        if erase(facts, match, prefixes):
            lake.storage.write_atomic(entry.relative, render(facts))
            changed += 1
    if changed:
        say(f"erased them from {changed} run report(s)")
    return changed


def erase(facts: dict, match: "Matcher", prefixes: tuple[str, ...] = ()) -> bool:
    """Erase, in place, the quarantined lines and reasons of `facts` that mention the people.
    A line the report cut short may end in the start of an identifier (`prefixes`): it goes too."""
    changed = False
    for reason in facts["quarantine"]["by_reason"]:
        source = reason["source"]
        if match.mentions(source, reason["reason"].encode("utf-8", "surrogatepass")):
            reason["reason"], changed = ERASED_REASON, True
        for sample in reason["samples"]:
            raw = sample["raw"]
            cut_in_one = sample.get("cut") and raw.endswith(prefixes)
            if raw != ERASED_LINE and (cut_in_one or match.mentions(source, raw.encode("utf-8", "surrogatepass"))):
                sample["raw"], changed = ERASED_LINE, True
    return changed


def _prefixes(people: list["Person"]) -> tuple[str, ...]:
    """The starts (4 characters or more) of each email, serial number and phone."""
    found = set()
    for person in people:
        for identifier in person.emails | person.serials | person.phones:
            found.update(identifier[:k] for k in range(4, len(identifier) + 1))
    return tuple(found)
