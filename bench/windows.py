"""Counting what a run did per rate-limit window, from the sandbox's request log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PerWindow:
    matching: float
    """Matching requests per window, averaged over the full windows of the busy period."""
    requests: float
    """All company-API requests per window over the same windows."""
    windows: float
    """How many windows were averaged (a fraction when the run was shorter than one)."""


def company_api(requests: list[dict]) -> list[dict]:
    return [request for request in requests if request["path"].startswith("/v3/company/")]


def per_window(
    requests: list[dict],
    *,
    window_seconds: float,
    matches: Callable[[dict], bool],
    api: Callable[[list[dict]], list[dict]] = company_api,
) -> PerWindow:
    """Averages over whole windows from the first request on, while work was still waiting.

    The last, partly filled window is left out: it says how much work was left, not how fast
    it went. A run shorter than one window is scaled up from its own length.
    """
    # The control API reads numbers as Decimal; times are seconds since the epoch.
    calls = sorted(
        ({**request, "time": float(request["time"])} for request in api(requests)),
        key=lambda request: request["time"],
    )
    if not calls:
        return PerWindow(0.0, 0.0, 0.0)
    start, end = calls[0]["time"], calls[-1]["time"]
    full = int((end - start) // window_seconds)
    if full >= 1:
        horizon = start + full * window_seconds
        counted = [request for request in calls if request["time"] < horizon]
        windows = float(full)
    else:
        counted = calls
        windows = max(end - start, 1e-6) / window_seconds
    matching = sum(1 for request in counted if matches(request))
    return PerWindow(matching / windows, len(counted) / windows, windows)
