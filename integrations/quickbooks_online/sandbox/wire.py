"""How the sandbox writes JSON and timestamps the way QuickBooks Online does.

Amounts travel as JSON numbers (`"TotalAmt": 25.0`) but are held as Decimal everywhere, so
nothing passes through a float on the way in or out.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

# The company's time zone: QuickBooks stamps MetaData and envelopes in it. Fixed, so tests and
# CDC windows do not move with daylight saving.
COMPANY_TZ = timezone(timedelta(hours=-8))

_DECIMAL_MARK = "\u0000D"
_DECIMAL_PATTERN = re.compile(r'"\\u0000D(-?[0-9.]+)"')
_DECIMAL_MARKER_TEXT = "\\u0000D"


def decimal_text(value: Decimal) -> str:
    """`25` -> `25.0`, `1234.50` -> `1234.5`: the shape the real API prints."""
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.0"


def _mark_decimal(value):
    if isinstance(value, Decimal):
        return _DECIMAL_MARK + decimal_text(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_mark_decimal)
    return _DECIMAL_PATTERN.sub(r"\1", text) if _DECIMAL_MARKER_TEXT in text else text


def dumps_bytes(value) -> bytes:
    return dumps(value).encode("utf-8")


def loads(text: str | bytes):
    return json.loads(text, parse_float=Decimal)


def now() -> float:
    return time.time()


def company_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, COMPANY_TZ)


def metadata_time(epoch: float) -> str:
    """`2015-07-28T12:51:21-08:00`, as in MetaData.CreateTime / LastUpdatedTime."""
    return company_datetime(epoch).isoformat(timespec="seconds")


def envelope_time(epoch: float | None = None) -> str:
    """`2015-07-28T12:51:21.326-08:00`, as in the `time` of every response envelope."""
    return company_datetime(now() if epoch is None else epoch).isoformat(timespec="milliseconds")


def company_today() -> str:
    return company_datetime(now()).date().isoformat()


def parse_datetime(text: str) -> datetime | None:
    """ISO dates and datetimes as clients send them; a bare date means midnight company time."""
    candidate = text.strip()
    if candidate.endswith("Z"):
        candidate = candidate[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=COMPANY_TZ)
    return parsed


def epoch_of(text: str) -> float | None:
    parsed = parse_datetime(text)
    return None if parsed is None else parsed.astimezone(UTC).timestamp()
