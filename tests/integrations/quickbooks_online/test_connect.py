"""The administrator's connect flow: our pages through Django's test client, QuickBooks' consent
through the sandbox over a real socket, and back to our callback."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import requests
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from integrations.base import NotConnectedError
from integrations.models import ERPConnection, ERPKind
from integrations.quickbooks_online import oauth

CONNECTION_URL = reverse("quickbooks_online:connection")
CONNECT_URL = reverse("quickbooks_online:connect")
CALLBACK_URL = reverse("quickbooks_online:callback")
DISCONNECT_URL = reverse("quickbooks_online:disconnect")


class ConsentForm(HTMLParser):
    """The first form of the sandbox's consent page: where it posts and what it sends."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.method = "get"
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attributes.get("action") or ""
            self.method = (attributes.get("method") or "get").lower()
        elif tag in ("input", "button") and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value") or ""


def approve_at_quickbooks(authorize_url: str) -> str:
    """Follow Intuit's consent step like a signed_in would; returns our callback URL."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=5)
    if answer.status_code == 200:
        form = ConsentForm()
        form.feed(answer.text)
        target = urljoin(authorize_url, form.action)
        if form.method == "post":
            answer = requests.post(target, data=form.fields, allow_redirects=False, timeout=5)
        else:
            answer = requests.get(target, params=form.fields, allow_redirects=False, timeout=5)
    assert answer.status_code in (302, 303), answer.text[:500]
    return answer.headers["Location"]


def our_path(url: str) -> str:
    parts = urlparse(url)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def administrator(db):
    return User.objects.create_superuser("admin", "admin@example.com", "pw")


@pytest.fixture
def signed_in(administrator):
    client = Client()
    client.force_login(administrator)
    return client


def start_connecting(signed_in) -> str:
    response = signed_in.post(CONNECT_URL)
    assert response.status_code == 302
    return response["Location"]


def test_an_administrator_connects_the_company(signed_in, administrator, qbo_settings, qbo_sandbox):
    page = signed_in.get(CONNECTION_URL)
    assert b"No QuickBooks Online company is connected" in page.content

    authorize_url = start_connecting(signed_in)
    assert authorize_url.startswith(oauth.discovery_document()["authorization_endpoint"])
    callback_url = approve_at_quickbooks(authorize_url)
    assert urlparse(callback_url).path == CALLBACK_URL
    assert parse_qs(urlparse(callback_url).query)["realmId"] == [qbo_sandbox.realm_id]

    response = signed_in.get(our_path(callback_url), follow=True)

    assert response.redirect_chain[-1][0] == CONNECTION_URL
    connection = ERPConnection.objects.get(kind=ERPKind.QUICKBOOKS_ONLINE, is_active=True)
    assert connection.company_id == qbo_sandbox.realm_id
    assert connection.connected_by == administrator
    assert connection.access_token and connection.refresh_token
    assert connection.company_name == "Sandbox Construction Co"
    content = response.content.decode()
    assert "QuickBooks Online company Sandbox Construction Co is connected." in content
    assert "Sandbox Construction Co" in content
    assert connection.refresh_token not in content
    assert connection.access_token not in content
    # The stored tokens work: a refresh with them succeeds at the sandbox.
    assert oauth.refresh(connection.refresh_token).access_token


def test_a_callback_is_accepted_only_once(signed_in, qbo_settings):
    callback_url = approve_at_quickbooks(start_connecting(signed_in))
    signed_in.get(our_path(callback_url))
    ERPConnection.objects.all().delete()

    replayed = signed_in.get(our_path(callback_url), follow=True)

    assert "did not start here or has expired" in replayed.content.decode()
    assert not ERPConnection.objects.exists()


def test_a_callback_with_a_foreign_state_is_ignored(signed_in, qbo_settings, qbo_sandbox):
    start_connecting(signed_in)
    qbo_sandbox.clear_request_log()
    response = signed_in.get(
        CALLBACK_URL,
        {"code": "stolen", "state": "somebody-else", "realmId": qbo_sandbox.realm_id},
        follow=True,
    )
    assert response.status_code == 200
    assert "did not start here or has expired" in response.content.decode()
    assert not ERPConnection.objects.exists()
    assert qbo_sandbox.request_log() == []


def test_refused_consent_changes_nothing(signed_in, qbo_settings):
    authorize_url = start_connecting(signed_in)
    state = parse_qs(urlparse(authorize_url).query)["state"][0]
    response = signed_in.get(CALLBACK_URL, {"error": "access_denied", "state": state}, follow=True)
    assert response.status_code == 200
    assert "You did not allow access in QuickBooks Online" in response.content.decode()
    assert not ERPConnection.objects.exists()


@pytest.mark.parametrize("state", ["", "somebody-else"])
def test_a_consent_error_without_our_state_is_ignored(signed_in, qbo_settings, qbo_sandbox, state):
    authorize_url = start_connecting(signed_in)
    forged = {"error": "Your QuickBooks subscription lapsed; call 555-0100"}
    if state:
        forged["state"] = state

    response = signed_in.get(CALLBACK_URL, forged, follow=True)

    content = response.content.decode()
    assert "did not start here or has expired" in content
    assert "555-0100" not in content
    # The administrator's own attempt still completes.
    callback_url = approve_at_quickbooks(authorize_url)
    signed_in.get(our_path(callback_url))
    assert ERPConnection.objects.get(is_active=True).company_id == qbo_sandbox.realm_id


def test_a_code_the_token_endpoint_refuses_is_explained(signed_in, qbo_settings, qbo_sandbox):
    authorize_url = start_connecting(signed_in)
    state = parse_qs(urlparse(authorize_url).query)["state"][0]
    response = signed_in.get(
        CALLBACK_URL,
        {"code": "expired-code", "state": state, "realmId": qbo_sandbox.realm_id},
        follow=True,
    )
    assert response.status_code == 200
    assert "did not accept the approval" in response.content.decode()
    assert not ERPConnection.objects.exists()


def test_a_second_company_is_refused_while_one_is_connected(
    signed_in, qbo_connection, qbo_settings
):
    authorize_url = start_connecting(signed_in)
    state = parse_qs(urlparse(authorize_url).query)["state"][0]
    response = signed_in.get(
        CALLBACK_URL, {"code": "any", "state": state, "realmId": "1234567890"}, follow=True
    )
    assert "is already connected. Disconnect it first" in response.content.decode()
    assert list(ERPConnection.objects.values_list("company_id", flat=True)) == [
        qbo_connection.company_id
    ]


def test_disconnecting_asks_first_then_revokes_at_quickbooks(signed_in, qbo_connection):
    refresh_token = qbo_connection.refresh_token
    confirm = signed_in.get(DISCONNECT_URL)
    assert b"Disconnect QuickBooks Online?" in confirm.content
    assert ERPConnection.objects.get(pk=qbo_connection.pk).is_active

    response = signed_in.post(DISCONNECT_URL, follow=True)

    assert "Sandbox Construction Co is disconnected." in response.content.decode()
    stored = ERPConnection.objects.get(pk=qbo_connection.pk)
    assert not stored.is_active
    assert stored.disconnected_at is not None
    assert stored.refresh_token == "" and stored.access_token == ""
    with pytest.raises(NotConnectedError):
        oauth.refresh(refresh_token)


def test_disconnecting_needs_the_csrf_token(administrator, qbo_connection):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(administrator)
    assert strict.post(DISCONNECT_URL).status_code == 403
    assert ERPConnection.objects.get(pk=qbo_connection.pk).is_active


def test_connecting_needs_a_post(signed_in, qbo_settings):
    assert signed_in.get(CONNECT_URL).status_code == 405


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(CONNECTION_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_staff_without_the_permission_are_refused(client, db):
    clerk = User.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)
    assert client.get(CONNECTION_URL).status_code == 403
    assert client.post(CONNECT_URL).status_code == 403
    assert client.get(CALLBACK_URL, {"code": "x", "state": "y"}).status_code == 403
    assert client.post(DISCONNECT_URL).status_code == 403


def test_staff_with_the_permission_manage_the_connection(client, db, qbo_settings):
    manager = User.objects.create_user("manager", password="pw", is_staff=True)
    manager.user_permissions.add(Permission.objects.get(codename="change_erpconnection"))
    client.force_login(manager)
    assert client.get(CONNECTION_URL).status_code == 200
    assert client.post(CONNECT_URL).status_code == 302


def test_the_admin_links_to_the_connection_page_and_never_shows_tokens(signed_in, qbo_connection):
    index = signed_in.get(reverse("admin:index")).content.decode()
    assert CONNECTION_URL in index

    listing = signed_in.get(reverse("admin:integrations_erpconnection_changelist"))
    detail = signed_in.get(
        reverse("admin:integrations_erpconnection_change", args=[qbo_connection.pk])
    )
    for page in (listing, detail):
        assert page.status_code == 200
        assert qbo_connection.refresh_token not in page.content.decode()
        assert qbo_connection.access_token not in page.content.decode()
    assert "Sandbox Construction Co" in detail.content.decode()
    assert signed_in.get(reverse("admin:integrations_erpconnection_add")).status_code == 403
