"""The administrator connects Xero: our pages through Django's test client, Xero's consent,
identity and connections through the sandbox over a real socket."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.contrib.auth.models import User
from django.db import connection as db_connection
from django.test import Client
from django.urls import reverse

from integrations.base import NotConnectedError
from integrations.models import ERPConnection, ERPKind
from integrations.xero import oauth
from integrations.xero.client import XeroClient

CONNECTION_URL = reverse("xero:connection")
CONNECT_URL = reverse("xero:connect")
CALLBACK_URL = reverse("xero:callback")
CHOOSE_URL = reverse("xero:choose_organisation")
CHOICES_URL = reverse("xero:choices")
DISCONNECT_URL = reverse("xero:disconnect")


@pytest.fixture
def administrator(db):
    return User.objects.create_superuser("admin", "admin@example.com", "pw")


@pytest.fixture
def signed_in(administrator):
    client = Client()
    client.force_login(administrator)
    return client


def approve_at_xero(signed_in) -> str:
    """Press Connect, approve in the sandbox (which approves at once); our callback's path."""
    response = signed_in.post(CONNECT_URL)
    assert response.status_code == 302
    authorize_url = response["Location"]
    answer = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert answer.status_code in (302, 303), answer.text[:300]
    callback = urlparse(answer.headers["Location"])
    assert callback.path == CALLBACK_URL
    return f"{callback.path}?{callback.query}"


def test_an_administrator_connects_the_organisation_and_its_profile_is_read(
    signed_in, administrator, xero_settings, xero_sandbox
):
    xero_sandbox.set_lock_dates(PeriodLockDate="2026-06-30", EndOfYearLockDate="2026-03-31")
    assert "No Xero organisation is connected" in signed_in.get(CONNECTION_URL).content.decode()

    response = signed_in.get(approve_at_xero(signed_in), follow=True)

    connection = ERPConnection.objects.get(kind=ERPKind.XERO, is_active=True)
    assert connection.company_id == xero_sandbox.tenant_id
    assert connection.connected_by == administrator
    assert connection.company_name == "Sandbox Construction Pty Ltd"
    assert connection.settings["country"] == "AU"
    assert connection.settings["base_currency"] == "AUD"
    assert connection.settings["period_lock_date"] == "2026-06-30"
    assert connection.settings["end_of_year_lock_date"] == "2026-03-31"
    content = response.content.decode()
    assert "Xero organisation Sandbox Construction Pty Ltd is connected." in content
    assert connection.access_token not in content and connection.refresh_token not in content
    # Stored encrypted: the column holds no token in the clear.
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM integrations_erpconnection WHERE id = %s",
            [connection.pk],
        )
        stored = " ".join(cursor.fetchone())
    assert connection.refresh_token not in stored and connection.access_token not in stored
    # The page offers the organisation's own lists.
    assert "830 Retentions Payable" in content
    assert "GST on Expenses (10" in content


def test_with_two_organisations_the_administrator_chooses_one(
    signed_in, xero_settings, xero_sandbox
):
    second = xero_sandbox.add_organisation("NZ", name="Kiwi Builds Ltd")
    xero_sandbox.set_consent(auto_approve=True, tenant_ids=[xero_sandbox.tenant_id, second])

    response = signed_in.get(approve_at_xero(signed_in), follow=True)

    assert response.redirect_chain[-1][0] == CHOOSE_URL
    page = response.content.decode()
    assert "Kiwi Builds Ltd" in page and "Sandbox Construction Pty Ltd" in page
    assert not ERPConnection.objects.exists()
    refused = signed_in.post(CHOOSE_URL, {"tenant_id": "not-offered"}, follow=True)
    assert "Choose one of the organisations listed." in refused.content.decode()

    signed_in.post(CHOOSE_URL, {"tenant_id": second}, follow=True)

    connection = ERPConnection.objects.get(is_active=True)
    assert connection.company_id == second
    assert connection.settings["country"] == "NZ"
    assert connection.settings["base_currency"] == "NZD"
    # The choice is spent: posting it again connects nothing more.
    again = signed_in.post(CHOOSE_URL, {"tenant_id": second}, follow=True)
    assert "has expired" in again.content.decode()


def test_a_callback_with_a_foreign_state_is_ignored(signed_in, xero_settings, xero_sandbox):
    signed_in.post(CONNECT_URL)
    xero_sandbox.clear_request_log()
    response = signed_in.get(CALLBACK_URL, {"code": "stolen", "state": "forged"}, follow=True)
    assert "did not start here or has expired" in response.content.decode()
    assert not ERPConnection.objects.exists()
    assert xero_sandbox.request_log() == []


