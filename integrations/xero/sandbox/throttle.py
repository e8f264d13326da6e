"""Xero's API limits: per organisation 60 calls a minute, 5 in progress at once and a daily
budget (5,000 by default), and 10,000 calls a minute per app across organisations.

Windows are fixed, as Xero's are: each starts with the first call after the previous one ended,
so they reset at different times for each organisation. A refused call does not count. Every
answer carries what is left (`X-MinLimit-Remaining`, `X-DayLimit-Remaining`,
`X-AppMinLimit-Remaining`); a 429 names the limit in `X-Rate-Limit-Problem` and, for the minute
and day limits, says in `Retry-After` how many seconds remain of the window.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Limits:
    per_minute: int = 60
    per_day: int = 5000
    concurrent: int = 5
    app_per_minute: int = 10_000
    minute_seconds: float = 60.0  # the length of a "minute" window (shorter in some tests)
    day_seconds: float = 86_400.0


class Throttled(Exception):
    def __init__(self, problem: str, retry_after: float | None, headers: dict[str, str]):
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after
        self.headers = headers


@dataclass
class _Window:
    started: float = -math.inf
    count: int = 0

    def current(self, now: float, length: float) -> _Window:
        if now >= self.started + length:
            self.started, self.count = now, 0
        return self

    def remaining(self, limit: int) -> int:
        return max(limit - self.count, 0)

    def retry_after(self, now: float, length: float) -> int:
        return max(math.ceil(self.started + length - now), 1)


class RateLimiter:
    def __init__(self, limits: Limits | None = None):
        self._lock = threading.Lock()
        self._defaults = limits or Limits()
        self.limits = self._defaults
        self._minute: dict[str, _Window] = defaultdict(_Window)
        self._day: dict[str, _Window] = defaultdict(_Window)
        self._app_minute: dict[str, _Window] = defaultdict(_Window)
        self._in_flight: dict[str, int] = defaultdict(int)

    def configure(self, **changes) -> Limits:
        with self._lock:
            self.limits = replace(
                self.limits, **{k: v for k, v in changes.items() if v is not None}
            )
            return self.limits

    def reset(self) -> None:
        with self._lock:
            self.limits = self._defaults
            self._minute.clear()
            self._day.clear()
            self._app_minute.clear()
            self._in_flight.clear()

    def _headers(self, tenant_id: str, client_id: str) -> dict[str, str]:
        limits = self.limits
        return {
            "X-DayLimit-Remaining": str(self._day[tenant_id].remaining(limits.per_day)),
            "X-MinLimit-Remaining": str(self._minute[tenant_id].remaining(limits.per_minute)),
            "X-AppMinLimit-Remaining": str(
                self._app_minute[client_id].remaining(limits.app_per_minute)
            ),
        }

    @contextmanager
    def admit(self, tenant_id: str, client_id: str):
        """Count one call while it runs and yield the remaining-limit headers; Throttled when a
        limit is reached."""
        with self._lock:
            limits, now = self.limits, time.monotonic()
            minute = self._minute[tenant_id].current(now, limits.minute_seconds)
            day = self._day[tenant_id].current(now, limits.day_seconds)
            app = self._app_minute[client_id].current(now, limits.minute_seconds)
            refused = None
            if self._in_flight[tenant_id] >= limits.concurrent:
                refused = ("concurrent", None)
            elif day.count >= limits.per_day:
                refused = ("day", day.retry_after(now, limits.day_seconds))
            elif minute.count >= limits.per_minute:
                refused = ("minute", minute.retry_after(now, limits.minute_seconds))
            elif app.count >= limits.app_per_minute:
                refused = ("appminute", app.retry_after(now, limits.minute_seconds))
            if refused is not None:
                raise Throttled(*refused, self._headers(tenant_id, client_id))
            minute.count += 1
            day.count += 1
            app.count += 1
            self._in_flight[tenant_id] += 1
            headers = self._headers(tenant_id, client_id)
        try:
            yield headers
        finally:
            with self._lock:
                self._in_flight[tenant_id] -= 1
