"""Classification of QuickBooks Online answers.

Bodies the sandbox produces on demand go through the real client over a socket; the recorded
shapes it has no switch for (a Fault inside a 200, the gateway's lower-case `fault`, a JSON
throttle) are read from real `requests.Response` objects carrying the recorded bodies.
"""

import json
import uuid
from decimal import Decimal

import pytest
import requests

from integrations.base import (
    DuplicateNameError,
    NotConnectedError,
    PermanentERPError,
    StaleObjectError,
    TransientERPError,
)
from integrations.quickbooks_online.client import QuickBooksClient
from integrations.quickbooks_online.errors import (
    ThrottledError,
    error_for_batch_item,
    error_for_exception,
    faults_in,
    read_answer,
)

DUPLICATE_NAME = {
    "Fault": {
        "Error": [
            {
                "Message": "Duplicate Name Exists Error",
                "Detail": "The name supplied already exists. : Another customer, vendor or "
                "employee is already using this \nname. Please use a different name.",
                "code": "6240",
                "element": "",
            }
        ],
        "type": "ValidationFault",
    },
    "time": "2015-11-05T08:52:58.683-08:00",
}
GATEWAY_401 = {
    "warnings": None,
    "intuitObject": None,
    "fault": {
        "error": [
            {
                "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                "detail": "Malformed bearer token: too short or too long",
                "code": "3200",
                "element": None,
            }
        ],
        "type": "AUTHENTICATION",
    },
    "report": None,
    "queryResponse": None,
    "batchItemResponse": [],
    "time": 1633520295688,
}
XML_THROTTLE = (
    '<IntuitResponse time="2016-04-15T09:01:18.141-07:00" '
    'xmlns="http://schema.intuit.com/finance/v3"><Fault type="SERVICE"><Error code="3001">'
    "<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
    "<Detail>The request limit was reached.  Try again later</Detail></Error></Fault>"
    "</IntuitResponse>"
)


def answer(status: int, body, *, content_type="application/json", headers=None):
    response = requests.Response()
    response.status_code = status
    text = body if isinstance(body, str) else json.dumps(body)
    response._content = text.encode()
    response.headers["Content-Type"] = content_type
    response.headers.update(headers or {})
    return response


def fault(code: str, detail: str, *, message="", fault_type="ValidationFault"):
    return {
        "Fault": {
            "Error": [{"Message": message, "Detail": detail, "code": code, "element": ""}],
            "type": fault_type,
        }
    }


def test_a_recorded_duplicate_name_fault_names_the_record():
    with pytest.raises(DuplicateNameError) as raised:
        read_answer(answer(400, DUPLICATE_NAME), payload={"DisplayName": "Acme Drywall"})
    error = raised.value
    assert (
        error.message
        == "QuickBooks already has a customer, vendor or employee named 'Acme Drywall'."
    )
    assert (error.code, error.status) == ("6240", 400)
    assert error.detail.startswith("The name supplied already exists.")
    assert error.response_body["Fault"]["type"] == "ValidationFault"
    assert not error.transient


def test_a_fault_inside_a_200_is_still_an_error():
    body = fault("5010", "Stale Object Error : You and root were working on this at the same time.")
    with pytest.raises(StaleObjectError) as raised:
        read_answer(answer(200, body))
    assert raised.value.status == 200


@pytest.mark.parametrize(
    ("code", "detail", "payload", "message"),
    [
        (
            "610",
            "Object Not Found : Something you're trying to use has been made inactive. Check the "
            "fields with accounts, customers, items, vendors or employees.",
            {},
            "QuickBooks says something this record refers to is missing or inactive: Something "
            "you're trying to use has been made inactive. Check the fields with accounts, "
            "customers, items, vendors or employees.",
        ),
        (
            "2500",
            "Invalid Reference Id : Vendor assigned to this transaction has been deleted. Before "
            "you can modify this transaction, you must restore Acme Drywall (deleted)",
            {},
            "QuickBooks says something this record refers to is missing or inactive: Vendor "
            "assigned to this transaction has been deleted. Before you can modify this "
            "transaction, you must restore Acme Drywall (deleted)",
        ),
        (
            "2500",
            "Invalid Reference Id : Klasses element id 7 not found",
            {},
            "QuickBooks says something this record refers to is missing or inactive: none of its "
            "classes has the id 7.",
        ),
        (
            "2020",
            "Required parameter Line is missing in the request",
            {},
            "QuickBooks needs a value that is missing: Required parameter Line is missing in the "
            "request",
        ),
        (
            "6000",
            "Business Validation Error: You must select a vendor for this transaction.",
            {},
            "QuickBooks refused this record: You must select a vendor for this transaction.",
        ),
        (
            "6140",
            "Duplicate Document Number Error : You must specify a different number.",
            {"DocNumber": "PA-7"},
            "QuickBooks already has a document numbered 'PA-7'.",
        ),
        (
            "2050",
            "String length specified does not match the supported length : Min:0 Max:1,000 "
            "supported. Supplied length:1,001",
            {},
            "A value is longer than QuickBooks allows: Min:0 Max:1,000 supported. Supplied "
            "length:1,001",
        ),
    ],
)
def test_business_faults_are_permanent_and_explained(code, detail, payload, message):
    with pytest.raises(PermanentERPError) as raised:
        read_answer(answer(400, fault(code, detail)), payload=payload)
    assert raised.value.message == message
    assert raised.value.code == code
    assert not raised.value.transient