def test_refused_consent_changes_nothing(signed_in, xero_settings):
    authorize_url = signed_in.post(CONNECT_URL)["Location"]
    state = parse_qs(urlparse(authorize_url).query)["state"][0]
    response = signed_in.get(CALLBACK_URL, {"error": "access_denied", "state": state}, follow=True)
    assert "You did not allow access in Xero" in response.content.decode()
    assert not ERPConnection.objects.exists()


def test_a_code_xero_refuses_is_explained(signed_in, xero_settings):
    authorize_url = signed_in.post(CONNECT_URL)["Location"]
    state = parse_qs(urlparse(authorize_url).query)["state"][0]
    response = signed_in.get(CALLBACK_URL, {"code": "expired", "state": state}, follow=True)
    assert "Xero did not accept the approval" in response.content.decode()
    assert not ERPConnection.objects.exists()


def test_choices_are_saved_and_a_project_category_is_made(signed_in, xero_settings, xero_sandbox):
    signed_in.get(approve_at_xero(signed_in))
    form = {
        "tracking_category_id": "new",
        "retainage_account_code": "830",
        "item_account_code": "320",
        "tax_type": "INPUT",
        "retainage_tax_type": "BASEXCLUDED",
        "line_amount_types": "Exclusive",
        "bill_status": "DRAFT",
        "purchase_orders": "on",
    }

    response = signed_in.post(CHOICES_URL, form, follow=True)

    assert "options of the tracking category &#x27;Project&#x27;" in response.content.decode()
    (category,) = xero_sandbox.records("TrackingCategory")
    assert category["Name"] == "Project"
    settings = ERPConnection.objects.get(is_active=True).settings
    assert settings["tracking_category_id"] == category["TrackingCategoryID"]
    assert settings["retainage_account_code"] == "830"
    assert settings["bill_status"] == "DRAFT"
    assert settings["purchase_orders"] is True
    # Saving again keeps the one category rather than making a second.
    signed_in.post(CHOICES_URL, {**form, "purchase_orders": ""})
    assert len(xero_sandbox.records("TrackingCategory")) == 1
    assert ERPConnection.objects.get(is_active=True).settings["purchase_orders"] is False


def test_a_choice_the_organisation_does_not_offer_saves_nothing(signed_in, xero_settings):
    signed_in.get(approve_at_xero(signed_in))
    before = ERPConnection.objects.get(is_active=True).settings
    response = signed_in.post(
        CHOICES_URL,
        {
            "tracking_category_id": "new",
            "retainage_account_code": "320",  # an expense account, not a liability
            "item_account_code": "320",
            "tax_type": "INPUT",
            "retainage_tax_type": "BASEXCLUDED",
            "line_amount_types": "Exclusive",
            "bill_status": "AUTHORISED",
        },
        follow=True,
    )
    assert "Nothing was saved: choose the retainage account" in response.content.decode()
    assert ERPConnection.objects.get(is_active=True).settings == before


def test_an_expired_access_token_is_refreshed_once_and_the_new_refresh_token_kept(
    xero_connection, xero_sandbox
):
    old_refresh = xero_connection.refresh_token
    xero_sandbox.expire_access_tokens()

    with XeroClient(xero_connection) as client:
        assert client.organisation()["Name"] == "Sandbox Construction Pty Ltd"

    stored = ERPConnection.objects.get(pk=xero_connection.pk)
    assert stored.refresh_token != old_refresh
    assert stored.access_token == xero_connection.access_token


def test_a_revoked_connection_says_to_reconnect(xero_connection, xero_sandbox):
    xero_sandbox.revoke_all_tokens()
    with (
        pytest.raises(NotConnectedError, match="reconnect Xero"),
        XeroClient(xero_connection) as client,
    ):
        client.organisation()


def test_disconnecting_asks_first_then_revokes_at_xero(signed_in, xero_connection):
    refresh_token = xero_connection.refresh_token
    assert "Disconnect Xero?" in signed_in.get(DISCONNECT_URL).content.decode()

    response = signed_in.post(DISCONNECT_URL, follow=True)

    assert "Sandbox Construction Pty Ltd is disconnected." in response.content.decode()
    stored = ERPConnection.objects.get(pk=xero_connection.pk)
    assert not stored.is_active and stored.refresh_token == ""
    with pytest.raises(NotConnectedError):
        oauth.refresh(refresh_token)


def test_only_administrators_reach_the_connection_pages(db, xero_settings):
    staff = User.objects.create_user("clerk", password="pw", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get(CONNECTION_URL).status_code == 403
    assert client.post(CONNECT_URL).status_code == 403
