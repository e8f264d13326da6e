"""Xero's webhooks: the sandbox's intent-to-receive check and its events, posted over a real
socket to our live server; bad signatures get 401 and change nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.test import Client
from django.urls import reverse

from approvals.models import SyncCursor, SyncKind
from tests.integrations.xero.books import SomeoneInXero

WEBHOOK_URL = reverse("xero:webhooks")
KEY = "test-webhook-key"


@pytest.fixture
def webhook_key(xero_settings, settings):
    settings.XERO = {**settings.XERO, "WEBHOOK_KEY": KEY}
    return KEY


def signed(body: bytes, key: str = KEY) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def requested(connection) -> set[str]:
    return set(
        SyncCursor.objects.filter(
            erp_connection=connection, requested_at__isnull=False
        ).values_list("kind", flat=True)
    )


def event(connection, category: str) -> dict:
    return {
        "resourceUrl": "https://api.xero.com/api.xro/2.0/Contacts/717f2bfc",
        "resourceId": "717f2bfc-c2a5-4d3b-9d59-7a2ac1f8a1c0",
        "eventDateUtc": "2026-06-21T01:15:39.902",
        "eventType": "UPDATE",
        "eventCategory": category,
        "tenantId": connection.company_id,
        "tenantType": "ORGANISATION",
    }


def post(body: bytes, signature: str):
    return Client().post(
        WEBHOOK_URL, data=body, content_type="application/json", HTTP_X_XERO_SIGNATURE=signature
    )


@pytest.fixture
def our_server(settings, transactional_db):
    """A live server of this test only, over plain HTTP as behind a TLS-terminating proxy (the
    security middleware reads SECURE_SSL_REDIRECT when a server starts)."""
    from pytest_django.live_server_helper import LiveServer

    settings.SECURE_SSL_REDIRECT = False
    server = LiveServer("localhost")
    yield server
    server.stop()


def test_xeros_intent_to_receive_passes_against_our_server(
    our_server, webhook_key, xero_connection, xero_sandbox
):
    xero_sandbox.configure_webhooks(f"{our_server.url}{WEBHOOK_URL}", key=KEY)

    answer = xero_sandbox.intent_to_receive(good=2, bad=2)

    assert answer["status"] == "OK", answer["checks"]


def test_a_contact_saved_in_xero_queues_the_contact_import(
    our_server, webhook_key, xero_connection, xero_sandbox
):
    xero_sandbox.configure_webhooks(f"{our_server.url}{WEBHOOK_URL}", key=KEY, gather_seconds=0)
    SomeoneInXero(xero_connection).contact("Harbour Drywall Pty Ltd")

    deadline = time.monotonic() + 10
    while SyncKind.VENDORS not in requested(xero_connection) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert requested(xero_connection) == {SyncKind.VENDORS}


def test_invoice_and_credit_note_events_queue_the_job_cost_import(webhook_key, xero_connection):
    body = json.dumps(
        {
            "events": [event(xero_connection, "INVOICE"), event(xero_connection, "CREDITNOTE")],
            "firstEventSequence": 1,
            "lastEventSequence": 2,
            "entropy": "S0m3r4Nd0mt3xt",
        }
    ).encode()

    response = post(body, signed(body))

    assert response.status_code == 200 and response.content == b""
    assert requested(xero_connection) == {SyncKind.JOB_COSTS}


@pytest.mark.parametrize(
    "signature",
    ["", "not base64 at all", signed(b"another body"), signed(b"{}", key="someone-else")],
)
def test_a_bad_signature_gets_401_and_queues_nothing(webhook_key, xero_connection, signature):
    body = json.dumps(
        {
            "events": [event(xero_connection, "CONTACT")],
            "firstEventSequence": 1,
            "lastEventSequence": 1,
            "entropy": "x",
        }
    ).encode()

    response = post(body, signature)

    assert response.status_code == 401
    assert requested(xero_connection) == set()


def test_an_event_for_an_organisation_not_connected_is_ignored(webhook_key, xero_connection):
    stranger = {**event(xero_connection, "CONTACT"), "tenantId": "00000000-0000-0000-0000-0000"}
    body = json.dumps(
        {"events": [stranger], "firstEventSequence": 3, "lastEventSequence": 3, "entropy": "x"}
    ).encode()

    assert post(body, signed(body)).status_code == 200
    assert requested(xero_connection) == set()


@pytest.mark.parametrize("body", [b"[]", b"not json", b'{"events": "all"}', b'{"events": [1]}'])
def test_a_signed_body_of_another_shape_is_refused_plainly(webhook_key, xero_connection, body):
    response = post(body, signed(body))

    assert response.status_code == 400
    assert response.content.decode() == "The body is not a list of Xero events."
    assert requested(xero_connection) == set()
