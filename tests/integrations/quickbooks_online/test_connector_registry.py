"""The registry finds the one connected accounting company and the connector that speaks to it."""

import pytest
from django.apps import apps
from django.urls import reverse

from integrations.base import NotConnectedError
from integrations.models import ERPConnection, ERPKind
from integrations.quickbooks_online.connector import QuickBooksOnlineConnector
from integrations.registry import active_connection, connector_for, installed
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def connect(kind=ERPKind.QUICKBOOKS_ONLINE, company_id="9341453050000001", **fields):
    return ERPConnection.objects.create(kind=kind, company_id=company_id, **fields)


def test_nothing_connected_is_refused_with_advice():
    connect(is_active=False)
    with pytest.raises(NotConnectedError) as refused:
        active_connection()
    assert str(refused.value) == (
        "No accounting system is connected. "
        "An administrator can connect QuickBooks Online, Xero or QuickBooks Desktop under ERP "
        "Integrations."
    )


def test_the_active_connection_is_found():
    connect(company_id="1", is_active=False)
    current = connect(company_id="2")
    assert active_connection() == current


def test_two_connected_systems_are_refused():
    connect()
    connect(kind=ERPKind.XERO, company_id="tenant-1")
    with pytest.raises(NotConnectedError, match="More than one accounting system"):
        active_connection()


def test_a_quickbooks_connection_gets_the_quickbooks_connector():
    connector = connector_for(connect())
    assert isinstance(connector, QuickBooksOnlineConnector)
    assert connector.display_name == "QuickBooks Online"
    assert all(
        callable(getattr(connector, name))
        for name in ("export_problems", "export", "find_exported")
    )
    assert connector.kind == ERPKind.QUICKBOOKS_ONLINE


def test_a_disconnected_company_gets_no_connector():
    with pytest.raises(NotConnectedError):
        connector_for(connect(is_active=False))


def test_an_erp_whose_app_is_not_installed_is_neither_offered_nor_used(client, monkeypatch):
    connection = connect()
    client.force_login(make_user(role="administrator"))
    assert "QuickBooks Online connection" in client.get(reverse("admin:index")).content.decode()
    # As if integrations.quickbooks_online were left out of INSTALLED_APPS (reloading the app
    # registry inside a test would reset what other tests rely on).
    is_installed = apps.is_installed
    monkeypatch.setattr(
        apps,
        "is_installed",
        lambda name: name != "integrations.quickbooks_online" and is_installed(name),
    )

    assert list(installed()) == [ERPKind.XERO, ERPKind.QUICKBOOKS_DESKTOP]
    with pytest.raises(NotConnectedError) as refused:
        connector_for(connection)
    assert str(refused.value) == (
        "Exports to QuickBooks Online are not available yet. "
        "An administrator can connect Xero or QuickBooks Desktop under ERP Integrations."
    )
    assert "QuickBooks Online connection" not in client.get(reverse("admin:index")).content.decode()
