"""Change notifications: signed, in the legacy or CloudEvents form, sent in the background."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

VERIFIER = "test-verifier-token"


class Receiver:
    def __init__(self, delay: float = 0.0):
        self.deliveries: queue.Queue = queue.Queue()
        deliveries = self.deliveries

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay)
                deliveries.put((dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/qbo"

    def next(self, timeout: float = 5.0) -> tuple[dict, bytes]:
        return self.deliveries.get(timeout=timeout)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def expected_signature(body: bytes) -> str:
    return base64.b64encode(hmac.new(VERIFIER.encode(), body, hashlib.sha256).digest()).decode()


def test_legacy_notification_is_signed_and_names_the_change(api, qbo_sandbox, receiver):
    qbo_sandbox.configure_webhooks(
        receiver.url, verifier=VERIFIER, format="legacy", gather_seconds=0.05
    )
    vendor = api.create("Vendor", {"DisplayName": "Acme Drywall"})
    headers, body = receiver.next()
    headers = {key.lower(): value for key, value in headers.items()}
    assert headers["intuit-signature"] == expected_signature(body)
    assert headers["content-type"].startswith("application/json")
    [notification] = json.loads(body)["eventNotifications"]
    assert notification["realmId"] == qbo_sandbox.realm_id
    [entity] = notification["dataChangeEvent"]["entities"]
    assert {key: entity[key] for key in ("name", "id", "operation")} == {
        "name": "Vendor",
        "id": vendor["Id"],
        "operation": "Create",
    }
    assert entity["lastUpdated"]


def test_cloudevents_notification(api, qbo_sandbox, receiver, accounts):
    qbo_sandbox.configure_webhooks(
        receiver.url, verifier=VERIFIER, format="cloudevents", gather_seconds=0.05
    )
    vendor = api.create("Vendor", {"DisplayName": "Acme Drywall"})
    headers, body = receiver.next()
    assert {k.lower(): v for k, v in headers.items()}["intuit-signature"] == expected_signature(
        body
    )
    [event] = json.loads(body)
    assert event["specversion"] == "1.0"
    assert event["type"] == "qbo.vendor.created.v1"
    assert (event["intuitentityid"], event["intuitaccountid"]) == (
        vendor["Id"],
        qbo_sandbox.realm_id,
    )


def test_updates_and_deletes_are_notified(api, qbo_sandbox, receiver, accounts):
    vendor = api.create("Vendor", {"DisplayName": "Acme Drywall"})
    line = {
        "DetailType": "AccountBasedExpenseLineDetail",
        "Amount": 1,
        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": accounts["Subcontractors"]}},
    }
    bill = api.create("Bill", {"VendorRef": {"value": vendor["Id"]}, "Line": [line]})
    qbo_sandbox.configure_webhooks(
        receiver.url, verifier=VERIFIER, format="legacy", gather_seconds=0.2
    )
    api.post("vendor", {"Id": vendor["Id"], "SyncToken": "0", "sparse": True, "AcctNum": "9"})
    api.post("bill", {"Id": bill["Id"], "SyncToken": "0"}, operation="delete")
    _headers, body = receiver.next()
    entities = json.loads(body)["eventNotifications"][0]["dataChangeEvent"]["entities"]
    assert [(e["name"], e["operation"]) for e in entities] == [
        ("Vendor", "Update"),
        ("Bill", "Delete"),
    ]


def test_a_slow_receiver_never_slows_the_api(api, qbo_sandbox):
    slow = Receiver(delay=1.0)
    try:
        qbo_sandbox.configure_webhooks(slow.url, verifier=VERIFIER, gather_seconds=0.0)
        started = time.monotonic()
        for n in range(3):
            api.create("Vendor", {"DisplayName": f"Vendor {n}"})
        assert time.monotonic() - started < 0.8
        slow.next(timeout=5)
    finally:
        slow.close()


def test_failed_writes_notify_nothing(api, qbo_sandbox, receiver):
    api.create("Vendor", {"DisplayName": "Acme Drywall"})
    qbo_sandbox.configure_webhooks(receiver.url, verifier=VERIFIER, gather_seconds=0.05)
    assert api.post("vendor", {"DisplayName": "ACME DRYWALL"}).status_code == 400
    with pytest.raises(queue.Empty):
        receiver.next(timeout=0.4)
