"""Hand-worked lines for the nesting rule (docs/tables.md, "What a line must be"): arrays and objects
nested deeper than 64 levels reject a line. The line's own object is level 1, so an extra key
may hold 63 more levels; brackets inside strings are text. Each line with the verdict of docs/tables.md."""

from __future__ import annotations

DEPTH = 64
TOO_DEEP = "nested deeper than 64 levels of arrays and objects"  # the reason every engine gives


def arrays(levels: int) -> str:
    return "[" * levels + "]" * levels


def objects(levels: int) -> str:
    return '{"k":' * levels + "1" + "}" * levels


def line(base: dict[str, str], **tokens: str) -> str:
    """A line of `base`'s values (raw JSON text), some replaced or added."""
    return "{" + ",".join(f'"{k}":{v}' for k, v in {**base, **tokens}.items()) + "}"


READING = {"user": '"a@x.com"', "timestamp": "1", "x": "1", "y": "2", "z": "3"}
CUSTOMER = {"email": '"a@x.com"', "serialNumber": '"s"', "registrationDate": "1", "lastUpdateDate": "2"}
STEP = {"sensorReadingTime": "1", "serialNumber": '"s"', "distanceFromObject": "218"}

DEEP: dict[str, dict[str, bool]] = {
    "accelerometer": {
        line(READING, extra=arrays(DEPTH - 1)): True,
        line(READING, extra=objects(DEPTH - 1)): True,
        line(READING, extra="[" + objects(DEPTH - 2) + "]"): True,
        line(READING, extra=arrays(DEPTH)): False,
        line(READING, extra=objects(DEPTH)): False,
        line(READING, extra="[" + objects(DEPTH - 1) + "]"): False,
        line(READING, extra=arrays(100_000)): False,
        line(READING, extra=objects(100_000)): False,
        line(READING, x=arrays(DEPTH)): False,  # a declared field, mistyped and too deep
        line(READING, x=arrays(100_000)): False,
        line(READING, extra='"' + "[{" * 100_000 + '"'): True,  # brackets inside strings are text
        line(READING, extra='["' + "[" * 100 + '\\"' + "{" * 100 + '",' + arrays(DEPTH - 2) + "]"): True,
        line(READING, extra=arrays(DEPTH - 1), e2=arrays(DEPTH - 1)): True,  # the deepest path counts, not the sum
        arrays(100_000): False,  # not an object either
        '{"k":' * 100_000: False,  # cut short, too
    },
    "customer": {
        line(CUSTOMER, extra=objects(DEPTH - 1)): True,
        line(CUSTOMER, extra=objects(DEPTH)): False,
        line(CUSTOMER, shareWithResearchAsOfDate=arrays(100_000)): False,
        line(CUSTOMER, customerName='"' + "{" * 1000 + '"'): True,
    },
    "step_trainer": {
        line(STEP, extra=arrays(DEPTH - 1)): True,
        line(STEP, extra=arrays(DEPTH)): False,
        line(STEP, serialNumber=arrays(100_000)): False,
    },
}
