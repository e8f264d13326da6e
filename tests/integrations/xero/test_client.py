"""The Xero client over the sandbox's socket: one attempt per call, Xero's headers, and every
failure read into an error an accountant can read, transient or not."""

from decimal import Decimal

import pytest

from integrations.base import NotConnectedError, TransientERPError
from integrations.xero.client import XeroClient
from integrations.xero.errors import ThrottledError, XeroError

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(xero_connection):
    with XeroClient(xero_connection) as client:
        yield client


def contact(name: str, **fields) -> dict:
    return {"Contacts": [{"Name": name, **fields}]}


def test_a_write_carries_its_idempotency_key_and_a_repeat_is_answered_once(client, xero_sandbox):
    xero_sandbox.clear_request_log()
    # The sandbox refuses any call without the tenant header: these answering proves it is sent.
    first = client.create("Contacts", contact("Keystone Concrete"), idempotency_key="key-1")
    again = client.create("Contacts", contact("Keystone Concrete"), idempotency_key="key-1")
    client.get("Contacts")
    write, repeat, read = xero_sandbox.request_log()[-3:]
    assert (write["method"], write["idempotency_key"]) == ("PUT", "key-1")
    assert repeat["replayed"] and read["idempotency_key"] is None
    assert first["Contacts"][0]["ContactID"] == again["Contacts"][0]["ContactID"]


def test_a_validation_exception_keeps_each_of_xero_s_messages(client):
    client.create("Contacts", contact("Keystone Concrete"), idempotency_key="first")
    with pytest.raises(XeroError) as refused:
        client.create("Contacts", contact("keystone concrete "), idempotency_key="second")
    error = refused.value
    assert not error.transient
    assert error.validation_errors == [
        "The contact name keystone concrete is already assigned to another contact. The "
        "contact name must be unique across all active contacts."
    ]
    assert error.message.startswith("Xero refused it: The contact name keystone concrete")


def test_a_name_with_markup_and_line_breaks_is_sent_as_text(client):
    name = 'Acme <script>alert("x")</script> & Sons'
    made = client.create("Contacts", contact(name), idempotency_key="markup")["Contacts"][0]
    assert made["Name"] == name


def test_the_day_limit_says_when_exports_carry_on_and_is_not_retried_here(client, xero_sandbox):
    xero_sandbox.inject_fault("throttle", problem="day")
    xero_sandbox.clear_request_log()
    with pytest.raises(ThrottledError) as throttled:
        client.get("Contacts")
    assert throttled.value.transient and throttled.value.limit == "day"
    assert throttled.value.retry_after > 0
    assert "daily allowance of calls is used up" in throttled.value.message
    assert len(xero_sandbox.request_log()) == 1  # one attempt: the export reschedules itself


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("http_500", "Xero had a problem on its side (HTTP 500)"),
        ("http_503", "Xero had a problem on its side (HTTP 503)"),
        ("malformed_body", "Xero sent an answer we could not read"),
        ("drop_after_commit", "We could not reach Xero"),
    ],
)
def test_server_trouble_is_transient_and_tried_once(client, xero_sandbox, fault, words):
    xero_sandbox.inject_fault(fault, resource="contacts")
    with pytest.raises(TransientERPError) as failed:
        client.create("Contacts", contact("Hillcrest Glazing"), idempotency_key=f"k-{fault}")
    assert words in failed.value.message


def test_a_hanging_xero_times_out_as_transient(client, xero_sandbox, settings):
    settings.XERO = {**settings.XERO, "TIMEOUT_SECONDS": 0.5, "CONNECT_TIMEOUT_SECONDS": 0.5}
    xero_sandbox.inject_fault("timeout", seconds=5)
    with XeroClient(client.connection) as hurried, pytest.raises(TransientERPError) as failed:
        hurried.get("Contacts")
    xero_sandbox.clear_faults()
    assert "did not answer in time" in failed.value.message


def test_amounts_leave_as_exact_numbers_and_floats_are_refused(client):
    with pytest.raises(TypeError, match="never float"):
        client.create("Items", {"Items": [{"Code": "X", "Amount": 0.1}]}, idempotency_key="f")
    item = client.create(
        "Items",
        {
            "Items": [
                {
                    "Code": "09-250",
                    "Name": "Gypsum",
                    "PurchaseDetails": {"UnitPrice": Decimal("12.3456"), "AccountCode": "320"},
                }
            ]
        },
        idempotency_key="exact",
        unitdp=4,
    )["Items"][0]
    assert item["PurchaseDetails"]["UnitPrice"] == Decimal("12.3456")


def test_a_disconnected_organisation_gets_no_client(xero_connection):
    xero_connection.is_active = False
    with pytest.raises(NotConnectedError, match="reconnect Xero"):
        XeroClient(xero_connection)
