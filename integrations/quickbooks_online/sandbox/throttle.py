"""Per-realm request limits: requests per window, batch requests per window, and requests in
flight at once. A request over any of them is answered 429 without being processed."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from contextlib import contextmanager
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Limits:
    requests_per_window: int = 500
    concurrent: int = 10
    batch_requests_per_window: int = 40
    window_seconds: float = 60.0
    throttle_body: str = "xml"  # "xml" (as historically observed) or "json"


class Throttled(Exception):
    """The request went over a limit; `retry_after` is when the window frees a slot."""

    def __init__(self, retry_after: float):
        super().__init__(retry_after)
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, limits: Limits | None = None):
        self._lock = threading.Lock()
        self._defaults = limits or Limits()
        self.limits = self._defaults
        self._requests: dict[str, deque] = defaultdict(deque)
        self._batches: dict[str, deque] = defaultdict(deque)
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
            self._requests.clear()
            self._batches.clear()
            self._in_flight.clear()

    @staticmethod
    def _prune(stamps: deque, now: float, window: float) -> None:
        while stamps and stamps[0] <= now - window:
            stamps.popleft()

    @contextmanager
    def admit(self, realm_id: str, *, batch: bool):
        """Count one request for the realm while it runs; raise Throttled when over a limit."""
        with self._lock:
            limits = self.limits
            now = time.monotonic()
            requests = self._requests[realm_id]
            batches = self._batches[realm_id]
            self._prune(requests, now, limits.window_seconds)
            self._prune(batches, now, limits.window_seconds)
            if len(requests) >= limits.requests_per_window:
                raise Throttled(requests[0] + limits.window_seconds - now)
            if batch and len(batches) >= limits.batch_requests_per_window:
                raise Throttled(batches[0] + limits.window_seconds - now)
            if self._in_flight[realm_id] >= limits.concurrent:
                raise Throttled(1.0)
            requests.append(now)
            if batch:
                batches.append(now)
            self._in_flight[realm_id] += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight[realm_id] -= 1
