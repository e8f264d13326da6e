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
    """Xero's answer says how many calls are left this minute and today. When none are while our
    own count still has room, calls we did not make spent them (another app): no worker calls
    this organisation until the window (or an hour of the day) has passed.

    When our count is spent too, it already holds every worker back until one of our calls
    counts out. A pause of a whole window on top would waste most of the next one: Xero counts
    in a fixed window that resets at a time its answers do not say, which may be seconds away.
    """
    day_left = _remaining(headers, "X-DayLimit-Remaining")
    minute_left = _remaining(headers, "X-MinLimit-Remaining")
    if day_left != 0 and minute_left != 0:
        return
    window_room, day_room = shared_limits.calls_left(connection, limits)
    if day_left == 0 and day_room:
        shared_limits.pause(connection, SPENT_DAY_PAUSE_SECONDS)
    elif minute_left == 0 and window_room:
        shared_limits.pause(connection, limits.window_seconds)


def _remaining(headers, name: str) -> int | None:
    try:
        return int(headers.get(name, ""))
    except ValueError:
        return None
