"""What a hostile or careless client sends: bodies HTTP cannot frame or Xero would not take,
JSON no text can hold, amounts and dates beyond any ledger, `where` and `order` built to exhaust
the parser. Each gets a 4xx naming the problem, never a 500 or a dropped socket, and nothing is
stored."""

from __future__ import annotations

import socket

import pytest

from integrations.xero.sandbox.control import SandboxControlError
from integrations.xero.sandbox.server import MAX_BODY_BYTES

from .conftest import bill, json_of, line, messages


def raw_exchange(handle, request: bytes) -> bytes:
    """Send bytes as they are on a fresh socket and read the answer until the server closes."""
    host, port = handle.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_content_length_that_is_not_a_number_is_a_bad_request(xero_sandbox):
    answer = raw_exchange(
        xero_sandbox,
        b"PUT /api.xro/2.0/Contacts HTTP/1.1\r\nHost: sandbox\r\nContent-Length: ten\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"Connection: close" in answer


def test_a_body_over_the_size_limit_is_refused_and_the_server_keeps_serving(api):
    too_big = b'{"Contacts":[{"Name":"' + b"x" * MAX_BODY_BYTES + b'"}]}'
    answer = api.session.put(
        api.url("Contacts"), data=too_big, headers={"Content-Type": "application/json"}
    )
    assert (answer.status_code, answer.text) == (413, "Request Entity Too Large")
    assert json_of(api.get("Contacts"))["Contacts"] == []


def test_a_chunked_body_is_read_like_any_other(api):
    def chunks():
        yield b'{"Contacts":[{"Name":'
        yield b'"Streamed Supplies"}]}'

    answer = api.session.put(
        api.url("Contacts"), data=chunks(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 200, answer.text
    assert [c["Name"] for c in json_of(api.get("Contacts"))["Contacts"]] == ["Streamed Supplies"]


def test_json_nested_past_any_parser_or_with_a_lone_surrogate_is_not_valid_json(api):
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"Contacts":[{"Name":"Bad \\ud800 Co"}]}'):
        answer = api.session.put(
            api.url("Contacts"), data=body, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 400
        assert json_of(answer)["Message"] == "The request body is not valid JSON."
    assert json_of(api.get("Contacts"))["Contacts"] == []


def test_amounts_and_quantities_of_a_trillion_or_more_are_refused(api, supplier):
    too_big = "between -1,000,000,000,000 and 1,000,000,000,000."
    cases = [
        (line(UnitAmount=1e30, Quantity=1), f"UnitAmount must be {too_big}"),
        (line("1E+40"), f"LineAmount must be {too_big}"),
        (line(10, TaxAmount=-1e20), f"TaxAmount must be {too_big}"),
        (
            line(Quantity=900_000_000_000, UnitAmount=900_000_000_000),
            "Quantity times UnitAmount must be less than 1,000,000,000,000.",
        ),
    ]
    for given, message in cases:
        answer = api.put("Invoices", {"Invoices": [bill(supplier["ContactID"], given)]})
        assert messages(answer) == [message]
    item = api.put("Items", {"Items": [{"Code": "LUMBER", "PurchaseDetails": {"UnitPrice": "x"}}]})
    assert messages(item) == ["UnitPrice must be a number."]
    created = api.create("Invoices", bill(supplier["ContactID"], line(10), Status="AUTHORISED"))
    payment = {
        "Invoice": {"InvoiceID": created["InvoiceID"]},
        "Account": {"Code": "090"},
        "Amount": 1e30,
    }
    assert messages(api.put("Payments", {"Payments": [payment]})) == [f"Amount must be {too_big}"]


def test_dates_beyond_the_calendar_are_not_valid_dates(api, supplier):
    far = "/Date(999999999999999999+0000)/"
    for moment in (far, "/Date(-999999999999999999)/"):
        answer = api.put(
            "Invoices", {"Invoices": [bill(supplier["ContactID"], line(10), Date=moment)]}
        )
        assert messages(answer) == ["Date is not a valid date."]
    since = api.get("Contacts", headers={"If-Modified-Since": far})
    assert since.status_code == 400
    assert json_of(since)["Message"] == f"If-Modified-Since '{far}' is not a valid date-time."


def query_error(answer) -> str:
    assert answer.status_code == 400, answer.text
    body = json_of(answer)
    assert body["Type"] == "QueryParseException"
    return body["Message"]


def test_where_and_order_built_to_break_the_parser_are_query_parse_exceptions(api):
    api.create("Contacts", {"Name": "Acme", "Addresses": [{"AddressType": "STREET", "City": "A"}]})
    api.create("Contacts", {"Name": "Beta", "Addresses": [{"AddressType": "STREET", "City": "B"}]})
    assert query_error(api.get("Contacts", where="ContactID == Guid(5)")) == (
        "No applicable constructor exists in type 'Guid'"
    )
    assert query_error(
        api.get("Contacts", where="UpdatedDateUTC > DateTime(99999999999999999999,1,1)")
    ) == ("No applicable constructor exists in type 'DateTime'")
    for nested in ("(" * 3000 + 'Name=="Acme"' + ")" * 3000, "NOT " * 3000 + 'Name=="Acme"'):
        assert query_error(api.get("Contacts", where=nested)) == (
            "The expression is nested too deeply"
        )
    assert query_error(api.get("Contacts", order="Addresses")) == (
        "'Addresses' cannot be used to order"
    )


def test_a_long_chain_of_conditions_is_evaluated(api):
    api.create("Contacts", {"Name": "Acme"})
    for joiner, expected in ((" OR ", ["Acme"]), (" AND ", [])):
        where = joiner.join(['Name=="Beta"'] * 1499 + ['Name=="Acme"'])
        contacts = json_of(api.get("Contacts", where=where))["Contacts"]
        assert [c["Name"] for c in contacts] == expected


def test_the_control_api_answers_400_to_settings_of_the_wrong_kind(xero_sandbox):
    calls = [
        lambda: xero_sandbox.seed_contacts("ten"),
        lambda: xero_sandbox.set_limits(per_minute="x"),
        lambda: xero_sandbox.issue_tokens(access_ttl_seconds="soon"),
        lambda: xero_sandbox.issue_tokens(tenant_ids=xero_sandbox.tenant_id),
        lambda: xero_sandbox.set_max_active_options("many"),
    ]
    for call in calls:
        with pytest.raises(SandboxControlError) as refused:
            call()
        assert refused.value.status == 400
    assert xero_sandbox.status()["limits"]["per_minute"] == 60
