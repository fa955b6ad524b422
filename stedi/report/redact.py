"""--redact: a report's facts with nothing delivered in landing that could name a person.

Everything else the page shows is counts, table names, the lineage, the run's own record and
settings: what reaches it from landing is the quarantine's lines, reasons and file names, and a
landing file's name where a run says why it rebuilt every table. Masking by pattern alone cannot
know a name, so each of those is masked by what it is, not by what it looks like:
- a line: its values, unknown keys and everything that is not JSON (redact_line.py);
- a reason: every value it quotes, in quotes or not; its words, column and byte numbers stay;
- a file name: all but its source's folder, unless it is `<source>[-<number>].json` with a
  number that is no phone's (masked names are numbered, so the page still tells files apart);
and then, as a second net over all of them, anything shaped like an email or a phone number (7
or more digits, separated or not), and every email, name (and each word of it) and phone of the
lake's customer records. The masked facts are what the page keeps: rendering it again cannot
bring anything back.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable

from stedi.landing.sources import SOURCES
from stedi.report.redact_line import FIELDS, MASK, plausible_time, redact_line
from stedi.report.scrub import ERASED_LINE, ERASED_REASON

_EMAIL = re.compile(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)*", re.UNICODE)
_PHONE = re.compile(r"\+?\(?\d(?:[\s().\-/]{0,3}\d){6,}")
_WORD = re.compile(r"\w+")
_QUOTED = re.compile(r"""'(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?""")
_NUMBER = re.compile(r"(?<![\w.\\])[-+]?\d[\w.+-]*")
_SAFE_NUMBERS = ("column ", "byte ")  # where a reason's number is its own, not the line's
_NAMES = "|".join(SOURCES)
_LANDING_FILE = re.compile(rf"(?P<folder>(?:{_NAMES})/landing/)?(?P<name>.*?)(?P<ext>\.json)?")
_SAFE_FILE = re.compile(rf"(?:{_NAMES})(?:-(?P<n>\d+))?")
_FILE_IN_REASON = re.compile(rf"(?:{_NAMES})/landing/.*?(?= was read before| changed since|$)")


class Known:
    """Every email, name (and word of it) and phone of the lake's customer records, to mask
    wherever one shows (case does not matter; a phone's digits are matched, separated or not)."""

    def __init__(self, values: Iterable[str | None] = ()):
        self.words: set[str] = set()
        for value in filter(None, values):
            self.words.update(w for w in _WORD.findall(value.casefold()) if len(w) > 1)
            digits = re.sub(r"\D", "", value)
            if len(digits) >= 7:
                self.words.add(digits)

    def mask(self, text: str, phones: bool = True) -> str:
        """`phones`: mask every run of 7 digits (not in a masked line: its numbers are decided)."""
        text = _EMAIL.sub(MASK, text)
        text = _PHONE.sub(MASK, text) if phones else text
        return _WORD.sub(lambda m: MASK if m.group().casefold() in self.words else m.group(), text)


def redact(facts: dict, known: Iterable[str | None] = ()) -> dict:
    """The facts with every value from landing masked (`known`: the lake's customers' emails,
    names and phones). Quarantine reasons that read the same once masked are merged."""
    net = Known(known)
    masked = copy.deepcopy(facts)
    quarantine = masked["quarantine"]
    files = _file_names(quarantine, masked["run"].get("full_reason") or "", net)
    reasons: dict[tuple[str, str], dict] = {}
    for reason in quarantine["by_reason"]:
        shown = reason["reason"] if reason["reason"] == ERASED_REASON else net.mask(redact_reason(reason["reason"]))
        for sample in reason["samples"]:
            sample["file"] = files[sample["file"]]
            if sample["raw"] != ERASED_LINE:
                sample["raw"] = net.mask(_collapse(redact_line(sample["raw"])), phones=False)
        merged = reasons.setdefault((shown, reason["source"]), {**reason, "reason": shown, "lines": 0, "samples": []})
        merged["lines"] += reason["lines"]
        merged["samples"] = sorted(merged["samples"] + reason["samples"], key=lambda s: (s["file"], s["line"]))
    quarantine["by_reason"] = sorted(reasons.values(), key=lambda r: -r["lines"])
    for entry in quarantine["by_file"]:
        entry["file"] = files[entry["file"]]
    if masked["run"].get("full_reason"):
        full = _FILE_IN_REASON.sub(lambda m: files[m.group()], masked["run"]["full_reason"])
        masked["run"]["full_reason"] = net.mask(full)
    masked["redacted"] = True
    return masked


def redact_reason(reason: str) -> str:
    """A reason with what it quotes masked: quoted text (a field's name and a delimiter stay),
    and numbers other than a column or byte position (`got integer 8015556789`)."""
    def quoted(m: re.Match) -> str:
        text = m.group()
        inner = text[1:-1] if len(text) > 1 and text[-1] == text[0] else text[1:]
        if inner in FIELDS or re.fullmatch(r"[^\w\s]", inner):
            return text
        return text[0] + MASK + (text[0] if len(text) > 1 and text[-1] == text[0] else "")

    def number(m: re.Match) -> str:
        return m.group() if reason[: m.start()].endswith(_SAFE_NUMBERS) or m.group() == "64" else MASK

    parts = []
    at = 0
    for m in _QUOTED.finditer(reason):
        parts.append(_NUMBER.sub(number, reason[at:m.start()]) if at < m.start() else "")
        parts.append(quoted(m))
        at = m.end()
    parts.append(_NUMBER.sub(number, reason[at:]))
    return "".join(parts)


def redact_file(name: str, number: int) -> str:
    """A landing file's name: `<source>/landing/` and `.json` kept, the rest masked (numbered)
    unless it is `<source>[-<number>]` with a number that is no phone's (customer-1.json)."""
    found = _LANDING_FILE.fullmatch(name)
    assert found is not None  # (.*? matches anything)
    safe = _SAFE_FILE.fullmatch(found["name"])
    if found["folder"] and found["ext"] and safe and (safe["n"] is None or plausible_time(safe["n"])):
        return name
    return f"{found['folder'] or ''}{MASK}#{number}{found['ext'] or ''}"


def _file_names(quarantine: dict, full_reason: str, net: Known) -> dict[str, str]:
    """Each file name the facts show, masked; masked ones numbered in the order of their names."""
    names = {entry["file"] for entry in quarantine["by_file"]}
    names.update(s["file"] for r in quarantine["by_reason"] for s in r["samples"])
    names.update(_FILE_IN_REASON.findall(full_reason))
    found: dict[str, str] = {}
    for name in sorted(names):
        found[name] = net.mask(redact_file(name, sum(1 for shown in found.values() if MASK in shown) + 1))
    return found


def _collapse(text: str) -> str:
    return re.sub(f"(?:{MASK})+", MASK, text)
