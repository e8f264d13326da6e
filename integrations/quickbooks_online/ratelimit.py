"""Keeps each QuickBooks company (realm) under its documented limits, so we do not run into 429s.

Limits per realm (settings.QUICKBOOKS_ONLINE): REQUESTS_PER_MINUTE in a sliding window of
RATE_WINDOW_SECONDS (default 60), MAX_CONCURRENT requests at once, BATCH_REQUESTS_PER_MINUTE batch
calls in the same window (a batch call also counts as a request).

Several worker processes: each process gets an equal share, limit // WORKER_PROCESSES (setting
QUICKBOOKS_ONLINE["WORKER_PROCESSES"], default 1), so the sum over all processes never exceeds the
realm's limit. We chose this over a shared counter (a table of timestamps, or a PostgreSQL
advisory-lock counter) because it costs no database round trip per API call, works the same on
SQLite and PostgreSQL, and cannot be broken by a crashed process holding a slot. The price is
that a lone busy worker uses only its share; a 429 that still happens (another app on the same
company) pauses the realm in this process for the wait QuickBooks asked for.

A request occupies the window from the moment it starts until a full window after its answer
arrived: QuickBooks counted it somewhere in between, so this never undercounts.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings


class RealmLimiter:
    """Sliding-window and concurrency limits for one realm, shared by the threads of a process."""

    def __init__(
        self,
        *,
        requests_per_window: int,
        batch_requests_per_window: int,
        max_concurrent: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        if min(requests_per_window, batch_requests_per_window, max_concurrent) < 1:
            raise ValueError("Every QuickBooks Online rate limit must allow at least one request.")
        if window_seconds <= 0:
            raise ValueError("The QuickBooks Online rate window must be longer than zero seconds.")
        self.requests_per_window = requests_per_window
        self.batch_requests_per_window = batch_requests_per_window
        self.max_concurrent = max_concurrent
        self.window_seconds = window_seconds
        self._clock = clock
        self._condition = threading.Condition()
        self._finished: deque[float] = deque()
        self._finished_batches: deque[float] = deque()
        self._running = 0
        self._running_batches = 0
        self._paused_until = 0.0

    @contextmanager
    def slot(self, *, batch: bool = False) -> Iterator[None]:
        """Hold one request slot for the duration of a call; blocks until the limits allow it."""
        self._acquire(batch)
        try:
            yield
        finally:
            self._release(batch)

    def pause(self, seconds: float) -> None:
        """QuickBooks throttled us anyway: start nothing new for this realm for `seconds`."""
        with self._condition:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _acquire(self, batch: bool) -> None:
        with self._condition:
            while True:
                wait = self._wait_needed(batch)
                if wait == 0:
                    self._running += 1
                    self._running_batches += int(batch)
                    return
                self._condition.wait(timeout=wait)

    def _release(self, batch: bool) -> None:
        with self._condition:
            finished_at = self._clock()
            self._running -= 1
            self._finished.append(finished_at)
            if batch:
                self._running_batches -= 1
                self._finished_batches.append(finished_at)
            self._condition.notify_all()

    def _wait_needed(self, batch: bool) -> float | None:
        """0 when a request may start now; otherwise seconds to wait (None: until a release)."""
        now = self._clock()
        horizon = now - self.window_seconds
        for finished in (self._finished, self._finished_batches):
            while finished and finished[0] <= horizon:
                finished.popleft()
        if self._paused_until > now:
            return self._paused_until - now
        if self._running >= self.max_concurrent:
            return None
        if self._running + len(self._finished) >= self.requests_per_window:
            return self._until_oldest_leaves(self._finished, now)
        if batch and (
            self._running_batches + len(self._finished_batches) >= self.batch_requests_per_window
        ):
            return self._until_oldest_leaves(self._finished_batches, now)
        return 0

    def _until_oldest_leaves(self, finished: deque[float], now: float) -> float | None:
        if not finished:
            return None
        return max(finished[0] + self.window_seconds - now, 0.001)


_limiters: dict[tuple, RealmLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(realm_id: str) -> RealmLimiter:
    """This process's limiter for a realm, sized by the current settings."""
    config = settings.QUICKBOOKS_ONLINE
    workers = max(1, int(config.get("WORKER_PROCESSES", 1)))
    limits = (
        max(1, int(config["REQUESTS_PER_MINUTE"]) // workers),
        max(1, int(config["BATCH_REQUESTS_PER_MINUTE"]) // workers),
        max(1, int(config["MAX_CONCURRENT"]) // workers),
        float(config.get("RATE_WINDOW_SECONDS", 60)),
    )
    key = (realm_id, *limits)
    with _limiters_lock:
        limiter = _limiters.get(key)
        if limiter is None:
            limiter = _limiters[key] = RealmLimiter(
                requests_per_window=limits[0],
                batch_requests_per_window=limits[1],
                max_concurrent=limits[2],
                window_seconds=limits[3],
            )
        return limiter


def forget_limiters() -> None:
    """Drop every realm's history, e.g. when the QuickBooks server behind the settings changed."""
    with _limiters_lock:
        _limiters.clear()
