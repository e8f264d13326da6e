"""Idempotency-Key replay, limits with their headers and 429s, and injected faults: what a client
retrying through lost answers, throttling and outages meets."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import requests

from .conftest import XeroAPI, bill, json_of, line


def test_the_same_key_and_body_replay_the_first_answer(api, supplier, xero_sandbox):
    payload = {"Invoices": [bill(supplier["ContactID"], line(100))]}
    headers = {"Idempotency-Key": "bill-1"}
    first = api.send("PUT", "Invoices", payload, headers=headers)
    again = api.send("PUT", "Invoices", payload, headers=headers)
    assert again.content == first.content
    assert len(xero_sandbox.records("Invoice")) == 1
    other = api.send(
        "PUT", "Invoices", {"Invoices": [bill(supplier["ContactID"], line(5))]}, headers=headers
    )
    assert other.status_code == 400
    assert json_of(other)["Message"] == "Idempotency Key bill-1 is used with a different request."
    too_long = api.send("PUT", "Invoices", payload, headers={"Idempotency-Key": "k" * 129})
    assert too_long.status_code == 400


def test_a_key_belongs_to_the_app_for_six_minutes_then_is_new_again(api, supplier, xero_sandbox):
    payload = {"Invoices": [bill(supplier["ContactID"], line(100))]}
    headers = {"Idempotency-Key": "bill-2"}
    first = api.send("PUT", "Invoices", payload, headers=headers)
    assert first.status_code == 200
    elsewhere = {"Contacts": [{"Name": "Other"}]}
    assert api.send("PUT", "Contacts", elsewhere, headers=headers).status_code == 400
    other_tenant = xero_sandbox.add_organisation("NZ")
    both = xero_sandbox.issue_tokens([xero_sandbox.tenant_id, other_tenant])["access_token"]
    there = XeroAPI(xero_sandbox, both, other_tenant)
    assert there.send("PUT", "Contacts", elsewhere, headers=headers).status_code == 400
    xero_sandbox.expire_idempotency_keys()
    again = api.send("PUT", "Invoices", payload, headers=headers)
    assert json_of(again)["Invoices"][0]["InvoiceID"] != json_of(first)["Invoices"][0]["InvoiceID"]
    assert len(xero_sandbox.records("Invoice")) == 2


def test_an_error_answer_is_replayed_too(api):
    payload = {"Contacts": [{"Name": ""}]}
    first = api.send("PUT", "Contacts", payload, headers={"Idempotency-Key": "c-1"})
    assert first.status_code == 400
    assert (
        api.send("PUT", "Contacts", payload, headers={"Idempotency-Key": "c-1"}).content
        == first.content
    )


def test_concurrent_duplicates_wait_for_the_first_and_share_its_answer(api, supplier, xero_sandbox):
    xero_sandbox.inject_fault("latency", seconds=0.3, resource="invoices")
    payload = {"Invoices": [bill(supplier["ContactID"], line(100))]}
    bodies = []

    def send():
        session = requests.Session()
        session.headers.update(api.session.headers)
        bodies.append(
            session.put(
                api.url("Invoices"), json=payload, headers={"Idempotency-Key": "race"}, timeout=10
            ).content
        )

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(bodies)) == 1
    assert len(xero_sandbox.records("Invoice")) == 1


def test_concurrent_payments_never_pay_a_bill_past_its_total(api, supplier, xero_sandbox):
    xero_sandbox.set_limits(concurrent=20)
    created = api.create("Invoices", bill(supplier["ContactID"], line(100), Status="AUTHORISED"))
    payment = {
        "Payments": [
            {
                "Invoice": {"InvoiceID": created["InvoiceID"]},
                "Account": {"Code": "090"},
                "Amount": 30,
            }
        ]
    }
    statuses = []

    def pay():
        session = requests.Session()
        session.headers.update(api.session.headers)
        statuses.append(session.put(api.url("Payments"), json=payment, timeout=10).status_code)

    threads = [threading.Thread(target=pay) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 3 + [400] * 5
    paid = json_of(api.get(f"Invoices/{created['InvoiceID']}"))["Invoices"][0]
    assert (paid["AmountPaid"], paid["AmountDue"], len(paid["Payments"])) == (
        Decimal("90.00"),
        Decimal("20.00"),
        3,
    )


def test_a_dropped_answer_after_commit_is_recovered_by_retrying_with_the_same_key(
    api, supplier, xero_sandbox
):
    xero_sandbox.inject_fault("drop_after_commit", resource="invoices")
    payload = {"Invoices": [bill(supplier["ContactID"], line(100))]}
    with pytest.raises(requests.ConnectionError):
        api.send("PUT", "Invoices", payload, headers={"Idempotency-Key": "lost"})
    retried = api.send("PUT", "Invoices", payload, headers={"Idempotency-Key": "lost"})
    assert retried.status_code == 200
    assert [i["InvoiceID"] for i in xero_sandbox.records("Invoice")] == [
        json_of(retried)["Invoices"][0]["InvoiceID"]
    ]
    assert [entry["replayed"] for entry in xero_sandbox.request_log()[-2:]] == [False, True]


def test_the_minute_limit_answers_429_with_retry_after_and_counts_in_headers(api, xero_sandbox):
    xero_sandbox.set_limits(per_minute=3)
    remaining = [api.get("Contacts").headers["X-MinLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    refused = api.get("Contacts")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "X-DayLimit-Remaining" in refused.headers


def test_the_daily_budget_is_a_setting(api, xero_sandbox):
    xero_sandbox.set_limits(per_day=2)
    api.get("Contacts")
    assert api.get("Contacts").headers["X-DayLimit-Remaining"] == "0"
    refused = api.get("Contacts")
    assert (refused.status_code, refused.headers["X-Rate-Limit-Problem"]) == (429, "day")


def test_more_than_five_calls_at_once_are_refused_as_concurrent(api, xero_sandbox):
    xero_sandbox.inject_fault("latency", count=6, seconds=0.5, resource="contacts")
    statuses = []

    def call():
        session = requests.Session()
        session.headers.update(api.session.headers)
        answer = session.get(api.url("Contacts"), timeout=10)
        statuses.append((answer.status_code, answer.headers.get("X-Rate-Limit-Problem")))

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses, key=str) == sorted([(200, None)] * 5 + [(429, "concurrent")], key=str)


@pytest.mark.parametrize(
    ("kind", "status"),
    [("http_500", 500), ("http_503", 503), ("throttle", 429)],
)
def test_injected_outages_store_nothing(api, xero_sandbox, kind, status):
    xero_sandbox.inject_fault(kind, resource="contacts", method="PUT")
    answer = api.put("Contacts", {"Contacts": [{"Name": "Acme"}]})
    assert answer.status_code == status
    assert xero_sandbox.records("Contact") == []
    assert api.put("Contacts", {"Contacts": [{"Name": "Acme"}]}).status_code == 200


def test_a_malformed_body_is_sent_after_the_change_is_stored(api, xero_sandbox):
    xero_sandbox.inject_fault("malformed_body", resource="contacts")
    answer = api.put("Contacts", {"Contacts": [{"Name": "Acme"}]})
    with pytest.raises(ValueError):
        answer.json()
    assert [c["Name"] for c in xero_sandbox.records("Contact")] == ["Acme"]


def test_a_held_request_times_out_and_clearing_faults_lets_it_go(api, xero_sandbox):
    xero_sandbox.inject_fault("timeout", seconds=30, resource="contacts")
    releaser = threading.Timer(0.3, xero_sandbox.clear_faults)
    releaser.start()
    with pytest.raises(requests.ConnectionError):
        api.get("Contacts")
    releaser.join()
    assert api.get("Contacts").status_code == 200
