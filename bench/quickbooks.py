"""The QuickBooks Online sandbox as a separate process, and our side pointed at it.

The sandbox enforces QuickBooks' limits (500 requests and 40 batch requests per window, 10 at
once) with the window scaled down to seconds; our client is given the same limits and window,
so a run of a few windows shows what a minute would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from bench.sandbox_process import sandbox_process
from integrations.models import ERPConnection, ERPKind
from integrations.quickbooks_online.sandbox.control import SandboxHandle


@dataclass(frozen=True)
class Limits:
    requests_per_window: int = 500
    batch_requests_per_window: int = 40
    concurrent: int = 10
    window_seconds: float = 3.0


@contextmanager
def sandbox(limits: Limits) -> Iterator[SandboxHandle]:
    """A fresh QuickBooks Online sandbox in its own process, stopped on exit."""
    options = [
        "--rate-window-seconds",
        str(limits.window_seconds),
        "--requests-per-window",
        str(limits.requests_per_window),
        "--batch-requests-per-window",
        str(limits.batch_requests_per_window),
        "--concurrent-limit",
        str(limits.concurrent),
    ]
    with sandbox_process(
        ERPKind.QUICKBOOKS_ONLINE, options, partial(SandboxHandle, timeout=30)
    ) as handle:
        yield handle


def client_settings(handle: SandboxHandle, limits: Limits) -> dict:
    """settings.QUICKBOOKS_ONLINE for talking to `handle` under `limits`."""
    return {
        **settings.QUICKBOOKS_ONLINE,
        "API_BASE_URL": handle.base_url,
        "DISCOVERY_URL": handle.discovery_url,
        "CLIENT_ID": handle.client_id,
        "CLIENT_SECRET": handle.client_secret,
        "REQUESTS_PER_MINUTE": limits.requests_per_window,
        "BATCH_REQUESTS_PER_MINUTE": limits.batch_requests_per_window,
        "MAX_CONCURRENT": limits.concurrent,
        "RATE_WINDOW_SECONDS": limits.window_seconds,
    }


def client_environment(handle: SandboxHandle, limits: Limits) -> dict:
    """The same settings as environment variables, for worker processes."""
    return {
        "QBO_API_BASE_URL": handle.base_url,
        "QBO_DISCOVERY_URL": handle.discovery_url,
        "QBO_CLIENT_ID": handle.client_id,
        "QBO_CLIENT_SECRET": handle.client_secret,
        "QBO_REQUESTS_PER_MINUTE": str(limits.requests_per_window),
        "QBO_BATCH_REQUESTS_PER_MINUTE": str(limits.batch_requests_per_window),
        "QBO_MAX_CONCURRENT": str(limits.concurrent),
        "QBO_RATE_WINDOW_SECONDS": str(limits.window_seconds),
    }


@contextmanager
def pointed_at(handle: SandboxHandle, limits: Limits) -> Iterator[None]:
    """This process's QuickBooks client talks to `handle` under `limits`."""
    with override_settings(QUICKBOOKS_ONLINE=client_settings(handle, limits)):
        yield


def connection_to(
    handle: SandboxHandle, *, realm_id: str | None = None, name: str = "Sandbox Construction Co"
) -> ERPConnection:
    """The active ERPConnection to a company of the sandbox (its first, or a new one named
    `realm_id`), with fresh tokens, connected in place of any other."""
    if realm_id is not None:
        handle.add_company(realm_id, name)
    realm_id = realm_id or handle.realm_id
    tokens = handle.issue_tokens(realm_id, access_ttl_seconds=24 * 3600)
    now = timezone.now()
    ERPConnection.objects.filter(is_active=True).update(is_active=False, disconnected_at=now)
    return ERPConnection.objects.create(
        kind=ERPKind.QUICKBOOKS_ONLINE,
        company_id=realm_id,
        company_name=name,
        access_token=tokens["access_token"],
        access_token_expires_at=now + timedelta(seconds=int(tokens["expires_in"])),
        refresh_token=tokens["refresh_token"],
        refresh_token_expires_at=now + timedelta(seconds=int(tokens["x_refresh_token_expires_in"])),
    )


def throttled(requests: list[dict]) -> int:
    """How many requests the sandbox answered 429."""
    return sum(1 for request in requests if request.get("status") == 429)
