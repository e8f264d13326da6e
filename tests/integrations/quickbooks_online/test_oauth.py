"""Tokens: discovery, refresh before expiry and after a 401, rotation stored encrypted, revocation."""

import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection as database
from django.db import connections
from django.utils import timezone

from integrations.base import NotConnectedError, PermanentERPError
from integrations.crypto import decrypt
from integrations.models import ERPConnection
from integrations.quickbooks_online import oauth
from integrations.quickbooks_online.client import QuickBooksClient


def token_requests(qbo_sandbox) -> list[dict]:
    token_path = urlparse(oauth.discovery_document()["token_endpoint"]).path
    return [
        entry
        for entry in qbo_sandbox.request_log()
        if entry["path"] == token_path and entry["method"] == "POST"
    ]


def raw_tokens(connection_id: int) -> tuple[str, str]:
    with database.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM integrations_erpconnection WHERE id = %s",
            [connection_id],
        )
        return cursor.fetchone()


def test_discovery_names_the_sandbox_endpoints(qbo_settings, qbo_sandbox):
    document = oauth.discovery_document()
    for endpoint in ("authorization_endpoint", "token_endpoint", "revocation_endpoint"):
        assert document[endpoint].startswith(qbo_sandbox.base_url)


def test_the_authorization_url_asks_for_accounting_access_with_our_state(qbo_settings):
    url = urlparse(oauth.authorization_url(state="state-123"))
    query = parse_qs(url.query)
    assert query["state"] == ["state-123"]
    assert query["scope"] == ["com.intuit.quickbooks.accounting"]
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [qbo_settings["CLIENT_ID"]]
    assert query["redirect_uri"] == [qbo_settings["REDIRECT_URI"]]


def test_states_are_unguessable_and_never_repeat():
    states = {oauth.new_state() for _ in range(50)}
    assert len(states) == 50
    assert all(len(state) >= 40 for state in states)


def test_a_code_quickbooks_never_issued_is_refused_clearly(qbo_settings):
    with pytest.raises(NotConnectedError) as raised:
        oauth.exchange_code("made-up-code")
    assert raised.value.code == "invalid_grant"
    assert "did not accept the approval" in raised.value.message


def test_wrong_client_credentials_are_named(qbo_settings, qbo_connection, settings):
    settings.QUICKBOOKS_ONLINE = {**qbo_settings, "CLIENT_SECRET": "wrong-secret"}
    with pytest.raises(PermanentERPError) as raised:
        oauth.refresh(qbo_connection.refresh_token)
    assert "client id and secret" in raised.value.message


def test_a_token_about_to_expire_is_refreshed_first_and_stored_encrypted(
    qbo_connection, qbo_sandbox
):
    old_refresh_token = qbo_connection.refresh_token
    qbo_connection.access_token_expires_at = timezone.now() + timedelta(seconds=30)
    qbo_connection.save(update_fields=["access_token_expires_at"])
    qbo_sandbox.clear_request_log()

    with QuickBooksClient(qbo_connection) as client:
        client.count("Vendor")

    assert len(token_requests(qbo_sandbox)) == 1
    statuses = [e["status"] for e in qbo_sandbox.request_log() if e["path"].startswith("/v3/")]
    assert statuses == [200]
    stored = ERPConnection.objects.get(pk=qbo_connection.pk)
    assert stored.refresh_token != old_refresh_token
    assert stored.access_token_expires_at > timezone.now() + timedelta(minutes=30)
    raw_access, raw_refresh = raw_tokens(stored.pk)
    assert stored.refresh_token not in raw_refresh
    assert decrypt(raw_refresh) == stored.refresh_token
    assert decrypt(raw_access) == stored.access_token


def test_an_access_token_rejected_by_quickbooks_is_refreshed_once(qbo_connection, qbo_sandbox):
    old_refresh_token = qbo_connection.refresh_token
    qbo_sandbox.expire_access_tokens()
    qbo_sandbox.clear_request_log()

    with QuickBooksClient(qbo_connection) as client:
        assert client.count("Vendor") >= 0

    statuses = [e["status"] for e in qbo_sandbox.request_log() if e["path"].startswith("/v3/")]
    assert statuses == [401, 200]
    assert len(token_requests(qbo_sandbox)) == 1
    stored = ERPConnection.objects.get(pk=qbo_connection.pk)
    assert stored.refresh_token != old_refresh_token
    assert decrypt(raw_tokens(stored.pk)[1]) == stored.refresh_token


def test_a_revoked_authorization_asks_for_a_reconnection(qbo_connection, qbo_sandbox):
    qbo_sandbox.expire_access_tokens()
    qbo_sandbox.revoke_refresh_tokens()

    with QuickBooksClient(qbo_connection) as client, pytest.raises(NotConnectedError) as raised:
        client.count("Vendor")

    assert not raised.value.transient
    assert raised.value.message.startswith("QuickBooks Online no longer accepts our connection")
    assert "An administrator must reconnect QuickBooks Online" in raised.value.message


def test_a_refresh_token_is_spent_once_across_concurrent_workers(
    qbo_connection, qbo_sandbox, transactional_db
):
    ERPConnection.objects.filter(pk=qbo_connection.pk).update(
        access_token_expires_at=timezone.now() - timedelta(minutes=5)
    )
    qbo_sandbox.clear_request_log()
    results: list = []
    start = threading.Barrier(4)

    def worker():
        try:
            start.wait()
            own_copy = ERPConnection.objects.get(pk=qbo_connection.pk)
            with QuickBooksClient(own_copy) as client:
                results.append(client.count("Vendor"))
        except Exception as exc:
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(isinstance(result, int) for result in results), results
    assert len(token_requests(qbo_sandbox)) == 1


def test_revoke_makes_the_refresh_token_useless(qbo_connection):
    oauth.revoke(qbo_connection.refresh_token)
    with pytest.raises(NotConnectedError):
        oauth.refresh(qbo_connection.refresh_token)
