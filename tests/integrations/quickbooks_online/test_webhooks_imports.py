import base64
import hashlib
import hmac
import json
import time

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from approvals.models import SyncCursor

pytestmark = pytest.mark.django_db
VERIFIER = "test-verifier"


@pytest.fixture(autouse=True)
def verifier(settings):
    settings.QUICKBOOKS_ONLINE = {**settings.QUICKBOOKS_ONLINE, "WEBHOOK_VERIFIER_TOKEN": VERIFIER}


def _post(client, body: bytes, signature: str | None):
    headers = {"HTTP_INTUIT_SIGNATURE": signature} if signature is not None else {}
    return client.post(
        reverse("quickbooks_online:webhooks"),
        data=body,
        content_type="application/json",
        secure=True,
        **headers,
    )


def _sign(body: bytes, key: str = VERIFIER) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def _legacy(realm: str, *names: str) -> bytes:
    entities = [{"name": name, "id": "1", "operation": "Update"} for name in names]
    return json.dumps(
        {"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": entities}}]}
    ).encode()


def _queued() -> list:
    return sorted(result.args_kwargs["args"][0] for result in DBTaskResult.objects.all())


def test_a_bad_signature_is_refused_and_nothing_is_done(client, qbo_connection):
    body = _legacy(qbo_connection.company_id, "Vendor")
    for signature in (None, "", _sign(body, "someone-else"), _sign(body + b" ")):
        assert _post(client, body, signature).status_code == 401
    assert _queued() == []
    assert not SyncCursor.objects.exists()


def test_a_legacy_notification_queues_each_affected_sync_once(client, qbo_connection):
    body = _legacy(qbo_connection.company_id, "Vendor", "Bill", "BillPayment", "Customer")
    assert _post(client, body, _sign(body)).status_code == 200
    assert _post(client, body, _sign(body)).status_code == 200
    assert _queued() == ["job_costs", "jobs", "vendors"]


def test_a_cloudevents_notification_queues_its_sync(client, qbo_connection):
    body = json.dumps(
        [
            {
                "specversion": "1.0",
                "id": "88cd52aa",
                "type": "qbo.item.created.v1",
                "intuitentityid": "12",
                "intuitaccountid": qbo_connection.company_id,
                "data": {},
            },
            {"type": "qbo.vendor.updated.v1", "intuitaccountid": "another-realm"},
        ]
    ).encode()
    assert _post(client, body, _sign(body)).status_code == 200
    assert _queued() == ["cost_codes"]


@pytest.fixture
def plain_http_server(settings, transactional_db):
    """A live server of this test only: the sandbox posts over plain HTTP, as a TLS-terminating
    proxy would, and the security middleware reads SECURE_SSL_REDIRECT when a server starts."""
    from pytest_django.live_server_helper import LiveServer

    settings.SECURE_SSL_REDIRECT = False
    server = LiveServer("localhost")
    yield server
    server.stop()


def test_the_sandbox_notifies_us_over_a_real_socket(plain_http_server, qbo_sandbox, qbo_connection):
    live_server = plain_http_server
    qbo_sandbox.configure_webhooks(
        live_server.url + reverse("quickbooks_online:webhooks"),
        verifier=VERIFIER,
        format="cloudevents",
        gather_seconds=0.05,
    )
    qbo_sandbox.create_entity("Vendor", {"DisplayName": "Webhook Vendor"})
    deadline = time.monotonic() + 10
    while not _queued():
        assert time.monotonic() < deadline, "no notification arrived"
        time.sleep(0.05)
    assert _queued() == ["vendors"]


def test_a_purchase_order_changed_in_quickbooks_queues_the_sync_that_flags_drift(
    client, qbo_connection
):
    body = _legacy(qbo_connection.company_id, "PurchaseOrder")
    assert _post(client, body, _sign(body)).status_code == 200
    assert _queued() == ["job_costs"]


def _deeply_nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


@pytest.mark.parametrize(
    "body",
    [
        json.dumps(
            {"eventNotifications": [{"realmId": "1", "dataChangeEvent": {"entities": {"a": 1}}}]}
        ).encode(),
        json.dumps(
            {"eventNotifications": [{"realmId": "1", "dataChangeEvent": {"entities": ["Vendor"]}}]}
        ).encode(),
        json.dumps({"eventNotifications": {"realmId": "1"}}).encode(),
        json.dumps(["qbo.vendor.updated.v1"]).encode(),
        json.dumps("a string").encode(),
        _deeply_nested(100_000),
    ],
    ids=[
        "entities-object",
        "entities-strings",
        "notifications-object",
        "strings",
        "scalar",
        "deep",
    ],
)
def test_a_signed_notification_of_an_unexpected_shape_is_refused_and_logged(
    client, qbo_connection, body, caplog
):
    response = _post(client, body, _sign(body))

    assert response.status_code == 400
    assert "not a QuickBooks Online notification" in response.content.decode()
    assert "unexpected shape" in caplog.text
    assert _queued() == []


def test_a_replayed_notification_is_recognised_and_ignored(client, qbo_connection, caplog):
    body = _legacy(qbo_connection.company_id, "Vendor")
    assert _post(client, body, _sign(body)).status_code == 200
    DBTaskResult.objects.all().delete()

    replayed = _post(client, body, _sign(body))

    assert replayed.status_code == 200
    assert _queued() == []
    assert "already received" in caplog.text
    # A different notification for the same entity is news, not a replay.
    later = _legacy(qbo_connection.company_id, "Customer")
    assert _post(client, later, _sign(later)).status_code == 200
    assert _queued() == ["jobs"]


def test_a_notification_that_failed_is_acted_on_when_intuit_retries(
    client, qbo_connection, monkeypatch
):
    from integrations.quickbooks_online import webhooks

    body = _legacy(qbo_connection.company_id, "Vendor")
    real_request = webhooks.sync_requested

    def database_gone(**kwargs):
        raise webhooks.IntegrityError("the database went away")

    monkeypatch.setattr(webhooks, "sync_requested", database_gone)
    client.raise_request_exception = False
    assert _post(client, body, _sign(body)).status_code == 500
    monkeypatch.setattr(webhooks, "sync_requested", real_request)

    assert _post(client, body, _sign(body)).status_code == 200
    assert _queued() == ["vendors"]
