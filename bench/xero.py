"""The Xero sandbox as a separate process, and our side pointed at it, as bench/quickbooks.py
does for QuickBooks Online.

The sandbox enforces Xero's limits per organisation (60 calls a "minute", 5 at once, a day
budget) with the minute scaled down to seconds; our client is given the same limits and window,
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
from integrations.xero.sandbox.control import SandboxHandle

# What the connection page would have saved for the sandbox's organisation (AU).
CHOICES = {
    "country": "AU",
    "base_currency": "AUD",
    "period_lock_date": "",
    "end_of_year_lock_date": "",
    "retainage_account_code": "830",
    "item_account_code": "320",
    "tax_type": "INPUT",
    "retainage_tax_type": "BASEXCLUDED",
    "line_amount_types": "Exclusive",
    "bill_status": "AUTHORISED",
    "purchase_orders": True,
}


@dataclass(frozen=True)
class Limits:
    per_window: int = 60
    concurrent: int = 5
    per_day: int = 5000
    window_seconds: float = 10.0


@contextmanager
def sandbox(limits: Limits) -> Iterator[SandboxHandle]:
    """A fresh Xero sandbox in its own process, stopped on exit."""
    options = [
        "--per-minute",
        str(limits.per_window),
        "--per-day",
        str(limits.per_day),
        "--concurrent",
        str(limits.concurrent),
    ]
    with sandbox_process(ERPKind.XERO, options, partial(SandboxHandle, timeout=30)) as handle:
        handle.set_limits(minute_seconds=limits.window_seconds)
        yield handle


def client_settings(handle: SandboxHandle, limits: Limits) -> dict:
    return {
        **settings.XERO,
        "AUTHORIZE_URL": f"{handle.base_url}/identity/connect/authorize",
        "IDENTITY_BASE_URL": handle.base_url,
        "API_BASE_URL": handle.base_url,
        "CLIENT_ID": handle.client_id,
        "CLIENT_SECRET": handle.client_secret,
        "REQUESTS_PER_MINUTE": limits.per_window,
        "MAX_CONCURRENT": limits.concurrent,
        "REQUESTS_PER_DAY": limits.per_day,
        "RATE_WINDOW_SECONDS": limits.window_seconds,
    }


def client_environment(handle: SandboxHandle, limits: Limits) -> dict:
    """The same settings as environment variables, for worker processes."""
    return {
        "XERO_AUTHORIZE_URL": f"{handle.base_url}/identity/connect/authorize",
        "XERO_IDENTITY_BASE_URL": handle.base_url,
        "XERO_API_BASE_URL": handle.base_url,
        "XERO_CLIENT_ID": handle.client_id,
        "XERO_CLIENT_SECRET": handle.client_secret,
        "XERO_REQUESTS_PER_MINUTE": str(limits.per_window),
        "XERO_MAX_CONCURRENT": str(limits.concurrent),
        "XERO_REQUESTS_PER_DAY": str(limits.per_day),
        "XERO_RATE_WINDOW_SECONDS": str(limits.window_seconds),
    }


@contextmanager
def pointed_at(handle: SandboxHandle, limits: Limits) -> Iterator[None]:
    with override_settings(XERO=client_settings(handle, limits)):
        yield


def connection_to(handle: SandboxHandle) -> ERPConnection:
    """The active connection to the sandbox's organisation, with fresh tokens."""
    tokens = handle.issue_tokens(access_ttl_seconds=24 * 3600)
    now = timezone.now()
    return ERPConnection.objects.create(
        kind=ERPKind.XERO,
        company_id=handle.tenant_id,
        company_name="Sandbox Construction Pty Ltd",
        settings=dict(CHOICES),
        access_token=tokens["access_token"],
        access_token_expires_at=now + timedelta(seconds=int(tokens["expires_in"])),
        refresh_token=tokens["refresh_token"],
        refresh_token_expires_at=now + timedelta(days=60),
    )


def accounting_api(requests: list[dict]) -> list[dict]:
    return [request for request in requests if request["path"].startswith("/api.xro/")]


def throttled(requests: list[dict]) -> int:
    return sum(1 for request in requests if request.get("status") == 429)
