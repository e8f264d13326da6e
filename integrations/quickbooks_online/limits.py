"""QuickBooks Online's limits per company (realm), as Intuit documents them: 500 requests a
minute, 10 at once, and 40 batch requests a minute (each also one of the 500). Intuit documents
no daily limit; REQUESTS_PER_DAY sets one where an operator wants a budget. All come from
settings.QUICKBOOKS_ONLINE; RATE_WINDOW_SECONDS is the minute (the benchmarks scale it down).
Every worker on every machine shares them through integrations.rate_limits.
"""

from __future__ import annotations

from django.conf import settings

from integrations.quickbooks_online import oauth
from integrations.rate_limits import RateLimits

# A call may trickle past its read timeout a little before it is presumed dead.
LEASE_MARGIN_SECONDS = 10.0


def rate_limits() -> RateLimits:
    config = settings.QUICKBOOKS_ONLINE
    connect, read = oauth.request_timeout()
    return RateLimits(
        per_window=int(config["REQUESTS_PER_MINUTE"]),
        concurrent=int(config["MAX_CONCURRENT"]),
        window_seconds=float(config.get("RATE_WINDOW_SECONDS", 60)),
        batch_per_window=int(config["BATCH_REQUESTS_PER_MINUTE"]),
        per_day=int(config.get("REQUESTS_PER_DAY") or 0) or None,
        lease_seconds=connect + read + LEASE_MARGIN_SECONDS,
    )
