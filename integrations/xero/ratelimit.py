"""Keeps each Xero organisation (tenant) under its limits: calls a minute and calls at once.

This is the one place the Xero client asks before a call, so the limits can move to counters
shared by every worker in PostgreSQL without touching anything else: `limiter_for(tenant_id)`
returns an object with `slot()` (hold a call's place) and `pause(seconds)` (Xero answered 429).

For now each worker process keeps its share (settings.XERO REQUESTS_PER_MINUTE and
MAX_CONCURRENT divided by WORKER_PROCESSES). A call occupies the window from its start until a
full window after its answer: Xero counted it somewhere in between, so this never undercounts.
A call never waits longer than MAX_WAIT_SECONDS: past that it is refused as throttled, so the
export is rescheduled instead of holding a worker.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from integrations.xero.errors import ThrottledError

MAX_WAIT_SECONDS = 5.0


class TenantLimiter:
    """One tenant's calls a minute and at once, shared by the threads of a process."""

    def __init__(self, *, per_window: int, concurrent: int, window_seconds: float):
        self.per_window = per_window
        self.concurrent = concurrent
        self.window_seconds = window_seconds
        self._condition = threading.Condition()
        self._finished: deque[float] = deque()
        self._running = 0
        self._paused_until = 0.0

    @contextmanager
    def slot(self) -> Iterator[None]:
        self._acquire()
        try:
            yield
        finally:
            with self._condition:
                self._running -= 1
                self._finished.append(time.monotonic())
                self._condition.notify_all()

    def pause(self, seconds: float) -> None:
        """Xero throttled us anyway: start nothing for this tenant for `seconds`."""
        with self._condition:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def _acquire(self) -> None:
        deadline = time.monotonic() + MAX_WAIT_SECONDS
        with self._condition:
            while True:
                wait = self._wait_needed()
                if wait == 0:
                    self._running += 1
                    return
                left = deadline - time.monotonic()
                if (wait or 0) > left or left <= 0:
                    raise ThrottledError(
                        "Xero's limit of calls a minute for this organisation is reached; "
                        "we will try again shortly.",
                        limit="minute",
                        code="429",
                        retry_after=max(wait or 1.0, 1.0),
                    )
                self._condition.wait(timeout=min(wait or left, left))

    def _wait_needed(self) -> float | None:
        now = time.monotonic()
        while self._finished and self._finished[0] <= now - self.window_seconds:
            self._finished.popleft()
        if self._paused_until > now:
            return self._paused_until - now
        if self._running >= self.concurrent:
            return None
        if self._running + len(self._finished) >= self.per_window:
            if not self._finished:
                return None
            return max(self._finished[0] + self.window_seconds - now, 0.001)
        return 0


_limiters: dict[tuple, TenantLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(tenant_id: str) -> TenantLimiter:
    config = settings.XERO
    workers = max(1, int(config.get("WORKER_PROCESSES", 1)))
    limits = (
        max(1, int(config["REQUESTS_PER_MINUTE"]) // workers),
        max(1, int(config["MAX_CONCURRENT"]) // workers),
        float(config.get("RATE_WINDOW_SECONDS", 60)),
    )
    key = (tenant_id, *limits)
    with _limiters_lock:
        limiter = _limiters.get(key)
        if limiter is None:
            limiter = _limiters[key] = TenantLimiter(
                per_window=limits[0], concurrent=limits[1], window_seconds=limits[2]
            )
        return limiter


def forget_limiters() -> None:
    with _limiters_lock:
        _limiters.clear()
