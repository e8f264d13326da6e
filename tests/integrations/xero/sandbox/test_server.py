"""The server as a whole: webhooks to a receiver on this machine, persistence across restarts,
the management command, and the spec check itself (it must catch what does not match)."""

from __future__ import annotations

import json
import queue
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from openapi_schema_validator import OAS31Validator

from integrations.xero.sandbox.app import SandboxConfig
from integrations.xero.sandbox.control import SandboxHandle
from integrations.xero.sandbox.server import start_in_thread
from integrations.xero.sandbox.webhooks import sign

from .conftest import XeroAPI, bill, json_of, line, messages
from .openapi_check import SPEC_DIR, SpecCheck, _load

PROJECT = Path(__file__).resolve().parents[4]
WEBHOOK_KEY = "test-webhook-key"


@pytest.fixture
def receiver():
    """A webhook endpoint as Xero asks for one: 200 and no body for a good signature, 401 for
    a bad one. Yields (url, queue of (signature ok, payload))."""
    received: queue.Queue = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            good = self.headers["x-xero-signature"] == sign(body, WEBHOOK_KEY)
            received.put((good, json.loads(body)))
            self.send_response(200 if good else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/xero/webhooks", received
    server.shutdown()
    server.server_close()


def test_webhooks_are_signed_thin_events_that_match_the_spec(api, supplier, xero_sandbox, receiver):
    url, received = receiver
    xero_sandbox.configure_webhooks(url, key=WEBHOOK_KEY, gather_seconds=0.05)
    created = api.create("Invoices", bill(supplier["ContactID"], line(100)))
    good, payload = received.get(timeout=5)
    assert good
    webhooks = _load("xero-webhooks.yaml")
    schema = {"$ref": "#/components/schemas/WebhookEvent", "components": webhooks["components"]}
    assert list(OAS31Validator(schema).iter_errors(payload)) == []
    event = payload["events"][0]
    assert (event["eventCategory"], event["eventType"], event["resourceId"]) == (
        "INVOICE",
        "CREATE",
        created["InvoiceID"],
    )
    assert event["resourceUrl"] == f"{xero_sandbox.api_url}/Invoices/{created['InvoiceID']}"
    assert payload["firstEventSequence"] == payload["lastEventSequence"] >= 1


def test_contact_events_name_what_changed(api, xero_sandbox, receiver):
    url, received = receiver
    xero_sandbox.configure_webhooks(url, key=WEBHOOK_KEY, gather_seconds=0.05)
    contact = api.create("Contacts", {"Name": "Acme"})
    api.post(
        f"Contacts/{contact['ContactID']}", {"Contacts": [{"EmailAddress": "ap@acme.example"}]}
    )
    events = []
    while len(events) < 2:
        events += received.get(timeout=5)[1]["events"]
    assert [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in events] == [
        ("CONTACT", "CREATE", contact["ContactID"]),
        ("CONTACT", "UPDATE", contact["ContactID"]),
    ]


def test_credit_note_events_carry_their_type_and_status(api, supplier, xero_sandbox, receiver):
    url, received = receiver
    xero_sandbox.configure_webhooks(url, key=WEBHOOK_KEY, gather_seconds=0.05)
    api.create(
        "CreditNotes",
        {
            "Type": "ACCPAYCREDIT",
            "Contact": {"ContactID": supplier["ContactID"]},
            "LineItems": [line(10)],
        },
    )
    _good, payload = received.get(timeout=5)
    assert payload["events"][0]["data"] == {"Type": "ACCPAYCREDIT", "Status": "DRAFT"}


def test_intent_to_receive_passes_a_receiver_that_checks_signatures(xero_sandbox, receiver):
    url, received = receiver
    xero_sandbox.configure_webhooks(url, key=WEBHOOK_KEY)
    answer = xero_sandbox.intent_to_receive(good=1, bad=2)
    assert answer["status"] == "OK"
    assert [check["status"] for check in answer["checks"]] == [200, 401, 401]
    payload = received.get(timeout=5)[1]
    assert (payload["events"], payload["firstEventSequence"]) == ([], 0)
    xero_sandbox.configure_webhooks(url, key="another-key")
    assert xero_sandbox.intent_to_receive(good=1, bad=1)["status"] == "FAILED"


def stop(server) -> None:
    server.shutdown()
    server.server_close()
    server.sandbox.store.close()


def test_data_tokens_and_connections_survive_a_restart(tmp_path):
    data_file = str(tmp_path / "xero.sqlite3")
    first = start_in_thread(SandboxConfig(data_file=data_file))
    handle = SandboxHandle(first.base_url)
    tokens = handle.issue_tokens()
    contact = XeroAPI(handle, tokens["access_token"]).create("Contacts", {"Name": "Acme"})
    stop(first)
    second = start_in_thread(SandboxConfig(data_file=data_file))
    try:
        again = XeroAPI(SandboxHandle(second.base_url), tokens["access_token"])
        shown = json_of(again.get(f"Contacts/{contact['ContactID']}"))["Contacts"][0]
        assert shown["Name"] == "Acme"
        assert again.put("Contacts", {"Contacts": [{"Name": "acme"}]}).status_code == 400
    finally:
        stop(second)


def test_a_data_file_from_before_the_name_index_gets_it_on_start(tmp_path):
    data_file = str(tmp_path / "xero.sqlite3")
    first = start_in_thread(SandboxConfig(data_file=data_file))
    handle = SandboxHandle(first.base_url)
    tokens = handle.issue_tokens()
    XeroAPI(handle, tokens["access_token"]).create("Contacts", {"Name": "Straße Bau"})
    stop(first)
    with sqlite3.connect(data_file) as older:  # the file as the sandbox first wrote it
        older.execute("DROP INDEX record_name")
        older.execute("ALTER TABLE record DROP COLUMN name_key")
    second = start_in_thread(SandboxConfig(data_file=data_file))
    try:
        again = XeroAPI(SandboxHandle(second.base_url), tokens["access_token"])
        duplicate = again.put("Contacts", {"Contacts": [{"Name": " STRASSE BAU "}]})
        assert messages(duplicate) == [
            "The contact name STRASSE BAU is already assigned to another contact. The contact "
            "name must be unique across all active contacts."
        ]
    finally:
        stop(second)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_management_command_serves_two_organisations_with_faults(tmp_path):
    port = free_port()
    command = [
        sys.executable,
        "manage.py",
        "erp_sandbox",
        "xero",
        "--port",
        str(port),
        "--data-file",
        str(tmp_path / "cmd.sqlite3"),
        "--reset",
        "--auto-approve",
        "--client-id",
        "cli-client",
        "--client-secret",
        "cli-secret",
        "--redirect-uri",
        "http://localhost:8000/xero/callback",
        "--second-organisation",
        "UK",
        "--per-day",
        "40",
        "--fault",
        "http_503,count=1,resource=contacts",
    ]
    process = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                handle = SandboxHandle(base_url, timeout=1)
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.1)
        status = handle.status()
        assert (status["client_id"], status["auto_approve"]) == ("cli-client", True)
        assert status["redirect_uris"] == ["http://localhost:8000/xero/callback"]
        assert [org["country"] for org in status["organisations"]] == ["AU", "GB"]
        assert status["limits"]["per_day"] == 40
        api = XeroAPI(handle, handle.issue_tokens()["access_token"])
        assert api.get("Contacts").status_code == 503
        answer = api.get("Contacts")
        assert (answer.status_code, answer.headers["X-DayLimit-Remaining"]) == (200, "38")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_management_command_refuses_an_unknown_country(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "erp_sandbox",
            "xero",
            "--data-file",
            str(tmp_path / "x.sqlite3"),
            "--country",
            "FR",
        ],
        cwd=PROJECT,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert b"not FR" in result.stderr


