"""Whole Web Connector runs against a scripted endpoint, over real sockets."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from lxml import etree

from .conftest import message, ret_dict
from .scripted_endpoint import Script

ADD_JOB = (
    "<CustomerAddRq requestID='2'><CustomerAdd><Name>Riverside Tower</Name>"
    "<ParentRef><FullName>Acme Development</FullName></ParentRef></CustomerAdd></CustomerAddRq>"
)


def test_a_whole_session_hands_each_request_to_quickbooks_and_its_answer_back(
    qbd_sandbox, endpoint
):
    qbd_sandbox.seed("Customer", Name="Acme Development")
    endpoint.load(
        Script(
            steps=[
                message(
                    "<VendorQueryRq requestID='1'><ActiveStatus>All</ActiveStatus></VendorQueryRq>"
                ),
                message(ADD_JOB),
            ]
        )
    )

    run = qbd_sandbox.run()

    assert run["outcome"] == "ok", run
    assert endpoint.operations() == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "sendRequestXML",
        "receiveResponseXML",
        "closeConnection",
    ]
    first = endpoint.calls[3]["arguments"]
    assert (first["qbXMLMajorVers"], first["qbXMLMinorVers"], first["qbXMLCountry"]) == (
        "12",
        "0",
        "US",
    )
    assert first["strCompanyFileName"].endswith(".QBW")
    host = etree.fromstring(first["strHCPResponse"].split("?>", 2)[2].encode())
    assert "12.0" in [v.text for v in host.iter("SupportedQBXMLVersion")]
    assert host.find(".//CompanyRet/CompanyName").text == "Sandbox Construction LLC"
    assert endpoint.calls[5]["arguments"]["strHCPResponse"] == ""  # only on the first call
    assert endpoint.calls[4]["arguments"]["ticket"] == "ticket-1"
    vendors, added = endpoint.answers[0][0][0], endpoint.answers[1][0][0]
    assert (vendors.tag, vendors.get("statusCode"), vendors.get("requestID")) == (
        "VendorQueryRs",
        "1",
        "1",
    )
    assert added.get("statusCode") == "0"
    assert ret_dict(added[0])["FullName"] == "Acme Development:Riverside Tower"
    assert [c["FullName"] for c in qbd_sandbox.records("Customer")] == [
        "Acme Development",
        "Acme Development:Riverside Tower",
    ]


def test_a_wrong_password_is_not_a_valid_user_and_nothing_is_exchanged(qbd_sandbox, endpoint):
    endpoint.load(Script(steps=[message(ADD_JOB)]))
    qbd_sandbox.fault("wrong_password")

    run = qbd_sandbox.run()

    assert run["outcome"] == "nvu"
    assert endpoint.operations() == ["serverVersion", "clientVersion", "authenticate"]
    assert endpoint.calls[2]["arguments"]["strPassword"] != "sandbox-password"
    assert qbd_sandbox.run()["outcome"] == "ok"  # the fault struck once


def test_nothing_to_do_and_a_busy_service_end_the_run_after_authenticate(qbd_sandbox, endpoint):
    assert qbd_sandbox.run()["outcome"] == "none"
    assert endpoint.operations()[-1] == "authenticate"
    endpoint.load(Script(steps=[message(ADD_JOB)], busy=True))
    assert qbd_sandbox.run()["outcome"] == "busy"
    assert "sendRequestXML" not in endpoint.operations()


def test_quickbooks_closed_calls_connection_error_and_sends_no_request(qbd_sandbox, endpoint):
    endpoint.load(Script(steps=[message(ADD_JOB)]))
    qbd_sandbox.fault("quickbooks_closed")

    run = qbd_sandbox.run()

    assert run["outcome"] == "connection_error"
    assert endpoint.operations()[-1] == "connectionError"
    arguments = endpoint.call("connectionError")["arguments"]
    assert (arguments["ticket"], arguments["hresult"]) == ("ticket-1", "0x80040408")
    assert arguments["message"] == "Could not start QuickBooks."


def test_a_company_file_in_use_is_retried_when_the_endpoint_asks(qbd_sandbox, endpoint):
    qbd_sandbox.seed("Customer", Name="Acme Development")
    endpoint.load(Script(steps=[message(ADD_JOB)], connection_error_reply=""))
    qbd_sandbox.fault("file_in_use")

    run = qbd_sandbox.run()

    assert run["outcome"] == "ok"
    assert endpoint.call("connectionError")["arguments"]["hresult"] == "0x80040410"
    assert endpoint.operations()[-3:] == ["sendRequestXML", "receiveResponseXML", "closeConnection"]


def test_another_company_file_cannot_be_opened(qbd_sandbox, endpoint):
    endpoint.load(Script(steps=[message(ADD_JOB)], company_file=r"C:\Books\Other.QBW"))
    run = qbd_sandbox.run()
    assert run["outcome"] == "connection_error"
    assert endpoint.call("connectionError")["arguments"]["hresult"] == "0x80040403"


def test_a_lost_answer_leaves_the_document_stored_and_the_endpoint_unaware(qbd_sandbox, endpoint):
    qbd_sandbox.seed("Customer", Name="Acme Development")
    endpoint.load(Script(steps=[message(ADD_JOB)]))
    qbd_sandbox.fault("lost_answer", after=1)

    run = qbd_sandbox.run()

    assert run["outcome"] == "lost"
    assert "receiveResponseXML" not in endpoint.operations()
    assert "closeConnection" not in endpoint.operations()
    assert len(qbd_sandbox.records("Customer")) == 2  # QuickBooks stored the job
    # Sending the same Add again, blind, meets the job already there.
    endpoint.load(Script(steps=[message(ADD_JOB)]))
    assert qbd_sandbox.run()["outcome"] == "ok"
    assert endpoint.answers[0][0][0].get("statusCode") == "3100"


def test_an_interrupted_run_resumes_in_a_new_session_without_its_iterators(qbd_sandbox, endpoint):
    for name in ("Able", "Baker", "Charlie"):
        qbd_sandbox.seed("Vendor", Name=name)

    def continue_with(previous):
        iterator_id = previous[0][0].get("iteratorID")
        return message(
            f'<VendorQueryRq iterator="Continue" iteratorID="{iterator_id}">'
            "<MaxReturned>1</MaxReturned></VendorQueryRq>"
        )

    start = message('<VendorQueryRq iterator="Start"><MaxReturned>1</MaxReturned></VendorQueryRq>')
    endpoint.load(Script(steps=[start, continue_with, continue_with]))
    qbd_sandbox.fault("interrupt", after=1)
    assert qbd_sandbox.run()["outcome"] == "interrupted"
    first_page = endpoint.answers[0][0][0]
    assert first_page.get("iteratorRemainingCount") == "2"
    assert "closeConnection" not in endpoint.operations()

    # The endpoint resumes where it was: the iterator died with the session.
    stale = first_page.get("iteratorID")
    endpoint.load(Script(steps=[lambda _: continue_with([[first_page]])]))
    assert qbd_sandbox.run()["outcome"] == "ok"
    refused = endpoint.answers[0][0][0]
    assert (refused.get("statusCode"), refused.get("statusSeverity")) == ("3120", "Error")
    assert stale in refused.get("statusMessage")

    endpoint.load(Script(steps=[start, continue_with, continue_with]))
    assert qbd_sandbox.run()["outcome"] == "ok"
    names = [ret_dict(a[0][0][0])["Name"] for a in endpoint.answers]
    assert names == ["Able", "Baker", "Charlie"]
    assert endpoint.answers[-1][0][0].get("iteratorRemainingCount") == "0"


def test_a_request_quickbooks_cannot_parse_comes_back_as_an_hresult(qbd_sandbox, endpoint):
    out_of_order = message(
        "<PurchaseOrderAddRq><PurchaseOrderAdd><VendorRef><FullName>Bolt</FullName></VendorRef>"
        "<RefNumber>SC-1</RefNumber><TxnDate>2026-02-01</TxnDate>"
        "<PurchaseOrderLineAdd><Desc>Work</Desc></PurchaseOrderLineAdd>"
        "</PurchaseOrderAdd></PurchaseOrderAddRq>"
    )
    endpoint.load(Script(steps=[out_of_order]))

    run = qbd_sandbox.run()

    received = endpoint.call("receiveResponseXML")["arguments"]
    assert received["response"] == ""
    assert received["hresult"] == "0x80040400"
    assert (
        received["message"]
        == "QuickBooks found an error when parsing the provided XML text stream."
    )
    assert endpoint.operations()[-2:] == ["getLastError", "closeConnection"]
    assert run["outcome"] == "error"
    assert "parsing" in run["message"]
    assert "TxnDate is out of order" in run["exchanges"][0]["detail"]


def test_noop_makes_the_web_connector_wait_and_ask_again(qbd_sandbox, endpoint):
    qbd_sandbox.seed("Customer", Name="Acme Development")
    endpoint.load(Script(steps=[message(ADD_JOB)], noops_before_first_request=2))

    assert qbd_sandbox.run()["outcome"] == "ok"
    assert endpoint.operations()[3:9] == [
        "sendRequestXML",
        "getLastError",
        "sendRequestXML",
        "getLastError",
        "sendRequestXML",
        "receiveResponseXML",
    ]


def test_an_empty_request_ends_the_run_with_the_endpoints_last_error(qbd_sandbox, endpoint):
    endpoint.load(Script(steps=[lambda _: ""]))
    run = qbd_sandbox.run()
    assert (run["outcome"], run["message"]) == ("error", "The script ended.")
    assert endpoint.operations()[-2:] == ["getLastError", "closeConnection"]


def test_an_older_quickbooks_declares_its_version_and_refuses_newer_qbxml(qbd_sandbox, endpoint):
    qbd_sandbox.settings(highest_qbxml="8.0")
    endpoint.load(Script(steps=[message("<CompanyQueryRq/>")]))

    qbd_sandbox.run()

    sent = endpoint.call("sendRequestXML")["arguments"]
    assert (sent["qbXMLMajorVers"], sent["qbXMLMinorVers"]) == ("8", "0")
    assert "12.0" not in sent["strHCPResponse"]
    assert endpoint.call("receiveResponseXML")["arguments"]["hresult"] == "0x80040400"


def test_a_long_absence_means_no_run_at_all(qbd_sandbox, endpoint):
    endpoint.load(Script(steps=[message(ADD_JOB)]))
    qbd_sandbox.fault("absent", seconds=600)

    run = qbd_sandbox.run()

    assert run["outcome"] == "absent"
    assert endpoint.calls == []
    qbd_sandbox.call("DELETE", "faults")
    assert qbd_sandbox.run()["outcome"] != "absent"


def test_an_endpoint_that_cannot_be_reached_is_reported(qbd_sandbox):
    qbd_sandbox.settings(app_url="http://127.0.0.1:9/qbwc/")
    run = qbd_sandbox.run()
    assert run["outcome"] == "unreachable"
    assert qbd_sandbox.call("GET", "runs")["runs"][-1]["outcome"] == "unreachable"


def test_authenticate_can_postpone_the_next_auto_run_and_raise_its_interval(qbd_sandbox, endpoint):
    endpoint.load(Script(busy=True, authenticate_extra=["600", "3600"]))
    assert qbd_sandbox.run()["outcome"] == "busy"
    assert qbd_sandbox.status()["auto_run"] == {
        "next_wait_seconds": 600.0,
        "minimum_interval_seconds": 3600.0,
    }
    endpoint.load(Script(authenticate_extra=["", "nonsense"]))
    assert qbd_sandbox.run()["outcome"] == "none"
    # No postponement this time; the interval is the endpoint's minimum, above the user's 30 s.
    assert qbd_sandbox.status()["auto_run"]["next_wait_seconds"] == 3600.0


def test_two_runs_asked_at_once_never_overlap(qbd_sandbox, endpoint):
    qbd_sandbox.seed("Customer", Name="Acme Development")
    endpoint.load(Script(steps=[message(ADD_JOB)], noops_before_first_request=3))

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(run["outcome"] for run in pool.map(lambda _: qbd_sandbox.run(), range(2)))

    assert outcomes == ["error", "ok"]  # the second found nothing more to send
    operations = endpoint.operations()
    first_close = operations.index("closeConnection")
    assert operations.count("serverVersion") == 2
    assert operations.index("serverVersion", 1) == first_close + 1
