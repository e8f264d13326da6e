"""Fixture `qbo_connection`: an ERPConnection to the sandbox's company, with fresh tokens, and
settings.QUICKBOOKS_ONLINE pointed at the sandbox (needs the `qbo_sandbox` fixture).

Listed in tests/conftest.py's pytest_plugins, so it is imported before Django is set up: project
modules are imported inside the fixtures.
"""

from datetime import timedelta

import pytest


@pytest.fixture
def qbo_settings(qbo_sandbox, settings):
    """settings.QUICKBOOKS_ONLINE for the sandbox."""
    settings.QUICKBOOKS_ONLINE = {
        **settings.QUICKBOOKS_ONLINE,
        "API_BASE_URL": qbo_sandbox.base_url,
        "DISCOVERY_URL": qbo_sandbox.discovery_url,
        "CLIENT_ID": qbo_sandbox.client_id,
        "CLIENT_SECRET": qbo_sandbox.client_secret,
    }
    return settings.QUICKBOOKS_ONLINE


@pytest.fixture
def qbo_connection(qbo_sandbox, qbo_settings, db):
    from django.utils import timezone

    from integrations.models import ERPConnection, ERPKind

    tokens = qbo_sandbox.issue_tokens()
    now = timezone.now()
    from tests.factories import adopt_unnamed_connection

    fields = {
        "kind": ERPKind.QUICKBOOKS_ONLINE,
        "company_id": qbo_sandbox.realm_id,
        "company_name": "Sandbox Construction Co",
        "settings": {"country": "US", "home_currency": "USD", "multicurrency": False},
        "access_token": tokens["access_token"],
        "access_token_expires_at": now + timedelta(seconds=int(tokens["expires_in"])),
        "refresh_token": tokens["refresh_token"],
        "refresh_token_expires_at": now
        + timedelta(seconds=int(tokens["x_refresh_token_expires_in"])),
    }
    # Records a factory made synced before this fixture ran are linked through this company.
    return adopt_unnamed_connection(**fields) or ERPConnection.objects.create(**fields)