def test_the_spec_copies_are_xeros_and_carry_their_licence():
    assert {path.name for path in SPEC_DIR.iterdir()} == {
        "xero_accounting.yaml",
        "xero-identity.yaml",
        "xero-webhooks.yaml",
        "LICENSE-NOTE.md",
    }
    assert _load("xero_accounting.yaml")["info"]["version"] == "16.1.0"
    assert "MIT License" in (SPEC_DIR / "LICENSE-NOTE.md").read_text()


def test_the_spec_check_catches_answers_that_do_not_match(xero_spec: SpecCheck):
    def check(body: dict, path="/api.xro/2.0/Contacts", method="GET", status=200):
        return xero_spec.check(
            method, path, "", status, "application/json", json.dumps(body).encode()
        )

    good = {
        "Id": "x",
        "Status": "OK",
        "Contacts": [{"ContactID": "6f7b2c10-0000-4000-8000-000000000000", "Name": "Acme"}],
    }
    assert check(good) == []
    assert check({"Contacts": [{"ContactId": "6f7b2c10-0000-4000-8000-000000000000"}]})  # misspelt
    assert check({"Contacts": [{"ContactID": "not-a-uuid"}]})
    assert check({"Contacts": [{"Name": "Acme", "Phones": None}]})  # a null list
    assert check({"Contacts": [{"ContactStatus": "active"}]})  # an enum spelt otherwise
    assert check({"Contacts": [{"IsSupplier": "true"}]})  # a boolean as text
    assert check({"ErrorNumber": "10", "Type": "ValidationException"}, method="PUT", status=400)
    assert (
        check(
            {"ErrorNumber": 16, "Type": "QueryParseException", "Message": "Syntax error"},
            status=400,
        )
        == []
    )
    token = json.dumps(
        {"access_token": "a", "expires_in": 1800, "token_type": "Bearer", "extra": 1}
    ).encode()
    assert xero_spec.check("POST", "/connect/token", "", 200, "application/json", token)


def test_the_suite_checked_the_sandboxs_answers(xero_sandbox_server, api):
    before = xero_sandbox_server.recorder.checked
    api.get("Contacts")
    api.put("Contacts", {"Contacts": [{"Name": ""}]})
    assert xero_sandbox_server.recorder.checked == before + 2
