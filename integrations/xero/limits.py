"""Xero's limits per organisation (tenant), as Xero documents them: 60 calls a minute, 5 at once
and 5,000 a day. All come from settings.XERO; RATE_WINDOW_SECONDS is the minute (the benchmarks
scale it down). Every worker on every machine shares them through integrations.rate_limits, and
what Xero says is left (`X-MinLimit-Remaining`, `X-DayLimit-Remaining`) holds every worker back
when it is less than we counted: another app may be calling the same organisation.
"""

from __future__ import annotations

from django.conf import settings

from integrations import rate_limits as shared_limits
from integrations.models import ERPConnection
from integrations.rate_limits import RateLimits
from integrations.xero import oauth

# A call may trickle past its read timeout a little before it is presumed dead.
LEASE_MARGIN_SECONDS = 10.0
# Xero's day budget counts over a rolling 24 hours and its answers do not say when a spent one
# frees up; a 429 does (Retry-After). Holding back this long lets one call ask Xero.
SPENT_DAY_PAUSE_SECONDS = 3600.0


def rate_limits() -> RateLimits:
    config = settings.XERO
    connect, read = oauth.request_timeout()
    return RateLimits(
        per_window=int(config["REQUESTS_PER_MINUTE"]),
        concurrent=int(config["MAX_CONCURRENT"]),
        window_seconds=float(config.get("RATE_WINDOW_SECONDS", 60)),
        per_day=int(config["REQUESTS_PER_DAY"]),
        lease_seconds=connect + read + LEASE_MARGIN_SECONDS,
    )


def heed_remaining(connection: ERPConnection, headers, limits: RateLimits) -> None:
    """Xero's answer says how many calls are left this minute and today. With none left today,
    no worker calls this organisation for an hour (Xero's answers do not say when its day frees
    up). Its minute is a fixed window that resets at a time it does not say: what is left of it
    is noted, and with none left no worker calls before it closes, whoever spent it (another
    app on the organisation, or our own calls, which our own count holds back as well)."""
    if _remaining(headers, "X-DayLimit-Remaining") == 0:
        shared_limits.pause(connection, SPENT_DAY_PAUSE_SECONDS)
    minute_left = _remaining(headers, "X-MinLimit-Remaining")
    if minute_left is not None:
        shared_limits.note_erp_window(connection, limits, remaining=minute_left)


def _remaining(headers, name: str) -> int | None:
    try:
        return int(headers.get(name, ""))
    except ValueError:
        return None
