"""The three landing sources as delivered: their JSON keys, column names and types.

This is the one declaration of what a valid landing line is. The DuckDB parser, the
Python reference validator, the landing views and the Athena DDL are all derived
from it, so they cannot drift apart. Each field says in one line what it is (`doc`): the
landing and accepted tables' column descriptions (Iceberg field docs, Athena COMMENTs).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class FieldType(str, Enum):
    """JSON value types a landing field may hold (null is allowed only if optional)."""

    STRING = "string"  # JSON string
    INTEGER = "integer"  # JSON number without fraction or exponent, fits in 64 bits
    NUMBER = "number"  # any JSON number, read as a double
    DATE = "date"  # JSON string YYYY-MM-DD (any year from 0001, centuries-old birthdays kept)

    @property
    def sql_type(self) -> str:
        """Its column type's DuckDB name (stedi/landing/column_types.py has the others)."""
        return {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "date": "DATE"}[self.value]


@dataclass(frozen=True)
class Field:
    key: str  # the JSON key as delivered, e.g. "serialNumber"
    type: FieldType
    required: bool
    doc: str  # what the column is, in one line: a time says its unit

    @property
    def column(self) -> str:
        """Table column name: the landing key lowercased, as Glue and Athena name it."""
        return self.key.lower()


@dataclass(frozen=True)
class Source:
    name: str  # "customer", "accelerometer", "step_trainer"
    fields: tuple[Field, ...]

    @property
    def landing_table(self) -> str:
        return f"{self.name}_landing"

    @property
    def columns(self) -> list[str]:
        return [f.column for f in self.fields]

    @property
    def docs(self) -> dict[str, str]:
        """Each column's description."""
        return {f.column: f.doc for f in self.fields}

    def field(self, key: str) -> Field:
        return next(f for f in self.fields if f.key == key)


# A date as delivered: YYYY-MM-DD, where centuries-old years come with fewer digits (993-01-01).
# Year 0 does not exist; the year group is 1 to 9999.
DATE_PATTERN = r"(0*[1-9][0-9]{0,3})-([0-9]{2})-([0-9]{2})"

# What "only white space" means for a required string: the characters Python's str.isspace()
# accepts (Unicode White_Space, plus the ASCII separators 0x1C-0x1F). Both judges use this list.
WHITE_SPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
               "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")

S, I, N, D = FieldType.STRING, FieldType.INTEGER, FieldType.NUMBER, FieldType.DATE

# Every time is a whole number of milliseconds since 1970-01-01 00:00 UTC, as the devices send it.
MS = "epoch milliseconds (UTC)"

CUSTOMER = Source(
    "customer",
    (
        Field("customerName", S, False, "the customer's full name"),
        Field("email", S, True, "the customer's email address, as delivered: what identifies a customer"),
        Field("phone", S, False, "the customer's phone number"),
        Field("birthDay", D, False, "the customer's date of birth (some are centuries old, kept as delivered)"),
        Field("serialNumber", S, True, "serial number (a UUID) of the customer's step trainer"),
        Field("registrationDate", I, True, f"when the customer registered, in {MS}"),
        Field("lastUpdateDate", I, True, f"when this record was last updated, in {MS}: the latest record of an "
                                         "email counts"),
        # Consent dates: absent or null both mean "no consent given".
        Field("shareWithResearchAsOfDate", I, False, f"when the customer agreed to share their data for research, "
                                                     f"in {MS}; null: no consent"),
        Field("shareWithPublicAsOfDate", I, False, f"when the customer agreed to share with the public, in {MS}; "
                                                   "null: no consent"),
        Field("shareWithFriendsAsOfDate", I, False, f"when the customer agreed to share with friends, in {MS}; "
                                                    "null: no consent"),
    ),
)

ACCELEROMETER = Source(
    "accelerometer",
    (
        Field("user", S, True, "email address of the customer whose phone took the reading"),
        Field("timestamp", I, True, f"when the phone took the reading, in {MS}"),
        Field("x", N, True, "acceleration along the phone's x axis, as the phone reports it"),
        Field("y", N, True, "acceleration along the phone's y axis, as the phone reports it"),
        Field("z", N, True, "acceleration along the phone's z axis, as the phone reports it"),
    ),
)

STEP_TRAINER = Source(
    "step_trainer",
    (
        Field("sensorReadingTime", I, True, f"when the step trainer took the reading, in {MS}"),
        Field("serialNumber", S, True, "serial number (a UUID) of the step trainer that took the reading"),
        Field("distanceFromObject", I, True, "distance from the sensor to the object in front of it, a whole "
                                             "number as the step trainer reports it"),
    ),
)

SOURCES: dict[str, Source] = {s.name: s for s in (CUSTOMER, ACCELEROMETER, STEP_TRAINER)}
