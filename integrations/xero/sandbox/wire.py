"""How the sandbox reads and writes Xero's wire formats: JSON with Decimal amounts, the
Microsoft JSON dates (`/Date(1735689600000+0000)/`) of responses, and the dates and date-times
clients send (`/Date(…)/`, `YYYY-MM-DD`, ISO date-times with or without an offset).

Amounts are Decimal from the request body to the response body: nothing passes through a float.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from email.utils import parsedate_to_datetime

CENT = Decimal("0.01")

_DECIMAL_MARK = "\u0000D"
_DECIMAL_PATTERN = re.compile(r'"\\u0000D(-?[0-9.]+)"')
_DECIMAL_MARKER_TEXT = "\\u0000D"
_MS_DATE = re.compile(r"^/Date\((?P<ms>-?\d+)(?P<offset>[+-]\d{4})?\)/$")


def _mark_decimal(value):
    if isinstance(value, Decimal):
        return _DECIMAL_MARK + format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value) -> str:
    """JSON with Decimal written as a number, digits as held (`150.00` stays `150.00`)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_mark_decimal)
    return _DECIMAL_PATTERN.sub(r"\1", text) if _DECIMAL_MARKER_TEXT in text else text


def dumps_bytes(value) -> bytes:
    return dumps(value).encode("utf-8")


_DECODER = json.JSONDecoder(parse_float=Decimal)


def loads(text: str | bytes):
    """JSON with amounts as Decimal. Stored text goes to one shared decoder (`json.loads` builds
    a new one per call when given `parse_float`); bytes from the wire go through `json.loads`,
    which finds their encoding."""
    if isinstance(text, str):
        return _DECODER.decode(text)
    return json.loads(text, parse_float=Decimal)


def now() -> float:
    return time.time()


def now_ms() -> int:
    return int(now() * 1000)


def ms_datetime(epoch_ms: int) -> str:
    """`/Date(1573755038314+0000)/`, as Xero writes `UpdatedDateUTC` and `DateTimeUTC`."""
    return f"/Date({epoch_ms}+0000)/"


def ms_date(day: date) -> str:
    """A calendar date as Xero writes `Date` and `DueDate`: midnight UTC of that day."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return f"/Date({int(midnight.timestamp()) * 1000}+0000)/"


def date_string(day: date) -> str:
    """`2026-01-31T00:00:00`, the ISO twin Xero adds as `DateString` / `DueDateString`."""
    return f"{day.isoformat()}T00:00:00"


def iso_utc(epoch_ms: int) -> str:
    """`2019-12-07T18:46:19.5165400Z`: the identity service's seven-digit fractions, with the
    UTC designator the spec's `date-time` format requires."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def parse_date(value) -> date | None:
    """A date as clients send it: `YYYY-MM-DD`, an ISO date-time, or `/Date(ms±hhmm)/`."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    found = _MS_DATE.match(text)
    if found:
        moment = _from_epoch_ms(int(found["ms"]))
        return None if moment is None else moment.date()
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else None
    except ValueError:
        return None


def parse_datetime_ms(text: str) -> int | None:
    """An `If-Modified-Since` value as epoch milliseconds: an ISO date-time with or without an
    offset (none means UTC), microseconds allowed, `/Date(…)/`, or the HTTP date that standard
    HTTP clients send in this header (`Wed, 21 Oct 2026 07:28:00 GMT`); None otherwise."""
    candidate = text.strip()
    found = _MS_DATE.match(candidate)
    if found:
        epoch_ms = int(found["ms"])
        return epoch_ms if _from_epoch_ms(epoch_ms) is not None else None
    if candidate.endswith("Z"):
        candidate = candidate[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(candidate)
        except (TypeError, ValueError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def _from_epoch_ms(epoch_ms: int) -> datetime | None:
    """The moment, or None when it lies outside the years 1 to 9999 a date can hold."""
    try:
        return datetime.fromtimestamp(epoch_ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def today_in(offset_hours: int) -> date:
    """The organisation's today, in its fixed UTC offset."""
    return (datetime.now(UTC) + timedelta(hours=offset_hours)).date()


def decimal_or_none(value) -> Decimal | None:
    """A number from a request (JSON number or numeric string); None when absent or not one."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def flag(value) -> bool | None:
    """A query boolean in any case (`True`, `false`); None when absent or not a boolean."""
    if value is None:
        return None
    text = str(value).strip().lower()
    return {"true": True, "false": False}.get(text)
