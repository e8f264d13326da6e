"""requestid replay: the same realm and requestid gets the original answer, work done once."""

from __future__ import annotations

import pytest
import requests

from .conftest import CompanyAPI, expense_line, json_of
from .test_name_lists import error_of


def test_a_repeated_requestid_replays_the_original_bytes_without_redoing_the_work(api, qbo_sandbox):
    first = api.post("vendor", {"DisplayName": "Acme Drywall"}, requestid="req-1")
    again = api.post("vendor", {"DisplayName": "Something else entirely"}, requestid="req-1")
    assert again.status_code == first.status_code == 200
    assert again.content == first.content
    assert len(qbo_sandbox.entities("Vendor")) == 1
    assert [entry["replayed"] for entry in qbo_sandbox.request_log()] == [False, True]


def test_a_fault_is_replayed_too(api):
    api.create("Vendor", {"DisplayName": "Acme Drywall"})
    first = api.post("vendor", {"DisplayName": "Acme Drywall"}, requestid="dup-1")
    again = api.post("vendor", {"DisplayName": "Acme Drywall"}, requestid="dup-1")
    assert again.status_code == first.status_code == 400
    assert again.content == first.content


def test_requestids_are_per_realm(api, qbo_sandbox):
    qbo_sandbox.add_company("9341453050000002", "Second Co")
    other = CompanyAPI(
        qbo_sandbox,
        qbo_sandbox.issue_tokens("9341453050000002")["access_token"],
        "9341453050000002",
    )
    api.post("vendor", {"DisplayName": "Acme Drywall"}, requestid="shared")
    response = other.post("vendor", {"DisplayName": "Acme Drywall"}, requestid="shared")
    assert response.status_code == 200
    assert len(qbo_sandbox.entities("Vendor", realm_id="9341453050000002")) == 1


def test_replay_after_a_dropped_connection_leaves_one_document(api, qbo_sandbox, accounts):
    vendor = api.create("Vendor", {"DisplayName": "Acme Drywall"})
    bill = {
        "VendorRef": {"value": vendor["Id"]},
        "DocNumber": "PA-1",
        "Line": [expense_line(100, accounts["Subcontractors"])],
    }
    qbo_sandbox.inject_fault("drop_after_commit", entity="bill", method="POST")
    with pytest.raises(requests.ConnectionError):
        api.post("bill", bill, requestid="export-17-attempt-1")
    retried = api.post("bill", bill, requestid="export-17-attempt-1")
    assert retried.status_code == 200
    [stored] = qbo_sandbox.entities("Bill")
    assert json_of(retried)["Bill"]["Id"] == stored["Id"]


def test_batch_requests_replay_as_a_whole(api, qbo_sandbox):
    batch = {
        "BatchItemRequest": [{"bId": "1", "operation": "create", "Vendor": {"DisplayName": "Acme"}}]
    }
    first = api.post("batch", batch, requestid="batch-1")
    again = api.post("batch", batch, requestid="batch-1")
    assert again.content == first.content
    assert len(qbo_sandbox.entities("Vendor")) == 1


def test_requestid_length_limits(api):
    assert api.post("vendor", {"DisplayName": "A"}, requestid="x" * 50).status_code == 200
    error = error_of(api.post("vendor", {"DisplayName": "B"}, requestid="x" * 51))
    assert (error["code"], error["element"]) == ("2050", "requestid")
    batch = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Vendor"}]}
    assert api.post("batch", batch, requestid="y" * 36).status_code == 200
    assert error_of(api.post("batch", batch, requestid="y" * 37))["code"] == "2050"


def test_throttled_or_failed_requests_are_not_remembered(api, qbo_sandbox):
    qbo_sandbox.inject_fault("http_503")
    assert api.post("vendor", {"DisplayName": "Acme"}, requestid="later").status_code == 503
    assert api.post("vendor", {"DisplayName": "Acme"}, requestid="later").status_code == 200
    assert len(qbo_sandbox.entities("Vendor")) == 1
