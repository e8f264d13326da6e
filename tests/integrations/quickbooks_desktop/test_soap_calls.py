"""The endpoint as any HTTP client meets it: malformed or hostile SOAP gets a SOAP fault that
says why (never an error page, never an expanded entity), the WSDL names the endpoint, and calls
with a ticket that is over or unknown are answered, not crashed on."""

import pytest
from lxml import etree

from integrations.quickbooks_desktop import service, soap
from integrations.quickbooks_desktop.models import Exchange, QuickBooksAccount, WebConnectorSession
from tests.integrations.quickbooks_desktop.conftest import ENDPOINT, PASSWORD, make_desktop

pytestmark = pytest.mark.django_db

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
INTUIT = "http://developer.intuit.com/"


def envelope(call: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body>{call}</soap:Body></soap:Envelope>'
    )


def post(client, body: str | bytes, action: str = ""):
    return client.post(
        ENDPOINT,
        data=body,
        content_type="text/xml; charset=utf-8",
        headers={"SOAPAction": f'"{INTUIT}{action}"'},
    )


def result(response, operation: str):
    root = etree.fromstring(response.content)
    return root.find(
        f"{{{SOAP}}}Body/{{{INTUIT}}}{operation}Response/{{{INTUIT}}}{operation}Result"
    )


def fault_string(response) -> str:
    root = etree.fromstring(response.content)
    return root.findtext(f"{{{SOAP}}}Body/{{{SOAP}}}Fault/faultstring")


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("", "The message is empty."),
        ("<soap:Envelope", "The message is not well-formed XML"),
        ("not xml at all", "The message is not well-formed XML"),
        ("<Envelope><Body/></Envelope>", "The message is not a SOAP 1.1 envelope."),
        (f'<soap:Envelope xmlns:soap="{SOAP}"/>', "The SOAP envelope has no body."),
        (envelope(""), "The SOAP body must hold exactly one call."),
        (
            envelope(f'<getLastError xmlns="{INTUIT}"/><getLastError xmlns="{INTUIT}"/>'),
            "The SOAP body must hold exactly one call.",
        ),
        (envelope(f'<dropTables xmlns="{INTUIT}"/>'), "This service has no operation named"),
        (envelope("<authenticate/>"), "This service has no operation named 'authenticate'."),
        (
            envelope(
                f'<authenticate xmlns="{INTUIT}"><strUserName><b>x</b></strUserName></authenticate>'
            ),
            "The argument strUserName must be text, not XML.",
        ),
    ],
)
def test_a_call_that_cannot_be_read_gets_a_fault_saying_why(client, body, said):
    response = post(client, body)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/xml")
    assert fault_string(response).startswith(said)


def test_entities_are_never_expanded(client):
    make_desktop()
    hostile = (
        '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "riverside-qbwc">'
        '<!ENTITY file SYSTEM "file:///etc/passwd">]>'
        f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body><authenticate xmlns="{INTUIT}">'
        f"<strUserName>&a;</strUserName><strPassword>&file;</strPassword></authenticate>"
        "</soap:Body></soap:Envelope>"
    )

    response = post(client, hostile, "authenticate")

    assert response.status_code == 400
    assert fault_string(response) == (
        "The message declares a document type, which this service refuses."
    )
    assert b"root:" not in response.content
    assert WebConnectorSession.objects.count() == 0


def test_qbxml_travels_escaped_inside_the_soap_strings(client):
    make_desktop()
    login = post(
        client,
        envelope(
            f'<authenticate xmlns="{INTUIT}"><strUserName>riverside-qbwc</strUserName>'
            f"<strPassword>{PASSWORD}</strPassword></authenticate>"
        ),
        "authenticate",
    )
    ticket, company_file = [element.text or "" for element in result(login, "authenticate")]
    assert ticket and company_file == ""

    sent = post(
        client,
        envelope(
            f'<sendRequestXML xmlns="{INTUIT}"><ticket>{ticket}</ticket><strHCPResponse/>'
            "<strCompanyFileName>C:\\Riverside.QBW</strCompanyFileName><qbXMLCountry>US"
            "</qbXMLCountry><qbXMLMajorVers>13</qbXMLMajorVers><qbXMLMinorVers>0</qbXMLMinorVers>"
            "</sendRequestXML>"
        ),
        "sendRequestXML",
    )

    assert b'&lt;?qbxml version="12.0"?&gt;' in sent.content
    request = result(sent, "sendRequestXML").text
    assert request == Exchange.objects.get().request_xml
    assert len(result(sent, "sendRequestXML")) == 0  # text, no child elements


def test_an_answer_that_is_not_qbxml_is_recorded_and_the_request_kept(client):
    make_desktop()
    ticket = service.authenticate("riverside-qbwc", PASSWORD, address="127.0.0.1")[0]
    service.send_request_xml(ticket, "", "", "US", 13, 0)

    answered = post(
        client,
        envelope(
            f'<receiveResponseXML xmlns="{INTUIT}"><ticket>{ticket}</ticket>'
            "<response>&lt;QBXML&gt;&lt;broken</response><hresult/><message/>"
            "</receiveResponseXML>"
        ),
        "receiveResponseXML",
    )

    assert result(answered, "receiveResponseXML").text == "-1"
    error = service.get_last_error(ticket)
    assert error.startswith(
        "QuickBooks' answer to the request to read the chart of accounts could not be read: "
        "The message is not well-formed XML"
    )
    assert error.endswith("It will be sent again at the next run.")
    exchange = Exchange.objects.get()
    assert exchange.response_xml == "<QBXML><broken"
    assert exchange.request.state == "queued"


