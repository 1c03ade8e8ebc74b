"""One rule for the integers and dates of query parameters (API.md, "Parameters are strict").

Python reads far more than the contract allows: `int()` takes a sign, surrounding whitespace,
`_` separators and any script's digits (an Arabic-Indic five is 5), and `fromisoformat()`
takes basic, week and ordinal dates (`20260101`, `2026-W01-1`, `2026-001`) and times without
an offset. So a value is matched against the one spelling first, and only then converted:

- an integer is ASCII digits without a leading zero (`0`, `7`, `42`);
- a date is `YYYY-MM-DD` (midnight UTC); a date-time is `YYYY-MM-DDTHH:MM:SS`, an optional
  fraction of up to six digits and an offset, `Z` or `+HH:MM`: RFC 3339, the profile of
  ISO 8601 that OpenAPI's `format: date-time` names, in upper case.

Every integer parameter is read by `query_integer`, every date filter is a `DateOrDateTimeFilter`,
and path ids go through `IdConverter`; their schemas (`integer_schema`,
DATE_OR_DATETIME_SCHEMA) say the same.
"""

import datetime as dt
import re

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

INTEGER = re.compile(r"0|[1-9][0-9]*")
# Patterns for the schema too: years 0001 to 9999 (Python's), months and days by their digits
# only (the calendar, a 30 February, is the parser's to refuse). No look-ahead: schema tools
# that generate values from a pattern do not all take one.
YEAR = r"([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
DAY = r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
DATE_PATTERN = rf"^{YEAR}-{DAY}$"
DATETIME_PATTERN = (
    rf"^{YEAR}-{DAY}"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
DATE = re.compile(DATE_PATTERN.removeprefix("^").removesuffix("$"))
DATETIME = re.compile(DATETIME_PATTERN.removeprefix("^").removesuffix("$"))

INVALID_INTEGER = "A whole number in ASCII digits, without sign, separator or leading zero."
INVALID_DATE = (
    "Enter a date (YYYY-MM-DD) or an ISO 8601 date-time with an offset "
    "(YYYY-MM-DDTHH:MM:SS[.ffffff] then Z or +HH:MM)."
)


def query_integer(request, name: str, *, default: int, maximum: int, minimum: int = 1) -> int:
    """The integer query parameter `name` (`default` when absent): a 400 naming it when it is
    not spelt by the rule or lies outside `minimum`..`maximum`."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not INTEGER.fullmatch(raw):
        raise ValidationError({name: [serializers.ErrorDetail(INVALID_INTEGER, code="invalid")]})
    # More digits than the maximum is out of range, without converting thousands of them.
    value = int(raw) if len(raw) <= len(str(maximum)) else None
    if value is not None and value < minimum:
        message, code = f"Ensure this value is greater than or equal to {minimum}.", "min_value"
    elif value is None or value > maximum:
        message, code = f"Ensure this value is less than or equal to {maximum}.", "max_value"
    else:
        return value
    raise ValidationError({name: [serializers.ErrorDetail(message, code=code)]})


def integer_schema(*, default: int, maximum: int, minimum: int = 1) -> dict:
    """The schema of a query_integer parameter."""
    return {"type": "integer", "minimum": minimum, "maximum": maximum, "default": default}


def parse_date_or_datetime(raw: str) -> dt.datetime:
    """The moment `raw` names, in UTC: a date is its midnight UTC. Raises ValueError when it
    is not spelt by the rule or names no day or time, OverflowError when it leaves the year
    range once in UTC (0001-01-01T00:00:00+01:00)."""
    if DATE.fullmatch(raw):
        return dt.datetime.combine(dt.date.fromisoformat(raw), dt.time(), tzinfo=dt.UTC)
    if DATETIME.fullmatch(raw):
        return dt.datetime.fromisoformat(raw).astimezone(dt.UTC)
    raise ValueError("not a calendar date or a date-time with an offset")


class DateOrDateTimeField(forms.Field):
    """A form field for parse_date_or_datetime."""

    default_error_messages = {
        "invalid": INVALID_DATE,
        "out_of_range": "This date is out of range.",
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_date_or_datetime(str(value))
        except OverflowError:
            raise forms.ValidationError(
                self.error_messages["out_of_range"], code="out_of_range"
            ) from None
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


DATE_OR_DATETIME_SCHEMA = {
    "oneOf": [
        {"type": "string", "format": "date", "pattern": DATE_PATTERN},
        {"type": "string", "format": "date-time", "pattern": DATETIME_PATTERN},
    ]
}


@extend_schema_field(DATE_OR_DATETIME_SCHEMA)
class DateOrDateTimeFilter(django_filters.Filter):
    field_class = DateOrDateTimeField


class IdConverter:
    """A path's id, spelt by the rule and at most a bigint: `05` or 2**63 is no address, a 404
    (Django's `int` converter reads `05` as 5, one resource under two addresses)."""

    regex = "[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > 2**63 - 1:
            raise ValueError("beyond a bigint")  # Django then tries the next pattern: a 404
        return number

    def to_url(self, value) -> str:
        return str(int(value))
