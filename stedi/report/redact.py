"""--redact: the quarantined lines a report shows, with emails, phone numbers and names masked.

Quarantined lines are often malformed JSON, so values are found by pattern, not by parsing:
anything shaped like an email anywhere, and the string value of a key that holds a phone
number, an email or a name (customer records: phone, email, customerName; readings: user).
"""

from __future__ import annotations

import copy
import re

MASK = "•••"
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_PERSONAL_VALUE = re.compile(r'("(?:phone|email|user|customerName)"\s*:\s*")((?:[^"\\]|\\.)*)(")?', re.IGNORECASE)
# A phone number outside a key we know, e.g. in a line cut short: 7 or more digits with separators
# typical of phone numbers, but not a bare run of digits (epoch milliseconds are 13 bare digits).
_PHONE = re.compile(r"(?<![\w.])\+?\d{1,3}?[ .-]?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}(?![\w.])")


def redact_text(text: str) -> str:
    text = _PERSONAL_VALUE.sub(lambda m: m.group(1) + MASK + (m.group(3) or ""), text)
    text = _EMAIL.sub(MASK, text)
    return _PHONE.sub(MASK, text)


def redact(facts: dict) -> dict:
    """The facts with every quarantined line shown masked; the rest are counts already."""
    masked = copy.deepcopy(facts)
    for reason in masked["quarantine"]["by_reason"]:
        reason["reason"] = redact_text(reason["reason"])
        for sample in reason["samples"]:
            sample["raw"] = redact_text(sample["raw"])
    masked["redacted"] = True
    return masked
