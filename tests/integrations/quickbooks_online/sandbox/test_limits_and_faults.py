"""Rate limits (429 with the 3001 body) and the faults injected through the control API."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from .conftest import CompanyAPI, json_of


def test_requests_over_the_window_limit_are_throttled_until_the_window_passes(api, qbo_sandbox):
    qbo_sandbox.set_limits(requests_per_window=3, window_seconds=0.5)
    statuses = [api.get("vendor/1").status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    time.sleep(0.55)
    assert api.get("vendor/1").status_code == 400


def test_batch_requests_have_their_own_window_limit(api, qbo_sandbox):
    qbo_sandbox.set_limits(batch_requests_per_window=2, window_seconds=30)
    batch = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Vendor"}]}
    assert [api.post("batch", batch).status_code for _ in range(3)] == [200, 200, 429]
    assert api.query("select * from Vendor").status_code == 200


def test_limits_are_per_realm(api, qbo_sandbox):
    qbo_sandbox.add_company("9341453050000002", "Second Co")
    other = CompanyAPI(
        qbo_sandbox,
        qbo_sandbox.issue_tokens("9341453050000002")["access_token"],
        "9341453050000002",
    )
    qbo_sandbox.set_limits(requests_per_window=1, window_seconds=30)
    assert api.query("select * from Vendor").status_code == 200
    assert api.query("select * from Vendor").status_code == 429
    assert other.query("select * from Vendor").status_code == 200


def test_more_than_the_concurrent_limit_in_flight_is_throttled(api, qbo_sandbox):
    qbo_sandbox.set_limits(concurrent=2)
    qbo_sandbox.inject_fault("latency", count=3, seconds=0.6)
    statuses = []

    def call():
        session = requests.Session()
        session.headers.update(api.session.headers)
        statuses.append(
            session.get(
                api.url("query"), params={"query": "select * from Vendor"}, timeout=10
            ).status_code
        )

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
        time.sleep(0.1)
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 200, 429]


def test_default_limits_are_the_documented_ones(qbo_sandbox):
    limits = qbo_sandbox.set_limits()
    assert (
        limits["requests_per_window"],
        limits["concurrent"],
        limits["batch_requests_per_window"],
    ) == (500, 10, 40)
    assert limits["window_seconds"] == 60


def test_throttle_fault_answers_the_next_n_requests_with_429(api, qbo_sandbox):
    qbo_sandbox.inject_fault("throttle", count=2)
    assert [api.get("vendor/1").status_code for _ in range(3)] == [429, 429, 400]


def test_latency_delays_the_answer(api, qbo_sandbox):
    qbo_sandbox.inject_fault("latency", seconds=0.3)
    started = time.monotonic()
    assert api.query("select * from Vendor").status_code == 200
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize(("kind", "status"), [("http_500", 500), ("http_503", 503)])
def test_server_errors_store_nothing(api, qbo_sandbox, kind, status):
    qbo_sandbox.inject_fault(kind)
    response = api.post("vendor", {"DisplayName": "Acme"})
    assert response.status_code == status
    assert qbo_sandbox.entities("Vendor") == []


def test_http_500_carries_a_system_fault(api, qbo_sandbox):
    qbo_sandbox.inject_fault("http_500")
    fault = json_of(api.query("select * from Vendor"))["Fault"]
    assert fault["type"] == "SystemFault"


def test_drop_after_commit_stores_the_document_but_never_answers(api, qbo_sandbox):
    qbo_sandbox.inject_fault("drop_after_commit")
    with pytest.raises(requests.ConnectionError):
        api.post("vendor", {"DisplayName": "Acme"})
    assert [v["DisplayName"] for v in qbo_sandbox.entities("Vendor")] == ["Acme"]
    [entry] = qbo_sandbox.request_log()
    assert (entry["status"], entry["dropped"], entry["faults"]) == (
        None,
        True,
        ["drop_after_commit"],
    )


def test_timeout_holds_the_request_and_stores_nothing(api, qbo_sandbox):
    qbo_sandbox.inject_fault("timeout", seconds=2)
    with pytest.raises(requests.Timeout):
        api.session.post(api.url("vendor"), json={"DisplayName": "Acme"}, timeout=0.3)
    qbo_sandbox.clear_faults()
    assert qbo_sandbox.entities("Vendor") == []


def test_malformed_body_is_not_json(api, qbo_sandbox):
    qbo_sandbox.inject_fault("malformed_body")
    response = api.query("select * from Vendor")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_xml_error_body(api, qbo_sandbox):
    qbo_sandbox.inject_fault("xml_error")
    response = api.post("vendor", {"DisplayName": "Acme"})
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/xml")
    assert b'<Error code="6000">' in response.content
    assert qbo_sandbox.entities("Vendor") == []


def test_faults_are_scoped_by_entity_and_method(api, qbo_sandbox, accounts):
    qbo_sandbox.inject_fault("http_503", entity="Bill", method="POST")
    assert api.get("vendor/1").status_code == 400
    assert api.post("vendor", {"DisplayName": "Acme"}).status_code == 200
    assert api.query("select * from Bill").status_code == 200
    assert api.post("bill", {}).status_code == 503
    assert api.post("bill", {}).status_code == 400


def test_faults_apply_to_queries_on_the_entity(api, qbo_sandbox):
    qbo_sandbox.inject_fault("http_500", entity="Vendor", method="GET")
    assert api.query("select * from Account").status_code == 200
    assert api.query("select * from Vendor").status_code == 500


def test_clear_faults(api, qbo_sandbox):
    qbo_sandbox.inject_fault("http_500", count=5)
    qbo_sandbox.clear_faults()
    assert api.query("select * from Vendor").status_code == 200


def test_a_batch_counts_once_toward_the_requests_and_once_toward_the_batches(api, qbo_sandbox):
    qbo_sandbox.set_limits(requests_per_window=2, batch_requests_per_window=5, window_seconds=30)
    batch = {
        "BatchItemRequest": [
            {"bId": str(n), "operation": "create", "Vendor": {"DisplayName": f"Counted {n}"}}
            for n in range(1, 31)
        ]
    }
    assert api.post("batch", batch).status_code == 200
    assert api.query("select * from Vendor").status_code == 200
    assert api.query("select * from Vendor").status_code == 429
    (logged,) = [entry for entry in qbo_sandbox.request_log() if entry["path"].endswith("/batch")]
    assert logged["items"] == 30
    assert float(logged["started"]) <= float(logged["time"])


def test_a_batch_cut_short_stores_its_first_items_and_loses_its_answer(api, qbo_sandbox):
    qbo_sandbox.inject_fault("drop_mid_batch", entity="batch", items=2)
    batch = {
        "BatchItemRequest": [
            {"bId": str(n), "operation": "create", "Vendor": {"DisplayName": f"Cut {n}"}}
            for n in range(1, 5)
        ]
    }
    with pytest.raises(requests.ConnectionError):
        api.post("batch", batch, requestid="cut-short")
    assert sorted(v["DisplayName"] for v in qbo_sandbox.entities("Vendor")) == ["Cut 1", "Cut 2"]

    # Nothing is remembered under its requestid: asked again, the batch runs anew, and the
    # items already stored meet their names taken.
    answers = json_of(api.post("batch", batch, requestid="cut-short"))["BatchItemResponse"]
    assert [("Fault" in answer) for answer in answers] == [True, True, False, False]
    assert answers[0]["Fault"]["Error"][0]["code"] == "6240"
