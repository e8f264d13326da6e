"""Fixture `xero_connection`: an ERPConnection to the Xero sandbox's organisation, with fresh
tokens, and settings.XERO pointed at the sandbox (needs the `xero_sandbox` fixture).

Listed in tests/conftest.py's pytest_plugins, so it is imported before Django is set up: project
modules are imported inside the fixtures.
"""

from datetime import timedelta

import pytest

# The sandbox's default organisation (AU) and the choices its connection page would save.
SANDBOX_CHOICES = {
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


@pytest.fixture
def xero_settings(xero_sandbox, settings):
    settings.XERO = {
        **settings.XERO,
        "AUTHORIZE_URL": f"{xero_sandbox.base_url}/identity/connect/authorize",
        "IDENTITY_BASE_URL": xero_sandbox.base_url,
        "API_BASE_URL": xero_sandbox.base_url,
        "CLIENT_ID": xero_sandbox.client_id,
        "CLIENT_SECRET": xero_sandbox.client_secret,
    }
    return settings.XERO


@pytest.fixture
def xero_connection(xero_sandbox, xero_settings, db):
    """Connected to the sandbox's organisation, its tracking category "Project" made."""
    return connect_organisation(
        xero_sandbox, xero_sandbox.tenant_id, "Sandbox Construction Pty Ltd"
    )


def connect_organisation(sandbox, tenant_id: str, name: str):
    """An ERPConnection to one of the sandbox's organisations with fresh tokens, the choices
    of its connection page saved and its tracking category "Project" made."""
    from django.utils import timezone

    from integrations.models import ERPConnection, ERPKind
    from integrations.xero.client import XeroClient

    tokens = sandbox.issue_tokens([tenant_id])
    now = timezone.now()
    connection = ERPConnection.objects.create(
        kind=ERPKind.XERO,
        company_id=tenant_id,
        company_name=name,
        settings=dict(SANDBOX_CHOICES),
        access_token=tokens["access_token"],
        access_token_expires_at=now + timedelta(seconds=int(tokens["expires_in"])),
        refresh_token=tokens["refresh_token"],
        refresh_token_expires_at=now + timedelta(days=60),
    )
    with XeroClient(connection) as client:
        category = client.create(
            "TrackingCategories", {"Name": "Project"}, idempotency_key=f"category-{tenant_id}"
        )["TrackingCategories"][0]
    connection.settings = {
        **connection.settings,
        "tracking_category_id": category["TrackingCategoryID"],
        "tracking_category_name": category["Name"],
    }
    connection.save(update_fields=["settings"])
    return connection