def test_an_unknown_fault_keeps_quickbooks_own_words():
    body = fault("4000", "", message="Error parsing query")
    with pytest.raises(PermanentERPError) as raised:
        read_answer(answer(400, body))
    assert raised.value.message == "QuickBooks Online refused this: Error parsing query"


def test_a_system_fault_is_transient():
    body = fault("10000", "An application error has occurred.", fault_type="SystemFault")
    with pytest.raises(TransientERPError):
        read_answer(answer(400, body))


def test_the_gateway_authentication_fault_asks_for_a_reconnection():
    with pytest.raises(NotConnectedError) as raised:
        read_answer(answer(401, GATEWAY_401))
    assert raised.value.code == "3200"
    assert "must reconnect QuickBooks Online" in raised.value.message
    assert "Malformed bearer token" in raised.value.message


def test_a_forbidden_answer_without_a_body_asks_for_a_reconnection():
    with pytest.raises(NotConnectedError, match="must reconnect"):
        read_answer(answer(403, ""))


def test_an_xml_throttle_is_transient_and_waits_the_documented_minute():
    with pytest.raises(ThrottledError) as raised:
        read_answer(answer(429, XML_THROTTLE, content_type="application/xml"))
    assert raised.value.code == "3001"
    assert raised.value.retry_after == 60.0
    assert raised.value.detail == "The request limit was reached.  Try again later"
    assert raised.value.message == (
        "QuickBooks Online is receiving too many requests from us; we will try again in 60 seconds."
    )


def test_retry_after_is_honoured_in_seconds_and_as_a_date():
    with pytest.raises(ThrottledError) as in_seconds:
        read_answer(answer(429, "", headers={"Retry-After": "7"}))
    assert in_seconds.value.retry_after == 7.0
    with pytest.raises(ThrottledError) as as_date:
        read_answer(answer(429, "", headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}))
    assert as_date.value.retry_after == 0.0


def test_a_malformed_body_from_a_server_error_is_transient():
    with pytest.raises(TransientERPError) as raised:
        read_answer(answer(502, "<html>Bad gateway", content_type="text/html"))
    assert raised.value.status == 502


def test_a_malformed_200_is_transient_because_the_write_may_have_happened():
    with pytest.raises(TransientERPError) as raised:
        read_answer(answer(200, '{"Vendor": {"Id": "1"'))
    assert "could not read" in raised.value.message


def test_a_client_error_without_a_fault_is_permanent():
    with pytest.raises(PermanentERPError, match="HTTP 404"):
        read_answer(answer(404, "not here", content_type="text/plain"))


def test_a_successful_answer_is_parsed_with_decimal_amounts():
    body = read_answer(answer(200, '{"Bill": {"TotalAmt": 1234567.89, "Id": "3"}}'))
    assert body["Bill"]["TotalAmt"] == Decimal("1234567.89")


def test_batch_item_faults_are_classified_like_single_answers():
    failing = {"bId": "1", **fault("6240", "The name supplied already exists.")}
    assert isinstance(
        error_for_batch_item(failing, payload={"DisplayName": "A"}), DuplicateNameError
    )
    assert error_for_batch_item({"bId": "2", "Vendor": {"Id": "9"}}) is None


def test_faults_are_read_from_every_shape():
    assert [f.code for f in faults_in(DUPLICATE_NAME)] == ["6240"]
    assert [f.code for f in faults_in(GATEWAY_401)] == ["3200"]
    assert faults_in({"Vendor": {}}) == []
    assert faults_in(None) == []


def test_transport_failures_are_transient():
    assert error_for_exception(requests.ConnectTimeout("slow")).transient
    assert error_for_exception(requests.ConnectionError("refused")).transient
    misconfigured = error_for_exception(requests.exceptions.MissingSchema("no scheme"))
    assert not misconfigured.transient
    assert "not a valid URL" in misconfigured.message


# Over the socket: the sandbox's error bodies on demand ------------------------------------


@pytest.fixture
def qbo(qbo_connection):
    with QuickBooksClient(qbo_connection) as client:
        yield client


def test_an_xml_error_body_from_the_sandbox_is_classified(qbo, qbo_sandbox):
    qbo_sandbox.inject_fault("xml_error", count=1, entity="vendor", method="POST")
    with pytest.raises(PermanentERPError) as raised:
        qbo.create("Vendor", {"DisplayName": "Xml Error"}, request_id=uuid.uuid4().hex)
    assert (raised.value.code, raised.value.status) == ("6000", 400)
    assert raised.value.message == (
        "QuickBooks refused this record: The request could not be processed."
    )
    assert not [v for v in qbo_sandbox.entities("Vendor") if v["DisplayName"] == "Xml Error"]


def test_a_malformed_body_is_transient_and_the_same_key_replays_the_stored_vendor(qbo, qbo_sandbox):
    qbo_sandbox.inject_fault("malformed_body", count=1, entity="vendor", method="POST")
    write_id = uuid.uuid4().hex
    with pytest.raises(TransientERPError):
        qbo.create("Vendor", {"DisplayName": "Garbled Once"}, request_id=write_id)
    created = qbo.create("Vendor", {"DisplayName": "Garbled Once"}, request_id=write_id)
    stored = [v for v in qbo_sandbox.entities("Vendor") if v["DisplayName"] == "Garbled Once"]
    assert [v["Id"] for v in stored] == [created["Id"]]
