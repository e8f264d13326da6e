"""What one page costs: SQL queries and median render time through Django's test client."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from django.test import Client, override_settings

from bench.statements import counting_statements

# Production settings hash static files at collectstatic time; pages render here without it.
PLAIN_STATIC_FILES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


class PageFailed(Exception):
    """A page answered something else than 200: the figures would mean nothing."""


@dataclass(frozen=True)
class PageCost:
    queries: int
    median_seconds: float


def signed_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_cost(client: Client, url: str, *, repeats: int) -> PageCost:
    """Queries of one render and the median of `repeats` timed renders, after one warm-up."""
    with override_settings(STORAGES=PLAIN_STATIC_FILES):
        _get(client, url)
        with counting_statements() as statements:
            _get(client, url)
        durations = []
        for _ in range(repeats):
            started = time.perf_counter()
            _get(client, url)
            durations.append(time.perf_counter() - started)
    return PageCost(queries=statements.count, median_seconds=statistics.median(durations))


def _get(client: Client, url: str) -> None:
    # secure=True: production settings redirect plain HTTP to HTTPS.
    response = client.get(url, secure=True)
    if response.status_code != 200:
        raise PageFailed(f"GET {url} answered {response.status_code}, not 200.")
