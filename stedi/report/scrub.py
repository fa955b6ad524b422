"""A forget reaches the lake's reports too: a quarantined line a report quotes that is a
forgotten person's is erased, a mention of them in another line or in a reason is replaced as
in landing (stedi/forget/person.py), and each such report is rendered again from its facts.
Counts stay: they name no one. The forget stages the new pages and swaps them in with the
landing files it rewrites, so a roll-back puts the old ones back. The forget is given `scrubbed`
(by the Lakehouse: stedi/forget/landing.py's Quotes), since only the report draws its pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stedi.errors import StediError
from stedi.forget.person import Matcher, Person, matcher
from stedi.report import REPORTS
from stedi.report.render import facts_of, render

if TYPE_CHECKING:
    from stedi.lake import Lake

ERASED_LINE = "(a line of a person since forgotten: erased)"
ERASED_REASON = "(a reason quoting a person since forgotten: erased)"
ERASED_REPORT = ("<!doctype html><title>erased</title><p>This run report quoted a person since forgotten "
                 "and could not be redrawn: it was erased.</p>\n")


def scrubbed(lake: "Lake", people: list["Person"]) -> dict[str, str]:
    """The reports of the lake that quote the people, each as it must become (lake-relative path
    -> the page)."""
    match = matcher(people)
    prefixes = _prefixes(people)
    found = {}
    for entry in lake.storage.files(REPORTS, suffix=".html"):
        html = lake.storage.read_text(entry.relative)
        if html is None:
            continue
        try:
            facts = facts_of(html, entry.relative)
        except (StediError, ValueError):  # not one of ours, or damaged: it cannot be redrawn
            if match.may_hold(html.encode("utf-8", "surrogatepass").lower()) and any(
                    match.verdict(source, line.encode("utf-8", "surrogatepass"))
                    for line in html.splitlines() for source in ("customer", "accelerometer", "step_trainer")):
                found[entry.relative] = ERASED_REPORT
            continue
        if erase(facts, match, prefixes):
            found[entry.relative] = render(facts)
    return found


def erase(facts: dict, match: "Matcher", prefixes: tuple[str, ...] = ()) -> bool:
    """Erase, in place, the quarantined lines of `facts` that are the people's, and replace their
    mentions in the others and in reasons. A line the report cut short may end in the start of
    an identifier (`prefixes`): it goes too."""
    changed = False
    for reason in facts["quarantine"]["by_reason"]:
        source = reason["source"]
        verdict = match.verdict(source, reason["reason"].encode("utf-8", "surrogatepass"))
        if verdict is not None:
            reason["reason"] = verdict.line.decode("utf-8", "surrogatepass") if verdict.owner is None else ERASED_REASON
            changed = True
        for sample in reason["samples"]:
            raw = sample["raw"]
            if raw == ERASED_LINE:
                continue
            if sample.get("cut") and raw.endswith(prefixes):
                sample["raw"], changed = ERASED_LINE, True
                continue
            verdict = match.verdict(source, raw.encode("utf-8", "surrogatepass"))
            if verdict is not None:
                sample["raw"] = ERASED_LINE if verdict.owner is not None else verdict.line.decode("utf-8", "surrogatepass")
                changed = True
    return changed


def _prefixes(people: list["Person"]) -> tuple[str, ...]:
    """The starts (4 characters or more) of each email, serial number and phone."""
    found = set()
    for person in people:
        for identifier in person.emails | person.serials | person.phones:
            found.update(identifier[:k] for k in range(4, len(identifier) + 1))
    return tuple(found)