def test_an_answer_to_another_request_is_not_taken_for_this_one(client):
    make_desktop()
    ticket = service.authenticate("riverside-qbwc", PASSWORD, address="127.0.0.1")[0]
    service.send_request_xml(ticket, "", "", "US", 13, 0)
    stray = (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><AccountQueryRs requestID="x999" '
        'statusCode="0" statusSeverity="Info" statusMessage="Status OK"/></QBXMLMsgsRs></QBXML>'
    )

    assert service.receive_response_xml(ticket, stray, "", "") == -1
    assert "holds no response to request x" in service.get_last_error(ticket)
    assert Exchange.objects.get().request.state == "queued"


def test_calls_with_a_ticket_that_is_over_or_unknown_are_answered(client):
    assert service.send_request_xml("no-such-ticket", "", "", "US", 13, 0) == ""
    assert service.receive_response_xml("no-such-ticket", "<QBXML/>", "", "") == -1
    assert service.get_last_error("no-such-ticket") == service.UNKNOWN_RUN
    assert service.close_connection("no-such-ticket") == service.UNKNOWN_RUN
    assert service.connection_error("no-such-ticket", "0x80040408", "") == "done"

    make_desktop()
    ticket = service.authenticate("riverside-qbwc", PASSWORD, address="127.0.0.1")[0]
    service.close_connection(ticket)
    assert service.send_request_xml(ticket, "", "", "US", 13, 0) == ""
    assert Exchange.objects.count() == 0


def test_a_quickbooks_error_fails_that_request_only_and_the_run_goes_on(client):
    make_desktop()
    ticket = service.authenticate("riverside-qbwc", PASSWORD, address="127.0.0.1")[0]
    request = service.send_request_xml(ticket, "", "", "US", 13, 0)
    request_id = etree.fromstring(request.split("?>", 2)[-1].encode())[0][0].get("requestID")
    refused = (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
        f'<AccountQueryRs requestID="{request_id}" statusCode="3250" statusSeverity="Error" '
        'statusMessage="This feature is not enabled or not available in this version of '
        'QuickBooks."/></QBXMLMsgsRs></QBXML>'
    )

    percent = service.receive_response_xml(ticket, refused, "", "")

    assert percent == 25
    exchange = Exchange.objects.get()
    assert (exchange.status_code, exchange.status_severity) == (3250, "Error")
    assert exchange.request.state == "failed"
    assert exchange.request.problem == (
        "QuickBooks refused to read the chart of accounts: This feature is not enabled or not "
        "available in this version of QuickBooks. (status 3250)."
    )
    assert "<CustomerQueryRq" in service.send_request_xml(ticket, "", "", "US", 13, 0)


def test_quickbooks_busy_keeps_the_request_for_the_next_run(client):
    make_desktop()
    ticket = service.authenticate("riverside-qbwc", PASSWORD, address="127.0.0.1")[0]
    request = service.send_request_xml(ticket, "", "", "US", 13, 0)
    request_id = etree.fromstring(request.split("?>", 2)[-1].encode())[0][0].get("requestID")
    busy = (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
        f'<AccountQueryRs requestID="{request_id}" statusCode="3180" statusSeverity="Error" '
        'statusMessage="There was an error when saving a Account list. This list has been '
        'modified by another user."/></QBXMLMsgsRs></QBXML>'
    )

    assert service.receive_response_xml(ticket, busy, "", "") == -1
    assert service.get_last_error(ticket).startswith("QuickBooks was busy and did not read")
    assert Exchange.objects.get().request.state == "queued"


def test_the_wsdl_names_this_endpoint(client):
    response = client.get(f"{ENDPOINT}?wsdl")

    assert response.status_code == 200
    root = etree.fromstring(response.content)
    address = root.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address.get("location") == f"http://testserver{ENDPOINT}"
    operations = {
        element.get("name")
        for element in root.findall(
            "{http://schemas.xmlsoap.org/wsdl/}portType/{http://schemas.xmlsoap.org/wsdl/}operation"
        )
    }
    assert operations == set(soap.OPERATIONS)
    assert len(soap.OPERATIONS) == 8


def test_a_browser_is_told_what_the_address_is_for(client):
    page = client.get(ENDPOINT)

    assert page.status_code == 200
    assert page.content.decode().startswith(
        "This is the address QuickBooks Desktop's Web Connector calls"
    )
    assert client.put(ENDPOINT, data="x").status_code == 405


def test_a_late_answer_from_an_interrupted_run_changes_nothing(client, settings, company):
    make_desktop()
    settings.QBWC_BUSY_SECONDS = 0
    first = service.authenticate("riverside-qbwc", PASSWORD, address="127.0.0.1")[0]
    request = service.send_request_xml(first, "", "", "US", 13, 0)
    second = service.authenticate("riverside-qbwc", PASSWORD, address="127.0.0.1")[
        0
    ]  # the first run is over

    assert service.receive_response_xml(first, company.answer(request), "", "") == -1

    assert QuickBooksAccount.objects.count() == 0
    accounts = Exchange.objects.get().request
    assert accounts.state == "queued"
    again = service.send_request_xml(second, "", "", "US", 13, 0)
    assert "<AccountQueryRq" in again
    assert service.receive_response_xml(second, company.answer(again), "", "") == 25
    assert QuickBooksAccount.objects.count() == 3
